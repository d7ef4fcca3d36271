"""The activities' journey in Chromium, as the people doing it click it.

The organisation's admin proposes an activity at Storstrøm Fængsel on a phone, too soon and
without the escort the closed prison requires, and is told why in the rules' own words; fixes
it and sends it. The institution's contact approves it; it then stands in both calendars and
on the gate list, and in the institution's iCal feed as a calendar program reads it. axe-core
runs on the pages of it, and the phone pages must not scroll sideways.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date
from icalendar import Calendar
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, PROJECT, LiveServer, log_in, screenshot

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
INSTITUTION = "Storstrøm Fængsel"  # a closed prison ("lukket")
ORGANISATION = "Foreningen Nyt Netværk"
VOLUNTEER = "Mette Hansen"  # cleared, with access to Storstrøm Fængsel
TITLE = "Læseklub med højtlæsning i Storstrøm Fængsel"
KIND = "Undervisning"
ESCORT = "Ledsagelse ved institutionens personale er aftalt"
CLOCK = "18.00–20.00"  # the calendars write times as Danish CLDR does (babel, "short")


def _lukket_rules() -> dict[str, Any]:
    profiles = json.loads((PROJECT / "portal/data/rule_profiles.json").read_text("utf-8"))
    return next(p for p in profiles["profiles"] if p["security_level"] == "lukket")


def _long(day: date) -> str:
    """A date as the rules' messages write it (recurrence.long_date, in Danish)."""
    return format_date(day, "d. MMMM y", locale="da")


def _fits_phone(page: Page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width}px wide on a phone"


def _choose_institution(page: Page, name: str) -> None:
    """Choose the institution the way the page offers: the form's JavaScript fetches the
    sections and rules in place and hides the button; without it the button reloads."""
    page.get_by_label("Institution", exact=True).select_option(label=name)
    choose = page.get_by_role("button", name="Vis afdelinger og regler")
    if choose.is_visible():
        choose.click()
    expect(page.locator("[data-rules-panel]")).to_contain_text(f"Reglerne på {name}")


