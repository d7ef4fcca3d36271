"""An approved organisation's own pages: its profile, its members and invitations, and its
directory entry; who may do what, and the refusals in words."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from portal import db
from portal.db import utcnow
from portal.models import (
    AccountToken,
    EventKind,
    Institution,
    Organisation,
    OrganisationEvent,
    OrganisationState,
    Role,
    TokenPurpose,
    User,
)
from portal.services import accounts

ORG_A = "Foreningen Nyt Netværk"
ORG_B = "Vestjyske Besøgsvenner"
PASSWORD = "en lang og god adgangskode"
NEW_CVR = "60000018"  # valid with the modulus-11 check, not used by the demo data


def _org_id(app: Flask, name: str = ORG_A) -> uuid.UUID:
    with app.app_context():
        found = db.session.scalar(select(Organisation.id).where(Organisation.name == name))
        assert found is not None, name
        return found


def _organisation(app: Flask, name: str = ORG_A) -> Organisation:
    with app.app_context():
        found = db.session.scalar(select(Organisation).where(Organisation.name == name))
        assert found is not None, name
        return found


def _user_id(app: Flask, email: str) -> uuid.UUID:
    with app.app_context():
        user = accounts.find_user_by_email(email)
        assert user is not None, email
        return user.id


def _roles_in(app: Flask, email: str, organisation_id: uuid.UUID) -> set[Role]:
    with app.app_context():
        user = accounts.find_user_by_email(email)
        assert user is not None, email
        return {a.role for a in user.role_assignments if a.organisation_id == organisation_id}


def _set_state(app: Flask, state: OrganisationState, reason: str = "", name: str = ORG_A) -> None:
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == name))
        assert organisation is not None
        organisation.state = state
        organisation.suspension_reason = reason
        db.session.commit()


def _make_user(app: Flask, email: str, role: Role | None = None, **scope: Any) -> User:
    with app.app_context():
        user = accounts.create_user(email, "Test Person", PASSWORD)
        if role is not None:
            accounts.grant_role(user, role, **scope)
        db.session.commit()
        return user


def _log_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/log-ind", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def _link(outbox: list[Any], to: str) -> str:
    mails = [m for m in outbox if m.to == to]
    assert mails, f"no mail to {to}: {[m.to for m in outbox]}"
    found = re.search(r"http://127\.0\.0\.1:5000(/invitation/[A-Za-z0-9_-]+)", mails[-1].body)
    assert found, mails[-1].body
    return found.group(1)


def _page(response: Any) -> str:
    return response.get_data(as_text=True)


def _profile_data(**changes: str) -> dict[str, str]:
    """Organisation A's profile as its form sends it, with ``changes``."""
    data = {
        "name": ORG_A,
        "cvr": "10000009",
        "address": "Nørrebrogade 12",
        "postal_code": "2200",
        "city": "København N",
        "municipality_id": "",
        "scope": "local",
        "website": "",
        "purpose": "Vi skaber netværk og fællesskab for mennesker, der er på vej ud af kriminalitet.",
        "cooperation_intent": "Besøgsvenner i arresthuse og netværksgrupper for løsladte.",
    }
    data.update(changes)
    return data


def _invite(client: FlaskClient, organisation_id: uuid.UUID, email: str, **extra: str) -> Any:
    data = {"name": "Nora Nyborg", "email": email, "role": "member", **extra}
    return client.post(f"/organisationer/{organisation_id}/medlemmer/inviter", data=data)


# --- the organisation's page -----------------------------------------------------------------


def test_admin_sees_the_profile_form_and_the_links(app: Flask, login_as: Any) -> None:
    org = _org_id(app)
    page = _page(login_as("ngo_a_admin").get(f"/organisationer/{org}"))
    assert 'name="cvr"' in page and "Gem ændringerne" in page
    assert f"/organisationer/{org}/sag" in page  # the case and its status
    assert f"/organisationer/{org}/dokumenter" in page
    assert f"/organisationer/{org}/medlemmer" in page
    assert f"/organisationer/{org}/katalog" in page
    assert f"/katalog/{org}" in page  # A is listed: a link to its public entry
    assert "Områdekontoret i Kriminalforsorgen Øst" in page
    assert "områdekontoret" in page and "godkendt det" in page  # name/CVR go to the office


