"""The officers' assessment pages through the test client: the round's list with the pool
and its steps, the case page (screening, the decision with its letter, messages, history),
errors that keep what was typed, a stale page refused with a clear message, a letter that
cannot be stored rolling the decision back, the admin and the DPO reading without forms,
everyone else refused, the CSV export and the overview's figures."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal import db
from portal.db import utcnow
from portal.models import (
    ApplicationState,
    AuditEntry,
    Document,
    GrantApplication,
    GrantDecision,
    GrantRound,
    RoundState,
)
from portal.services import grant_workflow
from tests.activity_data import ORG_B, user
from tests.grant_data import draft, in_review, make_round, open_round, start_assessment, submitted
from tests.roles import ROLE_ACCOUNTS

ASKED = 3_500_000


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


def _setup(app: Flask, *, screened: bool = True, **round_changes: Any) -> dict[str, uuid.UUID]:
    """A round in assessment with organisation A's application (in review, or only sent),
    and a draft of organisation B that never shows on the officers' pages."""
    with app.app_context():
        grant_round = open_round(**round_changes)
        other = draft(
            grant_round, organisation_name=ORG_B, actor="ngo_b_admin", title="Kladde fra B"
        )
        if screened:
            application = in_review(grant_round)
        else:
            application = submitted(grant_round)
            start_assessment(grant_round)
        db.session.commit()
        return {"round": grant_round.id, "application": application.id, "draft": other.id}


def _application(app: Flask, application_id: uuid.UUID) -> GrantApplication:
    with app.app_context():
        found = db.session.get(GrantApplication, application_id)
        assert found is not None
        db.session.expunge(found)
        return found


def _case(ids: dict[str, uuid.UUID], suffix: str = "/behandling") -> str:
    return f"/tilskud/ansoegninger/{ids['application']}{suffix}"


def _decision(version: int, **fields: str) -> dict[str, str]:
    return {"version": str(version), **fields}


# --- the round's list ------------------------------------------------------------------------


def test_the_list_shows_sent_applications_and_the_pool(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    ids = _setup(app)
    login_as("grant_officer")
    response = client.get(f"/tilskud/runder/{ids['round']}/ansoegninger")
    page = _html(response)
    assert response.status_code == 200
    assert "Netværk efter løsladelse" in page and "Foreningen Nyt Netværk" in page
    assert "Kladde fra B" not in page  # drafts are the organisation's own
    assert "5.500.000,00 kr." in page  # the pool
    assert f"/tilskud/ansoegninger/{ids['application']}/behandling" in page
    assert f"/tilskud/runder/{ids['round']}/ansoegninger.csv" in page
    assert f"/tilskud/runder/{ids['round']}/overblik" in page
    assert "data-undecided" in page  # one waits, so the round cannot be marked decided
    filtered = _html(client.get(f"/tilskud/runder/{ids['round']}/ansoegninger?state=decided"))
    assert "Netværk efter løsladelse" not in filtered and "Ingen ansøgninger har status" in filtered
    # An unknown state is no filter.
    assert "Netværk efter løsladelse" in _html(
        client.get(f"/tilskud/runder/{ids['round']}/ansoegninger?state=draft")
    )


def test_the_rounds_page_links_to_the_assessment(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    ids = _setup(app)
    login_as("grant_officer")
    page = _html(client.get(f"/tilskud/runder/{ids['round']}"))
    assert "data-assessment-links" in page
    assert f"/tilskud/runder/{ids['round']}/ansoegninger" in page


def _closed_round(app: Flask) -> uuid.UUID:
    """A published round whose deadline passed a second ago (by the real clock)."""
    now = utcnow().replace(microsecond=0)
    with app.app_context():
        grant_round = make_round(
            state=RoundState.PUBLISHED,
            opens_at=now - timedelta(days=30),
            deadline_at=now - timedelta(seconds=1),
        )
        db.session.commit()
        return grant_round.id


def _round(app: Flask, round_id: uuid.UUID) -> GrantRound:
    with app.app_context():
        found = db.session.get(GrantRound, round_id)
        assert found is not None
        db.session.expunge(found)
        return found


def test_the_rounds_steps(app: Flask, client: FlaskClient, login_as: Any) -> None:
    round_id = _closed_round(app)
    login_as("grant_officer")
    url = f"/tilskud/runder/{round_id}/trin"
    page = _html(client.get(f"/tilskud/runder/{round_id}/ansoegninger"))
    assert "Begynd bedømmelsen" in page
    version = _round(app, round_id).version
    # Finishing now is refused with the reason, and nothing changes.
    response = client.post(url, data={"step": "finish", "version": str(version)})
    assert response.status_code == 400
    assert "Runden skal være afgjort" in _html(response)
    response = client.post(url, data={"step": "start_assessment", "version": str(version)})
    assert response.status_code == 302
    assert _round(app, round_id).state == RoundState.IN_ASSESSMENT
    # The same button from the page as it was: the round has moved on.
    response = client.post(url, data={"step": "start_assessment", "version": str(version)})
    assert response.status_code == 409
    assert "ændret af en anden" in _html(response)
    # Nothing waits in this round, so it can be marked decided.
    page = _html(client.get(f"/tilskud/runder/{round_id}/ansoegninger"))
    assert "Markér runden som afgjort" in page
    version = _round(app, round_id).version
    response = client.post(url, data={"step": "mark_decided", "version": str(version)})
    assert response.status_code == 302
    assert _round(app, round_id).state == RoundState.DECIDED
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == str(round_id))
        ).all()
    assert "grant_round.start_assessment" in actions and "grant_round.mark_decided" in actions


