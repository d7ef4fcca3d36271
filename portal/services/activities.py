"""Proposals of activities: what the organisation fills in (``Proposal``), the rules it is
checked against, and making or changing the ``Activity`` from it.

The rules themselves are in ``activity_rules`` (one function each); this module gathers the
facts they read from the database. The same ``problems`` run when the form is checked, when
it is sent and again when the institution decides (``problems_now``), so both sides read the
same messages. State changes go through ``activity_workflow.apply``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    ActivityState,
    Institution,
    InstitutionSection,
    MentorHelp,
    Organisation,
    OrganisationState,
    User,
    Volunteer,
    VolunteerState,
)
from portal.services import activity_rules, volunteer_status
from portal.services.activity_rules import ProposalFacts, RuleProblem
from portal.services.recurrence import (
    Recurrence,
    RecurrenceError,
    instants,
    long_date,
    occurrences,
)
from portal.services.rule_profiles import EffectiveRules, effective_rules


@dataclass(frozen=True)
class Proposal:
    """What the organisation proposes, as plain values (from the form or a test)."""

    institution_id: uuid.UUID
    kind: str  # an ActivityKind value
    title: str
    first_date: date
    start_time: time
    end_time: time
    participant_ids: Sequence[uuid.UUID] = ()
    section_id: uuid.UUID | None = None
    mentor_help: Sequence[str] = ()
    description: str = ""
    target_group: str = ""
    place: str = ""
    recurrence_kind: str = "once"
    until_date: date | None = None
    exceptions: frozenset[date] = field(default_factory=frozenset)
    items: Sequence[str] = ()
    brings_phone: bool = False
    children_under_15: bool = False
    escort_arranged: bool = False
    # Participants the organisation states hold a child-protection certificate (børneattest).
    child_certificate_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    @property
    def recurrence(self) -> Recurrence:
        return Recurrence(
            self.recurrence_kind,
            self.first_date,
            self.until_date if self.recurrence_kind != "once" else None,
            self.exceptions,
        )


class ProposalRefused(Exception):
    """The proposal breaks rules; ``problems`` names each one (and for whom)."""

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = list(problems)


# --- reading an activity back as a proposal --------------------------------------------------


def proposal_of(activity: Activity) -> Proposal:
    """The activity as the proposal it was made from (to fill the change form)."""
    return Proposal(
        institution_id=activity.institution_id,
        section_id=activity.section_id,
        kind=activity.kind.value,
        mentor_help=tuple(activity.mentor_help or ()),
        title=activity.title,
        description=activity.description,
        target_group=activity.target_group,
        place=activity.place,
        recurrence_kind=activity.recurrence_kind,
        first_date=activity.first_date,
        until_date=activity.until_date,
        exceptions=activity.exception_dates,
        start_time=activity.start_time,
        end_time=activity.end_time,
        participant_ids=tuple(p.volunteer_id for p in activity.participants),
        child_certificate_ids=frozenset(
            p.volunteer_id for p in activity.participants if p.child_certificate
        ),
        items=tuple(activity.items or ()),
        brings_phone=activity.brings_phone,
        children_under_15=activity.children_under_15,
        escort_arranged=activity.escort_arranged,
    )


def dates_of(activity: Activity) -> list[date]:
    """The activity's dates (its recurrence was validated when it was sent)."""
    return occurrences(proposal_of(activity).recurrence)


# --- what may be chosen ----------------------------------------------------------------------


def institutions_for(organisation: Organisation) -> list[Institution]:
    """Institutions an organisation may propose at: the active ones of the whole country
    (access is decided per volunteer; the rules tell who lacks it)."""
    return list(
        db.session.scalars(select(Institution).where(Institution.active).order_by(Institution.name))
    )


def candidates(organisation: Organisation) -> list[Volunteer]:
    """The organisation's volunteers who can be chosen as participants (all but those who
    withdrew or were not cleared; the rules say what the others still lack)."""
    return list(
        db.session.scalars(
            select(Volunteer)
            .where(
                Volunteer.organisation_id == organisation.id,
                Volunteer.state.not_in([VolunteerState.WITHDRAWN, VolunteerState.NOT_CLEARED]),
            )
            .order_by(Volunteer.name)
        )
    )


