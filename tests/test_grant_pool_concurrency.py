"""Two grant officers deciding at the same moment, in two real transactions on PostgreSQL:
each grant fits the pool alone but not together. Exactly one is granted, the other gets the
pool's message, and the sum granted never exceeds the pool. When both fit, both are granted
(the lock serialises the decisions; it does not refuse them).

SQLite serialises writers by itself, so there is nothing to show there: PostgreSQL only.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import create_app, db, migrate
from portal.models import (
    ApplicationState,
    AuditEntry,
    GrantApplication,
    GrantDecision,
    GrantRound,
)
from portal.services import grant_decisions, grant_workflow
from portal.services.grant_decisions import DecisionValues
from portal.services.workflow import ConflictError, WorkflowError
from tests.activity_data import ORG_B, user
from tests.conftest import app_settings
from tests.databases import TestDatabase
from tests.grant_data import in_review, open_round, submitted

pytestmark = pytest.mark.postgres_only

POOL = 5_000_000  # 50.000 kr.
ASKED = 3_500_000  # each application asks 35.000 kr.


@pytest.fixture(scope="module")
def committed_app(
    new_database: Callable[[], TestDatabase], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """An app on its own database whose commits are real, so two connections see each
    other's writes."""
    database = new_database()
    migrate.upgrade(database.url)
    app = create_app(app_settings(database.url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        from portal.services import demo, reference

        reference.load_reference()
        demo.seed_demo()
        db.session.commit()
    yield app
    app.extensions["portal_db"].engine.dispose()


def _two_in_review(app: Flask) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """A round of 50.000 kr. with applications of A and B (35.000 kr. each) in review."""
    with app.app_context():
        grant_round = open_round(pool_ore=POOL, max_per_application_ore=4_000_000)
        other = submitted(grant_round, organisation_name=ORG_B, actor="ngo_b_admin")
        first = in_review(grant_round)
        grant_workflow.apply(other, "screen_pass", user("grant_officer"))
        db.session.commit()
        return grant_round.id, first.id, other.id


def _decide_both(app: Flask, amounts: dict[uuid.UUID, int]) -> dict[uuid.UUID, str]:
    """Each decision in its own thread, app context and transaction; both have loaded their
    application and seen the pool before either decides."""
    both_loaded = threading.Barrier(len(amounts))
    outcome: dict[uuid.UUID, str] = {}

    def run(application_id: uuid.UUID) -> None:
        with app.app_context():
            application = db.session.get(GrantApplication, application_id)
            assert application is not None
            assert grant_decisions.remaining_ore(application.round) == POOL
            amount = amounts[application_id]
            values = (
                DecisionValues(GrantDecision.GRANTED)
                if amount == application.requested_ore
                else DecisionValues(GrantDecision.PARTLY_GRANTED, amount, reason="En del.")
            )
            both_loaded.wait(timeout=10)
            try:
                grant_decisions.decide(
                    application,
                    user("grant_officer"),
                    values,
                    expected_version=application.version,
                )
                db.session.commit()
                outcome[application_id] = "granted"
            except ConflictError:
                db.session.rollback()
                outcome[application_id] = "conflict"
            except WorkflowError as error:
                db.session.rollback()
                outcome[application_id] = str(error.message)

    with ThreadPoolExecutor(max_workers=len(amounts)) as pool:
        futures = [pool.submit(run, application_id) for application_id in amounts]
        for future in futures:
            future.result(timeout=120)
    return outcome


def _granted(app: Flask, round_id: uuid.UUID) -> int:
    with app.app_context():
        grant_round = db.session.get(GrantRound, round_id)
        assert grant_round is not None
        return grant_decisions.granted_ore(grant_round)


def test_two_grants_that_only_fit_one_at_a_time(committed_app: Flask) -> None:
    app = committed_app
    round_id, first, second = _two_in_review(app)
    outcome = _decide_both(app, {first: ASKED, second: ASKED})
    granted = [a for a, result in outcome.items() if result == "granted"]
    refused = [result for result in outcome.values() if result != "granted"]
    assert len(granted) == 1, outcome
    [message] = refused
    assert "Der er kun 15.000,00 kr. tilbage i puljen" in message, outcome
    assert _granted(app, round_id) == ASKED <= POOL
    with app.app_context():
        states = {
            a.id: a.state
            for a in db.session.scalars(
                select(GrantApplication).where(GrantApplication.round_id == round_id)
            )
        }
        loser = second if granted == [first] else first
        assert states[granted[0]] == ApplicationState.DECIDED
        assert states[loser] == ApplicationState.IN_REVIEW
        # Exactly one decision and one letter were recorded.
        decisions = db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.action == "grant_application.decide",
                AuditEntry.object_id.in_((str(first), str(second))),
            )
        )
        assert decisions == 1
        loser_application = db.session.get(GrantApplication, loser)
        assert loser_application is not None
        assert loser_application.decision_letter_document_id is None


def test_one_ore_over_the_pool_under_concurrency(committed_app: Flask) -> None:
    """35.000 kr. and 15.000,01 kr. at once in a pool of 50.000 kr.: whichever comes first
    is granted, the other does not fit by one øre."""
    app = committed_app
    round_id, first, second = _two_in_review(app)
    outcome = _decide_both(app, {first: ASKED, second: POOL - ASKED + 1})
    assert sorted(r == "granted" for r in outcome.values()) == [False, True], outcome
    assert _granted(app, round_id) in (ASKED, POOL - ASKED + 1)


def test_two_grants_that_fill_the_pool_exactly_are_both_made(committed_app: Flask) -> None:
    app = committed_app
    round_id, first, second = _two_in_review(app)
    outcome = _decide_both(app, {first: 2_500_000, second: 2_500_000})
    assert set(outcome.values()) == {"granted"}, outcome
    assert _granted(app, round_id) == POOL
