"""The admin edits an institution's details, contact people and sections; every change audited."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal import db
from portal.models import (
    AuditEntry,
    Institution,
    InstitutionContact,
    InstitutionSection,
    SecurityLevel,
)
from portal.services import demo_institutions, institution_admin
from portal.services.institution_admin import InstitutionAdminError


def _audits(action: str, object_id: object | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == str(object_id))
    return list(db.session.scalars(query))


def _institution(name: str = "Anstalten ved Herstedvester") -> Institution:
    # The default has no demo details (portal/services/demo_institutions.py), so tests start blank.
    found = db.session.scalar(select(Institution).where(Institution.name == name))
    assert found is not None
    return found


def _level(code: str) -> SecurityLevel:
    found = db.session.scalar(select(SecurityLevel).where(SecurityLevel.code == code))
    assert found is not None
    return found


def _form(institution: Institution, **changes: str) -> dict[str, str]:
    """The institution form as the page shows it, with ``changes``."""
    values = {
        "name": institution.name,
        "kind": institution.kind.value,
        "security_level_id": str(institution.security_level_id),
        "area_office_id": str(institution.area_office_id),
        "municipality_id": str(institution.municipality_id or ""),
        "active": "y" if institution.active else "",
        "address": institution.address,
        "postal_code": institution.postal_code,
        "city": institution.city,
        "phone": institution.phone,
        "email": institution.email,
        "visiting_hours": institution.visiting_hours,
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value != ""}


@pytest.fixture
def storstrom(app: Flask) -> uuid.UUID:
    with app.app_context():
        return _institution().id


# --- the institution's details ---------------------------------------------------------------


def test_admin_sets_address_phone_email_and_visiting_hours(
    app: Flask, login_as: Any, storstrom: uuid.UUID
) -> None:
    admin = login_as("admin")
    with app.app_context():
        form = _form(
            _institution(),
            address="Nystedvej 75",
            postal_code="4894",
            city="Øster Ulslev",
            phone="+45 72 55 30 00",
            email="besoeg.test@example.org",
            visiting_hours="Tirsdag-torsdag 13-16\nWeekend 10-15",
        )
    response = admin.post(f"/admin/institutioner/{storstrom}", data=form)
    assert response.status_code == 302
    with app.app_context():
        institution = db.session.get(Institution, storstrom)
        assert institution is not None
        assert institution.full_address == "Nystedvej 75, 4894 Øster Ulslev"
        assert institution.phone == "+45 72 55 30 00"
        assert institution.visiting_hours == "Tirsdag-torsdag 13-16\nWeekend 10-15"
        entry = _audits("institution.updated", storstrom)[-1]
        assert entry.details["postal_code"] == ["", "4894"]
        assert entry.details["email"] == ["", "besoeg.test@example.org"]
        assert entry.actor_label == "admin@example.org"
    page = admin.get(f"/admin/institutioner/{storstrom}").get_data(as_text=True)
    assert 'value="Nystedvej 75"' in page
    assert "Weekend 10-15" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"postal_code": "48944", "city": "Øster Ulslev"}, "Skriv et postnummer med 4 cifre"),
        ({"postal_code": "48a4", "city": "Øster Ulslev"}, "Skriv et postnummer med 4 cifre"),
        ({"postal_code": "4894"}, "Skriv byen, der hører til postnummeret."),
        ({"city": "Øster Ulslev"}, "Skriv postnummeret, der hører til byen."),
        ({"email": "besoeg(at)storstroem"}, "Skriv en gyldig e-mailadresse"),
        ({"phone": "ring til os"}, "Skriv telefonnummeret med cifre"),
        ({"visiting_hours": "x" * 2001}, "Skriv højst 2000 tegn."),
    ],
)
def test_bad_details_are_refused_in_danish_and_keep_what_was_typed(
    app: Flask, login_as: Any, storstrom: uuid.UUID, changes: dict[str, str], message: str
) -> None:
    admin = login_as("admin")
    with app.app_context():
        form = _form(_institution(), address="Nystedvej 75", **changes)
    response = admin.post(f"/admin/institutioner/{storstrom}", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert "Der er problemer" in html  # the error summary
    assert 'value="Nystedvej 75"' in html
    for value in changes.values():
        if len(value) < 100:
            assert value in html
    with app.app_context():
        assert _institution().address == ""


def test_a_new_institution_gets_its_details_and_a_taken_name_is_refused(
    app: Flask, login_as: Any
) -> None:
    admin = login_as("admin")
    with app.app_context():
        form = _form(
            _institution(),
            name="Ny Demo Arrest",
            address="Arrestvej 1",
            postal_code="4700",
            city="Næstved",
            visiting_hours="Mandag 10-12",
        )
    assert admin.post("/admin/institutioner/ny", data=form).status_code == 302
    with app.app_context():
        created = _institution("Ny Demo Arrest")
        assert created.full_address == "Arrestvej 1, 4700 Næstved"
        assert _audits("institution.created", created.id)
    again = admin.post("/admin/institutioner/ny", data={**form, "address": "Andenvej 2"})
    assert again.status_code == 400
    html = again.get_data(as_text=True)
    assert "Der findes allerede en institution med det navn." in html
    assert 'value="Andenvej 2"' in html


def test_the_service_refuses_a_taken_institution_name(app: Flask) -> None:
    with app.app_context():
        vestre = _institution("Vestre Fængsel")
        with pytest.raises(InstitutionAdminError) as refused:
            institution_admin.save_institution(vestre, {"name": "Storstrøm Fængsel"})
        assert refused.value.field == "name"
        assert vestre.name == "Vestre Fængsel"


# --- contact people --------------------------------------------------------------------------


def _contact_form(**values: str) -> dict[str, str]:
    return {f"contact-{key}": value for key, value in values.items()}


def test_admin_adds_edits_and_removes_a_contact_person(
    app: Flask, login_as: Any, storstrom: uuid.UUID
) -> None:
    admin = login_as("admin")
    added = admin.post(
        f"/admin/institutioner/{storstrom}/kontaktpersoner",
        data=_contact_form(
            name="Tove Test",
            title="Besøgskoordinator",
            email="tove.test@example.org",
            phone="72 55 30 99",
        ),
    )
    assert added.status_code == 302
    assert added.headers["Location"].endswith("#kontaktpersoner")
    with app.app_context():
        contact = db.session.scalar(
            select(InstitutionContact).where(InstitutionContact.name == "Tove Test")
        )
        assert contact is not None and contact.institution_id == storstrom
        assert contact.title == "Besøgskoordinator"
        entry = _audits("institution_contact.added", contact.id)[0]
        # The log outlives the contact person: no name, e-mail or phone in it.
        logged = json.dumps(entry.details, ensure_ascii=False)
        assert "Tove" not in logged and "tove.test" not in logged and "30 99" not in logged
        contact_id = contact.id
    page = admin.get(f"/admin/institutioner/{storstrom}").get_data(as_text=True)
    assert "Tove Test" in page and "tove.test@example.org" in page

    edit_url = f"/admin/institutioner/{storstrom}/kontaktpersoner/{contact_id}"
    assert 'value="Tove Test"' in admin.get(edit_url).get_data(as_text=True)
    edited = admin.post(
        edit_url,
        data={"name": "Tove Test", "title": "Afdelingsleder", "email": "tove.test@example.org"},
    )
    assert edited.status_code == 302
    with app.app_context():
        contact = db.session.get(InstitutionContact, contact_id)
        assert contact is not None and contact.title == "Afdelingsleder" and contact.phone == ""
        assert _audits("institution_contact.updated", contact_id)[-1].details["fields"] == [
            "title",
            "phone",
        ]

    removed = admin.post(f"{edit_url}/fjern")
    assert removed.status_code == 302
    with app.app_context():
        assert db.session.get(InstitutionContact, contact_id) is None
        assert _audits("institution_contact.removed", contact_id)


def test_a_contact_person_without_name_or_way_to_reach_them_is_refused(
    app: Flask, login_as: Any, storstrom: uuid.UUID
) -> None:
    response = login_as("admin").post(
        f"/admin/institutioner/{storstrom}/kontaktpersoner",
        data=_contact_form(title="Besøgskoordinator", email="", phone=""),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Skriv kontaktpersonens navn." in html
    assert "Skriv en e-mailadresse eller et telefonnummer" in html
    assert 'value="Besøgskoordinator"' in html
    assert 'href="#contact-name"' in html  # the summary links to the field
    assert '<details class="details mt-5" open>' in html  # the add form stays open
    with app.app_context():
        assert not _audits("institution_contact.added")


def test_a_bad_email_on_a_contact_keeps_what_was_typed(
    app: Flask, login_as: Any, storstrom: uuid.UUID
) -> None:
    response = login_as("admin").post(
        f"/admin/institutioner/{storstrom}/kontaktpersoner",
        data=_contact_form(name="Bo Bent", email="bo.bent@", phone="12"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Skriv en gyldig e-mailadresse" in html
    assert "Skriv telefonnummeret med cifre" in html
    assert 'value="Bo Bent"' in html and 'value="bo.bent@"' in html


def test_a_contact_of_another_institution_is_not_found_through_this_one(
    app: Flask, login_as: Any
) -> None:
    with app.app_context():
        vestre = _institution("Vestre Fængsel")
        contact = InstitutionContact(
            institution_id=vestre.id, name="Anden Person", phone="1234 5678"
        )
        db.session.add(contact)
        db.session.commit()
        contact_id, storstrom = contact.id, _institution().id
    admin = login_as("admin")
    url = f"/admin/institutioner/{storstrom}/kontaktpersoner/{contact_id}"
    assert admin.get(url).status_code == 404
    assert admin.post(f"{url}/fjern").status_code == 404
    with app.app_context():
        assert db.session.get(InstitutionContact, contact_id) is not None


# --- sections --------------------------------------------------------------------------------


def _section_form(**values: str) -> dict[str, str]:
    return {f"section-{key}": value for key, value in values.items()}


def test_admin_adds_sections_and_a_taken_name_gives_a_clear_error(
    app: Flask, login_as: Any, storstrom: uuid.UUID
) -> None:
    admin = login_as("admin")
    with app.app_context():
        open_level, closed_level = _level("aaben").id, _level("lukket").id
    added = admin.post(
        f"/admin/institutioner/{storstrom}/afdelinger",
        data=_section_form(name="Åben afdeling", security_level_id=str(open_level), active="y"),
    )
    assert added.status_code == 302
    with app.app_context():
        section = db.session.scalar(
            select(InstitutionSection).where(
                InstitutionSection.name == "Åben afdeling",
                InstitutionSection.institution_id == storstrom,
            )
        )
        assert section is not None and section.active
        assert section.security_level_id == open_level
        entry = _audits("institution_section.added", section.id)[0]
        assert entry.details["security_level"] == "aaben"
        assert entry.details["institution"] == "Anstalten ved Herstedvester"

    # The same name again, in other letters' case: refused, not a 500, and nothing is lost.
    again = admin.post(
        f"/admin/institutioner/{storstrom}/afdelinger",
        data=_section_form(name="ÅBEN AFDELING", security_level_id=str(closed_level)),
    )
    html = again.get_data(as_text=True)
    assert again.status_code == 400
    assert "Institutionen har allerede en afdeling med det navn." in html
    assert 'value="ÅBEN AFDELING"' in html
    assert f'<option selected value="{closed_level}">' in html
    with app.app_context():
        assert len(_audits("institution_section.added")) == 1


def test_a_section_without_name_or_level_is_refused(
    app: Flask, login_as: Any, storstrom: uuid.UUID
) -> None:
    response = login_as("admin").post(
        f"/admin/institutioner/{storstrom}/afdelinger", data=_section_form(name="  ")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Skriv afdelingens navn." in html
    assert "Vælg afdelingens sikkerhedsniveau." in html


def test_admin_edits_and_deactivates_a_section(
    app: Flask, login_as: Any, storstrom: uuid.UUID
) -> None:
    with app.app_context():
        institution = _institution()
        first = institution_admin.add_section(
            institution, {"name": "Afdeling A", "security_level_id": _level("aaben").id}
        )
        institution_admin.add_section(
            institution, {"name": "Afdeling B", "security_level_id": _level("aaben").id}
        )
        db.session.commit()
        section_id, closed_level = first.id, _level("lukket").id
    admin = login_as("admin")
    url = f"/admin/institutioner/{storstrom}/afdelinger/{section_id}"
    assert 'value="Afdeling A"' in admin.get(url).get_data(as_text=True)

    edited = admin.post(
        url, data={"name": "Lukket afdeling", "security_level_id": str(closed_level), "active": "y"}
    )
    assert edited.status_code == 302
    with app.app_context():
        entry = _audits("institution_section.updated", section_id)[-1]
        assert entry.details["changes"] == {
            "name": ["Afdeling A", "Lukket afdeling"],
            "security_level": ["aaben", "lukket"],
        }

    taken = admin.post(url, data={"name": "afdeling b", "security_level_id": str(closed_level)})
    assert taken.status_code == 400
    html = taken.get_data(as_text=True)
    assert "Institutionen har allerede en afdeling med det navn." in html
    assert 'value="afdeling b"' in html

    assert admin.post(f"{url}/aktiv").status_code == 302
    with app.app_context():
        section = db.session.get(InstitutionSection, section_id)
        assert section is not None and not section.active and section.name == "Lukket afdeling"
        assert _audits("institution_section.updated", section_id)[-1].details["changes"] == {
            "active": [True, False]
        }
    page = admin.get(f"/admin/institutioner/{storstrom}").get_data(as_text=True)
    assert "Inaktiv" in page and "Aktivér" in page
    assert admin.post(f"{url}/aktiv").status_code == 302
    with app.app_context():
        section = db.session.get(InstitutionSection, section_id)
        assert section is not None and section.active


def test_a_section_of_another_institution_is_not_found_through_this_one(
    app: Flask, login_as: Any, storstrom: uuid.UUID
) -> None:
    with app.app_context():
        section = institution_admin.add_section(
            _institution("Vestre Fængsel"),
            {"name": "Vestres afdeling", "security_level_id": _level("arrest").id},
        )
        db.session.commit()
        section_id = section.id
    admin = login_as("admin")
    url = f"/admin/institutioner/{storstrom}/afdelinger/{section_id}"
    assert admin.get(url).status_code == 404
    assert admin.post(f"{url}/aktiv").status_code == 404


def test_a_double_submitted_section_meets_the_constraint_and_is_refused_cleanly(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two admins adding the same section at once both pass the name check; the unique
    constraint stops the second, and only that insert is undone."""
    with app.app_context():
        institution = _institution()
        level = _level("lukket").id
        institution_admin.add_section(institution, {"name": "Dobbelt", "security_level_id": level})
        monkeypatch.setattr(institution_admin, "_section_name_taken", lambda *_args: False)
        with pytest.raises(InstitutionAdminError) as refused:
            institution_admin.add_section(
                institution, {"name": "Dobbelt", "security_level_id": level}
            )
        assert refused.value.field == "name"
        # The transaction is still usable, and the first section is still there.
        names = [s.name for s in _institution().sections]
        assert names == ["Dobbelt"]
        assert len(_audits("institution_section.added")) == 1


