"""The proposals service on the demo data's real rows: every rule combined on one proposal,
sections with their own security level, the institution's tightening, the problems grouped
for the reader, and what ``propose`` refuses (then saving nothing): another organisation's
volunteer (never named), an organisation that is not approved, bad dates and times.

Each rule alone is in test_activity_rules.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal import db
from portal.models import (
    ActivityParticipant,
    ActivityState,
    CheckOutcome,
    InstitutionRules,
    InstitutionSection,
    OrganisationState,
    Role,
    SecurityLevel,
    Volunteer,
    VolunteerState,
)
from portal.services import activities, activity_workflow
from portal.services.activities import ProposalRefused, grouped, participant_names, problems
from portal.services.activity_rules import RULES, RuleProblem
from portal.services.recurrence import long_date
from portal.services.workflow import WorkflowError
from tests.activity_data import (
    HORSEROD,
    ORG_A,
    ORG_B,
    ORG_C,
    PAPER,
    STORSTROM,
    VESTRE,
    activity_mails,
    audited,
    count,
    counts,
    events,
    give_access,
    in_days,
    institution,
    new_user,
    organisation,
    proposal,
    send,
    unique_title,
    user,
    volunteer,
)


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context outside any request: mail is delivered at once (to ``outbox``)."""
    with app.app_context():
        yield


def rules_of(found: list[RuleProblem]) -> list[str]:
    return [problem.rule for problem in found]


def texts(found: list[RuleProblem]) -> list[str]:
    return [str(problem.message) for problem in found]


# --- the good proposal -------------------------------------------------------------------------


def test_the_good_proposal_has_no_problems_at_vestre_faengsel(ctx: None) -> None:
    assert problems(organisation(), proposal()) == []


def test_propose_makes_the_activity_with_history_audit_and_mail(
    ctx: None, outbox: list[Any]
) -> None:
    the_proposal = proposal(title="Skak i fællesskabet", child_certificate_ids=frozenset())
    activity = send(the_proposal, actor="ngo_a_member")
    assert activity.state == ActivityState.SENT
    assert activity.organisation_id == organisation().id
    assert activity.created_by_id == user("ngo_a_member").id
    assert [p.volunteer_id for p in activity.participants] == [volunteer("Mette Hansen").id]
    assert activities.dates_of(activity) == [in_days(28 + 7 * n) for n in range(4)]
    assert activities.proposal_of(activity) == the_proposal
    assert events(activity) == [("send", "", "sent")]
    assert audited(activity) == ["activity.send"]
    # Vestre Fængsel has no contact person in the portal: the area office's caseworkers.
    assert [m.to for m in activity_mails(outbox, "Skak i fællesskabet")] == [
        "caseworker.ost@example.org"
    ]


# --- every rule combined on one proposal -------------------------------------------------------


def test_every_rule_fails_at_once_and_each_is_named(ctx: None) -> None:
    """Three people at Vestre Fængsel (at most two), too soon, without escort, with a guitar
    and a phone, children present and no certificates: every rule that can fail together
    fails, in RULES order, naming the person (and the date) where there is one."""
    mette, ali, jonas = (volunteer(n) for n in ("Mette Hansen", "Ali Hassan", "Jonas Berg"))
    bad = proposal(
        participants=[mette, ali, jonas],
        start_in=10,
        weeks=2,
        items=(PAPER, "Guitar"),
        brings_phone=True,
        children_under_15=True,
        escort_arranged=False,
    )
    found = problems(organisation(), bad)
    days = [in_days(10), in_days(17)]
    assert [(p.rule, p.volunteer_id, p.day) for p in found] == [
        ("minimum_notice", None, days[0]),
        ("max_participants", None, None),
        ("participants_cleared", ali.id, None),
        ("participants_cleared", jonas.id, None),
        ("access_on_each_day", ali.id, days[0]),
        ("access_on_each_day", ali.id, days[1]),
        ("access_on_each_day", jonas.id, days[0]),
        ("access_on_each_day", jonas.id, days[1]),
        ("declarations_current", jonas.id, None),
        ("preparation_recorded", ali.id, None),
        ("preparation_recorded", jonas.id, None),
        ("escort_arranged", None, None),
        ("items_allowed", None, None),
        ("no_phones", None, None),
        ("child_certificate", mette.id, None),
        ("child_certificate", ali.id, None),
        ("child_certificate", jonas.id, None),
    ]
    # Every rule but the two that only fail on an empty proposal.
    assert set(rules_of(found)) == {rule.__name__ for rule in RULES} - {
        "at_least_one_day",
        "at_least_one_participant",
    }
    shown = texts(found)
    assert shown[0].startswith("Vestre Fængsel kræver mindst 21 dages varsel")
    assert (
        shown[1] == "Vestre Fængsel tillader højst 2 deltagere fra organisationen; der er valgt 3."
    )
    assert (
        shown[2]
        == "Ali Hassan er ikke godkendt til at deltage (status: Underskrevet, afventer tjek)."
    )
    assert shown[3] == "Jonas Berg er ikke godkendt til at deltage (status: Inviteret)."
    assert shown[4] == f"Ali Hassan har ikke adgang til Vestre Fængsel den {long_date(days[0])}."
    assert shown[12] == (
        "»Guitar« må ikke medbringes i Vestre Fængsel. Tilladt: Undervisningsmateriale på papir."
    )
    # The certificate rule is kept for the people the organisation vouches for.
    vouched = dataclasses.replace(bad, child_certificate_ids=frozenset({mette.id, ali.id}))
    assert [
        p.volunteer_id for p in problems(organisation(), vouched) if p.rule == "child_certificate"
    ] == [jonas.id]


