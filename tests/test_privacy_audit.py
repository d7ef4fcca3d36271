"""The DPO's view of the audit log: filters by person (as actor and as object), action, object
and period, pagination, the CSV (itself audited), the chain's verification shown (also when it
is broken), bad input; and every sensitive read (the CPR reveal, a check outcome seen, each CSV
export, a document download) found there by the person or the object it was about.

Every test makes its own people and entries with names no demo row has, and filters to them.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from portal import audit, cpr, db
from portal.models import (
    AuditEntry,
    CheckOutcome,
    DataSubjectRequest,
    Document,
    GrantRound,
    Organisation,
    OwnerType,
    SubjectRequestChannel,
    SubjectRequestKind,
    User,
    Volunteer,
    VolunteerState,
)
from portal.services import accounts
from portal.services.audit_search import day_start, find_person
from tests.roles import ROLE_ACCOUNTS

URL = "/databeskyttelse/revisionslog"
CSV_URL = "/databeskyttelse/revisionslog.csv"
ORG_A = "Foreningen Nyt Netværk"  # area Øst


# --- helpers -----------------------------------------------------------------------------------


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


def _csv(response: Any) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def _entry_ids(html: str) -> list[int]:
    """The ids of the entries a page lists, in order."""
    ids = []
    for part in html.split('data-entry="')[1:]:
        ids.append(int(part.split('"', 1)[0]))
    return ids


def _user(app: Flask, name: str) -> uuid.UUID:
    """A fresh account (its creation is itself an entry about it)."""
    with app.test_request_context():
        email = f"{name.lower().replace(' ', '.')}@example.org"
        user = accounts.create_user(email, name, None)
        db.session.commit()
        return user.id


def _record(app: Flask, action: str, *, at: datetime | None = None, **kwargs: Any) -> int:
    """One entry, written as the app writes it (at ``at`` if given)."""
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.44"}):
        if at is None:
            entry = audit.record(action, **kwargs)
        else:
            original = audit.utcnow
            audit.utcnow = lambda: at  # type: ignore[assignment]
            try:
                entry = audit.record(action, **kwargs)
            finally:
                audit.utcnow = original  # type: ignore[assignment]
        db.session.commit()
        return entry.id


def _volunteer(
    app: Flask, name: str, *, state: VolunteerState, user_id: uuid.UUID | None = None
) -> uuid.UUID:
    """A volunteer of organisation A: awaiting the check (with a CPR number) or checked."""
    with app.app_context():
        organisation_id = db.session.scalar(
            select(Organisation.id).where(Organisation.name == ORG_A)
        )
        signed_at = datetime.now(UTC) - timedelta(days=5)
        volunteer = Volunteer(
            organisation_id=organisation_id,
            name=name,
            email=f"{uuid.uuid4().hex[:10]}@example.org",
            birth_date=date(1990, 1, 1),
            state=state,
            signed_at=signed_at,
            user_id=user_id,
        )
        if state == VolunteerState.CLEARED:
            volunteer.check_outcome = CheckOutcome.CLEARED_AFTER_ASSESSMENT
            volunteer.check_reason = "Gammel dom uden betydning for besøg"
            volunteer.check_date = signed_at.date()
            volunteer.checked_at = signed_at
        db.session.add(volunteer)
        db.session.flush()
        if state == VolunteerState.AWAITING_CHECK:
            volunteer.cpr_ciphertext = cpr.encrypt("0101901234", volunteer.id)
        db.session.commit()
        return volunteer.id


def _user_id(app: Flask, role: str) -> str:
    with app.app_context():
        return str(db.session.scalar(select(User.id).where(User.email == ROLE_ACCOUNTS[role])))


def _entries(app: Flask, action: str, **where: Any) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.action == action)
        for column, value in where.items():
            query = query.where(getattr(AuditEntry, column) == value)
        return list(db.session.scalars(query.order_by(AuditEntry.id)))


def _dpo_sees(client: Any, entry_id: int, **params: str) -> str:
    """The DPO's page filtered by ``params`` lists the entry."""
    response = client.get(URL, query_string=params)
    assert response.status_code == 200, _html(response)[:500]
    html = _html(response)
    assert entry_id in _entry_ids(html), (params, _entry_ids(html)[:10])
    return html


# --- the page ----------------------------------------------------------------------------------