def test_an_activity_is_proposed_approved_and_in_the_calendars(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Callable[[Page, str], None],
) -> None:
    url = live_server.url
    rules = _lukket_rules()
    notice = int(rules["min_notice_days"])
    today = datetime.now(COPENHAGEN).date()
    too_soon = today + timedelta(days=3)
    day = today + timedelta(days=notice + 7)
    assert rules["escort_required"]  # so leaving the escort out breaks a rule too

    # --- the organisation proposes, too soon and without the escort, on a phone ----------------
    ngo = log_in(browser, live_server, "ngo-a.admin@example.org", PHONE)
    ngo.goto(url + "/aktiviteter")
    expect(ngo.locator("h1")).to_have_text("Aktiviteter")
    _fits_phone(ngo, "activities list")
    ngo.get_by_role("link", name="Foreslå en aktivitet").click()
    expect(ngo.locator("h1")).to_have_text("Foreslå en aktivitet")
    _fits_phone(ngo, "proposal form")
    _choose_institution(ngo, INSTITUTION)
    expect(ngo.locator("[data-rules-panel]")).to_contain_text(f"Mindst {notice} dages varsel")
    ngo.get_by_label(KIND, exact=True).check()
    ngo.get_by_label("Titel").fill(TITLE)
    ngo.get_by_label("Beskrivelse").fill("Vi læser noveller højt og taler om dem bagefter.")
    ngo.get_by_label("Én gang").check()
    ngo.get_by_label("Dato", exact=True).fill(too_soon.isoformat())
    ngo.get_by_label("Fra klokken").fill("18:00")
    ngo.get_by_label("Til klokken").fill("20:00")
    ngo.get_by_label(VOLUNTEER, exact=True).check()
    expect(ngo.get_by_label(ESCORT)).not_to_be_checked()
    ngo.get_by_role("button", name="Send forslaget").click()

    summary = ngo.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Forslaget overholder ikke reglerne")
    notice_message = (
        f"{INSTITUTION} kræver mindst {notice} dages varsel: den første dato, {_long(too_soon)}, "
        f"er for tidlig. Den tidligste mulige dato er {_long(today + timedelta(days=notice))}."
    )
    escort_message = (
        f"{INSTITUTION} kræver, at personalet ledsager aktiviteten. Aftal ledsagelse med "
        "institutionen, og angiv det i forslaget."
    )
    problems = [t.strip() for t in summary.locator("[data-problems-general] li").all_inner_texts()]
    assert problems == [notice_message, escort_message], problems
    assert "kræver mindst" in problems[0] and "varsel" in problems[0]
    expect(summary).to_contain_text("Intet er sendt")
    # Everything typed is kept, and the problems link to their fields.
    expect(ngo.get_by_label("Titel")).to_have_value(TITLE)
    expect(ngo.get_by_label(VOLUNTEER, exact=True)).to_be_checked()
    expect(summary.get_by_role("link", name=notice_message)).to_have_attribute(
        "href", "#first_date"
    )
    check_accessibility(ngo, "proposal refused by the rules")
    _fits_phone(ngo, "proposal refused by the rules")
    screenshot(ngo, "activity-01-proposal-refused")

    # Nothing was saved: the list, in a second tab, does not have it.
    other_tab = ngo.context.new_page()
    other_tab.goto(url + "/aktiviteter")
    expect(other_tab.locator("h1")).to_have_text("Aktiviteter")
    expect(other_tab.locator("main")).not_to_contain_text(TITLE)
    other_tab.close()

    # --- the organisation fixes it, checks it and sends it ---------------------------------------
    expect(ngo.get_by_label("Titel")).to_have_value(TITLE)
    ngo.get_by_label("Dato", exact=True).fill(day.isoformat())
    ngo.get_by_label(ESCORT).check()
    ngo.get_by_role("button", name="Tjek forslaget").click()
    expect(ngo.locator("[data-check-ok]")).to_contain_text(f"Reglerne på {INSTITUTION}")
    expect(ngo.locator("[data-error-summary]")).to_have_count(0)
    ngo.get_by_role("button", name="Send forslaget").click()

    expect(ngo.locator("h1")).to_have_text(TITLE)
    expect(ngo.locator("main")).to_contain_text("Afventer afgørelse")
    expect(ngo.locator("main")).to_contain_text(f"Forslaget er sendt til {INSTITUTION}")
    expect(ngo.locator("[data-participants]")).to_contain_text(VOLUNTEER)
    check_accessibility(ngo, "activity sent, as the organisation sees it")
    _fits_phone(ngo, "activity sent")
    screenshot(ngo, "activity-02-sent")
    activity_path = urlsplit(ngo.url).path

    # --- the institution's contact approves it ------------------------------------------------------
    contact = log_in(browser, live_server, "institution@example.org", PHONE)
    contact.goto(url + "/aktiviteter/behandling")
    expect(contact.locator("h1")).to_have_text("Aktiviteter til behandling")
    row = contact.locator("tr", has_text=TITLE)
    expect(row).to_contain_text(ORGANISATION)
    expect(row).to_contain_text("Afventer afgørelse")
    check_accessibility(contact, "decision queue")
    _fits_phone(contact, "decision queue")
    row.get_by_role("link", name=TITLE).click()
    expect(contact.locator("h1")).to_have_text(TITLE)
    assert urlsplit(contact.url).path == activity_path
    expect(contact.locator("[data-check-now-ok]")).to_be_visible()
    check_accessibility(contact, "activity to decide")
    _fits_phone(contact, "activity to decide")
    contact.get_by_label("Bemærkning til organisationen").fill(
        "Velkommen. Mød op ved hovedporten et kvarter før."
    )
    contact.get_by_role("button", name="Godkend aktiviteten").click()
    expect(contact.locator("main")).to_contain_text("Aktiviteten er godkendt")
    expect(contact.locator(".font-lead")).to_contain_text("Godkendt")
    check_accessibility(contact, "activity approved")
    _fits_phone(contact, "activity approved")
    screenshot(contact, "activity-03-approved")

    # --- it is in the institution's calendar and on the gate list ---------------------------------
    contact.goto(url + "/kalender")
    expect(contact.locator("h1")).to_have_text(f"Kalender: {INSTITUTION}")
    calendar_path = urlsplit(contact.url).path
    assert re.fullmatch(r"/kalender/institution/[0-9a-f-]+", calendar_path), calendar_path
    contact.goto(f"{url}{calendar_path}?visning=maaned&dato={day.isoformat()}")
    cell = contact.locator("td.calendar-day:not(.calendar-day--outside)").nth(day.day - 1)
    entry = cell.locator(".calendar-entry", has_text=TITLE)
    expect(entry).to_contain_text(CLOCK)
    expect(entry).to_contain_text(ORGANISATION)
    check_accessibility(contact, "institution calendar, month")
    _fits_phone(contact, "institution calendar, month")
    screenshot(contact, "activity-04-institution-month")
    contact.get_by_role("link", name="Liste", exact=True).click()
    entry = contact.locator(f"#day-{day.isoformat()} + ul .calendar-entry", has_text=TITLE)
    expect(entry).to_contain_text(CLOCK)
    expect(entry).to_contain_text(ORGANISATION)
    check_accessibility(contact, "institution calendar, list")
    _fits_phone(contact, "institution calendar, list")

    contact.goto(f"{url}{calendar_path}/port?dato={day.isoformat()}")
    gate = contact.locator("section.gate-entry", has_text=TITLE)
    expect(gate.locator("h2")).to_have_text(f"{CLOCK} · {TITLE}")
    expect(gate).to_contain_text("Ledsagelse af personale: aftalt")
    expect(gate.locator("tbody tr")).to_have_count(1)
    expect(gate.locator("tbody tr")).to_contain_text(VOLUNTEER)
    expect(gate.locator("tbody tr")).to_contain_text("Ja")
    check_accessibility(contact, "gate list")
    _fits_phone(contact, "gate list")
    screenshot(contact, "activity-05-gate-list")

    # --- and in the organisation's calendar ---------------------------------------------------------
    ngo.goto(url + "/kalender")
    expect(ngo.locator("h1")).to_have_text(f"Kalender: {ORGANISATION}")
    org_calendar = urlsplit(ngo.url).path
    ngo.goto(f"{url}{org_calendar}?visning=maaned&dato={day.isoformat()}")
    cell = ngo.locator("td.calendar-day:not(.calendar-day--outside)").nth(day.day - 1)
    expect(cell.locator(".calendar-entry", has_text=TITLE)).to_contain_text(INSTITUTION)
    check_accessibility(ngo, "organisation calendar, month")
    _fits_phone(ngo, "organisation calendar, month")
    ngo.goto(f"{url}{org_calendar}?visning=liste&dato={day.isoformat()}")
    entry = ngo.locator(f"#day-{day.isoformat()} + ul .calendar-entry", has_text=TITLE)
    expect(entry).to_contain_text(CLOCK)
    expect(entry).to_contain_text(INSTITUTION)
    check_accessibility(ngo, "organisation calendar, list")
    _fits_phone(ngo, "organisation calendar, list")
    screenshot(ngo, "activity-06-organisation-list")

    # --- the institution's contact makes the iCal feed, and a calendar program reads it ----------
    contact.goto(url + calendar_path)
    contact.get_by_role("button", name=re.compile(r"^Lav en (ny )?adresse$")).click()
    expect(contact.locator("h1")).to_have_text(f"Kalenderadresse: {INSTITUTION}")
    expect(contact.locator("main")).to_contain_text("Adressen vises kun denne ene gang")
    check_accessibility(contact, "feed address")
    _fits_phone(contact, "feed address")
    screenshot(contact, "activity-07-feed-address")
    address = contact.get_by_label("Adresse til kalenderprogrammet").input_value()
    path = urlsplit(address).path
    assert re.fullmatch(r"/kalender/feed/[^/]+\.ics", path), address
    # The address is built from PORTAL_BASE_URL; the test server has its own port.
    program = browser.new_context()  # a calendar program: no session, no cookies
    response = program.request.get(url + path)
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("text/calendar")
    feed = Calendar.from_ical(response.body())
    program.close()
    events = [e for e in feed.walk("VEVENT") if str(e.get("SUMMARY")) == TITLE]
    assert len(events) == 1, [str(e.get("SUMMARY")) for e in feed.walk("VEVENT")]
    event = events[0]
    start = event.decoded("DTSTART")
    assert isinstance(start, datetime) and start.tzinfo is not None, start
    assert start == datetime.combine(day, time(18, 0), tzinfo=COPENHAGEN), start
    assert start.astimezone(COPENHAGEN).date() == day
    assert event.decoded("DTEND") == datetime.combine(day, time(20, 0), tzinfo=COPENHAGEN)
    assert "RRULE" not in event
    assert str(event.get("STATUS")) == "CONFIRMED"
    assert VOLUNTEER not in feed.to_ical().decode("utf-8")  # no names in a feed

    for page in (ngo, contact):
        page.context.close()
