"""The area office's pages through the test client: the queue (filters, search, sort, pages, CSV),
the case page, every action, conflicts between two caseworkers, the other office's 404, and
changes of name or CVR number."""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal import db
from portal.models import (
    AreaOffice,
    AuditEntry,
    Document,
    Municipality,
    Organisation,
    OrganisationEvent,
    OrganisationState,
    Role,
    TermsAcceptance,
)
from portal.services import accounts
from tests.roles import ROLE_ACCOUNTS

S = OrganisationState
ORG_A = "Foreningen Nyt Netværk"  # Øst, approved, with an admin and a member
ORG_C = "Gældsrådgivning Sjælland"  # Øst, submitted 6 days ago
ORG_D = "Fynske Mentorer"  # Vest, in review
ORG_E = "Kreativt Fællesskab"  # Øst, more information, submitted 20 days ago
CASE_LINK = re.compile(r'href="/sager/([0-9a-f-]{36})"')


# --- helpers -----------------------------------------------------------------------------------


def _id(app: Flask, name: str) -> uuid.UUID:
    with app.app_context():
        found = db.session.scalar(select(Organisation.id).where(Organisation.name == name))
        assert found is not None, name
        return found


def _load(app: Flask, organisation_id: uuid.UUID) -> Organisation:
    with app.app_context():
        organisation = db.session.get(Organisation, organisation_id)
        assert organisation is not None
        return organisation


def _update(app: Flask, organisation_id: uuid.UUID, **values: Any) -> None:
    with app.app_context():
        organisation = db.session.get(Organisation, organisation_id)
        assert organisation is not None
        for key, value in values.items():
            setattr(organisation, key, value)
        db.session.commit()


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


def _listed(html: str, app: Flask) -> list[str]:
    """The organisations in the queue's table, in order."""
    with app.app_context():
        names = []
        for found in CASE_LINK.findall(html):
            organisation = db.session.get(Organisation, uuid.UUID(found))
            assert organisation is not None
            names.append(organisation.name)
        return names


def _version(html: str, action: str) -> int:
    found = re.search(
        rf'id="{action.replace("_", "-")}-version" name="version" '
        r'type="hidden" value="(\d+)"',
        html,
    )
    assert found, f"no form for {action}"
    return int(found.group(1))


def _act(
    client: FlaskClient, organisation_id: uuid.UUID, action: str, version: int, text: str = ""
) -> Any:
    return client.post(
        f"/sager/{organisation_id}/handling",
        data={"action": action, "version": str(version), "text": text},
    )


def _act_now(
    app: Flask, client: FlaskClient, organisation_id: uuid.UUID, action: str, text: str = ""
) -> Any:
    """Take ``action`` as a caseworker who has the current version in front of them."""
    return _act(client, organisation_id, action, _load(app, organisation_id).version, text)


def _user_id(app: Flask, role: str) -> uuid.UUID:
    with app.app_context():
        user = accounts.find_user_by_email(ROLE_ACCOUNTS[role])
        assert user is not None
        return user.id


def _denials(app: Flask, organisation_id: uuid.UUID) -> int:
    with app.app_context():
        return (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.action == "access.denied",
                    AuditEntry.object_id == str(organisation_id),
                )
            )
            or 0
        )


def _new_submitted(app: Flask, count: int, municipality: str = "Roskilde") -> None:
    from portal.db import utcnow

    with app.app_context():
        place = db.session.scalar(select(Municipality).where(Municipality.name == municipality))
        assert place is not None
        for n in range(count):
            db.session.add(
                Organisation(
                    name=f"Testforening {n:02d}",
                    cvr=f"{90000000 + n}",
                    municipality_id=place.id,
                    area_office_id=place.area_office_id,
                    state=S.SUBMITTED,
                    submitted_at=utcnow(),
                )
            )
        db.session.commit()


# --- the queue ---------------------------------------------------------------------------------


def test_the_queue_shows_the_own_office_cases_waiting_oldest_first(
    app: Flask, login_as: Any
) -> None:
    response = login_as("caseworker_ost").get("/sager")
    assert response.status_code == 200
    html = _html(response)
    assert _listed(html, app) == [ORG_E, ORG_C]
    assert "2 sager fundet" in html
    assert "20 dage" in html and "6 dage" in html
    # Counts per state, for the office only (organisation A is approved; D belongs to Vest).
    assert "Venter på behandling (2)" in html
    assert "Godkendt (1)" in html
    assert "Under behandling (0)" in html


