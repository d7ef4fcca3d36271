"""The operator commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import create_app, db, migrate
from portal.models import Role, User, Volunteer
from portal.services.demo import DEMO_ACCOUNTS
from portal.services.demo_volunteers import DEMO_VOLUNTEERS
from tests.conftest import app_settings


def test_seed_demo_if_empty_leaves_a_populated_database_alone(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["portal", "seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "demo data not loaded" in result.output


def test_demo_logins_are_printed(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["portal", "demo-logins"])
    assert "caseworker.ost@example.org" in result.output
    assert "demo-password-1" in result.output


def test_create_admin(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getpass", lambda _prompt: "en lang adgangskode til admin")
    result = app.test_cli_runner().invoke(
        args=["portal", "create-admin", "--email", "Root@Example.org", "--name", "Rita Root"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "root@example.org"))
        assert user is not None and user.roles == {Role.ADMIN}
    monkeypatch.setattr("getpass.getpass", lambda _prompt: "kort")
    short = app.test_cli_runner().invoke(
        args=["portal", "create-admin", "--email", "b@example.org", "--name", "B"]
    )
    assert short.exit_code != 0
    assert "mindst 12 tegn" in short.output


def test_make_run_sequence_on_an_empty_database(new_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """What `make run` does: migrate, load demo data once, and a second start changes nothing."""
    database = new_database()
    app = create_app(app_settings(database.url, tmp_path))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["portal", "migrate"]).exit_code == 0
    first = runner.invoke(args=["portal", "seed-demo", "--if-empty"])
    assert "Demo data loaded" in first.output, first.output
    second = runner.invoke(args=["portal", "seed-demo", "--if-empty"])
    assert "not loaded" in second.output
    with app.app_context():
        # The demo accounts, and an account for each demo volunteer who has signed; once.
        emails = list(db.session.scalars(select(User.email)))
        signed = {v.email for v in DEMO_VOLUNTEERS if v.stage in ("awaiting_check", "cleared")}
        assert sorted(emails) == sorted({a.email for a in DEMO_ACCOUNTS} | signed)
        assert db.session.scalar(select(func.count()).select_from(Volunteer)) == len(
            DEMO_VOLUNTEERS
        )
    assert runner.invoke(args=["portal", "audit-verify"]).exit_code == 0
    app.extensions["portal_db"].engine.dispose()
    migrate.downgrade(database.url, "base")


def test_send_reminders_for_cron_sends_nothing_twice(app: Flask) -> None:
    """The demo data has a lapsed invitation (Sara Nielsen) and access ending in 20 days
    (Birgitte Lund): one run tells the NGO and reminds; a second run does nothing."""
    runner = app.test_cli_runner()
    first = runner.invoke(args=["portal", "send-reminders"])
    assert first.exit_code == 0, first.output
    assert "invitation_lapses: 1" in first.output
    assert "access_reminded: 1" in first.output
    second = runner.invoke(args=["portal", "send-reminders"])
    assert second.exit_code == 0, second.output
    assert all(line.endswith(": 0") for line in second.output.strip().splitlines())
    late = runner.invoke(args=["portal", "send-reminders", "--at", "2099-01-01"])
    assert late.exit_code == 0, late.output
    assert "access_expired: " in late.output and "access_expired: 0" not in late.output


def test_verify_signatures_passes_on_the_demo_data(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["portal", "verify-signatures"])
    assert result.exit_code == 0, result.output
    assert "Signatures OK" in result.output
