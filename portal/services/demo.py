"""Demo data for development and the browser tests: accounts for every role and a few cases.

Only `flask portal seed-demo` calls this; no migration ever creates accounts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal import db
from portal.db import utcnow
from portal.models import (
    AccountToken,
    AreaOffice,
    Document,
    Institution,
    Municipality,
    Organisation,
    OrganisationState,
    OwnerType,
    Role,
    User,
)
from portal.services import accounts, documents

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - published in the README on purpose


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: Role
    scope: str = ""  # organisation key, area office code or institution name
    description: str = ""


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin@example.org", "Anne Admin", Role.ADMIN, "", "admin"),
    DemoAccount(
        "caseworker.ost@example.org",
        "Søren Østergaard",
        Role.CASEWORKER,
        "ost",
        "caseworker, area office Øst",
    ),
    DemoAccount(
        "caseworker.vest@example.org",
        "Vibeke Vestergaard",
        Role.CASEWORKER,
        "vest",
        "caseworker, area office Vest",
    ),
    DemoAccount(
        "institution@example.org",
        "Ib Iversen",
        Role.INSTITUTION_CONTACT,
        "Storstrøm Fængsel",
        "institution contact, Storstrøm Fængsel (closed prison, Øst)",
    ),
    DemoAccount("grants@example.org", "Gitte Grøn", Role.GRANT_OFFICER, "", "grant officer"),
    DemoAccount("reviewer@example.org", "Rasmus Riis", Role.REVIEWER, "", "reviewer"),
    DemoAccount("dpo@example.org", "Dorthe Dahl", Role.DPO, "", "DPO"),
    DemoAccount(
        "ngo-a.admin@example.org",
        "Amalie Andersen",
        Role.NGO_ADMIN,
        "A",
        "NGO admin, organisation A (Øst)",
    ),
    DemoAccount(
        "ngo-a.member@example.org",
        "Mads Madsen",
        Role.NGO_MEMBER,
        "A",
        "NGO member, organisation A",
    ),
    DemoAccount(
        "ngo-b.admin@example.org",
        "Bente Bach",
        Role.NGO_ADMIN,
        "B",
        "NGO admin, organisation B (Vest)",
    ),
    DemoAccount(
        "volunteer@example.org", "Mette Hansen", Role.VOLUNTEER, "A", "volunteer, organisation A"
    ),
)

# key: (name, CVR with a valid modulus-11 check, municipality, state, days waiting)
DEMO_ORGANISATIONS = {
    "A": ("Foreningen Nyt Netværk", "10000009", "København", OrganisationState.APPROVED, 90),
    "B": ("Vestjyske Besøgsvenner", "20000007", "Aarhus", OrganisationState.APPROVED, 60),
    "C": ("Gældsrådgivning Sjælland", "30000005", "Roskilde", OrganisationState.SUBMITTED, 6),
    "D": ("Fynske Mentorer", "40000003", "Odense", OrganisationState.IN_REVIEW, 12),
    "E": ("Kreativt Fællesskab", "50000001", "Næstved", OrganisationState.MORE_INFORMATION, 20),
}


def _organisations() -> dict[str, Organisation]:
    created = {}
    for key, (name, cvr, municipality_name, state, days) in DEMO_ORGANISATIONS.items():
        existing = db.session.scalar(select(Organisation).where(Organisation.cvr == cvr))
        if existing is not None:
            created[key] = existing
            continue
        municipality = db.session.scalar(
            select(Municipality).where(Municipality.name == municipality_name)
        )
        assert municipality is not None, "load the reference data first"
        organisation = Organisation(
            name=name,
            cvr=cvr,
            municipality_id=municipality.id,
            area_office_id=municipality.area_office_id,
            state=state,
            submitted_at=utcnow() - timedelta(days=days),
            purpose="Demo-organisation til afprøvning af portalen.",
        )
        db.session.add(organisation)
        created[key] = organisation
    db.session.flush()
    return created


def seed_demo() -> list[DemoAccount]:
    """Create the demo organisations and accounts that do not exist yet; return the accounts."""
    organisations = _organisations()
    for account in DEMO_ACCOUNTS:
        user = accounts.find_user_by_email(account.email) or accounts.create_user(
            account.email, account.name, DEMO_PASSWORD
        )
        scope: dict[str, object] = {}
        if account.role.scope == "organisation_id":
            scope["organisation_id"] = organisations[account.scope].id
        elif account.role.scope == "area_office_id":
            scope["area_office_id"] = db.session.scalar(
                select(AreaOffice.id).where(AreaOffice.code == account.scope)
            )
        elif account.role.scope == "institution_id":
            scope["institution_id"] = db.session.scalar(
                select(Institution.id).where(Institution.name == account.scope)
            )
        accounts.grant_role(user, account.role, **scope)  # type: ignore[arg-type]
    ngo_admin = accounts.find_user_by_email("ngo-a.admin@example.org")
    assert ngo_admin is not None
    _demo_documents(organisations["A"], ngo_admin)
    if (
        accounts.find_user_by_email("ny.kollega@example.org") is None
        and not _has_pending_invitation()
    ):
        accounts.invite(
            "ny.kollega@example.org",
            "Nina Nielsen",
            Role.NGO_MEMBER,
            invited_by=ngo_admin,
            organisation_id=organisations["A"].id,
        )
    return list(DEMO_ACCOUNTS)


# The smallest PDF a viewer opens: one empty A4 page.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _demo_documents(organisation: Organisation, uploaded_by: User) -> None:
    exists = db.session.scalar(
        select(Document.id).where(Document.owner_id == organisation.id).limit(1)
    )
    if exists is None:
        documents.store(
            FileStorage(stream=io.BytesIO(DEMO_PDF), filename="Vedtægter 2025.pdf"),
            owner_type=OwnerType.ORGANISATION,
            owner_id=organisation.id,
            purpose="statutes",
            uploaded_by=uploaded_by,
            description="Vedtaget på den stiftende generalforsamling",
        )


def _has_pending_invitation() -> bool:
    return (
        db.session.scalar(
            select(AccountToken.id).where(AccountToken.email == "ny.kollega@example.org")
        )
        is not None
    )


def database_is_empty() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is None
