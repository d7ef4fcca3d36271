"""Grant rounds: their phase by the clock, publishing, and the figures of the pool.

The server decides, to the second, whether a round takes applications: from ``opens_at``
through ``deadline_at`` inclusive (an application sent at 12:00:00 on a 12:00 deadline is on
time, one at 12:00:01 is late). Times are stored as UTC instants; officers enter and everyone
reads them in Europe/Copenhagen.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db
from portal.db import utcnow
from portal.models import GrantRound, RoundState, User
from portal.services.recurrence import COPENHAGEN


class Phase(enum.StrEnum):
    DRAFT = "draft"
    ANNOUNCED = "announced"  # published, not open yet
    OPEN = "open"
    CLOSED = "closed"  # deadline passed, assessment not started
    IN_ASSESSMENT = "in_assessment"
    DECIDED = "decided"
    FINISHED = "finished"


class RoundError(Exception):
    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


def _second(instant: datetime) -> datetime:
    return instant.replace(microsecond=0)


def phase(grant_round: GrantRound, now: datetime | None = None) -> Phase:
    """Where the round is now: its stored state, and for a published round the clock."""
    if grant_round.state != RoundState.PUBLISHED:
        return Phase(grant_round.state.value)
    now = _second(now or utcnow())
    if now < grant_round.opens_at:
        return Phase.ANNOUNCED
    if now <= grant_round.deadline_at:
        return Phase.OPEN
    return Phase.CLOSED


def accepting(grant_round: GrantRound, now: datetime | None = None) -> bool:
    """Whether applications may be changed and submitted now (the server's clock decides)."""
    return phase(grant_round, now) == Phase.OPEN


def copenhagen_instant(day: date, at: time) -> datetime:
    """A Copenhagen wall-clock date and time as a UTC instant, for openings and deadlines:
    the hour skipped in spring is refused, the repeated autumn hour is its first occurrence."""
    wall = datetime.combine(day, at.replace(fold=0), tzinfo=COPENHAGEN)
    instant = wall.astimezone(UTC)
    if instant.astimezone(COPENHAGEN).replace(tzinfo=None) != wall.replace(tzinfo=None):
        raise RoundError(
            _l(
                "Klokken %(time)s findes ikke den dag, fordi uret stilles en time frem til sommertid. Vælg et andet tidspunkt.",
                time=at.strftime("%H:%M"),
            )
        )
    return instant


def local(instant: datetime) -> datetime:
    return instant.astimezone(COPENHAGEN)


def publishing_problems(grant_round: GrantRound, now: datetime | None = None) -> list[Any]:
    """What must be in place before a round is published (empty: it may be)."""
    problems: list[Any] = []
    now = _second(now or utcnow())
    if not grant_round.name_da.strip():
        problems.append(_l("Giv runden et navn."))
    if not grant_round.description_da.strip():
        problems.append(_l("Beskriv runden."))
    if not grant_round.criteria_da.strip():
        problems.append(_l("Skriv kriterierne for at få tilskud."))
    if not grant_round.criteria:
        problems.append(_l("Læg mindst ét kriterium ind i bedømmelsesskemaet."))
    if grant_round.max_per_application_ore > grant_round.pool_ore:
        problems.append(_l("Det højeste beløb pr. ansøgning kan ikke være større end puljen."))
    if grant_round.deadline_at <= grant_round.opens_at:
        problems.append(_l("Ansøgningsfristen skal ligge efter åbningen."))
    elif grant_round.deadline_at < now:
        # Published, it would be closed at once and take no applications at all.
        problems.append(_l("Ansøgningsfristen er passeret. Vælg en frist i fremtiden."))
    if local(grant_round.deadline_at).date() >= grant_round.reporting_deadline:
        problems.append(_l("Fristen for afrapportering skal ligge efter ansøgningsfristen."))
    return problems


def publish(
    grant_round: GrantRound,
    actor: User,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """Publish a draft round (it opens and closes by the clock from then on)."""
    if expected_version is not None and expected_version != grant_round.version:
        raise RoundError(
            _l("Runden er blevet ændret af en anden. Se den nye udgave, og prøv igen.")
        )
    if grant_round.state != RoundState.DRAFT:
        raise RoundError(_l("Runden er allerede offentliggjort."))
    now = now or utcnow()
    problems = publishing_problems(grant_round, now)
    if problems:
        raise RoundError(problems[0])
    grant_round.state = RoundState.PUBLISHED
    grant_round.published_at = now
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise RoundError(
            _l("Runden er blevet ændret af en anden. Se den nye udgave, og prøv igen.")
        ) from None
    audit.record(
        "grant_round.publish",
        object_type="grant_round",
        object_id=grant_round.id,
        details={
            "opens_at": grant_round.opens_at.isoformat(),
            "deadline_at": grant_round.deadline_at.isoformat(),
            "pool_ore": grant_round.pool_ore,
        },
        actor_id=str(actor.id),
    )


def open_rounds(now: datetime | None = None) -> list[GrantRound]:
    """Published rounds that are announced or open now, the earliest deadline first."""
    now = now or utcnow()
    rounds = db.session.scalars(
        select(GrantRound)
        .where(GrantRound.state == RoundState.PUBLISHED, GrantRound.deadline_at >= _second(now))
        .order_by(GrantRound.deadline_at)
    )
    return list(rounds)
