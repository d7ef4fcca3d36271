"""The activity pages through the test client: the organisation proposes (checks, is refused
with the rules' own words and loses nothing, fixes it, sends), the institution decides (approves,
asks for changes, refuses), the organisation answers, withdraws, cancels and changes after
approval; another organisation's activity is a 404 and a stale page is a conflict."""

from __future__ import annotations

import re
import uuid
from datetime import date, time, timedelta
from typing import Any

from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal import db
from portal.models import (
    Activity,
    ActivityState,
    Institution,
    Organisation,
    Volunteer,
)
from portal.services import accounts, activities, activity_workflow, clearance
from portal.services.activities import Proposal
from portal.services.volunteer_status import today
from tests.roles import ROLE_ACCOUNTS

ORG_A = "Foreningen Nyt Netværk"
VESTRE = "Vestre Fængsel"  # arrest: 21 days' notice, at most 2, escort; no contact in the portal
STORSTROM = "Storstrøm Fængsel"  # closed: 21 days' notice, at most 3, escort; institution@...
METTE = "Mette Hansen"  # cleared, prepared, access at Vestre Fængsel and Horserød
BIRGITTE = "Birgitte Lund"  # cleared, access at Storstrøm (runs out in 20 days)
ALI = "Ali Hassan"  # awaiting the check


# --- helpers -----------------------------------------------------------------------------------


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


def _long(day: date) -> str:
    """A date as the rules' messages say it (Danish)."""
    return format_date(day, "d. MMMM y", locale="da")


def _in(days: int) -> date:
    return today() + timedelta(days=days)


def _institution_id(app: Flask, name: str) -> uuid.UUID:
    with app.app_context():
        found = db.session.scalar(select(Institution.id).where(Institution.name == name))
        assert found is not None
        return found


def _volunteer_id(app: Flask, name: str) -> uuid.UUID:
    with app.app_context():
        found = db.session.scalar(select(Volunteer.id).where(Volunteer.name == name))
        assert found is not None
        return found


def _user(role: str) -> Any:
    found = accounts.find_user_by_email(ROLE_ACCOUNTS[role])
    assert found is not None
    return found


def _grant(app: Flask, volunteer: str, institution: str, until: date) -> None:
    """The area office gives ``volunteer`` access to ``institution`` until ``until``
    (replacing an access there)."""
    with app.app_context():
        person = db.session.scalar(select(Volunteer).where(Volunteer.name == volunteer))
        place = db.session.scalar(select(Institution).where(Institution.name == institution))
        assert person is not None and place is not None
        clearance.grant_access(person, _user("caseworker_ost"), [place], valid_until=until)
        db.session.commit()


def _activity_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Activity)) or 0


def _load(app: Flask, activity_id: uuid.UUID) -> Activity:
    with app.app_context():
        found = db.session.get(Activity, activity_id)
        assert found is not None
        return found


def _form(app: Flask, institution: str = STORSTROM, **values: Any) -> dict[str, Any]:
    """A proposal as the form posts it (keeping every rule at Storstrøm Fængsel once Mette
    has access there); ``values`` replace or add fields."""
    data: dict[str, Any] = {
        "institution": str(_institution_id(app, institution)),
        "section": "",
        "kind": "leisure",
        "title": "Brætspilsaften",
        "description": "Vi spiller brætspil med de indsatte.",
        "target_group": "Indsatte i afdeling A",
        "place": "",
        "recurrence_kind": "once",
        "first_date": _in(30).strftime("%d.%m.%Y"),
        "until_date": "",
        "exceptions": "",
        "start_time": "18:00",
        "end_time": "20:00",
        "participants": [str(_volunteer_id(app, METTE))],
        "items": "Spil uden elektronik",
        "escort_arranged": "y",
        "send": "Send forslaget",
    }
    data.update(values)
    return {key: value for key, value in data.items() if value is not None}


def _propose(app: Flask, institution: str = STORSTROM, days: int = 30) -> uuid.UUID:
    """An activity of organisation A sent through the service (by its admin), keeping every
    rule; Mette gets access to the institution first."""
    _grant(app, METTE, institution, _in(days + 60))
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == ORG_A))
        assert organisation is not None
        proposal = Proposal(
            institution_id=_institution_id(app, institution),
            kind="leisure",
            title="Brætspilsaften",
            first_date=_in(days),
            start_time=time(18),
            end_time=time(20),
            participant_ids=(_volunteer_id(app, METTE),),
            escort_arranged=True,
        )
        activity = activities.propose(organisation, proposal, _user("ngo_a_admin"))
        db.session.commit()
        return activity.id


