"""The record of processing (art. 30): built from every declaration, shown to the DPO, the DPO's
own fields saved with optimistic locking and audited, and exported as PDF and CSV that name the
code version and the time they were made."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal import db
from portal.models import AuditEntry, ProcessingRecordSettings, Volunteer
from portal.services import processing_record
from portal.services.processing_record import ACTIVITIES, build_record, declared_tables

RECORD = "/databeskyttelse/fortegnelse"
SETTINGS = "/databeskyttelse/fortegnelse/oplysninger"


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


def _form(**changes: Any) -> dict[str, Any]:
    values = {
        "controller_name": "Kriminalforsorgen",
        "controller_address": "Strandgade 100\n1401 København K",
        "controller_contact": "kontakt@kriminalforsorgen.dk",
        "dpo_name": "Dorthe Databeskytter",
        "dpo_email": "DPO@kriminalforsorgen.dk",
        "dpo_phone": "72 55 00 00",
        "security_measures": "Kryptering og adgangsstyring.",
        "transfers": "Ingen overførsel til tredjelande",
        "last_reviewed_on": "12.03.2026",
        "version": "0",
    }
    values.update(changes)
    return values


def _saved(app: Flask) -> ProcessingRecordSettings | None:
    with app.app_context():
        settings = db.session.get(ProcessingRecordSettings, 1)
        if settings is not None:
            db.session.expunge(settings)
        return settings


def _audits(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        entries = list(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )
        for entry in entries:
            db.session.expunge(entry)
        return entries


def _version_on_page(html: str) -> str:
    found = re.search(r'name="version"[^>]*value="(\d+)"', html) or re.search(
        r'value="(\d+)"[^>]*name="version"', html
    )
    assert found, "the form carries no version"
    return found.group(1)


# --- the record ------------------------------------------------------------------------------


def test_the_record_holds_every_declared_table_grouped_by_activity(app_ctx: Flask) -> None:
    record = build_record(db.session)
    assert {t.table for t in record.tables} == {t.table for t in declared_tables()}
    assert len(record.tables) == len(declared_tables())
    # In the registry's order, each table under the activity it declares.
    order = [a.key for a in ACTIVITIES]
    assert [a.key for a in record.activities] == [
        k for k in order if k in {a.key for a in record.activities}
    ]
    for activity in record.activities:
        assert activity.tables
        assert all(t.declaration.activity == activity.key for t in activity.tables)
        # Merged without repeats.
        for merged in (
            activity.purposes,
            activity.legal_bases,
            activity.data_categories,
            activity.subject_categories,
            activity.recipients,
            activity.retention_rules,
        ):
            assert merged and len(merged) == len(set(merged))
    volunteers = next(a for a in record.activities if a.key == "volunteers")
    assert "volunteer" in {t.table for t in volunteers.tables}
    assert volunteers.special_bases  # the criminal-record check's basis
    assert record.code_version == processing_record.code_version()


def test_building_the_record_writes_nothing(app_ctx: Flask) -> None:
    record = build_record(db.session)
    assert record.saved is False
    assert record.settings.transfers == "Ingen overførsel til tredjelande"
    assert "AES-256-GCM" in record.settings.security_measures
    assert record.settings.controller_name == "Kriminalforsorgen"
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(ProcessingRecordSettings)) == 0


def test_the_page_shows_the_declarations_and_the_dpo_fields(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    login_as("dpo")
    response = client.get(RECORD)
    assert response.status_code == 200
    html = _html(response)
    purpose = Volunteer.__privacy__.purpose
    assert purpose in html
    assert 'data-table="volunteer"' in html
    assert "Ingen overførsel til tredjelande" in html
    assert processing_record.code_version() in html
    assert "Oplysningerne er ikke gemt endnu" in html
    for endpoint in (SETTINGS, RECORD + ".pdf", RECORD + ".csv"):
        assert f'href="{endpoint}"' in html
    assert _saved(app) is None  # a GET never saves the defaults


# --- the DPO's fields ------------------------------------------------------------------------


def test_saving_the_fields_stores_and_audits_the_changed_names(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    login_as("dpo")
    page = client.get(SETTINGS)
    assert page.status_code == 200
    assert _version_on_page(_html(page)) == "0"
    assert "Ingen overførsel til tredjelande" in _html(page)

    response = client.post(SETTINGS, data=_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(RECORD)
    saved = _saved(app)
    assert saved is not None
    assert saved.dpo_name == "Dorthe Databeskytter"
    assert saved.dpo_email == "dpo@kriminalforsorgen.dk"
    assert saved.controller_address == "Strandgade 100\n1401 København K"
    assert saved.last_reviewed_on == date(2026, 3, 12)
    assert saved.version == 1
    assert saved.updated_by_id is not None

    entries = _audits(app, "privacy.record_settings_changed")
    assert len(entries) == 1
    details = entries[0].details
    assert details["created"] is True
    assert {"dpo_name", "dpo_email", "security_measures", "last_reviewed_on"} <= set(
        details["fields"]
    )
    assert "transfers" not in details["fields"]  # the same as the default
    assert "Dorthe" not in str(details)  # the names of the fields, not their values

    html = _html(client.get(RECORD))
    assert "Dorthe Databeskytter" in html
    assert "Oplysningerne er ikke gemt endnu" not in html

    # The same values again: nothing to save, nothing audited.
    again = client.post(SETTINGS, data=_form(version="1"))
    assert again.status_code == 302
    assert len(_audits(app, "privacy.record_settings_changed")) == 1

    changed = client.post(SETTINGS, data=_form(version="1", dpo_phone="72 55 11 11"))
    assert changed.status_code == 302
    entries = _audits(app, "privacy.record_settings_changed")
    assert len(entries) == 2
    assert entries[-1].details["fields"] == ["dpo_phone"]
    assert _saved(app).version == 2  # type: ignore[union-attr]


def test_a_stale_form_is_409_and_keeps_what_was_typed(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    login_as("dpo")
    assert client.post(SETTINGS, data=_form()).status_code == 302
    # A second form opened before that save still carries version 0.
    stale = client.post(SETTINGS, data=_form(dpo_name="Min Egen Tekst", dpo_phone="11 22 33 44"))
    assert stale.status_code == 409
    html = _html(stale)
    assert "data-conflict" in html
    assert 'value="Min Egen Tekst"' in html
    assert "De gemte oplysninger nu" in html and "Dorthe Databeskytter" in html
    assert _saved(app).dpo_name == "Dorthe Databeskytter"  # type: ignore[union-attr]
    assert len(_audits(app, "privacy.record_settings_changed")) == 1
    # The page now carries the saved version: saving again replaces deliberately.
    version = _version_on_page(html)
    assert version == "1"
    resent = client.post(SETTINGS, data=_form(dpo_name="Min Egen Tekst", version=version))
    assert resent.status_code == 302
    assert _saved(app).dpo_name == "Min Egen Tekst"  # type: ignore[union-attr]


def test_invalid_input_is_400_with_the_typed_values_kept(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    login_as("dpo")
    response = client.post(
        SETTINGS,
        data=_form(dpo_email="ikke-en-adresse", dpo_name="Skrevet Navn", security_measures=""),
    )
    assert response.status_code == 400
    html = _html(response)
    assert "Skriv en gyldig e-mailadresse" in html
    assert "Beskriv sikkerhedsforanstaltningerne." in html
    assert 'value="ikke-en-adresse"' in html
    assert 'value="Skrevet Navn"' in html
    assert "Strandgade 100" in html
    assert _saved(app) is None

    bad_date = client.post(SETTINGS, data=_form(last_reviewed_on="31.02.2026"))
    assert bad_date.status_code == 400
    assert "Skriv datoen som dag.måned.år" in _html(bad_date)
    assert 'value="31.02.2026"' in _html(bad_date)


def test_only_the_dpo_may_save(app: Flask, client: FlaskClient, login_as: Any) -> None:
    login_as("admin")
    assert client.post(SETTINGS, data=_form()).status_code == 403
    assert _saved(app) is None


# --- the exports -----------------------------------------------------------------------------


@pytest.mark.real_pdf
def test_the_pdf_names_the_code_version_and_is_audited(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    from pypdf import PdfReader

    login_as("dpo")
    client.post(SETTINGS, data=_form())
    response = client.get(RECORD + ".pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() or "" for page in reader.pages)
    flat = " ".join(text.split())
    version = processing_record.code_version()
    assert f"Kodeversion {version}" in flat
    assert "Fortegnelse over behandlinger" in flat
    assert "Dorthe Databeskytter" in flat
    # Every page's header names the version.
    assert all(version in (page.extract_text() or "") for page in reader.pages)
    entries = _audits(app, "privacy.record_exported")
    assert entries[-1].details["format"] == "pdf"
    assert entries[-1].details["code_version"] == version


def test_the_csv_has_the_version_row_and_a_row_per_table(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    login_as("dpo")
    response = client.get(RECORD + ".csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Genereret" and re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", rows[0][1])
    assert rows[1] == ["Kodeversion", processing_record.code_version()]
    assert ["Overførsel til tredjelande", "Ingen overførsel til tredjelande"] in rows
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "Behandlingsaktivitet")
    assert rows[header_at - 1] == []  # a blank row before the table
    header = rows[header_at]
    table_rows = rows[header_at + 1 :]
    declared = {t.table for t in declared_tables()}
    assert len(table_rows) == len(declared)
    assert {row[header.index("Tabel")] for row in table_rows} == declared
    volunteer = next(row for row in table_rows if row[header.index("Tabel")] == "volunteer")
    assert volunteer[header.index("Formål")] == Volunteer.__privacy__.purpose
    assert "cpr_ciphertext" in volunteer[header.index("Oplysninger (kolonner)")]
    assert volunteer[header.index("Særligt retsgrundlag")]
    entries = _audits(app, "privacy.record_exported")
    assert entries[-1].details["format"] == "csv"


# --- the code version ------------------------------------------------------------------------


def test_the_code_version_prefers_git_then_the_environment(
    app_ctx: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = processing_record.package_version()
    monkeypatch.setattr(processing_record, "_git_revision", lambda: "abc1234")
    monkeypatch.setenv("PORTAL_VERSION", "deploy-42")
    assert processing_record.code_version() == f"{package} (abc1234)"
    monkeypatch.setattr(processing_record, "_git_revision", lambda: "")
    assert processing_record.code_version() == f"{package} (deploy-42)"
    monkeypatch.delenv("PORTAL_VERSION")
    assert processing_record.code_version() == package
