"""The area office's volunteer pages and the volunteer's withdrawal of consent.

The world holds, in organisation A (area Øst): a volunteer awaiting the register check (with an
encrypted CPR number), and a cleared volunteer with access to an Øst institution whose record
belongs to the demo volunteer account (so it may withdraw its own consent); and in
organisation B (Vest) a volunteer awaiting the check. Everyone but a caseworker is stopped by
the role gate (403) before the volunteer is looked up; the other office's caseworker gets 404.
A POST with an empty body is an invalid form (400), except the reveal and the withdrawal, whose
forms hold nothing but the CSRF token (off in these tests).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import cpr
from portal.db import utcnow
from portal.models import (
    AccessGrant,
    CheckOutcome,
    Institution,
    Organisation,
    Role,
    User,
    Volunteer,
    VolunteerState,
)
from tests.matrix import LOGIN_REDIRECT, Route, fixed, only
from tests.roles import ALL_ROLES, ANONYMOUS

CASEWORKERS = {"caseworker_ost", "caseworker_vest"}


def own_office(office: str, status: int) -> dict[str, int]:
    """``status`` for the caseworker of ``office``, 404 for the other office, 403 for the rest."""
    expected = {role: 403 for role in ALL_ROLES}
    expected[ANONYMOUS] = LOGIN_REDIRECT
    for caseworker in CASEWORKERS:
        expected[caseworker] = status if caseworker == f"caseworker_{office}" else 404
    return expected


def _volunteer(key: str, suffix: str = "") -> Any:
    return lambda w: f"/tjek/frivillige/{w[key]}{suffix}"


def _withdraw(w: dict[str, Any]) -> str:
    return f"/mig/frivillig/{w['clearance_own_volunteer']}/tilbagetraek"


ROUTES: list[Route] = [
    Route("GET", "clearance.queue", fixed("/tjek"), only(CASEWORKERS, 200)),
    Route("GET", "clearance.volunteer", _volunteer("clearance_ost"), own_office("ost", 200)),
    Route("GET", "clearance.volunteer", _volunteer("clearance_vest"), own_office("vest", 200)),
    Route(
        "POST", "clearance.reveal_cpr", _volunteer("clearance_ost", "/cpr"), own_office("ost", 200)
    ),
    Route(
        "POST",
        "clearance.record_outcome",
        _volunteer("clearance_ost", "/udfald"),
        own_office("ost", 400),
    ),
    Route(
        "GET",
        "clearance.grant_access",
        _volunteer("clearance_own_volunteer", "/adgang"),
        own_office("ost", 200),
    ),
    Route(
        "POST",
        "clearance.grant_access",
        _volunteer("clearance_own_volunteer", "/adgang"),
        own_office("ost", 400),
    ),
    Route(
        "POST",
        "clearance.revoke_access",
        lambda w: f"/tjek/adgang/{w['clearance_grant']}/tilbagekald",
        own_office("ost", 400),
    ),
    Route("GET", "clearance.withdraw", _withdraw, only({"volunteer"}, 200)),
    Route("POST", "clearance.withdraw", _withdraw, only({"volunteer"}, 302)),
]


def world(session: Session) -> dict[str, Any]:
    def organisation(name: str) -> Any:
        return session.scalar(select(Organisation.id).where(Organisation.name == name))

    org_a = organisation("Foreningen Nyt Netværk")
    ngo_b_admin = session.scalar(select(User).where(User.email == "ngo-b.admin@example.org"))
    assert ngo_b_admin is not None
    org_b = next(iter(ngo_b_admin.scopes(Role.NGO_ADMIN)))  # organisation B, area Vest
    signed = utcnow() - timedelta(days=2)

    def awaiting(organisation_id: Any, email: str) -> Volunteer:
        volunteer = Volunteer(
            organisation_id=organisation_id,
            name="Matrix Frivillig",
            email=email,
            birth_date=date(1990, 1, 1),
            state=VolunteerState.AWAITING_CHECK,
            signed_at=signed,
            cpr_given_at=signed,
        )
        session.add(volunteer)
        session.flush()
        volunteer.cpr_ciphertext = cpr.encrypt("0101901234", volunteer.id)
        return volunteer

    ost = awaiting(org_a, "clearance.matrix.ost@example.org")
    vest = awaiting(org_b, "clearance.matrix.vest@example.org")
    owner = session.scalar(select(User.id).where(User.email == "volunteer@example.org"))
    own = Volunteer(
        organisation_id=org_a,
        user_id=owner,
        name="Mette Hansen",
        email="clearance.matrix.own@example.org",
        birth_date=date(1985, 5, 5),
        state=VolunteerState.CLEARED,
        signed_at=signed,
        check_outcome=CheckOutcome.CLEARED,
        check_date=signed.date(),
        checked_at=signed,
    )
    session.add(own)
    session.flush()
    institution = session.scalar(select(Institution.id).where(Institution.name == "KiF København"))
    grant = AccessGrant(
        volunteer_id=own.id,
        institution_id=institution,
        valid_from=signed.date(),
        valid_until=signed.date() + timedelta(days=100),
    )
    session.add(grant)
    session.commit()
    return {
        "clearance_ost": ost.id,
        "clearance_vest": vest.id,
        "clearance_own_volunteer": own.id,
        "clearance_grant": grant.id,
    }