def _apply(app: Flask, activity_id: uuid.UUID, action: str, role: str, text: str = "") -> None:
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        assert activity is not None
        activity_workflow.apply(activity, action, _user(role), text=text)
        db.session.commit()


def _act(
    client: FlaskClient, activity_id: uuid.UUID, action: str, version: int, text: str = ""
) -> Any:
    return client.post(
        f"/aktiviteter/{activity_id}/handling",
        data={"action": action, "version": str(version), "text": text},
    )


def _act_now(
    app: Flask, client: FlaskClient, activity_id: uuid.UUID, action: str, text: str = ""
) -> Any:
    return _act(client, activity_id, action, _load(app, activity_id).version, text)


def _mailed_to(outbox: list[Any]) -> set[str]:
    return {message.to for message in outbox}


# --- proposing ---------------------------------------------------------------------------------


def test_the_form_shows_the_rules_of_the_chosen_institution(app: Flask, login_as: Any) -> None:
    client = login_as("ngo_a_admin")
    html = _html(client.get("/aktiviteter/ny"))
    assert "Tjek forslaget" in html and "Send forslaget" in html
    assert "Reglerne på" not in html
    vestre = _institution_id(app, VESTRE)
    html = _html(client.get(f"/aktiviteter/ny?institution={vestre}"))
    assert "Reglerne på Vestre Fængsel" in html
    assert "Mindst 21 dages varsel" in html
    assert "Højst 2 deltagere fra organisationen" in html
    assert "Undervisningsmateriale på papir" in html
    assert "Personale ledsager de frivillige" in html
    # Without JavaScript: the button reloads the form with what is typed kept.
    response = client.post(
        "/aktiviteter/ny",
        data={"institution": str(vestre), "title": "Halvfærdig", "choose": "Vis"},
    )
    assert response.status_code == 200
    html = _html(response)
    assert "Reglerne på Vestre Fængsel" in html and 'value="Halvfærdig"' in html
    assert "data-error-summary" not in html


def test_a_proposal_that_breaks_rules_is_refused_with_every_rule_named_and_nothing_lost(
    app: Flask, login_as: Any
) -> None:
    # Mette's access at Vestre Fængsel ends between the first and the second date.
    _grant(app, METTE, VESTRE, _in(40))
    mette, birgitte, ali = (_volunteer_id(app, n) for n in (METTE, BIRGITTE, ALI))
    before = _activity_count(app)
    client = login_as("ngo_a_admin")
    data = _form(
        app,
        VESTRE,
        recurrence_kind="weekly",
        first_date=_in(35).strftime("%d.%m.%Y"),
        until_date=_in(49).isoformat(),
        participants=[str(mette), str(birgitte), str(ali)],
        child_certificates=[str(birgitte)],
        escort_arranged=None,
        items="Undervisningsmateriale på papir",
        title="Læsecafé",
    )
    for button in ("check", "send"):
        data.pop("check", None)
        data.pop("send", None)
        data[button] = "x"
        response = client.post("/aktiviteter/ny", data=data)
        assert response.status_code == (200 if button == "check" else 400)
        html = _html(response)
        assert "data-error-summary" in html
        for message in (
            "Vestre Fængsel tillader højst 2 deltagere fra organisationen; der er valgt 3.",
            "Vestre Fængsel kræver, at personalet ledsager aktiviteten. Aftal ledsagelse med institutionen, og angiv det i forslaget.",
            f"Mette Hansen har ikke adgang til Vestre Fængsel den {_long(_in(42))}.",
            f"Mette Hansen har ikke adgang til Vestre Fængsel den {_long(_in(49))}.",
            "Ali Hassan er ikke godkendt til at deltage (status: Underskrevet, afventer tjek).",
        ):
            assert message in html, message
        # General problems first, then per person, each linking to the person's checkbox.
        assert html.index("tillader højst 2") < html.index(f'href="#participant-{mette}"')
        assert f'href="#participant-{ali}"' in html
        # Nothing is saved, and what was typed is still there.
        assert _activity_count(app) == before
        assert 'value="Læsecafé"' in html
        assert f'value="{_in(49).isoformat()}"' in html
        for person in (mette, birgitte, ali):
            assert re.search(rf'value="{person}" id="participant-{person}"[^>]* checked', html)
        assert re.search(rf'value="{birgitte}" id="certificate-{birgitte}" checked', html)
        assert not re.search(rf'value="{mette}" id="certificate-{mette}" checked', html)

    # Fixed: two people who may come, escort arranged, only dates with access.
    _grant(app, BIRGITTE, VESTRE, _in(60))
    data.update(
        participants=[str(mette), str(birgitte)],
        escort_arranged="y",
        recurrence_kind="once",
        until_date="",
    )
    data.pop("send", None)
    data["check"] = "x"
    html = _html(client.post("/aktiviteter/ny", data=data))
    assert "Forslaget overholder reglerne" in html and "data-error-summary" not in html
    assert _activity_count(app) == before
    data.pop("check")
    data["send"] = "x"
    response = client.post("/aktiviteter/ny", data=data)
    assert response.status_code == 302, _html(response)[:2000]
    assert _activity_count(app) == before + 1
    activity_id = uuid.UUID(response.headers["Location"].rsplit("/", 1)[1])
    activity = _load(app, activity_id)
    assert activity.state == ActivityState.SENT and activity.title == "Læsecafé"
    html = _html(client.get(response.headers["Location"]))
    assert "Forslaget er sendt til Vestre Fængsel" in html
    assert "Forslaget blev sendt" in html  # the history


