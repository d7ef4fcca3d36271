"""The grant pool's journey in Chromium, as the people doing it click it.

The grant officer opens a new round at a desk: first sends the form empty and is told what is
missing, then fills it in, saves it as a draft and publishes it. The admin of organisation B,
on a phone, finds the round on /tilskud with its deadline, applies, writes the application
and a budget line in Danish numbers (12,5 x 1.234,56 kr. = 15.432,00 kr., as the server
reckons it), checks the answers and sends it, and fetches the receipt PDF through the page's
link. The grant officer then reads the sent application, which no longer has a form. axe-core
runs on the pages of it, and the phone pages must not scroll sideways.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, LiveServer, log_in, screenshot

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
OFFICER = "grants@example.org"
NGO_ADMIN = "ngo-b.admin@example.org"  # organisation B: no application to any round
ORGANISATION = "Vestjyske Besøgsvenner"
ROUND = "Browserpuljen, testrunde"
RUBRIC = "Frivilliges rolle i projektet"
TITLE = "Besøgsvenner i Østjylland"
INSTITUTION = "Østjyllands Fængsel"
LINE_TEXT = "Kørsel for besøgsvennerne"
LINE_TOTAL = "15.432,00 kr."  # 12,5 x 1.234,56 kr.


def _fits_phone(page: Page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width}px wide on a phone"


def _deadline_sentence(day: date) -> str:
    """A deadline at 12.00 as the round pages write it (presentation.deadline_sentence)."""
    return f"Fristen er {format_date(day, 'full', locale='da')} kl. 12.00."


def test_a_round_is_published_applied_to_and_sent(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Callable[[Page, str], None],
) -> None:
    url = live_server.url
    today = datetime.now(COPENHAGEN).date()
    deadline = today + timedelta(days=10)
    reporting = today + timedelta(days=200)

    # --- the grant officer makes the round, at a desk -------------------------------------------
    officer = log_in(browser, live_server, OFFICER)
    officer.goto(url + "/tilskud/runder")
    expect(officer.locator("h1")).to_have_text("Tilskudsrunder")
    officer.get_by_role("link", name="Opret en ny runde").click()
    expect(officer.locator("h1")).to_have_text("Ny tilskudsrunde")
    officer.get_by_role("button", name="Gem runden", exact=True).click()

    summary = officer.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Der er problemer")
    for missing in (
        "Giv runden et navn.",
        "Skriv puljens størrelse.",
        "Skriv det højeste beløb, der kan søges.",
        "Vælg den dato, runden åbner.",
        "Vælg datoen for ansøgningsfristen.",
        "Vælg fristen for afrapportering.",
    ):
        expect(summary).to_contain_text(missing)
    expect(summary.get_by_role("link", name=re.compile("Giv runden et navn"))).to_have_attribute(
        "href", "#name_da"
    )
    check_accessibility(officer, "new round, sent empty")
    screenshot(officer, "grant-01-round-errors")

    officer.get_by_label("Navn (dansk)").fill(ROUND)
    officer.get_by_label("Beskrivelse (dansk)").fill(
        "En runde til frivillige organisationers projekter med indsatte og deres pårørende."
    )
    officer.get_by_label("Kriterier for at få tilskud (dansk)").fill(
        "Organisationer med et socialt formål kan søge. Frivillige skal bære projektet."
    )
    officer.get_by_label("Puljens størrelse i kr.").fill("1.000.000")
    officer.get_by_label("Højeste beløb pr. ansøgning i kr.").fill("200.000")
    officer.get_by_label("Åbner dato").fill(today.isoformat())
    officer.get_by_label("Åbner klokken").fill("00:00")
    officer.get_by_label("Ansøgningsfrist dato").fill(deadline.isoformat())
    officer.get_by_label("Ansøgningsfrist klokken").fill("12:00")
    officer.get_by_label("Frist for afrapportering").fill(reporting.isoformat())
    criterion = officer.locator("[data-criterion='0']")
    criterion.get_by_label("Kriterium (dansk)").fill(RUBRIC)
    criterion.get_by_label("Vægt").fill("100")
    criterion.get_by_label("Højeste point").fill("5")
    officer.get_by_role("button", name="Gem runden", exact=True).click()

    expect(officer.locator("h1")).to_have_text(ROUND)
    expect(officer.locator("main")).to_contain_text("Runden er gemt som kladde")
    expect(officer.locator("[data-phase]")).to_have_attribute("data-phase", "draft")
    expect(officer.locator("[data-publishing-problems]")).to_have_count(0)
    round_path = urlsplit(officer.url).path
    assert re.fullmatch(r"/tilskud/runder/[0-9a-f-]+", round_path), round_path
    officer.get_by_role("button", name="Offentliggør runden").click()

    expect(officer.locator("h1")).to_have_text(ROUND)
    expect(officer.locator("main")).to_contain_text("Runden er offentliggjort")
    expect(officer.locator("[data-phase]")).to_have_attribute("data-phase", "open")
    expect(officer.locator("[data-deadline]")).to_have_text(_deadline_sentence(deadline))
    expect(officer.locator("table[data-rubric]")).to_contain_text(RUBRIC)
    expect(officer.locator("[data-publish]")).to_have_count(0)
    check_accessibility(officer, "round published")
    screenshot(officer, "grant-02-round-published")

    # --- organisation B's admin applies, on a phone ----------------------------------------------
    ngo = log_in(browser, live_server, NGO_ADMIN, PHONE)
    ngo.goto(url + "/tilskud")
    expect(ngo.locator("h1")).to_have_text("Tilskud fra Civilsamfundspuljen")
    section = ngo.locator("section[data-round]", has=ngo.get_by_role("heading", name=ROUND))
    expect(section).to_have_count(1)
    expect(section.locator("[data-deadline]")).to_have_text(_deadline_sentence(deadline))
    expect(section.locator("[data-pool]")).to_have_text("1.000.000,00 kr.")
    expect(section.locator("[data-maximum]")).to_have_text("200.000,00 kr.")
    check_accessibility(ngo, "published rounds")
    _fits_phone(ngo, "published rounds")
    section.get_by_role("button", name="Ansøg om tilskud").click()

    expect(ngo.locator("h1")).to_have_text("Ansøgning uden titel")
    expect(ngo.locator(".font-lead")).to_have_text(f"{ROUND} · {ORGANISATION}")
    application_path = urlsplit(ngo.url).path
    assert re.fullmatch(r"/tilskud/ansoegninger/[0-9a-f-]+", application_path), application_path
    _fits_phone(ngo, "new application")

    ngo.get_by_label("Projektets titel").fill(TITLE)
    ngo.get_by_label("Kort resumé").fill("Faste besøgsvenner for indsatte uden netværk.")
    ngo.get_by_label("Beskrivelse af projektet").fill(
        "Frivillige besøger indsatte hver anden uge og hjælper med kontakten til familien."
    )
    ngo.get_by_label("Målgruppe").fill("Indsatte uden besøg, omkring 30 om året.")
    ngo.get_by_label(INSTITUTION, exact=True).check()
    ngo.get_by_label("Projektet begynder").fill(f"{today.year + 1}-01-01")
    ngo.get_by_label("Projektet slutter").fill(f"{today.year + 1}-12-31")
    ngo.get_by_label("Antal frivillige, I regner med").fill("12")

    # A fresh application offers one empty budget line.
    line = ngo.locator("[data-budget-line]").first
    expect(ngo.locator("[data-budget-line]")).to_have_count(1)
    line.get_by_label("Kategori").select_option(index=0)
    line.get_by_label("Tekst").fill(LINE_TEXT)
    line.get_by_label("Antal", exact=True).fill("12,5")
    line.get_by_label("Pris pr. enhed (kr.)").fill("1.234,56")
    # budget.js shows the line's total as it is typed (the same arithmetic as the server).
    expect(line.locator("[data-line-total]")).to_have_text(LINE_TOTAL)

    # "Tilføj budgetlinje" saves what is typed and comes back with an empty line to fill.
    ngo.get_by_role("button", name="Tilføj budgetlinje").click()
    ngo.wait_for_url(re.compile(r".*ny_linje=1.*"))
    expect(ngo.locator("h1")).to_have_text(TITLE)
    expect(ngo.locator("[data-budget-line]")).to_have_count(2)
    line = ngo.locator("[data-budget-line]").first
    expect(line.get_by_label("Antal", exact=True)).to_have_value("12,5")
    expect(line.get_by_label("Pris pr. enhed (kr.)")).to_have_value("1.234,56")
    # The server's total (budget.js only rewrites it on input).
    expect(line.locator("[data-line-total]")).to_have_text(LINE_TOTAL)
    expect(ngo.locator("[data-budget-line]").nth(1).locator("[data-line-total]")).to_have_text("–")

    # "Gem" with the second line left empty: the empty line is dropped.
    ngo.get_by_role("button", name="Gem", exact=True).click()
    expect(ngo.locator("main")).to_contain_text("Ansøgningen er gemt.")
    expect(ngo.locator("[data-budget-line]")).to_have_count(1)
    line = ngo.locator("[data-budget-line]").first
    expect(line.get_by_label("Tekst")).to_have_value(LINE_TEXT)
    expect(line.locator("[data-line-total]")).to_have_text(LINE_TOTAL)
    totals = ngo.locator("[data-budget-totals]")
    expect(totals.locator("[data-total='cost']")).to_have_text(LINE_TOTAL)
    expect(totals.locator("[data-total='requested']")).to_have_text(LINE_TOTAL)
    expect(ngo.get_by_label(INSTITUTION, exact=True)).to_be_checked()
    check_accessibility(ngo, "application being written")
    _fits_phone(ngo, "application being written")
    screenshot(ngo, "grant-03-application-saved")

    # --- it checks the answers and sends it ------------------------------------------------------
    ngo.get_by_role("link", name="Tjek og send", exact=True).click()
    expect(ngo.locator("h1")).to_have_text("Tjek dine svar")
    assert urlsplit(ngo.url).path == f"{application_path}/indsend"
    expect(ngo.locator("[data-problems]")).to_have_count(0)
    expect(ngo.locator("main")).to_contain_text(TITLE)
    expect(ngo.locator("main")).to_contain_text(INSTITUTION)
    expect(ngo.locator("[data-budget-table]")).to_contain_text(LINE_TOTAL)
    check_accessibility(ngo, "check your answers")
    _fits_phone(ngo, "check your answers")
    screenshot(ngo, "grant-04-check")
    ngo.get_by_role("button", name="Send ansøgningen").click()

    expect(ngo.locator("h1")).to_have_text(TITLE)
    assert urlsplit(ngo.url).path == application_path
    expect(ngo.locator("main")).to_contain_text("Ansøgningen er sendt")
    expect(ngo.locator("[data-submitted]")).to_contain_text(f"Der søges {LINE_TOTAL}")
    expect(ngo.locator("[data-application-form]")).to_have_count(0)
    receipt = ngo.get_by_role("link", name="Hent kvitteringen (PDF)")
    expect(receipt).to_be_visible()
    check_accessibility(ngo, "application sent")
    _fits_phone(ngo, "application sent")
    screenshot(ngo, "grant-05-sent")

    href = receipt.get_attribute("href")
    assert href, "the receipt link has no address"
    response = ngo.request.get(url + urlsplit(href).path)  # the logged-in context's cookies
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("application/pdf"), response.headers
    assert response.body().startswith(b"%PDF"), response.body()[:20]

    # --- the grant officer reads the sent application ---------------------------------------------
    officer.goto(url + application_path)
    expect(officer.locator("h1")).to_have_text(TITLE)
    expect(officer.locator("main")).to_contain_text("Ansøgningen er sendt")
    expect(officer.locator("[data-application-form]")).to_have_count(0)
    expect(officer.locator("main input:not([type=hidden]), main textarea")).to_have_count(0)
    expect(officer.locator("main")).not_to_contain_text("Tjek og send")
    expect(officer.locator("[data-budget-table]")).to_contain_text(LINE_TEXT)
    expect(officer.locator("[data-budget-table]")).to_contain_text(LINE_TOTAL)
    expect(officer.locator("main")).to_contain_text(INSTITUTION)
    check_accessibility(officer, "sent application, as the grant officer reads it")
    screenshot(officer, "grant-06-officer-reads")

    for page in (ngo, officer):
        page.context.close()
