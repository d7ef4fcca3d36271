"""A volunteer asks for access to their data on a phone, and the DPO answers it, in Chromium.

The volunteer makes the request from "Min profil" → "Mine data" (an empty form first, which is
refused with a message), gets a receipt by e-mail with the deadline; the DPO finds it on the
dashboard, checks the identity, begins, makes the export and answers; the volunteer gets the
answer and downloads a ZIP that holds their own data and no one else's. axe-core runs on
every page of it.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, LiveServer, log_in, screenshot
from tests.browser.test_onboarding_journey import _body, _latest_mail_to

VOLUNTEER = "volunteer@example.org"
VOLUNTEER_NAME = "Mette Hansen"


def test_a_volunteer_asks_for_their_data_and_the_dpo_answers(
    browser: Browser,
    live_server: LiveServer,
    check_accessibility: Callable[[Page, str], None],
    tmp_path: Path,
) -> None:
    url = live_server.url

    # --- the volunteer asks, on a phone ------------------------------------------------------
    person = log_in(browser, live_server, VOLUNTEER, PHONE)
    person.goto(url + "/profil")
    check_accessibility(person, "profile")
    person.get_by_role("link", name="Gå til Mine data").click()
    expect(person.locator("h1")).to_have_text("Mine data")
    check_accessibility(person, "my data")
    person.get_by_role("button", name="Send anmodningen").click()
    expect(person.locator("[data-error-summary]")).to_be_visible()
    check_accessibility(person, "my data, with errors")
    person.get_by_label("Indsigt: få en kopi").check()
    person.get_by_role("button", name="Send anmodningen").click()
    expect(person.get_by_role("heading", name="Anmodning om indsigt")).to_be_visible()
    expect(person.locator("main")).to_contain_text("Modtaget")
    check_accessibility(person, "my request")
    screenshot(person, "privacy-01-request-made")
    receipt = _body(_latest_mail_to(live_server, VOLUNTEER))
    assert "indsigt" in receipt and "Du får svar senest" in receipt

    # --- the DPO handles it ------------------------------------------------------------------
    dpo = log_in(browser, live_server, "dpo@example.org")
    check_accessibility(dpo, "dpo dashboard")
    dpo.get_by_role("link", name="2 åbne anmodninger").click()  # the demo's letter and this
    check_accessibility(dpo, "requests")
    dpo.get_by_role("link", name=VOLUNTEER_NAME).click()
    expect(dpo.locator("h1")).to_contain_text(VOLUNTEER_NAME)
    check_accessibility(dpo, "request")
    dpo.get_by_label("Hvordan er identiteten kontrolleret?").fill(
        "Sendt fra personens egen konto i portalen."
    )
    dpo.get_by_role("button", name="Identiteten er kontrolleret").click()
    expect(dpo.locator("main")).to_contain_text("Identitet kontrolleret")
    dpo.get_by_role("button", name="Begynd behandlingen").click()
    expect(dpo.locator("main")).to_contain_text("Under behandling")
    # The answer waits for the export.
    expect(dpo.locator("[data-answer-blocked]")).to_be_visible()
    dpo.get_by_role("button", name="Lav udtræk").click()
    expect(dpo.locator("[data-export-document]")).to_be_visible()
    check_accessibility(dpo, "request with export")
    dpo.get_by_label("Svar til personen").fill(
        "Her er alle de oplysninger, portalen har om dig. Hent filen under Mine data."
    )
    dpo.get_by_role("button", name="Send svaret").click()
    expect(dpo.locator("main")).to_contain_text("Besvaret")
    screenshot(dpo, "privacy-02-answered")

    # --- the volunteer reads the answer and downloads the data --------------------------------
    answer = _body(_latest_mail_to(live_server, VOLUNTEER))
    assert "Hent filen under Mine data" in answer
    person.goto(url + "/profil/mine-data")
    person.locator("[data-my-requests] a").first.click()
    expect(person.locator("main")).to_contain_text("Besvaret")
    check_accessibility(person, "my request, answered")
    screenshot(person, "privacy-03-answer-seen")
    with person.expect_download() as download_info:
        person.get_by_role("link", name="Hent dine oplysninger (ZIP)").click()
    saved = tmp_path / "mine-data.zip"
    download_info.value.save_as(saved)
    with zipfile.ZipFile(io.BytesIO(saved.read_bytes())) as archive:
        names = archive.namelist()
        assert {"oplysninger.json", "oversigt.pdf"} <= set(names)
        data = archive.read("oplysninger.json").decode()
    assert VOLUNTEER in data and VOLUNTEER_NAME in data
    assert any(name.startswith("dokumenter/") for name in names)  # the signature receipt
    parsed = json.loads(data)
    assert parsed  # machine-readable
    for other in ("ngo-a.admin@example.org", "caseworker.ost@example.org", "Amalie Andersen"):
        assert other not in data
