"""The area office's side of volunteers through the test client: the queue and its isolation
between offices, the audited CPR reveal (and the CPR number in no other response), the check's
outcome, access per institution, revocation, the volunteer's withdrawal of consent, and the
daily expiry job with frozen time."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from portal import cpr, db
from portal.models import (
    AccessEndReason,
    AccessGrant,
    AuditEntry,
    CheckOutcome,
    IdentityMethod,
    Institution,
    Organisation,
    Preparation,
    Signature,
    User,
    Volunteer,
    VolunteerEvent,
    VolunteerState,
)
from portal.services import access_expiry, clearance, volunteer_status
from tests.roles import ROLE_ACCOUNTS

ORG_A = "Foreningen Nyt Netværk"  # area Øst
ORG_B = "Vestjyske Besøgsvenner"  # area Vest
CPR_DIGITS = "0101901234"
CPR_SHOWN = "010190-1234"
NGO_A_ADMIN = ROLE_ACCOUNTS["ngo_a_admin"]
OST = ROLE_ACCOUNTS["caseworker_ost"]
VEST = ROLE_ACCOUNTS["caseworker_vest"]


# --- helpers -----------------------------------------------------------------------------------


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


def _no_cpr(text: str) -> None:
    assert CPR_DIGITS not in text
    assert CPR_SHOWN not in text


def _institution(name: str) -> Institution:
    found = db.session.scalar(select(Institution).where(Institution.name == name))
    assert found is not None, name
    return found


def _sign_current(volunteer: Volunteer) -> None:
    """Signatures of every current declaration (their evidence does not matter here)."""
    current = volunteer_status.current_versions()
    for kind in volunteer_status.required_kinds(volunteer):
        db.session.add(
            Signature(
                volunteer_id=volunteer.id,
                declaration_version_id=current[kind].id,
                language="da",
                text_shown="tekst",
                text_sha256="0" * 64,
                identity_method=IdentityMethod.LINK_BIRTH_DATE,
                act="Jeg underskriver",
                evidence_mac="0" * 64,
            )
        )


def _volunteer(
    app: Flask,
    *,
    name: str = "Karen Kontrol",
    organisation: str = ORG_A,
    state: VolunteerState = VolunteerState.AWAITING_CHECK,
    signed_days_ago: int = 3,
    owner: str | None = None,
    signed: bool = True,
    prepared: bool = False,
    grants: tuple[tuple[str, int], ...] = (),
) -> uuid.UUID:
    """A volunteer made directly with the models: awaiting the check with an encrypted CPR
    number, or cleared (with current signatures, optional preparation and grants that end
    ``days`` from today)."""
    with app.app_context():
        organisation_id = db.session.scalar(
            select(Organisation.id).where(Organisation.name == organisation)
        )
        signed_at = datetime.now(UTC) - timedelta(days=signed_days_ago)
        volunteer = Volunteer(
            organisation_id=organisation_id,
            name=name,
            email=f"{uuid.uuid4().hex[:10]}@example.org",
            birth_date=date(1990, 1, 1),
            state=state,
            signed_at=signed_at,
            user_id=db.session.scalar(select(User.id).where(User.email == owner))
            if owner
            else None,
        )
        if state in (VolunteerState.CLEARED, VolunteerState.NOT_CLEARED):
            volunteer.check_outcome = (
                CheckOutcome.CLEARED
                if state == VolunteerState.CLEARED
                else CheckOutcome.NOT_CLEARED
            )
            volunteer.check_date = signed_at.date()
            volunteer.checked_at = signed_at
        db.session.add(volunteer)
        db.session.flush()
        if state == VolunteerState.AWAITING_CHECK:
            volunteer.cpr_ciphertext = cpr.encrypt(CPR_DIGITS, volunteer.id)
        if signed:
            _sign_current(volunteer)
        if prepared:
            db.session.add(
                Preparation(
                    volunteer_id=volunteer.id,
                    prepared_on=signed_at.date(),
                    material="Sikkerhedsregler og tavshedspligt",
                    prepared_by="Amalie Andersen",
                )
            )
        today = volunteer_status.today()
        for institution, days in grants:
            db.session.add(
                AccessGrant(
                    volunteer_id=volunteer.id,
                    institution_id=_institution(institution).id,
                    valid_from=today - timedelta(days=10),
                    valid_until=today + timedelta(days=days),
                )
            )
        db.session.commit()
        return volunteer.id


def _load(app: Flask, volunteer_id: uuid.UUID) -> Volunteer:
    with app.app_context():
        volunteer = db.session.get(Volunteer, volunteer_id)
        assert volunteer is not None
        volunteer.access_grants  # noqa: B018 - loaded while the session is open
        return volunteer


def _audits(app: Flask, action: str, object_id: object | None = None) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.action == action)
        if object_id is not None:
            query = query.where(AuditEntry.object_id == str(object_id))
        return list(db.session.scalars(query.order_by(AuditEntry.id)))


def _events(app: Flask, volunteer_id: uuid.UUID) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(VolunteerEvent.action)
                .where(VolunteerEvent.volunteer_id == volunteer_id)
                .order_by(VolunteerEvent.created_at)
            )
        )


def _version(app: Flask, volunteer_id: uuid.UUID) -> int:
    return _load(app, volunteer_id).version


def _outcome(
    client: FlaskClient, app: Flask, volunteer_id: uuid.UUID, outcome: str, **extra: str
) -> Any:
    data = {
        "outcome": outcome,
        "check_date": volunteer_status.today().isoformat(),
        "version": str(_version(app, volunteer_id)),
        **extra,
    }
    return client.post(f"/tjek/frivillige/{volunteer_id}/udfald", data=data)


def _grant(client: FlaskClient, app: Flask, volunteer_id: uuid.UUID, *names: str, **extra: str):
    with app.app_context():
        ids = [str(_institution(name).id) for name in names]
    return client.post(
        f"/tjek/frivillige/{volunteer_id}/adgang", data={"institutions": ids, **extra}
    )


# --- the queue and the other office ------------------------------------------------------------


def test_queue_lists_the_office_awaiting_check_oldest_first(app: Flask, login_as: Any) -> None:
    newer = _volunteer(app, name="Nina Ny", signed_days_ago=1)
    older = _volunteer(app, name="Otto Gammel", signed_days_ago=9)
    _volunteer(app, name="Vera Vest", organisation=ORG_B)
    html = _html(login_as("caseworker_ost").get("/tjek"))
    assert html.index("Otto Gammel") < html.index("Nina Ny")
    assert "Vera Vest" not in html
    assert ORG_A in html
    _no_cpr(html)
    assert f"/tjek/frivillige/{older}" in html and f"/tjek/frivillige/{newer}" in html


def test_queue_tabs_and_search(app: Flask, login_as: Any) -> None:
    _volunteer(app, name="Anna Afventer")
    _volunteer(app, name="Bo Godkendt", state=VolunteerState.CLEARED)
    _volunteer(
        app,
        name="Carl Udløber",
        state=VolunteerState.CLEARED,
        grants=(("KiF København", 10),),
    )
    _volunteer(
        app, name="Dina Adgang", state=VolunteerState.CLEARED, grants=(("KiF København", 200),)
    )
    client = login_as("caseworker_ost")
    cleared = _html(client.get("/tjek?tab=cleared"))
    assert "Bo Godkendt" in cleared
    assert not any(n in cleared for n in ("Anna Afventer", "Carl Udløber", "Dina Adgang"))
    expiring = _html(client.get("/tjek?tab=expiring"))
    assert "Carl Udløber" in expiring and "Dina Adgang" not in expiring
    everyone = _html(client.get("/tjek?tab=all"))
    assert all(n in everyone for n in ("Anna Afventer", "Bo Godkendt", "Carl Udløber"))
    searched = _html(client.get("/tjek?tab=all&q=dina"))
    assert "Dina Adgang" in searched and "Bo Godkendt" not in searched
    _no_cpr(everyone)


def test_the_other_office_sees_nothing_and_gets_404_audited(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    volunteer_id = _volunteer(app, name="Østlig Frivillig")
    client = login_as("caseworker_vest")
    for tab in ("awaiting", "cleared", "expiring", "all"):
        html = _html(client.get(f"/tjek?tab={tab}"))
        assert "Østlig Frivillig" not in html and ORG_A not in html
    attempts = [
        client.get(f"/tjek/frivillige/{volunteer_id}"),
        client.post(f"/tjek/frivillige/{volunteer_id}/cpr"),
        client.post(
            f"/tjek/frivillige/{volunteer_id}/udfald",
            data={"outcome": "cleared", "check_date": "2020-01-01", "version": "1"},
        ),
        client.get(f"/tjek/frivillige/{volunteer_id}/adgang"),
        client.post(f"/tjek/frivillige/{volunteer_id}/adgang", data={"institutions": []}),
    ]
    assert [r.status_code for r in attempts] == [404] * 5
    for response in attempts:
        _no_cpr(_html(response))
    assert len(_audits(app, "access.denied", volunteer_id)) == 5
    assert _audits(app, "volunteer.cpr_revealed", volunteer_id) == []
    after = _load(app, volunteer_id)
    assert after.state == VolunteerState.AWAITING_CHECK and after.cpr_ciphertext is not None
    assert outbox == []


# --- the CPR number ----------------------------------------------------------------------------


def test_reveal_is_audited_every_time_and_the_cpr_is_in_no_other_response(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    volunteer_id = _volunteer(app, prepared=True)
    client = login_as("caseworker_ost")
    page = client.get(f"/tjek/frivillige/{volunteer_id}")
    assert page.status_code == 200
    _no_cpr(_html(page))
    assert cpr.MASKED in _html(page) and "Vis CPR-nummer" in _html(page)

    for _ in range(2):
        revealed = client.post(f"/tjek/frivillige/{volunteer_id}/cpr")
        assert revealed.status_code == 200
        assert CPR_SHOWN in _html(revealed)
        assert revealed.headers["Cache-Control"] == "no-store"
    entries = _audits(app, "volunteer.cpr_revealed", volunteer_id)
    assert len(entries) == 2
    user_id = str(db_user_id(app, OST))
    for entry in entries:
        assert entry.actor_id == user_id
        assert CPR_DIGITS not in str(entry.details) and "1234" not in str(entry.details)

    # Every other clearance response before and after the outcome, errors included.
    responses = [
        client.get(f"/tjek/frivillige/{volunteer_id}"),
        client.get("/tjek"),
        client.get("/tjek?tab=all"),
        client.get(f"/tjek/frivillige/{volunteer_id}/adgang"),
        client.post(f"/tjek/frivillige/{volunteer_id}/udfald", data={}),
        client.post(f"/tjek/frivillige/{volunteer_id}/adgang", data={}),
        _outcome(client, app, volunteer_id, "cleared"),
        client.get(f"/tjek/frivillige/{volunteer_id}"),
        client.post(f"/tjek/frivillige/{volunteer_id}/cpr"),
        login_as("caseworker_vest").get(f"/tjek/frivillige/{volunteer_id}"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 400, 400, 302, 200, 400, 404]
    for response in responses:
        _no_cpr(_html(response))
        assert response.headers["Cache-Control"] == "no-store"
    assert outbox
    for message in outbox:
        _no_cpr(message.subject + message.body)
    # Once the outcome is recorded, there is nothing left to reveal.
    assert len(_audits(app, "volunteer.cpr_revealed", volunteer_id)) == 2


def db_user_id(app: Flask, email: str) -> uuid.UUID:
    with app.app_context():
        found = db.session.scalar(select(User.id).where(User.email == email))
        assert found is not None
        return found


# --- the outcome -------------------------------------------------------------------------------


def test_cleared_erases_the_cpr_and_tells_the_status(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    volunteer_id = _volunteer(app)
    response = _outcome(login_as("caseworker_ost"), app, volunteer_id, "cleared")
    assert response.status_code == 302
    volunteer = _load(app, volunteer_id)
    assert volunteer.state == VolunteerState.CLEARED
    assert volunteer.cpr_ciphertext is None
    assert volunteer.check_outcome == CheckOutcome.CLEARED
    assert volunteer.check_date == volunteer_status.today()
    assert volunteer.checked_by_id == db_user_id(app, OST)
    assert _events(app, volunteer_id) == ["cleared"]
    [entry] = _audits(app, "volunteer.check_recorded", volunteer_id)
    assert entry.details["outcome"] == "cleared"
    assert sorted(m.to for m in outbox) == sorted([volunteer.email, NGO_A_ADMIN])
    assert all("godkendt" in m.subject.lower() for m in outbox)


def test_cleared_after_assessment_needs_a_reason_that_the_ngo_never_sees(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    volunteer_id = _volunteer(app)
    client = login_as("caseworker_ost")
    refused = _outcome(client, app, volunteer_id, "cleared_after_assessment", reason="  ")
    assert refused.status_code == 400
    assert "Skriv en kort begrundelse for den konkrete vurdering." in _html(refused)
    assert _load(app, volunteer_id).state == VolunteerState.AWAITING_CHECK
    too_long = _outcome(client, app, volunteer_id, "cleared_after_assessment", reason="x" * 501)
    assert too_long.status_code == 400

    reason = "Forholdet ligger mange år tilbage og er uden betydning for opgaven."
    response = _outcome(client, app, volunteer_id, "cleared_after_assessment", reason=reason)
    assert response.status_code == 302
    volunteer = _load(app, volunteer_id)
    assert volunteer.state == VolunteerState.CLEARED
    assert volunteer.check_outcome == CheckOutcome.CLEARED_AFTER_ASSESSMENT
    assert volunteer.check_reason == reason
    assert sorted(m.to for m in outbox) == sorted([volunteer.email, NGO_A_ADMIN])
    for message in outbox:
        assert reason not in message.body and "vurdering" not in message.body
        assert "Godkendt" in message.body or "godkendt" in message.body
    # The caseworker's page keeps it; the event the organisation sees does not.
    assert reason in _html(client.get(f"/tjek/frivillige/{volunteer_id}"))
    with app.app_context():
        texts = db.session.scalars(
            select(VolunteerEvent.text).where(VolunteerEvent.volunteer_id == volunteer_id)
        )
        assert all(reason not in text for text in texts)
    [entry] = _audits(app, "volunteer.check_recorded", volunteer_id)
    assert reason not in str(entry.details)


def test_not_cleared(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    volunteer_id = _volunteer(app)
    client = login_as("caseworker_ost")
    assert _outcome(client, app, volunteer_id, "not_cleared", reason="ignored").status_code == 302
    volunteer = _load(app, volunteer_id)
    assert volunteer.state == VolunteerState.NOT_CLEARED
    assert volunteer.check_reason == "" and volunteer.cpr_ciphertext is None
    assert _events(app, volunteer_id) == ["not_cleared"]
    assert all(
        "ikke godkendt" in m.subject.lower() or "resultat" in m.subject.lower() for m in outbox
    )
    page = _html(client.get(f"/tjek/frivillige/{volunteer_id}/adgang"))
    assert "Der kan kun gives adgang til en godkendt frivillig." in page


def test_the_check_date_is_neither_in_the_future_nor_before_the_signature(
    app: Flask, login_as: Any
) -> None:
    volunteer_id = _volunteer(app, signed_days_ago=3)
    client = login_as("caseworker_ost")
    today = volunteer_status.today()
    future = _outcome(
        client, app, volunteer_id, "cleared", check_date=(today + timedelta(days=1)).isoformat()
    )
    assert future.status_code == 400
    assert "Datoen for tjekket kan ikke ligge i fremtiden." in _html(future)
    early = _outcome(
        client, app, volunteer_id, "cleared", check_date=(today - timedelta(days=5)).isoformat()
    )
    assert early.status_code == 400
    assert "før den frivillige underskrev" in _html(early)
    assert _load(app, volunteer_id).state == VolunteerState.AWAITING_CHECK


def test_a_stale_version_is_a_conflict(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    volunteer_id = _volunteer(app)
    client = login_as("caseworker_ost")
    seen = _version(app, volunteer_id)
    # A colleague decides first.
    assert _outcome(client, app, volunteer_id, "not_cleared").status_code == 302
    outbox.clear()
    response = client.post(
        f"/tjek/frivillige/{volunteer_id}/udfald",
        data={
            "outcome": "cleared",
            "check_date": volunteer_status.today().isoformat(),
            "version": str(seen),
        },
    )
    assert response.status_code == 409
    assert "ændret af en anden" in _html(response)
    assert _load(app, volunteer_id).state == VolunteerState.NOT_CLEARED
    assert outbox == []


# --- access ------------------------------------------------------------------------------------


def test_grant_several_institutions_with_the_profiles_defaults(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    volunteer_id = _volunteer(app, state=VolunteerState.CLEARED, prepared=True)
    client = login_as("caseworker_ost")
    page = _html(client.get(f"/tjek/frivillige/{volunteer_id}/adgang"))
    assert "Vestre Fængsel" in page and "Standard: 365 dage" in page
    assert "Standard: 730 dage" in page
    assert "Enner Mark Fængsel" not in page  # Vest
    response = _grant(client, app, volunteer_id, "Vestre Fængsel", "KiF København")
    assert response.status_code == 302
    today = volunteer_status.today()
    volunteer = _load(app, volunteer_id)
    with app.app_context():
        until = {
            db.session.get(Institution, g.institution_id).name: g.valid_until  # type: ignore[union-attr]
            for g in volunteer.access_grants
        }
    assert until == {
        "Vestre Fængsel": today + timedelta(days=365),
        "KiF København": today + timedelta(days=730),
    }
    granted = [
        e.object_id
        for e in _audits(app, "volunteer.access_granted")
        if e.details["volunteer"] == str(volunteer_id)  # not the demo volunteers' grants
    ]
    assert len(granted) == 2
    assert sorted(granted) == sorted(str(g.id) for g in volunteer.access_grants)
    assert _events(app, volunteer_id) == ["access_granted"]
    assert sorted(m.to for m in outbox) == sorted([volunteer.email, NGO_A_ADMIN])
    assert all("Vestre Fængsel" in m.body and "KiF København" in m.body for m in outbox)
    with app.app_context():
        again = db.session.get(Volunteer, volunteer_id)
        assert again is not None
        assert volunteer_status.status_of(again) == "access_granted"


def test_an_explicit_expiry_date_and_its_limits(app: Flask, login_as: Any) -> None:
    volunteer_id = _volunteer(app, state=VolunteerState.CLEARED)
    client = login_as("caseworker_ost")
    today = volunteer_status.today()
    past = _grant(
        client,
        app,
        volunteer_id,
        "KiF København",
        valid_until=(today - timedelta(days=1)).isoformat(),
    )
    assert past.status_code == 400
    assert "Udløbsdatoen kan ikke ligge i fortiden." in _html(past)
    too_far = _grant(
        client,
        app,
        volunteer_id,
        "KiF København",
        valid_until=(today + timedelta(days=731)).isoformat(),
    )
    assert too_far.status_code == 400
    assert "højst gives i 730 dage" in _html(too_far)
    chosen = today + timedelta(days=90)
    ok = _grant(client, app, volunteer_id, "KiF København", valid_until=chosen.isoformat())
    assert ok.status_code == 302
    [grant] = _load(app, volunteer_id).access_grants
    assert (grant.valid_from, grant.valid_until) == (today, chosen)


def test_preparation_required_is_refused_until_the_ngo_records_it(
    app: Flask, login_as: Any
) -> None:
    volunteer_id = _volunteer(app, state=VolunteerState.CLEARED, name="Per Uforberedt")
    client = login_as("caseworker_ost")
    refused = _grant(client, app, volunteer_id, "Vestre Fængsel")
    assert refused.status_code == 400
    assert "Organisationen har ikke registreret, at Per Uforberedt er forberedt" in _html(refused)
    assert _load(app, volunteer_id).access_grants == []
    with app.app_context():
        db.session.add(
            Preparation(
                volunteer_id=volunteer_id,
                prepared_on=volunteer_status.today(),
                material="Kursus",
                prepared_by="Amalie Andersen",
            )
        )
        db.session.commit()
    assert _grant(client, app, volunteer_id, "Vestre Fængsel").status_code == 302


def test_access_is_refused_without_clearance_current_signatures_or_the_right_area(
    app: Flask, login_as: Any
) -> None:
    client = login_as("caseworker_ost")
    awaiting = _volunteer(app)
    response = _grant(client, app, awaiting, "KiF København")
    assert response.status_code == 400
    assert "Der kan kun gives adgang til en godkendt frivillig." in _html(response)

    unsigned = _volunteer(app, state=VolunteerState.CLEARED, signed=False)
    page = _html(client.get(f"/tjek/frivillige/{unsigned}/adgang"))
    assert "skal underskrive en ny version" in page
    assert _grant(client, app, unsigned, "KiF København").status_code == 400

    cleared = _volunteer(app, state=VolunteerState.CLEARED)
    response = _grant(client, app, cleared, "KiF Fyn")  # Vest
    assert response.status_code == 400
    assert "hører ikke under" in _html(response)
    response = client.post(
        f"/tjek/frivillige/{cleared}/adgang", data={"institutions": ["not-an-id"]}
    )
    assert response.status_code == 400
    assert _load(app, cleared).access_grants == []


def test_a_new_grant_replaces_the_active_one_for_the_same_institution(
    app: Flask, login_as: Any
) -> None:
    volunteer_id = _volunteer(app, state=VolunteerState.CLEARED, grants=(("KiF København", 20),))
    assert _grant(login_as("caseworker_ost"), app, volunteer_id, "KiF København").status_code == 302
    grants = sorted(_load(app, volunteer_id).access_grants, key=lambda g: g.valid_until)
    assert [g.end_reason for g in grants] == [AccessEndReason.RENEWAL, None]
    assert grants[1].valid_until == volunteer_status.today() + timedelta(days=730)


def test_revoke(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    volunteer_id = _volunteer(
        app,
        state=VolunteerState.CLEARED,
        grants=(("KiF København", 200), ("Pension Engelsborg", 200)),
    )
    volunteer = _load(app, volunteer_id)
    grant = next(g for g in volunteer.access_grants if g.valid_until)
    url = f"/tjek/adgang/{grant.id}/tilbagekald"
    assert login_as("caseworker_vest").post(url, data={"reason": "x"}).status_code == 404
    assert len(_audits(app, "access.denied", grant.id)) == 1
    client = login_as("caseworker_ost")
    empty = client.post(url, data={"reason": " "})
    assert empty.status_code == 400
    assert "Skriv en begrundelse for tilbagekaldelsen." in _html(empty)
    response = client.post(url, data={"reason": "Brud på sikkerhedsreglerne."})
    assert response.status_code == 302
    with app.app_context():
        ended = db.session.get(AccessGrant, grant.id)
        assert ended is not None
        assert ended.end_reason == AccessEndReason.REVOKED
        assert ended.end_text == "Brud på sikkerhedsreglerne."
        assert ended.ended_by_id == db_user_id(app, OST)
    assert len(_audits(app, "volunteer.access_revoked", grant.id)) == 1
    assert sorted(m.to for m in outbox) == sorted([volunteer.email, NGO_A_ADMIN])
    assert all("Brud på sikkerhedsreglerne." in m.body for m in outbox)
    # The other grant stands; revoking twice is refused.
    assert sum(g.ended_at is None for g in _load(app, volunteer_id).access_grants) == 1
    assert client.post(url, data={"reason": "igen"}).status_code == 400


# --- withdrawal of consent ---------------------------------------------------------------------


def test_withdrawal_ends_every_grant_and_tells_the_ngo_and_the_caseworkers(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    volunteer_id = _volunteer(
        app,
        state=VolunteerState.CLEARED,
        owner=ROLE_ACCOUNTS["volunteer"],
        grants=(("KiF København", 200), ("Pension Engelsborg", 20)),
    )
    client = login_as("volunteer")
    url = f"/mig/frivillig/{volunteer_id}/tilbagetraek"
    page = _html(client.get(url))
    assert "KiF København" in page and "Pension Engelsborg" in page
    response = client.post(url)
    assert response.status_code == 302
    volunteer = _load(app, volunteer_id)
    assert volunteer.state == VolunteerState.WITHDRAWN and volunteer.withdrawn_at is not None
    assert {g.end_reason for g in volunteer.access_grants} == {AccessEndReason.CONSENT_WITHDRAWN}
    assert _events(app, volunteer_id) == ["consent_withdrawn"]
    assert len(_audits(app, "volunteer.consent_withdrawn", volunteer_id)) == 1
    recipients = {m.to for m in outbox}
    assert {NGO_A_ADMIN, OST} <= recipients
    assert VEST not in recipients and ROLE_ACCOUNTS["ngo_b_admin"] not in recipients
    # Withdrawing again changes nothing.
    assert client.post(url).status_code == 400
    assert "Du trak dit samtykke tilbage" in _html(client.get(url))


def test_withdrawal_before_the_check_erases_the_cpr(app: Flask, login_as: Any) -> None:
    volunteer_id = _volunteer(app, owner=ROLE_ACCOUNTS["volunteer"])
    assert (
        login_as("volunteer").post(f"/mig/frivillig/{volunteer_id}/tilbagetraek").status_code == 302
    )
    volunteer = _load(app, volunteer_id)
    assert volunteer.state == VolunteerState.WITHDRAWN and volunteer.cpr_ciphertext is None


def test_another_persons_record_cannot_be_withdrawn(app: Flask, login_as: Any) -> None:
    volunteer_id = _volunteer(app)  # no account, or someone else's
    client = login_as("volunteer")
    assert client.get(f"/mig/frivillig/{volunteer_id}/tilbagetraek").status_code == 404
    assert client.post(f"/mig/frivillig/{volunteer_id}/tilbagetraek").status_code == 404
    assert len(_audits(app, "access.denied", volunteer_id)) == 2
    assert _load(app, volunteer_id).state == VolunteerState.AWAITING_CHECK


# --- the daily job -----------------------------------------------------------------------------


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)  # noon in Copenhagen


def test_expiry_reminders_once_and_expiry_once(app: Flask, outbox: list[Any]) -> None:
    volunteer_id = _volunteer(app, state=VolunteerState.CLEARED, grants=(("KiF København", 60),))
    volunteer = _load(app, volunteer_id)
    [grant] = volunteer.access_grants
    last_day = grant.valid_until

    def run(day: date) -> dict[str, int]:
        with app.app_context():
            counts = access_expiry.process_access_expiry(_noon(day))
            db.session.commit()
            return counts

    def mine() -> list[Any]:
        return [m for m in outbox if volunteer.name in m.body or volunteer.email == m.to]

    run(last_day - timedelta(days=31))
    assert mine() == []
    assert _load(app, volunteer_id).access_grants[0].expiry_reminded_at is None

    run(last_day - timedelta(days=30))
    assert sorted(m.to for m in mine()) == sorted([volunteer.email, NGO_A_ADMIN])
    assert all("nyt tjek" in m.body or "tjekker dig" in m.body for m in mine())
    assert run(last_day - timedelta(days=30)) == {
        "access_expired": 0,
        "volunteers_expired": 0,
        "access_reminded": 0,
    }
    run(last_day - timedelta(days=5))
    run(last_day)  # the last day of access: still valid
    assert len(mine()) == 2
    assert _load(app, volunteer_id).state == VolunteerState.CLEARED

    run(last_day + timedelta(days=1))
    after = _load(app, volunteer_id)
    assert after.state == VolunteerState.EXPIRED
    assert after.access_grants[0].end_reason == AccessEndReason.EXPIRED
    assert [m.to for m in mine()[2:]] == [NGO_A_ADMIN]
    run(last_day + timedelta(days=2))
    assert len(mine()) == 3
    assert _events(app, volunteer_id) == ["access_expired", "expired"]
    assert len(_audits(app, "volunteer.expired", volunteer_id)) == 1


def test_expiry_keeps_a_volunteer_with_other_access_cleared(app: Flask) -> None:
    volunteer_id = _volunteer(
        app,
        state=VolunteerState.CLEARED,
        grants=(("KiF København", 5), ("Pension Engelsborg", 300)),
    )
    with app.app_context():
        access_expiry.process_access_expiry(_noon(volunteer_status.today() + timedelta(days=6)))
        db.session.commit()
    volunteer = _load(app, volunteer_id)
    assert volunteer.state == VolunteerState.CLEARED
    assert sorted(str(g.end_reason) for g in volunteer.access_grants) == ["None", "expired"]


# --- for other parts ---------------------------------------------------------------------------


def test_awaiting_check_count_and_default_valid_until(app: Flask) -> None:
    _volunteer(app)
    _volunteer(app)
    _volunteer(app, organisation=ORG_B)
    with app.app_context():
        ost = db.session.scalar(select(User).where(User.email == OST))
        vest = db.session.scalar(select(User).where(User.email == VEST))
        assert ost is not None and vest is not None
        baseline = db.session.scalar(
            select(func.count())
            .select_from(Volunteer)
            .where(Volunteer.state == VolunteerState.AWAITING_CHECK)
        )
        assert clearance.awaiting_check_count(ost) + clearance.awaiting_check_count(vest) == (
            baseline
        )
        assert clearance.awaiting_check_count(ost) >= 2
        day = date(2027, 3, 1)
        assert clearance.default_valid_until(_institution("Vestre Fængsel"), day) == date(
            2028, 2, 29
        )
        assert clearance.default_valid_until(_institution("KiF København"), day) == day + timedelta(
            days=730
        )


@pytest.mark.parametrize("outcome", ["cleared", "not_cleared"])
def test_the_service_refuses_a_caseworker_of_another_office(app: Flask, outcome: str) -> None:
    volunteer_id = _volunteer(app)
    with app.test_request_context():
        volunteer = db.session.get(Volunteer, volunteer_id)
        vest = db.session.scalar(select(User).where(User.email == VEST))
        assert volunteer is not None and vest is not None
        with pytest.raises(clearance.ClearanceError):
            clearance.record_outcome(
                volunteer, vest, outcome=CheckOutcome(outcome), check_date=volunteer_status.today()
            )
        with pytest.raises(clearance.ClearanceError):
            clearance.reveal_cpr(volunteer, vest)


def test_a_change_between_reading_and_writing_is_a_conflict(app: Flask) -> None:
    """Another transaction moving the volunteer's version after we read it (simulated with a
    direct UPDATE) makes the write fail cleanly instead of acting on stale data."""
    awaiting = _volunteer(app)
    cleared = _volunteer(app, state=VolunteerState.CLEARED)
    with app.test_request_context():
        ost = db.session.scalar(select(User).where(User.email == OST))
        assert ost is not None
        for volunteer_id, change in (
            (
                awaiting,
                lambda v: clearance.record_outcome(
                    v, ost, outcome=CheckOutcome.CLEARED, check_date=volunteer_status.today()
                ),
            ),
            (
                cleared,
                lambda v: clearance.grant_access(v, ost, [_institution("KiF København")]),
            ),
        ):
            volunteer = db.session.get(Volunteer, volunteer_id)
            assert volunteer is not None
            db.session.execute(
                update(Volunteer)
                .where(Volunteer.id == volunteer_id)
                .values(version=Volunteer.version + 1)
                .execution_options(synchronize_session=False)
            )
            with pytest.raises(clearance.ConflictError):
                change(volunteer)
    assert _load(app, awaiting).state == VolunteerState.AWAITING_CHECK
    assert _load(app, cleared).access_grants == []
