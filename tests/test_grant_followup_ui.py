"""The grant pages through the test client: what each role sees on the grant's page, the
officer's payment form, a change request asked and approved, a report written, refused with
every problem listed, sent back for more, approved, and the grant closed with the computed
repayment; the voucher draw on its page. Typed text survives errors and conflicts, and another
organisation's links answer 404."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import db
from portal.models import (
    ApplicationState,
    GrantApplication,
    GrantChangeRequest,
    GrantDecision,
    GrantReport,
    GrantRound,
    ReportState,
    RequestState,
    RoundState,
)
from portal.services import grant_decisions, grant_workflow
from portal.services.grant_decisions import DecisionValues
from tests.activity_data import user
from tests.grant_data import in_review, open_round

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


def _accepted(app: Flask, **round_changes: Any) -> uuid.UUID:
    """Organisation A's grant of 35.000 kr. (lines approved 25.000 and 10.000 kr.), committed."""
    with app.app_context():
        application = in_review(open_round(**round_changes))
        grant_decisions.decide(
            application, user("grant_officer"), DecisionValues(GrantDecision.GRANTED)
        )
        grant_workflow.apply(application, "accept", user("ngo_a_admin"))
        db.session.commit()
        return application.id


def _get(app: Flask, model: Any, object_id: uuid.UUID) -> Any:
    with app.app_context():
        found = db.session.get(model, object_id)
        assert found is not None
        db.session.expunge(found)
        return found


def _line_ids(app: Flask, application_id: uuid.UUID) -> list[str]:
    with app.app_context():
        application = db.session.get(GrantApplication, application_id)
        assert application is not None
        return [str(line.id) for line in application.budget_lines]


def _grant_url(application_id: uuid.UUID, suffix: str = "") -> str:
    return f"/tilskud/ansoegninger/{application_id}{suffix}"


# --- the grant's page per role ---------------------------------------------------------------


def test_the_grant_page_per_role(app: Flask, client: FlaskClient, login_as: Any) -> None:
    application_id = _accepted(app)
    url = _grant_url(application_id, "/tilskud")

    login_as("grant_officer")
    page = _html(client.get(url))
    assert "35.000,00 kr." in page and "data-payment-form" in page
    assert "data-closing-problems" in page and "Bed om en ændring" not in page
    assert "Begynd på slutrapporten" not in page

    login_as("ngo_a_admin")
    page = _html(client.get(url))
    assert "Bed om en ændring" in page and "Begynd på slutrapporten" in page
    assert "data-payment-form" not in page and "data-close-form" not in page

    login_as("ngo_a_member")
    page = _html(client.get(url))
    assert "Begynd på en delrapport" in page and "Bed om en ændring" not in page

    for reader in ("admin", "dpo"):
        login_as(reader)
        page = _html(client.get(url))
        assert "35.000,00 kr." in page
        for action in ("data-payment-form", "Begynd på", "Bed om en ændring", "data-close-form"):
            assert action not in page, (reader, action)

    login_as("ngo_b_admin")
    assert client.get(url).status_code == 404
    login_as("reviewer")
    assert client.get(url).status_code == 403