def test_an_unknown_security_level_is_refused_by_the_service(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(InstitutionAdminError) as refused:
            institution_admin.add_section(
                _institution(), {"name": "Ukendt", "security_level_id": uuid.uuid4()}
            )
        assert refused.value.field == "security_level_id"


# --- demo details ----------------------------------------------------------------------------


def test_demo_details_are_added_once_and_never_overwrite_the_admin(app: Flask) -> None:
    with app.app_context():
        vestre = _institution("Vestre Fængsel")
        vestre.phone = "11 22 33 44"  # the admin's own value
        db.session.flush()
        # The demo seeding (run with the app's demo data) added them once already.
        assert {s.name for s in _institution("Horserød Fængsel").sections}
        again = demo_institutions.seed_institution_details(db.session)
        assert again == {"institutions": 0, "contacts": 0, "sections": 0}
        assert vestre.phone == "11 22 33 44"
        assert vestre.address == "Vigerslev Allé 1"
        horserod = _institution("Horserød Fængsel")
        levels = {s.name: s.security_level.code for s in horserod.sections}
        assert levels == {"Åben afdeling": "aaben", "Lukket afdeling": "lukket"}


def test_demo_contact_emails_are_not_demo_logins(app: Flask) -> None:
    from portal.services.demo import DEMO_ACCOUNTS
    from portal.services.demo_volunteers import DEMO_VOLUNTEERS

    logins = {a.email for a in DEMO_ACCOUNTS} | {v.email for v in DEMO_VOLUNTEERS}
    emails = {
        address
        for details in demo_institutions.DEMO_DETAILS.values()
        for address in (details.email, *(c.email for c in details.contacts))
        if address
    }
    assert emails and all(e.endswith("example.org") for e in emails)
    assert not emails & logins
