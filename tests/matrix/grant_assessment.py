"""The grant officers' assessment pages: a round in assessment with organisation A's
application in review, and organisation B's draft in the same round.

Grant officers, the admin and the DPO read the round's list, overview, CSV and the case page;
everyone else gets 403 from the role gate (the reviewer too: reviewers read only their own
assignments, on the review pages). Only grant officers post (the admin and the DPO get 403);
a POST with an empty body is an invalid form (400). A draft has no case page: 404 for the
readers.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import (
    ApplicationState,
    GrantApplication,
    GrantRound,
    Organisation,
    RoundState,
)
from tests.matrix import Route, only

READERS = {"grant_officer", "admin", "dpo"}
OFFICERS = {"grant_officer"}


def world(session: Session) -> dict[str, Any]:
    now = utcnow().replace(microsecond=0)
    organisations = {
        o.name: o
        for o in session.scalars(
            select(Organisation).where(
                Organisation.name.in_(("Foreningen Nyt Netværk", "Vestjyske Besøgsvenner"))
            )
        )
    }
    grant_round = GrantRound(
        name_da="Matrixrunde under bedømmelse",
        description_da="Beskrivelse",
        criteria_da="Kriterier",
        pool_ore=500_000_000,
        max_per_application_ore=40_000_000,
        opens_at=now - timedelta(days=40),
        deadline_at=now - timedelta(days=10),
        reporting_deadline=date.today() + timedelta(days=400),
        state=RoundState.IN_ASSESSMENT,
        published_at=now - timedelta(days=40),
    )
    session.add(grant_round)
    session.flush()
    in_review = GrantApplication(
        round_id=grant_round.id,
        organisation_id=organisations["Foreningen Nyt Netværk"].id,
        title="Til bedømmelse",
        state=ApplicationState.IN_REVIEW,
        submitted_at=now - timedelta(days=12),
        requested_ore=100_000,
        total_cost_ore=100_000,
        submitted_copy={},
    )
    draft = GrantApplication(
        round_id=grant_round.id,
        organisation_id=organisations["Vestjyske Besøgsvenner"].id,
        title="Aldrig sendt",
    )
    session.add_all([in_review, draft])
    session.commit()
    return {
        "assessment_round": grant_round.id,
        "assessment_application": in_review.id,
        "assessment_draft": draft.id,
    }


def _round(suffix: str) -> Any:
    return lambda w: f"/tilskud/runder/{w['assessment_round']}{suffix}"


def _case(suffix: str = "/behandling", key: str = "assessment_application") -> Any:
    return lambda w: f"/tilskud/ansoegninger/{w[key]}{suffix}"


ROUTES: list[Route] = [
    Route(
        "GET", "grant_assessment.round_applications", _round("/ansoegninger"), only(READERS, 200)
    ),
    Route("POST", "grant_assessment.round_step", _round("/trin"), only(OFFICERS, 400)),
    Route("GET", "grant_assessment.overview", _round("/overblik"), only(READERS, 200)),
    Route("GET", "grant_assessment.export_csv", _round("/ansoegninger.csv"), only(READERS, 200)),
    Route("GET", "grant_assessment.case", _case(), only(READERS, 200)),
    Route(
        "GET",
        "grant_assessment.case",
        _case(key="assessment_draft"),
        only(READERS, 404),
    ),
    Route("POST", "grant_assessment.act", _case(), only(OFFICERS, 400)),
    Route("POST", "grant_assessment.decide", _case("/afgoerelse"), only(OFFICERS, 400)),
    Route("POST", "grant_assessment.message", _case("/behandling/besked"), only(OFFICERS, 400)),
]