def test_the_other_office_sees_its_own_queue(app: Flask, login_as: Any) -> None:
    html = _html(login_as("caseworker_vest").get("/sager"))
    assert _listed(html, app) == [ORG_D]


def test_the_queue_sorts_newest_first_on_request(app: Flask, login_as: Any) -> None:
    html = _html(login_as("caseworker_ost").get("/sager?sort=newest"))
    assert _listed(html, app) == [ORG_C, ORG_E]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("waiting", {ORG_C, ORG_E}),
        ("all", {ORG_A, ORG_C, ORG_E}),
        ("submitted", {ORG_C}),
        ("more_information", {ORG_E}),
        ("approved", {ORG_A}),
        ("rejected", set()),
    ],
)
def test_the_queue_filters_by_state(
    app: Flask, login_as: Any, status: str, expected: set[str]
) -> None:
    html = _html(login_as("caseworker_ost").get(f"/sager?status={status}"))
    assert set(_listed(html, app)) == expected


def test_drafts_never_appear_in_the_queue(app: Flask, login_as: Any) -> None:
    _update(app, _id(app, ORG_C), state=S.DRAFT)
    html = _html(login_as("caseworker_ost").get("/sager?status=all"))
    assert ORG_C not in _listed(html, app)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("gælds", [ORG_C]),
        ("KREATIVT", [ORG_E]),
        ("30000005", [ORG_C]),
        ("3000 0005", [ORG_C]),
        ("500000", [ORG_E]),
        ("Fynske", []),  # another office's case
        ("%", []),
        ("_", []),
    ],
)
def test_the_queue_searches_name_and_cvr(
    app: Flask, login_as: Any, query: str, expected: list[str]
) -> None:
    response = login_as("caseworker_ost").get("/sager", query_string={"q": query})
    assert response.status_code == 200
    assert _listed(_html(response), app) == expected
    if not expected:
        assert "Ingen sager matcher søgningen." in _html(response)


def test_only_mine_shows_the_cases_i_took(app: Flask, login_as: Any) -> None:
    client = login_as("caseworker_ost")
    assert _act_now(app, client, _id(app, ORG_C), "take").status_code == 302
    html = _html(client.get("/sager?mine=y"))
    assert _listed(html, app) == [ORG_C]
    assert "<td>Dig</td>" in html


@pytest.mark.parametrize(
    "query", ["status=bogus", "sort=sideways", "page=abc", "page=-3", "page=999", "q=" + "x" * 300]
)
def test_odd_queue_parameters_fall_back_to_defaults(app: Flask, login_as: Any, query: str) -> None:
    response = login_as("caseworker_ost").get(f"/sager?{query}")
    assert response.status_code == 200
    if not query.startswith("q="):
        assert _listed(_html(response), app) == [ORG_E, ORG_C]


def test_the_queue_is_paginated(app: Flask, login_as: Any) -> None:
    _new_submitted(app, 30)
    client = login_as("caseworker_ost")
    first = _html(client.get("/sager"))
    assert "32 sager fundet" in first
    assert len(_listed(first, app)) == 25
    assert 'aria-label="Paginering"' in first
    second = _html(client.get("/sager?page=2"))
    assert len(_listed(second, app)) == 7
    assert set(_listed(first, app)).isdisjoint(_listed(second, app))
    # The filters travel with the page links.
    filtered = _html(client.get("/sager?sort=newest&page=2"))
    assert "sort=newest" in filtered and "page=1" in filtered


def _csv(response: Any) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_the_queue_as_csv_is_the_same_filtered_list(app: Flask, login_as: Any) -> None:
    client = login_as("caseworker_ost")
    response = client.get("/sager.csv?status=all&sort=newest")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="sager.csv"'
    rows = _csv(response)
    assert rows[0][:2] == ["Organisation", "CVR-nummer"]
    assert [row[0] for row in rows[1:]] == [ORG_C, ORG_E, ORG_A]
    c_row = rows[1]
    assert c_row[1:5] == [
        "30000005",
        "Roskilde",
        "Områdekontoret i Kriminalforsorgen Øst",
        "Indsendt",
    ]
    assert [row[0] for row in _csv(client.get("/sager.csv?q=kreativ"))[1:]] == [ORG_E]
    assert [row[0] for row in _csv(client.get("/sager.csv"))[1:]] == [ORG_E, ORG_C]
    assert [row[0] for row in _csv(login_as("caseworker_vest").get("/sager.csv"))[1:]] == [ORG_D]


