"""The hash-chained audit log: chaining, tamper detection, the CLI check, concurrent writers.

Tampering is done with raw SQL inside the test's rolled-back transaction. On PostgreSQL the
append-only trigger is first shown to refuse it, then disabled for the rest of the (rolled
back) transaction.
"""

from __future__ import annotations

import gc
import itertools
import threading
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from portal import audit, create_app, db, migrate
from portal.models.audit import AuditEntry
from tests.conftest import app_settings
from tests.databases import TestDatabase

TAMPERED_COLUMNS = [
    ("action", "auth.tampered"),
    ("actor_label", "someone-else@example.org"),
    ("ip_address", "10.9.8.7"),
    ("entry_hash", "f" * 64),
]


def _record_some(count: int = 3) -> list[AuditEntry]:
    return [
        audit.record("test.entry", object_type="thing", object_id=n + 1, details={"n": n})
        for n in range(count)
    ]


def _ids(session: Session) -> list[int]:
    return list(session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


def _middle_id(session: Session) -> int:
    ids = _ids(session)
    assert len(ids) >= 3, ids
    return ids[len(ids) // 2]


def _assert_refused(session: Session, statement: str, params: dict[str, object]) -> None:
    """The statement fails in the database; a savepoint keeps the test's transaction alive."""
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement), params)


def _allow_tampering(session: Session, target: int) -> None:
    """On PostgreSQL: show the trigger refuses changes to ``target``, then switch it off for
    the rest of this (rolled-back) transaction."""
    if session.get_bind().dialect.name != "postgresql":
        return
    _assert_refused(session, "UPDATE audit_entry SET action = 'x' WHERE id = :id", {"id": target})
    _assert_refused(session, "DELETE FROM audit_entry WHERE id = :id", {"id": target})
    session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))


def _verify_fresh(session: Session) -> audit.VerifyResult:
    """Verify what is in the database, not what the session remembers."""
    session.expire_all()
    return audit.verify_chain(session)


def test_record_chains_each_entry_to_the_previous(app: Flask) -> None:
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        session = db.session
        last_before = session.scalar(
            select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
        )
        entries = [
            audit.record(
                "test.chain",
                object_type="thing",
                object_id=uuid.uuid4(),
                details={"n": n, "navn": "Søren Ærø", "when": datetime(2026, 1, 2, tzinfo=UTC)},
            )
            for n in range(4)
        ]

        assert entries[0].prev_hash == (last_before or audit.GENESIS_HASH)
        for previous, entry in itertools.pairwise(entries):
            assert entry.prev_hash == previous.entry_hash
            assert entry.id > previous.id
        assert len({entry.entry_hash for entry in entries}) == len(entries)
        assert all(entry.entry_hash == audit.compute_hash(entry) for entry in entries)
        # Outside a logged-in request the actor is anonymous, with the request's address.
        assert entries[0].actor_label == "anonymous"
        assert entries[0].actor_id is None
        assert entries[0].ip_address == "192.0.2.7"
        assert entries[0].details["when"] == "2026-01-02 00:00:00+00:00"

        first = session.scalars(select(AuditEntry).order_by(AuditEntry.id).limit(1)).one()
        assert first.prev_hash == audit.GENESIS_HASH
        # Reloaded from the database, every hash still matches its row (JSON and time survive).
        result = _verify_fresh(session)
        assert result.ok, result
        assert result.checked == len(_ids(session))


def test_verify_chain_is_ok_on_the_seeded_database(app: Flask) -> None:
    with app.app_context():
        result = audit.verify_chain(db.session)
        assert result.ok, result
        assert result.checked == len(_ids(db.session))
        assert result.broken_id is None


@pytest.mark.postgres_only
def test_database_refuses_to_change_or_remove_entries(app: Flask) -> None:
    with app.test_request_context():
        session = db.session
        _record_some()
        target = _middle_id(session)
        statements = [
            ("UPDATE audit_entry SET action = 'auth.tampered' WHERE id = :id", {"id": target}),
            ("DELETE FROM audit_entry WHERE id = :id", {"id": target}),
            ("TRUNCATE audit_entry", {}),
        ]
        for statement, params in statements:
            _assert_refused(session, statement, params)
        # The savepoints kept the test's transaction alive and the chain untouched.
        assert target in _ids(session)
        assert _verify_fresh(session).ok


