"""The volunteer's signing: link, identity, account, CPR number, declarations, receipt; the
evidence and its verification (page and command); re-signing a new text; the OpenID Connect way.
"""

from __future__ import annotations

import html
import io
import json
import re
import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select, update

from portal import cpr, db, mail, storage
from portal.db import utcnow
from portal.models import (
    AuditEntry,
    CheckOutcome,
    DeclarationKind,
    DeclarationVersion,
    Document,
    IdentityMethod,
    Organisation,
    OwnerType,
    Role,
    Signature,
    User,
    Volunteer,
    VolunteerState,
)
from portal.services import accounts, signing, volunteer_links
from portal.services.volunteer_status import (
    VolunteerStatus,
    current_versions,
    render_text,
    required_kinds,
    status_of,
)

# The OpenID Connect tests' real provider and app, as fixtures of this module too.
from tests.oidc.conftest import (  # noqa: F401
    SUBSTANTIAL,
    _oidc_isolated,
    oidc_app,
    oidc_client,
    oidc_providers,
    visitor,
)
from tests.oidc.flow import Browser

ORG_A = "Foreningen Nyt Netværk"
PASSWORD = "en lang adgangskode til en frivillig"
# Not the example in the form's hint (010190-1234), which every CPR page shows.
CPR_TYPED = "240385-2917"
CPR_DIGITS = "2403852917"
BORN = date(1985, 3, 24)
SHOWN = re.compile(r'name="shown"[^>]*value="([0-9a-f]{64})"')
ACCEPT = re.compile(r'name="(accept_[a-z_]+)"')


# --- helpers --------------------------------------------------------------------------------


def new_volunteer(
    app: Flask,
    *,
    email: str = "frida@example.org",
    name: str = "Frida Frivillig",
    born: date = BORN,
    visiting_friend: bool = False,
) -> tuple[uuid.UUID, str]:
    """A volunteer of organisation A with a fresh link; returns (id, raw token)."""
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == ORG_A))
        assert organisation is not None
        volunteer = Volunteer(
            organisation_id=organisation.id,
            name=name,
            email=email,
            birth_date=born,
            visiting_friend=visiting_friend,
        )
        db.session.add(volunteer)
        db.session.flush()
        token = volunteer_links.new_link(volunteer)
        db.session.commit()
        return volunteer.id, token


def birth_date_form(day: date) -> dict[str, str]:
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}


def accept_all(page: str) -> dict[str, str]:
    match = SHOWN.search(page)
    assert match, page[:2000]
    return {"shown": match.group(1), **dict.fromkeys(ACCEPT.findall(page), "y")}


def volunteer(app: Flask, volunteer_id: uuid.UUID) -> Volunteer:
    with app.app_context():
        found = db.session.get(Volunteer, volunteer_id)
        assert found is not None
        return found


def signatures_of(app: Flask, volunteer_id: uuid.UUID) -> list[Signature]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Signature)
                .where(Signature.volunteer_id == volunteer_id)
                .order_by(Signature.signed_at)
            )
        )


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def sign_from_link(client: FlaskClient, token: str, seen: list[str]) -> None:
    """The whole journey from the link to the receipt page, keeping every page's text."""

    def keep(response: Any, status: int) -> Any:
        seen.append(response.get_data(as_text=True))
        assert response.status_code == status, seen[-1][:2000]
        return response

    link = f"/underskriv/{token}"
    page = keep(client.get(link), 200).get_data(as_text=True)
    assert ORG_A in page and "Bekræft, hvem du er" in page
    response = keep(client.post(link, data=birth_date_form(BORN)), 302)
    assert response.headers["Location"] == link
    assert "Opret din konto" in keep(client.get(link), 200).get_data(as_text=True)
    response = keep(client.post(link, data={"password": PASSWORD, "confirm": PASSWORD}), 302)
    assert response.headers["Location"] == "/underskriv/cpr"
    keep(client.get("/underskriv/cpr"), 200)
    response = keep(client.post("/underskriv/cpr", data={"cpr": CPR_TYPED}), 302)
    assert response.headers["Location"] == "/underskriv/erklaeringer"
    page = keep(client.get("/underskriv/erklaeringer"), 200).get_data(as_text=True)
    response = keep(client.post("/underskriv/erklaeringer", data=accept_all(page)), 302)
    assert response.headers["Location"] == "/underskriv/kvittering"
    assert "Du har underskrevet" in keep(client.get("/underskriv/kvittering"), 200).get_data(
        as_text=True
    )


