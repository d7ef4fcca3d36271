"""Calendars of approved activities: the occurrences in a date range, for an institution (every
organisation's activities there) or for an organisation (at every institution), laid out as a
month grid, a week or a list; and the gate's list of who is coming on one day.

Dates are Copenhagen calendar days and times Copenhagen wall-clock times (see ``recurrence``):
an activity at 18:00 is at 18:00 in March and in November alike. One query reads the
activities that touch the range (and one more their participants); the dates are computed
in Python, never loaded day by day.
"""

from __future__ import annotations

import calendar as _calendar
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from portal import db
from portal.models import Activity, ActivityParticipant, ActivityState, Institution
from portal.services import volunteer_status
from portal.services.recurrence import (
    COPENHAGEN,
    Recurrence,
    RecurrenceError,
    instants,
    occurrences,
)

log = logging.getLogger(__name__)

# The dates a calendar page accepts (a typed-in year 3 or 9999 falls back to today).
FIRST_YEAR = 2000
LAST_YEAR = 2100

# Why a participant may not come (activity_flags.BlockReason values), as the gate reads it.
BLOCK_REASONS = {
    "not_cleared": _l("ikke godkendt som frivillig"),
    "no_access": _l("ingen gyldig adgang til institutionen"),
    "declarations": _l("skal underskrive en erklæring igen"),
}


@dataclass(frozen=True)
class Occurrence:
    """One date of an approved activity, with its start and end as Copenhagen wall-clock
    times (aware datetimes) and as UTC instants."""

    activity: Activity
    day: date
    start: datetime
    end: datetime
    start_utc: datetime
    end_utc: datetime

    @property
    def blocked_count(self) -> int:
        return sum(1 for p in self.activity.participants if p.blocked_at is not None)


# --- reading ---------------------------------------------------------------------------------


def today(now: datetime | None = None) -> date:
    """Today in Copenhagen."""
    return volunteer_status.today(now)


def _last_date() -> Any:
    return func.coalesce(Activity.until_date, Activity.first_date)


def calendar_query() -> Select[tuple[Activity]]:
    """Activities with what a calendar shows of them loaded at once (the organisation, the
    institution and section, the participants' names), and nothing more: not the
    institutions' contacts, not the volunteers' access grants."""
    return select(Activity).options(
        joinedload(Activity.organisation).lazyload("*"),
        joinedload(Activity.institution).lazyload("*"),
        joinedload(Activity.section).lazyload("*"),
        selectinload(Activity.participants).joinedload(ActivityParticipant.volunteer).lazyload("*"),
    )


def _approved_between(first: date, last: date) -> Select[tuple[Activity]]:
    return calendar_query().where(
        Activity.state == ActivityState.APPROVED,
        Activity.first_date <= last,
        _last_date() >= first,
    )


def expand(activities: Iterable[Activity], first: date, last: date) -> list[Occurrence]:
    """The occurrences of ``activities`` from ``first`` through ``last`` (inclusive), in
    order of start, then title."""
    found = []
    for activity in activities:
        recurrence = Recurrence(
            activity.recurrence_kind,
            activity.first_date,
            activity.until_date if activity.recurrence_kind != "once" else None,
            activity.exception_dates,
        )
        try:
            days = occurrences(recurrence)
        except RecurrenceError:
            # Validated when it was sent; a stored row that no longer reads is left out
            # (and logged) rather than breaking everyone's calendar.
            log.warning("activity %s has dates that cannot be read", activity.id)
            continue
        for day in days:
            if not first <= day <= last:
                continue
            try:
                start_utc, end_utc = instants(day, activity.start_time, activity.end_time)
            except RecurrenceError:
                log.warning("activity %s has no valid time on %s", activity.id, day)
                continue
            found.append(
                Occurrence(
                    activity,
                    day,
                    start_utc.astimezone(COPENHAGEN),
                    end_utc.astimezone(COPENHAGEN),
                    start_utc,
                    end_utc,
                )
            )
    found.sort(key=lambda o: (o.start_utc, o.activity.title.casefold(), str(o.activity.id)))
    return found


def for_institution(institution_id: uuid.UUID, first: date, last: date) -> list[Occurrence]:
    """The approved activities' occurrences at an institution (all organisations)."""
    query = _approved_between(first, last).where(Activity.institution_id == institution_id)
    return expand(db.session.scalars(query).unique(), first, last)


def next_day_after(
    day: date, *, institution_id: uuid.UUID | None = None, organisation_id: uuid.UUID | None = None
) -> date | None:
    """The first date after ``day`` with an approved activity of the institution or the
    organisation (None if there is none), so an empty period can point to the next one."""
    last = day + timedelta(days=366 * 2)
    query = _approved_between(day + timedelta(days=1), last)
    if institution_id is not None:
        query = query.where(Activity.institution_id == institution_id)
    if organisation_id is not None:
        query = query.where(Activity.organisation_id == organisation_id)
    found = expand(db.session.scalars(query).unique(), day + timedelta(days=1), last)
    return found[0].day if found else None


