"""Data-subject requests through the test client: the person's "Mine data" (rights, a request
made and followed, another person's request a 404 that is audited), and the DPO's pages (the
list by deadline, a letter registered, the steps with the real export and erasure, a stale page
refused with 409, invalid input a 400 that keeps what was typed) and the DPO's dashboard."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import db
from portal.models import (
    AuditEntry,
    DataSubjectRequest,
    SubjectRequestChannel,
    SubjectRequestKind,
    SubjectRequestState,
    User,
)
from portal.services import accounts, subject_request_queries, subject_requests
from portal.services.accounts import find_user_by_email
from portal.services.subject_request_queries import add_months

S = SubjectRequestState
K = SubjectRequestKind
DPO_PAGE = "/databeskyttelse/anmodninger"


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


def _request(app: Flask, request_id: uuid.UUID) -> DataSubjectRequest:
    with app.app_context():
        found = db.session.get(DataSubjectRequest, request_id)
        assert found is not None
        db.session.expunge(found)
        return found


def _new_id(response: Any) -> uuid.UUID:
    found = re.search(r"/([0-9a-f-]{36})$", response.headers["Location"])
    assert found is not None, response.headers["Location"]
    return uuid.UUID(found.group(1))


def _volunteer_asks(client: FlaskClient, login_as: Any, kind: str = "access") -> uuid.UUID:
    login_as("volunteer")
    response = client.post("/profil/mine-data", data={"kind": kind, "description": ""})
    assert response.status_code == 302, _html(response)[:500]
    return _new_id(response)


def _letter(app: Flask, **changes: Any) -> uuid.UUID:
    with app.app_context():
        dpo = find_user_by_email("dpo@example.org")
        assert dpo is not None
        request = subject_requests.create_request(
            changes.pop("kind", K.ACCESS),
            "Brev om mine oplysninger",
            name=changes.pop("name", "Brev Skriver"),
            email="brev.skriver@example.net",
            channel=SubjectRequestChannel.LETTER,
            actor=dpo,
            **changes,
        )
        db.session.commit()
        return request.id


def _act(client: FlaskClient, app: Flask, request_id: uuid.UUID, action: str, **data: Any) -> Any:
    version = _request(app, request_id).version
    return client.post(f"{DPO_PAGE}/{request_id}/{action}", data={"version": str(version), **data})


# --- the person's page -----------------------------------------------------------------------


def test_mine_data_explains_the_rights_and_is_linked_from_the_profile(
    client: FlaskClient, login_as: Any
) -> None:
    login_as("ngo_a_member")
    page = _html(client.get("/profil/mine-data"))
    assert "Dine rettigheder" in page and "Indsigt." in page and "Sletning." in page
    assert "Det har portalen om dig" in page
    assert "Du har ikke lavet nogen anmodninger." in page
    assert "/profil/mine-data" in _html(client.get("/profil"))


def test_a_person_makes_a_request_and_follows_it(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any]
) -> None:
    request_id = _volunteer_asks(client, login_as)
    request = _request(app, request_id)
    assert request.kind == K.ACCESS and request.state == S.RECEIVED
    assert request.channel == SubjectRequestChannel.PORTAL
    assert {m.to for m in outbox} == {"volunteer@example.org", "dpo@example.org"}

    page = _html(client.get(f"/profil/mine-data/{request_id}"))
    assert "Anmodning om indsigt" in page and "Modtaget" in page
    listing = _html(client.get("/profil/mine-data"))
    assert f"/profil/mine-data/{request_id}" in listing
    # The same kind again while the first is open is refused, with the form kept.
    again = client.post("/profil/mine-data", data={"kind": "access"})
    assert again.status_code == 400
    assert "allerede en åben anmodning" in _html(again)


def test_invalid_requests_are_400_and_keep_what_was_typed(
    client: FlaskClient, login_as: Any
) -> None:
    login_as("volunteer")
    missing = client.post("/profil/mine-data", data={"kind": "rectification", "description": ""})
    page = _html(missing)
    assert missing.status_code == 400
    assert "Skriv, hvad der er forkert" in page
    assert re.search(r'value="rectification"[^>]*checked|checked[^>]*value="rectification"', page)
    no_kind = client.post("/profil/mine-data", data={"description": "Min adresse er forkert"})
    assert no_kind.status_code == 400
    assert "Vælg, hvad anmodningen gælder." in _html(no_kind)
    assert "Min adresse er forkert</textarea>" in _html(no_kind)


def test_another_persons_request_is_404_and_audited(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    request_id = _volunteer_asks(client, login_as)
    for role in ("ngo_a_admin", "dpo"):
        login_as(role)
        assert client.get(f"/profil/mine-data/{request_id}").status_code == 404
    with app.app_context():
        denied = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "access.denied")
            .where(AuditEntry.object_id == str(request_id))
        ).all()
        assert len(denied) == 2
    # The DPO reads it on the DPO's own page.
    assert client.get(f"{DPO_PAGE}/{request_id}").status_code == 200


# --- the DPO's pages -------------------------------------------------------------------------


def test_the_list_shows_open_requests_by_deadline_with_flags(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    today = subject_request_queries.today()
    late = _letter(app, name="Sen Person", received_on=add_months(today, -1) - timedelta(days=2))
    soon = _letter(app, name="Snart Person", received_on=add_months(today, -1) + timedelta(days=3))
    fresh = _letter(app, name="Ny Person")
    login_as("dpo")
    page = _html(client.get(DPO_PAGE))
    assert page.index("Sen Person") < page.index("Snart Person") < page.index("Ny Person")
    assert re.search(rf'data-request="{late}" data-flag="overdue"', page)
    assert re.search(rf'data-request="{soon}" data-flag="near"', page)
    assert f'data-request="{fresh}">' in page
    assert "Overskredet med 2 dage" in page

    assert "Ny Person" not in _html(client.get(f"{DPO_PAGE}?status=answered"))
    assert "Ny Person" in _html(client.get(f"{DPO_PAGE}?status=all"))
    assert "Ny Person" in _html(client.get(f"{DPO_PAGE}?status=nonsense"))  # open ones

    dashboard = _html(client.get("/overblik"))
    assert f"{DPO_PAGE}/{late}" in dashboard and f"{DPO_PAGE}/{soon}" in dashboard
    assert f"{DPO_PAGE}/{fresh}" not in dashboard  # not due within 7 days


def test_the_dpo_registers_a_letter(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any]
) -> None:
    login_as("dpo")
    assert "Registrér anmodningen" in _html(client.get(f"{DPO_PAGE}/ny"))
    future = (subject_request_queries.today() + timedelta(days=1)).isoformat()
    data = {
        "name": "Brevskriver Hansen",
        "email": "",
        "channel": "email",
        "kind": "erasure",
        "received_on": future,
        "description": "Slet mig venligst",
    }
    refused = client.post(f"{DPO_PAGE}/ny", data=data)
    page = _html(refused)
    assert refused.status_code == 400
    assert "Datoen kan ikke ligge i fremtiden." in page
    assert "Skriv den e-mailadresse, anmodningen kom fra." in page
    assert 'value="Brevskriver Hansen"' in page and "Slet mig venligst</textarea>" in page

    received = add_months(subject_request_queries.today(), -1) + timedelta(days=10)
    data |= {"email": "hansen@example.net", "received_on": received.strftime("%d.%m.%Y")}
    response = client.post(f"{DPO_PAGE}/ny", data=data)
    assert response.status_code == 302
    request = _request(app, _new_id(response))
    assert request.kind == K.ERASURE and request.channel == SubjectRequestChannel.EMAIL
    assert request.due_on == add_months(received, 1)
    assert request.subject_user_id is None
    assert [m.to for m in outbox] == ["hansen@example.net"]  # the DPO acted, so is not told
    page = _html(client.get(f"{DPO_PAGE}/{request.id}"))
    assert "Ikke knyttet til en konto" in page and "data-check-identity" in page


def test_the_dpo_answers_an_access_request_end_to_end(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any]
) -> None:
    request_id = _volunteer_asks(client, login_as)
    login_as("dpo")
    page = _html(client.get(f"{DPO_PAGE}/{request_id}"))
    assert "Sendt fra personens egen konto" in page  # the note is suggested
    assert "Kontrollér personens identitet først." in page  # no export yet

    assert _act(client, app, request_id, "check_identity", text="Egen konto").status_code == 302
    assert _act(client, app, request_id, "start").status_code == 302
    blocked = _act(client, app, request_id, "answer", text="Her er dine data")
    assert blocked.status_code == 400
    assert "Lav udtrækket" in _html(blocked)
    assert "Her er dine data</textarea>" in _html(blocked)

    made = _act(client, app, request_id, "udtraek")
    assert made.status_code == 302, _html(made)[:500]
    request = _request(app, request_id)
    assert request.export_document_id is not None
    page = _html(client.get(f"{DPO_PAGE}/{request_id}"))
    assert f"/dokumenter/{request.export_document_id}" in page

    outbox.clear()
    answered = _act(client, app, request_id, "answer", text="Udtrækket ligger klar til dig.")
    assert answered.status_code == 302
    assert _request(app, request_id).state == S.ANSWERED
    [mail] = outbox
    assert mail.to == "volunteer@example.org" and "Udtrækket ligger klar" in mail.body

    login_as("volunteer")
    own = _html(client.get(f"/profil/mine-data/{request_id}"))
    assert "Udtrækket ligger klar til dig." in own
    assert "Egen konto" not in own  # the DPO's identity note is not shown
    link = f"/dokumenter/{request.export_document_id}"
    assert link in own and link in _html(client.get("/profil/mine-data"))
    download = client.get(link)
    assert download.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    login_as("ngo_a_admin")
    assert client.get(link).status_code == 404

    with app.app_context():
        actions = set(
            db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.object_id == str(request_id))
            )
        )
    assert {
        "privacy.request_create",
        "privacy.request_check_identity",
        "privacy.request_start",
        "privacy.request_export",
        "privacy.request_answer",
    } <= actions


def test_the_dpo_erases_what_may_be_erased_and_lists_what_is_kept(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any]
) -> None:
    # The demo volunteer has access to institutions: the account and the evidence are kept.
    request_id = _volunteer_asks(client, login_as, "erasure")
    login_as("dpo")
    _act(client, app, request_id, "check_identity", text="Egen konto")
    page = _html(client.get(f"{DPO_PAGE}/{request_id}"))
    assert "data-erase-form" in page and "data-plan-kept" in page
    assert "Kontoen (navn, e-mail og log-in)" in page
    blocked = _act(client, app, request_id, "answer", text="Svar")
    assert blocked.status_code == 400 and "Slet det, der må slettes" in _html(blocked)

    unconfirmed = _act(client, app, request_id, "slet")
    assert unconfirmed.status_code == 400
    assert "Sæt kryds for at bekræfte sletningen." in _html(unconfirmed)

    erased = _act(client, app, request_id, "slet", confirm="y")
    assert erased.status_code == 302, _html(erased)[:500]
    page = _html(client.get(f"{DPO_PAGE}/{request_id}"))
    assert "data-erased" in page and "data-erase-form" not in page
    assert "Beholdt: Kontoen (navn, e-mail og log-in) (1). Begrundelse:" in page
    assert _act(client, app, request_id, "slet", confirm="y").status_code == 400  # once

    outbox.clear()
    answered = _act(client, app, request_id, "answer", text="Vi har slettet det, vi må.")
    assert answered.status_code == 302
    [mail] = outbox
    assert mail.to == "volunteer@example.org"
    assert f"/profil/mine-data/{request_id}" in mail.body  # the account is still theirs
    with app.app_context():
        actions = set(
            db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.object_id == str(request_id))
            )
        )
    assert {"privacy.request_erase", "privacy.request_answer"} <= actions


def test_an_erased_account_is_answered_at_the_address_it_asked_from(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any]
) -> None:
    with app.app_context():
        accounts.create_user("kun.konto@example.net", "Kun Konto", "en-lang-adgangskode-1")
        db.session.commit()
    person = app.test_client()
    assert (
        person.post(
            "/log-ind",
            data={"email": "kun.konto@example.net", "password": "en-lang-adgangskode-1"},
        ).status_code
        == 302
    )
    response = person.post("/profil/mine-data", data={"kind": "erasure"})
    assert response.status_code == 302
    request_id = _new_id(response)

    login_as("dpo")
    _act(client, app, request_id, "check_identity", text="Egen konto")
    assert _act(client, app, request_id, "slet", confirm="y").status_code == 302
    with app.app_context():
        user = db.session.get(User, _request(app, request_id).subject_user_id)
        assert user is not None and user.email != "kun.konto@example.net"
    assert person.get("/profil/mine-data").status_code == 302  # logged out for good

    outbox.clear()
    assert _act(client, app, request_id, "answer", text="Alt er slettet.").status_code == 302
    [mail] = outbox
    assert mail.to == "kun.konto@example.net" and "/profil/" not in mail.body
    assert "Alt er slettet." in mail.body


def test_a_stale_page_is_refused_with_409_and_keeps_the_text(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    request_id = _letter(app)
    seen = _request(app, request_id).version
    login_as("dpo")
    assert _act(client, app, request_id, "check_identity", text="Pas set").status_code == 302
    stale = client.post(
        f"{DPO_PAGE}/{request_id}/refuse",
        data={"version": str(seen), "text": "Min begrundelse"},
    )
    page = _html(stale)
    assert stale.status_code == 409
    assert "Anmodningen er ændret af en anden" in page
    assert "Min begrundelse</textarea>" in page
    assert _request(app, request_id).state == S.IDENTITY_CHECKED


def test_invalid_steps_are_400_with_the_reason(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    request_id = _letter(app)
    login_as("dpo")
    empty = _act(client, app, request_id, "check_identity", text="")
    assert empty.status_code == 400
    assert "Skriv, hvordan identiteten er kontrolleret." in _html(empty)

    original = _request(app, request_id).original_due_on
    too_far = add_months(original, 2) + timedelta(days=1)
    far = _act(client, app, request_id, "extend", due_on=too_far.isoformat(), text="Travlt")
    assert far.status_code == 400
    assert "højst forlænges med to måneder" in _html(far)
    assert "Travlt</textarea>" in _html(far)
    assert client.post(f"{DPO_PAGE}/{request_id}/nonsense").status_code == 404
    # An access request without an account cannot get an export.
    _act(client, app, request_id, "check_identity", text="Pas set")
    no_account = _act(client, app, request_id, "udtraek")
    assert no_account.status_code == 400
    assert "ikke knyttet til en konto" in _html(no_account)
    assert _request(app, request_id).export_document_id is None
