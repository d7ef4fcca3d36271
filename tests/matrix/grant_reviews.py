"""The review pages: a round in assessment with the demo reviewer on it, organisation A's
application in review, assigned to the demo reviewer.

Grant officers see and change who reviews what (the admin and the DPO read it; a POST is 403
for them); the score table is for the same three. The reviewer's pages are behind the reviewer
role (403 for everyone else). A POST with an empty body is an invalid form (400).
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
    ReviewAssignment,
    RoundReviewer,
    RoundState,
    RubricCriterion,
    User,
)
from tests.matrix import Route, only

OFFICERS = {"grant_officer"}
READERS = {"grant_officer", "admin", "dpo"}
REVIEWERS = {"reviewer"}


def world(session: Session) -> dict[str, Any]:
    organisation = session.scalar(
        select(Organisation).where(Organisation.name == "Foreningen Nyt Netværk")
    )
    reviewer = session.scalar(select(User).where(User.email == "reviewer@example.org"))
    assert organisation is not None and reviewer is not None
    now = utcnow().replace(microsecond=0)
    grant_round = GrantRound(
        name_da="Matrixrunde til bedømmelse",
        description_da="Beskrivelse",
        criteria_da="Kriterier",
        pool_ore=500_000_000,
        max_per_application_ore=40_000_000,
        opens_at=now - timedelta(days=30),
        deadline_at=now - timedelta(days=1),
        reporting_deadline=date.today() + timedelta(days=400),
        state=RoundState.IN_ASSESSMENT,
        published_at=now - timedelta(days=30),
        criteria=[RubricCriterion(position=1, name_da="Relevans", weight=1, scale_max=5)],
        reviewers=[RoundReviewer(user_id=reviewer.id)],
    )
    session.add(grant_round)
    session.flush()
    application = GrantApplication(
        round_id=grant_round.id,
        organisation_id=organisation.id,
        title="Til bedømmelse",
        state=ApplicationState.IN_REVIEW,
        submitted_at=now - timedelta(days=2),
        requested_ore=100_000,
        total_cost_ore=100_000,
        submitted_copy={},
    )
    session.add(application)
    session.flush()
    assignment = ReviewAssignment(application_id=application.id, reviewer_id=reviewer.id)
    session.add(assignment)
    session.commit()
    return {
        "review_round": grant_round.id,
        "review_application": application.id,
        "review_assignment": assignment.id,
    }


ROUTES: list[Route] = [
    Route(
        "GET",
        "grant_reviews.assignments",
        lambda w: f"/tilskud/runder/{w['review_round']}/bedoemmere",
        only(READERS, 200),
    ),
    Route(
        "POST",
        "grant_reviews.assignments",
        lambda w: f"/tilskud/runder/{w['review_round']}/bedoemmere",
        {**only(READERS, 403), "grant_officer": 400},
    ),
    Route(
        "POST",
        "grant_reviews.round_reviewers",
        lambda w: f"/tilskud/runder/{w['review_round']}/bedoemmere/runde",
        only({"grant_officer"}, 400),
    ),
    Route(
        "GET",
        "grant_reviews.scores",
        lambda w: f"/tilskud/ansoegninger/{w['review_application']}/point",
        only(READERS, 200),
    ),
    Route("GET", "grant_reviews.index", lambda _w: "/tilskud/bedoemmelser", only(REVIEWERS, 200)),
    Route(
        "GET",
        "grant_reviews.review",
        lambda w: f"/tilskud/bedoemmelser/{w['review_assignment']}",
        only(REVIEWERS, 200),
    ),
    Route(
        "POST",
        "grant_reviews.review",
        lambda w: f"/tilskud/bedoemmelser/{w['review_assignment']}",
        only(REVIEWERS, 400),
    ),
    Route(
        "POST",
        "grant_reviews.conflict",
        lambda w: f"/tilskud/bedoemmelser/{w['review_assignment']}/inhabil",
        only(REVIEWERS, 400),
    ),
]