def rules_for(institution: Institution, section: InstitutionSection | None) -> EffectiveRules:
    return effective_rules(institution, section)


# --- checking --------------------------------------------------------------------------------


def _lookup(
    organisation: Organisation, proposal: Proposal
) -> tuple[Institution, InstitutionSection | None, list[Volunteer]]:
    institution = db.session.get(Institution, proposal.institution_id)
    if institution is None or not institution.active:
        raise ProposalRefused([RuleProblem("institution", _l("Vælg en institution fra listen."))])
    section = None
    if proposal.section_id is not None:
        section = db.session.get(InstitutionSection, proposal.section_id)
        if section is None or section.institution_id != institution.id or not section.active:
            raise ProposalRefused(
                [RuleProblem("section", _l("Vælg en afdeling, der hører til institutionen."))]
            )
    ids = list(dict.fromkeys(proposal.participant_ids))
    volunteers = (
        list(
            db.session.scalars(
                select(Volunteer).where(
                    Volunteer.id.in_(ids), Volunteer.organisation_id == organisation.id
                )
            )
        )
        if ids
        else []
    )
    if len(volunteers) != len(ids):
        # Another organisation's volunteer (or one deleted meanwhile): never named here.
        raise ProposalRefused(
            [RuleProblem("participants", _l("Vælg deltagerne blandt organisationens frivillige."))]
        )
    order = {vid: n for n, vid in enumerate(ids)}
    volunteers.sort(key=lambda v: order[v.id])
    return institution, section, volunteers


def facts(
    organisation: Organisation,
    proposal: Proposal,
    sent_on: date,
    *,
    from_day: date | None = None,
) -> ProposalFacts:
    """The rules' view of the proposal (raises ProposalRefused for choices that cannot be
    checked at all: an unknown institution, another organisation's volunteer, bad dates).

    ``from_day``: the rules read only the dates from that day on (a change of an approved
    activity whose first dates have already taken place: those are history, not proposed)."""
    institution, section, volunteers = _lookup(organisation, proposal)
    try:
        days = occurrences(proposal.recurrence)
    except RecurrenceError as error:
        raise ProposalRefused([RuleProblem("dates", error.message)]) from None
    if from_day is not None:
        days = [day for day in days if day >= from_day]
    current = volunteer_status.current_versions()
    participants = [
        activity_rules.participant_facts(
            volunteer,
            institution,
            days,
            child_certificate=volunteer.id in proposal.child_certificate_ids,
            current=current,
        )
        for volunteer in volunteers
    ]
    return ProposalFacts(
        institution_id=institution.id,
        institution_name=institution.name,
        rules=rules_for(institution, section),
        sent_on=sent_on,
        days=days,
        participants=participants,
        items=tuple(item for item in proposal.items if item.strip()),
        brings_phone=proposal.brings_phone,
        children_under_15=proposal.children_under_15,
        escort_arranged=proposal.escort_arranged,
    )


# The longest texts the columns hold (Activity.title, .target_group, .place).
TEXT_LIMITS = (("title", 200), ("target_group", 300), ("place", 200))


def _basics(proposal: Proposal) -> list[RuleProblem]:
    problems = []
    if proposal.kind not in {kind.value for kind in ActivityKind}:
        problems.append(RuleProblem("kind", _l("Vælg, hvilken slags aktivitet det er.")))
    elif proposal.kind == ActivityKind.MENTOR and any(
        help_kind not in {kind.value for kind in MentorHelp} for help_kind in proposal.mentor_help
    ):
        problems.append(
            RuleProblem("mentor_help", _l("Vælg mentorens hjælp blandt mulighederne på listen."))
        )
    if not proposal.title.strip():
        problems.append(RuleProblem("title", _l("Skriv en titel på aktiviteten.")))
    for name, limit in TEXT_LIMITS:
        if len(getattr(proposal, name).strip()) > limit:
            problems.append(RuleProblem(name, _l("Skriv højst %(max)d tegn.", max=limit)))
    return problems