def test_nobody_chosen_and_no_date_left(ctx: None) -> None:
    assert rules_of(problems(organisation(), proposal(participants=[]))) == [
        "at_least_one_participant"
    ]
    first = in_days(28)
    every_date_left_out = proposal(weeks=2, exceptions=frozenset({first, first + timedelta(7)}))
    found = problems(organisation(), every_date_left_out)
    assert rules_of(found) == ["dates"]
    assert texts(found) == ["Alle aktivitetens datoer er undtaget; der er ingen tilbage."]


def test_the_basics_are_named_with_the_rules(ctx: None) -> None:
    found = problems(
        organisation(),
        proposal(kind="picnic", title="  ", place="x" * 201, escort_arranged=False),
    )
    assert rules_of(found) == ["kind", "title", "place", "escort_arranged"]
    assert texts(found)[:3] == [
        "Vælg, hvilken slags aktivitet det er.",
        "Skriv en titel på aktiviteten.",
        "Skriv højst 200 tegn.",
    ]
    assert rules_of(problems(organisation(), proposal(title="x" * 201))) == ["title"]
    assert rules_of(problems(organisation(), proposal(target_group="x" * 301))) == ["target_group"]


def test_a_mentor_helps_in_the_four_ways_only(ctx: None) -> None:
    good = proposal(kind="mentor", mentor_help=("practical", "resocialisation"))
    assert problems(organisation(), good) == []
    bad = proposal(kind="mentor", mentor_help=("practical", "cooking"))
    assert rules_of(problems(organisation(), bad)) == ["mentor_help"]
    # Another kind of activity keeps no mentor help at all.
    activity = send(proposal(kind="teaching", mentor_help=("cooking",)))
    assert activity.mentor_help == []


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (time(20, 0), time(18, 0), "Sluttidspunktet skal ligge efter starttidspunktet."),
        (time(18, 0), time(18, 0), "Sluttidspunktet skal ligge efter starttidspunktet."),
    ],
)
def test_the_end_comes_after_the_start(ctx: None, start: time, end: time, message: str) -> None:
    found = problems(organisation(), proposal(start_time=start, end_time=end))
    assert rules_of(found) == ["times"]
    assert texts(found) == [message]
    with pytest.raises(ProposalRefused):
        send(proposal(start_time=start, end_time=end))


def _next_spring_forward() -> date:
    """The next last Sunday of March at least four weeks ahead."""
    year = in_days(28).year
    while True:
        march_31 = date(year, 3, 31)
        sunday = march_31 - timedelta(days=(march_31.weekday() + 1) % 7)
        if sunday >= in_days(28):
            return sunday
        year += 1


def test_a_time_in_the_hour_skipped_in_spring_is_refused(ctx: None) -> None:
    # 02:30 on the last Sunday of March does not exist in Copenhagen. At Horserød Fængsel,
    # where Mette Hansen's access lasts two years.
    sunday = _next_spring_forward()
    found = problems(
        organisation(),
        proposal(
            HORSEROD,
            first_date=sunday - timedelta(weeks=1),
            until_date=sunday + timedelta(weeks=1),
            start_time=time(2, 30),
            end_time=time(4, 0),
        ),
    )
    assert rules_of(found) == ["times"]
    assert found[0].day == sunday
    assert "findes ikke" in texts(found)[0]