@pytest.mark.parametrize(("column", "value"), TAMPERED_COLUMNS)
def test_verify_names_the_changed_row(app: Flask, column: str, value: str) -> None:
    with app.test_request_context():
        session = db.session
        _record_some()
        target = _middle_id(session)
        assert _verify_fresh(session).ok

        _allow_tampering(session, target)
        session.execute(
            text(f"UPDATE audit_entry SET {column} = :value WHERE id = :id"),
            {"value": value, "id": target},
        )

        result = _verify_fresh(session)
        assert not result.ok
        assert result.broken_id == target, result
        assert "changed" in result.reason
        assert result.checked == _ids(session).index(target)


def test_verify_names_the_row_after_a_deleted_one(app: Flask) -> None:
    with app.test_request_context():
        session = db.session
        _record_some()
        ids = _ids(session)
        target = _middle_id(session)
        following = ids[ids.index(target) + 1]

        _allow_tampering(session, target)
        session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": target})

        result = _verify_fresh(session)
        assert not result.ok
        assert result.broken_id == following, result
        assert "previous hash" in result.reason


def test_cli_audit_verify_ok(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["portal", "audit-verify"])
    assert result.exit_code == 0, result.output
    assert "Audit chain OK" in result.output


def test_cli_audit_verify_names_the_broken_entry(app: Flask) -> None:
    with app.test_request_context():
        session = db.session
        _record_some()
        target = _middle_id(session)
        _allow_tampering(session, target)
        session.execute(
            text("UPDATE audit_entry SET details = :details WHERE id = :id"),
            {"details": '{"n": 999}', "id": target},
        )
        # Keeps the change in the test's outer transaction (a savepoint is released).
        session.commit()

    result = app.test_cli_runner().invoke(args=["portal", "audit-verify"])
    assert result.exit_code == 1, result.output
    assert f"BROKEN at entry {target}:" in result.output
    assert "Audit chain OK" not in result.output


@pytest.mark.postgres_only
def test_verify_chain_closes_its_cursor_when_it_stops_early(app: Flask) -> None:
    with app.test_request_context():
        session = db.session
        _record_some()
        target = _middle_id(session)
        _allow_tampering(session, target)
        session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": target})
        session.expire_all()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = audit.verify_chain(session)
            gc.collect()
        assert not result.ok
        leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
        assert leaks == [], [str(w.message) for w in leaks]


@pytest.mark.postgres_only
def test_concurrent_writers_keep_one_chain(
    new_database: Callable[[], TestDatabase], tmp_path: Path
) -> None:
    database = new_database()
    migrate.upgrade(database.url)
    app = create_app(app_settings(database.url, tmp_path))
    threads, per_thread = 4, 25
    start = threading.Barrier(threads)

    def writer(number: int) -> None:
        with app.app_context():
            session = app.extensions["portal_db"].sessionmaker()
            try:
                start.wait(timeout=10)
                for n in range(per_thread):
                    audit.record(
                        "test.concurrent",
                        object_type="writer",
                        object_id=number,
                        details={"n": n},
                        session=session,
                    )
                    session.commit()
            finally:
                session.close()

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for future in [pool.submit(writer, number) for number in range(1, threads + 1)]:
                future.result(timeout=60)

        with app.app_context():
            session = app.extensions["portal_db"].sessionmaker()
            try:
                result = audit.verify_chain(session)
                assert result.ok, result
                assert result.checked == threads * per_thread
                per_writer = dict(
                    session.execute(
                        select(AuditEntry.object_id, func.count()).group_by(AuditEntry.object_id)
                    ).all()
                )
                assert per_writer == {str(n): per_thread for n in range(1, threads + 1)}
                shared = session.execute(
                    select(AuditEntry.prev_hash)
                    .group_by(AuditEntry.prev_hash)
                    .having(func.count() > 1)
                ).all()
                assert shared == []
            finally:
                session.close()
    finally:
        app.extensions["portal_db"].engine.dispose()