def _times(proposal: Proposal, days: Sequence[date]) -> list[RuleProblem]:
    """The times make an activity on each of its dates: the end after the start, and no time
    in the hour skipped when the clocks go forward (the database would refuse the first,
    the calendars the second)."""
    for day in days or [proposal.first_date]:
        try:
            instants(day, proposal.start_time, proposal.end_time)
        except RecurrenceError as error:
            return [RuleProblem("times", error.message, day=day if days else None)]
    return []


def problems(
    organisation: Organisation,
    proposal: Proposal,
    now: datetime | None = None,
    *,
    changing: Activity | None = None,
) -> list[RuleProblem]:
    """Every problem of the proposal if it were sent at ``now`` (empty: it may be sent).

    ``changing``: the activity the proposal changes. If it is approved, the dates before
    today have taken place and are not checked again (a weekly activity that has begun can
    still change its participants); the notice counts to the first date left."""
    today = volunteer_status.today(now)
    from_day = today if changing is not None and changing.state == ActivityState.APPROVED else None
    try:
        found = facts(organisation, proposal, today, from_day=from_day)
    except ProposalRefused as refused:
        return _basics(proposal) + refused.problems + _times(proposal, ())
    return _basics(proposal) + _times(proposal, found.days) + activity_rules.check(found)


def problems_now(activity: Activity, now: datetime | None = None) -> list[RuleProblem]:
    """The activity checked again (when it is decided): the rules as they are now, the
    people's access and declarations as they are now; the notice is counted from the day
    it was sent, and the dates before that day (of an approved activity that was changed)
    are not checked again."""
    sent_on = volunteer_status.today(activity.sent_at)
    try:
        found = facts(activity.organisation, proposal_of(activity), sent_on, from_day=sent_on)
    except ProposalRefused as refused:
        return refused.problems
    problems = activity_rules.check(found)
    today = volunteer_status.today(now)
    if found.days and max(found.days) < today:
        problems.append(RuleProblem("dates", _l("Alle aktivitetens datoer er passeret.")))
    if activity.organisation.state != OrganisationState.APPROVED:
        # Suspended (or otherwise no longer approved) after the proposal was sent.
        problems.insert(
            0,
            RuleProblem(
                "organisation",
                _l(
                    "%(organisation)s er ikke længere godkendt som samarbejdspartner, så aktiviteten kan ikke godkendes.",
                    organisation=activity.organisation.name,
                ),
            ),
        )
    return problems


@dataclass(frozen=True)
class GroupedProblems:
    """Problems for the reader: those of the whole proposal, then per person (in order)."""

    general: list[RuleProblem]
    by_person: list[tuple[str, list[RuleProblem]]]

    def __bool__(self) -> bool:
        return bool(self.general or self.by_person)


# More missing days than this for one person are summed up in one message.
DAYS_LISTED = 3


def grouped(problems: Sequence[RuleProblem], names: dict[uuid.UUID, str]) -> GroupedProblems:
    """The problems for the reader: the general ones, then each person's in the order of
    ``names`` (``participant_names`` gives the order they were chosen in), each person's in
    RULES order, with a long run of days without access said once."""
    general = [p for p in problems if p.volunteer_id is None]
    people: dict[uuid.UUID, list[RuleProblem]] = {vid: [] for vid in names}
    for problem in problems:
        if problem.volunteer_id is not None:
            people.setdefault(problem.volunteer_id, []).append(problem)
    people = {vid: found for vid, found in people.items() if found}
    return GroupedProblems(
        general,
        [
            (names.get(vid, ""), _summed_up(found, names.get(vid, "")))
            for vid, found in people.items()
        ],
    )


def _summed_up(found: list[RuleProblem], name: str) -> list[RuleProblem]:
    """One person's problems, with a long run of days without access said once."""
    days = [p for p in found if p.rule == "access_on_each_day"]
    if len(days) <= DAYS_LISTED:
        return found
    first = days[0]
    summary = RuleProblem(
        first.rule,
        _l(
            "%(name)s har ikke adgang til institutionen på %(count)d af aktivitetens datoer, første gang den %(date)s.",
            name=name,
            count=len(days),
            date=long_date(first.day) if first.day else "",
        ),
        first.volunteer_id,
        first.day,
    )
    position = found.index(first)
    rest = [p for p in found if p.rule != "access_on_each_day"]
    return [*rest[:position], summary, *rest[position:]]


