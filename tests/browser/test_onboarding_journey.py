"""The whole onboarding journey in Chromium, as the people doing it would click through it.

An organisation registers; the caseworker asks for more information; the organisation answers;
the caseworker approves; the admin invites a colleague, who accepts and logs in. axe-core runs
on every page of it, and the main pages are kept as screenshots in test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from portal.services.demo import DEMO_PDF
from tests.browser.conftest import PHONE, LiveServer, log_in, new_page, screenshot

ORG_NAME = "Foreningen Ny Start"
ADMIN_EMAIL = "stifter@nystart.example.org"
COLLEAGUE_EMAIL = "kollega@nystart.example.org"
PASSWORD = "en lang og god adgangskode"


def _latest_mail_to(server: LiveServer, address: str) -> EmailMessage:
    outbox = Path(server.app.instance_path) / "outbox"
    messages = [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    ]
    mine = [m for m in messages if m["To"] == address]
    assert mine, f"no mail to {address}"
    return mine[-1]  # type: ignore[return-value]


def _body(message: EmailMessage) -> str:
    return str(message.get_content())


def test_an_organisation_becomes_a_partner(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Callable[[Page, str], None],
    tmp_path: Path,
) -> None:
    url = live_server.url
    statutes = tmp_path / "Vedtægter.pdf"
    report = tmp_path / "Årsregnskab 2025.pdf"
    statutes.write_bytes(DEMO_PDF)
    report.write_bytes(DEMO_PDF)

    # --- the organisation registers, on a phone ------------------------------------------
    page = new_page(browser, PHONE)
    page.goto(url + "/")
    page.get_by_role("link", name="Bliv samarbejdspartner").click()
    expect(page.locator("h1")).to_have_text("Bliv samarbejdspartner")
    check_accessibility(page, "start page")
    screenshot(page, "journey-01-start")
    page.get_by_role("link", name="Start ansøgningen").first.click()

    page.get_by_label("Fulde navn").fill("Signe Stifter")
    page.get_by_label("E-mail").fill(ADMIN_EMAIL)
    page.get_by_label("Adgangskode", exact=True).fill(PASSWORD)
    page.get_by_label("Gentag adgangskoden").fill(PASSWORD)
    check_accessibility(page, "account step")
    page.get_by_role("button", name="Opret bruger og fortsæt").click()

    expect(page.get_by_label("Organisationens navn")).to_be_visible()
    page.get_by_label("Organisationens navn").fill(ORG_NAME)
    page.get_by_label("CVR-nummer").fill("12345678")  # fails the modulus-11 check
    page.get_by_label("Adresse").fill("Torvet 1")
    page.get_by_label("Postnummer").fill("4000")
    page.get_by_label("By", exact=True).fill("Roskilde")
    page.get_by_label("Kommune").select_option(label="Roskilde")
    page.get_by_label("Lokal", exact=True).check()
    page.get_by_label("Organisationens formål").fill(
        "Fællesskab og netværk for mennesker på vej ud af kriminalitet."
    )
    page.get_by_label("Hvad vil I lave sammen med kriminalforsorgen?").fill(
        "Netværksgrupper for løsladte."
    )
    page.get_by_role("button", name="Gem og fortsæt").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("CVR-nummeret er ikke gyldigt")
    expect(page.get_by_label("Organisationens navn")).to_have_value(
        ORG_NAME
    )  # nothing typed is lost
    check_accessibility(page, "organisation step with errors")
    screenshot(page, "journey-02-organisation-errors")
    page.get_by_label("CVR-nummer").fill("70000008")
    page.get_by_role("button", name="Gem og fortsæt").click()

    expect(page.locator("main")).to_contain_text("Områdekontoret i Kriminalforsorgen Øst")
    page.get_by_label("Vedtægter").set_input_files(str(statutes))
    page.get_by_label("Seneste årsrapport eller regnskab").set_input_files(str(report))
    check_accessibility(page, "documents step")
    page.get_by_role("button", name="Gem og fortsæt").click()

    expect(page.get_by_role("checkbox").first).to_be_visible()
    for box in page.get_by_role("checkbox").all():
        box.check()
    check_accessibility(page, "terms step")
    page.get_by_role("button", name="Gem og fortsæt").click()

    expect(page.locator("h1")).to_have_text("Tjek dine svar")
    expect(page.locator("main")).to_contain_text(ORG_NAME)
    expect(page.locator("main")).to_contain_text("Vedtægter.pdf")
    check_accessibility(page, "check your answers")
    screenshot(page, "journey-03-check-answers")
    page.get_by_role("button", name="Send ansøgningen").click()

    expect(page.locator("h1")).to_contain_text("Ansøgningen er sendt")
    check_accessibility(page, "receipt")
    screenshot(page, "journey-04-receipt")
    assert "Ansøgning modtaget" in str(_latest_mail_to(live_server, ADMIN_EMAIL)["Subject"])
    page.context.close()

    # --- the caseworker of Øst takes the case and asks for more information ---------------
    caseworker = log_in(browser, live_server, "caseworker.ost@example.org")
    caseworker.get_by_role("link", name="Sager", exact=True).first.click()
    check_accessibility(caseworker, "queue")
    caseworker.get_by_role("link", name=ORG_NAME).click()
    expect(caseworker.locator("h1")).to_contain_text(ORG_NAME)
    check_accessibility(caseworker, "case page")
    caseworker.get_by_role("button", name="Tag sagen").click()
    caseworker.get_by_label("Hvad skal organisationen sende eller uddybe?").fill(
        "Send venligst referatet fra den stiftende generalforsamling."
    )
    caseworker.get_by_role("button", name="Send anmodningen").click()
    expect(caseworker.locator("main")).to_contain_text("Mangler oplysninger")
    screenshot(caseworker, "journey-05-case-asked")

    # --- the organisation answers --------------------------------------------------------
    message = _latest_mail_to(live_server, ADMIN_EMAIL)
    assert "flere oplysninger" in str(message["Subject"])
    link = re.search(r"http://127\.0\.0\.1:5000(/organisationer/[0-9a-f-]+/sag)", _body(message))
    assert link, _body(message)
    applicant = _log_in_with(browser, live_server, ADMIN_EMAIL)
    applicant.goto(url + link.group(1))
    expect(applicant.locator("main")).to_contain_text(
        "referatet fra den stiftende generalforsamling"
    )
    check_accessibility(applicant, "status with a request")
    applicant.get_by_label("Jeres svar").fill("Referatet er vedhæftet.")
    applicant.get_by_role("button", name="Send svar").click()
    expect(applicant.locator("main")).to_contain_text("Jeres svar er sendt")
    screenshot(applicant, "journey-06-answered")

    # --- the caseworker approves ----------------------------------------------------------
    caseworker.reload()
    caseworker.get_by_role("button", name="Tag sagen").click()
    caseworker.get_by_role("button", name="Godkend organisationen").click()
    expect(caseworker.locator("main")).to_contain_text("Godkendt")
    check_accessibility(caseworker, "approved case")
    caseworker.context.close()

    # --- the admin invites a colleague ----------------------------------------------------
    applicant.goto(url + "/overblik")
    applicant.get_by_role("link", name="Medlemmer og invitationer").first.click()
    check_accessibility(applicant, "members page")
    applicant.get_by_label("Navn", exact=True).fill("Karl Kollega")
    applicant.get_by_label("E-mail").fill(COLLEAGUE_EMAIL)
    expect(applicant.get_by_role("radio", checked=True)).to_have_count(1)  # staff member by default
    applicant.get_by_role("button", name="Send invitationen").click()
    expect(applicant.locator("main")).to_contain_text(COLLEAGUE_EMAIL)
    screenshot(applicant, "journey-07-members")
    applicant.context.close()

    # --- the colleague accepts and logs in ------------------------------------------------
    invitation = re.search(
        r"http://127\.0\.0\.1:5000(/invitation/[A-Za-z0-9_-]+)",
        _body(_latest_mail_to(live_server, COLLEAGUE_EMAIL)),
    )
    assert invitation
    colleague = new_page(browser, PHONE)
    colleague.goto(url + invitation.group(1))
    check_accessibility(colleague, "accept invitation")
    colleague.get_by_label("Fulde navn").fill("Karl Kollega")
    colleague.get_by_label("Ny adgangskode").fill(PASSWORD)
    colleague.get_by_label("Gentag adgangskoden").fill(PASSWORD)
    colleague.get_by_role("button", name="Opret adgang").click()
    expect(colleague.locator("h1")).to_contain_text("Velkommen, Karl Kollega")
    expect(colleague.locator("main")).to_contain_text(ORG_NAME)
    check_accessibility(colleague, "colleague's dashboard")
    screenshot(colleague, "journey-08-colleague-dashboard")
    colleague.context.close()


def _log_in_with(browser: Browser, server: LiveServer, email: str) -> Page:
    page = new_page(browser, PHONE)
    page.goto(f"{server.url}/log-ind")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{server.url}/overblik")
    return page