def test_the_page_shows_the_chain_verified_and_the_newest_entries_first(
    app: Flask, login_as: Any
) -> None:
    first = _record(app, "test_audit.first", object_type="thing", object_id="A-1")
    second = _record(app, "test_audit.second", object_type="thing", object_id="A-2")
    response = login_as("dpo").get(URL)
    assert response.status_code == 200
    html = _html(response)
    assert 'data-chain-status="ok"' in html
    assert "Loggen er ubrudt" in html
    with app.app_context():
        assert f"Alle {audit.verify_chain(db.session).checked} poster er kontrolleret" in html
    ids = _entry_ids(html)
    assert ids[:2] == [second, first]
    assert ids == sorted(ids, reverse=True)
    # Action, raw action, object and IP; the details in a <details> row.
    assert "test_audit.second" in html and "A-2" in html and "192.0.2.44" in html
    assert "<details" in html and "data-entry-details" in html


def test_common_actions_read_in_danish(app: Flask, login_as: Any) -> None:
    volunteer_id = uuid.uuid4()
    entry = _record(app, "volunteer.cpr_revealed", object_type="volunteer", object_id=volunteer_id)
    html = _dpo_sees(login_as("dpo"), entry, object_type="volunteer", object_id=str(volunteer_id))
    assert "CPR-nummer vist" in html and "Frivillig" in html


def test_filter_by_person_as_actor_and_as_object(app: Flask, login_as: Any) -> None:
    zach = _user(app, "Zacharias Revisionsen")
    other = _user(app, "Ottilie Andersen-Revision")
    volunteer = _volunteer(app, "Zacharias Revisionsen", state=VolunteerState.CLEARED, user_id=zach)
    as_actor = _record(
        app, "test_audit.did", actor_id=str(zach), actor_label="zacharias.revisionsen@example.org"
    )
    as_object = _record(app, "test_audit.about", object_type="user", object_id=zach)
    as_volunteer = _record(app, "test_audit.about", object_type="volunteer", object_id=volunteer)
    # By the table's name, as the permission checks write it.
    as_table = _record(app, "access.denied", object_type="user_account", object_id=zach)
    others = [
        _record(app, "test_audit.did", actor_id=str(other), actor_label="ottilie@example.org"),
        _record(app, "test_audit.about", object_type="user", object_id=other),
        _record(app, "test_audit.about", object_type="organisation", object_id=zach),
    ]
    client = login_as("dpo")
    for search_text in ("zacharias revisionsen", "zacharias.revisionsen@example"):
        html = _html(client.get(URL, query_string={"person": search_text}))
        ids = _entry_ids(html)
        for entry in (as_actor, as_object, as_volunteer, as_table):
            assert entry in ids, (search_text, entry)
        assert not set(others) & set(ids)
        # The account's own creation is about them too.
        assert _entries(app, "user.created", object_id=str(zach))[0].id in ids
        assert "data-person-match" in html and "Zacharias Revisionsen" in html

    nobody = _html(client.get(URL, query_string={"person": "Ingen-Hedder-Sådan"}))
    assert _entry_ids(nobody) == []
    assert "Ingen brugere eller frivillige matcher" in nobody


def test_person_search_finds_entries_under_an_address_no_account_has_any_more(
    app: Flask, login_as: Any
) -> None:
    entry = _record(app, "test_audit.did", actor_label="tidligere.bruger@example.org")
    with app.app_context():
        assert not find_person("tidligere.bruger@example.org").found
        assert not find_person("tidligere.bruger").found
    client = login_as("dpo")
    _dpo_sees(client, entry, person="Tidligere.Bruger@example.org")
    # Only the whole address: part of one matches no account and so nothing.
    assert _entry_ids(_html(client.get(URL, query_string={"person": "tidligere.bruger"}))) == []


def test_filter_by_action_exact_and_by_area(app: Flask, login_as: Any) -> None:
    viewed = _record(app, "test_area.viewed", object_type="thing", object_id="1")
    changed = _record(app, "test_area.changed", object_type="thing", object_id="1")
    elsewhere = _record(app, "test_other.viewed", object_type="thing", object_id="1")
    client = login_as("dpo")
    exact = _entry_ids(_html(client.get(URL, query_string={"action": "test_area.viewed"})))
    assert viewed in exact and changed not in exact and elsewhere not in exact
    page = client.get(URL, query_string={"action": "test_area.*"})
    assert page.status_code == 200
    area = _entry_ids(_html(page))
    assert {viewed, changed} <= set(area) and elsewhere not in area
    assert set(area) == {e.id for e in _entries(app, "test_area.viewed")} | {
        e.id for e in _entries(app, "test_area.changed")
    }


