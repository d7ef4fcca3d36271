"""A real OpenID Connect provider (npm ``oidc-provider``) for the login tests.

Two provider processes run for the whole session on free loopback ports: the main one, with a
client per portal provider (some with a fault injected, see provider.mjs), and one whose clock
runs two hours behind, so its ID tokens are expired when they arrive. The portal app for these
tests has them all in ``PORTAL_OIDC_PROVIDERS``; each test runs in a rolled-back transaction.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from portal import create_app
from tests.conftest import app_settings, rolled_back
from tests.databases import TestDatabase
from tests.oidc.flow import PORTAL, Browser

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
NSIS = "https://data.gov.dk/concept/core/nsis/loa"
SUBSTANTIAL = f"{NSIS}/Substantial"


@dataclass(frozen=True)
class Client:
    portal_name: str  # the provider's name in the portal (its URLs)
    client_id: str
    fault: str | None = None

    @property
    def secret(self) -> str:
        return f"{self.client_id}-secret-0123456789abcdef0123456789abcdef"

    def registration(self) -> dict[str, Any]:
        registration: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.secret,
            "redirect_uris": [f"{PORTAL}/log-ind/{self.portal_name}/callback"],
        }
        if self.fault:
            registration["fault"] = self.fault
        return registration


MAIN_CLIENTS = (
    Client("staff", "portal-staff"),
    Client("citizen", "portal-citizen"),
    Client("badaud", "portal-wrong-audience", "wrong-audience"),
    Client("badiss", "portal-wrong-issuer", "wrong-issuer"),
    Client("badsig", "portal-bad-signature", "bad-signature"),
    Client("unsigned", "portal-unsigned", "unsigned"),
)
LATE_CLIENTS = (Client("late", "portal-late"),)


@dataclass
class ProviderProcess:
    process: subprocess.Popen[bytes]
    issuer: str
    log: Path

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _start_provider(
    clients: tuple[Client, ...], log: Path, clock_offset_seconds: int = 0
) -> ProviderProcess:
    node = shutil.which("node")
    assert node, "the OpenID Connect tests need Node.js (npm ci installs oidc-provider)"
    assert (PROJECT / "node_modules" / "oidc-provider").is_dir(), "run `npm ci` first"
    settings = {
        "port": 0,
        "clients": [client.registration() for client in clients],
        "clock_offset_seconds": clock_offset_seconds,
    }
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [node, str(HERE / "provider.mjs"), json.dumps(settings)],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, "NODE_ENV": "test"},
        )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 20)
    line = process.stdout.readline().decode().strip() if ready else ""
    if not line.startswith("READY "):
        process.kill()
        process.wait(timeout=5)
        process.stdout.close()
        raise AssertionError(f"provider did not start: {line!r}\n{log.read_text()}")
    provider = ProviderProcess(process, line.split(" ", 1)[1], log)
    _wait_for_discovery(provider)
    return provider


def _wait_for_discovery(provider: ProviderProcess) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            with requests.get(provider.discovery_url, timeout=2) as response:
                if response.status_code == 200 and response.json()["issuer"] == provider.issuer:
                    return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            provider.stop()
            raise AssertionError(f"discovery never answered\n{provider.log.read_text()}")
        time.sleep(0.05)


@dataclass(frozen=True)
class Providers:
    main: ProviderProcess
    late: ProviderProcess


@pytest.fixture(scope="session")
def oidc_providers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Providers]:
    logs = tmp_path_factory.mktemp("oidc-provider")
    main = _start_provider(MAIN_CLIENTS, logs / "main.log")
    try:
        late = _start_provider(LATE_CLIENTS, logs / "late.log", clock_offset_seconds=-2 * 3600)
    except BaseException:
        main.stop()
        raise
    try:
        yield Providers(main, late)
    finally:
        main.stop()
        late.stop()


def provider_settings(providers: Providers) -> list[dict[str, Any]]:
    """PORTAL_OIDC_PROVIDERS for the test app."""

    def entry(client: Client, provider: ProviderProcess, **extra: Any) -> dict[str, Any]:
        return {
            "name": client.portal_name,
            "label": f"Log ind med {client.portal_name}",
            "discovery_url": provider.discovery_url,
            "client_id": client.client_id,
            "client_secret": client.secret,
            "kind": "staff",
            "roles": ["caseworker"],
            **extra,
        }

    staff, citizen, *faulty = MAIN_CLIENTS
    return [
        entry(
            staff,
            providers.main,
            label="Log ind som medarbejder",
            label_en="Log in as staff",
            required_assurance=SUBSTANTIAL,
        ),
        entry(
            citizen,
            providers.main,
            label="Log ind med MitID",
            kind="citizen",
            roles=["volunteer"],
            acr_values=SUBSTANTIAL,
        ),
        *(entry(client, providers.main) for client in faulty),
        entry(LATE_CLIENTS[0], providers.late),
        # Nothing listens on port 1.
        entry(
            Client("down", "portal-down"),
            providers.main,
            discovery_url="http://127.0.0.1:1/.well-known/openid-configuration",
        ),
        # The discovery document names http://127.0.0.1:<port> as its issuer, not localhost.
        entry(
            Client("mixup", "portal-staff"),
            providers.main,
            discovery_url=providers.main.discovery_url.replace("127.0.0.1", "localhost"),
        ),
    ]


@pytest.fixture(scope="session")
def oidc_app(
    app: Flask,
    database: TestDatabase,
    oidc_providers: Providers,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Flask]:
    """An app with the test providers configured, on the suite's seeded database."""
    del app  # requested so that the reference and demo data are loaded
    oidc_app = create_app(
        app_settings(
            database.url,
            tmp_path_factory.mktemp("oidc-instance"),
            OIDC_PROVIDERS=json.dumps(provider_settings(oidc_providers)),
            BASE_URL=PORTAL,
            WTF_CSRF_ENABLED=False,
        )
    )
    yield oidc_app
    oidc_app.extensions["portal_db"].engine.dispose()


@pytest.fixture(autouse=True)
def _oidc_isolated(request: pytest.FixtureRequest) -> Iterator[None]:
    """Roll back everything a test did through the OpenID Connect app."""
    if "oidc_app" not in request.fixturenames:
        yield
        return
    with rolled_back(request.getfixturevalue("oidc_app")):
        yield


@pytest.fixture
def oidc_client(oidc_app: Flask) -> FlaskClient:
    return oidc_app.test_client()


@pytest.fixture
def visitor(oidc_client: FlaskClient) -> Iterator[Browser]:
    """A fresh browser: no session at the portal nor at the provider."""
    with requests.Session() as http:
        yield Browser(oidc_client, http)


@pytest.fixture
def new_browser(oidc_app: Flask) -> Iterator[Callable[[], Browser]]:
    """More browsers in one test (another person, or the same cookie replayed elsewhere)."""
    sessions: list[requests.Session] = []

    def make() -> Browser:
        http = requests.Session()
        sessions.append(http)
        return Browser(oidc_app.test_client(), http)

    yield make
    for http in sessions:
        http.close()