def test_mark_decided_is_refused_while_an_application_waits(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    ids = _setup(app)
    login_as("grant_officer")
    version = _round(app, ids["round"]).version
    response = client.post(
        f"/tilskud/runder/{ids['round']}/trin",
        data={"step": "mark_decided", "version": str(version)},
    )
    assert response.status_code == 400
    assert "1 ansøgninger mangler stadig en afgørelse" in _html(response)
    assert _round(app, ids["round"]).state == RoundState.IN_ASSESSMENT


# --- screening ----------------------------------------------------------------------------------


def test_screening_reject_needs_a_reason_then_tells_the_organisation(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any]
) -> None:
    ids = _setup(app, screened=False)
    login_as("grant_officer")
    page = _html(client.get(_case(ids)))
    assert "data-screen-pass" in page and "data-screen-reject" in page
    assert "data-decision-form" not in page
    version = _application(app, ids["application"]).version
    response = client.post(
        _case(ids), data={"action": "screen_reject", "text": "  ", "version": str(version)}
    )
    assert response.status_code == 400
    assert "Skriv, hvilke formelle krav" in _html(response)
    assert _application(app, ids["application"]).state == ApplicationState.SUBMITTED
    response = client.post(
        _case(ids),
        data={
            "action": "screen_reject",
            "text": "Budgettet mangler noter.",
            "version": str(version),
        },
    )
    assert response.status_code == 302
    application = _application(app, ids["application"])
    assert application.state == ApplicationState.INELIGIBLE
    assert application.screening_reason == "Budgettet mangler noter."
    [message] = [
        m for m in outbox if m.to == ROLE_ACCOUNTS["ngo_a_admin"] and "screening" in m.subject
    ]
    assert "afvist ved screening" in message.subject
    page = _html(client.get(_case(ids)))
    assert "Budgettet mangler noter." in page and "data-screen-pass" not in page


def test_screening_pass(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app, screened=False)
    login_as("grant_officer")
    version = _application(app, ids["application"]).version
    response = client.post(
        _case(ids), data={"action": "screen_pass", "text": "", "version": str(version)}
    )
    assert response.status_code == 302
    assert _application(app, ids["application"]).state == ApplicationState.IN_REVIEW
    assert "data-decision-form" in _html(client.get(_case(ids)))


def test_a_forged_action_is_refused(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app, screened=False)
    login_as("grant_officer")
    version = _application(app, ids["application"]).version
    response = client.post(
        _case(ids), data={"action": "accept", "text": "", "version": str(version)}
    )
    assert response.status_code == 400
    assert _application(app, ids["application"]).state == ApplicationState.SUBMITTED


