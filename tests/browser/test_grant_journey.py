"""The grant pool's journey in Chromium, as the people doing it click it.

The grant officer opens a new round at a desk: first sends the form empty and is told what is
missing, then fills it in, saves it as a draft and publishes it. The admin of organisation B,
on a phone, finds the round on /tilskud with its deadline, applies, writes the application
and a budget line in Danish numbers (12,5 x 1.234,56 kr. = 15.432,00 kr., as the server
reckons it), checks the answers and sends it, and fetches the receipt PDF through the page's
link. The grant officer then reads the sent application, which no longer has a form. axe-core
runs on the pages of it, and the phone pages must not scroll sideways.

The second journey is a grant's whole life, everyone on a phone: the officer opens a round
with the demo reviewer; organisation A's admin applies (with its project type) and sends; the
deadline passes (set in the database: nobody waits ten days); the officer starts the
assessment, screens the application as eligible and gives it to the reviewer, who scores it;
the officer reads the scores side by side and grants part of the amount with conditions; the
organisation sees the decision and the letter, is refused when it accepts without ticking the
conditions (its message kept), then accepts; the officer pays; the organisation writes and
sends the final report; the officer approves it and closes the grant, which the organisation
then sees with its whole history. axe-core and the phone width are checked on every page.
"""

from __future__ import annotations

import re
import uuid
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


# --- the whole life of a grant ------------------------------------------------------------------

LIFE_ROUND = "Browserpuljen, hele vejen"
LIFE_RUBRIC = "Projektets betydning for de indsatte"
LIFE_TITLE = "Mentorer ved løsladelsen"
LIFE_NGO_ADMIN = "ngo-a.admin@example.org"  # organisation A
LIFE_ORGANISATION = "Foreningen Nyt Netværk"
REVIEWER = "reviewer@example.org"
REVIEWER_NAME = "Rasmus Riis"
LIFE_LINE = "Mentorernes kørsel og forplejning"
LIFE_REQUESTED = "24.000,00 kr."  # 12 x 2.000 kr.
LIFE_GRANTED = "18.000,00 kr."
LIFE_CONDITIONS = "Mentorerne skal have tavshedserklæring, før de møder de indsatte."


def _look(page: Page, name: str, check: Callable[[Page, str], None]) -> None:
    """axe on the page, no sideways scrolling on the phone, and a screenshot to look at."""
    check(page, name)
    _fits_phone(page, name)
    screenshot(page, "grant-life-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"))


def _deadline_passes(server: LiveServer, round_path: str) -> None:
    """The clock: the round's deadline is now one second ago (set in the database, as no
    one can wait ten days; the server then decides by its own clock as always)."""
    from portal import db
    from portal.db import utcnow
    from portal.models import GrantRound

    round_id = uuid.UUID(round_path.rsplit("/", 1)[-1])
    with server.app.app_context():
        grant_round = db.session.get(GrantRound, round_id)
        assert grant_round is not None
        now = utcnow().replace(microsecond=0)
        grant_round.opens_at = now - timedelta(days=2)
        grant_round.deadline_at = now - timedelta(seconds=1)
        db.session.commit()


