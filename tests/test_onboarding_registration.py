"""The organisation's side of onboarding, through the test client: the account, the steps,
sending, the receipt, the status page and answering a request for more information."""

from __future__ import annotations

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
    Document,
    EventKind,
    Municipality,
    Organisation,
    OrganisationEvent,
    OrganisationState,
    TermsAcceptance,
    TermsVersion,
    User,
)
from portal.services import workflow
from portal.services.demo import DEMO_PDF

EXE = b"MZ\x90\x00" + b"\x00" * 64
PASSWORD = "en lang nok adgangskode"
CVR = "11000010"  # valid with the modulus-11 check, not in the demo data


# --- helpers --------------------------------------------------------------------------------


def _id_of(app: Flask, model: Any, **where: Any) -> uuid.UUID:
    with app.app_context():
        found = db.session.scalar(select(model.id).filter_by(**where))
        assert found is not None, where
        return found


def _org(app: Flask, org_id: uuid.UUID) -> Organisation:
    with app.app_context():
        organisation = db.session.get(Organisation, org_id)
        assert organisation is not None
        db.session.expunge(organisation)
        return organisation


def _register(client: FlaskClient, email: str = "kontakt@forening.example.org") -> Any:
    return client.post(
        "/bliv-samarbejdspartner/bruger",
        data={"name": "Karla Kontakt", "email": email, "password": PASSWORD, "confirm": PASSWORD},
    )


def _details(app: Flask, **overrides: str) -> dict[str, str]:
    values = {
        "name": "Foreningen Frisk Start",
        "cvr": CVR,
        "address": "Algade 1",
        "postal_code": "4000",
        "city": "Roskilde",
        "municipality_id": str(_id_of(app, Municipality, name="Roskilde")),
        "scope": "local",
        "website": "www.friskstart.example.org",
        "purpose": "Et socialt formål: fællesskab for mennesker på vej ud af kriminalitet.",
        "cooperation_intent": "Netværksgrupper for løsladte.",
        "save_continue": "1",
    }
    values.update(overrides)
    return values


def _start_draft(app: Flask, client: FlaskClient, **overrides: str) -> uuid.UUID:
    response = client.post("/bliv-samarbejdspartner/organisation", data=_details(app, **overrides))
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    found = re.search(r"/bliv-samarbejdspartner/([0-9a-f-]{36})/dokumenter$", response.location)
    assert found, response.location
    return uuid.UUID(found.group(1))


def _upload(client: FlaskClient, org_id: uuid.UUID, **files: Any) -> Any:
    data: dict[str, Any] = {"save_continue": "1"}
    for purpose, (content, name) in files.items():
        data[purpose] = (io.BytesIO(content), name)
    return client.post(
        f"/bliv-samarbejdspartner/{org_id}/dokumenter",
        data=data,
        content_type="multipart/form-data",
    )


def _versions(app: Flask) -> list[TermsVersion]:
    with app.app_context():
        from portal.services import onboarding

        versions = onboarding.current_terms()
        for version in versions:
            db.session.expunge(version)
        return versions


def _accept_all(app: Flask, client: FlaskClient, org_id: uuid.UUID) -> Any:
    data = {f"accept_{v.id.hex}": "y" for v in _versions(app)}
    return client.post(
        f"/bliv-samarbejdspartner/{org_id}/vilkaar", data={**data, "save_continue": "1"}
    )


def _complete_draft(app: Flask, client: FlaskClient) -> uuid.UUID:
    """A new contact person with a draft that is ready to send."""
    assert _register(client).status_code == 302
    org_id = _start_draft(app, client)
    uploaded = _upload(
        client,
        org_id,
        statutes=(DEMO_PDF, "Vedtægter.pdf"),
        annual_report=(DEMO_PDF, "Regnskab 2025.pdf"),
    )
    assert uploaded.status_code == 302
    assert _accept_all(app, client, org_id).status_code == 302
    return org_id


def _send(client: FlaskClient, org_id: uuid.UUID, version: int) -> Any:
    return client.post(f"/bliv-samarbejdspartner/{org_id}/send", data={"version": str(version)})


def _events(app: Flask, org_id: uuid.UUID, action: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(OrganisationEvent)
            .where(OrganisationEvent.organisation_id == org_id, OrganisationEvent.action == action)
        )