@pytest.mark.parametrize("role", ["ngo_a_member", "caseworker_ost", "grant_officer"])
def test_the_others_who_see_the_organisation_read_it(app: Flask, login_as: Any, role: str) -> None:
    org = _org_id(app)
    page = _page(login_as(role).get(f"/organisationer/{org}"))
    assert "Nørrebrogade 12" in page
    assert 'name="cvr"' not in page
    assert f'/organisationer/{org}/katalog"' not in page  # no edit link for the directory


def test_caseworker_is_sent_to_the_case_page(app: Flask, login_as: Any) -> None:
    org = _org_id(app)
    page = _page(login_as("caseworker_ost").get(f"/organisationer/{org}"))
    assert f"/sager/{org}" in page
    assert f"/organisationer/{org}/sag" not in page


def test_an_organisation_not_yet_approved_gets_a_short_page(app: Flask) -> None:
    submitted = _org_id(app, "Gældsrådgivning Sjælland")
    _make_user(
        app, "c.admin@example.org", Role.NGO_ADMIN, organisation_id=submitted
    )  # C has no demo admin
    client = _log_in(app, "c.admin@example.org")
    response = client.get(f"/organisationer/{submitted}")
    page = _page(response)
    assert response.status_code == 200
    assert "åbner, når de har godkendt jer" in page
    assert f"/organisationer/{submitted}/sag" in page
    assert 'name="cvr"' not in page
    # Nor can its admin change the profile by posting to it.
    refused = client.post(f"/organisationer/{submitted}/profil", data=_profile_data())
    assert refused.status_code == 400


def test_profile_edit_applies_the_rest_and_sends_name_and_cvr_to_the_area_office(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    organisation = _organisation(app)
    admin = login_as("ngo_a_admin")
    response = admin.post(
        f"/organisationer/{organisation.id}/profil",
        data=_profile_data(
            municipality_id=str(organisation.municipality_id),
            name="Foreningen Nyt Netværk Danmark",
            cvr="6000 0018",
            address="Jagtvej 1",
            website="www.nytnetvaerk.dk",
        ),
    )
    assert response.status_code == 302, _page(response)[:2000]
    with app.app_context():
        saved = db.session.get(Organisation, organisation.id)
        assert saved is not None
        assert saved.address == "Jagtvej 1"
        assert saved.website == "https://www.nytnetvaerk.dk"
        assert (saved.name, saved.cvr) == (ORG_A, "10000009")  # unchanged until approved
        assert (saved.pending_name, saved.pending_cvr) == (
            "Foreningen Nyt Netværk Danmark",
            NEW_CVR,
        )
        event = db.session.scalar(
            select(OrganisationEvent)
            .where(
                OrganisationEvent.organisation_id == organisation.id,
                OrganisationEvent.kind == EventKind.PROFILE_CHANGE,
            )
            .order_by(OrganisationEvent.created_at.desc())
        )
        assert event is not None and event.action == "profile_change_requested"
        assert NEW_CVR in event.text
    assert [m.to for m in outbox] == ["caseworker.ost@example.org"]
    assert "ændre navn eller CVR-nummer" in outbox[0].subject
    page = _page(admin.get(f"/organisationer/{organisation.id}"))
    assert "En ændring venter på områdekontoret" in page
    assert "Foreningen Nyt Netværk Danmark" in page and NEW_CVR in page
    assert "sendt til områdekontoret" in page  # the flash after saving


def test_profile_edit_without_name_or_cvr_change_mails_nobody(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    organisation = _organisation(app)
    response = login_as("ngo_a_admin").post(
        f"/organisationer/{organisation.id}/profil",
        data=_profile_data(municipality_id=str(organisation.municipality_id), city="København"),
    )
    assert response.status_code == 302
    assert outbox == []
    with app.app_context():
        saved = db.session.get(Organisation, organisation.id)
        assert saved is not None and saved.city == "København" and not saved.pending_name


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cvr": "12345678"}, "CVR-nummeret er ikke gyldigt"),
        ({"cvr": "20000007"}, "Der er allerede en organisation med dette CVR-nummer"),
        ({"postal_code": "22"}, "Postnummeret har 4 cifre"),
        ({"name": ""}, "Skriv organisationens navn."),
    ],
)
def test_profile_edit_refuses_bad_input_and_keeps_what_was_typed(
    app: Flask, login_as: Any, changes: dict[str, str], message: str
) -> None:
    organisation = _organisation(app)
    response = login_as("ngo_a_admin").post(
        f"/organisationer/{organisation.id}/profil",
        data=_profile_data(
            municipality_id=str(organisation.municipality_id), address="Jagtvej 99", **changes
        ),
    )
    page = _page(response)
    assert response.status_code == 400
    assert message in page
    assert "Der er problemer" in page  # the error summary
    assert 'value="Jagtvej 99"' in page
    with app.app_context():
        saved = db.session.get(Organisation, organisation.id)
        assert saved is not None and saved.address == "Nørrebrogade 12"