def participant_names(
    proposal: Proposal, organisation: Organisation | None = None
) -> dict[uuid.UUID, str]:
    """The names of the proposal's participants in the order they were chosen (for
    ``grouped``). Pass the proposing ``organisation``: an id of another organisation's
    volunteer is then never named."""
    if not proposal.participant_ids:
        return {}
    query = select(Volunteer.id, Volunteer.name).where(Volunteer.id.in_(proposal.participant_ids))
    if organisation is not None:
        query = query.where(Volunteer.organisation_id == organisation.id)
    found = {row.id: row.name for row in db.session.execute(query)}
    return {vid: found[vid] for vid in dict.fromkeys(proposal.participant_ids) if vid in found}


# --- making and changing ---------------------------------------------------------------------


def _fill(activity: Activity, proposal: Proposal) -> None:
    activity.institution_id = proposal.institution_id
    activity.section_id = proposal.section_id
    activity.kind = ActivityKind(proposal.kind)
    activity.mentor_help = (
        list(dict.fromkeys(proposal.mentor_help)) if proposal.kind == ActivityKind.MENTOR else []
    )
    activity.title = proposal.title.strip()
    activity.description = proposal.description.strip()
    activity.target_group = proposal.target_group.strip()
    activity.place = proposal.place.strip()
    activity.recurrence_kind = proposal.recurrence_kind
    activity.first_date = proposal.first_date
    activity.until_date = proposal.until_date if proposal.recurrence_kind != "once" else None
    activity.exceptions = sorted(day.isoformat() for day in proposal.exceptions)
    activity.start_time = proposal.start_time
    activity.end_time = proposal.end_time
    activity.items = [" ".join(item.split()) for item in proposal.items if item.strip()]
    activity.brings_phone = proposal.brings_phone
    activity.children_under_15 = proposal.children_under_15
    activity.escort_arranged = proposal.escort_arranged
    wanted = list(dict.fromkeys(proposal.participant_ids))
    kept = {p.volunteer_id: p for p in activity.participants if p.volunteer_id in wanted}
    activity.participants = [
        kept.get(vid) or ActivityParticipant(volunteer_id=vid) for vid in wanted
    ]
    for participant in activity.participants:
        participant.child_certificate = participant.volunteer_id in proposal.child_certificate_ids
        # A changed proposal is checked afresh; a flag from before no longer holds.
        participant.blocked_at = None
        participant.blocked_reason = ""


def _refuse_if_problems(
    organisation: Organisation,
    proposal: Proposal,
    now: datetime,
    changing: Activity | None = None,
) -> None:
    found = problems(organisation, proposal, now, changing=changing)
    if found:
        raise ProposalRefused(found)


def propose(
    organisation: Organisation, proposal: Proposal, actor: User, now: datetime | None = None
) -> Activity:
    """Send a new proposal; raises ProposalRefused with every problem, and nothing is saved."""
    from portal.services import activity_workflow

    now = now or utcnow()
    activity_workflow.require_staff(actor, organisation)
    _refuse_if_problems(organisation, proposal, now)
    activity = Activity(organisation_id=organisation.id, created_by_id=actor.id, sent_at=now)
    activity.organisation = organisation
    _fill(activity, proposal)
    db.session.add(activity)
    db.session.flush()
    activity_workflow.record_sent(activity, actor)
    return activity


def change(
    activity: Activity,
    proposal: Proposal,
    actor: User,
    *,
    text: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Any:
    """Send a changed proposal: an answer to a change request, a correction while it waits,
    or a change after approval (which goes back for approval). Raises ProposalRefused with
    every problem, or a WorkflowError; nothing is saved then."""
    from portal.services import activity_workflow

    now = now or utcnow()
    action = activity_workflow.change_action(activity)

    def before(_: Activity) -> None:
        _refuse_if_problems(activity.organisation, proposal, now, changing=activity)
        _fill(activity, proposal)
        activity.sent_at = now

    return activity_workflow.apply(
        activity, action, actor, text=text, expected_version=expected_version, before=before
    )