def test_form_errors_are_shown_at_the_fields(app: Flask, login_as: Any) -> None:
    client = login_as("ngo_a_member")
    data = _form(app, title="", first_date="32.13.2027", end_time="17:00", check="x")
    data.pop("send")
    response = client.post("/aktiviteter/ny", data=data)
    assert response.status_code == 400
    html = _html(response)
    assert "Skriv en titel på aktiviteten." in html
    assert "Skriv datoen som dag.måned.år, fx 12.03.2027." in html
    assert 'href="#title"' in html and 'href="#first_date"' in html
    assert 'value="32.13.2027"' in html
    # A repetition needs an end, and an exception must be one of its dates.
    data = _form(app, recurrence_kind="weekly", exceptions="24.12.2099, ikke-en-dato")
    html = _html(client.post("/aktiviteter/ny", data=data))
    assert "\u201dikke-en-dato\u201d er ikke en dato" in html
    data = _form(app, recurrence_kind="weekly")
    html = _html(client.post("/aktiviteter/ny", data=data))
    assert "Skriv, hvornår gentagelsen slutter." in html
    data = _form(
        app,
        recurrence_kind="weekly",
        until_date=_in(44).strftime("%d.%m.%Y"),
        exceptions=_in(31).strftime("%d.%m.%Y"),
    )
    html = _html(client.post("/aktiviteter/ny", data=data))
    assert f"Undtagelsen {_long(_in(31))} er ikke en af aktivitetens datoer." in html
    data = _form(app, end_time="17:00")
    html = _html(client.post("/aktiviteter/ny", data=data))
    assert "Sluttidspunktet skal ligge efter starttidspunktet." in html


def test_the_staff_of_an_organisation_that_is_not_approved_cannot_propose(
    app: Flask, login_as: Any
) -> None:
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == ORG_A))
        assert organisation is not None
        from portal.models import OrganisationState

        organisation.state = OrganisationState.SUSPENDED
        db.session.commit()
    client = login_as("ngo_a_admin")
    html = _html(client.get("/aktiviteter/ny"))
    assert "Kun en godkendt organisations medarbejdere kan foreslå aktiviteter." in html
    assert "Foreslå en aktivitet</a>" not in _html(client.get("/aktiviteter"))
    assert client.post("/aktiviteter/ny", data=_form(app)).status_code == 400


# --- deciding ----------------------------------------------------------------------------------


