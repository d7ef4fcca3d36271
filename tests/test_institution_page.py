"""The read-only institution pages: the list with search, and one institution's details with
its contact people, sections and the rules that hold there in plain Danish."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal import db
from portal.models import (
    AuditEntry,
    Institution,
    InstitutionRules,
    InstitutionSection,
    Organisation,
    OrganisationState,
)
from portal.services import demo_institutions
from portal.services.rule_profiles import EffectiveRules
from portal.services.rule_sentences import sentences


def _institution(name: str) -> Institution:
    found = db.session.scalar(select(Institution).where(Institution.name == name))
    assert found is not None
    return found


@pytest.fixture
def seeded(app: Flask) -> dict[str, uuid.UUID]:
    """The demo institutions' details (the demo seeding adds them; here the test does)."""
    with app.app_context():
        demo_institutions.seed_institution_details(db.session)
        db.session.commit()
        return {
            name: _institution(name).id
            for name in ("Storstrøm Fængsel", "Horserød Fængsel", "Vestre Fængsel")
        }


def _page(client: Any, institution_id: uuid.UUID) -> str:
    response = client.get(f"/institutioner/{institution_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- the rules in sentences ------------------------------------------------------------------


def _rules(**changes: Any) -> EffectiveRules:
    values: dict[str, Any] = {
        "access_validity_days": 365,
        "preparation_required": True,
        "min_notice_days": 21,
        "max_participants": 2,
        "access_required": True,
        "required_declarations": frozenset({"confidentiality", "register_consent"}),
        "escort_required": True,
        "allowed_items": ("Undervisningsmateriale på papir",),
        "phones_allowed": False,
        "child_certificate_required": True,
    }
    values.update(changes)
    return EffectiveRules(**values)


def test_rules_read_as_plain_danish_sentences(app_ctx: Flask) -> None:
    lines = {line.field: line for line in sentences(_rules())}
    assert lines["min_notice_days"].text == "Mindst 21 dages varsel"
    assert lines["max_participants"].text == "Højst 2 deltagere fra organisationen"
    assert lines["phones_allowed"].text == "Telefoner må ikke medbringes"
    assert lines["allowed_items"].text == "Må medbringes:"
    assert lines["allowed_items"].items == ("Undervisningsmateriale på papir",)
    # Declarations in signing order, by their names.
    assert lines["required_declarations"].items == (
        "Samtykke til træk i Kriminalregistret",
        "Tavshedspligt",
    )
    assert lines["escort_required"].text == "Personale ledsager de frivillige"
    assert lines["child_certificate_required"].text == (
        "Børneattest kræves, når børn under 15 år deltager"
    )


def test_rule_sentences_in_the_singular_and_the_lenient_cases(app_ctx: Flask) -> None:
    lines = {
        line.field: line
        for line in sentences(
            _rules(
                min_notice_days=1,
                max_participants=1,
                access_required=False,
                required_declarations=frozenset(),
                escort_required=False,
                allowed_items=(),
                phones_allowed=True,
                child_certificate_required=False,
                preparation_required=False,
                access_validity_days=1,
            )
        )
    }
    assert lines["min_notice_days"].text == "Mindst 1 dags varsel"
    assert lines["max_participants"].text == "Højst 1 deltager fra organisationen"
    assert lines["allowed_items"].text == "Der må ikke medbringes genstande"
    assert lines["allowed_items"].items == ()
    assert lines["required_declarations"].text == "Ingen erklæringer kræves"
    assert lines["phones_allowed"].text == "Telefoner må medbringes"
    assert lines["child_certificate_required"].text == "Børneattest kræves ikke"
    assert lines["access_validity_days"].text.endswith("for 1 dag")
    assert {line.field: line for line in sentences(_rules(min_notice_days=0))}[
        "min_notice_days"
    ].text == "Intet krav om varsel"


# --- one institution -------------------------------------------------------------------------


def test_ngo_staff_see_where_when_whom_and_the_rules(
    app: Flask, login_as: Any, seeded: dict[str, uuid.UUID]
) -> None:
    html = _page(login_as("ngo_a_member"), seeded["Storstrøm Fængsel"])
    assert "Nystedvej 75, 4894 Øster Ulslev" in html
    assert "Tirsdag-torsdag 13-16<br>Lørdag og søndag 10-15" in html
    assert 'href="tel:72553000"' in html
    assert "Peter Winther</strong>, Afdelingsleder" in html
    assert 'href="mailto:hanne.krogh.storstroem@example.org"' in html
    assert "Lukket" in html and "Områdekontoret i Kriminalforsorgen Øst" in html
    # The rules of the closed level (the seeded example profile), in sentences.
    assert "Mindst 21 dages varsel" in html
    assert "Højst 3 deltagere fra organisationen" in html
    assert "Telefoner må ikke medbringes" in html
    assert "<li>Spil uden elektronik</li>" in html
    assert "Tavshedspligt" in html
    assert "ikke delt op i afdelinger" in html
    assert "Redigér institutionen" not in html  # only the admin edits


def test_an_institutions_own_tightening_shows_in_its_rules(
    app: Flask, login_as: Any, seeded: dict[str, uuid.UUID]
) -> None:
    with app.app_context():
        db.session.add(
            InstitutionRules(
                institution_id=seeded["Storstrøm Fængsel"], max_participants=1, min_notice_days=30
            )
        )
        db.session.commit()
    html = _page(login_as("caseworker_vest"), seeded["Storstrøm Fængsel"])
    assert "Højst 1 deltager fra organisationen" in html
    assert "Mindst 30 dages varsel" in html


def test_sections_show_their_level_and_the_rules_that_differ(
    app: Flask, login_as: Any, seeded: dict[str, uuid.UUID]
) -> None:
    html = _page(login_as("ngo_b_admin"), seeded["Horserød Fængsel"])
    assert "Åben afdeling" in html and "Lukket afdeling" in html
    assert "Sikkerhedsniveau: Lukket" in html and "Sikkerhedsniveau: Åben" in html
    # The open prison's own rules, then the closed section's stricter ones.
    assert "Mindst 14 dages varsel" in html
    assert "Højst 6 deltagere fra organisationen" in html
    assert "Her gælder de samme regler som for hele institutionen." in html  # the open one
    assert "Reglerne i Lukket afdeling" in html
    closed_part = html.split("Reglerne i Lukket afdeling", 1)[1]
    assert "Mindst 21 dages varsel" in closed_part
    assert "Højst 3 deltagere fra organisationen" in closed_part


def test_an_inactive_section_is_hidden_from_organisations_but_not_from_deciders(
    app: Flask, login_as: Any, seeded: dict[str, uuid.UUID]
) -> None:
    with app.app_context():
        closed = db.session.scalar(
            select(InstitutionSection).where(
                InstitutionSection.institution_id == seeded["Horserød Fængsel"],
                InstitutionSection.name == "Lukket afdeling",
            )
        )
        assert closed is not None
        closed.active = False
        db.session.commit()
    horserod = seeded["Horserød Fængsel"]
    assert "Lukket afdeling" not in _page(login_as("ngo_a_admin"), horserod)
    assert "Lukket afdeling" not in _page(login_as("caseworker_vest"), horserod)
    for role in ("caseworker_ost", "admin"):
        html = _page(login_as(role), horserod)
        assert "Lukket afdeling" in html and "Inaktiv" in html


def test_an_institution_without_details_says_so(app: Flask, login_as: Any) -> None:
    with app.app_context():
        kolding = _institution("Kolding Arrest").id
    html = _page(login_as("institution"), kolding)
    assert "Ikke udfyldt" in html
    assert "ingen kontaktpersoner i portalen" in html
    assert "Mindst 21 dages varsel" in html  # the arrest level's rules hold all the same


def test_the_admin_is_offered_the_edit_page(
    app: Flask, login_as: Any, seeded: dict[str, uuid.UUID]
) -> None:
    html = _page(login_as("admin"), seeded["Vestre Fængsel"])
    assert f'href="/admin/institutioner/{seeded["Vestre Fængsel"]}"' in html


# --- who sees what ---------------------------------------------------------------------------


@pytest.fixture
def inactive(app: Flask) -> uuid.UUID:
    """Helsingør Arrest (area office Øst), closed down."""
    with app.app_context():
        institution = _institution("Helsingør Arrest")
        institution.active = False
        db.session.commit()
        return institution.id


def _denials(app: Flask, institution_id: uuid.UUID) -> int:
    with app.app_context():
        return len(
            db.session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "access.denied",
                    AuditEntry.object_id == str(institution_id),
                )
            ).all()
        )