def test_filter_by_object(app: Flask, login_as: Any) -> None:
    target = str(uuid.uuid4())
    mine = _record(app, "test_audit.about", object_type="grant_application", object_id=target)
    same_id_other_type = _record(app, "test_audit.about", object_type="thing", object_id=target)
    client = login_as("dpo")
    ids = _entry_ids(
        _html(
            client.get(URL, query_string={"object_type": "grant_application", "object_id": target})
        )
    )
    assert ids == [mine]
    by_id = _entry_ids(_html(client.get(URL, query_string={"object_id": target})))
    assert by_id == [same_id_other_type, mine]
    by_type = _entry_ids(_html(client.get(URL, query_string={"object_type": "thing"})))
    assert same_id_other_type in by_type and mine not in by_type


def test_filter_by_period_uses_danish_calendar_days(app: Flask, login_as: Any) -> None:
    # 11 March 2027 23:59 in Copenhagen (UTC+1) is 22:59 UTC; the 12th begins at 23:00 UTC.
    before = _record(app, "test_period.x", at=datetime(2027, 3, 11, 22, 59, tzinfo=UTC))
    first = _record(app, "test_period.x", at=datetime(2027, 3, 11, 23, 0, tzinfo=UTC))
    # Summer time (UTC+2): 1 July 23:30 in Copenhagen is 21:30 UTC, the 2nd at 22:00 UTC.
    last = _record(app, "test_period.x", at=datetime(2027, 7, 1, 21, 30, tzinfo=UTC))
    after = _record(app, "test_period.x", at=datetime(2027, 7, 1, 22, 0, tzinfo=UTC))
    assert day_start(date(2027, 3, 12)) == datetime(2027, 3, 11, 23, 0, tzinfo=UTC)
    client = login_as("dpo")
    params = {"action": "test_period.x", "date_from": "12.03.2027", "date_to": "2027-07-01"}
    assert _entry_ids(_html(client.get(URL, query_string=params))) == [last, first]
    only_from = _entry_ids(
        _html(client.get(URL, query_string={"action": "test_period.x", "date_from": "02.07.2027"}))
    )
    assert only_from == [after]
    only_to = _entry_ids(
        _html(client.get(URL, query_string={"action": "test_period.x", "date_to": "11.03.2027"}))
    )
    assert only_to == [before]
    one_day = {"action": "test_period.x", "date_from": "12.03.2027", "date_to": "12.03.2027"}
    assert _entry_ids(_html(client.get(URL, query_string=one_day))) == [first]
    # The page shows times on the Copenhagen clock.
    assert "12.03.2027 00:00:00" in _html(client.get(URL, query_string=one_day))


def test_filters_combine(app: Flask, login_as: Any) -> None:
    zach = _user(app, "Zeno Kombinationsen")
    at = datetime(2027, 5, 5, 10, 0, tzinfo=UTC)
    match = _record(
        app, "test_combo.seen", at=at, actor_id=str(zach), object_type="thing", object_id="k-1"
    )
    _record(app, "test_combo.seen", at=at, actor_id=str(zach), object_type="thing", object_id="k-2")
    _record(
        app, "test_combo.other", at=at, actor_id=str(zach), object_type="thing", object_id="k-1"
    )
    _record(app, "test_combo.seen", at=at, object_type="thing", object_id="k-1")
    _record(
        app,
        "test_combo.seen",
        at=at + timedelta(days=3),
        actor_id=str(zach),
        object_type="thing",
        object_id="k-1",
    )
    params = {
        "person": "Zeno Kombinationsen",
        "action": "test_combo.seen",
        "object_type": "thing",
        "object_id": "k-1",
        "date_from": "05.05.2027",
        "date_to": "06.05.2027",
    }
    assert _entry_ids(_html(login_as("dpo").get(URL, query_string=params))) == [match]


