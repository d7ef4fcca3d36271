"""Test fixtures: a real database per session (SQLite or PostgreSQL), isolated per test.

The schema is built by the Alembic migrations (as in production) and the demo data is loaded
once and committed. Each test then runs inside a transaction on one connection; the app's
commits become savepoints, and everything is rolled back at the end of the test.

    pytest --db=sqlite                       (default)
    pytest --db=postgresql --pg-url=postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import sessionmaker

from portal import create_app, migrate
from portal import db as portal_db
from portal.models import User
from tests.databases import TestDatabase, create_test_database
from tests.roles import ROLE_ACCOUNTS


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.addoption(
        "--pg-url",
        default=os.environ.get(
            "PORTAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server URL whose user may create databases",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"portal database: {config.getoption('--db')}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--db") == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with --db=postgresql)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def backend(pytestconfig: pytest.Config) -> str:
    return pytestconfig.getoption("--db")


@pytest.fixture(scope="session")
def new_database(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], TestDatabase]]:
    """A factory of empty databases of the chosen backend; all are dropped at the end."""
    created: list[TestDatabase] = []

    def factory() -> TestDatabase:
        database = create_test_database(
            pytestconfig.getoption("--db"),
            pytestconfig.getoption("--pg-url"),
            tmp_path_factory.mktemp("db"),
        )
        created.append(database)
        return database

    yield factory
    for database in created:
        database.drop()


def app_settings(database_url: str, instance: Path, **extra: Any) -> dict[str, Any]:
    return {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "TESTING": True,
        **extra,
    }


@pytest.fixture(scope="session")
def database(new_database: Callable[[], TestDatabase]) -> TestDatabase:
    """The suite's database: migrated to head, with reference and demo data committed."""
    database = new_database()
    migrate.upgrade(database.url)
    return database


def seeded_app(database: TestDatabase, instance: Path, **settings: Any) -> Flask:
    """An app on ``database`` with the reference and demo data committed."""
    app = create_app(app_settings(database.url, instance, **settings))
    with app.app_context():
        from portal.services import demo, reference

        reference.load_reference()
        demo.seed_demo()
        portal_db.session.commit()
    return app


@pytest.fixture(scope="session")
def app(database: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = seeded_app(database, tmp_path_factory.mktemp("instance"), WTF_CSRF_ENABLED=False)
    yield app
    app.extensions["portal_db"].engine.dispose()


@contextmanager
def rolled_back(app: Flask) -> Iterator[None]:
    """Run the app on one connection inside a transaction that is rolled back at the end.

    The app's commits become savepoints, so it behaves as usual within the block.
    """
    database = app.extensions["portal_db"]
    connection = database.engine.connect()
    transaction = connection.begin()
    original = database.sessionmaker
    database.sessionmaker = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    try:
        yield
    finally:
        database.sessionmaker = original
        transaction.rollback()
        connection.close()


# Generated letters rendered once per template and language in the whole run (WeasyPrint
# takes about a third of a second each, and several hundred decisions are made in the tests).
_RENDERED_PDFS: dict[tuple[str, str], bytes] = {}


@pytest.fixture(autouse=True)
def _letters_rendered_once(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A decision still makes, stores and mails a real PDF from the real template, but the
    first one rendered for that template and language serves every later test. Tests that
    read a letter's own text are marked ``real_pdf`` and render it anew."""
    if request.node.get_closest_marker("real_pdf"):
        return
    from portal.services import pdf_documents

    render = pdf_documents.render_pdf

    def rendered_once(template: str, language: str, **context: Any) -> bytes:
        key = (template, language)
        if key not in _RENDERED_PDFS:
            _RENDERED_PDFS[key] = render(template, language, **context)
        return _RENDERED_PDFS[key]

    monkeypatch.setattr(pdf_documents, "render_pdf", rendered_once)


@pytest.fixture(autouse=True)
def _isolated(request: pytest.FixtureRequest) -> Iterator[None]:
    """Roll back everything a test did, if it used the app's database."""
    if "app" not in request.fixturenames:
        yield
        return
    with rolled_back(request.getfixturevalue("app")):
        yield


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.test_request_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[Any]]:
    """Mail delivered during the test (the transport is replaced; SMTP itself is tested apart)."""
    from portal import mail

    sent: list[Any] = []
    original = mail.deliver
    mail.deliver = sent.append  # type: ignore[assignment]
    try:
        yield sent
    finally:
        mail.deliver = original  # type: ignore[assignment]


def user_by_email(app: Flask, email: str) -> User:
    with app.app_context():
        from portal.services.accounts import find_user_by_email

        user = find_user_by_email(email)
        assert user is not None, email
        return user


@pytest.fixture(scope="session")
def role_cookies(app: Flask) -> dict[str, str]:
    """One real login per role through the login form, committed once for the whole session.

    Tests reuse the session cookie; whatever a test does to the login (logout, revocation)
    is rolled back with the rest of the test.
    """
    cookies = {}
    for role, email in ROLE_ACCOUNTS.items():
        login_client = app.test_client()
        response = login_client.post(
            "/log-ind", data={"email": email, "password": "demo-password-1"}
        )
        assert response.status_code == 302, (role, response.status_code)
        cookie = login_client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        assert cookie is not None
        cookies[role] = cookie.value
    return cookies


@pytest.fixture
def login_as(
    app: Flask, client: FlaskClient, role_cookies: dict[str, str]
) -> Callable[..., FlaskClient]:
    """Log a test client in as one of the matrix's roles (see tests/roles.py)."""

    def login(role: str, the_client: FlaskClient | None = None) -> FlaskClient:
        the_client = the_client or client
        the_client.set_cookie(app.config["SESSION_COOKIE_NAME"], role_cookies[role])
        return the_client

    return login


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real S3 server (SeaweedFS) for the whole session."""
    from tests.seaweedfs import SeaweedFS

    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs")).start()
    yield server
    server.stop()