# --- the decision -------------------------------------------------------------------------------


def test_a_partial_grant_through_the_page(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any]
) -> None:
    ids = _setup(app)
    login_as("grant_officer")
    page = _html(client.get(_case(ids)))
    assert (
        "data-decision-form" in page
        and "Der er 5.500.000,00 kr. tilbage i puljen, og der er søgt om 35.000,00 kr." in page
    )
    assert "kr.." not in page
    assert "Bevilget: hele det søgte beløb, 35.000,00 kr." in page
    version = _application(app, ids["application"]).version
    url = _case(ids, "/afgoerelse")
    # No amount and no reason: both are asked for, and the conditions typed stay.
    response = client.post(
        url,
        data=_decision(version, decision="partly_granted", conditions="Husk logoet på plakaten"),
    )
    page = _html(response)
    assert response.status_code == 400
    assert "Skriv beløbet, der gives ved et delvist tilskud." in page
    assert "Skriv, hvorfor der kun gives en del af beløbet." in page
    assert "Husk logoet på plakaten" in page
    # An amount that is not below the amount asked: the service says why; input kept.
    response = client.post(
        url,
        data=_decision(
            version, decision="partly_granted", amount="35.000", reason="Kun lokalerne dækkes."
        ),
    )
    assert response.status_code == 400
    assert "mindre end de 35.000,00 kr." in _html(response)
    assert "Kun lokalerne dækkes." in _html(response)
    response = client.post(
        url,
        data=_decision(
            version,
            decision="partly_granted",
            amount="20.000,50",
            reason="Kun lokalerne dækkes.",
            conditions="Husk logoet på plakaten",
        ),
    )
    assert response.status_code == 302, _html(response)
    application = _application(app, ids["application"])
    assert application.state == ApplicationState.DECIDED
    assert application.decision == GrantDecision.PARTLY_GRANTED
    assert application.granted_ore == 2_000_050
    assert application.conditions == "Husk logoet på plakaten"
    assert application.decision_letter_document_id is not None
    [message] = [
        m for m in outbox if m.to == ROLE_ACCOUNTS["ngo_a_admin"] and "Afgørelse" in m.subject
    ]
    assert message.attachments and message.attachments[0][1] == "application/pdf"
    page = _html(client.get(_case(ids)))
    assert "data-decision-form" not in page and "data-letter" in page
    assert f"/dokumenter/{application.decision_letter_document_id}" in page
    assert "20.000,50 kr." in page and "data-approved-lines" in page
    assert "Afgørelse truffet" in page  # the history
    letter = f"/dokumenter/{application.decision_letter_document_id}"
    assert client.get(letter).status_code == 200
    login_as("ngo_a_admin")
    assert client.get(letter).status_code == 200  # the organisation's document
    login_as("ngo_b_admin")
    assert client.get(letter).status_code == 404


def test_the_pool_message_keeps_the_input(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app)
    with app.app_context():
        # Less is left in the pool than the application asks for.
        grant_round = db.session.get(GrantRound, ids["round"])
        assert grant_round is not None
        grant_round.max_per_application_ore = grant_round.pool_ore = 3_000_000
        db.session.commit()
    login_as("grant_officer")
    version = _application(app, ids["application"]).version
    response = client.post(
        _case(ids, "/afgoerelse"),
        data=_decision(version, decision="granted", conditions="Særlig betingelse 17"),
    )
    page = _html(response)
    assert response.status_code == 400
    assert "Der er kun 30.000,00 kr. tilbage i puljen" in page
    assert "Særlig betingelse 17" in page
    assert _application(app, ids["application"]).state == ApplicationState.IN_REVIEW