def test_pagination_newest_first_with_the_filter_kept(app: Flask, login_as: Any) -> None:
    made = [
        _record(app, "test_pages.entry", object_type="thing", object_id=n) for n in range(1, 61)
    ]
    client = login_as("dpo")
    first = _html(client.get(URL, query_string={"action": "test_pages.entry"}))
    assert "60 poster fundet" in first
    assert _entry_ids(first) == list(reversed(made))[:50]
    assert "action=test_pages.entry" in first and "page=2" in first
    second = _html(client.get(URL, query_string={"action": "test_pages.entry", "page": 2}))
    assert _entry_ids(second) == list(reversed(made))[50:]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "31.02.2027"}, "Skriv datoen som dag.måned.år"),
        ({"date_to": "i går"}, "Skriv datoen som dag.måned.år"),
        (
            {"date_from": "12.03.2027", "date_to": "11.03.2027"},
            "Til-datoen skal være samme dag som fra-datoen eller senere",
        ),
        ({"action": "no_such.action"}, "Vælg en af mulighederne"),
        ({"object_id": "x" * 65}, "Et id er højst 64 tegn"),
    ],
)
def test_bad_filter_is_400_with_the_message_and_the_input_kept(
    app: Flask, login_as: Any, params: dict[str, str], message: str
) -> None:
    client = login_as("dpo")
    for url in (URL, CSV_URL):
        response = client.get(url, query_string={"person": "Behold mig", **params})
        assert response.status_code == 400, url
        html = _html(response)
        assert message in html
        assert 'value="Behold mig"' in html
        assert "data-audit-entries" not in html
        assert 'data-chain-status="ok"' in html
    assert not _entries(app, "audit.exported", actor_id=_user_id(app, "dpo"))


def test_only_the_dpo_sees_the_log(app: Flask, login_as: Any) -> None:
    for role in ("admin", "caseworker_ost", "grant_officer"):
        assert login_as(role).get(URL).status_code == 403
        assert login_as(role).get(CSV_URL).status_code == 403


# --- the CSV -----------------------------------------------------------------------------------


