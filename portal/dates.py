"""Dates as people type them in forms: Danish (12.03.2027, 12-03-2027, 12/3/2027)
or ISO (2027-03-12, what a date picker sends), one or several in a text field."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

_DANISH = re.compile(r"^(\d{1,2})[.\-/](\d{1,2})[.\-/](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# Several dates in one field: one per line, or separated by commas, semicolons or spaces.
_SEPARATORS = re.compile(r"[\s,;]+")


def parse_day(text: str) -> date | None:
    """The date ``text`` names, or None if it is not a date in a known form."""
    text = text.strip().rstrip(".")  # "12.03.2027." at the end of a sentence
    found = _DANISH.match(text)
    if found:
        day, month, year = (int(part) for part in found.groups())
    else:
        found = _ISO.match(text)
        if not found:
            return None
        year, month, day = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_days(text: str) -> tuple[list[date], list[str]]:
    """The dates in ``text`` (in order, without repeats) and the parts that are not dates."""
    days: list[date] = []
    bad: list[str] = []
    for part in _SEPARATORS.split(text or ""):
        if not part:
            continue
        day = parse_day(part)
        if day is None:
            bad.append(part)
        elif day not in days:
            days.append(day)
    return days, bad


def danish(day: date) -> str:
    """``day`` as it is typed in the form: 12.03.2027."""
    return day.strftime("%d.%m.%Y")


def danish_lines(days: Iterable[date]) -> str:
    return "\n".join(danish(day) for day in sorted(days))