# --- sections and the institution's own rules ---------------------------------------------------


def _level(code: str) -> SecurityLevel:
    found = db.session.scalar(select(SecurityLevel).where(SecurityLevel.code == code))
    assert found is not None, code
    return found


def _section(where: str, level: str, **values: Any) -> InstitutionSection:
    section = InstitutionSection(
        institution_id=institution(where).id,
        name=values.pop("name", unique_title("Testafdeling")),
        security_level_id=_level(level).id,
        **values,
    )
    db.session.add(section)
    db.session.flush()
    return section


def _at_horserod(**changes: Any) -> Any:
    """Keeps the open prison's rules (14 days' notice, no escort, sports gear allowed)."""
    values: dict[str, Any] = {
        "start_in": 18,
        "escort_arranged": False,
        "items": ("Sportsudstyr",),
    }
    return proposal(HORSEROD, **(values | changes))


def test_a_section_with_a_stricter_level_changes_the_rules(ctx: None) -> None:
    open_prison = _at_horserod()
    assert problems(organisation(), open_prison) == []
    closed = _section(HORSEROD, "lukket")
    in_closed = dataclasses.replace(open_prison, section_id=closed.id)
    found = problems(organisation(), in_closed)
    assert rules_of(found) == ["minimum_notice", "escort_arranged", "items_allowed"]
    assert texts(found)[0].startswith("Horserød Fængsel kræver mindst 21 dages varsel")
    # Fixed for the closed section's rules, it passes there.
    fixed = dataclasses.replace(
        in_closed,
        first_date=in_days(21),
        until_date=in_days(42),
        escort_arranged=True,
        items=(PAPER,),
    )
    assert problems(organisation(), fixed) == []
    activity = send(fixed)
    assert activity.section_id == closed.id
    assert activities.proposal_of(activity).section_id == closed.id


def test_a_section_with_a_milder_level_is_checked_by_its_own_profile(ctx: None) -> None:
    # A halfway-house section at Storstrøm (closed): 7 days' notice, no escort.
    milder = _section(STORSTROM, "udslusning")
    give_access(volunteer("Mette Hansen"), STORSTROM)
    soon = proposal(STORSTROM, start_in=8, escort_arranged=False)
    assert rules_of(problems(organisation(), soon)) == ["minimum_notice", "escort_arranged"]
    assert problems(organisation(), dataclasses.replace(soon, section_id=milder.id)) == []


def test_the_institutions_tightening_holds_in_its_sections(ctx: None) -> None:
    closed = _section(HORSEROD, "lukket")
    db.session.add(
        InstitutionRules(
            institution_id=institution(HORSEROD).id, min_notice_days=30, max_participants=1
        )
    )
    db.session.flush()
    mette, birgitte = volunteer("Mette Hansen"), volunteer("Birgitte Lund")
    in_closed = proposal(
        HORSEROD,
        participants=[mette, birgitte],
        section_id=closed.id,
        start_in=25,  # enough for the closed level (21), not for the institution (30)
    )
    found = problems(organisation(), in_closed)
    assert rules_of(found)[:2] == ["minimum_notice", "max_participants"]
    assert texts(found)[0].startswith("Horserød Fængsel kræver mindst 30 dages varsel")
    assert texts(found)[1].startswith("Horserød Fængsel tillader højst 1 deltager")
    # The same tightening holds without the section.
    assert rules_of(problems(organisation(), dataclasses.replace(in_closed, section_id=None)))[
        :2
    ] == ["minimum_notice", "max_participants"]


def test_a_tightening_that_would_loosen_the_section_has_no_effect(ctx: None) -> None:
    closed = _section(HORSEROD, "lukket")
    db.session.add(
        InstitutionRules(
            institution_id=institution(HORSEROD).id, min_notice_days=1, escort_required=False
        )
    )
    db.session.flush()
    soon = proposal(HORSEROD, section_id=closed.id, start_in=15, escort_arranged=False)
    assert rules_of(problems(organisation(), soon)) == ["minimum_notice", "escort_arranged"]