def for_organisation(organisation_id: uuid.UUID, first: date, last: date) -> list[Occurrence]:
    """The organisation's approved activities' occurrences (all institutions)."""
    query = _approved_between(first, last).where(Activity.organisation_id == organisation_id)
    return expand(db.session.scalars(query).unique(), first, last)


# --- layout ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    is_today: bool
    entries: list[Occurrence] = field(default_factory=list)


@dataclass(frozen=True)
class Week:
    """Monday to Sunday; ``number`` is the ISO week number (Danish "uge")."""

    number: int
    days: list[Day]

    @property
    def first(self) -> date:
        return self.days[0].day

    @property
    def last(self) -> date:
        return self.days[-1].day

    @property
    def year(self) -> int:
        return self.first.isocalendar().year


@dataclass(frozen=True)
class Month:
    first: date  # the 1st of the month
    weeks: list[Week]

    @property
    def last(self) -> date:
        return self.first.replace(day=_calendar.monthrange(self.first.year, self.first.month)[1])

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return self.last + timedelta(days=1)

    @property
    def grid_first(self) -> date:
        return self.weeks[0].first

    @property
    def grid_last(self) -> date:
        return self.weeks[-1].last


def clamp(day: date | None, now: datetime | None = None) -> date:
    """``day`` if it is one a calendar can show, else today."""
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        return today(now)
    return day


def parse_day(raw: str | None, now: datetime | None = None) -> date:
    """A ``YYYY-MM-DD`` from the address, or today if it is missing or not a date."""
    try:
        return clamp(date.fromisoformat(raw) if raw else None, now)
    except ValueError:
        return today(now)


def _by_day(entries: Sequence[Occurrence]) -> dict[date, list[Occurrence]]:
    days: dict[date, list[Occurrence]] = {}
    for entry in entries:
        days.setdefault(entry.day, []).append(entry)
    return days


def month_weeks(first_of_month: date) -> list[list[date]]:
    """The weeks (Monday first) that the month's grid shows."""
    grid = _calendar.Calendar(firstweekday=_calendar.MONDAY)
    return grid.monthdatescalendar(first_of_month.year, first_of_month.month)


def month(day: date, entries: Sequence[Occurrence], now: datetime | None = None) -> Month:
    """The month of ``day`` as weeks of days, each with its entries (``entries`` should cover
    ``month_range(day)``)."""
    first = day.replace(day=1)
    by_day = _by_day(entries)
    current = today(now)
    weeks = [
        Week(
            days[0].isocalendar().week,
            [Day(d, d.month == first.month, d == current, by_day.get(d, [])) for d in days],
        )
        for days in month_weeks(first)
    ]
    return Month(first, weeks)


def month_range(day: date) -> tuple[date, date]:
    """The first and last date shown in the month grid of ``day`` (whole weeks)."""
    weeks = month_weeks(day.replace(day=1))
    return weeks[0][0], weeks[-1][-1]


def week_range(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def week(day: date, entries: Sequence[Occurrence], now: datetime | None = None) -> Week:
    """The week (Monday to Sunday) of ``day`` with each day's entries."""
    monday, _sunday = week_range(day)
    by_day = _by_day(entries)
    current = today(now)
    days = [monday + timedelta(days=n) for n in range(7)]
    return Week(
        monday.isocalendar().week,
        [Day(d, True, d == current, by_day.get(d, [])) for d in days],
    )


def listed(entries: Sequence[Occurrence], now: datetime | None = None) -> list[Day]:
    """Only the days that have entries, in order (the list view)."""
    current = today(now)
    return [Day(d, True, d == current, found) for d, found in sorted(_by_day(entries).items())]


# --- the gate --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateParticipant:
    name: str
    blocked: bool
    reason: Any  # a lazy text, or "" when not blocked


@dataclass(frozen=True)
class GateEntry:
    occurrence: Occurrence
    participants: list[GateParticipant]

    @property
    def coming(self) -> int:
        return sum(1 for p in self.participants if not p.blocked)


def _gate_participant(participant: ActivityParticipant) -> GateParticipant:
    blocked = participant.blocked_at is not None
    reason = BLOCK_REASONS.get(participant.blocked_reason, "") if blocked else ""
    return GateParticipant(participant.volunteer.name, blocked, reason)


def gate_list(institution: Institution, day: date) -> list[GateEntry]:
    """Who is coming to ``institution`` on ``day``: each approved activity that day with its
    participants by name (those who may not take part marked, never left out)."""
    return [
        GateEntry(
            occurrence,
            sorted(
                (_gate_participant(p) for p in occurrence.activity.participants),
                key=lambda p: p.name.casefold(),
            ),
        )
        for occurrence in for_institution(institution.id, day, day)
    ]