def test_suspended_organisation_cannot_change_its_profile(app: Flask, login_as: Any) -> None:
    organisation = _organisation(app)
    _set_state(app, OrganisationState.SUSPENDED, "Manglende børneattester")
    admin = login_as("ngo_a_admin")
    page = _page(admin.get(f"/organisationer/{organisation.id}"))
    assert "Samarbejdet er suspenderet" in page and "Manglende børneattester" in page
    assert 'name="cvr"' not in page
    response = admin.post(
        f"/organisationer/{organisation.id}/profil",
        data=_profile_data(municipality_id=str(organisation.municipality_id), city="Valby"),
    )
    assert response.status_code == 400
    assert "Manglende børneattester" in _page(response)


# --- members ---------------------------------------------------------------------------------


def test_members_list_roles_and_pending_invitations(app: Flask, login_as: Any) -> None:
    org = _org_id(app)
    page = _page(login_as("ngo_a_admin").get(f"/organisationer/{org}/medlemmer"))
    assert "Amalie Andersen" in page and "Mads Madsen" in page
    assert "Administrator" in page and "Medarbejder" in page
    assert "Mette Hansen" not in page  # a volunteer is not staff
    assert "ny.kollega@example.org" in page and "Tilbagekald" in page
    assert "Invitér en kollega" in page
    assert "Gør til administrator" in page


def test_member_sees_the_list_read_only(app: Flask, login_as: Any) -> None:
    org = _org_id(app)
    page = _page(login_as("ngo_a_member").get(f"/organisationer/{org}/medlemmer"))
    assert "Amalie Andersen" in page and "ny.kollega@example.org" in page
    for admin_only in ("Invitér en kollega", "Tilbagekald", "Gør til administrator", "/fjern"):
        assert admin_only not in page


