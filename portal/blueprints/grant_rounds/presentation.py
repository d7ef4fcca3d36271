"""How a round reads: its phase as a tag, and its times as sentences on the Copenhagen clock
("Fristen er mandag den 1. marts 2027 kl. 12.00")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_date, format_time
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.models import GrantRound
from portal.services.grant_rounds import Phase, local, phase

PHASE_LABELS: dict[Phase, Any] = {
    Phase.DRAFT: _l("Kladde"),
    Phase.ANNOUNCED: _l("Annonceret, ikke åben endnu"),
    Phase.OPEN: _l("Åben for ansøgninger"),
    Phase.CLOSED: _l("Lukket for ansøgninger"),
    Phase.IN_ASSESSMENT: _l("Under bedømmelse"),
    Phase.DECIDED: _l("Afgjort"),
    Phase.FINISHED: _l("Afsluttet"),
}
PHASE_TAGS: dict[Phase, str | None] = {
    Phase.DRAFT: None,
    Phase.ANNOUNCED: "info",
    Phase.OPEN: "success",
    Phase.CLOSED: "warning",
    Phase.IN_ASSESSMENT: "info",
    Phase.DECIDED: "success",
    Phase.FINISHED: None,
}


def _locale() -> str:
    return str(get_locale() or "da")


def day_and_time(instant: datetime) -> tuple[str, str]:
    """The Copenhagen date in full ("mandag den 1. marts 2027") and the time ("12.00")."""
    wall = local(instant)
    return (
        format_date(wall.date(), "full", locale=_locale()),
        format_time(wall.time().replace(tzinfo=None), "short", locale=_locale()),
    )


def deadline_sentence(grant_round: GrantRound) -> str:
    day, at = day_and_time(grant_round.deadline_at)
    return _("Fristen er %(day)s kl. %(time)s", day=day, time=at)


def opening_sentence(grant_round: GrantRound) -> str:
    day, at = day_and_time(grant_round.opens_at)
    return _("Runden åbner %(day)s kl. %(time)s", day=day, time=at)


def short(instant: datetime) -> str:
    """Date and time on one line for tables ("1. mar. 2027 12.00")."""
    wall = local(instant)
    return "{} {}".format(
        format_date(wall.date(), "medium", locale=_locale()),
        format_time(wall.time().replace(tzinfo=None), "short", locale=_locale()),
    )


def phase_of(grant_round: GrantRound, now: datetime | None = None) -> tuple[Phase, Any, Any]:
    """The round's phase now, with its label and tag kind."""
    found = phase(grant_round, now)
    return found, PHASE_LABELS[found], PHASE_TAGS[found]
