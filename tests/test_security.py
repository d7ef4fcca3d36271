"""Headers, CSRF, error pages and production settings (SECURITY.md items 8-10, 18)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import create_app
from portal.config import ConfigurationError
from tests.conftest import app_settings
from tests.databases import TestDatabase

PROJECT = Path(__file__).resolve().parent.parent


def assert_security_headers(response: Any, *, logged_in: bool = False) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    if logged_in:
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/log-ind", "/findes-ikke", "/admin/brugere"])
def test_security_headers_on_every_answer(client: FlaskClient, path: str) -> None:
    assert_security_headers(client.get(path))


def test_logged_in_pages_are_not_cached(login_as: Any) -> None:
    client = login_as("caseworker_ost")
    response = client.get("/overblik")
    assert_security_headers(response, logged_in=True)
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_over_https(client: FlaskClient) -> None:
    response = client.get("/", base_url="https://portal.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_inline_script_or_style_in_pages(login_as: Any) -> None:
    client = login_as("admin")
    for path in ("/overblik", "/admin/brugere", "/profil", "/admin/invitationer/ny"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert " onclick=" not in html


def test_session_cookie_flags(app: Flask, client: FlaskClient) -> None:
    response = client.post(
        "/log-ind", data={"email": "admin@example.org", "password": "demo-password-1"}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False  # development; production: see below


def test_not_found_page_is_danish_and_plain(client: FlaskClient) -> None:
    response = client.get("/findes-ikke")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Siden findes ikke" in html
    assert 'lang="da"' in html


# --- CSRF -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def csrf_app(database: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(app_settings(database.url, tmp_path_factory.mktemp("csrf")))
    yield app
    app.extensions["portal_db"].engine.dispose()


def test_post_without_csrf_token_is_refused(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    response = client.post(
        "/log-ind", data={"email": "admin@example.org", "password": "demo-password-1"}
    )
    assert response.status_code == 400
    assert "Formularen er udløbet" in response.get_data(as_text=True)
    assert client.get("/overblik").status_code == 302


def test_post_with_csrf_token_from_the_page_works(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    client.get("/log-ind")
    with client.session_transaction() as session:
        assert "csrf_token" in session
    page = client.get("/log-ind").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/glemt-adgangskode", data={"email": "nobody@example.org", "csrf_token": token}
    )
    assert response.status_code == 302


# --- errors and failures ---------------------------------------------------------------------


def test_server_error_page_shows_no_internals(database: TestDatabase, tmp_path: Path) -> None:
    app = create_app(app_settings(database.url, tmp_path))
    app.testing = False  # let the error handler answer, as in production

    def broken() -> str:
        raise RuntimeError("secret internals /etc/passwd SELECT * FROM user_account")

    broken._portal_access = "public"  # type: ignore[attr-defined]
    app.add_url_rule("/broken", view_func=broken)
    response = app.test_client().get("/broken")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Der opstod en fejl" in html
    assert "secret internals" not in html and "Traceback" not in html and "SELECT" not in html
    assert_security_headers(response)
    app.extensions["portal_db"].engine.dispose()


def test_database_down_gives_a_clean_503(tmp_path: Path, backend: str) -> None:
    # Nothing listens on port 1: the real driver fails to connect, as when PostgreSQL restarts.
    url = (
        "postgresql+psycopg://postgres@127.0.0.1:1/portal?connect_timeout=2"
        if backend == "postgresql"
        else f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"
    )
    app = create_app(app_settings(url, tmp_path))
    app.testing = False
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert "midlertidigt utilgængelig" in response.get_data(as_text=True)
    # Pages that need no database still work.
    static = app.test_client().get("/static/js/portal.js")
    static.close()
    assert static.status_code == 200
    app.extensions["portal_db"].engine.dispose()


def test_production_refuses_unsafe_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"ENV": "production", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": ""})
    production = {"ENV": "production", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x" * 40}
    with pytest.raises(ConfigurationError, match="CPR_KEY"):
        create_app(production)
    keys = {
        "CPR_KEY": base64.b64encode(b"c" * 32).decode(),
        "EVIDENCE_KEY": base64.b64encode(b"e" * 32).decode(),
    }
    with pytest.raises(ConfigurationError, match="EVIDENCE_KEY"):
        create_app({**production, "CPR_KEY": keys["CPR_KEY"]})
    with pytest.raises(ConfigurationError, match="PostgreSQL"):
        create_app({**production, **keys})


def test_production_cookies_are_secure(tmp_path: Path) -> None:
    app = create_app(
        {
            "ENV": "production",
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "x" * 40,
            "DATABASE_URL": "postgresql+psycopg://portal@127.0.0.1:1/portal",
            "CPR_KEY": base64.b64encode(b"c" * 32).decode(),
            "EVIDENCE_KEY": base64.b64encode(b"e" * 32).decode(),
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.debug is False
    assert app.config["SESSION_IDLE_SECONDS"] <= 30 * 60
    assert app.config["SESSION_ABSOLUTE_SECONDS"] <= 12 * 3600
    app.extensions["portal_db"].engine.dispose()


def test_rate_limits_are_shared_through_redis(database: TestDatabase, tmp_path: Path) -> None:
    """Two separate app processes count against one Redis store, as gunicorn workers do."""
    redis_url = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    import redis

    store = redis.Redis.from_url(redis_url)
    try:
        store.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("Redis is not running here (CI requires it)")
    store.flushdb()
    store.close()
    script = """
import json, sys
from portal import create_app
app = create_app(json.loads(sys.argv[1]))
client = app.test_client()
codes = [client.post("/log-ind", data={"email": "x@example.org", "password": "y"}).status_code for _ in range(3)]
app.extensions["portal_db"].engine.dispose()
print(json.dumps(codes))
"""
    settings = app_settings(
        database.url,
        tmp_path,
        RATELIMIT_STORAGE_URI=redis_url,
        LOGIN_RATE_LIMIT="5 per minute",
        WTF_CSRF_ENABLED=False,
    )
    settings.pop("TESTING")
    results = []
    for _worker in range(2):
        done = subprocess.run(
            [sys.executable, "-c", script, json.dumps(settings)],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert results[0] == [401, 401, 401]
    assert results[1] == [401, 401, 429]


def test_too_large_request_gets_the_413_page(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post("/glemt-adgangskode", data={"email": "x" * 4096})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "Filen er for stor" in html
    assert "20 MB" in html  # the configured limit, in the user's words


def test_forbidden_page_explains(login_as: Any) -> None:
    response = login_as("ngo_a_admin").get("/admin/brugere")
    assert response.status_code == 403
    assert "Du har ikke adgang til siden" in response.get_data(as_text=True)