def test_invited_colleague_gets_an_account_with_the_role(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    org = _org_id(app)
    response = _invite(login_as("ngo_a_admin"), org, "Nora.Nyborg@Example.org ", role="admin")
    assert response.status_code == 302, _page(response)[:2000]
    link = _link(outbox, "nora.nyborg@example.org")
    invitee = app.test_client()
    assert invitee.get(link).status_code == 200
    accepted = invitee.post(
        link, data={"name": "Nora Nyborg", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert accepted.status_code == 302
    assert _roles_in(app, "nora.nyborg@example.org", org) == {Role.NGO_ADMIN}
    assert invitee.get(f"/organisationer/{org}/katalog").status_code == 200  # she is admin
    # The link is single-use.
    assert app.test_client().get(link).status_code == 404
    assert invitee.post(link).status_code == 404


def test_invitation_to_an_existing_account_joins_after_login(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    org = _org_id(app)
    _make_user(app, "har.konto@example.org", Role.REVIEWER)
    assert _invite(login_as("ngo_a_admin"), org, "har.konto@example.org").status_code == 302
    link = _link(outbox, "har.konto@example.org")
    refused = app.test_client().post(
        link, data={"name": "X", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert refused.status_code == 400
    assert "Log ind først" in _page(refused)
    assert _roles_in(app, "har.konto@example.org", org) == set()
    owner = _log_in(app, "har.konto@example.org")
    assert owner.post(link).status_code == 302
    assert _roles_in(app, "har.konto@example.org", org) == {Role.NGO_MEMBER}
    assert owner.get(f"/organisationer/{org}/medlemmer").status_code == 200


def test_expired_invitation_is_refused(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    org = _org_id(app)
    assert _invite(login_as("ngo_a_admin"), org, "for.sent@example.org").status_code == 302
    link = _link(outbox, "for.sent@example.org")
    with app.app_context():
        db.session.execute(
            update(AccountToken)
            .where(AccountToken.email == "for.sent@example.org")
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    response = app.test_client().get(link)
    assert response.status_code == 404
    assert "Linket virker ikke" in _page(response)
    # An expired invitation no longer shows as waiting.
    page = _page(login_as("ngo_a_admin").get(f"/organisationer/{org}/medlemmer"))
    assert "for.sent@example.org" not in page


def test_inviting_someone_already_in_the_organisation_is_refused(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    org = _org_id(app)
    response = _invite(login_as("ngo_a_admin"), org, "ngo-a.member@example.org")
    page = _page(response)
    assert response.status_code == 400
    assert "ngo-a.member@example.org er allerede med i organisationen" in page
    assert 'value="Nora Nyborg"' in page  # nothing typed is lost
    assert outbox == []


def test_invite_form_errors_are_shown(app: Flask, login_as: Any) -> None:
    org = _org_id(app)
    response = _invite(login_as("ngo_a_admin"), org, "ikke-en-adresse", name="")
    page = _page(response)
    assert response.status_code == 400
    assert "Skriv kollegaens navn." in page
    assert "Skriv en gyldig e-mailadresse" in page
    assert 'value="ikke-en-adresse"' in page


def test_revoked_invitation_no_longer_opens(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    org = _org_id(app)
    admin = login_as("ngo_a_admin")
    assert _invite(admin, org, "fortrudt@example.org").status_code == 302
    link = _link(outbox, "fortrudt@example.org")
    with app.app_context():
        token_id = db.session.scalar(
            select(AccountToken.id).where(AccountToken.email == "fortrudt@example.org")
        )
    response = admin.post(f"/organisationer/{org}/invitationer/{token_id}/tilbagekald")
    assert response.status_code == 302
    assert app.test_client().get(link).status_code == 404
    page = _page(admin.get(f"/organisationer/{org}/medlemmer"))
    assert "Invitationen til fortrudt@example.org er tilbagekaldt." in page
    assert '<th scope="row" data-title="E-mail">fortrudt@example.org' not in page
    # Revoking it again changes nothing and says so.
    again = admin.post(f"/organisationer/{org}/invitationer/{token_id}/tilbagekald")
    assert again.status_code == 302
    assert "allerede taget imod, tilbagekaldt eller udløbet" in _page(
        admin.get(f"/organisationer/{org}/medlemmer")
    )


def test_another_organisations_invitation_cannot_be_revoked(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    org_a, org_b = _org_id(app), _org_id(app, ORG_B)
    admin_b = login_as("ngo_b_admin", app.test_client())
    assert _invite(admin_b, org_b, "b.kollega@example.org").status_code == 302
    with app.app_context():
        token_b = db.session.scalar(
            select(AccountToken.id).where(AccountToken.email == "b.kollega@example.org")
        )
        token_a = db.session.scalar(
            select(AccountToken.id).where(AccountToken.email == "ny.kollega@example.org")
        )
    admin_a = login_as("ngo_a_admin", app.test_client())
    # B's token through A's own page, and A's token through B's page: both 404.
    assert (
        admin_a.post(f"/organisationer/{org_a}/invitationer/{token_b}/tilbagekald").status_code
        == 404
    )
    assert (
        admin_a.post(f"/organisationer/{org_b}/invitationer/{token_b}/tilbagekald").status_code
        == 404
    )
    assert (
        admin_b.post(f"/organisationer/{org_b}/invitationer/{token_a}/tilbagekald").status_code
        == 404
    )
    with app.app_context():
        for token_id in (token_a, token_b):
            token = db.session.get(AccountToken, token_id)
            assert token is not None and token.revoked_at is None


def test_a_password_reset_token_is_not_an_invitation(app: Flask, login_as: Any) -> None:
    org = _org_id(app)
    with app.app_context():
        accounts.request_password_reset("ngo-a.member@example.org")
        token_id = db.session.scalar(
            select(AccountToken.id).where(AccountToken.purpose == TokenPurpose.PASSWORD_RESET)
        )
        db.session.commit()
    response = login_as("ngo_a_admin").post(
        f"/organisationer/{org}/invitationer/{token_id}/tilbagekald"
    )
    assert response.status_code == 404


def test_hand_over_the_admin_role(app: Flask, login_as: Any) -> None:
    org = _org_id(app)
    admin = login_as("ngo_a_admin", app.test_client())
    member_id = _user_id(app, "ngo-a.member@example.org")
    admin_id = _user_id(app, "ngo-a.admin@example.org")
    made = admin.post(f"/organisationer/{org}/medlemmer/{member_id}/rolle", data={"role": "admin"})
    assert made.status_code == 302
    assert _roles_in(app, "ngo-a.member@example.org", org) == {Role.NGO_ADMIN}
    assert "Mads Madsen er nu administrator." in _page(
        admin.get(f"/organisationer/{org}/medlemmer")
    )
    stepped_down = admin.post(
        f"/organisationer/{org}/medlemmer/{admin_id}/rolle", data={"role": "member"}
    )
    assert stepped_down.status_code == 302
    assert _roles_in(app, "ngo-a.admin@example.org", org) == {Role.NGO_MEMBER}
    # The former admin is now a member: read-only, and refused admin things.
    page = _page(admin.get(f"/organisationer/{org}/medlemmer"))
    assert "Du er nu medarbejder." in page and "Invitér en kollega" not in page
    assert _invite(admin, org, "x@example.org").status_code == 403
    # The new admin can give the role back.
    new_admin = login_as("ngo_a_member", app.test_client())
    back = new_admin.post(
        f"/organisationer/{org}/medlemmer/{admin_id}/rolle", data={"role": "admin"}
    )
    assert back.status_code == 302
    assert _roles_in(app, "ngo-a.admin@example.org", org) == {Role.NGO_ADMIN}


def test_the_last_admin_can_be_neither_demoted_nor_removed(app: Flask, login_as: Any) -> None:
    org = _org_id(app)
    admin = login_as("ngo_a_admin")
    admin_id = _user_id(app, "ngo-a.admin@example.org")
    for path, data in (("rolle", {"role": "member"}), ("fjern", {})):
        response = admin.post(f"/organisationer/{org}/medlemmer/{admin_id}/{path}", data=data)
        assert response.status_code == 302
        page = _page(admin.get(f"/organisationer/{org}/medlemmer"))
        assert "altid have mindst én administrator" in page
        assert _roles_in(app, "ngo-a.admin@example.org", org) == {Role.NGO_ADMIN}


def test_admin_removes_a_member(app: Flask, login_as: Any) -> None:
    org = _org_id(app)
    admin = login_as("ngo_a_admin", app.test_client())
    member_id = _user_id(app, "ngo-a.member@example.org")
    response = admin.post(f"/organisationer/{org}/medlemmer/{member_id}/fjern")
    assert response.status_code == 302
    assert _roles_in(app, "ngo-a.member@example.org", org) == set()
    assert "Mads Madsen er fjernet fra organisationen." in _page(
        admin.get(f"/organisationer/{org}/medlemmer")
    )
    # The account stays, but the organisation's pages are closed to it.
    former = login_as("ngo_a_member", app.test_client())
    assert former.get(f"/organisationer/{org}").status_code == 404


def test_someone_outside_the_organisation_is_not_a_member_to_change(
    app: Flask, login_as: Any
) -> None:
    org = _org_id(app)
    admin = login_as("ngo_a_admin")
    for email in ("ngo-b.admin@example.org", "volunteer@example.org"):
        other = _user_id(app, email)
        assert (
            admin.post(
                f"/organisationer/{org}/medlemmer/{other}/rolle", data={"role": "admin"}
            ).status_code
            == 404
        )
        assert admin.post(f"/organisationer/{org}/medlemmer/{other}/fjern").status_code == 404
    unknown = uuid.uuid4()
    assert admin.post(f"/organisationer/{org}/medlemmer/{unknown}/fjern").status_code == 404


def test_a_member_cannot_do_admin_things(app: Flask, login_as: Any) -> None:
    org = _org_id(app)
    member = login_as("ngo_a_member")
    admin_id = _user_id(app, "ngo-a.admin@example.org")
    with app.app_context():
        token = db.session.scalar(
            select(AccountToken.id).where(AccountToken.email == "ny.kollega@example.org")
        )
    refused = [
        member.get(f"/organisationer/{org}/katalog"),
        member.post(f"/organisationer/{org}/katalog", data={"directory_listed": ""}),
        member.post(f"/organisationer/{org}/profil", data=_profile_data()),
        _invite(member, org, "x@example.org"),
        member.post(f"/organisationer/{org}/medlemmer/{admin_id}/rolle", data={"role": "member"}),
        member.post(f"/organisationer/{org}/medlemmer/{admin_id}/fjern"),
        member.post(f"/organisationer/{org}/invitationer/{token}/tilbagekald"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert "Du har ikke adgang til siden" in _page(refused[0])
    assert _roles_in(app, "ngo-a.admin@example.org", org) == {Role.NGO_ADMIN}


@pytest.mark.parametrize("role", ["ngo_b_admin", "caseworker_vest", "volunteer", "institution"])
def test_another_tenant_gets_404_on_every_page_and_post(
    app: Flask, login_as: Any, role: str
) -> None:
    org = _org_id(app)
    client = login_as(role)
    member_id = _user_id(app, "ngo-a.member@example.org")
    with app.app_context():
        token = db.session.scalar(
            select(AccountToken.id).where(AccountToken.email == "ny.kollega@example.org")
        )
    gets = ("", "/medlemmer", "/katalog")
    posts = (
        "/profil",
        "/medlemmer/inviter",
        f"/medlemmer/{member_id}/rolle",
        f"/medlemmer/{member_id}/fjern",
        f"/invitationer/{token}/tilbagekald",
        "/katalog",
    )
    for path in gets:
        assert client.get(f"/organisationer/{org}{path}").status_code == 404, path
    for path in posts:
        assert (
            client.post(f"/organisationer/{org}{path}", data={"role": "admin"}).status_code == 404
        ), path
    assert _roles_in(app, "ngo-a.member@example.org", org) == {Role.NGO_MEMBER}


def test_suspended_organisation_cannot_invite_and_is_told_why(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    org = _org_id(app)
    _set_state(app, OrganisationState.SUSPENDED, "Manglende børneattester")
    admin = login_as("ngo_a_admin")
    page = _page(admin.get(f"/organisationer/{org}/medlemmer"))
    assert "Samarbejdet er suspenderet" in page and "Manglende børneattester" in page
    assert "Invitér en kollega" not in page
    response = _invite(admin, org, "ny.person@example.org")
    assert response.status_code == 400
    assert "Begrundelse: Manglende børneattester" in _page(response)
    assert outbox == []
    with app.app_context():
        assert (
            db.session.scalar(
                select(AccountToken.id).where(AccountToken.email == "ny.person@example.org")
            )
            is None
        )


# --- the directory entry ---------------------------------------------------------------------


def _institution_ids(app: Flask, *names: str) -> list[str]:
    with app.app_context():
        return [
            str(i)
            for i in db.session.scalars(select(Institution.id).where(Institution.name.in_(names)))
        ]


def test_admin_edits_the_directory_entry(app: Flask, login_as: Any, client: FlaskClient) -> None:
    org = _org_id(app)
    admin = login_as("ngo_a_admin", app.test_client())
    page = _page(admin.get(f"/organisationer/{org}/katalog"))
    assert 'name="directory_summary"' in page and f"/katalog/{org}" in page
    response = admin.post(
        f"/organisationer/{org}/katalog",
        data={
            "directory_listed": "y",
            "directory_summary": "Mentorer for unge løsladte.",
            "directory_how_to_volunteer": "Kom til informationsmøde første tirsdag i måneden.",
            "directory_email": "mentor@nytnetvaerk.dk",
            "directory_phone": "+45 12 34 56 78",
            "effort_kinds": ["mentor", "teaching"],
            "institution_ids": _institution_ids(app, "Horserød Fængsel", "Aalborg Arrest"),
        },
    )
    assert response.status_code == 302, _page(response)[:2000]
    with app.app_context():
        saved = db.session.get(Organisation, org)
        assert saved is not None
        assert saved.effort_kinds == ["mentor", "teaching"]
        assert sorted(i.name for i in saved.institutions) == ["Aalborg Arrest", "Horserød Fængsel"]
        assert saved.directory_phone == "+45 12 34 56 78"
    public = _page(client.get(f"/katalog/{org}"))
    assert "Mentorer for unge løsladte." in public
    assert "Horserød Fængsel" in public and "Vestre Fængsel" not in public
    assert "Mentor" in public and "Undervisning" in public


def test_a_listed_entry_must_say_what_how_and_whom(app: Flask, login_as: Any) -> None:
    org = _org_id(app)
    response = login_as("ngo_a_admin").post(
        f"/organisationer/{org}/katalog",
        data={"directory_listed": "y", "directory_summary": "Noget, vi har skrevet."},
    )
    page = _page(response)
    assert response.status_code == 400
    assert "Skriv, hvordan man bliver frivillig hos jer" in page
    assert "Skriv en e-mail eller et telefonnummer" in page
    assert "Vælg mindst én slags indsats" in page
    assert "Noget, vi har skrevet." in page  # kept
    with app.app_context():
        saved = db.session.get(Organisation, org)
        assert saved is not None and saved.directory_summary != "Noget, vi har skrevet."


def test_opting_out_takes_the_organisation_out_of_the_directory(
    app: Flask, login_as: Any, client: FlaskClient
) -> None:
    org = _org_id(app)
    admin = login_as("ngo_a_admin", app.test_client())
    response = admin.post(f"/organisationer/{org}/katalog", data={"effort_kinds": ["network"]})
    assert response.status_code == 302
    assert "I vises ikke i kataloget" in _page(admin.get(f"/organisationer/{org}/katalog"))
    assert client.get(f"/katalog/{org}").status_code == 404
    assert ORG_A not in _page(client.get("/katalog"))


def test_an_admin_may_leave_when_another_admin_stays(app: Flask, login_as: Any) -> None:
    org = _org_id(app)
    admin = login_as("ngo_a_admin", app.test_client())
    member_id = _user_id(app, "ngo-a.member@example.org")
    admin_id = _user_id(app, "ngo-a.admin@example.org")
    admin.post(f"/organisationer/{org}/medlemmer/{member_id}/rolle", data={"role": "admin"})
    response = admin.post(f"/organisationer/{org}/medlemmer/{admin_id}/fjern")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/overblik")
    assert _roles_in(app, "ngo-a.admin@example.org", org) == set()
    assert admin.get(f"/organisationer/{org}").status_code == 404
