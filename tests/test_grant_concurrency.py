"""Co-editing an application in two real transactions on PostgreSQL: two of the
organisation's staff save (or one saves while the admin submits) from the same version at the
same moment; exactly one wins, the other gets ApplicationConflict, and what is stored is the
winner's. Two pressing "Ansøg" at once get the same application.

SQLite serialises writers, so there is nothing to show there: PostgreSQL only.
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
from portal.models import ApplicationState, AuditEntry, GrantApplication, GrantRound
from portal.services import grant_applications
from portal.services.grant_applications import ApplicationConflict, LineValues
from tests.activity_data import ORG_A, organisation, user
from tests.conftest import app_settings
from tests.databases import TestDatabase
from tests.grant_data import DURING, content, draft, good_lines, line, open_round

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


def _application(app: Flask) -> uuid.UUID:
    with app.app_context():
        application = draft(open_round())
        db.session.commit()
        return application.id


Action = Callable[[GrantApplication, int], None]


def _run_both(app: Flask, application_id: uuid.UUID, actions: dict[str, Action]) -> dict[str, str]:
    """Each action in its own thread, app context and transaction; both load the
    application and read its version before either writes."""
    both_read = threading.Barrier(len(actions))
    outcome: dict[str, str] = {}

    def run(name: str) -> None:
        with app.app_context():
            application = db.session.get(GrantApplication, application_id)
            assert application is not None
            seen = application.version
            both_read.wait(timeout=10)
            try:
                actions[name](application, seen)
                db.session.commit()
                outcome[name] = "won"
            except ApplicationConflict:
                db.session.rollback()
                outcome[name] = "conflict"

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        futures = [pool.submit(run, name) for name in actions]
        for future in futures:
            future.result(timeout=60)
    return outcome


def _save(actor: str, title: str, lines: list[LineValues]) -> Action:
    def action(application: GrantApplication, seen: int) -> None:
        grant_applications.save(
            application,
            user(actor),
            content(title=title),
            lines,
            expected_version=seen,
            now=DURING,
        )

    return action


def _submit(application: GrantApplication, seen: int) -> None:
    found = grant_applications.submit(
        application, user("ngo_a_admin"), expected_version=seen, now=DURING
    )
    assert found == []


def test_two_saves_from_the_same_version(committed_app: Flask) -> None:
    app = committed_app
    application_id = _application(app)
    with app.app_context():
        loaded = db.session.get(GrantApplication, application_id)
        assert loaded is not None
        start_version = loaded.version
    lines = {
        "member": [line("1", 100_000, text="Medlemmets linje")],
        "admin": [*good_lines(), line("3", 100_000, text="Administratorens linje")],
    }
    outcome = _run_both(
        app,
        application_id,
        {
            "member": _save("ngo_a_member", "Medlemmets titel", lines["member"]),
            "admin": _save("ngo_a_admin", "Administratorens titel", lines["admin"]),
        },
    )
    assert sorted(outcome.values()) == ["conflict", "won"], outcome
    winner = next(name for name, result in outcome.items() if result == "won")
    with app.app_context():
        stored = db.session.get(GrantApplication, application_id)
        assert stored is not None
        assert stored.version == start_version + 1
        assert (
            stored.title
            == {
                "member": "Medlemmets titel",
                "admin": "Administratorens titel",
            }[winner]
        )
        # The winner's budget, whole: none of the loser's lines slipped in.
        assert [row.text for row in stored.budget_lines] == [x.text for x in lines[winner]]
        saves = db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.action == "grant_application.save",
                AuditEntry.object_id == str(application_id),
            )
        )
        assert saves == 2  # the draft's own save and the winner's


def test_a_save_and_a_submit_at_once(committed_app: Flask) -> None:
    """Either the member's change is saved and the admin must check again, or the checked
    version is submitted and the member's change is refused: never a submission of content
    nobody checked."""
    app = committed_app
    application_id = _application(app)
    outcome = _run_both(
        app,
        application_id,
        {
            "save": _save("ngo_a_member", "Ændret under indsendelsen", []),
            "submit": _submit,
        },
    )
    assert sorted(outcome.values()) == ["conflict", "won"], outcome
    with app.app_context():
        stored = db.session.get(GrantApplication, application_id)
        assert stored is not None
        if outcome["submit"] == "won":
            assert stored.state == ApplicationState.SUBMITTED
            assert stored.title == "Netværk efter løsladelse"
            assert stored.submitted_copy is not None
            assert stored.submitted_copy["title"] == "Netværk efter løsladelse"
        else:
            assert stored.state == ApplicationState.DRAFT
            assert stored.title == "Ændret under indsendelsen"
            assert stored.budget_lines == []


def test_two_starts_at_once_make_one_application(committed_app: Flask) -> None:
    app = committed_app
    with app.app_context():
        round_id = open_round().id
        db.session.commit()
    both_ready = threading.Barrier(2)
    made: dict[str, uuid.UUID] = {}

    def start(actor: str) -> None:
        with app.app_context():
            grant_round = db.session.get(GrantRound, round_id)
            assert grant_round is not None
            org = organisation(ORG_A)
            both_ready.wait(timeout=10)
            application = grant_applications.start(grant_round, org, user(actor), DURING)
            db.session.commit()
            made[actor] = application.id

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(start, actor) for actor in ("ngo_a_admin", "ngo_a_member")]
        for future in futures:
            future.result(timeout=60)

    assert made["ngo_a_admin"] == made["ngo_a_member"]
    with app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(GrantApplication)
            .where(GrantApplication.round_id == round_id)
        )
        assert count == 1
