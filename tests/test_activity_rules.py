"""The rules an activity proposal is checked against: each rule alone (passing and failing,
with its Danish message naming the person and the date), all of them combined in RULES order,
and a participant's facts gathered from the demo data's real rows."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import db
from portal.db import utcnow
from portal.models import (
    AccessEndReason,
    DeclarationKind,
    DeclarationVersion,
    Institution,
    Organisation,
    Volunteer,
)
from portal.services import activity_rules as ar
from portal.services.activity_rules import (
    RULES,
    ParticipantFacts,
    ProposalFacts,
    RuleProblem,
    check,
    participant_facts,
)
from portal.services.rule_profiles import EffectiveRules, effective_rules
from portal.services.volunteer_status import today

ORG_A = "Foreningen Nyt Netværk"
METTE = uuid.UUID(int=1)
ALI = uuid.UUID(int=2)
INSTITUTION = uuid.UUID(int=100)
DAYS = (date(2027, 3, 12), date(2027, 3, 19))
SIGNED = frozenset({"register_consent", "confidentiality", "security_rules"})

STRICT = EffectiveRules(
    access_validity_days=365,
    preparation_required=True,
    min_notice_days=21,
    max_participants=2,
    access_required=True,
    required_declarations=SIGNED,
    escort_required=True,
    allowed_items=("Undervisningsmateriale på papir", "Spil uden elektronik"),
    phones_allowed=False,
    child_certificate_required=True,
)
LENIENT = EffectiveRules(
    access_validity_days=730,
    preparation_required=False,
    min_notice_days=0,
    max_participants=10,
    access_required=False,
    required_declarations=frozenset(),
    escort_required=False,
    allowed_items=(),
    phones_allowed=True,
    child_certificate_required=False,
)


def person(volunteer_id: uuid.UUID = METTE, name: str = "Mette Hansen", **changes: Any) -> Any:
    values: dict[str, Any] = {
        "volunteer_id": volunteer_id,
        "name": name,
        "state": "cleared",
        "access_days": frozenset(DAYS),
        "signed_current": SIGNED,
        "prepared": True,
        "child_certificate": True,
    }
    return ParticipantFacts(**(values | changes))


def proposal(**changes: Any) -> ProposalFacts:
    """A proposal that keeps every rule of STRICT; each test breaks what it is about."""
    values: dict[str, Any] = {
        "institution_id": INSTITUTION,
        "institution_name": "Vestre Fængsel",
        "rules": STRICT,
        "sent_on": date(2027, 2, 19),  # exactly 21 days before 12 March
        "days": list(DAYS),
        "participants": [person()],
        "items": ["  spil UDEN   elektronik ", "Undervisningsmateriale på papir"],
        "brings_phone": False,
        "children_under_15": True,
        "escort_arranged": True,
    }
    return ProposalFacts(**(values | changes))


def texts(problems: list[RuleProblem]) -> list[str]:
    return [str(problem.message) for problem in problems]


@pytest.fixture
def babel(app: Flask) -> Iterator[None]:
    """Danish (the default locale) for rendering the messages."""
    with app.test_request_context():
        yield


# --- each rule alone ---------------------------------------------------------------------------


def test_the_good_proposal_passes_every_rule() -> None:
    assert check(proposal()) == []
    for rule in RULES:
        assert rule(proposal()) == []


def test_every_rule_names_itself() -> None:
    names = [rule.__name__ for rule in RULES]
    assert len(set(names)) == len(names) == 12
    for name in names:
        assert getattr(ar, name) in RULES


# Each change breaks exactly one rule of the good proposal, and only that one.
BREAKING: dict[str, dict[str, Any]] = {
    "at_least_one_day": {"days": []},
    "minimum_notice": {"sent_on": date(2027, 2, 20)},
    "at_least_one_participant": {"participants": []},
    "max_participants": {
        "participants": [person(uuid.UUID(int=n), f"Frivillig {n}") for n in range(1, 4)]
    },
    "participants_cleared": {"participants": [person(state="awaiting_check")]},
    "access_on_each_day": {"participants": [person(access_days=frozenset(DAYS[:1]))]},
    "declarations_current": {"participants": [person(signed_current=SIGNED - {"confidentiality"})]},
    "preparation_recorded": {"participants": [person(prepared=False)]},
    "escort_arranged": {"escort_arranged": False},
    "items_allowed": {"items": ["Spil uden elektronik", "Guitar"]},
    "no_phones": {"brings_phone": True},
    "child_certificate": {"participants": [person(child_certificate=False)]},
}


@pytest.mark.parametrize("rule", [rule.__name__ for rule in RULES])
def test_each_rule_alone(babel: None, rule: str) -> None:
    facts = proposal(**BREAKING[rule])
    problems = check(facts)
    assert problems, rule
    assert {problem.rule for problem in problems} == {rule}
    assert getattr(ar, rule)(facts) == problems


def test_at_least_one_day(babel: None) -> None:
    problems = ar.at_least_one_day(proposal(days=[]))
    assert texts(problems) == ["Vælg mindst én dato for aktiviteten."]
    assert ar.minimum_notice(proposal(days=[])) == []  # nothing more to say without dates


def test_minimum_notice(babel: None) -> None:
    assert ar.minimum_notice(proposal(sent_on=date(2027, 2, 19))) == []
    problems = ar.minimum_notice(proposal(sent_on=date(2027, 2, 20)))
    assert texts(problems) == [
        "Vestre Fængsel kræver mindst 21 dages varsel: den første dato, 12. marts 2027, er for tidlig. Den tidligste mulige dato er 13. marts 2027."
    ]
    assert problems[0].day == date(2027, 3, 12)
    assert problems[0].volunteer_id is None


def test_minimum_notice_reads_the_earliest_date_whatever_the_order(babel: None) -> None:
    facts = proposal(days=[date(2027, 4, 1), date(2027, 3, 1)], sent_on=date(2027, 2, 19))
    assert [problem.day for problem in ar.minimum_notice(facts)] == [date(2027, 3, 1)]


def test_minimum_notice_of_one_day_and_a_date_in_the_past(babel: None) -> None:
    rules = dataclasses.replace(STRICT, min_notice_days=1)
    facts = proposal(rules=rules, sent_on=date(2027, 3, 12))
    assert texts(ar.minimum_notice(facts)) == [
        "Vestre Fængsel kræver mindst 1 dags varsel: den første dato, 12. marts 2027, er for tidlig. Den tidligste mulige dato er 13. marts 2027."
    ]
    past = proposal(rules=LENIENT, sent_on=date(2027, 3, 13))
    assert texts(ar.minimum_notice(past)) == [
        "Den første dato, 12. marts 2027, er allerede passeret."
    ]
    assert ar.minimum_notice(proposal(rules=LENIENT, sent_on=date(2027, 3, 12))) == []


def test_at_least_one_participant(babel: None) -> None:
    assert texts(ar.at_least_one_participant(proposal(participants=[]))) == [
        "Vælg mindst én deltager."
    ]


def test_max_participants(babel: None) -> None:
    two = [person(), person(ALI, "Ali Hassan")]
    assert ar.max_participants(proposal(participants=two)) == []
    three = [*two, person(uuid.UUID(int=3), "Jonas Berg")]
    assert texts(ar.max_participants(proposal(participants=three))) == [
        "Vestre Fængsel tillader højst 2 deltagere fra organisationen; der er valgt 3."
    ]
    one = dataclasses.replace(STRICT, max_participants=1)
    assert texts(ar.max_participants(proposal(rules=one, participants=two))) == [
        "Vestre Fængsel tillader højst 1 deltager fra organisationen; der er valgt 2."
    ]
    # The same person chosen twice counts once.
    assert ar.max_participants(proposal(rules=one, participants=[person(), person()])) == []


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        ("awaiting_check", "Underskrevet, afventer tjek"),
        ("invited", "Inviteret"),
        ("not_cleared", "Ikke godkendt"),
        ("withdrawn", "Samtykke trukket tilbage"),
        ("expired", "Adgang udløbet"),
    ],
)
def test_participants_cleared(babel: None, state: str, shown: str) -> None:
    facts = proposal(participants=[person(), person(ALI, "Ali Hassan", state=state)])
    problems = ar.participants_cleared(facts)
    assert texts(problems) == [f"Ali Hassan er ikke godkendt til at deltage (status: {shown})."]
    assert problems[0].volunteer_id == ALI
    assert problems[0].day is None


def test_access_on_each_day_names_the_person_and_every_missing_date(babel: None) -> None:
    facts = proposal(
        days=[date(2027, 3, 26), *DAYS],
        participants=[person(), person(ALI, "Ali Hassan", access_days=frozenset())],
    )
    problems = ar.access_on_each_day(facts)
    assert texts(problems) == [
        "Mette Hansen har ikke adgang til Vestre Fængsel den 26. marts 2027.",
        "Ali Hassan har ikke adgang til Vestre Fængsel den 12. marts 2027.",
        "Ali Hassan har ikke adgang til Vestre Fængsel den 19. marts 2027.",
        "Ali Hassan har ikke adgang til Vestre Fængsel den 26. marts 2027.",
    ]
    assert [(p.volunteer_id, p.day) for p in problems] == [
        (METTE, date(2027, 3, 26)),
        (ALI, date(2027, 3, 12)),
        (ALI, date(2027, 3, 19)),
        (ALI, date(2027, 3, 26)),
    ]


def test_access_is_not_checked_where_the_level_does_not_require_it() -> None:
    rules = dataclasses.replace(STRICT, access_required=False)
    nobody = [person(access_days=frozenset())]
    assert ar.access_on_each_day(proposal(rules=rules, participants=nobody)) == []


def test_declarations_current(babel: None) -> None:
    facts = proposal(
        participants=[
            person(signed_current=SIGNED | {"visiting_friend"}),
            person(ALI, "Ali Hassan", signed_current=frozenset({"confidentiality"})),
        ]
    )
    problems = ar.declarations_current(facts)
    assert texts(problems) == [
        "Ali Hassan skal underskrive den nyeste udgave af: Samtykke til træk i Kriminalregistret, Sikkerhedsregler."
    ]
    assert problems[0].volunteer_id == ALI
    visiting = dataclasses.replace(STRICT, required_declarations=SIGNED | {"visiting_friend"})
    assert texts(ar.declarations_current(proposal(rules=visiting))) == [
        "Mette Hansen skal underskrive den nyeste udgave af: Besøgsvens erklæring."
    ]
    assert (
        ar.declarations_current(
            proposal(rules=LENIENT, participants=[person(signed_current=frozenset())])
        )
        == []
    )


def test_preparation_recorded(babel: None) -> None:
    unprepared = [person(prepared=False)]
    problems = ar.preparation_recorded(proposal(participants=unprepared))
    assert texts(problems) == [
        "Organisationen har ikke registreret, at Mette Hansen er forberedt i sikkerhedsreglerne og tavshedspligten."
    ]
    assert problems[0].volunteer_id == METTE
    assert ar.preparation_recorded(proposal(rules=LENIENT, participants=unprepared)) == []


def test_escort_arranged(babel: None) -> None:
    assert texts(ar.escort_arranged(proposal(escort_arranged=False))) == [
        "Vestre Fængsel kræver, at personalet ledsager aktiviteten. Aftal ledsagelse med institutionen, og angiv det i forslaget."
    ]
    assert ar.escort_arranged(proposal(rules=LENIENT, escort_arranged=False)) == []


def test_items_allowed_compares_without_case_and_spaces(babel: None) -> None:
    facts = proposal(
        items=["UNDERVISNINGSMATERIALE  på papir", "", "   ", "Guitar", " guitar ", "Kortspil"]
    )
    assert texts(ar.items_allowed(facts)) == [
        "»Guitar« må ikke medbringes i Vestre Fængsel. Tilladt: Undervisningsmateriale på papir, Spil uden elektronik.",
        "»Kortspil« må ikke medbringes i Vestre Fængsel. Tilladt: Undervisningsmateriale på papir, Spil uden elektronik.",
    ]


def test_items_where_nothing_may_be_brought(babel: None) -> None:
    rules = dataclasses.replace(STRICT, allowed_items=())
    assert texts(ar.items_allowed(proposal(rules=rules, items=[" Bøger  om  kunst "]))) == [
        "»Bøger om kunst« må ikke medbringes i Vestre Fængsel, hvor der ikke må medbringes genstande."
    ]
    assert ar.items_allowed(proposal(rules=rules, items=[])) == []


def test_no_phones(babel: None) -> None:
    assert texts(ar.no_phones(proposal(brings_phone=True))) == [
        "Der må ikke medbringes mobiltelefoner i Vestre Fængsel."
    ]
    assert ar.no_phones(proposal(rules=LENIENT, brings_phone=True)) == []


def test_child_certificate(babel: None) -> None:
    facts = proposal(participants=[person(), person(ALI, "Ali Hassan", child_certificate=False)])
    problems = ar.child_certificate(facts)
    assert texts(problems) == [
        "Ali Hassan skal have en børneattest, fordi børn under 15 år deltager."
    ]
    assert problems[0].volunteer_id == ALI
    # Only when children under 15 take part, and only where the level requires it.
    assert ar.child_certificate(dataclasses.replace(facts, children_under_15=False)) == []
    assert ar.child_certificate(dataclasses.replace(facts, rules=LENIENT)) == []


# --- combined ----------------------------------------------------------------------------------


def test_every_problem_is_listed_in_rules_order(babel: None) -> None:
    ali = person(
        ALI,
        "Ali Hassan",
        state="awaiting_check",
        access_days=frozenset(),
        signed_current=frozenset({"register_consent"}),
        prepared=False,
        child_certificate=False,
    )
    third = person(uuid.UUID(int=3), "Jonas Berg")
    facts = proposal(
        sent_on=date(2027, 3, 1),
        participants=[person(), ali, third],
        items=["Guitar"],
        brings_phone=True,
        escort_arranged=False,
    )
    problems = check(facts)
    assert [problem.rule for problem in problems] == [
        "minimum_notice",
        "max_participants",
        "participants_cleared",
        "access_on_each_day",
        "access_on_each_day",
        "declarations_current",
        "preparation_recorded",
        "escort_arranged",
        "items_allowed",
        "no_phones",
        "child_certificate",
    ]
    order = [rule.__name__ for rule in RULES]
    assert [order.index(p.rule) for p in problems] == sorted(order.index(p.rule) for p in problems)
    assert texts(problems) == [
        "Vestre Fængsel kræver mindst 21 dages varsel: den første dato, 12. marts 2027, er for tidlig. Den tidligste mulige dato er 22. marts 2027.",
        "Vestre Fængsel tillader højst 2 deltagere fra organisationen; der er valgt 3.",
        "Ali Hassan er ikke godkendt til at deltage (status: Underskrevet, afventer tjek).",
        "Ali Hassan har ikke adgang til Vestre Fængsel den 12. marts 2027.",
        "Ali Hassan har ikke adgang til Vestre Fængsel den 19. marts 2027.",
        "Ali Hassan skal underskrive den nyeste udgave af: Tavshedspligt, Sikkerhedsregler.",
        "Organisationen har ikke registreret, at Ali Hassan er forberedt i sikkerhedsreglerne og tavshedspligten.",
        "Vestre Fængsel kræver, at personalet ledsager aktiviteten. Aftal ledsagelse med institutionen, og angiv det i forslaget.",
        "»Guitar« må ikke medbringes i Vestre Fængsel. Tilladt: Undervisningsmateriale på papir, Spil uden elektronik.",
        "Der må ikke medbringes mobiltelefoner i Vestre Fængsel.",
        "Ali Hassan skal have en børneattest, fordi børn under 15 år deltager.",
    ]


def test_an_empty_proposal_asks_for_dates_and_participants(babel: None) -> None:
    assert texts(check(proposal(days=[], participants=[]))) == [
        "Vælg mindst én dato for aktiviteten.",
        "Vælg mindst én deltager.",
    ]


def test_the_lenient_profile_lets_most_things_through() -> None:
    facts = proposal(
        rules=LENIENT,
        participants=[person(access_days=frozenset(), prepared=False, child_certificate=False)],
        items=[],
        brings_phone=True,
        escort_arranged=False,
    )
    assert check(facts) == []
    # A profile without allowed items allows none.
    assert [p.rule for p in check(dataclasses.replace(facts, items=["Guitar"]))] == [
        "items_allowed"
    ]


def test_messages_are_rendered_when_shown(app: Flask) -> None:
    # Checked outside any request; formatted in the reader's language when shown.
    problems = ar.access_on_each_day(proposal(participants=[person(access_days=frozenset())]))
    with app.test_request_context():
        assert "12. marts 2027" in str(problems[0].message)


# --- a participant's facts from the database ---------------------------------------------------


def _volunteer(name: str) -> Volunteer:
    found = db.session.scalar(
        select(Volunteer)
        .join(Organisation)
        .where(Volunteer.name == name, Organisation.name == ORG_A)
    )
    assert found is not None, name
    return found


def _institution(name: str) -> Institution:
    found = db.session.scalar(select(Institution).where(Institution.name == name))
    assert found is not None, name
    return found


def test_mette_hansen_at_vestre_faengsel(app_ctx: Flask) -> None:
    mette = _volunteer("Mette Hansen")
    vestre = _institution("Vestre Fængsel")
    grant = next(
        g for g in mette.access_grants if g.institution_id == vestre.id and g.ended_at is None
    )
    days = [today() + timedelta(days=30), grant.valid_until, grant.valid_until + timedelta(days=1)]
    facts = participant_facts(mette, vestre, days)
    assert facts == ParticipantFacts(
        volunteer_id=mette.id,
        name="Mette Hansen",
        state="cleared",
        access_days=frozenset(days[:2]),
        signed_current=frozenset(kind.value for kind in DeclarationKind),  # a visiting friend
        prepared=True,
        child_certificate=False,
    )
    assert participant_facts(mette, vestre, days, child_certificate=True).child_certificate


def test_access_is_per_institution(app_ctx: Flask) -> None:
    mette = _volunteer("Mette Hansen")
    days = [today() + timedelta(days=30)]
    assert participant_facts(
        mette, _institution("Horserød Fængsel"), days
    ).access_days == frozenset(days)
    assert (
        participant_facts(mette, _institution("Jyderup Fængsel"), days).access_days == frozenset()
    )


def test_ali_hassan_awaits_the_check(app_ctx: Flask) -> None:
    ali = _volunteer("Ali Hassan")
    facts = participant_facts(ali, _institution("Vestre Fængsel"), [today() + timedelta(days=30)])
    assert facts.state == "awaiting_check"
    assert facts.access_days == frozenset()
    assert facts.prepared is False
    assert facts.signed_current == frozenset(
        {"register_consent", "confidentiality", "security_rules"}
    )


def test_a_revoked_grant_gives_no_access(app_ctx: Flask) -> None:
    mette = _volunteer("Mette Hansen")
    vestre = _institution("Vestre Fængsel")
    for grant in mette.access_grants:
        if grant.institution_id == vestre.id and grant.ended_at is None:
            grant.ended_at = utcnow()
            grant.end_reason = AccessEndReason.REVOKED
    db.session.flush()
    day = today() + timedelta(days=30)
    facts = participant_facts(mette, vestre, [day])
    assert facts.access_days == frozenset()
    problems = ar.access_on_each_day(proposal(days=[day], participants=[facts]))
    assert [(p.volunteer_id, p.day) for p in problems] == [(mette.id, day)]
    assert str(problems[0].message).startswith(
        "Mette Hansen har ikke adgang til Vestre Fængsel den "
    )


def test_a_new_declaration_version_is_not_signed_current(app_ctx: Flask) -> None:
    mette = _volunteer("Mette Hansen")
    newest = db.session.scalar(
        select(func.max(DeclarationVersion.version)).where(
            DeclarationVersion.kind == DeclarationKind.CONFIDENTIALITY
        )
    )
    db.session.add(
        DeclarationVersion(
            kind=DeclarationKind.CONFIDENTIALITY,
            version=(newest or 0) + 1,
            title_da="Tavshedspligt (ny)",
            title_en="Confidentiality (new)",
            text_da="Ny tavshedspligt for {navn}.",
            text_en="New confidentiality for {navn}.",
        )
    )
    db.session.flush()
    vestre = _institution("Vestre Fængsel")
    facts = participant_facts(mette, vestre, [today() + timedelta(days=30)])
    assert "confidentiality" not in facts.signed_current
    problems = ar.declarations_current(proposal(participants=[facts]))
    assert texts(problems) == ["Mette Hansen skal underskrive den nyeste udgave af: Tavshedspligt."]


def test_the_demo_proposal_at_vestre_faengsel(app_ctx: Flask) -> None:
    """Mette Hansen and Ali Hassan proposed for two dates at Vestre Fængsel, under its real
    rules: only Ali Hassan's problems remain (arrest level: access, preparation required)."""
    vestre = _institution("Vestre Fængsel")
    mette, ali = _volunteer("Mette Hansen"), _volunteer("Ali Hassan")
    sent_on = today()
    days = [sent_on + timedelta(days=30), sent_on + timedelta(days=37)]
    rules = effective_rules(vestre)
    facts = ProposalFacts(
        institution_id=vestre.id,
        institution_name=vestre.name,
        rules=rules,
        sent_on=sent_on,
        days=days,
        participants=[participant_facts(v, vestre, days) for v in (mette, ali)],
        items=list(rules.allowed_items[:1]),
        brings_phone=False,
        children_under_15=False,
        escort_arranged=True,
    )
    problems = check(facts)
    assert {p.volunteer_id for p in problems} == {ali.id}
    assert [p.rule for p in problems] == [
        "participants_cleared",
        "access_on_each_day",
        "access_on_each_day",
        "preparation_recorded",
    ]
    assert [p.day for p in problems if p.rule == "access_on_each_day"] == days
    assert str(problems[0].message) == (
        "Ali Hassan er ikke godkendt til at deltage (status: Underskrevet, afventer tjek)."
    )
