"""The rules an activity proposal is checked against at an institution, one function per rule.

Each rule reads only a ``ProposalFacts`` (plain values the caller has gathered from the
database) and returns the problems it finds, each naming the rule, and the person and the
date where there is one. The form runs them before sending and the server again when the
proposal is decided, so both see the same messages. ``participant_facts`` gathers one
volunteer's facts; gathering the whole proposal belongs to the proposals service.

Messages are lazy translations: a list of problems can be built once and shown in the
reader's language (``str(problem.message)``). The plural messages are ``ngettext`` inside a
``LazyString`` so that the catalog extraction (``-k _l``, plus Babel's defaults) finds them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import LazyString, ngettext
from flask_babel import lazy_gettext as _l

from portal.labels import label
from portal.models import (
    DECLARATION_ORDER,
    DeclarationKind,
    Institution,
    Volunteer,
    VolunteerState,
)
from portal.services import volunteer_status
from portal.services.recurrence import long_date
from portal.services.rule_profiles import EffectiveRules


@dataclass(frozen=True)
class RuleProblem:
    """One broken rule: which (a RULES function's name), what, and for whom / which day."""

    rule: str
    message: LazyString
    volunteer_id: uuid.UUID | None = None
    day: date | None = None


@dataclass(frozen=True)
class ParticipantFacts:
    """What the rules need to know about one participant (see ``participant_facts``)."""

    volunteer_id: uuid.UUID
    name: str
    state: str  # a VolunteerState value
    # The activity's days on which they have active access to this institution.
    access_days: frozenset[date]
    # DeclarationKind values whose current version they have signed.
    signed_current: frozenset[str]
    prepared: bool
    child_certificate: bool


@dataclass(frozen=True)
class ProposalFacts:
    """A proposal as the rules see it, built by the caller."""

    institution_id: uuid.UUID
    institution_name: str
    rules: EffectiveRules
    sent_on: date  # the Copenhagen date the proposal is sent (or checked)
    days: Sequence[date]
    participants: Sequence[ParticipantFacts]
    items: Sequence[str] = ()
    brings_phone: bool = False
    children_under_15: bool = False
    escort_arranged: bool = False


Rule = Callable[[ProposalFacts], list[RuleProblem]]


# --- the rules, in the order their problems are listed (the order of the form) ---------------


def at_least_one_day(facts: ProposalFacts) -> list[RuleProblem]:
    """The activity has a date."""
    if facts.days:
        return []
    return [RuleProblem("at_least_one_day", _l("Vælg mindst én dato for aktiviteten."))]


def minimum_notice(facts: ProposalFacts) -> list[RuleProblem]:
    """The first date is at least ``min_notice_days`` after the proposal is sent."""
    if not facts.days:
        return []
    first = min(facts.days)
    earliest = facts.sent_on + timedelta(days=facts.rules.min_notice_days)
    if first >= earliest:
        return []
    if first < facts.sent_on:
        message = _l("Den første dato, %(date)s, er allerede passeret.", date=long_date(first))
        return [RuleProblem("minimum_notice", message, day=first)]
    notice = facts.rules.min_notice_days
    message = LazyString(
        lambda: ngettext(
            "%(institution)s kræver mindst %(num)d dags varsel: den første dato, %(date)s, er for tidlig. Den tidligste mulige dato er %(earliest)s.",
            "%(institution)s kræver mindst %(num)d dages varsel: den første dato, %(date)s, er for tidlig. Den tidligste mulige dato er %(earliest)s.",
            notice,
            institution=facts.institution_name,
            date=long_date(first),
            earliest=long_date(earliest),
        )
    )
    return [RuleProblem("minimum_notice", message, day=first)]


def at_least_one_participant(facts: ProposalFacts) -> list[RuleProblem]:
    """Someone from the organisation takes part."""
    if facts.participants:
        return []
    return [RuleProblem("at_least_one_participant", _l("Vælg mindst én deltager."))]


def max_participants(facts: ProposalFacts) -> list[RuleProblem]:
    """No more participants from the organisation than the institution allows."""
    count = len({p.volunteer_id for p in facts.participants})
    allowed = facts.rules.max_participants
    if count <= allowed:
        return []
    message = LazyString(
        lambda: ngettext(
            "%(institution)s tillader højst %(num)d deltager fra organisationen; der er valgt %(count)d.",
            "%(institution)s tillader højst %(num)d deltagere fra organisationen; der er valgt %(count)d.",
            allowed,
            institution=facts.institution_name,
            count=count,
        )
    )
    return [RuleProblem("max_participants", message)]


def participants_cleared(facts: ProposalFacts) -> list[RuleProblem]:
    """Every participant is cleared after the register check (and has not withdrawn)."""
    problems = []
    for p in facts.participants:
        if p.state == VolunteerState.CLEARED:
            continue  # (participant_facts says cleared for a renewal under way too)
        message = _l(
            "%(name)s er ikke godkendt til at deltage (status: %(status)s).",
            name=p.name,
            status=LazyString(_state_label, p.state),
        )
        problems.append(RuleProblem("participants_cleared", message, p.volunteer_id))
    return problems


def access_on_each_day(facts: ProposalFacts) -> list[RuleProblem]:
    """Where access is required, every participant has active access on every date
    (one problem per person and date, so the caller can tell exactly who misses which day)."""
    if not facts.rules.access_required:
        return []
    problems = []
    for p in facts.participants:
        for day in sorted(set(facts.days) - p.access_days):
            message = _l(
                "%(name)s har ikke adgang til %(institution)s den %(date)s.",
                name=p.name,
                institution=facts.institution_name,
                date=long_date(day),
            )
            problems.append(RuleProblem("access_on_each_day", message, p.volunteer_id, day))
    return problems


def declarations_current(facts: ProposalFacts) -> list[RuleProblem]:
    """Every participant has signed the current version of each required declaration."""
    problems = []
    for p in facts.participants:
        missing = facts.rules.required_declarations - p.signed_current
        if not missing:
            continue
        message = _l(
            "%(name)s skal underskrive den nyeste udgave af: %(declarations)s.",
            name=p.name,
            declarations=LazyString(_declaration_labels, missing),
        )
        problems.append(RuleProblem("declarations_current", message, p.volunteer_id))
    return problems


def preparation_recorded(facts: ProposalFacts) -> list[RuleProblem]:
    """Where required, the organisation has recorded each participant's preparation."""
    if not facts.rules.preparation_required:
        return []
    return [
        RuleProblem(
            "preparation_recorded",
            _l(
                "Organisationen har ikke registreret, at %(name)s er forberedt i sikkerhedsreglerne og tavshedspligten.",
                name=p.name,
            ),
            p.volunteer_id,
        )
        for p in facts.participants
        if not p.prepared
    ]


def escort_arranged(facts: ProposalFacts) -> list[RuleProblem]:
    """Where required, escort by the institution's staff is arranged."""
    if not facts.rules.escort_required or facts.escort_arranged:
        return []
    message = _l(
        "%(institution)s kræver, at personalet ledsager aktiviteten. Aftal ledsagelse med institutionen, og angiv det i forslaget.",
        institution=facts.institution_name,
    )
    return [RuleProblem("escort_arranged", message)]


def _normalised(item: str) -> str:
    return " ".join(item.split()).casefold()


def items_allowed(facts: ProposalFacts) -> list[RuleProblem]:
    """Every item to bring is one the institution allows (compared without regard to case
    and surrounding or repeated spaces); empty lines are ignored."""
    allowed = {_normalised(item) for item in facts.rules.allowed_items}
    problems = []
    seen = set()
    for item in facts.items:
        key = _normalised(item)
        if not key or key in allowed or key in seen:
            continue
        seen.add(key)
        if facts.rules.allowed_items:
            message = _l(
                "»%(item)s« må ikke medbringes i %(institution)s. Tilladt: %(allowed)s.",
                item=" ".join(item.split()),
                institution=facts.institution_name,
                allowed=", ".join(facts.rules.allowed_items),
            )
        else:
            message = _l(
                "»%(item)s« må ikke medbringes i %(institution)s, hvor der ikke må medbringes genstande.",
                item=" ".join(item.split()),
                institution=facts.institution_name,
            )
        problems.append(RuleProblem("items_allowed", message))
    return problems


def no_phones(facts: ProposalFacts) -> list[RuleProblem]:
    """No mobile phones, unless the institution allows them."""
    if not facts.brings_phone or facts.rules.phones_allowed:
        return []
    message = _l(
        "Der må ikke medbringes mobiltelefoner i %(institution)s.",
        institution=facts.institution_name,
    )
    return [RuleProblem("no_phones", message)]


def child_certificate(facts: ProposalFacts) -> list[RuleProblem]:
    """Where required, every participant has a child-protection certificate (børneattest)
    when children under 15 take part."""
    if not (facts.children_under_15 and facts.rules.child_certificate_required):
        return []
    return [
        RuleProblem(
            "child_certificate",
            _l(
                "%(name)s skal have en børneattest, fordi børn under 15 år deltager.",
                name=p.name,
            ),
            p.volunteer_id,
        )
        for p in facts.participants
        if not p.child_certificate
    ]


RULES: tuple[Rule, ...] = (
    at_least_one_day,
    minimum_notice,
    at_least_one_participant,
    max_participants,
    participants_cleared,
    access_on_each_day,
    declarations_current,
    preparation_recorded,
    escort_arranged,
    items_allowed,
    no_phones,
    child_certificate,
)


def check(facts: ProposalFacts) -> list[RuleProblem]:
    """Every problem of the proposal, rule by rule in RULES order (empty: it may be sent)."""
    return [problem for rule in RULES for problem in rule(facts)]


# --- gathering one participant's facts -------------------------------------------------------


def participant_facts(
    volunteer: Volunteer,
    institution: Institution,
    days: Sequence[date],
    *,
    child_certificate: bool = False,
    current: dict[DeclarationKind, Any] | None = None,
) -> ParticipantFacts:
    """The rules' view of ``volunteer`` taking part at ``institution`` on ``days``.

    ``child_certificate``: the data model has no record of child-protection certificates
    (børneattester) yet, so the caller says whether the volunteer has one (e.g. from a
    checkbox the organisation ticks); when such a record exists, read it here instead.
    """
    current = current if current is not None else volunteer_status.current_versions()
    signed = volunteer_status.signatures_for_activities(volunteer)
    signed_current = frozenset(
        kind.value
        for kind, signature in signed.items()
        if kind in current and signature.declaration_version_id == current[kind].id
    )
    grants = [g for g in volunteer.access_grants if g.institution_id == institution.id]
    access_days = frozenset(day for day in days if any(g.active_on(day) for g in grants))
    return ParticipantFacts(
        volunteer_id=volunteer.id,
        name=volunteer.name,
        # A renewal under way keeps the earlier clearance (volunteer_status).
        state=VolunteerState.CLEARED.value
        if volunteer_status.cleared_for_activities(volunteer)
        else VolunteerState(volunteer.state).value,
        access_days=access_days,
        signed_current=signed_current,
        prepared=bool(volunteer.preparations),
        child_certificate=child_certificate,
    )


# --- labels, rendered when the message is shown ----------------------------------------------


def _state_label(state: str) -> str:
    # The volunteer's stored states share their values (and labels) with the display status.
    return label(volunteer_status.VolunteerStatus(state))


def _declaration_labels(kinds: frozenset[str]) -> str:
    ordered = [kind for kind in DECLARATION_ORDER if kind.value in kinds]
    unknown = sorted(kinds - {kind.value for kind in DeclarationKind})
    return ", ".join([label(kind) for kind in ordered] + unknown)