def test_a_section_must_belong_to_the_institution_and_be_open(ctx: None) -> None:
    elsewhere = _section(STORSTROM, "aaben")
    found = problems(organisation(), proposal(section_id=elsewhere.id))
    assert rules_of(found) == ["section"]
    assert texts(found) == ["Vælg en afdeling, der hører til institutionen."]
    closed = _section(VESTRE, "lukket", active=False)
    assert rules_of(problems(organisation(), proposal(section_id=closed.id))) == ["section"]


def test_an_inactive_institution_cannot_be_chosen(ctx: None) -> None:
    institution(VESTRE).active = False
    db.session.flush()
    found = problems(organisation(), proposal())
    assert rules_of(found) == ["institution"]
    assert institution(VESTRE) not in activities.institutions_for(organisation())


# --- grouped for the reader --------------------------------------------------------------------


def test_grouped_puts_the_general_problems_first_then_each_person_in_order(ctx: None) -> None:
    birgitte, ali = volunteer("Birgitte Lund"), volunteer("Ali Hassan")
    the_proposal = proposal(participants=[birgitte, ali], weeks=5, escort_arranged=False)
    found = problems(organisation(), the_proposal)
    shown = grouped(found, participant_names(the_proposal, organisation()))
    assert bool(shown)
    assert rules_of(shown.general) == ["escort_arranged"]
    # In the order they were chosen, not the order of the rules.
    assert [name for name, _p in shown.by_person] == ["Birgitte Lund", "Ali Hassan"]
    (_b, for_birgitte), (_a, for_ali) = shown.by_person
    # Five days without access are said once, with the first date.
    first = long_date(in_days(28))
    assert texts(for_birgitte) == [
        f"Birgitte Lund har ikke adgang til institutionen på 5 af aktivitetens datoer, første gang den {first}."
    ]
    assert for_birgitte[0].volunteer_id == birgitte.id and for_birgitte[0].day == in_days(28)
    assert rules_of(for_ali) == [
        "participants_cleared",
        "access_on_each_day",
        "preparation_recorded",
    ]
    assert "5 af aktivitetens datoer" in texts(for_ali)[1]


def test_grouped_lists_a_few_missing_days_one_by_one(ctx: None) -> None:
    birgitte = volunteer("Birgitte Lund")
    the_proposal = proposal(participants=[birgitte], weeks=activities.DAYS_LISTED)
    shown = grouped(problems(organisation(), the_proposal), participant_names(the_proposal))
    assert shown.general == []
    [(name, listed)] = shown.by_person
    assert name == "Birgitte Lund"
    assert [p.day for p in listed] == [in_days(28 + 7 * n) for n in range(activities.DAYS_LISTED)]
    assert texts(listed)[0] == (
        f"Birgitte Lund har ikke adgang til Vestre Fængsel den {long_date(in_days(28))}."
    )


def test_grouped_without_problems_is_false(ctx: None) -> None:
    assert not grouped([], {})


# --- what propose refuses ------------------------------------------------------------------------


def test_propose_saves_nothing_when_refused(ctx: None, outbox: list[Any]) -> None:
    before = counts()
    participants_before = count(ActivityParticipant)
    bad = proposal(participants=[volunteer("Ali Hassan")], escort_arranged=False)
    with pytest.raises(ProposalRefused) as refused:
        send(bad)
    assert rules_of(refused.value.problems) == [
        "participants_cleared",
        "access_on_each_day",
        "access_on_each_day",
        "access_on_each_day",
        "access_on_each_day",
        "preparation_recorded",
        "escort_arranged",
    ]
    assert refused.value.problems == problems(organisation(), bad)
    db.session.flush()
    assert counts() == before
    assert count(ActivityParticipant) == participants_before
    assert outbox == []


def _volunteer_of_b() -> Volunteer:
    other = Volunteer(
        organisation_id=organisation(ORG_B).id,
        name="Hemmelig Frivillig",
        email="hemmelig.frivillig@example.test",
        birth_date=date(1980, 1, 1),
        state=VolunteerState.CLEARED,
        check_outcome=CheckOutcome.CLEARED,
        check_date=in_days(-10),
    )
    db.session.add(other)
    db.session.flush()
    return other


