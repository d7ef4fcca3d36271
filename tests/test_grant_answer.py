"""The organisation's side of a sent application, through the test client: the page says in
plain words where the application is (waiting for screening, screened out with the reason,
in review, decided with the amounts, conditions and letter, accepted, declined, closed);
only the organisation's admins accept (with the conditions ticked) or decline (with a
reason), on the version they saw; the organisation and the grant officers write to each
other, with e-mail; the history shows who did what and when.

The decisions are made with the service (grant_decisions.decide); its letter is replaced by a
small stored PDF here (the real letter is tested with the assessment).
"""

from __future__ import annotations

import re
import sys
import types
import uuid
from collections.abc import Iterator
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import portal.services
from portal import db
from portal.db import utcnow
from portal.models import (
    ApplicationState,
    AuditEntry,
    Document,
    GrantApplication,
    GrantApplicationEvent,
    GrantDecision,
    OwnerType,
)
from portal.services import documents, grant_decisions, grant_workflow
from portal.services.grant_decisions import DecisionValues
from portal.services.grant_workflow import Side
from tests import grant_data
from tests.activity_data import user
from tests.roles import ROLE_ACCOUNTS

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REQUESTED = 3_500_000  # grant_data.good_lines: 35.000 kr. asked for
PARTLY = 2_000_000
CONDITIONS = "Projektet skal afrapporteres med timeregnskab."
REASON = "Puljen er søgt af mange; vi giver en del af beløbet."
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


