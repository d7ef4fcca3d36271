"""The admin edits the rule profiles of the security levels and an institution's tightening of
its level's profile: values are checked, a loosening is refused naming the field, the effective
rules follow, and every change is audited with the old and new values."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select

from portal import db
from portal.models import (
    AuditEntry,
    Institution,
    InstitutionRules,
    RuleProfile,
    SecurityLevel,
)
from portal.services import rule_admin
from portal.services.rule_admin import InvalidRules
from portal.services.rule_profiles import effective_rules

STORSTROM = "Storstrøm Fængsel"  # security level "lukket"
LUKKET_ITEMS = ["Undervisningsmateriale på papir", "Spil uden elektronik"]
LUKKET_DECLARATIONS = ["register_consent", "confidentiality", "security_rules"]


def _last_audit(action: str) -> AuditEntry:
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
    )
    assert entry is not None, action
    return entry


def _level(code: str) -> SecurityLevel:
    level = db.session.scalar(select(SecurityLevel).where(SecurityLevel.code == code))
    assert level is not None, code
    return level


def _institution(name: str = STORSTROM) -> Institution:
    institution = db.session.scalar(select(Institution).where(Institution.name == name))
    assert institution is not None, name
    return institution


def _institution_at(code: str) -> Institution:
    institution = db.session.scalar(
        select(Institution)
        .join(SecurityLevel, SecurityLevel.id == Institution.security_level_id)
        .where(SecurityLevel.code == code)
        .order_by(Institution.name)
        .limit(1)
    )
    assert institution is not None, code
    return institution


def _profile_form(**overrides: Any) -> dict[str, Any]:
    """The "lukket" level's seeded values as the edit form posts them."""
    form: dict[str, Any] = {
        "access_validity_days": "365",
        "preparation_required": "y",
        "min_notice_days": "21",
        "max_participants": "3",
        "access_required": "y",
        "required_declarations": LUKKET_DECLARATIONS,
        "escort_required": "y",
        "allowed_items": "\n".join(LUKKET_ITEMS),
        "child_certificate_required": "y",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def _institution_form(**overrides: Any) -> dict[str, Any]:
    """Storstrøm's form untouched: everything as the level."""
    form: dict[str, Any] = {
        "access_validity_days": "",
        "min_notice_days": "",
        "max_participants": "",
        "preparation_required": "",
        "access_required": "",
        "escort_required": "",
        "child_certificate_required": "",
        "required_declarations": LUKKET_DECLARATIONS,
        "allowed_items": LUKKET_ITEMS,
        "phones_allowed": "",
        "note": "",
    }
    form.update(overrides)
    return form


def _seen(html: str) -> str:
    found = re.search(r'name="seen" type="hidden" value="([0-9a-f]+)"', html) or re.search(
        r'type="hidden" name="seen" value="([0-9a-f]+)"', html
    )
    assert found, "no seen fingerprint on the page"
    return found.group(1)


# --- the overview ----------------------------------------------------------------------------


def test_overview_shows_every_level_and_says_the_defaults_are_examples(
    app: Flask, login_as: Any
) -> None:
    html = login_as("admin").get("/admin/regler").get_data(as_text=True)
    assert "Standardværdierne er eksempler, som kriminalforsorgen skal fastsætte" in html
    for name in ("Lukket", "Arrest", "Åben", "Udslusning", "I frihed"):
        assert name in html
    assert "Tavshedspligt" in html  # declaration kinds by their labels
    assert "Sportsudstyr" in html
    assert "Ingen institutioner har egne regler" in html
    assert 'href="/admin/regler"' in html  # the navigation entry


# --- a level's profile -----------------------------------------------------------------------


def test_admin_edits_a_profile_and_the_change_is_audited(app: Flask, login_as: Any) -> None:
    admin = login_as("admin")
    with app.app_context():
        level_id = _level("lukket").id
    page = admin.get(f"/admin/regler/{level_id}").get_data(as_text=True)
    assert "Standardværdierne er eksempler" in page
    assert "Spil uden elektronik" in page

    response = admin.post(
        f"/admin/regler/{level_id}",
        data=_profile_form(
            min_notice_days="28",
            escort_required=None,  # unticked
            required_declarations=[*LUKKET_DECLARATIONS, "visiting_friend"],
            allowed_items="  Undervisningsmateriale på papir \n\n   \nBrætspil\nbrætspil\n",
        ),
    )
    assert response.status_code == 302
    assert "Reglerne for niveauet Lukket er gemt." in admin.get(response.location).get_data(
        as_text=True
    )
    with app.app_context():
        profile = db.session.scalar(
            select(RuleProfile).where(RuleProfile.security_level_id == level_id)
        )
        assert profile is not None
        assert profile.min_notice_days == 28
        assert profile.escort_required is False
        assert profile.allowed_items == ["Undervisningsmateriale på papir", "Brætspil"]
        assert profile.required_declarations == [*LUKKET_DECLARATIONS, "visiting_friend"]
        entry = _last_audit("rule_profile.updated")
        assert entry.object_id == str(profile.id)
        assert entry.actor_label == "admin@example.org"
        assert entry.details["security_level"] == "lukket"
        assert entry.details["created"] is False
        changes = entry.details["changes"]
        assert changes["min_notice_days"] == [21, 28]
        assert changes["escort_required"] == [True, False]
        assert changes["allowed_items"] == [
            LUKKET_ITEMS,
            ["Undervisningsmateriale på papir", "Brætspil"],
        ]
        assert "max_participants" not in changes


def test_saving_unchanged_values_changes_and_audits_nothing(app: Flask, login_as: Any) -> None:
    with app.app_context():
        level_id = _level("lukket").id
        before = db.session.scalar(
            select(AuditEntry.id).where(AuditEntry.action == "rule_profile.updated")
        )
    response = login_as("admin").post(f"/admin/regler/{level_id}", data=_profile_form())
    assert response.status_code == 302
    with app.app_context():
        after = db.session.scalar(
            select(AuditEntry.id).where(AuditEntry.action == "rule_profile.updated")
        )
        assert before == after


def test_a_level_without_a_profile_gets_one_from_the_strict_defaults(
    app: Flask, login_as: Any
) -> None:
    with app.app_context():
        level = _level("frihed")
        level_id = level.id
        db.session.execute(delete(RuleProfile).where(RuleProfile.security_level_id == level_id))
        db.session.commit()
    admin = login_as("admin")
    assert "Ingen profil: de strengeste regler gælder" in admin.get("/admin/regler").get_data(
        as_text=True
    )
    page = admin.get(f"/admin/regler/{level_id}").get_data(as_text=True)
    assert "Niveauet har ingen regelprofil endnu" in page
    response = admin.post(
        f"/admin/regler/{level_id}",
        data=_profile_form(max_participants="10", phones_allowed="y", seen=_seen(page)),
    )
    assert response.status_code == 302
    with app.app_context():
        profile = db.session.scalar(
            select(RuleProfile).where(RuleProfile.security_level_id == level_id)
        )
        assert profile is not None and profile.max_participants == 10 and profile.phones_allowed
        entry = _last_audit("rule_profile.updated")
        assert entry.details["created"] is True
        assert entry.details["changes"]["max_participants"] == [2, 10]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"access_validity_days": ""}, "Skriv, hvor mange dage adgangen gælder."),
        ({"access_validity_days": "1831"}, "Skriv et helt tal mellem 1 og 1830."),
        ({"min_notice_days": "-1"}, "Skriv et helt tal mellem 0 og 365."),
        ({"min_notice_days": "to uger"}, "Skriv et helt tal."),
        ({"max_participants": "0"}, "Skriv et helt tal mellem 1 og 500."),
        ({"max_participants": "501"}, "Skriv et helt tal mellem 1 og 500."),
        ({"required_declarations": ["no_such_kind"]}, "Vælg en af mulighederne."),
        (
            {"allowed_items": "\n".join(f"Genstand {n}" for n in range(31))},
            "Skriv højst 30 genstande (der er 31).",
        ),
        (
            {"allowed_items": "Bøger\n" + "x" * 101},
            "Genstand nr. 2 er for lang: højst 100 tegn.",
        ),
    ],
)
def test_profile_values_are_checked_with_danish_messages(
    app: Flask, login_as: Any, overrides: dict[str, Any], message: str
) -> None:
    with app.app_context():
        level_id = _level("lukket").id
    response = login_as("admin").post(
        f"/admin/regler/{level_id}", data=_profile_form(**{"min_notice_days": "30", **overrides})
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert "Der er problemer" in html
    if "min_notice_days" not in overrides:
        assert 'value="30"' in html  # what else the admin typed is kept
    with app.app_context():
        profile = db.session.scalar(
            select(RuleProfile).where(RuleProfile.security_level_id == level_id)
        )
        assert profile is not None and profile.min_notice_days == 21


def test_a_page_opened_before_someone_else_saved_is_refused(app: Flask, login_as: Any) -> None:
    admin = login_as("admin")
    with app.app_context():
        level_id = _level("lukket").id
    seen = _seen(admin.get(f"/admin/regler/{level_id}").get_data(as_text=True))
    # Another admin saves first.
    assert admin.post(f"/admin/regler/{level_id}", data=_profile_form(max_participants="2"))
    stale = admin.post(
        f"/admin/regler/{level_id}", data=_profile_form(min_notice_days="30", seen=seen)
    )
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Reglerne er ændret af en anden" in html
    assert "De gemte værdier nu" in html
    assert 'value="30"' in html
    with app.app_context():
        profile = db.session.scalar(
            select(RuleProfile).where(RuleProfile.security_level_id == level_id)
        )
        assert (
            profile is not None and profile.min_notice_days == 21 and profile.max_participants == 2
        )
    # The refused page carries the new fingerprint: saving again is deliberate, and goes through.
    again = admin.post(
        f"/admin/regler/{level_id}", data=_profile_form(min_notice_days="30", seen=_seen(html))
    )
    assert again.status_code == 302


# --- an institution's tightening -------------------------------------------------------------


def test_institution_page_shows_the_level_beside_the_inputs(app: Flask, login_as: Any) -> None:
    with app.app_context():
        institution_id = _institution().id
    html = (
        login_as("admin")
        .get(f"/admin/institutioner/{institution_id}/regler")
        .get_data(as_text=True)
    )
    assert "Institutionens egne regler" in html
    assert "Niveauet: 21 dage. Tomt felt: som niveauet." in html
    assert "Som niveauet (kræves)" in html
    assert "Reglerne, der gælder på institutionen" in html
    assert "Standardværdierne er eksempler" in html


def test_tightening_is_stored_shown_and_in_the_effective_rules(app: Flask, login_as: Any) -> None:
    admin = login_as("admin")
    with app.app_context():
        institution_id = _institution().id
    url = f"/admin/institutioner/{institution_id}/regler"
    seen = _seen(admin.get(url).get_data(as_text=True))
    response = admin.post(
        url,
        data=_institution_form(
            access_validity_days="180",
            min_notice_days="28",
            max_participants="2",
            required_declarations=[*LUKKET_DECLARATIONS, "visiting_friend"],
            allowed_items=["Undervisningsmateriale på papir"],
            note="Ombygning af besøgsafsnittet",
            seen=seen,
        ),
    )
    assert response.status_code == 302
    page = admin.get(url).get_data(as_text=True)
    assert f"Reglerne for {STORSTROM} er gemt." in page
    assert "Strammet" in page
    with app.app_context():
        institution = _institution()
        rules = effective_rules(institution)
        assert rules.access_validity_days == 180
        assert rules.min_notice_days == 28
        assert rules.max_participants == 2
        assert rules.required_declarations == {*LUKKET_DECLARATIONS, "visiting_friend"}
        assert rules.allowed_items == ("Undervisningsmateriale på papir",)
        assert rules.escort_required is True  # as the level
        own = db.session.scalar(
            select(InstitutionRules).where(InstitutionRules.institution_id == institution.id)
        )
        assert own is not None
        assert own.required_declarations == ["visiting_friend"]  # only beyond the level's
        entry = _last_audit("institution_rules.updated")
        assert entry.object_id == str(institution.id)
        assert entry.details["institution"] == STORSTROM
        assert entry.details["changes"]["min_notice_days"] == [None, 28]
        assert entry.details["changes"]["allowed_items"] == [
            None,
            ["Undervisningsmateriale på papir"],
        ]
    overview = admin.get("/admin/regler").get_data(as_text=True)
    assert STORSTROM in overview
    assert "Ombygning af besøgsafsnittet" in overview
    assert "niveauet: 21 dage" in overview


def test_requirements_and_phones_can_be_tightened(app: Flask, login_as: Any) -> None:
    with app.app_context():
        institution = _institution_at("frihed")  # no escort, phones allowed, no access needed
        level = rule_admin.profile_values(rule_admin.profile_for(institution.security_level))
        assert not level["escort_required"] and level["phones_allowed"]
        institution_id = institution.id
    response = login_as("admin").post(
        f"/admin/institutioner/{institution_id}/regler",
        data=_institution_form(
            escort_required="required",
            access_required="required",
            phones_allowed="not_allowed",
            required_declarations=list(level["required_declarations"]),
            allowed_items=level["allowed_items"],
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        rules = effective_rules(db.session.get(Institution, institution_id))
        assert rules.escort_required and rules.access_required
        assert rules.phones_allowed is False


@pytest.mark.parametrize(
    ("overrides", "field_label", "message"),
    [
        (
            {"access_validity_days": "400"},
            "Adgangens gyldighed",
            "Adgangen kan ikke gælde længere end niveauets 365 dage.",
        ),
        (
            {"min_notice_days": "7"},
            "Mindste varsel for en aktivitet",
            "Varslet kan ikke være kortere end niveauets 21 dage.",
        ),
        (
            {"max_participants": "5"},
            "Højst antal deltagere fra organisationen",
            "Der kan ikke være flere deltagere end niveauets 3.",
        ),
        (
            {"required_declarations": ["register_consent", "security_rules"]},
            "Erklæringer, der skal være underskrevet i gældende version",
            "Niveauet kræver «Tavshedspligt», og en institution kan ikke fjerne kravet.",
        ),
        (
            {"allowed_items": [*LUKKET_ITEMS, "Mobiloplader"]},
            "Genstande, der må medbringes",
            "«Mobiloplader» er ikke tilladt på niveauet.",
        ),
    ],
)
def test_a_loosening_is_refused_naming_the_field(
    app: Flask, login_as: Any, overrides: dict[str, Any], field_label: str, message: str
) -> None:
    with app.app_context():
        institution_id = _institution().id
    response = login_as("admin").post(
        f"/admin/institutioner/{institution_id}/regler",
        data=_institution_form(note="Skal bevares", **overrides),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert f"{field_label}: {message}" in html.replace("&#34;", '"')  # the error summary
    assert "Skal bevares" in html
    with app.app_context():
        assert (
            db.session.scalar(
                select(InstitutionRules).where(InstitutionRules.institution_id == institution_id)
            )
            is None
        )


def test_the_service_refuses_dropping_a_requirement_or_allowing_phones(app: Flask) -> None:
    with app.app_context():
        institution = _institution()
        values = {
            "required_declarations": LUKKET_DECLARATIONS,
            "escort_required": False,
            "child_certificate_required": False,
            "phones_allowed": True,
        }
        with pytest.raises(InvalidRules) as refused:
            rule_admin.save_institution_rules(institution, values)
        fields = [field for field, _message in refused.value.problems]
        assert fields == ["escort_required", "child_certificate_required", "phones_allowed"]
        messages = [str(message) for _field, message in refused.value.problems]
        assert "Niveauet kræver ledsagelse af personale" in messages[0]
        assert "Niveauet tillader ikke mobiltelefoner" in messages[2]


def test_clearing_every_value_removes_the_institutions_rules(app: Flask, login_as: Any) -> None:
    admin = login_as("admin")
    with app.app_context():
        institution_id = _institution().id
    url = f"/admin/institutioner/{institution_id}/regler"
    assert admin.post(url, data=_institution_form(min_notice_days="30")).status_code == 302
    assert admin.post(url, data=_institution_form()).status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(
                select(InstitutionRules).where(InstitutionRules.institution_id == institution_id)
            )
            is None
        )
        entry = _last_audit("institution_rules.updated")
        assert entry.details["removed"] is True
        assert entry.details["changes"]["min_notice_days"] == [30, None]


def test_a_stored_value_the_level_has_overtaken_is_marked_without_effect(
    app: Flask, login_as: Any
) -> None:
    admin = login_as("admin")
    with app.app_context():
        institution_id = _institution().id
        level_id = _level("lukket").id
    admin.post(
        f"/admin/institutioner/{institution_id}/regler",
        data=_institution_form(min_notice_days="28"),
    )
    admin.post(f"/admin/regler/{level_id}", data=_profile_form(min_notice_days="35"))
    assert "Ingen virkning: niveauet er lige så strengt" in admin.get("/admin/regler").get_data(
        as_text=True
    )
    with app.app_context():
        assert effective_rules(_institution()).min_notice_days == 35


@pytest.mark.parametrize("role", ["caseworker_ost", "institution", "ngo_a_admin", "dpo"])
def test_only_the_admin_edits_rules(app: Flask, login_as: Any, role: str) -> None:
    with app.app_context():
        level_id = _level("lukket").id
        institution_id = _institution().id
    user = login_as(role)
    assert user.get("/admin/regler").status_code == 403
    assert (
        user.post(f"/admin/regler/{level_id}", data=_profile_form(min_notice_days="1")).status_code
        == 403
    )
    assert (
        user.post(
            f"/admin/institutioner/{institution_id}/regler",
            data=_institution_form(min_notice_days="60"),
        ).status_code
        == 403
    )
    with app.app_context():
        assert effective_rules(_institution()).min_notice_days == 21
