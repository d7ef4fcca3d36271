"""Demo volunteers in each state of their flow, made through the same services as real ones
(so their signatures carry real, verifiable evidence and receipts).

Organisation A (area office Øst) gets one volunteer per state; the demo volunteer account
(volunteer@example.org, Mette Hansen) is cleared with access, so her own page has content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.models import (
    CheckOutcome,
    IdentityMethod,
    Institution,
    Organisation,
    User,
    Volunteer,
)
from portal.services import accounts, clearance, signing, volunteers
from portal.services.volunteers import NewVolunteer

DEMO_VOLUNTEER_PASSWORD = "demo-password-1"  # noqa: S105 - the demo password, as in demo.py


@dataclass(frozen=True)
class DemoVolunteer:
    name: str
    email: str
    birth_date: date
    cpr: str
    stage: str  # invited | lapsed | awaiting_check | cleared
    days_ago: int  # when the organisation registered them
    access: tuple[str, ...] = ()
    access_days_left: int | None = None  # None: the rule profile's default
    visiting_friend: bool = False


DEMO_VOLUNTEERS = (
    DemoVolunteer(
        "Mette Hansen",
        "volunteer@example.org",
        date(1988, 4, 12),
        "1204881234",
        "cleared",
        40,
        # Storstrøm Fængsel too, so the demo proposal there (demo_activities) keeps the rules.
        access=("Vestre Fængsel", "Horserød Fængsel", "Storstrøm Fængsel"),
        visiting_friend=True,
    ),
    DemoVolunteer(
        "Birgitte Lund",
        "birgitte.lund@example.org",
        date(1961, 9, 3),
        "0309611236",
        "cleared",
        340,
        access=("Storstrøm Fængsel",),
        access_days_left=20,
    ),
    DemoVolunteer(
        "Ali Hassan",
        "ali.hassan@example.org",
        date(1985, 3, 15),
        "1503851237",
        "awaiting_check",
        6,
    ),
    DemoVolunteer("Jonas Berg", "jonas.berg@example.org", date(1999, 11, 30), "", "invited", 2),
    DemoVolunteer("Sara Nielsen", "sara.nielsen@example.org", date(2001, 1, 21), "", "lapsed", 20),
)


def seed_volunteers(organisation: Organisation) -> None:
    """Create the demo volunteers of ``organisation`` that do not exist yet."""
    existing = set(
        db.session.scalars(
            select(Volunteer.email).where(Volunteer.organisation_id == organisation.id)
        )
    )
    ngo_admin = accounts.find_user_by_email("ngo-a.admin@example.org")
    caseworker = accounts.find_user_by_email("caseworker.ost@example.org")
    assert ngo_admin is not None and caseworker is not None
    for demo in DEMO_VOLUNTEERS:
        if demo.email not in existing:
            _create(organisation, demo, ngo_admin, caseworker)


def _create(
    organisation: Organisation, demo: DemoVolunteer, ngo_admin: User, caseworker: User
) -> None:
    now = utcnow()
    registered = now - timedelta(days=demo.days_ago)
    volunteer = volunteers.register(
        organisation,
        ngo_admin,
        NewVolunteer(
            name=demo.name,
            email=demo.email,
            birth_date=demo.birth_date,
            visiting_friend=demo.visiting_friend,
        ),
        now=registered,
    )
    if demo.stage in ("invited", "lapsed"):
        return
    signed = registered + timedelta(days=1)
    _sign(volunteer, demo, signed)
    if demo.stage == "awaiting_check":
        return
    checked = signed + timedelta(days=3)
    volunteers.add_preparation(
        volunteer,
        ngo_admin,
        prepared_on=(checked - timedelta(days=1)).date(),
        material="Introaften om sikkerhedsregler og tavshedspligt",
        prepared_by=ngo_admin.name,
        now=checked,
    )
    clearance.record_outcome(
        volunteer, caseworker, outcome=CheckOutcome.CLEARED, check_date=checked.date(), now=checked
    )
    institutions = list(
        db.session.scalars(select(Institution).where(Institution.name.in_(demo.access)))
    )
    until = (
        (now + timedelta(days=demo.access_days_left)).date()
        if demo.access_days_left is not None
        else None
    )
    clearance.grant_access(volunteer, caseworker, institutions, valid_until=until, now=checked)


def _sign(volunteer: Volunteer, demo: DemoVolunteer, when: datetime) -> None:
    user = accounts.find_user_by_email(demo.email)
    if user is None:
        user = accounts.create_user(demo.email, demo.name, DEMO_VOLUNTEER_PASSWORD)
    signing.attach_account(volunteer, user, when)
    signing.give_cpr(volunteer, demo.cpr, when)
    proof = signing.Proof(volunteer.id, IdentityMethod.LINK_BIRTH_DATE, when)
    pending = signing.pending_declarations(volunteer, "da")
    signing.sign_declarations(
        volunteer,
        user,
        proof,
        language="da",
        act="Jeg underskriver",
        shown=signing.shown_digest(pending),
        ip_address="127.0.0.1",
        user_agent="demo data",
        now=when,
    )
