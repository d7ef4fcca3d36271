"""Onboarding, the organisation's side: the start page, the registration steps, the receipt and
the case as the organisation sees it.

The step URLs are tried on two organisations: A (approved, so every step sends those who see it
to the status page) and a draft that belongs to nobody in the matrix (so only the admin and the
DPO see it, and may not edit it; a caseworker does not see a draft at all).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Municipality, Organisation, OrganisationScope, OrganisationState
from tests.matrix import (
    LOGIN_REDIRECT,
    SEES_ORG_A,
    UPLOADS_FOR_ORG_A,
    Route,
    anonymous_only,
    everyone,
    fixed,
    logged_in,
    tenant,
)
from tests.roles import ALL_ROLES, ANONYMOUS

# Drafts are visible to the system admin and the DPO, and to nobody else outside the applicant.
SEES_DRAFT = {"admin", "dpo"}
ORG_A_ADMIN = {"ngo_a_admin"}


def world(session: Session) -> dict[str, Any]:
    """A draft application of an organisation in area Øst, with no user of the matrix in it.

    Committed inside the test's transaction, which is rolled back after the test.
    """
    municipality = session.scalar(select(Municipality).where(Municipality.name == "Roskilde"))
    assert municipality is not None
    draft = Organisation(
        name="Kladdeforeningen",
        cvr="11000002",
        municipality_id=municipality.id,
        area_office_id=municipality.area_office_id,
        scope=OrganisationScope.LOCAL,
        state=OrganisationState.DRAFT,
    )
    session.add(draft)
    session.commit()
    return {"draft": draft.id}


def _only(roles: set[str], status: int, others: int = 404) -> dict[str, int]:
    """``status`` for ``roles``, ``others`` for the rest of the logged-in, login for anonymous."""
    return {
        role: LOGIN_REDIRECT if role == ANONYMOUS else status if role in roles else others
        for role in ALL_ROLES
    }


def _sees(sees: set[str], by_role: dict[str, int]) -> dict[str, int]:
    """404 for those who do not see the organisation; ``by_role`` for those who do."""
    expected = _only(set(), 0)
    for role in sees:
        expected[role] = by_role[role]
    return expected


def _org_a(suffix: str) -> Any:
    return lambda w: f"/bliv-samarbejdspartner/{w['org_a']}/{suffix}"


def _draft(suffix: str) -> Any:
    return lambda w: f"/bliv-samarbejdspartner/{w['draft']}/{suffix}"


STEPS = [
    ("GET", "onboarding.details", "organisation"),
    ("POST", "onboarding.details_post", "organisation"),
    ("GET", "onboarding.documents", "dokumenter"),
    ("POST", "onboarding.documents_post", "dokumenter"),
    ("GET", "onboarding.terms", "vilkaar"),
    ("POST", "onboarding.terms_post", "vilkaar"),
    ("GET", "onboarding.review", "tjek"),
]

ROUTES: list[Route] = [
    Route("GET", "onboarding.start", fixed("/bliv-samarbejdspartner"), everyone(200)),
    # the contact person's account: only for those not logged in
    Route(
        "GET", "onboarding.account", fixed("/bliv-samarbejdspartner/bruger"), anonymous_only(200)
    ),
    Route(
        "POST",
        "onboarding.account_post",
        fixed("/bliv-samarbejdspartner/bruger"),
        anonymous_only(400),
    ),
    # anyone logged in may start an organisation's application
    Route(
        "GET",
        "onboarding.new_organisation",
        fixed("/bliv-samarbejdspartner/organisation"),
        logged_in(200),
    ),
    Route(
        "POST",
        "onboarding.new_organisation_post",
        fixed("/bliv-samarbejdspartner/organisation"),
        logged_in(400),
    ),
    # the steps of a sent (here: approved) application lead to its status page
    *(
        Route(method, endpoint, _org_a(suffix), tenant(SEES_ORG_A, 302))
        for method, endpoint, suffix in STEPS
    ),
    # the steps of someone else's draft: only the admin and the DPO see it, and may not edit it
    *(
        Route(method, endpoint, _draft(suffix), _only(SEES_DRAFT, 403))
        for method, endpoint, suffix in STEPS
    ),
    # sending: only the organisation's admin; for a sent application, back to the status page
    Route(
        "POST",
        "onboarding.submit",
        _org_a("send"),
        _sees(SEES_ORG_A, {r: 302 if r in ORG_A_ADMIN else 403 for r in SEES_ORG_A}),
    ),
    Route("POST", "onboarding.submit", _draft("send"), _only(SEES_DRAFT, 403)),
    # the receipt is the organisation's; others who see the case are sent to its status page
    Route(
        "GET",
        "onboarding.receipt",
        _org_a("kvittering"),
        _sees(SEES_ORG_A, {r: 200 if r in UPLOADS_FOR_ORG_A else 302 for r in SEES_ORG_A}),
    ),
    Route("GET", "onboarding.receipt", _draft("kvittering"), _only(SEES_DRAFT, 302)),
    # the case: everyone who sees the organisation; answering only for its staff
    Route(
        "GET",
        "onboarding.status",
        lambda w: f"/organisationer/{w['org_a']}/sag",
        tenant(SEES_ORG_A, 200),
    ),
    Route(
        "GET",
        "onboarding.status",
        lambda w: f"/organisationer/{w['draft']}/sag",
        _only(SEES_DRAFT, 200),
    ),
    Route(
        "POST",
        "onboarding.answer",
        lambda w: f"/organisationer/{w['org_a']}/sag/svar",
        tenant(SEES_ORG_A, 400, others_seeing=403, uploads=UPLOADS_FOR_ORG_A),
    ),
    Route(
        "POST",
        "onboarding.answer",
        lambda w: f"/organisationer/{w['draft']}/sag/svar",
        _only(SEES_DRAFT, 403),
    ),
]
