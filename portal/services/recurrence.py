"""The dates and times of an activity: one date, or every (other) week until a date, with
exceptions; and the conversion of the institution's wall-clock times to UTC instants.

Activities happen in Denmark, so dates are Copenhagen calendar days and times are Copenhagen
wall-clock times: an activity at 18:00 stays at 18:00 local time across the daylight-saving
changes (its UTC instant moves by an hour). Two hours of the year need a decision:

- the hour that does not exist (the last Sunday of March, 02:00-03:00, when the clocks go
  forward) is refused with a message, rather than silently moved to another time;
- the hour that happens twice (the last Sunday of October, 02:00-03:00) is read as its first
  occurrence (``fold=0``, still summer time), as most calendar programs do.

Pure functions, no database. Errors are ``RecurrenceError`` with a translated (lazy) message,
so they can be raised outside a request and shown in the reader's language.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import LazyString, format_date, format_time
from flask_babel import lazy_gettext as _l

COPENHAGEN = ZoneInfo("Europe/Copenhagen")

# A proposal covers at most two years (an approval is re-decided rather than held open
# forever) and at most this many dates (a guard for the calendar and the gate lists).
MAX_YEARS = 2
MAX_OCCURRENCES = 200


class RecurrenceError(Exception):
    """Dates or times that cannot make an activity, with a message for the user."""

    def __init__(self, message: Any) -> None:
        # Kept lazy: str(error) renders it in the locale active at that moment.
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class RecurrenceKind(enum.StrEnum):
    ONCE = "once"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"  # every other week


_STEP = {RecurrenceKind.WEEKLY: timedelta(weeks=1), RecurrenceKind.BIWEEKLY: timedelta(weeks=2)}


@dataclass(frozen=True)
class Recurrence:
    """When an activity takes place: ``first`` alone (``once``), or every week or every other
    week from ``first`` through ``until`` (inclusive), leaving out the ``exceptions``."""

    kind: str  # a RecurrenceKind value
    first: date
    until: date | None = None
    exceptions: frozenset[date] = field(default_factory=frozenset)


def long_date(day: date) -> LazyString:
    """``day`` as "12. marts 2027", formatted when shown (in the reader's locale)."""
    return LazyString(format_date, day, "d. MMMM y")


def _clock(at: time) -> LazyString:
    # rebase=False: a wall-clock time, not a UTC time to convert.
    return LazyString(format_time, at, "short", rebase=False)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a year without one
        return day.replace(year=day.year + years, day=28)


def _series(rec: Recurrence) -> list[date]:
    """Every date of the series before the exceptions are taken out (validated)."""
    try:
        kind = RecurrenceKind(rec.kind)
    except ValueError:
        raise RecurrenceError(
            _l("Vælg, om aktiviteten er én gang, hver uge eller hver anden uge.")
        ) from None
    if kind == RecurrenceKind.ONCE:
        if rec.until is not None and rec.until != rec.first:
            raise RecurrenceError(
                _l("En aktivitet, der kun er én gang, kan ikke have en slutdato.")
            )
        return [rec.first]
    if rec.until is None:
        raise RecurrenceError(_l("Vælg, hvornår gentagelsen slutter."))
    if rec.until < rec.first:
        raise RecurrenceError(
            _l(
                "Slutdatoen %(until)s ligger før den første dato, %(first)s.",
                until=long_date(rec.until),
                first=long_date(rec.first),
            )
        )
    last_allowed = _years_after(rec.first, MAX_YEARS)
    if rec.until > last_allowed:
        raise RecurrenceError(
            _l(
                "En gentagelse kan højst vare %(years)s år: vælg en slutdato senest %(last)s.",
                years=MAX_YEARS,
                last=long_date(last_allowed),
            )
        )
    step = _STEP[kind]
    count = (rec.until - rec.first) // step + 1
    if count > MAX_OCCURRENCES:
        raise RecurrenceError(
            _l(
                "En aktivitet kan højst have %(max)s datoer; denne gentagelse giver %(count)s. Vælg en tidligere slutdato.",
                max=MAX_OCCURRENCES,
                count=count,
            )
        )
    return [rec.first + step * n for n in range(count)]


def occurrences(rec: Recurrence) -> list[date]:
    """The activity's dates in order: the series from ``first`` through ``until`` minus the
    exceptions. Raises RecurrenceError if ``until`` is missing (for a repetition) or before
    ``first``, the series is longer than MAX_YEARS / MAX_OCCURRENCES, an exception is not one
    of the series' dates, or no date is left."""
    series = _series(rec)
    in_series = set(series)
    for day in sorted(rec.exceptions):
        if day not in in_series:
            raise RecurrenceError(
                _l(
                    "Undtagelsen %(date)s er ikke en af aktivitetens datoer.",
                    date=long_date(day),
                )
            )
    days = [day for day in series if day not in rec.exceptions]
    if not days:
        raise RecurrenceError(_l("Alle aktivitetens datoer er undtaget; der er ingen tilbage."))
    return days


def _to_utc(day: date, at: time) -> datetime:
    local = datetime.combine(day, at.replace(fold=0), tzinfo=COPENHAGEN)
    instant = local.astimezone(UTC)
    # A wall-clock time in the hour skipped in spring does not survive the round trip.
    if instant.astimezone(COPENHAGEN).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise RecurrenceError(
            _l(
                "Klokken %(time)s findes ikke den %(date)s, fordi uret stilles en time frem til sommertid. Vælg et andet tidspunkt.",
                time=_clock(at),
                date=long_date(day),
            )
        )
    return instant


def instants(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """The UTC start and end of an activity on ``day`` from ``start`` to ``end`` Copenhagen
    wall-clock time (the same day: activities do not run past midnight).

    Refuses an end not after the start and a time in the hour skipped in spring; a time in
    the hour repeated in autumn is its first occurrence (summer time).
    """
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("wall-clock times without a time zone are expected")
    if end <= start:
        raise RecurrenceError(_l("Sluttidspunktet skal ligge efter starttidspunktet."))
    return _to_utc(day, start), _to_utc(day, end)


def schedule(rec: Recurrence, start: time, end: time) -> list[tuple[datetime, datetime]]:
    """The UTC start and end of every date of ``rec`` (``occurrences`` with ``instants``)."""
    return [instants(day, start, end) for day in occurrences(rec)]