def test_csv_holds_the_filtered_entries_and_its_export_is_audited(
    app: Flask, login_as: Any
) -> None:
    plain = _record(
        app, "test_csv.entry", object_type="thing", object_id="c-1", details={"note": "Æble"}
    )
    formula = _record(app, "test_csv.entry", object_type="thing", object_id="=HYPERLINK(1)")
    _record(app, "test_csv.other", object_type="thing", object_id="c-3")
    client = login_as("dpo")
    response = client.get(CSV_URL, query_string={"action": "test_csv.entry"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "revisionslog-" in response.headers["Content-Disposition"]
    rows = _csv(response)
    header = rows[0]
    assert header[:4] == ["Nr.", "Tidspunkt (dansk tid)", "Tidspunkt (UTC)", "Bruger"]
    assert "Handling (kode)" in header and "Hash" in header
    body = rows[1:]
    assert [int(row[0]) for row in body] == [formula, plain]
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in body}
    assert by_id[plain]["Objekt-id"] == "c-1"
    assert by_id[plain]["IP-adresse"] == "192.0.2.44"
    assert by_id[plain]["Detaljer"] == '{"note": "Æble"}'
    assert by_id[plain]["Bruger"] == "Ikke logget ind"
    # csv_export neutralises a cell that a spreadsheet would run as a formula.
    assert by_id[formula]["Objekt-id"] == "'=HYPERLINK(1)"

    exports = _entries(app, "audit.exported", actor_id=_user_id(app, "dpo"))
    assert len(exports) == 1
    assert exports[0].details == {
        "filter": {"action": "test_csv.entry"},
        "rows": 2,
        "truncated": False,
    }
    assert exports[0].ip_address
    # The export shows in the DPO's own view, under the export's action.
    _dpo_sees(client, exports[0].id, action="audit.exported")


def test_csv_is_capped_with_a_note(app: Flask, login_as: Any, monkeypatch: Any) -> None:
    from portal.blueprints.privacy import audit_routes

    monkeypatch.setattr(audit_routes, "CSV_MAX_ROWS", 2)
    made = [_record(app, "test_cap.entry") for _ in range(3)]
    client = login_as("dpo")
    page = _html(client.get(URL, query_string={"action": "test_cap.entry"}))
    assert "CSV-filen indeholder højst de nyeste 2 poster" in page
    rows = _csv(client.get(CSV_URL, query_string={"action": "test_cap.entry"}))
    assert [int(row[0]) for row in rows[1:3]] == [made[2], made[1]]
    assert rows[3][0].startswith("Filen er afkortet: kun de nyeste 2 af 3 poster")
    export = _entries(app, "audit.exported", actor_id=_user_id(app, "dpo"))[-1]
    assert export.details["truncated"] is True


# --- a broken chain ----------------------------------------------------------------------------


def test_a_broken_chain_is_shown_as_broken(app: Flask, login_as: Any) -> None:
    _record(app, "test_chain.entry")
    target = _record(app, "test_chain.entry")
    _record(app, "test_chain.entry")
    with app.app_context():
        session = db.session
        if session.get_bind().dialect.name == "postgresql":
            # The append-only trigger refuses the change; off for this rolled-back test only.
            session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        session.execute(
            text("UPDATE audit_entry SET action = 'test_chain.tampered' WHERE id = :id"),
            {"id": target},
        )
        session.commit()
    response = login_as("dpo").get(URL)
    assert response.status_code == 200
    html = _html(response)
    assert 'data-chain-status="broken"' in html
    assert f"Loggen er brudt ved post nr. {target}" in html
    assert "Posten er ændret" in html
    assert "Loggen er ubrudt" not in html


# --- sensitive reads in the log ----------------------------------------------------------------


def test_cpr_reveal_is_in_the_log_by_person_and_by_object(app: Flask, login_as: Any) -> None:
    volunteer = _volunteer(app, "Xenia Cprsen", state=VolunteerState.AWAITING_CHECK)
    caseworker = login_as("caseworker_ost", app.test_client())
    assert caseworker.post(f"/tjek/frivillige/{volunteer}/cpr").status_code == 200
    # Showing the page before the check records no outcome read: there is none yet.
    assert caseworker.get(f"/tjek/frivillige/{volunteer}").status_code == 200
    assert not _entries(app, "volunteer.check_outcome_viewed", object_id=str(volunteer))
    [entry] = _entries(app, "volunteer.cpr_revealed", object_id=str(volunteer))
    assert entry.actor_id == _user_id(app, "caseworker_ost")
    client = login_as("dpo")
    html = _dpo_sees(client, entry.id, person="Xenia Cprsen")
    assert "CPR-nummer vist" in html and "0101901234" not in html and "010190-1234" not in html
    _dpo_sees(client, entry.id, object_type="volunteer", object_id=str(volunteer))
    _dpo_sees(client, entry.id, person=ROLE_ACCOUNTS["caseworker_ost"])


def test_check_outcome_seen_by_staff_is_in_the_log(app: Flask, login_as: Any) -> None:
    owner = _user(app, "Yrsa Udfaldsen")
    volunteer = _volunteer(app, "Yrsa Udfaldsen", state=VolunteerState.CLEARED, user_id=owner)
    caseworker = login_as("caseworker_ost", app.test_client())
    page = caseworker.get(f"/tjek/frivillige/{volunteer}")
    assert page.status_code == 200 and "Gammel dom uden betydning" in _html(page)
    ngo = login_as("ngo_a_admin", app.test_client())
    assert ngo.get(f"/frivillige/{volunteer}").status_code == 200

    entries = _entries(app, "volunteer.check_outcome_viewed", object_id=str(volunteer))
    assert [(e.actor_id, e.details) for e in entries] == [
        (_user_id(app, "caseworker_ost"), {"page": "clearance", "reason_shown": True}),
        (_user_id(app, "ngo_a_admin"), {"page": "organisation", "reason_shown": False}),
    ]
    client = login_as("dpo")
    for entry in entries:
        html = _dpo_sees(client, entry.id, person="Yrsa Udfaldsen")
        assert "Resultat af tjek i Kriminalregistret set" in html
        _dpo_sees(client, entry.id, object_type="volunteer", object_id=str(volunteer))
    # The outcome and the reason stay out of the log.
    assert "Gammel dom" not in _html(client.get(URL, query_string={"person": "Yrsa Udfaldsen"}))


def test_the_volunteers_own_page_records_no_outcome_read(app: Flask, login_as: Any) -> None:
    mette = db_volunteer_id(app, "volunteer@example.org")
    assert login_as("volunteer").get("/mig/frivillig").status_code == 200
    assert not _entries(app, "volunteer.check_outcome_viewed", object_id=str(mette))


def db_volunteer_id(app: Flask, email: str) -> uuid.UUID:
    with app.app_context():
        found = db.session.scalar(select(Volunteer.id).where(Volunteer.email == email))
        assert found is not None
        return found


def _org_a(app: Flask) -> str:
    with app.app_context():
        return str(db.session.scalar(select(Organisation.id).where(Organisation.name == ORG_A)))


def test_volunteer_csv_export_is_in_the_log(app: Flask, login_as: Any) -> None:
    response = login_as("ngo_a_admin", app.test_client()).get("/frivillige/eksport.csv")
    assert response.status_code == 200
    [entry] = _entries(app, "volunteer.exported", actor_id=_user_id(app, "ngo_a_admin"))
    assert entry.object_id == _org_a(app)
    html = _dpo_sees(login_as("dpo"), entry.id, object_type="organisation", object_id=_org_a(app))
    assert "Frivillige hentet som CSV" in html
    _dpo_sees(login_as("dpo"), entry.id, person=ROLE_ACCOUNTS["ngo_a_admin"])


def test_case_csv_export_is_in_the_log(app: Flask, login_as: Any) -> None:
    response = login_as("caseworker_ost", app.test_client()).get("/sager.csv?status=all")
    assert response.status_code == 200
    [entry] = _entries(app, "organisation.exported", actor_id=_user_id(app, "caseworker_ost"))
    assert entry.details["filter"] == {"status": "all"}
    assert entry.details["count"] == len(_csv(response)) - 1
    html = _dpo_sees(login_as("dpo"), entry.id, action="organisation.exported")
    assert "Sager hentet som CSV" in html


def test_user_csv_export_is_in_the_log(app: Flask, login_as: Any) -> None:
    response = login_as("admin", app.test_client()).get("/admin/brugere.csv?role=dpo")
    assert response.status_code == 200
    [entry] = _entries(app, "user.exported", actor_id=_user_id(app, "admin"))
    assert entry.details == {"filter": {"role": "dpo"}, "count": len(_csv(response)) - 1}
    html = _dpo_sees(login_as("dpo"), entry.id, action="user.exported", object_type="user")
    assert "Brugerlisten hentet som CSV" in html


def test_grant_round_csv_export_is_in_the_log(app: Flask, login_as: Any) -> None:
    with app.app_context():
        round_id = str(db.session.scalar(select(GrantRound.id).limit(1)))
    officer = login_as("grant_officer", app.test_client())
    assert officer.get(f"/tilskud/runder/{round_id}/ansoegninger.csv").status_code == 200
    [entry] = _entries(app, "grant_round.export", actor_id=_user_id(app, "grant_officer"))
    html = _dpo_sees(login_as("dpo"), entry.id, object_type="grant_round", object_id=round_id)
    assert "Ansøgninger hentet som CSV" in html


def test_a_download_of_a_persons_own_document_is_found_under_that_person(
    app: Flask, login_as: Any
) -> None:
    with app.app_context():
        owner = db.session.scalar(select(User.id).where(User.email == ROLE_ACCOUNTS["volunteer"]))
        document = db.session.scalar(
            select(Document).where(
                Document.owner_type == OwnerType.USER, Document.owner_id == owner
            )
        )
        assert document is not None
        document_id = document.id
    download = login_as("volunteer", app.test_client()).get(f"/dokumenter/{document_id}")
    assert download.status_code == 200
    download.close()
    [entry] = _entries(app, "document.downloaded", object_id=str(document_id))
    assert entry.details == {"owner_type": "user", "owner_id": str(owner)}
    html = _dpo_sees(login_as("dpo"), entry.id, person="Mette Hansen")
    assert "Dokument hentet" in html


def test_a_request_received_by_letter_is_found_under_the_name_it_gives(
    app: Flask, login_as: Any
) -> None:
    with app.app_context():
        request = DataSubjectRequest(
            kind=SubjectRequestKind.ACCESS,
            channel=SubjectRequestChannel.LETTER,
            subject_name="Quirin Brevsen",
            subject_email="quirin.brevsen@example.net",
            due_on=date(2027, 4, 1),
            original_due_on=date(2027, 4, 1),
        )
        db.session.add(request)
        db.session.commit()
        request_id = request.id
    entry = _record(
        app, "privacy.request_create", object_type="data_subject_request", object_id=request_id
    )
    html = _dpo_sees(login_as("dpo"), entry, person="Quirin Brevsen")
    assert "anmodning fra registreret" in html
    assert "Anmodning fra registreret modtaget" in html


def test_the_check_starts_from_the_checkpoint_after_pruning(app: Flask, login_as: Any) -> None:
    if not hasattr(audit, "prune"):
        pytest.skip("the audit log is not pruned yet")
    kept = _record(app, "test_prune.kept", at=datetime(2099, 1, 1, tzinfo=UTC))
    with app.test_request_context():
        result = audit.prune(db.session, datetime(2098, 1, 1, tzinfo=UTC))
        db.session.commit()
        assert result.checkpoint is not None and result.checkpoint.first_kept_id == kept
    html = _html(login_as("dpo").get(URL))
    assert 'data-chain-status="ok"' in html
    assert "data-checkpoint" in html
    assert f"Kontrollen begynder ved post nr. {kept}" in html
