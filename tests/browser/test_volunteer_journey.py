"""The volunteers' journey in Chromium on a phone-sized screen, as the people doing it click it.

The organisation registers a volunteer and records their preparation; the volunteer signs
from the e-mailed link (date of birth, password, CPR number, declarations); the caseworker
reveals the CPR number, records the outcome and grants access to an institution; the
organisation sees the volunteer cleared for it. axe-core runs on every page of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, LiveServer, log_in, screenshot
from tests.browser.test_onboarding_journey import _body, _latest_mail_to

NAME = "Karen Kofoed"
EMAIL = "karen.kofoed@example.org"
CPR = "0707921238"  # 7 July 1992
INSTITUTION = "Horserød Fængsel"  # open prison: the profile requires the preparation
PASSWORD = "mit eget lange kodeord"


def test_a_volunteer_is_registered_signs_and_is_cleared(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Callable[[Page, str], None],
) -> None:
    url = live_server.url

    # --- the organisation registers the volunteer ------------------------------------------
    ngo = log_in(browser, live_server, "ngo-a.admin@example.org", PHONE)
    ngo.goto(url + "/frivillige")
    check_accessibility(ngo, "volunteers list")
    ngo.get_by_role("link", name="Registrér en frivillig").click()
    check_accessibility(ngo, "register a volunteer")
    ngo.get_by_role("button", name="Registrér og send invitationen").click()
    expect(ngo.locator("[data-error-summary]")).to_be_visible()
    check_accessibility(ngo, "register a volunteer, with errors")
    ngo.get_by_label("Navn", exact=True).fill(NAME)
    ngo.get_by_label("E-mail").fill(EMAIL)
    ngo.get_by_label("Fødselsdato").fill("1992-07-07")
    ngo.get_by_role("button", name="Registrér og send invitationen").click()
    expect(ngo.locator("h1")).to_have_text(NAME)
    expect(ngo.locator("main")).to_contain_text("Inviteret")
    screenshot(ngo, "volunteer-01-registered")

    ngo.get_by_role("link", name="Registrér forberedelse").click()
    check_accessibility(ngo, "record preparation")
    ngo.get_by_label("Materiale eller kursus").fill("Introaften om sikkerhed og tavshedspligt")
    ngo.get_by_role("button", name="Registrér forberedelsen").click()
    expect(ngo.locator("main")).to_contain_text("Introaften om sikkerhed og tavshedspligt")

    # --- the volunteer signs from the e-mailed link, on a phone -------------------------------
    link = re.search(r"https?://\S+/underskriv/\S+", _body(_latest_mail_to(live_server, EMAIL)))
    assert link
    volunteer = browser.new_context(viewport=PHONE, locale="da-DK", bypass_csp=True).new_page()
    volunteer.goto(url + _path(link.group(0)))
    check_accessibility(volunteer, "signing: identity")
    volunteer.get_by_label("Dag").fill("7")
    volunteer.get_by_label("Måned").fill("8")
    volunteer.get_by_label("År").fill("1992")
    volunteer.get_by_role("button", name="Fortsæt").click()
    expect(volunteer.locator("[data-error-summary], .form-error-message").first).to_be_visible()
    check_accessibility(volunteer, "signing: wrong birth date")
    volunteer.get_by_label("Måned").fill("7")
    volunteer.get_by_role("button", name="Fortsæt").click()

    check_accessibility(volunteer, "signing: account")
    volunteer.get_by_label("Vælg en adgangskode").fill(PASSWORD)
    volunteer.get_by_label("Gentag adgangskoden").fill(PASSWORD)
    volunteer.get_by_role("button", name="Opret konto og fortsæt").click()

    check_accessibility(volunteer, "signing: CPR number")
    volunteer.get_by_label("CPR-nummer").fill("070792")
    volunteer.get_by_role("button", name="Fortsæt").click()
    expect(volunteer.locator("[data-error-summary]")).to_be_visible()
    volunteer.get_by_label("CPR-nummer").fill(CPR[:6] + "-" + CPR[6:])
    volunteer.get_by_role("button", name="Fortsæt").click()

    check_accessibility(volunteer, "signing: declarations")
    screenshot(volunteer, "volunteer-02-declarations")
    for box in volunteer.get_by_role("checkbox").all():
        box.check()
    volunteer.get_by_role("button", name="Jeg underskriver").click()
    expect(volunteer.locator("main")).to_contain_text("Kvittering")
    check_accessibility(volunteer, "signing: receipt")
    screenshot(volunteer, "volunteer-03-receipt")
    assert CPR not in volunteer.content()
    receipt_mail = _latest_mail_to(live_server, EMAIL)
    assert any(part.get_content_type() == "application/pdf" for part in receipt_mail.walk())

    # --- the caseworker checks the register and grants access ------------------------------------
    caseworker = log_in(browser, live_server, "caseworker.ost@example.org", PHONE)
    caseworker.goto(url + "/tjek")
    check_accessibility(caseworker, "check queue")
    caseworker.get_by_role("link", name=NAME).click()
    expect(caseworker.locator("main")).not_to_contain_text(CPR[:6] + "-" + CPR[6:])
    check_accessibility(caseworker, "volunteer to check")
    caseworker.get_by_role("button", name="Vis CPR-nummer").click()
    expect(caseworker.locator("main")).to_contain_text(CPR[:6] + "-" + CPR[6:])
    check_accessibility(caseworker, "CPR number shown")
    caseworker.get_by_label("Godkendt", exact=True).check()
    caseworker.get_by_role("button", name="Registrér resultatet").click()
    expect(caseworker.locator("main")).not_to_contain_text(CPR[:6] + "-" + CPR[6:])
    caseworker.get_by_role("link", name="Giv adgang").click()
    check_accessibility(caseworker, "grant access")
    caseworker.get_by_label(INSTITUTION).check()
    caseworker.get_by_role("button", name="Giv adgang").click()
    expect(caseworker.locator("main")).to_contain_text(INSTITUTION)
    screenshot(caseworker, "volunteer-04-caseworker")

    # --- the organisation sees the volunteer cleared for the institution ---------------------------
    ngo.goto(url + "/frivillige")
    row = ngo.locator("tr", has_text=NAME)
    expect(row).to_contain_text("Har adgang")
    row.get_by_role("link", name=NAME).click()
    expect(ngo.locator("main")).to_contain_text(INSTITUTION)
    expect(ngo.locator("main")).not_to_contain_text(CPR[:6])
    check_accessibility(ngo, "volunteer cleared, as the organisation sees it")
    screenshot(ngo, "volunteer-05-organisation")

    # --- and the volunteer on their own page ---------------------------------------------------------
    volunteer.goto(url + "/mig/frivillig")
    expect(volunteer.locator("main")).to_contain_text(INSTITUTION)
    check_accessibility(volunteer, "volunteer's own page")
    for page in (ngo, volunteer, caseworker):
        page.context.close()


def _path(link: str) -> str:
    return "/underskriv/" + link.split("/underskriv/", 1)[1]