def _office_name(app: Flask, code: str) -> str:
    with app.app_context():
        return db.session.scalar(select(AreaOffice.name).where(AreaOffice.code == code))


# --- the start page and the contact person --------------------------------------------------


def test_the_start_page_says_who_can_join_and_what_is_needed(client: FlaskClient) -> None:
    response = client.get("/bliv-samarbejdspartner")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in (
        "Bliv samarbejdspartner",
        "socialt eller velgørende formål",
        "CVR-nummer",
        "vedtægter",
        "årsrapport",
        "samarbejdsvilkårene og databehandleraftalen",
        "områdekontorer der behandler ansøgningen",
        "15 minutter",
        "højst 20 MB",
    ):
        assert text in html, text
    assert 'href="/bliv-samarbejdspartner/bruger"' in html


def test_the_account_step_creates_the_contact_person_and_logs_in(
    app: Flask, client: FlaskClient
) -> None:
    response = _register(client)
    assert response.status_code == 302
    assert response.location.endswith("/bliv-samarbejdspartner/organisation")
    page = client.get("/bliv-samarbejdspartner/organisation")
    assert page.status_code == 200
    assert "Karla Kontakt" in page.get_data(as_text=True)  # logged in: the header names her
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "kontakt@forening.example.org"))
        assert user is not None and user.name == "Karla Kontakt" and user.password_hash
    # logged in, the account step is skipped
    assert client.get("/bliv-samarbejdspartner/bruger").location.endswith(
        "/bliv-samarbejdspartner/organisation"
    )


def test_the_account_step_keeps_what_was_typed(client: FlaskClient) -> None:
    response = client.post(
        "/bliv-samarbejdspartner/bruger",
        data={
            "name": "Karla Kontakt",
            "email": "kontakt@forening.example.org",
            "password": PASSWORD,
            "confirm": "noget andet helt",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "De to adgangskoder er ikke ens." in html
    assert 'value="Karla Kontakt"' in html and 'value="kontakt@forening.example.org"' in html


def test_an_email_with_an_account_is_asked_to_log_in_first(app: Flask, client: FlaskClient) -> None:
    response = _register(client, "ngo-a.admin@example.org")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Der findes allerede en bruger med den e-mailadresse" in html
    assert 'href="/log-ind?next=/bliv-samarbejdspartner"' in html
    assert 'value="Karla Kontakt"' in html
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(User).where(User.name == "Karla Kontakt")
            )
            == 0
        )


# --- the organisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cvr", "message"),
    [
        ("12345678", "CVR-nummeret er ikke gyldigt"),
        ("10000009", "Der er allerede en organisation med dette CVR-nummer"),  # demo org A
    ],
)
def test_a_bad_cvr_is_refused_and_the_form_kept(
    app: Flask, client: FlaskClient, cvr: str, message: str
) -> None:
    _register(client)
    response = client.post("/bliv-samarbejdspartner/organisation", data=_details(app, cvr=cvr))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'href="#cvr"' in html  # the error summary links to the field
    assert 'value="Foreningen Frisk Start"' in html and "Netværksgrupper for løsladte." in html
    with app.app_context():
        count = select(func.count()).select_from(Organisation).where(Organisation.cvr == cvr)
        assert db.session.scalar(count) == (1 if cvr == "10000009" else 0)


