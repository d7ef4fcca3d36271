"""The organisation's side of volunteers through the test client and the service: registration
and duplicates, tenants, the CSV import with good and bad files, new links, the invitation
reminders with explicit times, renewal, preparation, and what the organisation never sees."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal import db
from portal.db import utcnow
from portal.models import (
    AccessEndReason,
    AccessGrant,
    AuditEntry,
    CheckOutcome,
    IdentityMethod,
    Institution,
    Organisation,
    OrganisationState,
    Preparation,
    Role,
    Signature,
    User,
    Volunteer,
    VolunteerEvent,
    VolunteerState,
)
from portal.services import accounts, invitation_reminders, volunteer_links, volunteers
from portal.services.volunteer_status import (
    VolunteerStatus,
    current_versions,
    required_kinds,
    status_of,
)
from portal.services.volunteers import NewVolunteer

ORG_A = "Foreningen Nyt Netværk"  # Øst, approved; admin Amalie Andersen, member Mads Madsen
ORG_B = "Vestjyske Besøgsvenner"  # Vest, approved; admin Bente Bach
HEADER = "navn;email;telefon;foedselsdato;besoegsven"
LINK = re.compile(r"/underskriv/([A-Za-z0-9_-]+)")


# --- helpers ---------------------------------------------------------------------------------


def _org_id(app: Flask, name: str = ORG_A) -> uuid.UUID:
    with app.app_context():
        found = db.session.scalar(select(Organisation.id).where(Organisation.name == name))
        assert found is not None, name
        return found


def _volunteer(
    app: Flask,
    email: str = "frivillig@example.org",
    *,
    org: str = ORG_A,
    state: VolunteerState = VolunteerState.INVITED,
    now: datetime | None = None,
    **values: Any,
) -> tuple[uuid.UUID, str]:
    """A volunteer made directly in the database; returns its id and its raw link token."""
    with app.app_context():
        volunteer = Volunteer(
            organisation_id=_org_id(app, org),
            name=values.pop("name", "Frida Frivillig"),
            email=email,
            birth_date=date(1990, 5, 17),
            state=state,
            **values,
        )
        token = volunteer_links.new_link(volunteer, now)
        db.session.add(volunteer)
        db.session.commit()
        return volunteer.id, token


def _sign_all(app: Flask, volunteer_id: uuid.UUID) -> None:
    """Signatures of every current declaration (their evidence is not what is tested here)."""
    with app.app_context():
        volunteer = db.session.get(Volunteer, volunteer_id)
        assert volunteer is not None
        versions = current_versions()
        for kind in required_kinds(volunteer):
            db.session.add(
                Signature(
                    volunteer_id=volunteer_id,
                    declaration_version_id=versions[kind].id,
                    language="da",
                    text_shown="tekst",
                    text_sha256="0" * 64,
                    identity_method=IdentityMethod.LINK_BIRTH_DATE,
                    act="Jeg underskriver",
                    evidence_mac="0" * 64,
                )
            )
        db.session.commit()


def _load(app: Flask, volunteer_id: uuid.UUID) -> Volunteer:
    with app.app_context():
        volunteer = db.session.get(Volunteer, volunteer_id)
        assert volunteer is not None
        return volunteer


def _count(app: Flask, org: str = ORG_A) -> int:
    with app.app_context():
        query = select(func.count()).where(Volunteer.organisation_id == _org_id(app, org))
        return db.session.scalar(query.select_from(Volunteer)) or 0


def _audited(app: Flask, action: str, object_id: Any = None) -> int:
    with app.app_context():
        query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        if object_id is not None:
            query = query.where(AuditEntry.object_id == str(object_id))
        return db.session.scalar(query) or 0


def _events(app: Flask, volunteer_id: uuid.UUID) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(VolunteerEvent.action)
                .where(VolunteerEvent.volunteer_id == volunteer_id)
                .order_by(VolunteerEvent.created_at)
            )
        )


def _upload(client: FlaskClient, content: bytes | str, language: str = "da") -> Any:
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/frivillige/import",
        data={"file": (io.BytesIO(data), "frivillige.csv"), "language": language},
        content_type="multipart/form-data",
    )


def _token(message: Any) -> str:
    found = LINK.search(message.body)
    assert found is not None, message.body
    return found.group(1)


def _user(app: Flask, email: str) -> User:
    with app.app_context():
        user = accounts.find_user_by_email(email)
        assert user is not None
        return user


# --- registration ----------------------------------------------------------------------------


def test_staff_register_a_volunteer_who_gets_a_working_link(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    client = login_as("ngo_a_member")
    form = client.get("/frivillige/ny").get_data(as_text=True)
    assert "MitID" in form  # the hint says why the date of birth is asked for
    response = client.post(
        "/frivillige/ny",
        data={
            "name": "Ole Olsen",
            "email": " Ole.Olsen@Example.org ",
            "phone": "12 34 56 78",
            "birth_date": "1985-04-03",
            "visiting_friend": "y",
            "language": "en",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        volunteer = db.session.scalar(
            select(Volunteer).where(Volunteer.email == "ole.olsen@example.org")
        )
        assert volunteer is not None
        assert volunteer.state == VolunteerState.INVITED
        assert volunteer.organisation.name == ORG_A
        assert volunteer.visiting_friend and volunteer.language == "en"
        assert volunteer.birth_date == date(1985, 4, 3)
        assert volunteer.invitation_expires_at is not None
        assert volunteer.invitation_sent_at is not None
        assert volunteer.invitation_expires_at - volunteer.invitation_sent_at == timedelta(days=14)
        volunteer_id = volunteer.id
    assert response.headers["Location"].endswith(f"/frivillige/{volunteer_id}")
    assert _events(app, volunteer_id) == ["registered"]
    assert _audited(app, "volunteer.registered", volunteer_id) == 1
    [message] = outbox
    assert message.to == "ole.olsen@example.org"
    assert ORG_A in message.subject
    with app.app_context():
        found = volunteer_links.find_by_token(_token(message))
        assert found is not None and found.id == volunteer_id
    page = client.get(f"/frivillige/{volunteer_id}").get_data(as_text=True)
    assert "Ole Olsen" in page and "Send et nyt link" in page


def test_an_email_is_registered_once_per_organisation(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    _volunteer(app, "dobbelt@example.org")
    before_a, before_b = _count(app), _count(app, ORG_B)
    client = login_as("ngo_a_admin")
    data = {"name": "Dobbelt", "email": "DOBBELT@example.org", "birth_date": "1990-01-01"}
    response = client.post("/frivillige/ny", data={**data, "language": "da"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "allerede registreret" in page
    assert 'value="Dobbelt"' in page  # nothing typed is lost
    assert _count(app) == before_a and outbox == []
    # Another organisation may register the same person.
    response = login_as("ngo_b_admin").post("/frivillige/ny", data={**data, "language": "da"})
    assert response.status_code == 302
    assert _count(app, ORG_B) == before_b + 1


def test_the_registration_form_explains_what_is_wrong(app: Flask, login_as: Any) -> None:
    before = _count(app)
    client = login_as("ngo_a_admin")
    future = (date.today() + timedelta(days=2)).isoformat()
    response = client.post(
        "/frivillige/ny",
        data={"name": "", "email": "ikke-en-adresse", "birth_date": future, "language": "da"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Skriv den frivilliges navn." in page
    assert "gyldig e-mailadresse" in page
    assert "Fødselsdatoen ligger i fremtiden." in page
    response = client.post("/frivillige/ny", data={"name": "X", "email": "x@example.org"})
    assert "Skriv den frivilliges fødselsdato." in response.get_data(as_text=True)
    assert _count(app) == before


def test_an_organisation_that_is_not_approved_cannot_register(app: Flask, login_as: Any) -> None:
    before = _count(app)
    with app.app_context():
        organisation = db.session.get(Organisation, _org_id(app))
        assert organisation is not None
        organisation.state = OrganisationState.SUSPENDED
        organisation.suspension_reason = "Manglende regnskab"
        db.session.commit()
    client = login_as("ngo_a_admin")
    page = client.get("/frivillige/ny").get_data(as_text=True)
    assert "I kan ikke registrere frivillige lige nu" in page and "Manglende regnskab" in page
    response = client.post(
        "/frivillige/ny",
        data={"name": "A", "email": "a@example.org", "birth_date": "1990-01-01", "language": "da"},
    )
    assert response.status_code == 400
    assert _count(app) == before
    assert "Registrér en frivillig" not in client.get("/frivillige").get_data(as_text=True)


# --- tenants ---------------------------------------------------------------------------------


def test_staff_of_another_organisation_get_404_and_the_attempt_is_audited(
    app: Flask, login_as: Any
) -> None:
    volunteer_id, _token = _volunteer(app)
    for role in ("ngo_a_admin", "ngo_a_member"):
        assert login_as(role).get(f"/frivillige/{volunteer_id}").status_code == 200
    client = login_as("ngo_b_admin")
    before = _audited(app, "access.denied", volunteer_id)
    for method, path in [
        ("GET", ""),
        ("POST", "/invitation"),
        ("GET", "/forberedelse"),
        ("POST", "/forberedelse"),
        ("POST", "/fornyelse"),
    ]:
        response = client.open(f"/frivillige/{volunteer_id}{path}", method=method)
        assert response.status_code == 404, path
    assert _audited(app, "access.denied", volunteer_id) == before + 5
    assert "Frida Frivillig" not in client.get("/frivillige").get_data(as_text=True)
    assert "Frida Frivillig" not in client.get("/frivillige/eksport.csv").get_data(as_text=True)
    # B's admin cannot pick organisation A either.
    assert client.get(f"/frivillige?organisation={_org_id(app)}").status_code == 404
    assert login_as("caseworker_ost").get(f"/frivillige/{volunteer_id}").status_code == 403


def test_staff_of_several_organisations_pick_one(app: Flask, login_as: Any) -> None:
    _volunteer(app, "a@example.org", name="Frivillig hos A")
    _volunteer(app, "b@example.org", name="Frivillig hos B", org=ORG_B)
    with app.app_context():
        member = accounts.find_user_by_email("ngo-a.member@example.org")
        assert member is not None
        accounts.grant_role(member, Role.NGO_MEMBER, organisation_id=_org_id(app, ORG_B))
        db.session.commit()
    client = login_as("ngo_a_member")
    first = client.get("/frivillige").get_data(as_text=True)
    assert "Frivillig hos A" in first and "Frivillig hos B" not in first
    assert ORG_B in first  # the switch to the other organisation
    other = client.get(f"/frivillige?organisation={_org_id(app, ORG_B)}").get_data(as_text=True)
    assert "Frivillig hos B" in other and "Frivillig hos A" not in other


# --- the list and the export -----------------------------------------------------------------


def test_the_list_starts_empty_with_an_explanation(app: Flask, login_as: Any) -> None:
    page = login_as("ngo_b_admin").get("/frivillige").get_data(as_text=True)
    assert "I har ingen frivillige i portalen endnu" in page
    assert "Importér fra CSV-fil" in page and "Registrér en frivillig" in page


def test_the_list_filters_searches_and_pages(app: Flask, login_as: Any) -> None:
    before = _count(app)  # the demo data's volunteers are listed too
    for n in range(27):
        _volunteer(app, f"person{n:02d}@example.org", name=f"Person {n:02d}")
    _volunteer(app, "udloebet@example.org", name="Udløbet Link", now=utcnow() - timedelta(days=20))
    _volunteer(app, "venter@example.org", name="Venter Tjek", state=VolunteerState.AWAITING_CHECK)
    client = login_as("ngo_a_admin")
    page = client.get("/frivillige").get_data(as_text=True)
    assert f"{before + 29} frivillige fundet" in page
    assert "Side 2" in page
    lapsed = client.get("/frivillige?status=invitation_lapsed").get_data(as_text=True)
    assert "Udløbet Link" in lapsed and "Person 01" not in lapsed
    assert "Invitation udløbet" in lapsed
    waiting = client.get("/frivillige?status=awaiting_check").get_data(as_text=True)
    assert "Venter Tjek" in waiting and "Udløbet Link" not in waiting
    found = client.get("/frivillige?q=PERSON03").get_data(as_text=True)
    assert "Person 03" in found and "Person 04" not in found
    assert "1 frivillig fundet" in found
    by_mail = client.get("/frivillige?q=venter%40").get_data(as_text=True)
    assert "Venter Tjek" in by_mail
    # An unknown status is no filter at all.
    assert client.get("/frivillige?status=bogus").status_code == 200


def test_the_export_has_status_and_access_but_no_cpr_or_reason(app: Flask, login_as: Any) -> None:
    volunteer_id, _t = _volunteer(
        app,
        "godkendt@example.org",
        name="Gitte Godkendt",
        state=VolunteerState.CLEARED,
        phone="+45 12 34 56 78",
        check_outcome=CheckOutcome.CLEARED_AFTER_ASSESSMENT,
        check_reason="Forhold fra 2009, vurderet uden betydning",
        check_date=date.today(),
    )
    _sign_all(app, volunteer_id)
    with app.app_context():
        institution = db.session.scalar(
            select(Institution).where(Institution.name == "Storstrøm Fængsel")
        )
        assert institution is not None
        until = date.today() + timedelta(days=200)
        db.session.add(
            AccessGrant(
                volunteer_id=volunteer_id,
                institution_id=institution.id,
                valid_from=date.today(),
                valid_until=until,
            )
        )
        db.session.commit()
    response = login_as("ngo_a_member").get("/frivillige/eksport.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert "vurderet" not in text and "2009" not in text and "konkret" not in text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:5] == ["Navn", "E-mail", "Telefon", "Status", "Adgang (institution til dato)"]
    [row] = [r for r in rows if r[0] == "Gitte Godkendt"]
    assert row[1] == "godkendt@example.org"
    assert row[2] == "'+45 12 34 56 78"  # neutralised against spreadsheet formulas
    assert row[3] == "Har adgang"
    assert "Storstrøm Fængsel" in row[4] and until.isoformat() in row[4]
    assert _audited(app, "volunteer.exported") >= 1


def test_the_organisation_never_sees_the_assessment(app: Flask, login_as: Any) -> None:
    reason = "Hemmelig vurdering XYZ-17"
    volunteer_id, _t = _volunteer(
        app,
        "vurderet@example.org",
        state=VolunteerState.CLEARED,
        check_outcome=CheckOutcome.CLEARED_AFTER_ASSESSMENT,
        check_reason=reason,
        check_date=date.today(),
    )
    client = login_as("ngo_a_admin")
    for path in (f"/frivillige/{volunteer_id}", "/frivillige", "/frivillige/eksport.csv"):
        body = client.get(path).get_data(as_text=True)
        assert "XYZ-17" not in body, path
        assert "konkret vurdering" not in body, path
    detail = client.get(f"/frivillige/{volunteer_id}").get_data(as_text=True)
    assert "Godkendt" in detail
    assert "CPR-nummeret og oplysninger fra registret ser kun områdekontoret" in detail


# --- the CSV import --------------------------------------------------------------------------


def test_a_good_file_is_imported_and_everyone_invited(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    content = "\n".join(
        [
            HEADER,
            "Anna Ahl;anna@example.org;12 34 56 78;01-02-1990;ja",
            "Bo Berg;BO@example.org;;1985-12-31;nej",
            ";;;;",  # Excel's empty lines are skipped
            "Cai Cho;cai@example.org;;5.6.1970;",
        ]
    )
    before = _count(app)
    with app.app_context():
        existing = set(
            db.session.scalars(
                select(Volunteer.id).where(Volunteer.organisation_id == _org_id(app))
            )
        )
    client = login_as("ngo_a_member")
    response = _upload(client, content, language="en")
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    assert "3 frivillige er registreret" in page
    with app.app_context():
        rows = {
            v.email: v
            for v in db.session.scalars(
                select(Volunteer).where(Volunteer.organisation_id == _org_id(app))
            )
            if v.id not in existing
        }
    assert set(rows) == {"anna@example.org", "bo@example.org", "cai@example.org"}
    assert rows["anna@example.org"].visiting_friend and not rows["bo@example.org"].visiting_friend
    assert rows["bo@example.org"].birth_date == date(1985, 12, 31)
    assert rows["cai@example.org"].birth_date == date(1970, 6, 5)
    assert all(v.language == "en" for v in rows.values())
    assert sorted(m.to for m in outbox) == sorted(rows)
    assert _audited(app, "volunteer.registered") >= 3
    assert _audited(app, "volunteer.imported") == 1
    # The same file again (a double submit) imports nothing.
    again = _upload(client, content)
    assert again.status_code == 400
    assert again.get_data(as_text=True).count("allerede registreret") == 3
    assert _count(app) == before + 3


def test_a_bad_file_imports_nothing_and_names_every_bad_row(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    _volunteer(app, "findes@example.org")
    before = _count(app)
    content = "\n".join(
        [
            HEADER,
            ";uden.navn@example.org;;01-01-1990;nej",
            "Carl;ikke-en-email;;01-01-1990;nej",
            "Dora;dora@example.org;;31-02-1990;nej",
            "Erik;DORA@example.org;;01-01-1990;nej",
            "Frida;findes@example.org;;01-01-1990;nej",
            "Gert;gert@example.org;;01-01-1990;måske",
            "Hans;hans@example.org;;;nej",
            "Ida;ida@example.org;abc;01-01-2990;nej",
            "Jens;jens@example.org;;01-01-1990;nej",
        ]
    )
    response = _upload(login_as("ngo_a_admin"), content)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Filen er ikke importeret" in page
    expected = {
        2: "Navn mangler.",
        3: "er ikke en gyldig e-mailadresse",
        4: "er ikke en gyldig dato",
        5: "E-mailadressen står også i linje 4.",
        6: "findes@example.org er allerede registreret",
        7: "Skriv ja eller nej i kolonnen besoegsven.",
        8: "Fødselsdato mangler.",
        9: "Fødselsdatoen ligger i fremtiden.",
    }
    for line, reason in expected.items():
        assert f"Linje {line}" in page, line
        assert reason in page, reason
    assert "Telefonnummeret" in page  # line 9 has two reasons
    assert "Linje 10" not in page  # Jens is fine
    assert _count(app) == before and outbox == []


def test_more_than_50_rows_are_refused(app: Flask, login_as: Any) -> None:
    rows = [f"Person {n};p{n}@example.org;;01-01-1990;nej" for n in range(51)]
    before = _count(app)
    response = _upload(login_as("ngo_a_admin"), "\n".join([HEADER, *rows]))
    assert response.status_code == 400
    assert "Filen har 51 frivillige, men der kan højst være 50" in response.get_data(as_text=True)
    assert _count(app) == before
    response = _upload(login_as("ngo_a_admin"), "\n".join([HEADER, *rows[:50]]))
    assert response.status_code == 200
    assert _count(app) == before + 50


def test_excel_files_with_bom_commas_or_windows_encoding_are_read(
    app: Flask, login_as: Any
) -> None:
    client = login_as("ngo_a_admin")
    with_bom = "\ufeffNavn,E-mail,Telefon,Fødselsdato,Besøgsven\r\nÅse Ærø,aase@example.org,,24-12-1980,JA\r\n"
    assert _upload(client, with_bom.encode("utf-8")).status_code == 200
    windows = f"{HEADER}\r\nSøren Østergård;soeren@example.org;;1979-03-09;nej\r\n"
    assert _upload(client, windows.encode("cp1252")).status_code == 200
    with app.app_context():
        names = set(db.session.scalars(select(Volunteer.name)))
        assert {"Åse Ærø", "Søren Østergård"} <= names
        aase = db.session.scalar(select(Volunteer).where(Volunteer.email == "aase@example.org"))
        assert aase is not None and aase.visiting_friend


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "ikke en CSV-fil"),
        (b"fornavn;efternavn\nA;B\n", "Den første linje skal være overskrifterne"),
        (b"navn;telefon\nA;12345678\n", "Kolonnerne mangler: email, foedselsdato"),
        (f"{HEADER}\n".encode(), "Filen har ingen frivillige."),
        (b"", "Filen har ingen frivillige."),
    ],
)
def test_files_that_are_not_a_volunteer_list(
    app: Flask, login_as: Any, content: bytes, message: str
) -> None:
    before = _count(app)
    response = _upload(login_as("ngo_a_admin"), content)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(app) == before


def test_the_import_asks_for_a_file(app: Flask, login_as: Any) -> None:
    response = login_as("ngo_a_admin").post("/frivillige/import", data={"language": "da"})
    assert response.status_code == 400
    assert "Vælg en CSV-fil." in response.get_data(as_text=True)


def test_the_template_round_trips_through_the_import(app: Flask, login_as: Any) -> None:
    before = _count(app)
    client = login_as("ngo_a_admin")
    response = client.get("/frivillige/import/skabelon.csv")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    template = response.get_data()
    # Uploaded untouched, the example line is refused.
    refused = _upload(client, template)
    assert refused.status_code == 400
    assert "eksempellinjen" in refused.get_data(as_text=True)
    # Filled in as the page says: the example line replaced by real ones.
    lines = template.decode("utf-8").splitlines()
    filled = "\r\n".join([lines[0], "Kim Kold;kim@example.org;;02-03-1991;ja"]) + "\r\n"
    assert _upload(client, filled.encode("utf-8")).status_code == 200
    assert _count(app) == before + 1


def test_a_double_submit_that_slips_past_the_check_meets_the_constraint(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [NewVolunteer("Lis", "lis@example.org", date(1990, 1, 1))]
    with app.test_request_context():
        organisation = db.session.get(Organisation, _org_id(app))
        actor = accounts.find_user_by_email("ngo-a.admin@example.org")
        assert organisation is not None and actor is not None
        volunteers.register_many(organisation, actor, rows)
        # Two requests at once: both passed the look-up before either inserted.
        monkeypatch.setattr(volunteers, "registered_emails", lambda *_a: set())
        with pytest.raises(volunteers.DuplicateVolunteer):
            volunteers.register_many(organisation, actor, rows)
        # Only the second insert was undone; the first stays.
        count = db.session.scalar(
            select(func.count()).select_from(Volunteer).where(Volunteer.email == "lis@example.org")
        )
        assert count == 1


# --- a new link ------------------------------------------------------------------------------


def test_a_new_link_replaces_the_old_one(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    volunteer_id, old = _volunteer(app, now=utcnow() - timedelta(days=20))
    client = login_as("ngo_a_admin")
    assert "Linket er udløbet" in client.get(f"/frivillige/{volunteer_id}").get_data(as_text=True)
    response = client.post(f"/frivillige/{volunteer_id}/invitation")
    assert response.status_code == 302
    [message] = outbox
    assert message.to == "frivillig@example.org"
    with app.app_context():
        assert volunteer_links.find_by_token(old) is None
        found = volunteer_links.find_by_token(_token(message))
        assert found is not None and found.id == volunteer_id
    assert _events(app, volunteer_id) == ["invitation_resent"]
    assert _audited(app, "volunteer.invitation_resent", volunteer_id) == 1
    assert status_of(_load(app, volunteer_id)) == VolunteerStatus.INVITED


def test_no_new_link_once_signed(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    volunteer_id, _t = _volunteer(app, state=VolunteerState.AWAITING_CHECK)
    client = login_as("ngo_a_admin")
    response = client.post(f"/frivillige/{volunteer_id}/invitation", follow_redirects=True)
    assert "allerede underskrevet" in response.get_data(as_text=True)
    assert outbox == [] and _events(app, volunteer_id) == []


# --- reminders -------------------------------------------------------------------------------


def test_invitation_reminders_and_lapse_notices_go_out_once(app: Flask, outbox: list[Any]) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=utcnow().tzinfo)
    with app.app_context():
        organisation = db.session.get(Organisation, _org_id(app))
        actor = accounts.find_user_by_email("ngo-a.member@example.org")
        assert organisation is not None and actor is not None
        volunteer = volunteers.register(
            organisation,
            actor,
            NewVolunteer("Rikke Rask", "rikke@example.org", date(1992, 2, 2)),
            now=start,
        )
        db.session.commit()
        volunteer_id = volunteer.id
        first = _token(outbox[-1])

        def run(days: int) -> list[Any]:
            before = len(outbox)
            invitation_reminders.remind_invitations(start + timedelta(days=days))
            db.session.commit()
            return [m for m in outbox[before:] if "Rikke Rask" in m.body]

        assert run(6) == []
        [reminder] = run(8)
        assert reminder.to == "rikke@example.org"
        assert "Påmindelse" in reminder.subject
        second = _token(reminder)
        assert volunteer_links.find_by_token(first, start + timedelta(days=8)) is None
        found = volunteer_links.find_by_token(second, start + timedelta(days=8))
        assert found is not None and found.id == volunteer_id
        # The reminder's link keeps the first link's expiry.
        assert found.invitation_expires_at == start + timedelta(days=14)
        assert run(8) == [] and run(9) == []
        lapsed = run(15)
        assert [m.to for m in lapsed] == ["ngo-a.admin@example.org"]  # the admins, not members
        assert "Rikke Rask" in lapsed[0].subject
        assert f"/frivillige/{volunteer_id}" in lapsed[0].body
        assert run(15) == [] and run(16) == []
        volunteer = db.session.get(Volunteer, volunteer_id)
        assert volunteer is not None
        assert status_of(volunteer, start + timedelta(days=15)) == (
            VolunteerStatus.INVITATION_LAPSED
        )
    assert _events(app, volunteer_id) == ["registered", "invitation_reminded", "invitation_lapsed"]
    assert _audited(app, "volunteer.invitation_reminded", volunteer_id) == 1
    assert _audited(app, "volunteer.invitation_lapse_notified", volunteer_id) == 1


def test_a_used_link_gets_no_reminder(app: Flask, outbox: list[Any]) -> None:
    start = utcnow() - timedelta(days=8)
    volunteer_id, _t = _volunteer(app, "i.gang@example.org", now=start)
    with app.app_context():
        volunteer = db.session.get(Volunteer, volunteer_id)
        assert volunteer is not None
        volunteer_links.use_link(volunteer, start + timedelta(days=1))
        db.session.commit()
        invitation_reminders.remind_invitations(start + timedelta(days=20))
    assert [m for m in outbox if m.to == "i.gang@example.org"] == []
    assert _events(app, volunteer_id) == []


# --- renewal ---------------------------------------------------------------------------------


def test_renewal_starts_over_and_keeps_access_until_its_date(
    app: Flask, login_as: Any, outbox: list[Any]
) -> None:
    now = utcnow()
    checker = _user(app, "caseworker.ost@example.org")
    volunteer_id, _t = _volunteer(
        app,
        state=VolunteerState.CLEARED,
        check_outcome=CheckOutcome.CLEARED_AFTER_ASSESSMENT,
        check_reason="Gammel sag",
        check_date=date.today() - timedelta(days=300),
        checked_by_id=checker.id,
        checked_at=now - timedelta(days=300),
        signed_at=now - timedelta(days=301),
    )
    _sign_all(app, volunteer_id)
    with app.app_context():
        institution = db.session.scalar(
            select(Institution).where(Institution.name == "Storstrøm Fængsel")
        )
        assert institution is not None
        grant = AccessGrant(
            volunteer_id=volunteer_id,
            institution_id=institution.id,
            valid_from=date.today() - timedelta(days=300),
            valid_until=date.today() + timedelta(days=20),
        )
        db.session.add(grant)
        db.session.commit()
        grant_id = grant.id
    client = login_as("ngo_a_member")
    page = client.get(f"/frivillige/{volunteer_id}").get_data(as_text=True)
    assert "Adgang udløber snart" in page and "Start fornyelsen" in page
    response = client.post(f"/frivillige/{volunteer_id}/fornyelse")
    assert response.status_code == 302
    volunteer = _load(app, volunteer_id)
    assert volunteer.state == VolunteerState.INVITED
    assert volunteer.check_outcome is None and volunteer.check_date is None
    assert volunteer.check_reason == "" and volunteer.checked_by_id is None
    assert volunteer.checked_at is None and volunteer.signed_at is None
    with app.app_context():
        kept = db.session.get(AccessGrant, grant_id)
        assert kept is not None and kept.ended_at is None
        renewed = db.session.get(Volunteer, volunteer_id)
        assert renewed is not None and renewed.renewed_at is not None
        [message] = outbox
        found = volunteer_links.find_by_token(_token(message))
        assert found is not None and found.id == volunteer_id
    assert "Forny" in message.subject
    assert _events(app, volunteer_id) == ["renewal"]
    assert _audited(app, "volunteer.renewed", volunteer_id) == 1


def test_what_cannot_be_renewed(app: Flask, login_as: Any, outbox: list[Any]) -> None:
    client = login_as("ngo_a_admin")
    invited_id, _t = _volunteer(app, "inviteret@example.org")
    response = client.post(f"/frivillige/{invited_id}/fornyelse", follow_redirects=True)
    assert "intet at forny" in response.get_data(as_text=True)
    withdrawn_id, _t = _volunteer(
        app,
        "traekker@example.org",
        state=VolunteerState.WITHDRAWN,
        withdrawn_at=utcnow(),
    )
    page = client.get(f"/frivillige/{withdrawn_id}").get_data(as_text=True)
    assert "selv bedt om at komme tilbage" in page
    response = client.post(f"/frivillige/{withdrawn_id}/fornyelse", follow_redirects=True)
    assert "trukket sit samtykke tilbage" in response.get_data(as_text=True)
    assert _load(app, withdrawn_id).state == VolunteerState.WITHDRAWN
    assert outbox == []
    # When the volunteer asked to come back, the organisation confirms it and starts over.
    client.post(f"/frivillige/{withdrawn_id}/fornyelse", data={"on_request": "y"})
    assert _load(app, withdrawn_id).state == VolunteerState.INVITED
    assert [m.to for m in outbox] == ["traekker@example.org"]


# --- preparation -----------------------------------------------------------------------------


def test_staff_record_a_preparation(app: Flask, login_as: Any) -> None:
    volunteer_id, _t = _volunteer(app)
    client = login_as("ngo_a_admin")
    form = client.get(f"/frivillige/{volunteer_id}/forberedelse").get_data(as_text=True)
    assert 'value="Amalie Andersen"' in form  # the current user by default
    assert "sikkerhed og tavshedspligt" in form
    future = (date.today() + timedelta(days=3)).isoformat()
    response = client.post(
        f"/frivillige/{volunteer_id}/forberedelse",
        data={"prepared_on": future, "material": "Intromøde", "prepared_by": "Amalie"},
    )
    assert response.status_code == 400
    assert "Datoen kan ikke ligge i fremtiden." in response.get_data(as_text=True)
    day = (date.today() - timedelta(days=2)).isoformat()
    response = client.post(
        f"/frivillige/{volunteer_id}/forberedelse",
        data={
            "prepared_on": day,
            "material": "Intromøde om sikkerhedsregler og tavshedspligt",
            "prepared_by": "Amalie Andersen",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        [preparation] = db.session.scalars(
            select(Preparation).where(Preparation.volunteer_id == volunteer_id)
        ).all()
        assert preparation.prepared_on.isoformat() == day
        assert preparation.prepared_by == "Amalie Andersen"
    assert _events(app, volunteer_id) == ["preparation"]
    assert _audited(app, "volunteer.prepared", volunteer_id) == 1
    page = client.get(f"/frivillige/{volunteer_id}").get_data(as_text=True)
    assert "Intromøde om sikkerhedsregler og tavshedspligt" in page


def test_the_detail_page_shows_access_grants_that_ended(app: Flask, login_as: Any) -> None:
    volunteer_id, _t = _volunteer(
        app,
        state=VolunteerState.CLEARED,
        check_outcome=CheckOutcome.CLEARED,
        check_date=date.today(),
    )
    with app.app_context():
        institution = db.session.scalar(
            select(Institution).where(Institution.name == "Storstrøm Fængsel")
        )
        assert institution is not None
        db.session.add(
            AccessGrant(
                volunteer_id=volunteer_id,
                institution_id=institution.id,
                valid_from=date.today(),
                valid_until=date.today() + timedelta(days=100),
                ended_at=utcnow(),
                end_reason=AccessEndReason.REVOKED,
                end_text="Intern begrundelse ABC",
            )
        )
        db.session.commit()
    page = login_as("ngo_a_admin").get(f"/frivillige/{volunteer_id}").get_data(as_text=True)
    assert "Storstrøm Fængsel" in page and "Tilbagekaldt" in page
    assert "Intern begrundelse ABC" not in page