@pytest.fixture(autouse=True)
def small_letters(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The decision letter as a small PDF kept as the organisation's document, mailed to
    it as the real letter is."""

    def issue_letter(application: GrantApplication, actor: Any, language: str = "da") -> Document:
        document = documents.store_bytes(
            PDF,
            name="afgoerelse.pdf",
            owner_type=OwnerType.ORGANISATION,
            owner_id=application.organisation_id,
            purpose="grant_decision_letter",
            uploaded_by=None,
        )
        application.decision_letter_document_id = document.id
        db.session.flush()
        grant_workflow.notify(application, frozenset({Side.ORGANISATION}), "decide", actor, "")
        return document

    module = types.SimpleNamespace(issue_letter=issue_letter)
    monkeypatch.setitem(sys.modules, "portal.services.grant_letters", module)
    monkeypatch.setattr(portal.services, "grant_letters", module, raising=False)
    yield


def _in_review(app: Flask) -> uuid.UUID:
    with app.app_context():
        application = grant_data.in_review(grant_data.open_round())
        db.session.commit()
        return application.id


def _decide(
    app: Flask,
    application_id: uuid.UUID,
    decision: GrantDecision = GrantDecision.PARTLY_GRANTED,
    amount: int = PARTLY,
) -> None:
    with app.app_context():
        application = db.session.get(GrantApplication, application_id)
        assert application is not None
        grant_decisions.decide(
            application,
            user("grant_officer"),
            DecisionValues(decision, amount, CONDITIONS, REASON),
        )
        db.session.commit()


def _decided(app: Flask, decision: GrantDecision = GrantDecision.PARTLY_GRANTED) -> uuid.UUID:
    application_id = _in_review(app)
    _decide(app, application_id, decision)
    return application_id


def _application(app: Flask, application_id: uuid.UUID) -> GrantApplication:
    with app.app_context():
        found = db.session.get(GrantApplication, application_id)
        assert found is not None
        db.session.expunge(found)
        return found


def user_name(app: Flask, role: str) -> str:
    with app.app_context():
        return user(role).name


def user_id(app: Flask, role: str) -> uuid.UUID:
    with app.app_context():
        return user(role).id


def _url(application_id: uuid.UUID, suffix: str = "") -> str:
    return f"/tilskud/ansoegninger/{application_id}{suffix}"


def _accept(version: int, **extra: str) -> dict[str, str]:
    return {"action": "accept", "conditions_accepted": "y", "version": str(version), **extra}


def _decline(version: int, text: str = "Vi har fået pengene fra en fond.") -> dict[str, str]:
    return {"action": "decline", "text": text, "version": str(version)}


def _events(app: Flask, application_id: uuid.UUID) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(GrantApplicationEvent.action)
                .where(GrantApplicationEvent.application_id == application_id)
                .order_by(GrantApplicationEvent.created_at, GrantApplicationEvent.id)
            )
        )


def _to(outbox: list[Any], role: str) -> list[Any]:
    return [m for m in outbox if m.to == ROLE_ACCOUNTS[role]]


# --- the status in plain words -----------------------------------------------------------------


def test_a_sent_application_waits_for_screening(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    with app.app_context():
        application = grant_data.submitted(grant_data.open_round())
        db.session.commit()
        application_id = application.id
    login_as("ngo_a_member")
    page = _html(client.get(_url(application_id)))
    assert 'data-status="submitted"' in page
    assert "Ansøgningen er sendt" in page and "formelle krav" in page
    assert "Sendt, venter på screening" in page  # the state's label
    assert "data-message-form" in page and "data-accept-form" not in page
    assert "Ansøgningen blev sendt" in page  # the history


def test_screened_out_shows_the_reason(app: Flask, client: FlaskClient, login_as: Any) -> None:
    with app.app_context():
        application = grant_data.submitted(grant_data.open_round())
        grant_data.start_assessment(application.round)
        grant_workflow.apply(
            application,
            "screen_reject",
            user("grant_officer"),
            text="Vedtægterne mangler.\nSend dem næste gang.",
        )
        db.session.commit()
        application_id = application.id
    login_as("ngo_a_admin")
    page = _html(client.get(_url(application_id)))
    assert 'data-status="ineligible"' in page
    assert "Ansøgningen er afvist ved screening" in page
    assert "Vedtægterne mangler.<br>Send dem næste gang." in page
    assert "Afvist ved screening" in page


def test_in_review(app: Flask, client: FlaskClient, login_as: Any) -> None:
    application_id = _in_review(app)
    login_as("ngo_a_admin")
    page = _html(client.get(_url(application_id)))
    assert 'data-status="in_review"' in page and "Ansøgningen bliver bedømt" in page
    assert "De formelle krav er opfyldt; ansøgningen går til bedømmelse" in page
    assert "data-decision" not in page


def test_a_partial_grant_shows_amounts_conditions_letter_and_the_answer_forms(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _decided(app)
    login_as("ngo_a_admin")
    page = _html(client.get(_url(application_id)))
    assert 'data-status="decided"' in page and "Delvist bevilget" in page
    assert "Der er bevilget 20.000,00 kr. af de 35.000,00 kr., der blev søgt om." in page
    assert CONDITIONS in page and REASON in page
    letter_id = _application(app, application_id).decision_letter_document_id
    assert f'href="/dokumenter/{letter_id}" data-letter' in page
    assert client.get(f"/dokumenter/{letter_id}").status_code == 200
    assert "data-accept-form" in page and "data-decline-form" in page
    assert "Vi har læst og accepterer betingelserne" in page
    assert "Afgørelse truffet" in page  # the history, with the officer's name
    assert user_name(app, "grant_officer") in page


def test_a_refusal_needs_no_answer(app: Flask, client: FlaskClient, login_as: Any) -> None:
    application_id = _in_review(app)
    _decide(app, application_id, GrantDecision.REFUSED, 0)
    login_as("ngo_a_admin")
    page = _html(client.get(_url(application_id)))
    assert "Ansøgningen har fået afslag" in page and REASON in page
    assert "data-accept-form" not in page and "data-decline-form" not in page
    assert CONDITIONS not in page  # no conditions without a grant
    version = _application(app, application_id).version
    response = client.post(_url(application_id, "/svar"), data=_accept(version))
    assert response.status_code == 400
    assert "Ansøgningen har ikke fået tilskud." in _html(response)
    assert _application(app, application_id).state == ApplicationState.DECIDED


# --- accepting and declining -------------------------------------------------------------------


def test_the_admin_accepts_and_the_officers_are_told(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any]
) -> None:
    application_id = _decided(app)
    login_as("ngo_a_admin")
    version = _application(app, application_id).version
    response = client.post(
        _url(application_id, "/svar"), data=_accept(version, text="Tak, vi går i gang.")
    )
    assert response.status_code == 302, _html(response)
    application = _application(app, application_id)
    assert application.state == ApplicationState.ACCEPTED
    assert application.accepted_at is not None
    assert application.accepted_by_id == user_id(app, "ngo_a_admin")
    assert _events(app, application_id)[-1] == "accept"
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "grant_application.accept",
                AuditEntry.object_id == str(application_id),
            )
        )
        assert entry is not None and entry.details["conditions_accepted"] is True
    [mail] = _to(outbox, "grant_officer")
    assert "Tilskuddet er taget imod" in mail.subject and "Tak, vi går i gang." in mail.body
    page = _html(client.get(_url(application_id)))
    assert 'data-status="accepted"' in page and "Tilskuddet er taget imod" in page
    assert "Organisationen tog imod tilskuddet og betingelserne" in page
    assert "data-accept-form" not in page
    if "grant_followup.grant" in app.view_functions:
        assert f'href="{_url(application_id, "/tilskud")}" data-grant-link' in page


def test_accepting_without_the_tick_is_refused_and_keeps_the_message(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _decided(app)
    login_as("ngo_a_admin")
    version = _application(app, application_id).version
    response = client.post(
        _url(application_id, "/svar"),
        data={"action": "accept", "text": "Vi glæder os meget.", "version": str(version)},
    )
    page = _html(response)
    assert response.status_code == 400
    assert "data-error-summary" in page
    assert "Sæt kryds, hvis I har læst og accepterer betingelserne" in page
    assert 'href="#accept-conditions-accepted"' in page
    assert re.search(r"<textarea[^>]*>\s*Vi glæder os meget.</textarea>", page), page
    assert _application(app, application_id).state == ApplicationState.DECIDED


def test_declining_needs_a_reason_and_tells_the_officers(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any]
) -> None:
    application_id = _decided(app)
    login_as("ngo_a_admin")
    version = _application(app, application_id).version
    response = client.post(_url(application_id, "/svar"), data=_decline(version, text="  "))
    page = _html(response)
    assert response.status_code == 400
    assert "Skriv, hvorfor I siger nej tak." in page
    assert '<details class="details mt-6" open>' in page  # the decline form stays open
    assert _application(app, application_id).state == ApplicationState.DECIDED
    response = client.post(_url(application_id, "/svar"), data=_decline(version))
    assert response.status_code == 302, _html(response)
    application = _application(app, application_id)
    assert application.state == ApplicationState.DECLINED and application.accepted_at is None
    [mail] = _to(outbox, "grant_officer")
    assert "siger nej tak" in mail.subject and "fra en fond" in mail.body
    page = _html(client.get(_url(application_id)))
    assert "Organisationen har sagt nej tak til tilskuddet" in page
    assert "Vi har fået pengene fra en fond." in page  # the reason, in the history
    with app.app_context():
        # The money goes back to the pool.
        round_ = db.session.get(GrantApplication, application_id).round  # type: ignore[union-attr]
        assert grant_decisions.granted_ore(round_) == 0


def test_a_member_sees_that_only_an_admin_answers(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _decided(app)
    login_as("ngo_a_member")
    page = _html(client.get(_url(application_id)))
    assert "Kun en administrator i organisationen kan tage imod tilskuddet" in page
    assert "data-accept-form" not in page and "data-decline-form" not in page
    version = _application(app, application_id).version
    assert client.post(_url(application_id, "/svar"), data=_accept(version)).status_code == 403
    assert client.post(_url(application_id, "/svar"), data=_decline(version)).status_code == 403
    assert _application(app, application_id).state == ApplicationState.DECIDED


@pytest.mark.parametrize(("role", "status"), [("ngo_b_admin", 404), ("grant_officer", 403)])
def test_others_cannot_answer_or_write(
    app: Flask, client: FlaskClient, login_as: Any, role: str, status: int
) -> None:
    application_id = _decided(app)
    login_as(role)
    version = _application(app, application_id).version
    assert client.post(_url(application_id, "/svar"), data=_accept(version)).status_code == status
    response = client.post(_url(application_id, "/besked"), data={"text": "Hej"})
    assert response.status_code == status
    assert _application(app, application_id).state == ApplicationState.DECIDED
    assert _events(app, application_id)[-1] == "decide"


def test_an_answer_on_a_stale_page_is_a_conflict_that_keeps_the_text(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _in_review(app)
    stale = _application(app, application_id).version
    _decide(app, application_id)
    login_as("ngo_a_admin")
    response = client.post(
        _url(application_id, "/svar"), data=_accept(stale, text="Mange tak for tilskuddet.")
    )
    page = _html(response)
    assert response.status_code == 409
    assert "data-answer-problem" in page and "ændret af en anden" in page
    assert "Mange tak for tilskuddet." in page
    # The form now carries the version the user sees, so a new try goes through.
    current = _application(app, application_id).version
    assert f'name="version" type="hidden" value="{current}"' in page
    assert _application(app, application_id).state == ApplicationState.DECIDED
    response = client.post(_url(application_id, "/svar"), data=_accept(current))
    assert response.status_code == 302


def test_an_answer_after_another_admin_answered_shows_the_new_state_and_the_text(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _decided(app)
    version = _application(app, application_id).version
    with app.app_context():
        application = db.session.get(GrantApplication, application_id)
        assert application is not None
        grant_workflow.apply(application, "accept", user("ngo_a_admin"))
        db.session.commit()
    login_as("ngo_a_admin")
    response = client.post(
        _url(application_id, "/svar"), data=_decline(version, text="Vi kan ikke alligevel.")
    )
    page = _html(response)
    assert response.status_code == 409
    assert "Tilskud modtaget" in page  # the state now
    assert "data-kept-text" in page and "Vi kan ikke alligevel." in page
    assert _application(app, application_id).state == ApplicationState.ACCEPTED


# --- messages and history ----------------------------------------------------------------------


def test_messages_both_ways_with_mail_and_history(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any]
) -> None:
    application_id = _in_review(app)
    login_as("ngo_a_member")
    response = client.post(
        _url(application_id, "/besked"), data={"text": "Hvornår kommer afgørelsen?"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#beskeder")
    [mail] = _to(outbox, "grant_officer")
    assert "Ny besked om ansøgningen" in mail.subject
    assert "Hvornår kommer afgørelsen?" in mail.body
    with app.app_context():
        application = db.session.get(GrantApplication, application_id)
        assert application is not None
        grant_workflow.post_message(application, user("grant_officer"), "Inden jul.")
        db.session.commit()
    assert {m.to for m in outbox} >= {ROLE_ACCOUNTS["ngo_a_admin"]}
    page = _html(client.get(_url(application_id)))
    history = page[page.index("data-history") :]
    # Newest first, with who wrote it.
    assert history.index("Inden jul.") < history.index("Hvornår kommer afgørelsen?")
    assert user_name(app, "grant_officer") in history
    with app.app_context():
        answer = db.session.scalars(
            select(GrantApplicationEvent).where(GrantApplicationEvent.text == "Inden jul.")
        ).one()
        # Copenhagen time, as the portal writes it (babel's short form in Danish).
        when = format_datetime(
            answer.created_at.replace(tzinfo=UTC), "short", tzinfo=COPENHAGEN, locale="da"
        )
    assert f"{when} · {user_name(app, 'grant_officer')}" in history
    assert f"{user_name(app, 'ngo_a_member')} (dig)" in history
    assert _events(app, application_id)[-2:] == ["message", "message"]


def test_an_empty_message_is_refused(app: Flask, client: FlaskClient, login_as: Any) -> None:
    application_id = _in_review(app)
    login_as("ngo_a_admin")
    response = client.post(_url(application_id, "/besked"), data={"text": "   "})
    assert response.status_code == 400
    assert "Skriv en besked." in _html(response)
    assert _events(app, application_id)[-1] == "screen_pass"


def test_no_messages_about_a_draft(app: Flask, client: FlaskClient, login_as: Any) -> None:
    with app.app_context():
        application = grant_data.draft(grant_data.open_round())
        db.session.commit()
        application_id = application.id
    login_as("ngo_a_admin")
    response = client.post(_url(application_id, "/besked"), data={"text": "Hej"})
    assert response.status_code == 303
    assert "Send ansøgningen først" in _html(client.get(response.headers["Location"]))
    assert _events(app, application_id) == []


# --- the officers' view and the list -----------------------------------------------------------


def test_grant_officers_read_the_page_with_a_link_to_their_case_page(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _decided(app)
    login_as("grant_officer")
    page = _html(client.get(_url(application_id)))
    assert "Delvist bevilget" in page and "data-history" in page
    assert "data-accept-form" not in page and "data-message-form" not in page
    assert "Organisationen har ikke svaret endnu." in page
    if "grant_assessment.case" in app.view_functions:
        assert f'href="{_url(application_id, "/behandling")}"' in page
    login_as("ngo_a_admin")
    assert "data-case-link" not in _html(client.get(_url(application_id)))


def test_the_list_shows_state_decision_and_amounts(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _decided(app)
    login_as("ngo_a_member")
    page = _html(client.get("/tilskud/ansoegninger"))
    item = page[page.index(_url(application_id)) :]
    assert "Afgjort" in item and "Delvist bevilget" in item
    assert "Søgt: 35.000,00 kr." in item and "Bevilget: 20.000,00 kr." in item


def test_a_closed_grant(app: Flask, client: FlaskClient, login_as: Any) -> None:
    application_id = _decided(app)
    with app.app_context():
        application = db.session.get(GrantApplication, application_id)
        assert application is not None
        grant_workflow.apply(application, "accept", user("ngo_a_admin"))

        def close(app_: GrantApplication) -> None:
            app_.repayment_ore = 150_000
            app_.closed_at = utcnow()
            app_.closed_by_id = user("grant_officer").id

        grant_workflow.apply(application, "close", user("grant_officer"), before=close)
        db.session.commit()
    login_as("ngo_a_admin")
    page = _html(client.get(_url(application_id)))
    assert 'data-status="closed"' in page and "Tilskudssagen er lukket" in page
    assert "1.500,00 kr." in page
    assert "Tilskudssagen er lukket" in page


def test_a_forged_answer_is_refused_with_a_message(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    application_id = _decided(app)
    login_as("ngo_a_admin")
    version = _application(app, application_id).version
    response = client.post(
        _url(application_id, "/svar"),
        data={"action": "approve", "conditions_accepted": "y", "version": str(version)},
    )
    assert response.status_code == 400
    assert "data-error-summary" in _html(response)
    assert _application(app, application_id).state == ApplicationState.DECIDED