def test_a_decision_on_a_stale_page_is_a_conflict(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    ids = _setup(app)
    login_as("grant_officer")
    version = _application(app, ids["application"]).version
    with app.app_context():
        application = db.session.get(GrantApplication, ids["application"])
        assert application is not None
        grant_workflow.post_message(application, user("grant_officer"), "Et spørgsmål")
        application.summary = application.summary + " "  # someone else saved meanwhile
        db.session.commit()
    response = client.post(
        _case(ids, "/afgoerelse"),
        data=_decision(version, decision="refused", reason="Mit afslag, som jeg skrev"),
    )
    page = _html(response)
    assert response.status_code == 409
    assert "Ansøgningen er ændret af en anden" in page
    assert "Mit afslag, som jeg skrev" in page  # still in the form
    new_version = _application(app, ids["application"]).version
    assert f'value="{new_version}"' in page  # a new try is based on what is shown now
    assert _application(app, ids["application"]).state == ApplicationState.IN_REVIEW


class _BrokenStore:
    def put(self, key: str, data: bytes, content_type: str) -> None:
        from portal.storage import StorageError

        raise StorageError("store unreachable")


def test_a_letter_that_cannot_be_stored_leaves_nothing_decided(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any], monkeypatch: Any
) -> None:
    ids = _setup(app)
    login_as("grant_officer")
    version = _application(app, ids["application"]).version
    with app.app_context():
        letters_before = db.session.scalar(
            select(func.count())
            .select_from(Document)
            .where(Document.purpose == "grant_decision_letter")
        )
    monkeypatch.setitem(app.extensions, "portal_storage", _BrokenStore())
    outbox.clear()
    response = client.post(
        _case(ids, "/afgoerelse"),
        data=_decision(version, decision="granted", reason="Godt projekt"),
    )
    page = _html(response)
    assert response.status_code == 503
    assert "Afgørelsen er ikke truffet" in page and "Godt projekt" in page
    application = _application(app, ids["application"])
    assert application.state == ApplicationState.IN_REVIEW
    assert application.decision is None and application.decision_letter_document_id is None
    with app.app_context():
        assert letters_before == db.session.scalar(
            select(func.count())
            .select_from(Document)
            .where(Document.purpose == "grant_decision_letter")
        )
        assert not db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "grant_application.decide",
                AuditEntry.object_id == str(ids["application"]),
            )
        )
    assert outbox == []


def test_a_message_to_the_organisation(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any]
) -> None:
    ids = _setup(app)
    login_as("grant_officer")
    outbox.clear()
    response = client.post(_case(ids, "/behandling/besked"), data={"text": ""})
    assert response.status_code == 400 and "Skriv en besked." in _html(response)
    response = client.post(
        _case(ids, "/behandling/besked"), data={"text": "Send venligst budgetnoterne."}
    )
    assert response.status_code == 302
    assert "Send venligst budgetnoterne." in _html(client.get(_case(ids)))
    assert ROLE_ACCOUNTS["ngo_a_admin"] in {m.to for m in outbox}


# --- who sees what -------------------------------------------------------------------------------


def test_admin_and_dpo_read_without_forms(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app)
    version = _application(app, ids["application"]).version
    for role in ("admin", "dpo"):
        login_as(role)
        response = client.get(_case(ids))
        page = _html(response)
        assert response.status_code == 200
        assert "Netværk efter løsladelse" in page
        assert "data-decision-form" not in page and 'id="beskeder"' not in page
        listing = _html(client.get(f"/tilskud/runder/{ids['round']}/ansoegninger"))
        assert "data-round-steps" not in listing
        assert (
            client.post(_case(ids, "/afgoerelse"), data=_decision(version, decision="granted"))
        ).status_code == 403
        assert client.post(_case(ids, "/behandling/besked"), data={"text": "x"}).status_code == 403
    assert _application(app, ids["application"]).state == ApplicationState.IN_REVIEW


def test_others_are_refused(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app)
    for role in ("ngo_a_admin", "ngo_a_member", "reviewer", "caseworker_ost", "volunteer"):
        login_as(role)
        assert client.get(_case(ids)).status_code == 403
        assert client.get(f"/tilskud/runder/{ids['round']}/ansoegninger").status_code == 403
        assert client.get(f"/tilskud/runder/{ids['round']}/ansoegninger.csv").status_code == 403
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    response = client.get(_case(ids))
    assert response.status_code == 302 and "/log-ind" in response.headers["Location"]