def test_a_grant_from_the_round_to_the_closed_report(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Callable[[Page, str], None],
) -> None:
    url = live_server.url
    today = datetime.now(COPENHAGEN).date()

    def look(page: Page, name: str) -> None:
        _look(page, name, check_accessibility)

    # --- the grant officer opens a round with the demo reviewer ---------------------------------
    officer = log_in(browser, live_server, OFFICER, PHONE)
    officer.goto(url + "/tilskud/runder/ny")
    expect(officer.locator("h1")).to_have_text("Ny tilskudsrunde")
    officer.get_by_label("Navn (dansk)").fill(LIFE_ROUND)
    officer.get_by_label("Beskrivelse (dansk)").fill(
        "Tilskud til frivillige, der følger indsatte fra fængslet og ud i livet."
    )
    officer.get_by_label("Kriterier for at få tilskud (dansk)").fill(
        "Frivillige skal bære projektet, og det skal styrke de indsattes netværk."
    )
    officer.get_by_label("Puljens størrelse i kr.").fill("500.000")
    officer.get_by_label("Højeste beløb pr. ansøgning i kr.").fill("100.000")
    officer.get_by_label("Åbner dato").fill(today.isoformat())
    officer.get_by_label("Åbner klokken").fill("00:00")
    officer.get_by_label("Ansøgningsfrist dato").fill((today + timedelta(days=10)).isoformat())
    officer.get_by_label("Ansøgningsfrist klokken").fill("12:00")
    officer.get_by_label("Frist for afrapportering").fill((today + timedelta(days=300)).isoformat())
    criterion = officer.locator("[data-criterion='0']")
    criterion.get_by_label("Kriterium (dansk)").fill(LIFE_RUBRIC)
    criterion.get_by_label("Vægt").fill("100")
    criterion.get_by_label("Højeste point").fill("5")
    officer.get_by_label(f"{REVIEWER_NAME} ({REVIEWER})").check()
    look(officer, "new round filled in")
    officer.get_by_role("button", name="Gem runden", exact=True).click()
    expect(officer.locator("h1")).to_have_text(LIFE_ROUND)
    expect(officer.locator("[data-reviewers]")).to_contain_text(REVIEWER_NAME)
    round_path = urlsplit(officer.url).path
    officer.get_by_role("button", name="Offentliggør runden").click()
    expect(officer.locator("[data-phase]")).to_have_attribute("data-phase", "open")
    look(officer, "round published")

    # --- organisation A's admin applies, on a phone ---------------------------------------------
    ngo = log_in(browser, live_server, LIFE_NGO_ADMIN, PHONE)
    ngo.goto(url + "/tilskud")
    section = ngo.locator("section[data-round]", has=ngo.get_by_role("heading", name=LIFE_ROUND))
    section.get_by_role("button", name="Ansøg om tilskud").click()
    expect(ngo.locator("h1")).to_have_text("Ansøgning uden titel")
    application_path = urlsplit(ngo.url).path
    ngo.get_by_label("Projektets titel").fill(LIFE_TITLE)
    ngo.get_by_label("Kort resumé").fill("Frivillige mentorer følger indsatte det første år.")
    ngo.get_by_label("Beskrivelse af projektet").fill(
        "Mentorerne møder de indsatte før løsladelsen og følger dem i et år bagefter."
    )
    ngo.get_by_label("Målgruppe").fill("Indsatte med under et år tilbage, omkring 20 om året.")
    ngo.get_by_label("Løsladelse og tiden efter").check()
    ngo.locator("input[name='institutions']").first.check()
    ngo.get_by_label("Projektet begynder").fill(f"{today.year + 1}-02-01")
    ngo.get_by_label("Projektet slutter").fill(f"{today.year + 1}-11-30")
    ngo.get_by_label("Antal frivillige, I regner med").fill("8")
    line = ngo.locator("[data-budget-line]").first
    line.get_by_label("Tekst").fill(LIFE_LINE)
    line.get_by_label("Antal", exact=True).fill("12")
    line.get_by_label("Pris pr. enhed (kr.)").fill("2.000")
    ngo.get_by_role("button", name="Gem", exact=True).click()
    expect(ngo.locator("main")).to_contain_text("Ansøgningen er gemt.")
    expect(ngo.get_by_label("Løsladelse og tiden efter")).to_be_checked()
    look(ngo, "application written")
    ngo.get_by_role("link", name="Tjek og send", exact=True).click()
    expect(ngo.locator("main")).to_contain_text("Løsladelse og tiden efter")
    ngo.get_by_role("button", name="Send ansøgningen").click()
    expect(ngo.locator("[data-status]")).to_have_attribute("data-status", "submitted")
    expect(ngo.locator("[data-submitted]")).to_contain_text(f"Der søges {LIFE_REQUESTED}")
    expect(ngo.locator("[data-history]")).to_contain_text("Ansøgningen blev sendt")
    look(ngo, "application sent, waiting for screening")

    # --- the deadline passes; the officer starts the assessment and screens -----------------------
    _deadline_passes(live_server, round_path)
    officer.goto(url + round_path)
    officer.get_by_role("link", name="Rundens ansøgninger: screening og afgørelser").click()
    expect(officer.locator("h1")).to_have_text("Ansøgninger i runden")
    officer.get_by_role("button", name="Begynd bedømmelsen").click()
    expect(officer.locator("[data-applications]")).to_contain_text(LIFE_TITLE)
    look(officer, "round in assessment")
    officer.get_by_role("link", name=LIFE_TITLE).click()
    expect(officer.locator("h1")).to_have_text(LIFE_TITLE)
    case_path = urlsplit(officer.url).path
    assert case_path == f"{application_path}/behandling", case_path
    look(officer, "case before screening")
    officer.locator("[data-screen-pass]").get_by_role(
        "button", name="De formelle krav er opfyldt"
    ).click()
    expect(officer.locator("[data-state]")).to_contain_text("Under bedømmelse")

    # --- the officer gives the application to the demo reviewer ----------------------------------
    officer.goto(url + round_path)
    officer.get_by_role("link", name="Rundens ansøgninger: screening og afgørelser").click()
    officer.get_by_role("link", name="Bedømmere og fordeling af ansøgninger").click()
    expect(officer.locator("h1")).to_have_text("Fordel ansøgninger til bedømmere")
    officer.get_by_label(f"Giv {LIFE_TITLE} til {REVIEWER_NAME}").check()
    look(officer, "assignments")
    officer.get_by_role("button", name="Gem fordelingen").click()
    expect(officer.locator("[data-assignments]")).to_contain_text("Tildelt")

    # --- the reviewer scores it, on a phone -----------------------------------------------------
    reviewer = log_in(browser, live_server, REVIEWER, PHONE)
    reviewer.goto(url + "/tilskud/bedoemmelser")
    expect(reviewer.locator("[data-group='todo']")).to_contain_text(LIFE_TITLE)
    look(reviewer, "reviewer's list")
    reviewer.get_by_role("link", name=LIFE_TITLE).click()
    expect(reviewer.locator("h1")).to_have_text(LIFE_TITLE)
    look(reviewer, "application to review")
    reviewer.get_by_role("group", name=LIFE_RUBRIC).get_by_label("4", exact=True).check()
    reviewer.get_by_label(f"Bemærkning til {LIFE_RUBRIC}").fill(
        "Godt forankret; budgettet er lidt højt."
    )
    reviewer.get_by_role("button", name="Gem og markér som færdig").click()
    expect(reviewer.locator("main")).to_contain_text("Færdig")
    reviewer.context.close()

    # --- the officer reads the scores and decides a partial grant ---------------------------------
    officer.goto(url + case_path)
    officer.get_by_role("link", name="Se bedømmernes point side om side").click()
    expect(officer.locator("h1")).to_have_text("Point fra bedømmerne")
    expect(officer.locator("[data-scores]")).to_contain_text(REVIEWER_NAME)
    expect(officer.locator("[data-scores]")).to_contain_text("Godt forankret")
    look(officer, "scores side by side")
    officer.goto(url + case_path)
    decision = officer.locator("[data-decision-form]")
    decision.get_by_label("Delvist bevilget: et mindre beløb").check()
    decision.get_by_label("Beløb ved delvist tilskud (kr.)").fill("18.000")
    decision.get_by_label("Særlige betingelser").fill(LIFE_CONDITIONS)
    decision.get_by_label(re.compile(r"^Begrundelse")).fill(
        "Projektet er godt, men kørslen er sat højt; vi giver 18.000 kr."
    )
    decision.get_by_role("button", name="Træf afgørelsen og send brevet").click()
    expect(officer.locator("[data-state]")).to_contain_text("Delvist bevilget")
    look(officer, "case decided")

    # --- the organisation sees the decision and the letter, and accepts ---------------------------
    ngo.goto(url + application_path)
    expect(ngo.locator("[data-status]")).to_have_attribute("data-status", "decided")
    expect(ngo.locator("[data-decision-amount]")).to_have_text(
        f"Der er bevilget {LIFE_GRANTED} af de {LIFE_REQUESTED}, der blev søgt om."
    )
    expect(ngo.locator("[data-decision]")).to_contain_text(LIFE_CONDITIONS)
    letter = ngo.locator("[data-letter]")
    expect(letter).to_have_text("Hent afgørelsesbrevet (PDF)")
    href = letter.get_attribute("href")
    assert href, "the letter link has no address"
    response = ngo.request.get(url + urlsplit(href).path)
    assert response.ok and response.body().startswith(b"%PDF"), response.status
    look(ngo, "decision with the answer forms")
    # Without the tick nothing is accepted, and the message stays.
    accept = ngo.locator("[data-accept-form]")
    accept.get_by_label("Besked til puljen").fill("Tak! Vi begynder til februar.")
    accept.get_by_role("button", name="Tag imod tilskuddet").click()
    summary = ngo.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Sæt kryds, hvis I har læst og accepterer betingelserne")
    expect(ngo.locator("[data-accept-form]").get_by_label("Besked til puljen")).to_have_value(
        "Tak! Vi begynder til februar."
    )
    look(ngo, "accepted without the tick")
    ngo.get_by_label("Vi har læst og accepterer betingelserne").check()
    ngo.locator("[data-accept-form]").get_by_role("button", name="Tag imod tilskuddet").click()
    expect(ngo.locator("[data-status]")).to_have_attribute("data-status", "accepted")
    expect(ngo.locator("[data-history]")).to_contain_text("Tak! Vi begynder til februar.")
    look(ngo, "grant accepted")

    # --- the officer pays it ----------------------------------------------------------------------
    officer.goto(url + application_path + "/tilskud")
    expect(officer.locator("h1")).to_contain_text(LIFE_TITLE)
    officer.get_by_text("Registrér en udbetaling").click()
    payment = officer.locator("[data-payment-form]")
    payment.get_by_label("Beløb (kr.)").fill("18.000")
    payment.get_by_label("Udbetalt den").fill(today.isoformat())
    payment.get_by_role("button", name="Registrér udbetalingen").click()
    expect(officer.locator("[data-paid]")).to_have_text(LIFE_GRANTED)
    look(officer, "grant paid")

    # --- the organisation writes and sends the final report ---------------------------------------
    ngo.locator("[data-grant-link]").click()
    expect(ngo.locator("h1")).to_contain_text(LIFE_TITLE)
    look(ngo, "the grant")
    ngo.get_by_role("button", name="Begynd på slutrapporten").click()
    expect(ngo.locator("h1")).to_have_text("Slutrapport")
    report_path = urlsplit(ngo.url).path
    ngo.get_by_label("Beretning om projektet").fill(
        "Otte mentorer fulgte 19 indsatte. Tolv har bolig og arbejde et halvt år efter."
    )
    ngo.get_by_label("Frivillige timer i alt").fill("312,5")
    ngo.locator("[data-report-line]").first.get_by_label("Faktisk forbrug (kr.)").fill("18.000")
    ngo.get_by_role("button", name="Gem rapporten").click()
    expect(ngo.locator("[data-report-ready]")).to_be_visible()
    look(ngo, "final report written")
    ngo.get_by_role("button", name="Send rapporten").click()
    expect(ngo.locator("main")).to_contain_text("Rapporten er sendt.")
    expect(ngo.locator("[data-reports]")).to_contain_text("Sendt, venter på godkendelse")

    # --- the officer approves it and closes the grant ---------------------------------------------
    officer.goto(url + report_path)
    expect(officer.locator("[data-report-accounts]")).to_contain_text(LIFE_LINE)
    look(officer, "final report to approve")
    officer.get_by_role("button", name="Godkend rapporten").click()
    expect(officer.locator("[data-report-state]")).to_contain_text("Godkendt")
    officer.goto(url + application_path + "/tilskud")
    close = officer.locator("[data-close-form]")
    close.get_by_label("Beløb, der skal betales tilbage (kr.)").fill("0")
    look(officer, "grant ready to close")
    close.get_by_role("button", name="Luk tilskudssagen").click()
    expect(officer.locator("[data-grant-state]")).to_contain_text("Lukket")

    # --- the organisation sees the closed case ----------------------------------------------------
    ngo.goto(url + application_path)
    expect(ngo.locator("[data-status]")).to_have_attribute("data-status", "closed")
    expect(ngo.locator("main")).to_contain_text("Tilskudssagen er lukket")
    history = ngo.locator("[data-history]")
    for event in (
        "Ansøgningen blev sendt",
        "De formelle krav er opfyldt; ansøgningen går til bedømmelse",
        "Afgørelse truffet",
        "Organisationen tog imod tilskuddet og betingelserne",
        "Tilskudssagen er lukket",
    ):
        expect(history).to_contain_text(event)
    look(ngo, "grant closed")

    for page in (ngo, officer):
        page.context.close()