# --- the case page -----------------------------------------------------------------------------


def test_the_case_page_shows_everything_submitted(app: Flask, login_as: Any) -> None:
    organisation_id = _id(app, ORG_C)
    response = login_as("caseworker_ost").get(f"/sager/{organisation_id}")
    assert response.status_code == 200
    html = _html(response)
    for text in (
        ORG_C,
        "30000005",
        "Algade 20, 4000 Roskilde",
        "Roskilde (Region Sjælland)",
        "Områdekontoret i Kriminalforsorgen Øst",
        "Lokal",
        "Gratis gældsrådgivning ved frivillige jurister og økonomer.",
        "Gældsrådgivning for indsatte før løsladelse.",
        "Ingen har taget sagen endnu.",
    ):
        assert text in html, text
    with app.app_context():
        documents = db.session.scalars(
            select(Document).where(Document.owner_id == organisation_id)
        ).all()
        acceptances = db.session.scalars(
            select(TermsAcceptance).where(TermsAcceptance.organisation_id == organisation_id)
        ).all()
        assert len(documents) == 2 and len(acceptances) == 2
        for document in documents:
            assert f'href="/dokumenter/{document.id}"' in html
            assert document.original_name in html
        for acceptance in acceptances:
            assert acceptance.terms_version.title_da in html
            assert f"<td>{acceptance.terms_version.version}</td>" in html
    # The history and the actions for a submitted case.
    assert "Ansøgningen blev sendt" in html
    assert "Tag sagen" in html
    assert "Overdrag til det andet områdekontor" in html
    assert "Godkend organisationen" not in html
    # The document links work for the caseworker.
    assert login_as("caseworker_ost").get(f"/dokumenter/{documents[0].id}").status_code == 200


def test_the_case_page_shows_the_request_for_more_information(app: Flask, login_as: Any) -> None:
    html = _html(login_as("caseworker_ost").get(f"/sager/{_id(app, ORG_E)}"))
    assert "Områdekontoret bad om flere oplysninger" in html
    assert "Vil I sende jeres seneste regnskab?" in html
    assert "Mangler oplysninger" in html


def test_a_draft_is_not_a_case(app: Flask, login_as: Any) -> None:
    organisation_id = _id(app, ORG_C)
    _update(app, organisation_id, state=S.DRAFT)
    assert login_as("caseworker_ost").get(f"/sager/{organisation_id}").status_code == 404


# --- actions -----------------------------------------------------------------------------------


def test_take_makes_me_the_caseworker(app: Flask, login_as: Any) -> None:
    client = login_as("caseworker_ost")
    organisation_id = _id(app, ORG_C)
    version = _version(_html(client.get(f"/sager/{organisation_id}")), "take")
    response = _act(client, organisation_id, "take", version)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/sager/{organisation_id}"
    organisation = _load(app, organisation_id)
    assert organisation.state == S.IN_REVIEW
    assert organisation.handled_by_id == _user_id(app, "caseworker_ost")
    html = _html(client.get(f"/sager/{organisation_id}"))
    assert "Du har taget sagen." in html
    assert "Sagsbehandler: Søren Østergaard (dig)." in html
    assert "Godkend organisationen" in html