def test_the_institution_contact_approves_from_the_queue(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    activity_id = _propose(app)
    client = login_as("institution")
    assert client.get("/aktiviteter").status_code == 302  # deciders go to their queue
    html = _html(client.get("/aktiviteter/behandling"))
    assert f"/aktiviteter/{activity_id}" in html and "Foreningen Nyt Netværk" in html
    html = _html(client.get(f"/aktiviteter/{activity_id}"))
    assert "data-check-now-ok" in html
    assert "Godkend aktiviteten" in html and "Bed om ændringer" in html and "Afvis" in html
    assert "Ret og send igen" not in html and "Træk forslaget tilbage" not in html
    outbox.clear()
    response = _act_now(app, client, activity_id, "approve", "Velkommen")
    assert response.status_code == 302
    activity = _load(app, activity_id)
    assert activity.state == ActivityState.APPROVED
    assert "ngo-a.admin@example.org" in _mailed_to(outbox)
    html = _html(client.get(f"/aktiviteter/{activity_id}"))
    assert "Aktiviteten er godkendt. Organisationen får besked på e-mail." in html
    assert "Velkommen" in html
    # The waiting queue is empty again; the approved ones are a filter away.
    assert f"/aktiviteter/{activity_id}" not in _html(client.get("/aktiviteter/behandling"))
    html = _html(client.get("/aktiviteter/behandling?state=approved"))
    assert f"/aktiviteter/{activity_id}" in html
    storstrom, vestre = _institution_id(app, STORSTROM), _institution_id(app, VESTRE)
    html = _html(client.get(f"/aktiviteter/behandling?state=all&institution={storstrom}"))
    assert f"/aktiviteter/{activity_id}" in html
    # A caseworker of the area office filters by institution.
    caseworker = login_as("caseworker_ost", app.test_client())
    html = _html(caseworker.get(f"/aktiviteter/behandling?state=all&institution={storstrom}"))
    assert f"/aktiviteter/{activity_id}" in html
    html = _html(caseworker.get(f"/aktiviteter/behandling?state=all&institution={vestre}"))
    assert f"/aktiviteter/{activity_id}" not in html


def test_approving_checks_the_rules_again_as_they_are_now(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    activity_id = _propose(app)
    # Mette's access at Storstrøm now ends before the activity's date.
    _grant(app, METTE, STORSTROM, _in(10))
    message = f"Mette Hansen har ikke adgang til Storstrøm Fængsel den {_long(_in(30))}."
    client = login_as("caseworker_ost")
    html = _html(client.get("/aktiviteter/behandling"))
    assert "Overholder ikke reglerne nu" in html
    html = _html(client.get(f"/aktiviteter/{activity_id}"))
    assert "Tjek af reglerne nu: der er problemer" in html and message in html
    outbox.clear()
    response = _act_now(app, client, activity_id, "approve")
    assert response.status_code == 400
    html = _html(response)
    assert "Aktiviteten kan ikke godkendes, fordi den ikke overholder reglerne" in html
    assert message in html
    assert _load(app, activity_id).state == ActivityState.SENT
    assert not outbox


def test_the_decider_asks_for_changes_and_the_organisation_answers(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    activity_id = _propose(app)
    decider = login_as("institution", app.test_client())
    outbox.clear()
    response = _act_now(app, decider, activity_id, "request_changes")
    assert response.status_code == 400
    assert "Skriv, hvad organisationen skal ændre." in _html(response)
    response = _act_now(app, decider, activity_id, "request_changes", "Start kl. 17 i stedet.")
    assert response.status_code == 302
    assert _load(app, activity_id).state == ActivityState.CHANGES_REQUESTED
    assert "ngo-a.admin@example.org" in _mailed_to(outbox)

    client = login_as("ngo_a_member")
    html = _html(client.get(f"/aktiviteter/{activity_id}"))
    assert "Start kl. 17 i stedet." in html and "Ret og send igen" in html
    html = _html(client.get(f"/aktiviteter/{activity_id}/ret"))
    assert "Institutionen har bedt om ændringer" in html and "Start kl. 17 i stedet." in html
    assert 'value="Brætspilsaften"' in html and 'value="18:00"' in html
    outbox.clear()
    data = _form(app, start_time="17:00", message="Nu kl. 17.")
    data["version"] = str(_load(app, activity_id).version)
    data.pop("send")
    data["send"] = "Send ændringen"
    response = client.post(f"/aktiviteter/{activity_id}/ret", data=data)
    assert response.status_code == 302, _html(response)[:3000]
    activity = _load(app, activity_id)
    assert activity.state == ActivityState.SENT and activity.start_time == time(17)
    assert "institution@example.org" in _mailed_to(outbox)
    html = _html(client.get(f"/aktiviteter/{activity_id}"))
    assert "Forslaget blev rettet og sendt igen" in html and "Nu kl. 17." in html


def test_the_decider_refuses_with_a_reason(app: Flask, login_as: Any) -> None:
    activity_id = _propose(app)
    client = login_as("institution")
    assert _act_now(app, client, activity_id, "refuse").status_code == 400
    response = _act_now(app, client, activity_id, "refuse", "Ingen plads i foråret.")
    assert response.status_code == 302
    assert _load(app, activity_id).state == ActivityState.REFUSED
    html = _html(login_as("ngo_a_admin").get(f"/aktiviteter/{activity_id}"))
    assert "Ingen plads i foråret." in html
    assert "Der er ingen handlinger" in html


# --- the organisation after sending ------------------------------------------------------------


def test_the_organisation_withdraws_a_proposal(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    activity_id = _propose(app)
    outbox.clear()
    client = login_as("ngo_a_admin")
    html = _html(client.get(f"/aktiviteter/{activity_id}"))
    assert "Træk forslaget tilbage" in html and "Godkend aktiviteten" not in html
    assert _act_now(app, client, activity_id, "withdraw").status_code == 302
    assert _load(app, activity_id).state == ActivityState.WITHDRAWN
    assert "institution@example.org" in _mailed_to(outbox)
    # A decision on a withdrawn proposal is refused with a message.
    response = _act_now(app, login_as("institution"), activity_id, "approve")
    assert response.status_code == 400
    assert "Det kan ikke lade sig gøre" in _html(response)


def test_a_cancellation_after_approval_tells_the_institution(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    activity_id = _propose(app)
    _apply(app, activity_id, "approve", "institution")
    outbox.clear()
    client = login_as("ngo_a_admin")
    assert _act_now(app, client, activity_id, "cancel").status_code == 400  # a reason is needed
    response = _act_now(app, client, activity_id, "cancel", "Vores frivillige er syge.")
    assert response.status_code == 302
    activity = _load(app, activity_id)
    assert activity.state == ActivityState.CANCELLED
    assert activity.cancel_reason == "Vores frivillige er syge."
    mails = [m for m in outbox if m.to == "institution@example.org"]
    assert mails and "Vores frivillige er syge." in mails[0].body


def test_a_change_after_approval_goes_back_for_approval(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    activity_id = _propose(app)
    _apply(app, activity_id, "approve", "institution")
    client = login_as("ngo_a_admin")
    html = _html(client.get(f"/aktiviteter/{activity_id}"))
    assert "Ændr aktiviteten" in html
    html = _html(client.get(f"/aktiviteter/{activity_id}/ret"))
    assert "data-back-for-approval" in html and "skal godkendes igen" in html
    data = _form(app, first_date=_in(37).strftime("%d.%m.%Y"), message="En uge senere.")
    data["version"] = str(_load(app, activity_id).version)
    outbox.clear()
    response = client.post(f"/aktiviteter/{activity_id}/ret", data=data)
    assert response.status_code == 302
    activity = _load(app, activity_id)
    assert activity.state == ActivityState.SENT and activity.first_date == _in(37)
    assert "institution@example.org" in _mailed_to(outbox)
    html = _html(client.get(f"/aktiviteter/{activity_id}"))
    assert "Aktiviteten skal godkendes igen, før ændringen gælder." in html
    assert "Ændret efter godkendelsen og sendt til ny godkendelse" in html


def test_both_sides_write_messages(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    activity_id = _propose(app)
    outbox.clear()
    client = login_as("ngo_a_admin")
    assert client.post(f"/aktiviteter/{activity_id}/besked", data={"text": ""}).status_code == 400
    response = client.post(f"/aktiviteter/{activity_id}/besked", data={"text": "Hvor mødes vi?"})
    assert response.status_code == 302
    assert "institution@example.org" in _mailed_to(outbox)
    outbox.clear()
    decider = login_as("institution", app.test_client())
    html = _html(decider.get(f"/aktiviteter/{activity_id}"))
    assert "Hvor mødes vi?" in html and "Skriv til organisationen" in html
    decider.post(f"/aktiviteter/{activity_id}/besked", data={"text": "Ved porten."})
    assert "ngo-a.admin@example.org" in _mailed_to(outbox)


# --- who sees what -----------------------------------------------------------------------------


def test_another_organisations_activity_is_not_found(app: Flask, login_as: Any) -> None:
    activity_id = _propose(app)
    client = login_as("ngo_b_admin")
    assert client.get(f"/aktiviteter/{activity_id}").status_code == 404
    assert client.get(f"/aktiviteter/{activity_id}/ret").status_code == 404
    assert _act_now(app, client, activity_id, "withdraw").status_code == 404
    assert f"/aktiviteter/{activity_id}" not in _html(client.get("/aktiviteter"))
    # Nor may B's admin choose organisation A's list.
    with app.app_context():
        org_a = db.session.scalar(select(Organisation.id).where(Organisation.name == ORG_A))
    assert client.get(f"/aktiviteter?organisation={org_a}").status_code == 404
    # Nor is it in the queue of the other area office.
    other = login_as("caseworker_vest", app.test_client())
    assert f"/aktiviteter/{activity_id}" not in _html(other.get("/aktiviteter/behandling"))
    assert other.get(f"/aktiviteter/{activity_id}").status_code == 404


def test_the_admin_reads_every_activity_without_acting(app: Flask, login_as: Any) -> None:
    activity_id = _propose(app)
    client = login_as("admin")
    html = _html(client.get("/aktiviteter"))
    assert f"/aktiviteter/{activity_id}" in html and "Foreningen Nyt Netværk" in html
    html = _html(client.get(f"/aktiviteter/{activity_id}"))
    assert "Du kan se aktiviteten, men ikke behandle eller ændre den." in html
    assert "Godkend aktiviteten" not in html


def _waiting(html: str, pattern: str) -> int:
    found = re.search(pattern, html)
    return int(found.group(1)) if found else 0


def test_the_organisations_list_and_dashboard(app: Flask, login_as: Any) -> None:
    member = login_as("ngo_a_member")
    contact = login_as("institution", app.test_client())
    ngo_waiting = r"(\d+) forslag venter på institution(?:ens|ernes) afgørelse"
    contact_waiting = r"(\d+) aktivitet(?:er)? venter på din afgørelse"
    before_ngo = _waiting(_html(member.get("/overblik")), ngo_waiting)
    before_contact = _waiting(_html(contact.get("/overblik")), contact_waiting)
    activity_id = _propose(app)
    html = _html(member.get("/aktiviteter"))
    assert f"/aktiviteter/{activity_id}" in html and "Afventer afgørelse" in html
    assert f"/aktiviteter/{activity_id}" not in _html(member.get("/aktiviteter?state=approved"))
    html = _html(member.get("/overblik"))
    assert _waiting(html, ngo_waiting) == before_ngo + 1
    assert 'href="/aktiviteter"' in html  # the navigation
    html = _html(contact.get("/overblik"))
    assert _waiting(html, contact_waiting) == before_contact + 1
    assert "Aktiviteter til behandling" in html


# --- conflicts ---------------------------------------------------------------------------------


def test_an_action_on_a_stale_page_is_a_conflict(app: Flask, login_as: Any) -> None:
    activity_id = _propose(app)
    seen = _load(app, activity_id).version
    _apply(app, activity_id, "approve", "institution")  # meanwhile
    client = login_as("ngo_a_admin")
    response = _act(client, activity_id, "withdraw", seen, "Vi trækker det.")
    assert response.status_code == 409
    html = _html(response)
    assert "Aktiviteten er ændret af en anden" in html
    assert "Aktiviteten er blevet ændret af en anden, mens du så på den." in html
    assert _load(app, activity_id).state == ActivityState.APPROVED
    # The change form, too: what is typed stays, and the version is the current one.
    data = _form(app, title="Ny titel")
    data["version"] = str(seen)
    response = client.post(f"/aktiviteter/{activity_id}/ret", data=data)
    assert response.status_code == 409
    html = _html(response)
    assert 'value="Ny titel"' in html
    assert f'value="{_load(app, activity_id).version}"' in html
    assert _load(app, activity_id).title == "Brætspilsaften"