def test_another_organisations_volunteer_is_refused_without_naming_them(
    ctx: None, outbox: list[Any]
) -> None:
    other = _volunteer_of_b()
    with_other = proposal(participants=[volunteer("Mette Hansen"), other])
    found = problems(organisation(), with_other)
    assert rules_of(found) == ["participants"]
    assert texts(found) == ["Vælg deltagerne blandt organisationens frivillige."]
    assert all(p.volunteer_id is None for p in found)
    assert not any("Hemmelig" in text for text in texts(found))
    # Their name is not given to the reader either.
    assert participant_names(with_other, organisation()) == {
        volunteer("Mette Hansen").id: "Mette Hansen"
    }
    before = counts()
    with pytest.raises(ProposalRefused) as refused:
        send(with_other)
    assert not any("Hemmelig" in str(p.message) for p in refused.value.problems)
    assert counts() == before
    assert outbox == []


def test_a_proposal_from_an_organisation_that_is_not_approved_is_refused(
    ctx: None, outbox: list[Any]
) -> None:
    staff_of_c = new_user(
        "staff.c@example.test",
        "Carl Christensen",
        Role.NGO_ADMIN,
        organisation_id=organisation(ORG_C).id,
    )
    assert organisation(ORG_C).state == OrganisationState.SUBMITTED
    before = counts()
    with pytest.raises(WorkflowError) as refused:
        activities.propose(organisation(ORG_C), proposal(participants=[]), staff_of_c)
    assert str(refused.value) == (
        "Kun en godkendt organisations medarbejdere kan foreslå aktiviteter."
    )
    # A suspended organisation no more than one never approved.
    organisation(ORG_A).state = OrganisationState.SUSPENDED
    db.session.flush()
    with pytest.raises(WorkflowError):
        send(proposal())
    assert counts() == before
    assert outbox == []


@pytest.mark.parametrize(
    "role", ["ngo_b_admin", "caseworker_ost", "institution", "admin", "volunteer"]
)
def test_only_the_organisations_own_staff_propose(ctx: None, role: str) -> None:
    before = counts()
    with pytest.raises(WorkflowError):
        activities.propose(organisation(ORG_A), proposal(), user(role))
    assert counts() == before


# --- the choices --------------------------------------------------------------------------------


def test_candidates_are_the_organisations_volunteers_but_the_withdrawn_and_refused(
    ctx: None,
) -> None:
    names = [v.name for v in activities.candidates(organisation())]
    assert names == sorted(names)
    assert {"Mette Hansen", "Birgitte Lund", "Ali Hassan", "Jonas Berg"} <= set(names)
    volunteer("Ali Hassan").state = VolunteerState.WITHDRAWN
    jonas = volunteer("Jonas Berg")
    jonas.state, jonas.check_outcome = VolunteerState.NOT_CLEARED, CheckOutcome.NOT_CLEARED
    jonas.check_date = in_days(0)
    db.session.flush()
    names = [v.name for v in activities.candidates(organisation())]
    assert "Ali Hassan" not in names and "Jonas Berg" not in names
    _volunteer_of_b()
    assert "Hemmelig Frivillig" not in [v.name for v in activities.candidates(organisation())]


def test_the_rules_for_an_institution_and_its_section(ctx: None) -> None:
    assert activities.rules_for(institution(HORSEROD), None).min_notice_days == 14
    closed = _section(HORSEROD, "lukket")
    assert activities.rules_for(institution(HORSEROD), closed).min_notice_days == 21
    assert activities.rules_for(institution(HORSEROD), closed).escort_required


# --- changing ------------------------------------------------------------------------------------


def test_a_change_while_waiting_is_checked_and_saved(ctx: None, outbox: list[Any]) -> None:
    activity = send()
    seen = activity.version
    birgitte = volunteer("Birgitte Lund")
    with pytest.raises(ProposalRefused):
        activities.change(
            activity,
            proposal(participants=[volunteer("Mette Hansen"), birgitte]),
            user("ngo_a_admin"),
            expected_version=seen,
        )
    assert activity.version == seen
    assert [p.volunteer_id for p in activity.participants] == [volunteer("Mette Hansen").id]
    changed = proposal(title="Besøgsven om onsdagen", start_time=time(17, 0), end_time=time(19, 0))
    transition = activities.change(activity, changed, user("ngo_a_member"), expected_version=seen)
    assert transition.action == "resend"
    assert activity.state == ActivityState.SENT
    assert activity.title == "Besøgsven om onsdagen"
    assert activity.start_time == time(17, 0)
    assert events(activity)[-1] == ("resend", "sent", "sent")


