"""Every demo account logs in, reaches its dashboard, and every page it reaches is accessible."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from portal.services.demo import DEMO_ACCOUNTS
from tests.browser.conftest import (
    PHONE,
    LiveServer,
    log_in,
    new_page,
    screenshot,
    start_live_server,
)

PUBLIC_PAGES = [
    "/",
    "/log-ind",
    "/glemt-adgangskode",
    "/kontakt",
    "/privatlivspolitik",
    "/tilgaengelighed",
    "/findes-ikke",
]

# What each account's dashboard must show: its own "what needs me now".
DASHBOARD_TEXT = {
    "admin@example.org": "Nyeste brugere",
    "caseworker.ost@example.org": "Gældsrådgivning Sjælland",
    "caseworker.vest@example.org": "Fynske Mentorer",
    "institution@example.org": "Storstrøm Fængsel",
    "grants@example.org": "venter på bedømmelse og afgørelse",
    "reviewer@example.org": "venter på din bedømmelse",
    "dpo@example.org": "Revisionsloggen er intakt",
    "ngo-a.admin@example.org": "Foreningen Nyt Netværk",
    "ngo-a.member@example.org": "Foreningen Nyt Netværk",
    "ngo-b.admin@example.org": "Vestjyske Besøgsvenner",
    "volunteer@example.org": "registreret som frivillig",
}
# And what it must never show (another tenant's or another area's data).
DASHBOARD_NOT = {
    "caseworker.ost@example.org": "Fynske Mentorer",
    "caseworker.vest@example.org": "Gældsrådgivning Sjælland",
    "ngo-a.admin@example.org": "Vestjyske Besøgsvenner",
    # Organisation B's grant waits for B's answer, never on A's dashboard.
    "ngo-a.member@example.org": "Besøgsvenner i Vestjylland",
    "ngo-b.admin@example.org": "Foreningen Nyt Netværk",
}


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_are_accessible(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Callable[[Page, str], None],
    path: str,
) -> None:
    for viewport in ({"width": 1280, "height": 900}, PHONE):
        page = new_page(browser, viewport)
        page.goto(live_server.url + path)
        expect(page.locator("h1")).to_have_count(1)
        assert page.locator("html").get_attribute("lang") == "da"
        check_accessibility(page, path)
        page.context.close()


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.email)
def test_account_reaches_dashboard_and_every_page_is_accessible(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Callable[[Page, str], None],
    account: Any,
) -> None:
    page = log_in(browser, live_server, account.email)
    expect(page.locator("h1")).to_contain_text("Velkommen")
    expect(page.locator("main")).to_contain_text(DASHBOARD_TEXT[account.email])
    if account.email in DASHBOARD_NOT:
        expect(page.locator("main")).not_to_contain_text(DASHBOARD_NOT[account.email])
    check_accessibility(page, f"{account.email} dashboard")
    slug = account.email.split("@")[0]
    screenshot(page, f"dashboard-{slug}")

    links = page.locator("nav a[href^='/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    visited = {"/overblik"}
    for href in dict.fromkeys(links):
        if href in visited or href.startswith("/static"):
            continue
        visited.add(href)
        response = page.goto(live_server.url + href)
        assert response is not None and response.status == 200, href
        check_accessibility(page, f"{account.email} {href}")

    phone = page.context.new_page()
    phone.set_viewport_size(PHONE)
    phone.goto(f"{live_server.url}/overblik")
    check_accessibility(phone, f"{account.email} dashboard on a phone")
    screenshot(phone, f"dashboard-{slug}-phone")
    page.context.close()


def test_admin_detail_pages_and_form_errors(
    browser: Browser, live_server: LiveServer, check_accessibility: Callable[[Page, str], None]
) -> None:
    page = log_in(browser, live_server, "admin@example.org")
    page.goto(f"{live_server.url}/admin/brugere")
    page.get_by_role("link", name="Mette Hansen").click()
    expect(page.locator("h1")).to_have_text("Mette Hansen")
    check_accessibility(page, "user page")

    page.goto(f"{live_server.url}/admin/institutioner")
    page.get_by_role("link", name="Storstrøm Fængsel").click()
    check_accessibility(page, "institution page")

    page.goto(f"{live_server.url}/admin/invitationer/ny")
    page.get_by_label("Navn").fill("Karen Kontakt")
    page.get_by_role("button", name="Send invitation").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Skriv personens e-mailadresse.")
    expect(page.get_by_label("Navn")).to_have_value("Karen Kontakt")  # nothing typed is lost
    check_accessibility(page, "invitation form with errors")
    screenshot(page, "admin-invite-errors")
    page.context.close()


def test_language_switch_to_english_and_back(browser: Browser, live_server: LiveServer) -> None:
    page = new_page(browser)
    page.goto(f"{live_server.url}/log-ind")
    page.get_by_role("button", name="English").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Log in")
    page.get_by_role("button", name="Dansk").first.click()
    expect(page.locator("h1")).to_have_text("Log ind")
    page.context.close()


def test_wrong_password_shows_an_error_summary(browser: Browser, live_server: LiveServer) -> None:
    page = new_page(browser, PHONE)
    page.goto(f"{live_server.url}/log-ind")
    page.get_by_label("E-mail").fill("admin@example.org")
    page.get_by_label("Adgangskode").fill("forkert")
    page.get_by_role("button", name="Log ind").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "E-mailadressen eller adgangskoden er forkert."
    )
    expect(page.get_by_label("E-mail")).to_have_value("admin@example.org")
    screenshot(page, "login-error-phone")
    page.context.close()


def test_pages_keep_to_the_content_security_policy(
    browser: Browser, live_server: LiveServer
) -> None:
    """Without bypassing the CSP: no page script or style is refused, and the menus work."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(f"{live_server.url}/log-ind")
    page.get_by_label("E-mail").fill("admin@example.org")
    page.get_by_label("Adgangskode").fill("demo-password-1")
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{live_server.url}/overblik")
    page.goto(f"{live_server.url}/admin/brugere")
    assert not refused, refused
    context.close()


