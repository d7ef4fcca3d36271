"""Login, sessions, password reset and invitations (SECURITY.md items 5 and 6)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from portal import db
from portal.db import utcnow
from portal.models import AccountToken, AuditEntry, LoginSession, Role, TokenPurpose, User
from portal.services import accounts

PASSWORD = "en lang og god adgangskode"


def make_user(
    app: Flask, email: str = "test.person@example.org", password: str = PASSWORD, **kwargs: Any
) -> User:
    with app.app_context():
        user = accounts.create_user(email, "Test Person", password, **kwargs)
        accounts.grant_role(user, Role.REVIEWER)
        db.session.commit()
        return user


def form_login(client: FlaskClient, email: str, password: str) -> Any:
    return client.post("/log-ind", data={"email": email, "password": password})


def sessions_of(app: Flask, email: str) -> list[LoginSession]:
    with app.app_context():
        user = accounts.find_user_by_email(email)
        assert user is not None
        return list(db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)))


def test_login_with_right_password_reaches_dashboard(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    response = form_login(client, "Test.Person@example.org ", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/overblik"
    assert client.get("/overblik").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    wrong = form_login(client, "test.person@example.org", "forkert adgangskode")
    unknown = form_login(client, "nobody@example.org", "forkert adgangskode")
    assert wrong.status_code == unknown.status_code == 401
    message = "E-mailadressen eller adgangskoden er forkert."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    with app.app_context():
        failures = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "auth.login_failed")
        ).all()
        assert len(failures) >= 2
        # The audit keeps a fingerprint, never the typed e-mail or password.
        assert all("forkert" not in str(entry.details) for entry in failures)


def test_deactivated_account_cannot_log_in(app: Flask, client: FlaskClient) -> None:
    user = make_user(app)
    with app.app_context():
        accounts.set_active(db.session.get(User, user.id), False)
        db.session.commit()
    assert form_login(client, user.email, PASSWORD).status_code == 401


def test_login_gives_a_new_session_and_ignores_a_planted_one(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app)
    with client.session_transaction() as session:
        session["sid"] = "planted-by-an-attacker"
        session["_user_id"] = "planted"
    assert client.get("/overblik").status_code == 302  # the planted session is not a login
    form_login(client, "test.person@example.org", PASSWORD)
    with client.session_transaction() as session:
        assert session["sid"] != "planted-by-an-attacker"
        first = session["sid"]
    client.post("/log-ud")
    form_login(client, "test.person@example.org", PASSWORD)
    with client.session_transaction() as session:
        assert session["sid"] != first


def test_cookie_replayed_after_logout_is_refused(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    form_login(client, "test.person@example.org", PASSWORD)
    cookie = client.get_cookie("portal_session")
    assert cookie is not None
    assert client.post("/log-ud").status_code == 302
    replay = app.test_client()
    replay.set_cookie("portal_session", cookie.value)
    response = replay.get("/overblik")
    assert response.status_code == 302
    assert "/log-ind" in response.headers["Location"]


def test_password_change_ends_every_session(app: Flask) -> None:
    make_user(app)
    phone, laptop = app.test_client(), app.test_client()
    form_login(phone, "test.person@example.org", PASSWORD)
    form_login(laptop, "test.person@example.org", PASSWORD)
    response = laptop.post(
        "/profil/adgangskode",
        data={
            "current_password": PASSWORD,
            "password": "en helt ny adgangskode",
            "confirm": "en helt ny adgangskode",
        },
    )
    assert response.status_code == 302
    assert phone.get("/overblik").status_code == 302
    assert laptop.get("/overblik").status_code == 302
    assert all(s.revoked_at is not None for s in sessions_of(app, "test.person@example.org"))
    assert (
        form_login(
            app.test_client(), "test.person@example.org", "en helt ny adgangskode"
        ).status_code
        == 302
    )


def test_password_change_needs_the_current_password(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    form_login(client, "test.person@example.org", PASSWORD)
    response = client.post(
        "/profil/adgangskode",
        data={
            "current_password": "ikke den rigtige",
            "password": "en helt ny adgangskode",
            "confirm": "en helt ny adgangskode",
        },
    )
    assert response.status_code == 400
    assert "Den nuværende adgangskode er forkert." in response.get_data(as_text=True)
    assert client.get("/overblik").status_code == 200


def test_deactivation_ends_the_session_at_once(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    user = make_user(app)
    victim = app.test_client()
    form_login(victim, user.email, PASSWORD)
    assert victim.get("/overblik").status_code == 200
    admin = login_as("admin", app.test_client())
    assert admin.post(f"/admin/brugere/{user.id}/aktiv").status_code == 302
    assert victim.get("/overblik").status_code == 302


@pytest.mark.parametrize(
    ("column", "age", "message"),
    [
        ("last_seen_at", timedelta(minutes=31), "ikke har været aktiv"),
        ("created_at", timedelta(hours=12, minutes=1), "har været logget ind længe"),
    ],
)
def test_idle_and_absolute_timeouts(
    app: Flask, client: FlaskClient, column: str, age: timedelta, message: str
) -> None:
    make_user(app)
    form_login(client, "test.person@example.org", PASSWORD)
    with app.app_context():
        db.session.execute(update(LoginSession).values({column: utcnow() - age}))
        db.session.commit()
    response = client.get("/overblik")
    assert response.status_code == 302
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)


def test_keepalive_moves_the_idle_deadline(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    form_login(client, "test.person@example.org", PASSWORD)
    with app.app_context():
        db.session.execute(
            update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=25))
        )
        db.session.commit()
    assert client.post("/session/forlaeng").json == {"idle_seconds": 1800}
    with app.app_context():
        db.session.execute(update(LoginSession).values(created_at=utcnow() - timedelta(minutes=26)))
        db.session.commit()
    assert client.get("/overblik").status_code == 200


def test_next_parameter_cannot_leave_the_site(app: Flask, client: FlaskClient) -> None:
    make_user(app)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client.post("/log-ud")
        response = client.post(
            "/log-ind",
            data={"email": "test.person@example.org", "password": PASSWORD, "next": target},
        )
        assert response.headers["Location"] == "/overblik"
    client.post("/log-ud")
    response = client.post(
        "/log-ind",
        data={"email": "test.person@example.org", "password": PASSWORD, "next": "/profil"},
    )
    assert response.headers["Location"] == "/profil"


def test_login_is_rate_limited(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.extensions import limiter

    monkeypatch.setitem(app.config["PORTAL"], "LOGIN_RATE_LIMIT", "3 per minute")
    limiter.reset()
    try:
        statuses = [
            form_login(client, "nobody@example.org", "forkert").status_code for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        page = form_login(client, "nobody@example.org", "forkert")
        assert page.status_code == 429
        assert "For mange forsøg" in page.get_data(as_text=True)
    finally:
        limiter.reset()


# --- password reset -------------------------------------------------------------------------


def _link(outbox: list[Any], path: str) -> str:
    assert outbox, "no mail was sent"
    found = re.search(rf"http://127\.0\.0\.1:5000({path}/[A-Za-z0-9_-]+)", outbox[-1].body)
    assert found, outbox[-1].body
    return found.group(1)


def test_password_reset_by_email_link(app: Flask, client: FlaskClient, outbox: list[Any]) -> None:
    make_user(app)
    response = client.post("/glemt-adgangskode", data={"email": "test.person@example.org"})
    assert response.status_code == 302
    assert len(outbox) == 1
    assert outbox[0].to == "test.person@example.org"
    link = _link(outbox, "/nulstil")
    raw = link.rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalars(select(AccountToken.token_hash)).all()
        assert raw not in stored  # only the hash is kept
        assert accounts.hash_token(raw) in stored
    assert client.get(link).status_code == 200
    new = "min nye og lange adgangskode"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 302
    assert client.get(link).status_code == 404  # single use
    assert form_login(app.test_client(), "test.person@example.org", new).status_code == 302


def test_password_reset_answers_the_same_for_unknown_addresses(
    app: Flask, client: FlaskClient, outbox: list[Any]
) -> None:
    make_user(app)
    known = client.post(
        "/glemt-adgangskode", data={"email": "test.person@example.org"}, follow_redirects=True
    )
    unknown = client.post(
        "/glemt-adgangskode", data={"email": "nobody@example.org"}, follow_redirects=True
    )
    assert known.status_code == unknown.status_code == 200
    assert "Hvis adressen hører til en konto" in unknown.get_data(as_text=True)
    assert len(outbox) == 1


def test_expired_reset_link_is_refused(app: Flask, client: FlaskClient, outbox: list[Any]) -> None:
    make_user(app)
    client.post("/glemt-adgangskode", data={"email": "test.person@example.org"})
    link = _link(outbox, "/nulstil")
    with app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = client.get(link)
    assert response.status_code == 404
    assert "Linket virker ikke" in response.get_data(as_text=True)


# --- invitations ----------------------------------------------------------------------------


def _invite(app: Flask, login_as: Any, email: str = "ny.person@example.org") -> FlaskClient:
    admin = login_as("admin", app.test_client())
    with app.app_context():
        from portal.models import Institution

        institution = db.session.scalar(
            select(Institution.id).where(Institution.name == "Storstrøm Fængsel")
        )
    response = admin.post(
        "/admin/invitationer/ny",
        data={
            "email": email,
            "name": "Ny Person",
            "role": "institution_contact",
            "institution_id": str(institution),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return admin


def test_invitation_creates_an_account_with_its_role(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    _invite(app, login_as)
    link = _link(outbox, "/invitation")
    invitee = app.test_client()
    page = invitee.get(link)
    assert page.status_code == 200
    assert "Kontaktperson på institution" in page.get_data(as_text=True)
    password = "invitationens adgangskode"
    response = invitee.post(
        link, data={"name": "Ny Person", "password": password, "confirm": password}
    )
    assert response.status_code == 302
    assert invitee.get("/overblik").status_code == 200
    with app.app_context():
        user = accounts.find_user_by_email("ny.person@example.org")
        assert user is not None and user.roles == {Role.INSTITUTION_CONTACT}
    assert app.test_client().get(link).status_code == 404  # single use


def test_revoked_and_expired_invitations_do_not_open(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    admin = _invite(app, login_as)
    link = _link(outbox, "/invitation")
    with app.app_context():
        token = db.session.scalar(
            select(AccountToken).where(AccountToken.email == "ny.person@example.org")
        )
        assert token is not None and token.purpose == TokenPurpose.INVITATION
        token_id = token.id
    assert admin.post(f"/admin/invitationer/{token_id}/tilbagekald").status_code == 302
    assert app.test_client().get(link).status_code == 404

    _invite(app, login_as, "endnu.en@example.org")
    second = _link(outbox, "/invitation")
    with app.app_context():
        db.session.execute(
            update(AccountToken)
            .where(AccountToken.email == "endnu.en@example.org")
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    assert app.test_client().get(second).status_code == 404


def test_invitation_to_an_existing_address_needs_that_login(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    make_user(app, email="ny.person@example.org")
    _invite(app, login_as)
    link = _link(outbox, "/invitation")
    anonymous = app.test_client()
    response = anonymous.post(
        link,
        data={"name": "X", "password": "noget langt nok her", "confirm": "noget langt nok her"},
    )
    assert response.status_code == 400
    assert "Log ind først" in response.get_data(as_text=True)
    other = login_as("ngo_b_admin", app.test_client())
    other.post(link)
    with app.app_context():
        user = accounts.find_user_by_email("ngo-b.admin@example.org")
        assert user is not None and Role.INSTITUTION_CONTACT not in user.roles
    owner = app.test_client()
    form_login(owner, "ny.person@example.org", PASSWORD)
    assert owner.post(link).status_code == 302
    with app.app_context():
        user = accounts.find_user_by_email("ny.person@example.org")
        assert user is not None and Role.INSTITUTION_CONTACT in user.roles
