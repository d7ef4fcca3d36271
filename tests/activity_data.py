"""Shared setup for the activity service tests (test_activities, test_activity_workflow,
test_activity_flags, test_activity_concurrency): the demo's people and places, a proposal
that keeps every rule at Vestre Fængsel or Storstrøm Fængsel, and sending it through the
real services. Call these inside an app context.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import func, select

from portal import db
from portal.models import (
    Activity,
    ActivityEvent,
    AuditEntry,
    Institution,
    Organisation,
    Role,
    User,
    Volunteer,
)
from portal.services import accounts, activities, activity_workflow, clearance
from portal.services.accounts import find_user_by_email
from portal.services.activities import Proposal
from portal.services.volunteer_status import today
from tests.roles import ROLE_ACCOUNTS

ORG_A = "Foreningen Nyt Netværk"  # approved, Øst; ngo_a_admin and ngo_a_member
ORG_B = "Vestjyske Besøgsvenner"  # approved, Vest; ngo_b_admin
ORG_C = "Gældsrådgivning Sjælland"  # submitted (not approved), Øst
VESTRE = "Vestre Fængsel"  # arrest, Øst; no institution contact in the portal
STORSTROM = "Storstrøm Fængsel"  # closed, Øst; institution@example.org is its contact
HORSEROD = "Horserød Fængsel"  # open, Øst
# Allowed at every level of the seeded profiles.
PAPER = "Undervisningsmateriale på papir"


def user(role: str) -> User:
    found = find_user_by_email(ROLE_ACCOUNTS[role])
    assert found is not None, role
    return found


def new_user(email: str, name: str, role: Role, **scope: Any) -> User:
    """A person who is not in the demo (e-mails under example.test, never the demo's)."""
    person = accounts.create_user(email, name, None)
    accounts.grant_role(person, role, **scope)
    db.session.flush()
    return person


def organisation(name: str = ORG_A) -> Organisation:
    found = db.session.scalar(select(Organisation).where(Organisation.name == name))
    assert found is not None, name
    return found


def institution(name: str) -> Institution:
    found = db.session.scalar(select(Institution).where(Institution.name == name))
    assert found is not None, name
    return found


def volunteer(name: str, organisation_name: str = ORG_A) -> Volunteer:
    found = db.session.scalar(
        select(Volunteer)
        .join(Organisation, Organisation.id == Volunteer.organisation_id)
        .where(Volunteer.name == name, Organisation.name == organisation_name)
    )
    assert found is not None, name
    return found


def in_days(days: int) -> date:
    return today() + timedelta(days=days)


def proposal(
    where: str = VESTRE,
    participants: Sequence[Volunteer] | None = None,
    *,
    start_in: int = 28,
    weeks: int = 4,
    **changes: Any,
) -> Proposal:
    """A weekly visiting-friend activity from ``start_in`` days ahead, ``weeks`` dates, with
    escort arranged and only paper brought: it keeps the rules of Vestre Fængsel (arrest)
    and Storstrøm Fængsel (closed) for Mette Hansen (who needs access at Storstrøm)."""
    people = participants if participants is not None else [volunteer("Mette Hansen")]
    first = in_days(start_in)
    values: dict[str, Any] = {
        "institution_id": institution(where).id,
        "kind": "visiting_friend",
        "title": "Besøgsven om tirsdagen",
        "description": "Samtaler og spil med indsatte, der ikke får andet besøg.",
        "target_group": "Indsatte uden besøg",
        "first_date": first,
        "recurrence_kind": "weekly" if weeks > 1 else "once",
        "until_date": first + timedelta(weeks=weeks - 1) if weeks > 1 else None,
        "start_time": time(18, 0),
        "end_time": time(20, 0),
        "participant_ids": tuple(v.id for v in people),
        "items": (PAPER,),
        "escort_arranged": True,
    }
    return dataclasses.replace(Proposal(**values), **changes)


def give_access(person: Volunteer, where: str, valid_until: date | None = None) -> None:
    """Access for ``person`` at ``where`` through the caseworker's real service."""
    clearance.grant_access(
        person, user("caseworker_ost"), [institution(where)], valid_until=valid_until
    )
    db.session.flush()


def send(the_proposal: Proposal | None = None, actor: str = "ngo_a_admin") -> Activity:
    """Propose as organisation A's ``actor`` (raises ProposalRefused if a rule fails)."""
    activity = activities.propose(organisation(ORG_A), the_proposal or proposal(), user(actor))
    db.session.flush()
    return activity


def approve(activity: Activity, actor: str = "caseworker_ost") -> Activity:
    activity_workflow.apply(activity, "approve", user(actor))
    db.session.flush()
    return activity


def events(activity: Activity) -> list[tuple[str, str, str]]:
    """The history as (action, from state, to state)."""
    return [(e.action, e.from_state, e.to_state) for e in activity_workflow.history(activity)]


def audited(activity: Activity, action: str | None = None) -> list[str]:
    query = select(AuditEntry.action).where(AuditEntry.object_id == str(activity.id))
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


def count(model: type[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def counts() -> dict[str, int]:
    """How many activities, events and audit entries there are (to show nothing was saved)."""
    return {
        "activities": count(Activity),
        "events": count(ActivityEvent),
        "audit": count(AuditEntry),
    }


def activity_mails(outbox: list[Any], title: str) -> list[Any]:
    """The e-mails about the activity called ``title`` (the subject names it)."""
    return [message for message in outbox if title in message.subject]


def recipients_of(outbox: list[Any], title: str) -> list[str]:
    return sorted(message.to for message in activity_mails(outbox, title))


def unique_title(prefix: str = "Aktivitet") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"
