"""The admin's pages: reference data and users, every change audited."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from portal import db
from portal.models import (
    AreaOffice,
    AuditEntry,
    Institution,
    Municipality,
    Role,
    SecurityLevel,
    User,
)
from portal.services import reference


def _last_audit(action: str) -> AuditEntry:
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
    )
    assert entry is not None, action
    return entry


def test_reference_data_covers_the_country(app: Flask) -> None:
    with app.app_context():
        municipalities = db.session.scalars(select(Municipality)).all()
        assert len(municipalities) == 98
        offices = {o.code: o.id for o in db.session.scalars(select(AreaOffice))}
        assert set(offices) == {"ost", "vest"}
        by_name = {m.name: m for m in municipalities}
        assert by_name["København"].area_office_id == offices["ost"]
        assert by_name["Bornholm"].area_office_id == offices["ost"]
        assert by_name["Aalborg"].area_office_id == offices["vest"]
        assert by_name["Odense"].area_office_id == offices["vest"]
        kinds = {i.kind.value for i in db.session.scalars(select(Institution))}
        assert kinds == {
            "arrest",
            "closed_prison",
            "open_prison",
            "halfway_house",
            "probation_office",
        }
        assert db.session.scalar(select(func.count()).select_from(SecurityLevel)) == 5


def test_loading_reference_twice_adds_nothing_and_keeps_edits(app: Flask) -> None:
    with app.app_context():
        storstrom = db.session.scalar(
            select(Institution).where(Institution.name == "Storstrøm Fængsel")
        )
        assert storstrom is not None
        storstrom.active = False
        db.session.flush()
        assert reference.load_reference() == dict.fromkeys(
            (
                "area_offices",
                "security_levels",
                "municipalities",
                "institutions",
                "terms_versions",
                "declaration_versions",
                "rule_profiles",
            ),
            0,
        )
        assert storstrom.active is False


def _ids(app: Flask) -> dict[str, Any]:
    with app.app_context():
        return {
            "lukket": db.session.scalar(
                select(SecurityLevel.id).where(SecurityLevel.code == "lukket")
            ),
            "ost": db.session.scalar(select(AreaOffice.id).where(AreaOffice.code == "ost")),
            "vest": db.session.scalar(select(AreaOffice.id).where(AreaOffice.code == "vest")),
            "kbh": db.session.scalar(
                select(Municipality.id).where(Municipality.name == "København")
            ),
            "storstrom": db.session.scalar(
                select(Institution.id).where(Institution.name == "Storstrøm Fængsel")
            ),
        }


def test_admin_creates_and_edits_an_institution(app: Flask, login_as: Any) -> None:
    admin = login_as("admin")
    ids = _ids(app)
    form = {
        "name": "Ny Test Arrest",
        "kind": "arrest",
        "security_level_id": str(ids["lukket"]),
        "area_office_id": str(ids["ost"]),
        "municipality_id": str(ids["kbh"]),
        "active": "y",
    }
    created = admin.post("/admin/institutioner/ny", data=form)
    assert created.status_code == 302
    with app.app_context():
        institution = db.session.scalar(
            select(Institution).where(Institution.name == "Ny Test Arrest")
        )
        assert institution is not None and institution.active
        assert _last_audit("institution.created").object_id == str(institution.id)
    duplicate = admin.post("/admin/institutioner/ny", data=form)
    assert duplicate.status_code == 400
    assert "Der findes allerede en institution med det navn." in duplicate.get_data(as_text=True)

    edited = admin.post(
        f"/admin/institutioner/{institution.id}", data={**form, "area_office_id": str(ids["vest"])}
    )
    assert edited.status_code == 302
    with app.app_context():
        entry = _last_audit("institution.updated")
        assert entry.details["area_office_id"] == [str(ids["ost"]), str(ids["vest"])]
        assert entry.actor_label == "admin@example.org"


def test_institution_form_errors_are_danish_and_keep_input(app: Flask, login_as: Any) -> None:
    response = login_as("admin").post(
        "/admin/institutioner/ny", data={"name": "Halvfærdig Arrest", "kind": "arrest"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vælg sikkerhedsniveau." in html
    assert 'value="Halvfærdig Arrest"' in html


def test_admin_moves_a_municipality_to_the_other_area_office(app: Flask, login_as: Any) -> None:
    ids = _ids(app)
    response = login_as("admin").post(
        f"/admin/kommuner/{ids['kbh']}", data={"area_office_id": str(ids["vest"])}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Municipality, ids["kbh"]).area_office_id == ids["vest"]
        assert _last_audit("municipality.updated").details["area_office"] == "vest"


def test_admin_edits_an_area_office(app: Flask, login_as: Any) -> None:
    ids = _ids(app)
    response = login_as("admin").post(
        f"/admin/omraadekontorer/{ids['ost']}",
        data={
            "name": "Områdekontoret Øst",
            "email": "ost@example.org",
            "phone": "11 22 33 44",
            "address": "",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(AreaOffice, ids["ost"]).email == "ost@example.org"
        assert _last_audit("area_office.updated")


def test_user_search_and_csv_export(app: Flask, login_as: Any) -> None:
    admin = login_as("admin")
    page = admin.get("/admin/brugere?q=vest&role=caseworker").get_data(as_text=True)
    assert "caseworker.vest@example.org" in page
    assert "caseworker.ost@example.org" not in page
    csv = admin.get("/admin/brugere.csv?role=ngo_admin")
    assert csv.mimetype == "text/csv"
    assert "attachment" in csv.headers["Content-Disposition"]
    text = csv.get_data(as_text=True)
    assert "ngo-a.admin@example.org" in text and "ngo-b.admin@example.org" in text
    assert "admin@example.org;" not in text.replace("ngo-a.admin@example.org;", "").replace(
        "ngo-b.admin@example.org;", ""
    )


def test_csv_cells_cannot_run_as_formulas(app: Flask, login_as: Any) -> None:
    with app.app_context():
        from portal.services import accounts

        accounts.create_user("formula@example.org", '=HYPERLINK("http://evil")', None)
        db.session.commit()
    text = login_as("admin").get("/admin/brugere.csv?q=formula").get_data(as_text=True)
    assert "'=HYPERLINK" in text


def test_admin_grants_a_scoped_role_and_is_told_what_is_missing(app: Flask, login_as: Any) -> None:
    admin = login_as("admin")
    ids = _ids(app)
    with app.app_context():
        reviewer = db.session.scalar(select(User).where(User.email == "reviewer@example.org"))
        assert reviewer is not None
    missing = admin.post(f"/admin/brugere/{reviewer.id}/roller", data={"role": "caseworker"})
    assert missing.status_code == 400
    assert "Vælg det områdekontor, sagsbehandleren hører til." in missing.get_data(as_text=True)
    granted = admin.post(
        f"/admin/brugere/{reviewer.id}/roller",
        data={"role": "caseworker", "area_office_id": str(ids["vest"])},
    )
    assert granted.status_code == 302
    with app.app_context():
        user = db.session.get(User, reviewer.id)
        assert user.roles == {Role.REVIEWER, Role.CASEWORKER}
        assert user.scopes(Role.CASEWORKER) == {ids["vest"]}
        assert _last_audit("user.role_granted").object_id == str(reviewer.id)


def test_admin_cannot_lock_themselves_out(app: Flask, login_as: Any) -> None:
    admin = login_as("admin")
    with app.app_context():
        me = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        assert me is not None
        assignment = me.role_assignments[0].id
    admin.post(f"/admin/brugere/{me.id}/aktiv")
    admin.post(f"/admin/brugere/{me.id}/roller/{assignment}/fjern")
    with app.app_context():
        me = db.session.get(User, me.id)
        assert me.active and Role.ADMIN in me.roles
    assert admin.get("/overblik").status_code == 200