def test_a_draft_has_no_case_page(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app)
    for role in ("grant_officer", "admin", "dpo"):
        login_as(role)
        assert client.get(f"/tilskud/ansoegninger/{ids['draft']}/behandling").status_code == 404


# --- export and overview -------------------------------------------------------------------------


def test_the_csv_export(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app)
    login_as("grant_officer")
    version = _application(app, ids["application"]).version
    client.post(
        _case(ids, "/afgoerelse"),
        data=_decision(version, decision="partly_granted", amount="1.234,5", reason="En del."),
    )
    response = client.get(f"/tilskud/runder/{ids['round']}/ansoegninger.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and ".csv" in disposition
    data = response.get_data()
    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8-sig").splitlines()
    header = lines[0].split(";")
    assert header[:3] == ["Organisation", "CVR", "Områdekontor"]
    assert "Bevilget (kr.)" in header and "Afgjort (dansk tid)" in header
    assert len(lines) == 2  # one sent application; the draft is left out
    row = dict(zip(header, lines[1].split(";"), strict=False))
    assert row["Organisation"] == "Foreningen Nyt Netværk"
    assert row["Søgt (kr.)"] == "35000,00"
    assert row["Samlede udgifter (kr.)"] == "40000,00"
    assert row["Bevilget (kr.)"] == "1234,50"
    assert row["Afgørelse"] == "Delvist bevilget"
    assert row["Status"] == "Afgjort"
    assert row["Områdekontor"].endswith("Øst")
    assert len(row["Afgjort (dansk tid)"]) == len("21.11.2026 13:05")
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "grant_round.export",
                AuditEntry.object_id == str(ids["round"]),
            )
        )
        assert entry is not None and entry.details["rows"] == 1


def test_the_overview(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app)
    login_as("grant_officer")
    page = _html(client.get(f"/tilskud/runder/{ids['round']}/overblik"))
    assert "Der er ikke bevilget noget endnu" in page and "<svg viewBox" not in page
    version = _application(app, ids["application"]).version
    client.post(_case(ids, "/afgoerelse"), data=_decision(version, decision="granted"))
    response = client.get(f"/tilskud/runder/{ids['round']}/overblik")
    page = _html(response)
    assert response.status_code == 200
    assert page.count("<svg viewBox") == 2  # by area office and by kind of project
    assert '<title id="chart-area-title">' in page
    assert "35.000,00 kr." in page and "5.465.000,00 kr." in page  # granted and remaining
    assert 'data-share="other"' in page  # the kind of project (the default)
    for role in ("admin", "dpo"):
        login_as(role)
        assert client.get(f"/tilskud/runder/{ids['round']}/overblik").status_code == 200


def test_the_mean_score_in_the_list_the_case_and_the_csv(
    app: Flask, client: FlaskClient, login_as: Any, monkeypatch: Any
) -> None:
    """The reviews' weighted mean (grant_reviews.score_summary) with one decimal and a comma."""
    from decimal import Decimal
    from types import SimpleNamespace

    from portal.services import grant_overview

    summary = SimpleNamespace(weighted_mean=Decimal("72.35"), spread=Decimal("10"), reviews=[])
    monkeypatch.setattr(grant_overview, "score_summary", lambda _application: summary)
    monkeypatch.setattr(
        grant_overview, "weighted_means", lambda apps: {a.id: summary.weighted_mean for a in apps}
    )
    ids = _setup(app)
    login_as("grant_officer")
    listing = _html(client.get(f"/tilskud/runder/{ids['round']}/ansoegninger"))
    assert "Vægtet score" in listing and "72,4" in listing
    case = _html(client.get(_case(ids)))
    assert "data-score" in case and "72,4" in case and "spredning 10,0" in case
    lines = (
        client.get(f"/tilskud/runder/{ids['round']}/ansoegninger.csv")
        .get_data()
        .decode("utf-8-sig")
        .splitlines()
    )
    assert lines[0].split(";")[-1] == "Gennemsnitlig vægtet score (0-100)"
    assert lines[1].split(";")[-1] == "72,4"