# --- the journey from the link --------------------------------------------------------------


def test_from_link_to_awaiting_check_with_receipt(
    app: Flask, client: FlaskClient, outbox: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    volunteer_id, token = new_volunteer(app)
    seen: list[str] = []
    sign_from_link(client, token, seen)

    signed = volunteer(app, volunteer_id)
    assert signed.state == VolunteerState.AWAITING_CHECK
    assert signed.signed_at is not None and signed.cpr_given_at is not None
    assert signed.invitation_used_at is not None and signed.invitation_token_hash is None
    with app.app_context():
        assert cpr.decrypt(signed.cpr_ciphertext or b"", signed.id) == CPR_DIGITS
        user = db.session.get(User, signed.user_id)
        assert user is not None and user.email == "frida@example.org"
        assert signed.organisation_id in user.scopes(Role.VOLUNTEER)
        kinds = required_kinds(signed)
        current = current_versions()

    signatures = signatures_of(app, volunteer_id)
    # Signed in one act, at the same moment: the database returns them in no particular order.
    assert sorted(str(s.declaration_version_id) for s in signatures) == sorted(
        str(current[k].id) for k in kinds
    )
    assert DeclarationKind.VISITING_FRIEND not in kinds
    with app.app_context():
        for signature in signatures:
            assert signing.verify(signature).ok
            assert signature.identity_method == IdentityMethod.LINK_BIRTH_DATE
            assert signature.act == "Jeg underskriver" and signature.language == "da"
            assert signature.ip_address == "127.0.0.1"
            assert signature.text_sha256 == signing.text_hash(signature.text_shown)
            assert "Frida Frivillig" in signature.text_shown  # the placeholders were filled in
            assert "{navn}" not in signature.text_shown
        receipt_ids = {s.receipt_document_id for s in signatures}
        assert len(receipt_ids) == 1 and None not in receipt_ids
        document = db.session.get(Document, receipt_ids.pop())
        assert document is not None
        assert document.owner_type == OwnerType.USER and document.owner_id == signed.user_id
        assert document.purpose == "signature_receipt"
        assert document.content_type == "application/pdf"
        stored = b"".join(storage.get_storage().open(document.storage_key))
        # This volunteer's entries (the demo data has audited signatures of its own).
        entries = db.session.scalars(select(AuditEntry)).all()
        created = [
            e.object_id
            for e in entries
            if e.action == "signature.created" and e.details["volunteer_id"] == str(volunteer_id)
        ]
        assert sorted(created) == sorted(str(s.id) for s in signatures)
        assert any(
            e.action == "volunteer.awaiting_check" and e.object_id == str(volunteer_id)
            for e in entries
        )
        assert any(
            e.action == "signature.receipt_issued" and e.object_id == str(document.id)
            for e in entries
        )

    # The receipt: mailed to the volunteer with the PDF, which holds texts, evidence and hashes.
    assert [m.to for m in outbox] == ["frida@example.org"]
    message = outbox[0]
    assert message.subject == "Kvittering for din underskrift"
    [(name, content_type, data)] = message.attachments
    assert content_type == "application/pdf" and name.endswith(".pdf") and data == stored
    text = squeeze(pdf_text(data))
    assert "Side1af" in text
    for signature in signatures:
        assert squeeze(signature.text_sha256) in text
        assert squeeze(signature.evidence_mac) in text
        assert squeeze(signature.text_shown) in text

    # The CPR number typed is nowhere but in its ciphertext.
    with app.app_context():
        audit_rows = json.dumps(
            [
                [e.action, e.object_id, e.details, e.user_agent]
                for e in db.session.scalars(select(AuditEntry))
            ],
            ensure_ascii=False,
        )
    sent = [m.subject + m.body + pdf_text(m.attachments[0][2]) for m in outbox]
    for place in [*seen, audit_rows, *sent, caplog.text]:
        assert CPR_DIGITS not in place and CPR_TYPED not in place


def test_cpr_errors_never_echo_the_number(app: Flask, client: FlaskClient) -> None:
    _id, token = new_volunteer(app)
    link = f"/underskriv/{token}"
    client.post(link, data=birth_date_form(BORN))
    client.post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    for typed, message in [
        ("240385-29", "10 cifre"),
        ("320385-2917", "rigtig dato"),
        ("250385-2917", "passer ikke med den fødselsdato"),
    ]:
        response = client.post("/underskriv/cpr", data={"cpr": typed})
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert message in page
        assert typed not in page and typed.replace("-", "") not in page
        [field] = re.findall(r'<input[^>]*name="cpr"[^>]*>', page)
        assert 'value=""' in field
    assert volunteer(app, _id).cpr_ciphertext is None


def test_wrong_birth_date_is_audited_and_repeated_failures_are_stopped(
    app: Flask, client: FlaskClient
) -> None:
    volunteer_id, token = new_volunteer(app)
    link = f"/underskriv/{token}"
    assert client.post(link, data={"day": "31", "month": "2", "year": "1985"}).status_code == 400
    for _attempt in range(signing.MAX_FAILED_ATTEMPTS):
        response = client.post(link, data=birth_date_form(date(1985, 3, 25)))
        assert response.status_code == 400
        assert "Fødselsdatoen passer ikke" in response.get_data(as_text=True)
    with app.app_context():
        failures = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "signing.identity_failed")
        ).all()
        assert len(failures) == signing.MAX_FAILED_ATTEMPTS
        assert {f.object_id for f in failures} == {str(volunteer_id)}
    # Now even the right answer is not compared.
    response = client.post(link, data=birth_date_form(BORN))
    assert response.status_code == 429
    assert "for mange gange" in response.get_data(as_text=True)
    assert "Opret din konto" not in client.get(link).get_data(as_text=True)


