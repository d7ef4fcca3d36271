"""After the grant, in two real transactions on PostgreSQL: two officers recording payments
at the same moment never pay out more than the grant (the grant's row is locked while the
payments are summed), and two officers drawing the voucher sample at once draw it once.

SQLite serialises writers, so there is nothing to show there: PostgreSQL only.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import create_app, db, migrate
from portal.models import GrantApplication, GrantDecision, GrantPayment, GrantRound, RoundState
from portal.services import grant_decisions, grant_payments, grant_vouchers, grant_workflow
from portal.services.grant_decisions import DecisionValues
from portal.services.workflow import WorkflowError
from tests.activity_data import user
from tests.conftest import app_settings
from tests.databases import TestDatabase
from tests.grant_data import in_review, open_round

pytestmark = pytest.mark.postgres_only


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


def _accepted(app: Flask) -> uuid.UUID:
    """A grant of 35.000 kr., accepted (each test its own round)."""
    with app.app_context():
        application = in_review(open_round())
        grant_decisions.decide(
            application, user("grant_officer"), DecisionValues(GrantDecision.GRANTED)
        )
        grant_workflow.apply(application, "accept", user("ngo_a_admin"))
        db.session.commit()
        return application.id


def _at_once(app: Flask, count: int, action: Callable[[], Callable[[], None]]) -> list[str]:
    """``action`` in ``count`` threads, each in its own app context and transaction, started
    together after each has loaded what it needs."""
    ready = threading.Barrier(count)
    outcome: list[str] = []

    def run() -> None:
        with app.app_context():
            step = action()
            ready.wait(timeout=10)
            try:
                step()
                db.session.commit()
                outcome.append("done")
            except WorkflowError:
                db.session.rollback()
                outcome.append("refused")

    with ThreadPoolExecutor(max_workers=count) as pool:
        for future in [pool.submit(run) for _ in range(count)]:
            future.result(timeout=60)
    return sorted(outcome)


def test_two_payments_at_once_never_exceed_the_grant(committed_app: Flask) -> None:
    app = committed_app
    application_id = _accepted(app)

    def pay() -> Callable[[], None]:
        application = db.session.get(GrantApplication, application_id)
        officer = user("grant_officer")
        assert application is not None

        def step() -> None:
            grant_payments.record_payment(application, officer, 2_000_000, date(2027, 6, 1))

        return step

    assert _at_once(app, 2, pay) == ["done", "refused"]
    with app.app_context():
        paid = db.session.scalar(
            select(func.sum(GrantPayment.amount_ore)).where(
                GrantPayment.application_id == application_id
            )
        )
        assert paid == 2_000_000


def test_two_payments_that_fit_get_their_own_instalments(committed_app: Flask) -> None:
    app = committed_app
    application_id = _accepted(app)

    def pay() -> Callable[[], None]:
        application = db.session.get(GrantApplication, application_id)
        officer = user("grant_officer")
        assert application is not None

        def step() -> None:
            grant_payments.record_payment(application, officer, 1_000_000, date(2027, 6, 1))

        return step

    assert _at_once(app, 2, pay) == ["done", "done"]
    with app.app_context():
        instalments = db.session.scalars(
            select(GrantPayment.instalment)
            .where(GrantPayment.application_id == application_id)
            .order_by(GrantPayment.instalment)
        ).all()
        assert instalments == [1, 2]


def test_two_draws_at_once_draw_once(committed_app: Flask) -> None:
    app = committed_app
    application_id = _accepted(app)
    with app.app_context():
        application = db.session.get(GrantApplication, application_id)
        assert application is not None
        round_id = application.round_id
        grant_round = db.session.get(GrantRound, round_id)
        assert grant_round is not None
        grant_round.state = RoundState.DECIDED
        db.session.commit()

    def draw() -> Callable[[], None]:
        grant_round = db.session.get(GrantRound, round_id)
        officer = user("grant_officer")
        assert grant_round is not None

        def step() -> None:
            grant_vouchers.draw_vouchers(grant_round, officer)

        return step

    assert _at_once(app, 2, draw) == ["done", "refused"]
    with app.app_context():
        grant_round = db.session.get(GrantRound, round_id)
        assert grant_round is not None and grant_round.voucher_seed is not None
