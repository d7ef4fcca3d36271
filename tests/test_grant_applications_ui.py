"""The application pages through the test client: an NGO starts an application to an open
round, writes it with a budget (totals computed on the server, half up to whole øre, lines
added and removed without JavaScript), attaches files, checks it, and an admin sends it and
gets the receipt (PDF stored as the organisation's document and e-mailed). Typed text survives
errors and conflicts; after the deadline or once sent nothing changes, whatever is posted."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.models import (
    ApplicationState,
    AuditEntry,
    Document,
    GrantApplication,
    GrantRound,
    Institution,
    OwnerType,
    RoundState,
)
from tests.roles import ROLE_ACCOUNTS

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


def _round(app: Flask, *, required: tuple[str, ...] = ("budget_notes",)) -> uuid.UUID:
    """A published round open now (made here; the demo round is another's)."""
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        grant_round = GrantRound(
            name_da="Testpuljen, 1. runde",
            description_da="Til frivilligt arbejde med indsatte.",
            criteria_da="Kvalitet og relevans.",
            pool_ore=550_000_000,
            max_per_application_ore=40_000_000,
            opens_at=now - timedelta(days=2),
            deadline_at=now + timedelta(days=21),
            reporting_deadline=date.today() + timedelta(days=400),
            required_attachments=list(required),
            state=RoundState.PUBLISHED,
            published_at=now - timedelta(days=2),
        )
        db.session.add(grant_round)
        db.session.commit()
        return grant_round.id


def _close(app: Flask, round_id: uuid.UUID) -> None:
    """The deadline passed one second ago."""
    with app.app_context():
        grant_round = db.session.get(GrantRound, round_id)
        assert grant_round is not None
        grant_round.deadline_at = utcnow().replace(microsecond=0) - timedelta(seconds=1)
        db.session.commit()


def _application(app: Flask, application_id: uuid.UUID) -> GrantApplication:
    with app.app_context():
        found = db.session.get(GrantApplication, application_id)
        assert found is not None
        db.session.expunge(found)
        return found


def _start(client: FlaskClient, round_id: uuid.UUID) -> uuid.UUID:
    response = client.post(f"/tilskud/runder/{round_id}/ansoeg")
    assert response.status_code == 302, _html(response)
    return uuid.UUID(response.headers["Location"].rsplit("/", 1)[-1])


def _institution_id(app: Flask) -> str:
    with app.app_context():
        found = db.session.scalar(select(Institution.id).where(Institution.active).limit(1))
        return str(found)


def _form(version: int, institution: str = "", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": str(version),
        "title": "Besøgsvenner i Storstrøm",
        "summary": "Frivillige besøger indsatte uden netværk.",
        "description": "Vi uddanner og støtter besøgsvenner.",
        "target_group": "Indsatte uden besøg.",
        "period_start": "2027-08-01",
        "period_end": "2028-07-31",
        "volunteers_expected": "12",
        "project_kind": "mentor",
        "lines-0-category": "salaries",
        "lines-0-text": "Koordinator",
        "lines-0-units": "2,5",
        "lines-0-unit_price": "33,33",
        "lines-0-own_financing": "",
        "lines-0-other_financing": "",
        "lines-1-category": "volunteer_expenses",
        "lines-1-text": "Transport",
        "lines-1-units": "10",
        "lines-1-unit_price": "1.000",
        "lines-1-own_financing": "500",
        "lines-1-other_financing": "250,50",
        "save": "Gem",
    }
    if institution:
        data["institutions"] = [institution]
    data.update(extra)
    return data


def _attach(client: FlaskClient, application_id: uuid.UUID, kind: str = "budget_notes") -> Any:
    return client.post(
        f"/tilskud/ansoegninger/{application_id}/bilag",
        data={"kind": kind, "file": (io.BytesIO(PDF), "budgetnoter.pdf")},
        content_type="multipart/form-data",
    )


def _filled(app: Flask, client: FlaskClient, round_id: uuid.UUID) -> uuid.UUID:
    """An application that is ready to send (saved, with its required attachment)."""
    application_id = _start(client, round_id)
    version = _application(app, application_id).version
    response = client.post(
        f"/tilskud/ansoegninger/{application_id}", data=_form(version, _institution_id(app))
    )
    assert response.status_code == 302, _html(response)
    assert _attach(client, application_id).status_code == 302
    return application_id


# --- starting and the list -----------------------------------------------------------------


def test_start_makes_one_draft_per_organisation_and_round(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    login_as("ngo_a_member")
    first = _start(client, round_id)
    assert _start(client, round_id) == first
    application = _application(app, first)
    assert application.state == ApplicationState.DRAFT
    page = _html(client.get(f"/tilskud/ansoegninger/{first}"))
    assert "data-application-form" in page and "data-budget-line" in page
    listing = _html(client.get("/tilskud/ansoegninger"))
    assert "Testpuljen, 1. runde" in listing and "Kladde" in listing


def test_start_after_the_deadline_is_refused(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    _close(app, round_id)
    login_as("ngo_a_admin")
    response = client.post(f"/tilskud/runder/{round_id}/ansoeg", follow_redirects=True)
    assert "tager ikke imod ansøgninger" in _html(response)
    with app.app_context():
        assert (
            db.session.scalar(select(GrantApplication).where(GrantApplication.round_id == round_id))
            is None
        )


# --- writing the budget --------------------------------------------------------------------


def test_save_computes_totals_on_the_server_half_up(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    login_as("ngo_a_member")
    application_id = _start(client, round_id)
    version = _application(app, application_id).version
    response = client.post(
        f"/tilskud/ansoegninger/{application_id}", data=_form(version, _institution_id(app))
    )
    assert response.status_code == 302
    application = _application(app, application_id)
    assert [line.text for line in application.budget_lines] == ["Koordinator", "Transport"]
    assert application.budget_lines[1].other_financing_ore == 25_050
    page = _html(client.get(f"/tilskud/ansoegninger/{application_id}"))
    # 2,5 x 33,33 kr. = 83,325 kr. -> 83,33 kr. (half up to whole øre)
    assert "83,33 kr." in page
    # 83,33 + 10.000,00 = 10.083,33; less 500,00 and 250,50 = 9.332,83 asked from the pool
    assert "10.083,33 kr." in page and "9.332,83 kr." in page
    assert 'value="2,5"' in page and 'value="250,50"' in page


def test_add_and_remove_lines_without_javascript(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    login_as("ngo_a_member")
    application_id = _start(client, round_id)
    url = f"/tilskud/ansoegninger/{application_id}"
    version = _application(app, application_id).version
    response = client.post(url, data=_form(version, add_line="Tilføj budgetlinje"))
    assert response.status_code == 302 and "ny_linje=1" in response.headers["Location"]
    page = _html(client.get(response.headers["Location"]))
    assert page.count("data-budget-line") == 3  # two saved, one empty to fill in
    version = _application(app, application_id).version
    response = client.post(url, data=_form(version, remove_line="0"))
    assert response.status_code == 302
    assert [line.text for line in _application(app, application_id).budget_lines] == ["Transport"]


def test_errors_keep_what_was_typed(app: Flask, client: FlaskClient, login_as: Any) -> None:
    round_id = _round(app)
    login_as("ngo_a_member")
    application_id = _start(client, round_id)
    version = _application(app, application_id).version
    response = client.post(
        f"/tilskud/ansoegninger/{application_id}",
        data=_form(version, **{"lines-1-unit_price": "12,345", "lines-0-units": ""}),
    )
    page = _html(response)
    assert response.status_code == 400
    assert "data-error-summary" in page
    assert "Skriv højst 2 decimaler." in page and "Skriv antal" in page
    assert 'value="12,345"' in page and "Besøgsvenner i Storstrøm" in page
    assert _application(app, application_id).budget_lines == []


def test_a_stale_save_is_a_conflict_that_keeps_the_typing(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    login_as("ngo_a_member")
    application_id = _start(client, round_id)
    url = f"/tilskud/ansoegninger/{application_id}"
    version = _application(app, application_id).version
    assert client.post(url, data=_form(version)).status_code == 302
    response = client.post(url, data=_form(version, title="Min egen titel"))
    page = _html(response)
    assert response.status_code == 409
    assert "data-conflict" in page and 'value="Min egen titel"' in page
    assert _application(app, application_id).title == "Besøgsvenner i Storstrøm"


def test_after_the_deadline_the_page_is_read_only_whatever_is_posted(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    login_as("ngo_a_admin")
    application_id = _filled(app, client, round_id)
    _close(app, round_id)
    url = f"/tilskud/ansoegninger/{application_id}"
    page = _html(client.get(url))
    assert "data-application-form" not in page and "Fristen er passeret" in page
    version = _application(app, application_id).version
    response = client.post(url, data=_form(version, title="For sent"))
    assert response.status_code == 409
    assert _attach(client, application_id).status_code == 409
    response = client.post(f"{url}/indsend", data={"version": str(version)})
    assert response.status_code == 400
    assert "tager ikke imod ansøgninger" in _html(response)
    application = _application(app, application_id)
    assert application.title == "Besøgsvenner i Storstrøm"
    assert application.state == ApplicationState.DRAFT
    assert len(application.attachments) == 1


# --- attachments ---------------------------------------------------------------------------


def test_attach_and_remove_an_attachment(app: Flask, client: FlaskClient, login_as: Any) -> None:
    round_id = _round(app)
    login_as("ngo_a_member")
    application_id = _start(client, round_id)
    response = _attach(client, application_id)
    assert response.status_code == 302
    application = _application(app, application_id)
    assert [a.kind for a in application.attachments] == ["budget_notes"]
    with app.app_context():
        document = db.session.get(Document, application.attachments[0].document_id)
        assert document is not None
        assert document.owner_type == OwnerType.ORGANISATION
        assert document.owner_id == application.organisation_id
    page = _html(client.get(f"/tilskud/ansoegninger/{application_id}"))
    assert "Budgetnoter" in page and "budgetnoter.pdf" in page
    attachment_id = application.attachments[0].id
    response = client.post(f"/tilskud/ansoegninger/{application_id}/bilag/{attachment_id}/fjern")
    assert response.status_code == 302
    assert _application(app, application_id).attachments == []


def test_an_unknown_kind_or_a_wrong_file_is_refused(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    login_as("ngo_a_member")
    application_id = _start(client, round_id)
    assert _attach(client, application_id, kind="statutes").status_code == 400
    response = client.post(
        f"/tilskud/ansoegninger/{application_id}/bilag",
        data={"kind": "other", "file": (io.BytesIO(b"MZ not a document"), "x.exe")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "Filtypen kan ikke bruges" in _html(response)
    assert _application(app, application_id).attachments == []


# --- checking and sending ------------------------------------------------------------------


def test_check_lists_each_problem_with_a_link_to_its_field(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    login_as("ngo_a_admin")
    application_id = _start(client, round_id)
    page = _html(client.get(f"/tilskud/ansoegninger/{application_id}/indsend"))
    assert "data-problems" in page
    assert f"/tilskud/ansoegninger/{application_id}#title" in page
    assert "Skriv projektets titel." in page
    assert "Læg mindst én linje ind i budgettet." in page
    assert "Vedhæft det krævede bilag" in page
    response = client.post(
        f"/tilskud/ansoegninger/{application_id}/indsend",
        data={"version": str(_application(app, application_id).version)},
    )
    assert response.status_code == 400 and "data-problems" in _html(response)
    assert _application(app, application_id).state == ApplicationState.DRAFT


def test_a_member_cannot_send(app: Flask, client: FlaskClient, login_as: Any) -> None:
    round_id = _round(app)
    login_as("ngo_a_member")
    application_id = _filled(app, client, round_id)
    page = _html(client.get(f"/tilskud/ansoegninger/{application_id}/indsend"))
    assert "Kun en administrator" in page and "Send ansøgningen</button>" not in page
    response = client.post(
        f"/tilskud/ansoegninger/{application_id}/indsend",
        data={"version": str(_application(app, application_id).version)},
    )
    assert response.status_code == 403
    assert _application(app, application_id).state == ApplicationState.DRAFT


def test_an_admin_sends_and_gets_the_receipt(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any]
) -> None:
    round_id = _round(app)
    login_as("ngo_a_admin")
    application_id = _filled(app, client, round_id)
    page = _html(client.get(f"/tilskud/ansoegninger/{application_id}/indsend"))
    assert "data-problems" not in page and "Send ansøgningen</button>" in page
    response = client.post(
        f"/tilskud/ansoegninger/{application_id}/indsend",
        data={"version": str(_application(app, application_id).version)},
    )
    assert response.status_code == 302, _html(response)
    application = _application(app, application_id)
    assert application.state == ApplicationState.SUBMITTED
    assert application.requested_ore == 933_283
    assert application.receipt_document_id is not None
    with app.app_context():
        receipt = db.session.get(Document, application.receipt_document_id)
        assert receipt is not None
        assert receipt.owner_type == OwnerType.ORGANISATION
        assert receipt.owner_id == application.organisation_id
        assert receipt.content_type == "application/pdf"
        assert db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "grant_application.receipt_issued")
        )
    [message] = [m for m in outbox if m.to == ROLE_ACCOUNTS["ngo_a_admin"]]
    assert "Besøgsvenner i Storstrøm" in message.subject
    [(name, content_type, data)] = message.attachments
    assert name.endswith(".pdf") and content_type == "application/pdf"
    assert data.startswith(b"%PDF-")
    assert "kr.." not in message.body  # the amount ends in "kr." already
    page = _html(client.get(f"/tilskud/ansoegninger/{application_id}"))
    assert "data-receipt" in page and "data-application-form" not in page
    assert "kr.." not in page
    assert f"/dokumenter/{application.receipt_document_id}" in page
    assert client.get(f"/dokumenter/{application.receipt_document_id}").status_code == 200
    # Sent: nothing more changes, whatever is posted.
    response = client.post(
        f"/tilskud/ansoegninger/{application_id}",
        data=_form(application.version, title="Ændret bagefter"),
    )
    assert response.status_code == 409
    assert _application(app, application_id).title == "Besøgsvenner i Storstrøm"


def test_the_receipt_pdf_has_pages_and_the_budget(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    from pypdf import PdfReader

    round_id = _round(app)
    login_as("ngo_a_admin")
    application_id = _filled(app, client, round_id)
    client.post(
        f"/tilskud/ansoegninger/{application_id}/indsend",
        data={"version": str(_application(app, application_id).version)},
    )
    receipt_id = _application(app, application_id).receipt_document_id
    data = client.get(f"/dokumenter/{receipt_id}").get_data()
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert f"Side 1 af {len(reader.pages)}" in text
    assert "Besøgsvenner i Storstrøm" in text and "Koordinator" in text
    assert "9.332,83 kr." in text and "10.083,33 kr." in text
    assert "dansk tid" in text
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4


def test_grant_officers_read_a_sent_application_but_not_a_draft(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    login_as("ngo_a_admin")
    application_id = _filled(app, client, round_id)
    login_as("grant_officer")
    assert client.get(f"/tilskud/ansoegninger/{application_id}").status_code == 404
    login_as("ngo_a_admin")
    client.post(
        f"/tilskud/ansoegninger/{application_id}/indsend",
        data={"version": str(_application(app, application_id).version)},
    )
    login_as("grant_officer")
    response = client.get(f"/tilskud/ansoegninger/{application_id}")
    page = _html(response)
    assert response.status_code == 200
    assert "Besøgsvenner i Storstrøm" in page and "9.332,83 kr." in page
    assert "data-application-form" not in page


def test_another_organisation_gets_404(app: Flask, client: FlaskClient, login_as: Any) -> None:
    round_id = _round(app)
    login_as("ngo_a_member")
    application_id = _start(client, round_id)
    login_as("ngo_b_admin")
    assert client.get(f"/tilskud/ansoegninger/{application_id}").status_code == 404
    assert client.post(f"/tilskud/ansoegninger/{application_id}", data=_form(1)).status_code == 404


def test_the_project_kind_is_chosen_consciously_and_shown(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    login_as("ngo_a_admin")
    application_id = _start(client, round_id)
    url = f"/tilskud/ansoegninger/{application_id}"
    page = _html(client.get(url))
    # A new draft offers the kinds with none chosen.
    radios = re.findall(r'<input[^>]*name="project_kind"[^>]*>', page)
    assert len(radios) == 6 and "Mentorordninger og samtaler" in page
    assert not [radio for radio in radios if "checked" in radio]
    version = _application(app, application_id).version
    response = client.post(url, data=_form(version, project_kind="sport"))
    assert response.status_code == 400 and "Vælg en af mulighederne." in _html(response)
    response = client.post(url, data=_form(version, project_kind="family"))
    assert response.status_code == 302
    assert _application(app, application_id).project_kind.value == "family"
    page = _html(client.get(url))
    radios = re.findall(r'<input[^>]*name="project_kind"[^>]*>', page)
    assert [radio for radio in radios if "checked" in radio] == [
        next(radio for radio in radios if 'value="family"' in radio)
    ]
    assert "Familie og netværk" in _html(client.get(f"{url}/indsend"))


def test_the_receipt_names_the_project_kind(app: Flask, client: FlaskClient, login_as: Any) -> None:
    from pypdf import PdfReader

    round_id = _round(app)
    login_as("ngo_a_admin")
    application_id = _filled(app, client, round_id)
    client.post(
        f"/tilskud/ansoegninger/{application_id}/indsend",
        data={"version": str(_application(app, application_id).version)},
    )
    application = _application(app, application_id)
    assert application.submitted_copy is not None
    assert application.submitted_copy["project_kind"] == "mentor"
    page = _html(client.get(f"/tilskud/ansoegninger/{application_id}"))
    assert "Projekttype" in page and "Mentorordninger og samtaler" in page
    data = client.get(f"/dokumenter/{application.receipt_document_id}").get_data()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Projekttype" in text and "Mentorordninger og samtaler" in text