def test_postal_code_and_website_are_checked(app: Flask, client: FlaskClient) -> None:
    _register(client)
    response = client.post(
        "/bliv-samarbejdspartner/organisation",
        data=_details(app, postal_code="400", website="ikke en adresse"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Postnummeret har 4 cifre" in html
    assert "Skriv en gyldig webadresse" in html


def test_the_municipality_decides_the_area_office(app: Flask, client: FlaskClient) -> None:
    _register(client)
    org_id = _start_draft(app, client)
    ost, vest = _office_name(app, "ost"), _office_name(app, "vest")
    organisation = _org(app, org_id)
    assert organisation.area_office_id == _id_of(app, AreaOffice, code="ost")
    assert organisation.website == "https://www.friskstart.example.org"
    assert organisation.cvr == CVR
    page = client.get(f"/bliv-samarbejdspartner/{org_id}/dokumenter").get_data(as_text=True)
    assert f"{ost} behandler jeres ansøgning" in page

    aarhus = str(_id_of(app, Municipality, name="Aarhus"))
    response = client.post(
        f"/bliv-samarbejdspartner/{org_id}/organisation",
        data=_details(app, municipality_id=aarhus, postal_code="8000", city="Aarhus C"),
    )
    assert response.status_code == 302
    assert _org(app, org_id).area_office_id == _id_of(app, AreaOffice, code="vest")
    page = client.get(response.location).get_data(as_text=True)
    assert f"Med den nye kommune behandler {vest} jeres ansøgning" in page
    details = client.get(f"/bliv-samarbejdspartner/{org_id}/organisation").get_data(as_text=True)
    assert f"{vest} behandler ansøgningen, fordi organisationen hører til Aarhus Kommune" in details
    assert 'value="Aarhus C"' in details
    assert f'<option selected value="{aarhus}">Aarhus</option>' in details
    assert (
        '<input checked class="form-radio" id="scope" name="scope" required type="radio" value="local">'
        in details
    )


def test_save_and_close_returns_to_the_start_page(app: Flask, client: FlaskClient) -> None:
    _register(client)
    response = client.post(
        "/bliv-samarbejdspartner/organisation",
        data={**_details(app), "save_continue": "", "save_close": "1"},
    )
    assert response.status_code == 302 and response.location.endswith("/bliv-samarbejdspartner")
    assert "gemt som kladde" in client.get(response.location).get_data(as_text=True)


# --- documents ------------------------------------------------------------------------------


def test_documents_wrong_type_too_large_and_both_required(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(client)
    org_id = _start_draft(app, client)
    page = client.get(f"/bliv-samarbejdspartner/{org_id}/dokumenter").get_data(as_text=True)
    assert "Formater: PDF, Word (DOCX), OpenDocument (ODT). Højst 20 MB." in page

    # a wrong type, by content: refused, and the other file of the same submission is not kept
    response = _upload(
        client, org_id, statutes=(EXE, "vedtægter.pdf"), annual_report=(DEMO_PDF, "regnskab.pdf")
    )
    assert response.status_code == 400
    assert "Filtypen kan ikke bruges her" in response.get_data(as_text=True)
    with app.app_context():
        stored = select(func.count()).select_from(Document).where(Document.owner_id == org_id)
        assert db.session.scalar(stored) == 0

    # going on needs both documents
    response = _upload(client, org_id, statutes=(DEMO_PDF, "vedtægter.pdf"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vælg en fil med den seneste årsrapport eller det seneste regnskab." in html
    assert "Vælg en fil med organisationens vedtægter." not in html

    # too large: the 413 page
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = _upload(client, org_id, statutes=(DEMO_PDF + b" " * 4096, "stor.pdf"))
    assert response.status_code == 413
    assert "Filen er for stor" in response.get_data(as_text=True)
    monkeypatch.undo()

    response = _upload(
        client,
        org_id,
        statutes=(DEMO_PDF, "vedtægter.pdf"),
        annual_report=(DEMO_PDF, "regnskab.pdf"),
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/bliv-samarbejdspartner/{org_id}/vilkaar")
    with app.app_context():
        documents = db.session.scalars(select(Document).where(Document.owner_id == org_id)).all()
        assert {(d.purpose, d.original_name) for d in documents} == {
            ("statutes", "vedtægter.pdf"),
            ("annual_report", "regnskab.pdf"),
        }
        ids = [d.id for d in documents]
    page = client.get(f"/bliv-samarbejdspartner/{org_id}/dokumenter").get_data(as_text=True)
    for document_id in ids:
        assert f'href="/dokumenter/{document_id}"' in page
    # both uploaded: going on needs no new file
    assert _upload(client, org_id).status_code == 302


# --- terms ----------------------------------------------------------------------------------


def test_terms_store_which_version_by_whom_and_when(app: Flask, client: FlaskClient) -> None:
    _register(client)
    org_id = _start_draft(app, client)
    versions = _versions(app)
    assert len(versions) == 2
    page = client.get(f"/bliv-samarbejdspartner/{org_id}/vilkaar").get_data(as_text=True)
    for version in versions:
        assert version.title_da in page
        assert version.text_da.split("\n\n")[-1] in page  # the whole text, to its last paragraph
        assert f'name="accept_{version.id.hex}"' in page

    first, second = versions
    response = client.post(
        f"/bliv-samarbejdspartner/{org_id}/vilkaar",
        data={f"accept_{first.id.hex}": "y", "save_continue": "1"},
    )
    assert response.status_code == 400
    assert f"Sæt kryds, hvis I accepterer \u201d{second.title_da}\u201d" in response.get_data(
        as_text=True
    )
    with app.app_context():
        count = select(func.count()).select_from(TermsAcceptance)
        assert db.session.scalar(count.where(TermsAcceptance.organisation_id == org_id)) == 0

    assert _accept_all(app, client, org_id).status_code == 302
    with app.app_context():
        rows = db.session.scalars(
            select(TermsAcceptance).where(TermsAcceptance.organisation_id == org_id)
        ).all()
        user = db.session.scalar(select(User).where(User.email == "kontakt@forening.example.org"))
        assert user is not None
        assert {r.terms_version_id for r in rows} == {v.id for v in versions}
        assert all(r.accepted_by_id == user.id and r.accepted_at for r in rows)
        assert all(r.ip_address == "127.0.0.1" for r in rows)
    page = client.get(f"/bliv-samarbejdspartner/{org_id}/vilkaar").get_data(as_text=True)
    assert page.count("af Karla Kontakt") == 2
    assert "accept_" not in page  # nothing left to tick


# --- review and sending ---------------------------------------------------------------------


def test_review_lists_every_problem_with_a_link_to_its_step(
    app: Flask, client: FlaskClient
) -> None:
    _register(client)
    org_id = _start_draft(app, client)
    with app.app_context():
        db.session.get(Organisation, org_id).address = ""  # type: ignore[union-attr]
        db.session.commit()
    base = f"/bliv-samarbejdspartner/{org_id}"
    response = client.get(f"{base}/tjek")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    expected = {
        "Skriv organisationens adresse.": f"{base}/organisation",
        "Upload vedtægter.": f"{base}/dokumenter",
        "Upload seneste årsrapport eller regnskab.": f"{base}/dokumenter",
        **{f"Acceptér \u201d{v.title_da}\u201d.": f"{base}/vilkaar" for v in _versions(app)},
    }
    for message, link in expected.items():
        assert f'<a href="{link}" class="function-link">{message}</a>' in html, message
    assert "Foreningen Frisk Start" in html and CVR in html and "Karla Kontakt" in html

    # sending anyway: refused with the same list, nothing changes
    response = _send(client, org_id, _org(app, org_id).version)
    assert response.status_code == 400
    assert all(message in response.get_data(as_text=True) for message in expected)
    assert _org(app, org_id).state == OrganisationState.DRAFT


def test_sending_tells_the_area_office_and_shows_the_receipt(
    app: Flask, client: FlaskClient, outbox: list[Any]
) -> None:
    org_id = _complete_draft(app, client)
    review = client.get(f"/bliv-samarbejdspartner/{org_id}/tjek").get_data(as_text=True)
    assert "Det mangler" not in review
    organisation = _org(app, org_id)
    assert f'name="version" type="hidden" value="{organisation.version}"' in review

    response = _send(client, org_id, organisation.version)
    assert response.status_code == 302
    assert response.location.endswith(f"/bliv-samarbejdspartner/{org_id}/kvittering")
    sent = _org(app, org_id)
    assert sent.state == OrganisationState.SUBMITTED and sent.submitted_at is not None

    receipt = client.get(response.location).get_data(as_text=True)
    assert "Ansøgningen er sendt" in receipt
    assert _office_name(app, "ost") in receipt
    assert "Hvad sker der nu?" in receipt
    assert f'href="/organisationer/{org_id}/sag"' in receipt

    to_caseworkers = [m for m in outbox if m.to == "caseworker.ost@example.org"]
    assert [m.subject for m in to_caseworkers] == ["Ny ansøgning fra Foreningen Frisk Start"]
    assert not any(m.to == "caseworker.vest@example.org" for m in outbox)

    # the steps of a sent application lead to its status page
    for step in ("organisation", "dokumenter", "vilkaar", "tjek"):
        moved = client.get(f"/bliv-samarbejdspartner/{org_id}/{step}")
        assert moved.status_code == 302 and moved.location.endswith(f"/organisationer/{org_id}/sag")


def test_sending_mails_a_receipt_to_the_applicant(
    app: Flask, client: FlaskClient, outbox: list[Any]
) -> None:
    org_id = _complete_draft(app, client)
    _send(client, org_id, _org(app, org_id).version)
    assert [m.subject for m in outbox if m.to == "kontakt@forening.example.org"] == [
        "Ansøgning modtaget: Foreningen Frisk Start"
    ]


def test_sending_twice_changes_nothing(app: Flask, client: FlaskClient, outbox: list[Any]) -> None:
    org_id = _complete_draft(app, client)
    old_version = _org(app, org_id).version
    assert _send(client, org_id, old_version).status_code == 302
    sent = _org(app, org_id)
    mails = len(outbox)

    again = _send(client, org_id, old_version)
    assert again.status_code == 302 and again.location.endswith(f"/organisationer/{org_id}/sag")
    page = client.get(again.location).get_data(as_text=True)
    assert "Sagen er blevet ændret af en anden" in page
    after = _org(app, org_id)
    assert (after.state, after.version, after.submitted_at) == (
        OrganisationState.SUBMITTED,
        sent.version,
        sent.submitted_at,
    )
    assert _events(app, org_id, "submit") == 1
    assert len(outbox) == mails


def test_a_draft_is_resumed_after_logging_in_again(app: Flask, client: FlaskClient) -> None:
    _register(client)
    org_id = _start_draft(app, client)
    assert client.post("/log-ud").status_code == 302
    assert client.get(f"/bliv-samarbejdspartner/{org_id}/dokumenter").status_code == 302

    logged_in = client.post(
        "/log-ind", data={"email": "kontakt@forening.example.org", "password": PASSWORD}
    )
    assert logged_in.status_code == 302
    start = client.get("/bliv-samarbejdspartner").get_data(as_text=True)
    assert "Fortsæt jeres ansøgning" in start and "Foreningen Frisk Start" in start
    # the first step with something missing
    assert f'href="/bliv-samarbejdspartner/{org_id}/dokumenter"' in start
    page = client.get(f"/bliv-samarbejdspartner/{org_id}/organisation").get_data(as_text=True)
    assert 'value="Foreningen Frisk Start"' in page and 'value="4000"' in page


# --- after sending: the status page and answering -------------------------------------------


def _ask_for_more(app: Flask, org_id: uuid.UUID, text: str) -> None:
    with app.app_context():
        organisation = db.session.get(Organisation, org_id)
        caseworker = db.session.scalar(
            select(User).where(User.email == "caseworker.ost@example.org")
        )
        assert organisation is not None and caseworker is not None
        workflow.apply(organisation, "take", caseworker)
        workflow.apply(organisation, "request_information", caseworker, text=text)
        db.session.commit()


def test_answering_a_request_for_more_information(
    app: Flask, client: FlaskClient, outbox: list[Any]
) -> None:
    org_id = _complete_draft(app, client)
    _send(client, org_id, _org(app, org_id).version)
    _ask_for_more(app, org_id, "Send jeres regnskab for 2025, tak.")
    assert any(m.to == "kontakt@forening.example.org" for m in outbox)  # told by e-mail

    status_url = f"/organisationer/{org_id}/sag"
    page = client.get(status_url).get_data(as_text=True)
    assert "Mangler oplysninger" in page
    assert "Send jeres regnskab for 2025, tak." in page
    assert "Områdekontoret bad om flere oplysninger" in page and "Søren Østergaard" in page
    version = _org(app, org_id).version
    assert f'name="version" type="hidden" value="{version}"' in page

    # no text: refused
    empty = client.post(f"{status_url}/svar", data={"text": "", "version": str(version)})
    assert empty.status_code == 400
    assert "Skriv jeres svar til områdekontoret." in empty.get_data(as_text=True)

    # an old version: the conflict is shown and the text kept
    stale = client.post(
        f"{status_url}/svar", data={"text": "Her er regnskabet.", "version": str(version - 1)}
    )
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Sagen er blevet ændret af en anden" in html and "Her er regnskabet." in html

    # a wrong file: refused, the text kept, nothing stored
    before = len(outbox)
    wrong = client.post(
        f"{status_url}/svar",
        data={
            "text": "Her er regnskabet.",
            "version": str(version),
            "file": (io.BytesIO(EXE), "r.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 400
    assert "Filtypen kan ikke bruges her" in wrong.get_data(as_text=True)
    assert "Her er regnskabet." in wrong.get_data(as_text=True)

    answered = client.post(
        f"{status_url}/svar",
        data={
            "text": "Her er regnskabet.",
            "version": str(version),
            "file": (io.BytesIO(DEMO_PDF), "Regnskab 2025.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert answered.status_code == 302 and answered.location.endswith(status_url)
    assert _org(app, org_id).state == OrganisationState.SUBMITTED
    with app.app_context():
        attachments = db.session.scalars(
            select(Document).where(Document.owner_id == org_id, Document.purpose == "attachment")
        ).all()
        assert [d.original_name for d in attachments] == ["Regnskab 2025.pdf"]
        answer = db.session.scalar(
            select(OrganisationEvent).where(
                OrganisationEvent.organisation_id == org_id,
                OrganisationEvent.kind == EventKind.ANSWER,
            )
        )
        assert answer is not None and answer.text == "Her er regnskabet."
    assert [m.to for m in outbox[before:]] == ["caseworker.ost@example.org"]
    page = client.get(status_url).get_data(as_text=True)
    assert "Svar fra organisationen" in page and "Regnskab 2025.pdf" in page
    assert 'name="text"' not in page  # answered: no form until asked again


def test_the_status_page_shows_why_a_case_was_rejected_or_suspended(
    app: Flask, client: FlaskClient
) -> None:
    org_id = _complete_draft(app, client)
    _send(client, org_id, _org(app, org_id).version)
    with app.app_context():
        organisation = db.session.get(Organisation, org_id)
        caseworker = db.session.scalar(
            select(User).where(User.email == "caseworker.ost@example.org")
        )
        assert organisation is not None and caseworker is not None
        workflow.apply(organisation, "take", caseworker)
        workflow.apply(organisation, "approve", caseworker)
        workflow.apply(organisation, "suspend", caseworker, text="Vilkår 4 er ikke overholdt.")
        db.session.commit()
    page = client.get(f"/organisationer/{org_id}/sag").get_data(as_text=True)
    assert "Samarbejdet er suspenderet" in page and "Vilkår 4 er ikke overholdt." in page


def test_the_status_page_shows_the_reason_for_a_rejection(app: Flask, client: FlaskClient) -> None:
    org_id = _complete_draft(app, client)
    _send(client, org_id, _org(app, org_id).version)
    with app.app_context():
        organisation = db.session.get(Organisation, org_id)
        caseworker = db.session.scalar(
            select(User).where(User.email == "caseworker.ost@example.org")
        )
        assert organisation is not None and caseworker is not None
        workflow.apply(organisation, "take", caseworker)
        workflow.apply(organisation, "reject", caseworker, text="Formålet er ikke socialt.")
        db.session.commit()
    page = client.get(f"/organisationer/{org_id}/sag").get_data(as_text=True)
    assert "Ansøgningen er afvist" in page and "Formålet er ikke socialt." in page


# --- other tenants --------------------------------------------------------------------------


def test_other_organisations_and_the_other_area_office_get_404(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    org_id = _complete_draft(app, client)
    base = f"/bliv-samarbejdspartner/{org_id}"
    requests = [
        ("GET", f"{base}/organisation"),
        ("POST", f"{base}/organisation"),
        ("GET", f"{base}/dokumenter"),
        ("POST", f"{base}/dokumenter"),
        ("GET", f"{base}/vilkaar"),
        ("POST", f"{base}/vilkaar"),
        ("GET", f"{base}/tjek"),
        ("POST", f"{base}/send"),
        ("GET", f"{base}/kvittering"),
        ("GET", f"/organisationer/{org_id}/sag"),
        ("POST", f"/organisationer/{org_id}/sag/svar"),
    ]
    other = login_as("ngo_a_admin", app.test_client())
    for method, url in requests:
        assert other.open(url, method=method).status_code == 404, (method, url)
    # a draft is the applicant's own: not even its area office sees it yet
    assert (
        login_as("caseworker_ost", app.test_client())
        .get(f"/organisationer/{org_id}/sag")
        .status_code
        == 404
    )

    _send(client, org_id, _org(app, org_id).version)
    for method, url in requests:
        assert other.open(url, method=method).status_code == 404, (method, url)
    vest = login_as("caseworker_vest", app.test_client())
    assert vest.get(f"/organisationer/{org_id}/sag").status_code == 404
    ost = login_as("caseworker_ost", app.test_client())
    page = ost.get(f"/organisationer/{org_id}/sag")
    assert page.status_code == 200
    assert 'name="text"' not in page.get_data(as_text=True)  # read-only for the service