def test_session_expiry_is_announced_before_logout(
    browser: Browser, new_database: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """With a one-minute idle timeout and a 55-second warning, the dialog opens within seconds."""
    with start_live_server(
        new_database,
        tmp_path_factory.mktemp("short"),
        SESSION_IDLE_MINUTES=1,
        SESSION_WARNING_SECONDS=55,
    ) as server:
        page = log_in(browser, server, "volunteer@example.org")
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible(timeout=15_000)
        expect(dialog).to_contain_text("Du bliver snart logget ud")
        page.get_by_role("button", name="Forbliv logget ind").click()
        expect(dialog).to_be_hidden()
        page.goto(f"{server.url}/overblik")
        expect(page).to_have_url(re.compile(r"/overblik$"))
        page.context.close()


def test_ngo_uploads_a_document_and_sees_it(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Callable[[Page, str], None],
    tmp_path: Any,
) -> None:
    from portal.services.demo import DEMO_PDF

    page = log_in(browser, live_server, "ngo-a.admin@example.org", viewport=PHONE)
    page.get_by_role("link", name="Dokumenter").first.click()
    expect(page.locator("h1")).to_have_text("Dokumenter")
    expect(page.locator("main")).to_contain_text("Vedtægter 2025.pdf")
    check_accessibility(page, "documents page")

    page.get_by_role("button", name="Upload").click()  # nothing chosen: errors, in Danish
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("[data-error-summary]")).to_contain_text("Vælg, hvad dokumentet er.")
    check_accessibility(page, "documents page with errors")

    report = tmp_path / "Årsrapport 2025.pdf"
    report.write_bytes(DEMO_PDF)
    page.get_by_label("Hvad er dokumentet?").select_option("annual_report")
    page.get_by_label("Kort beskrivelse").fill("Godkendt på generalforsamlingen")
    page.get_by_label("Fil").set_input_files(str(report))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("main")).to_contain_text("Dokumentet er gemt.")
    expect(page.get_by_role("link", name="Årsrapport 2025.pdf")).to_be_visible()
    screenshot(page, "documents-phone")
    with page.expect_download() as download:
        page.get_by_role("link", name="Årsrapport 2025.pdf").click()
    assert download.value.suggested_filename == "Årsrapport 2025.pdf"
    page.context.close()
