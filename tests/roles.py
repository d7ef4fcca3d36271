"""The roles of the route x role matrix (SECURITY.md), each a demo account."""

ROLE_ACCOUNTS = {
    "volunteer": "volunteer@example.org",
    "ngo_a_admin": "ngo-a.admin@example.org",
    "ngo_a_member": "ngo-a.member@example.org",
    "ngo_b_admin": "ngo-b.admin@example.org",
    "caseworker_ost": "caseworker.ost@example.org",
    "caseworker_vest": "caseworker.vest@example.org",
    "institution": "institution@example.org",
    "grant_officer": "grants@example.org",
    "reviewer": "reviewer@example.org",
    "dpo": "dpo@example.org",
    "admin": "admin@example.org",
}
ANONYMOUS = "anonymous"
ALL_ROLES = (ANONYMOUS, *ROLE_ACCOUNTS)