def test_an_inactive_institution_is_hidden_from_organisations_and_other_areas(
    app: Flask, login_as: Any, inactive: uuid.UUID
) -> None:
    for role in ("ngo_a_admin", "ngo_b_admin", "caseworker_vest", "institution"):
        assert login_as(role).get(f"/institutioner/{inactive}").status_code == 404, role
    assert _denials(app, inactive) == 4
    for role in ("caseworker_ost", "admin", "dpo"):
        html = _page(login_as(role), inactive)
        assert "Institutionen er inaktiv" in html


def test_the_list_hides_inactive_institutions_from_organisations(
    app: Flask, login_as: Any, inactive: uuid.UUID
) -> None:
    ngo = login_as("ngo_b_admin").get("/institutioner?q=Helsing").get_data(as_text=True)
    assert "Helsingør Arrest" not in ngo
    caseworker = login_as("caseworker_ost").get("/institutioner?q=Helsing").get_data(as_text=True)
    assert "Helsingør Arrest" in caseworker and "Inaktiv" in caseworker
    other_area = login_as("caseworker_vest").get("/institutioner?q=Helsing").get_data(as_text=True)
    assert "Helsingør Arrest" not in other_area


@pytest.mark.parametrize("role", ["volunteer", "grant_officer", "reviewer"])
def test_volunteers_and_grant_staff_are_refused(
    app: Flask, login_as: Any, role: str, seeded: dict[str, uuid.UUID]
) -> None:
    client = login_as(role)
    assert client.get("/institutioner").status_code == 403
    assert client.get(f"/institutioner/{seeded['Vestre Fængsel']}").status_code == 403


