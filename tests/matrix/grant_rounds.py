"""The grant rounds: the published rounds for everyone logged in (/tilskud), and the grant
officer's pages (list, a round, new, edit, publish) on a draft round.

The list and the round's page are read by grant officers, the admin and the DPO; only grant
officers create, change and publish (the admin and DPO get 403 from the role gate, as everyone
else). A POST with an empty body is an invalid form (400).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from portal.models import GrantRound, RoundState
from tests.matrix import Route, fixed, logged_in, only

OFFICERS = {"grant_officer"}
READERS = {"grant_officer", "admin", "dpo"}


def world(session: Session) -> dict[str, Any]:
    """A draft round (made directly: the matrix tests who reaches the pages)."""
    grant_round = GrantRound(
        name_da="Matrixrunde",
        pool_ore=100_000_000,
        max_per_application_ore=10_000_000,
        opens_at=datetime(2031, 1, 6, 8, tzinfo=UTC),
        deadline_at=datetime(2031, 3, 3, 11, tzinfo=UTC),
        reporting_deadline=date(2032, 6, 30),
        state=RoundState.DRAFT,
    )
    session.add(grant_round)
    session.commit()
    return {"grant_round_draft": grant_round.id}


def _round(suffix: str = "") -> Any:
    return lambda w: f"/tilskud/runder/{w['grant_round_draft']}{suffix}"


ROUTES: list[Route] = [
    Route("GET", "grant_rounds.published", fixed("/tilskud"), logged_in(200)),
    Route("GET", "grant_rounds.index", fixed("/tilskud/runder"), only(READERS, 200)),
    Route("GET", "grant_rounds.new", fixed("/tilskud/runder/ny"), only(OFFICERS, 200)),
    Route("POST", "grant_rounds.new", fixed("/tilskud/runder/ny"), only(OFFICERS, 400)),
    Route("GET", "grant_rounds.round_page", _round(), only(READERS, 200)),
    Route("GET", "grant_rounds.edit", _round("/ret"), only(OFFICERS, 200)),
    Route("POST", "grant_rounds.edit", _round("/ret"), only(OFFICERS, 400)),
    Route("POST", "grant_rounds.publish", _round("/offentliggoer"), only(OFFICERS, 400)),
]
