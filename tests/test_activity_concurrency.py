"""Two people deciding the same activity at the same moment, in two real transactions on
PostgreSQL (SECURITY.md item 15): exactly one wins, the other is told the activity changed
(ConflictError), and the history and the audit log hold one decision.

SQLite serialises writers, so there is nothing to show there: PostgreSQL only.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import select

from portal import audit, create_app, db, migrate
from portal.models import Activity, ActivityEvent, ActivityState, AuditEntry
from portal.services import activities, activity_workflow
from portal.services.workflow import ConflictError
from tests.activity_data import VESTRE, proposal, send, unique_title, user
from tests.conftest import app_settings
from tests.databases import TestDatabase

pytestmark = pytest.mark.postgres_only

# Who takes which action: the area office's caseworker decides, the organisation withdraws.
ACTORS = {
    "approve": "caseworker_ost",
    "refuse": "caseworker_ost",
    "request_changes": "caseworker_ost",
    "withdraw": "ngo_a_admin",
}
TO_STATE = {
    "approve": ActivityState.APPROVED,
    "refuse": ActivityState.REFUSED,
    "request_changes": ActivityState.CHANGES_REQUESTED,
    "withdraw": ActivityState.WITHDRAWN,
}


@pytest.fixture(scope="module")
def committed_app(
    new_database: Callable[[], TestDatabase], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """An app on its own database whose commits are real (not the suite's rolled-back
    transaction), so two connections see each other's writes."""
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


def _sent_activity(app: Flask) -> uuid.UUID:
    with app.app_context():
        activity = send(proposal(VESTRE, title=unique_title("Samtidig")))
        db.session.commit()
        assert activity.state == ActivityState.SENT
        return activity.id


@pytest.mark.parametrize(
    "actions",
    [("approve", "refuse"), ("approve", "request_changes"), ("approve", "withdraw")],
    ids=lambda pair: "-".join(pair),
)
def test_two_decisions_at_once_exactly_one_wins(
    committed_app: Flask, actions: tuple[str, str]
) -> None:
    app = committed_app
    activity_id = _sent_activity(app)
    both_read = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def decide(action: str) -> None:
        with app.app_context():
            activity = db.session.get(Activity, activity_id)
            assert activity is not None
            seen = activity.version

            def wait_for_the_other(_activity: Activity) -> None:
                # Both have read the same version (and checked the rules); now both write.
                both_read.wait(timeout=10)

            try:
                activity_workflow.apply(
                    activity,
                    action,
                    user(ACTORS[action]),
                    text="Afgjort samtidig",
                    expected_version=seen,
                    before=wait_for_the_other,
                )
                db.session.commit()
                outcome[action] = "won"
            except ConflictError:
                db.session.rollback()
                outcome[action] = "conflict"

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(decide, action) for action in actions]
        for future in futures:
            future.result(timeout=60)

    assert sorted(outcome.values()) == ["conflict", "won"], outcome
    winner = next(action for action, result in outcome.items() if result == "won")
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        assert activity is not None
        assert activity.state == TO_STATE[winner]
        assert activity.version == 2
        decisions = list(
            db.session.scalars(
                select(ActivityEvent.action).where(
                    ActivityEvent.activity_id == activity_id, ActivityEvent.action != "send"
                )
            )
        )
        assert decisions == [winner]
        audited = list(
            db.session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.object_id == str(activity_id),
                    AuditEntry.action != "activity.send",
                )
            )
        )
        assert audited == [f"activity.{winner}"]
        assert audit.verify_chain(db.session).ok


def test_a_decision_and_a_change_at_once(committed_app: Flask) -> None:
    """The organisation changes the proposal while the institution approves it: one wins;
    if the change lost, the approval is of the proposal as it was read."""
    app = committed_app
    activity_id = _sent_activity(app)
    both_read = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def wait(_activity: Activity) -> None:
        both_read.wait(timeout=10)

    def approve() -> None:
        with app.app_context():
            activity = db.session.get(Activity, activity_id)
            assert activity is not None
            try:
                activity_workflow.apply(
                    activity,
                    "approve",
                    user("caseworker_ost"),
                    expected_version=activity.version,
                    before=wait,
                )
                db.session.commit()
                outcome["approve"] = "won"
            except ConflictError:
                db.session.rollback()
                outcome["approve"] = "conflict"

    def change() -> None:
        with app.app_context():
            activity = db.session.get(Activity, activity_id)
            assert activity is not None
            seen = activity.version
            wait(activity)
            changed = dataclasses.replace(activities.proposal_of(activity), title="Ændret samtidig")
            try:
                activities.change(activity, changed, user("ngo_a_admin"), expected_version=seen)
                db.session.commit()
                outcome["change"] = "won"
            except ConflictError:
                db.session.rollback()
                outcome["change"] = "conflict"

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(approve), pool.submit(change)]
        for future in futures:
            future.result(timeout=60)

    assert sorted(outcome.values()) == ["conflict", "won"], outcome
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        assert activity is not None
        if outcome["approve"] == "won":
            assert activity.state == ActivityState.APPROVED
            assert activity.title.startswith("Samtidig")
        else:
            assert activity.state == ActivityState.SENT
            assert activity.title == "Ændret samtidig"
        assert audit.verify_chain(db.session).ok