def test_asking_for_more_information_tells_the_organisation(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    client = login_as("caseworker_ost")
    organisation_id = _id(app, ORG_A)
    _update(app, organisation_id, state=S.IN_REVIEW)
    response = _act_now(
        app, client, organisation_id, "request_information", "Send jeres nye vedtægter."
    )
    assert response.status_code == 302
    assert _load(app, organisation_id).state == S.MORE_INFORMATION
    assert [m.to for m in outbox] == [ROLE_ACCOUNTS["ngo_a_admin"]]
    assert "Send jeres nye vedtægter." in outbox[0].body
    html = _html(client.get(f"/sager/{organisation_id}"))
    assert "Organisationen er bedt om flere oplysninger" in html
    assert "Send jeres nye vedtægter." in html


def test_approve(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    client = login_as("caseworker_vest")
    organisation_id = _id(app, ORG_D)
    assert _act_now(app, client, organisation_id, "approve").status_code == 302
    organisation = _load(app, organisation_id)
    assert organisation.state == S.APPROVED
    assert organisation.decided_at is not None
    assert "Organisationen er godkendt" in _html(client.get(f"/sager/{organisation_id}"))


def test_reject_needs_a_reason(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    client = login_as("caseworker_vest")
    organisation_id = _id(app, ORG_D)
    refused = _act_now(app, client, organisation_id, "reject", "   ")
    assert refused.status_code == 400
    html = _html(refused)
    assert "Skriv en begrundelse for afvisningen" in html
    assert 'href="#reject-text"' in html  # the error summary leads to the field
    assert '<details class="details" open>' in html  # the fold stays open
    assert _load(app, organisation_id).state == S.IN_REVIEW
    assert outbox == []

    assert (
        _act_now(app, client, organisation_id, "reject", "Formålet passer ikke.").status_code == 302
    )
    organisation = _load(app, organisation_id)
    assert organisation.state == S.REJECTED
    assert organisation.decision_reason == "Formålet passer ikke."
    html = _html(client.get(f"/sager/{organisation_id}"))
    assert "Ansøgningen er afvist" in html
    assert "Formålet passer ikke." in html


def test_hand_over_sends_the_case_to_the_other_office(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    organisation_id = _id(app, ORG_C)
    client = login_as("caseworker_ost")
    response = _act_now(
        app, client, organisation_id, "hand_over", "Foreningen arbejder mest i Jylland."
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/sager"
    assert "er overdraget til Områdekontoret i Kriminalforsorgen Vest" in _html(
        client.get("/sager")
    )
    with app.app_context():
        vest = db.session.scalar(select(AreaOffice).where(AreaOffice.code == "vest"))
        assert vest is not None
        assert _load(app, organisation_id).area_office_id == vest.id
    assert [m.to for m in outbox] == [ROLE_ACCOUNTS["caseworker_vest"]]
    assert client.get(f"/sager/{organisation_id}").status_code == 404
    vest_client = login_as("caseworker_vest", app.test_client())
    assert ORG_C in _listed(_html(vest_client.get("/sager")), app)
    html = _html(vest_client.get(f"/sager/{organisation_id}"))
    assert "Foreningen arbejder mest i Jylland." in html
    assert "Tag sagen" in html


def test_suspend_and_reinstate(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    client = login_as("caseworker_ost")
    organisation_id = _id(app, ORG_A)
    assert _act_now(app, client, organisation_id, "suspend").status_code == 400
    assert _load(app, organisation_id).state == S.APPROVED
    response = _act_now(app, client, organisation_id, "suspend", "Brud på sikkerhedsreglerne.")
    assert response.status_code == 302
    organisation = _load(app, organisation_id)
    assert organisation.state == S.SUSPENDED
    assert organisation.suspension_reason == "Brud på sikkerhedsreglerne."
    assert "Brud på sikkerhedsreglerne." in outbox[-1].body
    html = _html(client.get(f"/sager/{organisation_id}"))
    assert "Genoptag samarbejdet" in html
    assert _act_now(app, client, organisation_id, "reinstate").status_code == 302
    assert _load(app, organisation_id).state == S.APPROVED


@pytest.mark.parametrize("action", ["submit", "answer", "delete", ""])
def test_a_forged_action_is_refused_by_the_form(app: Flask, login_as: Any, action: str) -> None:
    organisation_id = _id(app, ORG_C)
    before = _load(app, organisation_id)
    response = _act(login_as("caseworker_ost"), organisation_id, action, before.version, "x")
    assert response.status_code == 400
    assert _load(app, organisation_id).state == before.state


def test_an_action_the_state_does_not_allow_is_refused_with_the_text_kept(
    app: Flask, login_as: Any
) -> None:
    organisation_id = _id(app, ORG_C)  # submitted: not yet to be approved
    response = _act_now(app, login_as("caseworker_ost"), organisation_id, "approve", "Fint.")
    assert response.status_code == 400
    html = _html(response)
    assert "Det kan ikke lade sig gøre, når sagen har status" in html
    assert "Fint." in html
    assert _load(app, organisation_id).state == S.SUBMITTED


def test_a_missing_version_is_refused(app: Flask, login_as: Any) -> None:
    organisation_id = _id(app, ORG_C)
    response = login_as("caseworker_ost").post(
        f"/sager/{organisation_id}/handling", data={"action": "take"}
    )
    assert response.status_code == 400
    assert _load(app, organisation_id).state == S.SUBMITTED


def test_two_caseworkers_at_once_the_second_is_told_and_keeps_the_text(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    organisation_id = _id(app, ORG_D)
    first = login_as("caseworker_vest", app.test_client())
    second = login_as("caseworker_vest", app.test_client())
    first_page = _html(first.get(f"/sager/{organisation_id}"))
    second_page = _html(second.get(f"/sager/{organisation_id}"))
    seen = _version(first_page, "approve")
    assert _version(second_page, "reject") == seen

    assert _act(first, organisation_id, "approve", seen).status_code == 302
    mails = len(outbox)
    response = _act(second, organisation_id, "reject", seen, "Vi mangler referencer.")
    assert response.status_code == 409
    html = _html(response)
    assert "Sagen er ændret af en anden" in html
    assert "Sagens status er nu: <strong>Godkendt</strong>" in html
    assert "Organisationen blev godkendt" in html  # the latest change, named
    assert "Vi mangler referencer." in html  # nothing typed is lost
    organisation = _load(app, organisation_id)
    assert organisation.state == S.APPROVED
    assert organisation.decision_reason == ""
    assert len(outbox) == mails
    with app.app_context():
        decisions = db.session.scalars(
            select(OrganisationEvent.action).where(
                OrganisationEvent.organisation_id == organisation_id,
                OrganisationEvent.action.in_(("approve", "reject")),
            )
        ).all()
        assert decisions == ["approve"]
    # The page now offers what the new state allows, based on the new version.
    assert _version(html, "suspend") == organisation.version


def test_a_conflict_keeps_the_text_in_the_form_when_the_action_still_applies(
    app: Flask, login_as: Any
) -> None:
    organisation_id = _id(app, ORG_C)
    client = login_as("caseworker_ost")
    seen = _load(app, organisation_id).version
    # Someone else changes the organisation meanwhile: the version moves, the state does not.
    _update(app, organisation_id, website="https://gaeld.example.org")
    response = _act(client, organisation_id, "hand_over", seen, "Hører til Vest.")
    assert response.status_code == 409
    html = _html(response)
    assert "Det står stadig i feltet under Handlinger." in html
    assert re.search(r'<textarea[^>]*id="hand-over-text"[^>]*>\s*Hører til Vest\.</textarea>', html)
    assert _version(html, "hand_over") == _load(app, organisation_id).version
    assert _load(app, organisation_id).state == S.SUBMITTED


# --- messages ----------------------------------------------------------------------------------


def test_a_message_to_the_organisation(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    client = login_as("caseworker_ost")
    organisation_id = _id(app, ORG_A)
    response = client.post(
        f"/sager/{organisation_id}/besked", data={"text": "Husk mødet på tirsdag."}
    )
    assert response.status_code == 302
    assert [m.to for m in outbox] == [ROLE_ACCOUNTS["ngo_a_admin"]]
    html = _html(client.get(f"/sager/{organisation_id}"))
    assert "Beskeden er sendt til organisationen." in html
    assert "Husk mødet på tirsdag." in html


def test_what_people_type_is_shown_as_text_not_markup(app: Flask, login_as: Any) -> None:
    client = login_as("caseworker_ost")
    organisation_id = _id(app, ORG_A)
    typed = '<script>alert("x")</script>\nAnden linje'
    assert client.post(f"/sager/{organisation_id}/besked", data={"text": typed}).status_code == 302
    html = _html(client.get(f"/sager/{organisation_id}"))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;<br>Anden linje" in html


def test_an_empty_message_is_refused(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    organisation_id = _id(app, ORG_A)
    response = login_as("caseworker_ost").post(
        f"/sager/{organisation_id}/besked", data={"text": "  "}
    )
    assert response.status_code == 400
    assert 'href="#message-text"' in _html(response)
    assert outbox == []


# --- the other office --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("GET", "", None),
        ("POST", "/handling", {"action": "take", "version": "1"}),
        ("POST", "/besked", {"text": "Hej"}),
        ("POST", "/profilaendring", {"decision": "accept"}),
    ],
)
def test_the_other_office_gets_404_and_is_audited(
    app: Flask, login_as: Any, method: str, suffix: str, data: dict[str, str] | None
) -> None:
    organisation_id = _id(app, ORG_C)
    before = _load(app, organisation_id)
    denials = _denials(app, organisation_id)
    response = login_as("caseworker_vest").open(
        f"/sager/{organisation_id}{suffix}", method=method, data=data
    )
    assert response.status_code == 404
    assert ORG_C not in _html(response)
    assert _denials(app, organisation_id) == denials + 1
    after = _load(app, organisation_id)
    assert (after.state, after.version) == (before.state, before.version)


def test_a_caseworker_who_is_also_admin_still_sees_only_the_own_office(
    app: Flask, login_as: Any
) -> None:
    with app.app_context():
        user = accounts.find_user_by_email(ROLE_ACCOUNTS["caseworker_ost"])
        assert user is not None
        accounts.grant_role(user, Role.ADMIN)
        db.session.commit()
    organisation_id = _id(app, ORG_D)
    denials = _denials(app, organisation_id)
    assert login_as("caseworker_ost").get(f"/sager/{organisation_id}").status_code == 404
    assert _denials(app, organisation_id) == denials + 1
    assert ORG_D not in _listed(_html(login_as("caseworker_ost").get("/sager?status=all")), app)


def test_an_unknown_case_is_404(login_as: Any) -> None:
    assert login_as("caseworker_ost").get(f"/sager/{uuid.uuid4()}").status_code == 404


# --- a change of name or CVR number -----------------------------------------------------------


def test_a_pending_change_is_shown_and_can_be_accepted(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    organisation_id = _id(app, ORG_A)
    _update(
        app, organisation_id, pending_name="Foreningen Nyt Netværk Danmark", pending_cvr="60000018"
    )
    client = login_as("caseworker_ost")
    html = _html(client.get(f"/sager/{organisation_id}"))
    assert "Organisationen vil ændre navn eller CVR-nummer" in html
    assert "Foreningen Nyt Netværk → Foreningen Nyt Netværk Danmark" in html
    assert "10000009 → 60000018" in html
    response = client.post(f"/sager/{organisation_id}/profilaendring", data={"decision": "accept"})
    assert response.status_code == 302
    organisation = _load(app, organisation_id)
    assert (organisation.name, organisation.cvr) == ("Foreningen Nyt Netværk Danmark", "60000018")
    assert (organisation.pending_name, organisation.pending_cvr) == ("", "")
    assert [m.to for m in outbox] == [ROLE_ACCOUNTS["ngo_a_admin"]]
    html = _html(client.get(f"/sager/{organisation_id}"))
    assert "Ændringen er godkendt" in html
    assert "Organisationen vil ændre navn eller CVR-nummer" not in html


def test_a_pending_change_can_be_declined(app: Flask, login_as: Any) -> None:
    organisation_id = _id(app, ORG_A)
    _update(app, organisation_id, pending_name="Et helt andet navn")
    response = login_as("caseworker_ost").post(
        f"/sager/{organisation_id}/profilaendring", data={"decision": "decline"}
    )
    assert response.status_code == 302
    organisation = _load(app, organisation_id)
    assert (organisation.name, organisation.pending_name) == (ORG_A, "")


def test_a_cvr_change_to_a_taken_number_cannot_be_accepted(app: Flask, login_as: Any) -> None:
    organisation_id = _id(app, ORG_A)
    _update(app, organisation_id, pending_cvr="30000005")  # organisation C's
    response = login_as("caseworker_ost").post(
        f"/sager/{organisation_id}/profilaendring", data={"decision": "accept"}
    )
    assert response.status_code == 400
    assert "Der er allerede en organisation med dette CVR-nummer" in _html(response)
    organisation = _load(app, organisation_id)
    assert (organisation.cvr, organisation.pending_cvr) == ("10000009", "30000005")


@pytest.mark.parametrize(("decision", "message"), [("maybe", None), ("accept", "ingen ændring")])
def test_a_profile_decision_without_a_valid_choice_or_change_is_refused(
    app: Flask, login_as: Any, decision: str, message: str | None
) -> None:
    response = login_as("caseworker_ost").post(
        f"/sager/{_id(app, ORG_A)}/profilaendring", data={"decision": decision}
    )
    assert response.status_code == 400
    if message:
        assert message in _html(response)
