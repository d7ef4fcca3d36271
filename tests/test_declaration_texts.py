"""The admin edits declaration texts as versions: publishing version n+1, refusals in words,
earlier signatures becoming outdated, and the e-mails asking the volunteers to sign again."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import db, mail
from portal.models import (
    AuditEntry,
    CheckOutcome,
    DeclarationKind,
    DeclarationVersion,
    IdentityMethod,
    Organisation,
    Signature,
    User,
    Volunteer,
    VolunteerState,
)
from portal.services import accounts, declaration_texts, volunteer_status
from portal.services.declaration_texts import DeclarationTextError
from portal.services.demo_volunteers import DEMO_VOLUNTEERS

ORG_A = "Foreningen Nyt Netværk"
ORG_B = "Vestjyske Besøgsvenner"
PASSWORD = "en lang og god adgangskode"
URL = "/admin/erklaeringer"


# --- factories, shared with test_dashboards_volunteers ------------------------------------------


def organisation_id(name: str) -> uuid.UUID:
    found = db.session.scalar(select(Organisation.id).where(Organisation.name == name))
    assert found is not None, name
    return found


def sign(volunteer: Volunteer, version: DeclarationVersion) -> Signature:
    text = volunteer_status.render_text(version, volunteer, "da")
    signature = Signature(
        volunteer_id=volunteer.id,
        declaration_version_id=version.id,
        language="da",
        text_shown=text,
        text_sha256=hashlib.sha256(text.encode()).hexdigest(),
        identity_method=IdentityMethod.LINK_BIRTH_DATE,
        act="Jeg underskriver",
        evidence_mac="0" * 64,
    )
    db.session.add(signature)
    db.session.flush()
    return signature


def make_volunteer(
    organisation: str,
    name: str,
    state: VolunteerState = VolunteerState.CLEARED,
    *,
    account: bool = True,
    visiting_friend: bool = False,
    signed: bool = True,
    user: User | None = None,
    **columns: Any,
) -> Volunteer:
    """A volunteer of ``organisation`` in ``state``; signed every required declaration's current
    version unless ``signed`` is False; with an account of their own unless ``account`` is False."""
    email = f"{name.lower().replace(' ', '.')}.{uuid.uuid4().hex[:6]}@example.org"
    if user is None and account:
        user = accounts.create_user(email, name, PASSWORD)
    if state in (VolunteerState.CLEARED, VolunteerState.NOT_CLEARED):
        columns.setdefault(
            "check_outcome",
            CheckOutcome.CLEARED if state == VolunteerState.CLEARED else CheckOutcome.NOT_CLEARED,
        )
        columns.setdefault("check_date", date.today())
    volunteer = Volunteer(
        organisation_id=organisation_id(organisation),
        user_id=user.id if user else None,
        name=name,
        email=email,
        birth_date=date(1990, 5, 17),
        visiting_friend=visiting_friend,
        state=state,
        **columns,
    )
    db.session.add(volunteer)
    db.session.flush()
    if signed and state != VolunteerState.INVITED:
        current = volunteer_status.current_versions()
        for kind in volunteer_status.required_kinds(volunteer):
            sign(volunteer, current[kind])
    return volunteer


def _form(version: DeclarationVersion, **changes: str) -> dict[str, str]:
    data = {
        "title_da": version.title_da,
        "title_en": version.title_en,
        "text_da": version.text_da,
        "text_en": version.text_en,
        "change_note": "Nyt afsnit om mobiltelefoner.",
        "based_on": str(version.version),
        "acknowledge": "y",
        "publish": "1",
    }
    data.update(changes)
    return data


def _current(app: Flask, kind: DeclarationKind) -> DeclarationVersion:
    with app.app_context():
        found = volunteer_status.current_versions()[kind]
        db.session.expunge(found)
        return found


def _version_count(app: Flask, kind: DeclarationKind) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(DeclarationVersion)
            .where(DeclarationVersion.kind == kind)
        )


# --- the service ------------------------------------------------------------------------------


def test_publishing_makes_the_next_version_and_outdates_earlier_signatures(app_ctx: Flask) -> None:
    admin = accounts.find_user_by_email("admin@example.org")
    signer = make_volunteer(ORG_A, "Lise Lund")
    assert volunteer_status.outdated_kinds(signer) == []
    current = volunteer_status.current_versions()[DeclarationKind.CONFIDENTIALITY]

    new = declaration_texts.publish_version(
        DeclarationKind.CONFIDENTIALITY,
        title_da=current.title_da,
        title_en=current.title_en,
        text_da=current.text_da + "\r\n\r\nJeg sletter billeder fra besøget.",
        text_en=current.text_en,
        change_note="Billeder",
        actor=admin,
    )

    assert new.version == current.version + 1
    assert new.text_da.endswith("\n\nJeg sletter billeder fra besøget.")  # CR LF made LF
    assert current.text_da not in ("", new.text_da)  # the earlier version is left as it was
    assert volunteer_status.current_versions()[DeclarationKind.CONFIDENTIALITY].id == new.id
    assert volunteer_status.outdated_kinds(signer) == [DeclarationKind.CONFIDENTIALITY]
    assert volunteer_status.status_of(signer) == volunteer_status.VolunteerStatus.RESIGN_NEEDED
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "declaration.published")
    )
    assert entry.details == {
        "kind": "confidentiality",
        "version": new.version,
        "text_da_sha256": hashlib.sha256(new.text_da.encode()).hexdigest(),
        "text_en_sha256": hashlib.sha256(new.text_en.encode()).hexdigest(),
    }


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Jeg, {fornavn}, lover.", "{fornavn}"),
        ("Hej {navn} fra {forening} og {navn:>20}", "{forening}, {navn:>20}"),
        ("{navn.upper}", "{navn.upper}"),
        ("{}", "{}"),
    ],
)
def test_unknown_placeholders_are_named(app_ctx: Flask, text: str, named: str) -> None:
    problem = declaration_texts.placeholder_problem(text)
    assert problem is not None and named in problem
    assert "{navn}" in problem  # the message says what may be used


def test_a_stray_brace_is_refused_and_known_placeholders_pass(app_ctx: Flask) -> None:
    assert "tuborgklamme" in (declaration_texts.placeholder_problem("Jeg {navn lover") or "")
    assert declaration_texts.placeholder_problem("Brug {{ og }} til klammer, {navn}.") is None
    text = "{navn} {organisation} {omraadekontor} {institutioner} {gyldighed}"
    assert declaration_texts.placeholder_problem(text) is None


def test_the_service_refuses_a_stale_start_and_an_unchanged_text(app_ctx: Flask) -> None:
    current = volunteer_status.current_versions()[DeclarationKind.SECURITY_RULES]
    same = {
        "title_da": current.title_da,
        "title_en": current.title_en,
        "text_da": current.text_da + "\n",
        "text_en": current.text_en,
        "change_note": "x",
        "actor": None,
    }
    with pytest.raises(DeclarationTextError, match="Intet er ændret"):
        declaration_texts.publish_version(DeclarationKind.SECURITY_RULES, **same)
    with pytest.raises(DeclarationTextError, match="En anden har udgivet"):
        declaration_texts.publish_version(
            DeclarationKind.SECURITY_RULES,
            **{**same, "text_da": "Ny tekst, {navn}."},
            based_on=current.version - 1,
        )


def test_resign_mail_goes_once_to_each_affected_volunteer_and_to_their_admins(
    app: Flask, outbox: list[Any]
) -> None:
    kind = DeclarationKind.VISITING_FRIEND
    with app.test_request_context():
        friend = make_volunteer(ORG_A, "Karen Ven", visiting_friend=True)
        waiting = make_volunteer(
            ORG_A, "Ole Venter", VolunteerState.AWAITING_CHECK, visiting_friend=True
        )
        far = make_volunteer(ORG_B, "Jens Jyde", visiting_friend=True)
        not_friend = make_volunteer(ORG_A, "Per Mentor")  # does not sign this kind
        withdrawn = make_volunteer(
            ORG_A, "Tove Trukket", VolunteerState.WITHDRAWN, visiting_friend=True
        )
        invited = make_volunteer(ORG_A, "Ida Inviteret", VolunteerState.INVITED)
        no_account = make_volunteer(ORG_A, "Bo Uden", account=False, visiting_friend=True)
        current = volunteer_status.current_versions()[kind]
        new = declaration_texts.publish_version(
            kind,
            title_da=current.title_da,
            title_en=current.title_en,
            text_da=current.text_da + "\n\n4. Jeg medbringer ikke gaver.",
            text_en=current.text_en + "\n\n4. I bring no gifts.",
            change_note="Punkt 4 om gaver.",
            actor=None,
        )
        counts = declaration_texts.notify_resign(new)
        db.session.commit()
        mail.flush_queue()  # as the request does once it has committed
        emails = {v.name: v.email for v in (friend, waiting, far, not_friend, withdrawn, invited)}
        no_account_email = no_account.email

    # The demo data's visiting friends of A who have signed are asked too (Mette Hansen).
    demo_friends = {
        v.name: v.email
        for v in DEMO_VOLUNTEERS
        if v.visiting_friend and v.stage in ("awaiting_check", "cleared")
    }
    assert demo_friends
    assert counts == {"volunteers": 3 + len(demo_friends), "organisations": 2, "admin_mails": 2}
    to = [m.to for m in outbox]
    for name in ("Karen Ven", "Ole Venter", "Jens Jyde"):
        assert to.count(emails[name]) == 1, name
    for name, email in demo_friends.items():
        assert to.count(email) == 1, name
    for name in ("Per Mentor", "Tove Trukket", "Ida Inviteret"):
        assert emails[name] not in to, name
    assert no_account_email not in to
    volunteer_mail = next(m for m in outbox if m.to == emails["Karen Ven"])
    assert "Underskriv igen" in volunteer_mail.subject
    assert "Punkt 4 om gaver." in volunteer_mail.body
    with app.test_request_context():
        expected_link = (
            mail.external_url("signing.reconfirm", volunteer_id=friend.id)
            if "signing.reconfirm" in app.view_functions
            else mail.external_url("auth.login")
        )
    assert expected_link in volunteer_mail.body
    admin_a = next(m for m in outbox if m.to == "ngo-a.admin@example.org")
    assert "Karen Ven" in admin_a.body and "Ole Venter" in admin_a.body
    assert all(name in admin_a.body for name in demo_friends)
    assert "Jens Jyde" not in admin_a.body  # another organisation's volunteer
    admin_b = next(m for m in outbox if m.to == "ngo-b.admin@example.org")
    assert "Jens Jyde" in admin_b.body and "Karen Ven" not in admin_b.body


# --- the admin's pages --------------------------------------------------------------------------


def test_admin_publishes_a_new_version_through_the_form(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    kind = DeclarationKind.CONFIDENTIALITY
    with app.test_request_context():
        signer = make_volunteer(ORG_A, "Sara Signer")
        withdrawn = make_volunteer(ORG_A, "Tim Trukket", VolunteerState.WITHDRAWN)
        db.session.commit()
        signer_email, withdrawn_email = signer.email, withdrawn.email
    current = _current(app, kind)
    client = login_as("admin")

    page = client.get(f"{URL}/confidentiality/ny")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "skal underskrive igen" in html  # the warning
    assert "Jeg, {navn}, er frivillig" in html  # prefilled with the current text

    response = client.post(
        f"{URL}/confidentiality/ny",
        data=_form(current, text_da=current.text_da + "\n\nNyt afsnit."),
    )
    assert response.status_code == 302
    with app.app_context():
        new = volunteer_status.current_versions()[kind]
        assert new.version == current.version + 1
        assert new.change_note == "Nyt afsnit om mobiltelefoner."
        assert new.published_by_id == accounts.find_user_by_email("admin@example.org").id
        new_id = new.id
    assert response.headers["Location"].endswith(f"{URL}/{new_id}")
    assert [m.to for m in outbox].count(signer_email) == 1
    assert withdrawn_email not in [m.to for m in outbox]

    version_page = client.get(f"{URL}/{new_id}").get_data(as_text=True)
    assert "Nyt afsnit." in version_page
    assert "Nyt afsnit om mobiltelefoner." in version_page
    assert "Mette Eksempel" in version_page  # the preview, filled in
    assert "{omraadekontor}" in version_page  # the placeholders explained
    old_page = client.get(f"{URL}/{current.id}").get_data(as_text=True)
    assert "Erstattet af version" in old_page

    listing = client.get(URL).get_data(as_text=True)
    assert f"/admin/erklaeringer/{new_id}" in listing

    # The same form sent again (a double click): no third version, no second round of mails.
    mails = len(outbox)
    again = client.post(
        f"{URL}/confidentiality/ny",
        data=_form(current, text_da=current.text_da + "\n\nNyt afsnit."),
    )
    assert again.status_code == 302
    assert again.headers["Location"].endswith(f"{URL}/{new_id}")
    assert _version_count(app, kind) == 2
    assert len(outbox) == mails


def test_unknown_placeholders_are_refused_with_their_names(app: Flask, login_as: Any) -> None:
    kind = DeclarationKind.REGISTER_CONSENT
    current = _current(app, kind)
    response = login_as("admin").post(
        f"{URL}/register_consent/ny",
        data=_form(current, text_da="Jeg, {fornavn}, giver tilladelse til {formaal}."),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "{fornavn}, {formaal}" in html
    assert "giver tilladelse til" in html  # what was typed is kept
    assert _version_count(app, kind) == 1


def test_an_unchanged_text_is_refused(app: Flask, login_as: Any) -> None:
    current = _current(app, DeclarationKind.SECURITY_RULES)
    response = login_as("admin").post(f"{URL}/security_rules/ny", data=_form(current))
    assert response.status_code == 400
    assert "Intet er ændret" in response.get_data(as_text=True)
    assert _version_count(app, DeclarationKind.SECURITY_RULES) == 1


def test_publishing_needs_the_acknowledgement_and_preview_publishes_nothing(
    app: Flask, login_as: Any
) -> None:
    current = _current(app, DeclarationKind.SECURITY_RULES)
    client = login_as("admin")
    changed = current.text_da + "\n\nEkstra regel for {organisation}."
    data = _form(current, text_da=changed)
    del data["acknowledge"]  # a browser sends nothing for an unticked box
    refused = client.post(f"{URL}/security_rules/ny", data=data)
    assert refused.status_code == 400
    assert "Bekræft" in refused.get_data(as_text=True)

    del data["publish"]
    data["preview"] = "1"
    preview = client.post(f"{URL}/security_rules/ny", data=data)
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "Ekstra regel for Foreningen Nyt Netværk." in html  # filled in for the example
    assert _version_count(app, DeclarationKind.SECURITY_RULES) == 1


def test_a_version_published_meanwhile_is_not_overwritten(app: Flask, login_as: Any) -> None:
    current = _current(app, DeclarationKind.SECURITY_RULES)
    response = login_as("admin").post(
        f"{URL}/security_rules/ny",
        data=_form(current, text_da="Helt ny tekst.", based_on=str(current.version - 1)),
    )
    assert response.status_code == 400
    assert "En anden har udgivet" in response.get_data(as_text=True)


def test_an_unknown_kind_is_404(app: Flask, login_as: Any) -> None:
    client = login_as("admin")
    assert client.get(f"{URL}/hemmelig/ny").status_code == 404
    assert client.get(f"{URL}/{uuid.uuid4()}").status_code == 404


@pytest.mark.parametrize("role", ["ngo_a_admin", "caseworker_ost", "volunteer", "dpo"])
def test_only_the_admin_edits_declarations(app: Flask, login_as: Any, role: str) -> None:
    current = _current(app, DeclarationKind.CONFIDENTIALITY)
    client = login_as(role)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/{current.id}").status_code == 403
    response = client.post(
        f"{URL}/confidentiality/ny", data=_form(current, text_da="Overtaget tekst.")
    )
    assert response.status_code == 403
    assert _version_count(app, DeclarationKind.CONFIDENTIALITY) == 1


def test_the_list_counts_current_and_older_signers(app: Flask, login_as: Any) -> None:
    with app.test_request_context():
        # The demo data's signers are counted too: all on the current version, until now.
        before = declaration_texts.summary(DeclarationKind.CONFIDENTIALITY)
        early = make_volunteer(ORG_A, "Tidlig Frivillig")
        current = volunteer_status.current_versions()[DeclarationKind.CONFIDENTIALITY]
        new = declaration_texts.publish_version(
            DeclarationKind.CONFIDENTIALITY,
            title_da=current.title_da,
            title_en=current.title_en,
            text_da="Ny tekst for {navn}.",
            text_en="New text for {navn}.",
            change_note="Kortere",
            actor=None,
        )
        late = make_volunteer(ORG_B, "Sen Frivillig", signed=False)
        sign(late, new)
        summary = declaration_texts.summary(DeclarationKind.CONFIDENTIALITY)
        db.session.commit()
    assert early.id is not None
    assert before.current is not None and before.current.version == 1
    assert (summary.signed_current, summary.signed_older) == (
        1,
        before.signed_current + before.signed_older + 1,
    )
    assert summary.current is not None and summary.current.version == 2
    listing = login_as("admin").get(URL)
    assert listing.status_code == 200
    assert "Ny version" in listing.get_data(as_text=True)