def test_staff_of_an_organisation_that_is_not_approved_are_refused(
    app: Flask, login_as: Any, seeded: dict[str, uuid.UUID]
) -> None:
    with app.app_context():
        organisation = db.session.scalar(
            select(Organisation).where(Organisation.name == "Foreningen Nyt Netværk")
        )
        assert organisation is not None
        organisation.state = OrganisationState.SUSPENDED
        db.session.commit()
    client = login_as("ngo_a_member")
    assert client.get("/institutioner").status_code == 403
    assert client.get(f"/institutioner/{seeded['Vestre Fængsel']}").status_code == 403
    # The other organisation is not affected.
    assert login_as("ngo_b_admin").get("/institutioner").status_code == 200


def test_anonymous_visitors_are_sent_to_the_login(app: Flask, client: Any) -> None:
    response = client.get("/institutioner")
    assert response.status_code == 302 and "/log-ind" in response.headers["Location"]


# --- the list --------------------------------------------------------------------------------


def test_search_by_name_and_filter_by_area_office(
    app: Flask, login_as: Any, seeded: dict[str, uuid.UUID]
) -> None:
    client = login_as("ngo_a_admin")
    everything = client.get("/institutioner").get_data(as_text=True)
    assert "institutioner</h2>" in everything
    assert "Horserød Fængsel" in everything
    assert "Gurrevej 90, 3000 Helsingør" in everything

    found = client.get("/institutioner?q=storstr").get_data(as_text=True)
    assert "Storstrøm Fængsel" in found and "Vestre Fængsel" not in found
    assert "1 institution</h2>" in found
    assert 'value="storstr"' in found  # what was typed stays in the field
    assert "Nulstil søgningen" in found

    by_town = client.get("/institutioner?q=Helsingør").get_data(as_text=True)
    assert "Horserød Fængsel" in by_town  # its town, from the demo details

    vest = client.get("/institutioner?omraade=vest&q=Fængsel").get_data(as_text=True)
    assert "Østjyllands Fængsel" in vest and "Storstrøm Fængsel" not in vest
    assert '<option selected value="vest">' in vest


def test_a_bad_search_is_shown_with_its_error_and_keeps_what_was_typed(
    app: Flask, login_as: Any
) -> None:
    typed = "Fængsel " + "x" * 100
    response = login_as("caseworker_ost").get(
        "/institutioner", query_string={"q": typed, "omraade": "nord"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Skriv højst 100 tegn." in html
    assert "Vælg en af mulighederne." in html
    assert typed in html
    # Neither filter is applied: the whole list is shown.
    assert "Horserød Fængsel" in html and "Aalborg Arrest" in html


def test_the_list_pages_through_many_institutions(app: Flask, login_as: Any) -> None:
    client = login_as("admin")
    first = client.get("/institutioner").get_data(as_text=True)
    assert 'aria-label="Paginering"' in first
    second = client.get("/institutioner?page=2").get_data(as_text=True)
    assert second.count('href="/institutioner/') > 0
    assert "<table" not in first  # a list that fits a phone, not a wide table
