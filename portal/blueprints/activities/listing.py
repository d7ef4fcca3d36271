"""What the activity pages show: the lists' queries, an activity's dates, and why a participant
is blocked, in words. Reading only; state changes are in the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select

from portal import db
from portal.auth.permissions import decidable_institution_ids
from portal.models import (
    Activity,
    ActivityState,
    Institution,
    Organisation,
    Role,
    User,
)
from portal.services import activities
from portal.services.activity_flags import BlockReason
from portal.services.recurrence import RecurrenceError

# Why a participant may no longer take part (ActivityParticipant.blocked_reason), for both sides.
BLOCK_TEXTS: dict[str, Any] = {
    BlockReason.NOT_CLEARED: _l(
        "Er ikke længere godkendt til at deltage (samtykket er trukket tilbage, eller den frivillige er ikke godkendt)."
    ),
    BlockReason.NO_ACCESS: _l(
        "Har ikke adgang til institutionen på en eller flere af de kommende datoer (adgangen er udløbet eller tilbagekaldt)."
    ),
    BlockReason.DECLARATIONS: _l("Skal underskrive en ny version af en erklæring."),
}
BLOCKED_UNKNOWN = _l("Må ikke deltage.")


def block_text(reason: str) -> Any:
    return BLOCK_TEXTS.get(reason, BLOCKED_UNKNOWN)


# --- the lists ---------------------------------------------------------------------------------


def _upcoming_first(query: Select[Any], today: date) -> Select[Any]:
    """Activities with dates left first (by first date), then the past ones (latest first)."""
    last = func.coalesce(Activity.until_date, Activity.first_date)
    upcoming = last >= today
    return query.order_by(
        case((upcoming, 0), else_=1),
        case((upcoming, Activity.first_date), else_=None),
        last.desc(),
        Activity.title,
        Activity.id,
    )


def organisation_activities(
    organisation: Organisation, state: ActivityState | None, today: date
) -> Select[tuple[Activity]]:
    query = select(Activity).where(Activity.organisation_id == organisation.id)
    if state is not None:
        query = query.where(Activity.state == state)
    return _upcoming_first(query, today)


def all_activities(state: ActivityState | None, today: date) -> Select[tuple[Activity]]:
    """Every organisation's activities (the admin's and the DPO's read-only list)."""
    query = select(Activity)
    if state is not None:
        query = query.where(Activity.state == state)
    return _upcoming_first(query, today)


def decidable_institutions(user: User) -> list[Institution]:
    return list(
        db.session.scalars(
            select(Institution)
            .where(Institution.id.in_(decidable_institution_ids(user)))
            .order_by(Institution.name)
        )
    )


def queue(
    user: User, institution_id: uuid.UUID | None, state: ActivityState | None
) -> Select[tuple[Activity]]:
    """The activities at the institutions where ``user`` decides, the longest waiting first."""
    query = select(Activity).where(Activity.institution_id.in_(decidable_institution_ids(user)))
    if institution_id is not None:
        query = query.where(Activity.institution_id == institution_id)
    if state is not None:
        query = query.where(Activity.state == state)
    return query.order_by(Activity.sent_at, Activity.id)


def is_decider(user: User) -> bool:
    return user.has_role(Role.INSTITUTION_CONTACT, Role.CASEWORKER)


# --- one activity ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    excepted: bool  # one of the series' dates that is left out
    past: bool


def days_of(activity: Activity, today: date) -> tuple[list[Day], Any]:
    """The activity's dates with the left-out ones in place, and a message if they cannot be
    computed (an activity changed in the database by hand)."""
    try:
        held = activities.dates_of(activity)
    except RecurrenceError as error:
        return [], error.message
    left_out = activity.exception_dates
    every = sorted(set(held) | left_out)
    return [Day(day, day in left_out, day < today) for day in every], None


def next_date(activity: Activity, today: date) -> date | None:
    """The activity's next date from today (None when all have passed)."""
    try:
        return next((day for day in activities.dates_of(activity) if day >= today), None)
    except RecurrenceError:
        return None