def test_a_decided_but_not_accepted_application_has_no_grant_page(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    with app.app_context():
        application = in_review(open_round())
        grant_decisions.decide(
            application, user("grant_officer"), DecisionValues(GrantDecision.GRANTED)
        )
        db.session.commit()
        application_id = application.id
    login_as("ngo_a_admin")
    assert client.get(_grant_url(application_id, "/tilskud")).status_code == 404


# --- payments --------------------------------------------------------------------------------


def test_recording_payments_through_the_page(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _accepted(app)
    login_as("grant_officer")
    response = client.post(
        _grant_url(application_id, "/udbetalinger"),
        data={"amount": "20.000", "paid_on": "01.06.2027", "note": "Første rate"},
    )
    assert response.status_code == 302, _html(response)
    page = _html(client.get(response.headers["Location"]))
    assert "20.000,00 kr." in page and "15.000,00 kr." in page and "Første rate" in page
    too_much = client.post(
        _grant_url(application_id, "/udbetalinger"),
        data={"amount": "15.000,01", "paid_on": "2027-09-01", "note": "Anden rate"},
    )
    assert too_much.status_code == 400
    page = _html(too_much)
    assert "Skriv et mindre beløb" in page
    assert 'value="15.000,01"' in page and "Anden rate" in page


def test_payment_form_errors_keep_what_was_typed(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _accepted(app)
    login_as("grant_officer")
    response = client.post(
        _grant_url(application_id, "/udbetalinger"),
        data={"amount": "tyve tusind", "paid_on": "", "note": "Husk kontonummer"},
    )
    assert response.status_code == 400
    page = _html(response)
    assert "data-error-summary" in page and 'value="tyve tusind"' in page
    assert "Husk kontonummer" in page and "Skriv datoen for udbetalingen" in page


# --- change requests -------------------------------------------------------------------------


def test_a_reallocation_asked_and_approved_through_the_pages(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _accepted(app)
    first, second = _line_ids(app, application_id)
    login_as("ngo_a_admin")
    choose = _html(client.get(_grant_url(application_id, "/aendringer/ny")))
    assert "slags=reallocation" in choose and "slags=extension" in choose
    form = _html(client.get(_grant_url(application_id, "/aendringer/ny?slags=reallocation")))
    assert form.count("data-reallocation-line") == 2 and 'value="25.000"' in form

    data = {
        "kind": "reallocation",
        "text": "Flere kurser",
        "lines-0-line_id": first,
        "lines-0-amount": "20.000",
        "lines-1-line_id": second,
        "lines-1-amount": "14.000",
    }
    wrong = client.post(_grant_url(application_id, "/aendringer/ny"), data=data)
    assert wrong.status_code == 400
    page = _html(wrong)
    assert "34.000,00 kr." in page and "35.000,00 kr." in page
    assert 'value="14.000"' in page and "Flere kurser" in page

    data["lines-1-amount"] = "15.000"
    response = client.post(_grant_url(application_id, "/aendringer/ny"), data=data)
    assert response.status_code == 302, _html(response)
    with app.app_context():
        change = db.session.scalar(
            select(GrantChangeRequest).where(GrantChangeRequest.application_id == application_id)
        )
        assert change is not None
        change_id, version = change.id, change.version

    login_as("grant_officer")
    page = _html(client.get(_grant_url(application_id, "/tilskud")))
    assert "Godkend ændringen" in page and "Flere kurser" in page
    response = client.post(
        f"/tilskud/aendringer/{change_id}/afgoer",
        data={"action": "approve", "text": "", "version": str(version)},
    )
    assert response.status_code == 302, _html(response)
    approved = _get(app, GrantChangeRequest, change_id)
    assert approved.state == RequestState.APPROVED
    page = _html(client.get(_grant_url(application_id, "/tilskud")))
    assert "20.000,00 kr." in page and "15.000,00 kr." in page


def test_refusing_without_a_reason_keeps_the_form_and_a_stale_page_is_a_conflict(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _accepted(app)
    login_as("ngo_a_admin")
    response = client.post(
        _grant_url(application_id, "/aendringer/ny"),
        data={"kind": "extension", "text": "Mere tid", "new_period_end": ""},
    )
    assert response.status_code == 400
    assert "Skriv den nye slutdato" in _html(response) and "Mere tid" in _html(response)
    response = client.post(
        _grant_url(application_id, "/aendringer/ny"),
        data={"kind": "extension", "text": "Mere tid", "new_period_end": "31.08.2028"},
    )
    assert response.status_code == 302
    with app.app_context():
        change = db.session.scalar(
            select(GrantChangeRequest).where(GrantChangeRequest.application_id == application_id)
        )
        assert change is not None
        change_id, version = change.id, change.version
    login_as("grant_officer")
    refused = client.post(
        f"/tilskud/aendringer/{change_id}/afgoer",
        data={"action": "refuse", "text": "", "version": str(version)},
    )
    assert refused.status_code == 400 and "begrundelse" in _html(refused)
    login_as("ngo_a_admin")
    assert (
        client.post(
            f"/tilskud/aendringer/{change_id}/traek-tilbage", data={"version": str(version)}
        ).status_code
        == 302
    )
    login_as("grant_officer")
    stale = client.post(
        f"/tilskud/aendringer/{change_id}/afgoer",
        data={"action": "refuse", "text": "Fristen er fast", "version": str(version)},
    )
    assert stale.status_code == 409
    page = _html(stale)
    assert "data-conflict" in page and "Trukket tilbage" in page


# --- reports and closing ---------------------------------------------------------------------


def _report_id(response: Any) -> uuid.UUID:
    assert response.status_code == 302, _html(response)
    return uuid.UUID(response.headers["Location"].rsplit("/", 1)[-1])


def _report_form(
    app: Flask, report_id: uuid.UUID, application_id: uuid.UUID, **extra: str
) -> dict[str, Any]:
    first, second = _line_ids(app, application_id)
    data: dict[str, Any] = {
        "version": str(_get(app, GrantReport, report_id).version),
        "narrative": "Vi holdt 40 møder.",
        "volunteer_hours": "312,5",
        "lines-0-line_id": first,
        "lines-0-actual": "25.000",
        "lines-0-explanation": "",
        "lines-1-line_id": second,
        "lines-1-actual": "7.000",
        "lines-1-explanation": "",
    }
    data.update(extra)
    return data


def test_a_report_written_sent_back_approved_and_the_grant_closed(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _accepted(app)
    login_as("grant_officer")
    client.post(
        _grant_url(application_id, "/udbetalinger"),
        data={"amount": "35.000", "paid_on": "01.06.2027"},
    )
    login_as("ngo_a_member")
    report_id = _report_id(
        client.post(_grant_url(application_id, "/rapporter"), data={"kind": "final"})
    )
    url = f"/tilskud/rapporter/{report_id}"
    page = _html(client.get(url))
    assert "data-report-form" in page and "En administrator i organisationen sender" in page
    saved = client.post(url, data=_report_form(app, report_id, application_id, narrative=""))
    assert saved.status_code == 302, _html(saved)
    assert _get(app, GrantReport, report_id).volunteer_hours == 312.5

    login_as("ngo_a_admin")
    version = _get(app, GrantReport, report_id).version
    refused = client.post(f"{url}/indsend", data={"version": str(version)})
    assert refused.status_code == 400
    page = _html(refused)
    problems = re.findall(r'<a href="#([\w-]+)" class="function-link">', page)
    assert problems == ["narrative", "lines-1-explanation"]
    assert 'id="lines-1-explanation"' in page and 'id="narrative"' in page

    saved = client.post(
        url,
        data=_report_form(
            app, report_id, application_id, **{"lines-1-explanation": "Et kursus blev aflyst"}
        ),
    )
    assert saved.status_code == 302
    version = _get(app, GrantReport, report_id).version
    assert client.post(f"{url}/indsend", data={"version": str(version)}).status_code == 302
    assert _get(app, GrantReport, report_id).state == ReportState.SUBMITTED
    assert "data-report-form" not in _html(client.get(url))

    login_as("grant_officer")
    page = _html(client.get(url))
    assert "Godkend rapporten" in page and "3.000,00 kr. mindre" in page
    version = _get(app, GrantReport, report_id).version
    no_text = client.post(
        f"{url}/afgoer", data={"action": "ask_more", "text": "", "version": str(version)}
    )
    assert no_text.status_code == 400 and "Skriv, hvad der mangler" in _html(no_text)
    sent_back = client.post(
        f"{url}/afgoer",
        data={"action": "ask_more", "text": "Vedlæg deltagerlister", "version": str(version)},
    )
    assert sent_back.status_code == 302

    login_as("ngo_a_admin")
    page = _html(client.get(url))
    assert "Vedlæg deltagerlister" in page and "data-report-form" in page
    version = _get(app, GrantReport, report_id).version
    assert client.post(f"{url}/indsend", data={"version": str(version)}).status_code == 302

    login_as("grant_officer")
    version = _get(app, GrantReport, report_id).version
    approved = client.post(
        f"{url}/afgoer", data={"action": "approve", "text": "", "version": str(version)}
    )
    assert approved.status_code == 302
    page = _html(client.get(_grant_url(application_id, "/tilskud")))
    assert "data-close-form" in page and 'value="3.000"' in page
    grant = _get(app, GrantApplication, application_id)
    no_reason = client.post(
        _grant_url(application_id, "/luk"),
        data={"version": str(grant.version), "repayment": "2.500", "reason": ""},
    )
    assert no_reason.status_code == 400
    assert "hvorfor" in _html(no_reason) and 'value="2.500"' in _html(no_reason)
    closed = client.post(
        _grant_url(application_id, "/luk"),
        data={"version": str(grant.version), "repayment": "3.000", "reason": ""},
    )
    assert closed.status_code == 302, _html(closed)
    grant = _get(app, GrantApplication, application_id)
    assert grant.state == ApplicationState.CLOSED and grant.repayment_ore == 300_000
    login_as("ngo_a_admin")
    page = _html(client.get(_grant_url(application_id, "/tilskud")))
    assert "data-repayment" in page and "3.000,00 kr." in page
    assert "Bed om en ændring" not in page and "data-report-form" not in _html(client.get(url))


def test_audited_accounts_are_uploaded_with_the_report(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _accepted(app, audit_threshold_ore=1_000_000)
    login_as("ngo_a_admin")
    report_id = _report_id(
        client.post(_grant_url(application_id, "/rapporter"), data={"kind": "final"})
    )
    url = f"/tilskud/rapporter/{report_id}"
    assert "Revideret regnskab" in _html(client.get(url))
    data = _report_form(app, report_id, application_id, **{"lines-1-actual": "10.000"})
    bad = client.post(
        url,
        data={**data, "audited_accounts": (io.BytesIO(b"not a pdf"), "regnskab.exe")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    assert "Vi holdt 40 møder." in _html(bad) and "intet er gemt" in _html(bad)
    assert _get(app, GrantReport, report_id).narrative == ""
    good = client.post(
        url,
        data={**data, "audited_accounts": (io.BytesIO(PDF), "regnskab.pdf")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302, _html(good)
    report = _get(app, GrantReport, report_id)
    assert report.audited_accounts_document_id is not None
    page = _html(client.get(url))
    assert "regnskab.pdf" in page and "data-report-ready" in page


def test_saving_a_report_from_an_old_page_keeps_what_was_typed(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _accepted(app)
    login_as("ngo_a_member")
    report_id = _report_id(
        client.post(_grant_url(application_id, "/rapporter"), data={"kind": "interim"})
    )
    url = f"/tilskud/rapporter/{report_id}"
    old = _report_form(app, report_id, application_id)
    assert client.post(url, data=old).status_code == 302
    stale = client.post(url, data={**old, "narrative": "Min nye tekst"})
    assert stale.status_code == 409
    page = _html(stale)
    assert "data-conflict" in page and "Min nye tekst" in page
    assert _get(app, GrantReport, report_id).narrative == "Vi holdt 40 møder."
    bad_amount = client.post(url, data={**old, "lines-0-actual": "mange penge"})
    assert bad_amount.status_code == 400 and 'value="mange penge"' in _html(bad_amount)


def test_another_organisations_links_are_404(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _accepted(app)
    login_as("ngo_a_admin")
    report_id = _report_id(
        client.post(_grant_url(application_id, "/rapporter"), data={"kind": "final"})
    )
    client.post(
        _grant_url(application_id, "/aendringer/ny"),
        data={"kind": "activity", "text": "Andet sted"},
    )
    with app.app_context():
        change_id = db.session.scalar(
            select(GrantChangeRequest.id).where(GrantChangeRequest.application_id == application_id)
        )
    login_as("ngo_b_admin")
    for method, url in [
        ("GET", _grant_url(application_id, "/tilskud")),
        ("GET", _grant_url(application_id, "/aendringer/ny")),
        ("POST", _grant_url(application_id, "/rapporter")),
        ("GET", f"/tilskud/rapporter/{report_id}"),
        ("POST", f"/tilskud/rapporter/{report_id}/indsend"),
        ("POST", f"/tilskud/aendringer/{change_id}/traek-tilbage"),
    ]:
        assert client.open(url, method=method).status_code == 404, url
    login_as("ngo_a_admin")
    assert client.get(f"/tilskud/rapporter/{uuid.uuid4()}").status_code == 404


# --- the voucher draw ------------------------------------------------------------------------


def test_the_voucher_draw_on_its_page(app: Flask, client: FlaskClient, login_as: Any) -> None:
    application_id = _accepted(app, voucher_share_percent=100)
    grant = _get(app, GrantApplication, application_id)
    with app.app_context():
        grant_round = db.session.get(GrantRound, grant.round_id)
        assert grant_round is not None
        url = f"/tilskud/runder/{grant_round.id}/bilagskontrol"
        login_as("grant_officer")
        assert "Stikprøven kan først trækkes" in _html(client.get(url))
        grant_round.state = RoundState.DECIDED
        db.session.commit()
        version = grant_round.version
    page = _html(client.get(url))
    assert "data-draw-form" in page and "Bevilget projekt" not in page
    login_as("admin")
    assert "data-draw-form" not in _html(client.get(url))
    login_as("grant_officer")
    response = client.post(url, data={"version": str(version)})
    assert response.status_code == 302, _html(response)
    page = _html(client.get(url))
    assert "data-voucher-seed" in page and "data-sampled" in page
    again = client.post(url, data={"version": str(version + 1)})
    assert again.status_code == 400 and "allerede" in _html(again)
    login_as("ngo_a_admin")
    page = _html(client.get(_grant_url(application_id, "/tilskud")))
    assert "data-voucher-requested" in page