def test_the_identity_step_is_rate_limited_per_address(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.extensions import limiter

    _id, token = new_volunteer(app)
    _other, other_token = new_volunteer(app, email="anden@example.org", name="Anden")
    monkeypatch.setitem(app.config["PORTAL"], "LOGIN_RATE_LIMIT", "3 per minute")
    limiter.reset()
    try:
        wrong = birth_date_form(date(2000, 1, 1))
        statuses = [
            client.post(f"/underskriv/{token}", data=wrong).status_code,
            client.post(f"/underskriv/{token}", data=wrong).status_code,
            client.post(f"/underskriv/{other_token}", data=wrong).status_code,
            client.post(f"/underskriv/{other_token}", data=wrong).status_code,
        ]
        assert statuses == [400, 400, 400, 429]
        assert client.get(f"/underskriv/{token}").status_code == 200  # reading is not limited
    finally:
        limiter.reset()


def test_the_link_works_once(app: Flask, client: FlaskClient) -> None:
    _id, token = new_volunteer(app)
    link = f"/underskriv/{token}"
    client.post(link, data=birth_date_form(BORN))
    client.post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    for someone in (client, app.test_client()):
        response = someone.get(link)
        assert response.status_code == 404
        assert "brugt eller udløbet" in response.get_data(as_text=True)
        assert someone.post(link, data=birth_date_form(BORN)).status_code == 404


def test_an_expired_link_is_refused(app: Flask, client: FlaskClient) -> None:
    volunteer_id, token = new_volunteer(app)
    with app.app_context():
        db.session.execute(
            update(Volunteer)
            .where(Volunteer.id == volunteer_id)
            .values(invitation_expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    response = client.get(f"/underskriv/{token}")
    assert response.status_code == 404
    assert "bed din organisation om at sende dig et nyt link" in response.get_data(as_text=True)


def test_an_existing_account_logs_in_and_is_attached(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        accounts.create_user("kari@example.org", "Kari Konto", PASSWORD)
        db.session.commit()
    volunteer_id, token = new_volunteer(app, email="kari@example.org", name="Kari Konto")
    link = f"/underskriv/{token}"
    client.post(link, data=birth_date_form(BORN))
    page = client.get(link).get_data(as_text=True)
    assert "Log ind på din konto" in page
    login_url = html.unescape(re.search(r'href="(/log-ind\?next=[^"]+)"', page).group(1))  # type: ignore[union-attr]
    next_url = parse_qs(urlsplit(login_url).query)["next"][0]
    assert next_url.startswith(link + "?fortsaet=")
    response = client.post(
        "/log-ind", data={"email": "kari@example.org", "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302 and response.headers["Location"] == next_url
    page = client.get(next_url).get_data(as_text=True)
    assert "Fortsæt med din konto" in page
    response = client.post(link)
    assert response.status_code == 302 and response.headers["Location"] == "/underskriv/cpr"
    attached = volunteer(app, volunteer_id)
    with app.app_context():
        user = accounts.find_user_by_email("kari@example.org")
        assert user is not None and attached.user_id == user.id
        assert attached.organisation_id in user.scopes(Role.VOLUNTEER)
    assert client.get("/underskriv/cpr").status_code == 200


def test_a_forged_continuation_is_not_a_proof(app: Flask, client: FlaskClient) -> None:
    _id, token = new_volunteer(app)
    page = client.get(f"/underskriv/{token}?fortsaet=eyJ2IjoiMSJ9.forged.sig").get_data(
        as_text=True
    )
    assert "Din fødselsdato" in page


def test_logged_in_as_someone_else(app: Flask, client: FlaskClient, login_as: Any) -> None:
    _id, token = new_volunteer(app)
    login_as("ngo_a_admin")
    link = f"/underskriv/{token}"
    client.post(link, data=birth_date_form(BORN))
    page = client.get(link).get_data(as_text=True)
    assert "Du er logget ind som en anden" in page
    assert client.post(link).status_code == 409
    assert volunteer(app, _id).user_id is None


def test_a_changed_text_is_not_signed(app: Flask, client: FlaskClient) -> None:
    volunteer_id, token = new_volunteer(app)
    link = f"/underskriv/{token}"
    client.post(link, data=birth_date_form(BORN))
    client.post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    client.post("/underskriv/cpr", data={"cpr": CPR_TYPED})
    form = accept_all(client.get("/underskriv/erklaeringer").get_data(as_text=True))
    publish_new_version(app, DeclarationKind.CONFIDENTIALITY)
    response = client.post("/underskriv/erklaeringer", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "er ændret, mens du læste dem" in page
    assert "Ny tavshedspligt for {navn}".replace("{navn}", "Frida Frivillig") in page
    assert "checked" not in page.split('name="accept_register_consent"')[0][-200:]
    assert signatures_of(app, volunteer_id) == []
    response = client.post("/underskriv/erklaeringer", data=accept_all(page))
    assert response.status_code == 302
    assert len(signatures_of(app, volunteer_id)) == 3


def test_a_second_submit_signs_nothing_more(app: Flask, client: FlaskClient) -> None:
    volunteer_id, token = new_volunteer(app)
    link = f"/underskriv/{token}"
    client.post(link, data=birth_date_form(BORN))
    client.post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    client.post("/underskriv/cpr", data={"cpr": CPR_TYPED})
    form = accept_all(client.get("/underskriv/erklaeringer").get_data(as_text=True))
    assert client.post("/underskriv/erklaeringer", data=form).status_code == 302
    again = client.post("/underskriv/erklaeringer", data=form)
    assert again.status_code == 302 and again.headers["Location"] == "/mig/frivillig"
    assert len(signatures_of(app, volunteer_id)) == 3


def test_unticked_declarations_sign_nothing(app: Flask, client: FlaskClient) -> None:
    volunteer_id, token = new_volunteer(app)
    link = f"/underskriv/{token}"
    client.post(link, data=birth_date_form(BORN))
    client.post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    client.post("/underskriv/cpr", data={"cpr": CPR_TYPED})
    form = accept_all(client.get("/underskriv/erklaeringer").get_data(as_text=True))
    form.pop("accept_security_rules")
    response = client.post("/underskriv/erklaeringer", data=form)
    assert response.status_code == 400
    assert "Sæt kryds for at bekræfte" in response.get_data(as_text=True)
    assert signatures_of(app, volunteer_id) == []


# --- the volunteer's own page and re-signing ------------------------------------------------


def publish_new_version(app: Flask, kind: DeclarationKind) -> None:
    with app.app_context():
        newest = db.session.scalar(
            select(func.max(DeclarationVersion.version)).where(DeclarationVersion.kind == kind)
        )
        db.session.add(
            DeclarationVersion(
                kind=kind,
                version=(newest or 0) + 1,
                title_da="Tavshedspligt (ny)",
                title_en="Confidentiality (new)",
                text_da="Ny tavshedspligt for {navn}.\n\nAndet afsnit.",
                text_en="New confidentiality for {navn}.",
            )
        )
        db.session.commit()


def sealed_signature(
    volunteer: Volunteer, version: DeclarationVersion, **changes: Any
) -> Signature:
    text = render_text(version, volunteer, "da")
    signature = Signature(
        id=uuid.uuid4(),
        volunteer_id=volunteer.id,
        declaration_version_id=version.id,
        language="da",
        text_shown=text,
        text_sha256=signing.text_hash(text),
        identity_method=IdentityMethod.LINK_BIRTH_DATE,
        act="Jeg underskriver",
        signed_at=utcnow() - timedelta(days=30),
        ip_address="192.0.2.10",
        user_agent="Mozilla/5.0 (test)",
        **changes,
    )
    signature.evidence_mac = signing.seal(signature)
    return signature


def cleared_volunteer(app: Flask, email: str = "clara@example.org") -> uuid.UUID:
    """A cleared volunteer of organisation A with an account and every current declaration signed."""
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == ORG_A))
        assert organisation is not None
        user = accounts.create_user(email, "Clara Cleared", PASSWORD)
        accounts.grant_role(user, Role.VOLUNTEER, organisation_id=organisation.id)
        cleared = Volunteer(
            organisation_id=organisation.id,
            user_id=user.id,
            name="Clara Cleared",
            email=email,
            birth_date=BORN,
            state=VolunteerState.CLEARED,
            check_outcome=CheckOutcome.CLEARED,
            check_date=date.today(),
            invitation_used_at=utcnow(),
        )
        db.session.add(cleared)
        db.session.flush()
        current = current_versions()
        for kind in required_kinds(cleared):
            db.session.add(sealed_signature(cleared, current[kind]))
        db.session.commit()
        return cleared.id


def log_in(client: FlaskClient, email: str) -> None:
    response = client.post("/log-ind", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_cleared_volunteer_signs_a_new_version_again(
    app: Flask, client: FlaskClient, outbox: list[Any]
) -> None:
    volunteer_id = cleared_volunteer(app)
    log_in(client, "clara@example.org")
    page = client.get("/mig/frivillig").get_data(as_text=True)
    assert "Underskriv nu" not in page and "Gældende" in page
    publish_new_version(app, DeclarationKind.CONFIDENTIALITY)
    with app.app_context():
        assert status_of(db.session.get(Volunteer, volunteer_id)) == VolunteerStatus.RESIGN_NEEDED
    page = client.get("/mig/frivillig").get_data(as_text=True)
    reconfirm = f"/mig/frivillig/{volunteer_id}/bekraeft"
    assert reconfirm in page and "Underskriv nu" in page
    assert "Afløst af ny version" in page  # the signature of the earlier text
    assert "Din fødselsdato" in client.get(reconfirm).get_data(as_text=True)
    assert client.post(reconfirm, data=birth_date_form(date(1991, 1, 1))).status_code == 400
    response = client.post(reconfirm, data=birth_date_form(BORN))
    assert response.status_code == 302
    assert response.headers["Location"] == "/underskriv/erklaeringer"  # no CPR number again
    page = client.get("/underskriv/erklaeringer").get_data(as_text=True)
    assert "Ny tavshedspligt for Clara Cleared." in page
    assert ACCEPT.findall(page) == ["accept_confidentiality"]
    assert client.post("/underskriv/erklaeringer", data=accept_all(page)).status_code == 302

    newest = signatures_of(app, volunteer_id)[-1]
    assert newest.identity_method == IdentityMethod.LOGIN_BIRTH_DATE
    assert newest.text_shown == "Ny tavshedspligt for Clara Cleared.\n\nAndet afsnit."
    resigned = volunteer(app, volunteer_id)
    assert resigned.state == VolunteerState.CLEARED and resigned.cpr_ciphertext is None
    with app.app_context():
        assert status_of(db.session.get(Volunteer, volunteer_id)) == VolunteerStatus.CLEARED
    assert [m.to for m in outbox] == ["clara@example.org"]
    page = client.get("/mig/frivillig").get_data(as_text=True)
    assert "Underskriv nu" not in page and page.count("Gældende") == 3
    download = re.search(r'href="(/dokumenter/[0-9a-f-]+)"', page).group(1)  # type: ignore[union-attr]
    receipt = client.get(download)
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    assert "Ny tavshedspligt for Clara Cleared." in pdf_text(receipt.data)


def test_nothing_to_sign_goes_back_to_the_own_page(app: Flask, client: FlaskClient) -> None:
    volunteer_id = cleared_volunteer(app)
    log_in(client, "clara@example.org")
    response = client.get(f"/mig/frivillig/{volunteer_id}/bekraeft")
    assert response.status_code == 302 and response.headers["Location"] == "/mig/frivillig"


def test_another_persons_volunteer_page_is_404(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    volunteer_id = cleared_volunteer(app)
    login_as("volunteer")
    assert client.get(f"/mig/frivillig/{volunteer_id}/bekraeft").status_code == 404
    with app.app_context():
        denied = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "access.denied")
        ).all()
        assert denied and denied[-1].object_id == str(volunteer_id)


def test_the_own_page_without_registrations(app: Flask, client: FlaskClient) -> None:
    # A fresh volunteer account: the demo one (volunteer@example.org) is registered in A.
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == ORG_A))
        assert organisation is not None
        user = accounts.create_user("uden.registrering@example.org", "Una Uden", PASSWORD)
        accounts.grant_role(user, Role.VOLUNTEER, organisation_id=organisation.id)
        db.session.commit()
    log_in(client, "uden.registrering@example.org")
    page = client.get("/mig/frivillig").get_data(as_text=True)
    assert "Du er ikke registreret som frivillig endnu" in page


# --- verification ---------------------------------------------------------------------------


TAMPERINGS = {
    "text_shown": lambda s: {"text_shown": s.text_shown + " "},
    "ip_address": lambda s: {"ip_address": "198.51.100.7"},
    "signed_at": lambda s: {"signed_at": s.signed_at + timedelta(seconds=1)},
    "identity_subject": lambda s: {"identity_subject": "someone-else"},
    "text_sha256": lambda s: {"text_sha256": signing.text_hash("another text")},
    "evidence_mac": lambda s: {"evidence_mac": "0" * 64},
}


@pytest.mark.parametrize("field", list(TAMPERINGS))
def test_tampering_makes_verification_fail(
    app: Flask, client: FlaskClient, login_as: Any, field: str
) -> None:
    volunteer_id = cleared_volunteer(app)
    runner = app.test_cli_runner()
    theirs = ["portal", "verify-signatures", "--volunteer-id", str(volunteer_id)]
    result = runner.invoke(args=["portal", "verify-signatures"])
    assert result.exit_code == 0, result.output
    assert "Signatures OK: 3 verified." in runner.invoke(args=theirs).output
    target = signatures_of(app, volunteer_id)[1]
    login_as("caseworker_ost")
    page = client.get(f"/underskrifter/{target.id}").get_data(as_text=True)
    assert "Underskriften er i orden" in page

    with app.app_context():
        db.session.execute(
            update(Signature).where(Signature.id == target.id).values(**TAMPERINGS[field](target))
        )
        db.session.commit()
        tampered = db.session.get(Signature, target.id)
        assert tampered is not None and not signing.verify(tampered).ok

    result = runner.invoke(args=["portal", "verify-signatures"])
    assert result.exit_code == 1
    assert str(target.id) in result.output
    only_theirs = runner.invoke(args=theirs)
    assert only_theirs.exit_code == 1 and "1 of 3 signatures do not verify" in only_theirs.output
    others = runner.invoke(
        args=["portal", "verify-signatures", "--volunteer-id", str(uuid.uuid4())]
    )
    assert others.exit_code == 0
    page = client.get(f"/underskrifter/{target.id}").get_data(as_text=True)
    assert "Underskriften kan ikke verificeres" in page


def test_the_verification_page_is_for_the_area_office(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    target = signatures_of(app, cleared_volunteer(app))[0]
    login_as("caseworker_vest")
    assert client.get(f"/underskrifter/{target.id}").status_code == 404
    login_as("ngo_a_admin")
    assert client.get(f"/underskrifter/{target.id}").status_code == 403
    login_as("dpo")
    page = client.get(f"/underskrifter/{target.id}").get_data(as_text=True)
    assert target.text_sha256 in page and target.evidence_mac in page


def test_a_mail_with_an_attachment(app: Flask) -> None:
    message = mail.OutgoingMail(
        "frida@example.org", "Emne", "Teksten\n", (("k.pdf", "application/pdf", b"%PDF-1.7 x"),)
    )
    with app.app_context():
        built = mail._build(message)
    [attachment] = list(built.iter_attachments())
    assert attachment.get_filename() == "k.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.7 x"
    body = built.get_body(("plain",))
    assert body is not None and body.get_content().strip() == "Teksten"


# --- identity through OpenID Connect --------------------------------------------------------


def test_signing_with_an_openid_connect_identity(
    oidc_app: Flask,  # noqa: F811  (the fixture imported above)
    visitor: Browser,  # noqa: F811
    outbox: list[Any],
) -> None:
    volunteer_id, token = new_volunteer(oidc_app, email="frida@example.org")
    link = f"/underskriv/{token}"
    page = visitor.client.get(link).get_data(as_text=True)
    assert "Log ind med MitID" in page
    assert "Log ind som medarbejder" not in page  # staff providers are not offered
    assert "Din fødselsdato" not in page  # where a provider exists, it is the only way
    assert visitor.client.post(link, data=birth_date_form(BORN)).status_code == 400

    response = visitor.client.post(link, data={"provider": "citizen"})
    assert response.status_code == 302
    back = visitor.callback(visitor.authorize(response.headers["Location"], "citizen-1"))
    assert back.status_code == 302 and back.headers["Location"] == link
    assert "Opret din konto" in visitor.client.get(link).get_data(as_text=True)
    response = visitor.client.post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.headers["Location"] == "/underskriv/cpr"
    visitor.client.post("/underskriv/cpr", data={"cpr": CPR_TYPED})
    page = visitor.client.get("/underskriv/erklaeringer").get_data(as_text=True)
    response = visitor.client.post("/underskriv/erklaeringer", data=accept_all(page))
    assert response.headers["Location"] == "/underskriv/kvittering"

    signatures = signatures_of(oidc_app, volunteer_id)
    assert len(signatures) == 3
    with oidc_app.app_context():
        for signature in signatures:
            assert signature.identity_method == IdentityMethod.OIDC
            assert signature.identity_provider == "citizen"
            assert signature.identity_subject == "citizen-1"
            assert signature.identity_assurance == SUBSTANTIAL
            assert signing.verify(signature).ok
    assert volunteer(oidc_app, volunteer_id).state == VolunteerState.AWAITING_CHECK
    assert len(outbox) == 1


def test_signing_again_takes_only_the_identity_signed_with_first(
    oidc_app: Flask,  # noqa: F811  (the fixture imported above)
    visitor: Browser,  # noqa: F811
) -> None:
    volunteer_id, token = new_volunteer(oidc_app, email="frida@example.org")
    link = f"/underskriv/{token}"
    response = visitor.client.post(link, data={"provider": "citizen"})
    visitor.callback(visitor.authorize(response.headers["Location"], "citizen-1"))
    visitor.client.post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    visitor.client.post("/underskriv/cpr", data={"cpr": CPR_TYPED})
    page = visitor.client.get("/underskriv/erklaeringer").get_data(as_text=True)
    visitor.client.post("/underskriv/erklaeringer", data=accept_all(page))
    publish_new_version(oidc_app, DeclarationKind.CONFIDENTIALITY)
    reconfirm = f"/mig/frivillig/{volunteer_id}/bekraeft"
    with visitor.client.session_transaction() as browser_session:  # a later day: no proof
        for key in ("signing_proof", "identity_proof", "identity_proof_at"):
            browser_session.pop(key, None)

    # Someone else's MitID is refused, and the attempt is audited.
    visitor.http = requests.Session()
    response = visitor.client.post(reconfirm, data={"provider": "citizen"})
    back = visitor.callback(visitor.authorize(response.headers["Location"], "citizen-volunteer"))
    assert back.status_code == 302 and back.headers["Location"] == reconfirm
    page = visitor.client.get(reconfirm)
    assert page.status_code == 200
    assert "et andet MitID end det, du netop brugte" in html.unescape(page.get_data(as_text=True))
    assert visitor.client.get("/underskriv/erklaeringer").status_code in (302, 403, 404)
    with oidc_app.app_context():
        refused = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "signing.identity_mismatch",
                AuditEntry.object_id == str(volunteer_id),
            )
        ).all()
        assert len(refused) == 1 and "citizen-volunteer" not in json.dumps(refused[0].details)

    # The volunteer's own MitID goes on to the new text.
    visitor.http = requests.Session()
    response = visitor.client.post(reconfirm, data={"provider": "citizen"})
    visitor.callback(visitor.authorize(response.headers["Location"], "citizen-1"))
    response = visitor.client.get(reconfirm)
    assert (
        response.status_code == 302 and response.headers["Location"] == "/underskriv/erklaeringer"
    )