def test_an_approved_series_that_has_begun_can_still_change_its_participants(
    ctx: None,
) -> None:
    """A weekly activity that began three weeks ago, with a break of three weeks from today:
    a change of participants is checked for the dates left, not refused because "the first
    date has passed"."""
    mette, birgitte = volunteer("Mette Hansen"), volunteer("Birgitte Lund")
    activity = send()
    first = in_days(-21)
    activity.first_date, activity.until_date = first, in_days(49)
    activity.exceptions = [in_days(n).isoformat() for n in (0, 7, 14)]
    activity.state = ActivityState.APPROVED  # as it stands three weeks after its approval
    db.session.flush()
    give_access(birgitte, VESTRE)
    changed = dataclasses.replace(
        activities.proposal_of(activity), participant_ids=(mette.id, birgitte.id)
    )
    assert problems(organisation(), changed, changing=activity) == []
    # As a new proposal, the passed first date is a problem (and Birgitte's access on the
    # dates that have passed).
    as_new = problems(organisation(), changed)
    assert rules_of(as_new)[0] == "minimum_notice"
    assert texts(as_new)[0] == f"Den første dato, {long_date(first)}, er allerede passeret."
    transition = activities.change(activity, changed, user("ngo_a_admin"))
    assert transition.action == "change"
    assert activity.state == ActivityState.SENT
    assert [p.volunteer_id for p in activity.participants] == [mette.id, birgitte.id]
    # The decision reads the same dates: those from the day it was sent.
    assert activities.problems_now(activity) == []
    activity_workflow.apply(activity, "approve", user("caseworker_ost"))
    assert activity.state == ActivityState.APPROVED


def test_a_change_of_a_begun_series_still_needs_notice_for_the_next_date(ctx: None) -> None:
    activity = send()
    activity.first_date, activity.until_date = in_days(-21), in_days(35)
    activity.state = ActivityState.APPROVED
    db.session.flush()
    changed = dataclasses.replace(activities.proposal_of(activity), title="Nyt navn")
    found = problems(organisation(), changed, changing=activity)
    assert rules_of(found) == ["minimum_notice"]
    assert found[0].day == in_days(0)
    assert texts(found)[0].startswith("Vestre Fængsel kræver mindst 21 dages varsel")


# --- the demo activities ---------------------------------------------------------------------------


def test_the_demo_activities(ctx: None) -> None:
    """Made through the real services (so with history), idempotent, and each in the state
    the demo needs: approved at Vestre Fængsel, waiting at Storstrøm Fængsel (where the
    demo institution contact decides, and the rules pass), changes asked for at Horserød."""
    from portal.models import Activity
    from portal.services.demo_activities import DEMO_ACTIVITIES, seed_demo_activities

    seed_demo_activities()
    assert seed_demo_activities() == {"activities": 0}
    found = {
        a.title: a
        for a in db.session.scalars(
            select(Activity).where(Activity.organisation_id == organisation(ORG_A).id)
        )
    }
    approved, waiting, asked = (found[demo.title] for demo in DEMO_ACTIVITIES)
    assert (approved.institution.name, approved.state) == (VESTRE, ActivityState.APPROVED)
    assert (waiting.institution.name, waiting.state) == (STORSTROM, ActivityState.SENT)
    assert (asked.institution.name, asked.state) == (HORSEROD, ActivityState.CHANGES_REQUESTED)
    for activity in (approved, waiting, asked):
        assert [p.volunteer.name for p in activity.participants] == ["Mette Hansen"]
        assert min(activities.dates_of(activity)) >= in_days(28)
        assert events(activity)[0] == ("send", "", "sent")
    assert len(activities.dates_of(approved)) == 12
    assert [e[0] for e in events(approved)] == ["send", "approve", "message", "message"]
    assert all(p.blocked_at is None for p in approved.participants)
    # The institution contact can approve the waiting one as it stands.
    assert activities.problems_now(waiting) == []
    assert [t.action for t in activity_workflow.available(user("institution"), waiting)] == [
        "approve",
        "request_changes",
        "refuse",
    ]
    assert asked.decision_reason.startswith("Om formiddagen")
    assert [t.action for t in activity_workflow.available(user("ngo_a_member"), asked)] == [
        "resend",
        "withdraw",
    ]
