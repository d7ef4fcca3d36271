"""Browser tests: the real app on a real server thread, driven through Debian's Chromium.

The server runs on its own committed database (migrated and seeded like `make run`), with
CSRF on, as a user meets it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from werkzeug.serving import make_server

from portal import migrate
from tests.conftest import seeded_app
from tests.databases import TestDatabase

PROJECT = Path(__file__).resolve().parents[2]
AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `make browser` (apt-get install chromium)")
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()
        self.app.extensions["portal_db"].engine.dispose()


def start_live_server(
    new_database: Callable[[], TestDatabase], folder: Path, **settings: Any
) -> LiveServer:
    database = new_database()
    migrate.upgrade(database.url)
    app = seeded_app(database, folder, **settings)
    app.config["TESTING"] = False
    return LiveServer(app)


@pytest.fixture(scope="session")
def live_server(
    new_database: Callable[[], TestDatabase], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with start_live_server(new_database, tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci`")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def check_accessibility(axe_source: str) -> Callable[[Page, str], None]:
    """Run axe-core on the page; fail on any serious or critical violation."""

    def check(page: Page, name: str) -> None:
        # A click that navigates returns before the new document exists; injecting then
        # finds no <head> (seen when both suites share the machine's cores).
        page.wait_for_load_state("load")
        page.add_script_tag(content=axe_source)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} - {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, f"{name}: " + "; ".join(bad)

    return check


# axe-core is injected as an inline script, which the portal's CSP rightly forbids; the test
# browser bypasses the CSP for that, and test_pages checks the CSP separately without bypass.
def new_page(browser: Browser, viewport: dict[str, int] | None = None) -> Page:
    context = browser.new_context(
        viewport=viewport or {"width": 1280, "height": 900}, locale="da-DK", bypass_csp=True
    )
    return context.new_page()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(
    browser: Browser, server: LiveServer, email: str, viewport: dict[str, int] | None = None
) -> Page:
    context = browser.new_context(
        viewport=viewport or {"width": 1280, "height": 900}, locale="da-DK", bypass_csp=True
    )
    page = context.new_page()
    page.goto(f"{server.url}/log-ind")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill("demo-password-1")
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{server.url}/overblik")
    return page
