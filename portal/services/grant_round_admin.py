"""The grant officer's editing of a draft round: its texts and figures, its scoring rubric and
its reviewers.

A round is written while it is a draft; once published (``grant_rounds.publish``) applicants
rely on it, so it is no longer changed here. Opening and deadline are entered as a date and a
time on the Copenhagen wall clock and stored as UTC instants (``copenhagen_instant``). Every
create and update is audited with the names of the fields that changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db
from portal.models import (
    GrantRound,
    Role,
    RoleAssignment,
    RoundReviewer,
    RoundState,
    RubricCriterion,
    User,
)
from portal.services.grant_rounds import RoundError, copenhagen_instant

# The attachment kinds a round may require of every application, with their names. An
# application may also carry attachments of the kind "other" (not requirable).
ATTACHMENT_KINDS: dict[str, Any] = {
    "budget_notes": _l("Budgetnoter"),
    "project_plan": _l("Projektplan med tidsplan"),
    "statutes": _l("Vedtægter"),
    "annual_accounts": _l("Seneste årsregnskab"),
    "cooperation_letter": _l("Samarbejdserklæring fra institution"),
}

CONFLICT = _l("Runden er blevet ændret af en anden. Se den nye udgave, og prøv igen.")
NOT_DRAFT = _l("Runden er offentliggjort og kan ikke længere ændres.")

ROUND_FIELDS = (
    "name_da",
    "name_en",
    "description_da",
    "description_en",
    "criteria_da",
    "criteria_en",
    "pool_ore",
    "max_per_application_ore",
    "opens_at",
    "deadline_at",
    "reporting_deadline",
    "audit_threshold_ore",
    "voucher_share_percent",
    "required_attachments",
)
CRITERION_FIELDS = ("name_da", "name_en", "description_da", "description_en", "weight", "scale_max")


@dataclass(frozen=True)
class CriterionValues:
    """One criterion of the rubric as the officer wrote it."""

    name_da: str
    name_en: str = ""
    description_da: str = ""
    description_en: str = ""
    weight: int = 1
    scale_max: int = 5


@dataclass(frozen=True)
class RoundValues:
    """A round as the officer wrote it; times are Copenhagen wall-clock dates and times."""

    name_da: str
    pool_ore: int
    max_per_application_ore: int
    opens_on: date
    opens_time: time
    deadline_on: date
    deadline_time: time
    reporting_deadline: date
    name_en: str = ""
    description_da: str = ""
    description_en: str = ""
    criteria_da: str = ""
    criteria_en: str = ""
    audit_threshold_ore: int = 10_000_000
    voucher_share_percent: int = 20
    required_attachments: tuple[str, ...] = ()
    criteria: tuple[CriterionValues, ...] = field(default_factory=tuple)
    reviewer_ids: tuple[uuid.UUID, ...] = ()


def reviewer_candidates() -> list[User]:
    """The active users holding the reviewer role, by name (those a round may be given)."""
    return list(
        db.session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == Role.REVIEWER, User.active.is_(True))
            .order_by(User.name, User.email)
            .distinct()
        )
    )


def problems(values: RoundValues) -> list[RoundError]:
    """Everything wrong with ``values``, each with the field it concerns (empty: it may be
    saved). Publishing asks more (``grant_rounds.publishing_problems``)."""
    found: list[RoundError] = []
    if not values.name_da.strip():
        found.append(RoundError(_l("Giv runden et navn."), "name_da"))
    if values.pool_ore <= 0:
        found.append(RoundError(_l("Puljen skal være større end 0 kr."), "pool"))
    if values.max_per_application_ore <= 0:
        found.append(
            RoundError(_l("Det højeste beløb pr. ansøgning skal være større end 0 kr."), "maximum")
        )
    elif values.max_per_application_ore > values.pool_ore > 0:
        found.append(
            RoundError(
                _l("Det højeste beløb pr. ansøgning kan ikke være større end puljen."), "maximum"
            )
        )
    if values.audit_threshold_ore < 0:
        found.append(RoundError(_l("Beløbet kan ikke være negativt."), "audit_threshold"))
    if not 0 <= values.voucher_share_percent <= 100:
        found.append(
            RoundError(_l("Andelen skal være mellem 0 og 100 procent."), "voucher_share_percent")
        )
    unknown = [kind for kind in values.required_attachments if kind not in ATTACHMENT_KINDS]
    if unknown:
        found.append(RoundError(_l("Vælg blandt bilagene på listen."), "required_attachments"))
    opens_at = deadline_at = None
    try:
        opens_at = copenhagen_instant(values.opens_on, values.opens_time)
    except RoundError as error:
        found.append(RoundError(error.message, "opens_time"))
    try:
        deadline_at = copenhagen_instant(values.deadline_on, values.deadline_time)
    except RoundError as error:
        found.append(RoundError(error.message, "deadline_time"))
    if opens_at and deadline_at and deadline_at <= opens_at:
        found.append(RoundError(_l("Ansøgningsfristen skal ligge efter åbningen."), "deadline_on"))
    if values.reporting_deadline <= values.deadline_on:
        found.append(
            RoundError(
                _l("Fristen for afrapportering skal ligge efter ansøgningsfristen."),
                "reporting_deadline",
            )
        )
    for position, criterion in enumerate(values.criteria):
        if not criterion.name_da.strip():
            found.append(RoundError(_l("Giv kriteriet et navn."), f"criteria-{position}-name_da"))
        if not 1 <= criterion.weight <= 100:
            found.append(
                RoundError(_l("Vægten skal være mellem 1 og 100."), f"criteria-{position}-weight")
            )
        if not 2 <= criterion.scale_max <= 10:
            found.append(
                RoundError(
                    _l("Skalaen skal gå til mellem 2 og 10."), f"criteria-{position}-scale_max"
                )
            )
    reviewers = {user.id for user in reviewer_candidates()}
    if any(user_id not in reviewers for user_id in values.reviewer_ids):
        found.append(RoundError(_l("Vælg bedømmere blandt dem på listen."), "reviewers"))
    return found


def _checked(values: RoundValues) -> None:
    found = problems(values)
    if found:
        raise found[0]


def _apply(grant_round: GrantRound, values: RoundValues) -> list[str]:
    """Write ``values`` onto the round; the names of the fields that changed."""
    new = {
        "name_da": values.name_da.strip(),
        "name_en": values.name_en.strip(),
        "description_da": values.description_da.strip(),
        "description_en": values.description_en.strip(),
        "criteria_da": values.criteria_da.strip(),
        "criteria_en": values.criteria_en.strip(),
        "pool_ore": values.pool_ore,
        "max_per_application_ore": values.max_per_application_ore,
        "opens_at": copenhagen_instant(values.opens_on, values.opens_time),
        "deadline_at": copenhagen_instant(values.deadline_on, values.deadline_time),
        "reporting_deadline": values.reporting_deadline,
        "audit_threshold_ore": values.audit_threshold_ore,
        "voucher_share_percent": values.voucher_share_percent,
        # In the order of the list of kinds, without repeats.
        "required_attachments": [k for k in ATTACHMENT_KINDS if k in values.required_attachments],
    }
    changed = [name for name in ROUND_FIELDS if getattr(grant_round, name, None) != new[name]]
    for name in changed:
        setattr(grant_round, name, new[name])
    return changed


def _apply_criteria(grant_round: GrantRound, criteria: Sequence[CriterionValues]) -> bool:
    """Make the rubric ``criteria`` in that order. Rows are updated in place by position (the
    position is unique per round, so rows are never swapped); returns whether anything
    changed."""
    changed = False
    existing = list(grant_round.criteria)
    for position, values in enumerate(criteria):
        new = {
            "name_da": values.name_da.strip(),
            "name_en": values.name_en.strip(),
            "description_da": values.description_da.strip(),
            "description_en": values.description_en.strip(),
            "weight": values.weight,
            "scale_max": values.scale_max,
        }
        if position < len(existing):
            row = existing[position]
            for name in CRITERION_FIELDS:
                if getattr(row, name) != new[name]:
                    setattr(row, name, new[name])
                    changed = True
        else:
            grant_round.criteria.append(RubricCriterion(position=position, **new))
            changed = True
    for row in existing[len(criteria) :]:
        grant_round.criteria.remove(row)
        changed = True
    return changed


def _apply_reviewers(grant_round: GrantRound, reviewer_ids: Sequence[uuid.UUID]) -> bool:
    wanted = list(dict.fromkeys(reviewer_ids))
    current = {row.user_id: row for row in grant_round.reviewers}
    changed = False
    for user_id, row in current.items():
        if user_id not in wanted:
            grant_round.reviewers.remove(row)
            changed = True
    for user_id in wanted:
        if user_id not in current:
            grant_round.reviewers.append(RoundReviewer(user_id=user_id))
            changed = True
    return changed


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise RoundError(CONFLICT) from None


def create(values: RoundValues, actor: User) -> GrantRound:
    """A new draft round with its rubric and reviewers (RoundError names what is wrong)."""
    _checked(values)
    grant_round = GrantRound(state=RoundState.DRAFT, created_by_id=actor.id)
    _apply(grant_round, values)
    _apply_criteria(grant_round, values.criteria)
    _apply_reviewers(grant_round, values.reviewer_ids)
    db.session.add(grant_round)
    _flush()
    audit.record(
        "grant_round.create",
        object_type="grant_round",
        object_id=grant_round.id,
        details={
            "name": grant_round.name_da,
            "pool_ore": grant_round.pool_ore,
            "criteria": len(grant_round.criteria),
            "reviewers": [str(r.user_id) for r in grant_round.reviewers],
        },
        actor_id=str(actor.id),
    )
    return grant_round


def update(
    grant_round: GrantRound,
    values: RoundValues,
    actor: User,
    *,
    expected_version: int | None = None,
) -> list[str]:
    """Change a draft round; the names of what changed (nothing is audited when nothing did).
    A stale ``expected_version`` (someone saved in between) is a RoundError."""
    if expected_version is not None and expected_version != grant_round.version:
        raise RoundError(CONFLICT)
    if grant_round.state != RoundState.DRAFT:
        raise RoundError(NOT_DRAFT)
    _checked(values)
    changed = _apply(grant_round, values)
    if _apply_criteria(grant_round, values.criteria):
        changed.append("criteria")
    if _apply_reviewers(grant_round, values.reviewer_ids):
        changed.append("reviewers")
    if not changed:
        return []
    # Rubric and reviewers live in their own rows: bump the round's version for them too, so
    # a concurrent save of the round is caught.
    if "criteria" in changed or "reviewers" in changed:
        flag_modified(grant_round, "name_da")
    _flush()
    audit.record(
        "grant_round.update",
        object_type="grant_round",
        object_id=grant_round.id,
        details={
            "changed": changed,
            "reviewers": [str(r.user_id) for r in grant_round.reviewers],
        },
        actor_id=str(actor.id),
    )
    return changed


def set_reviewers(
    grant_round: GrantRound,
    reviewer_ids: Sequence[uuid.UUID],
    actor: User,
    *,
    expected_version: int | None = None,
) -> bool:
    """Change the reviewers of a round at any time before it is finished (the draft's edit
    page does it with the rest). A reviewer who has been given applications in the round
    stays: their assignments and scores are part of the record. True if anything changed."""
    from portal.auth.permissions import can_manage_rounds
    from portal.models import GrantApplication, ReviewAssignment

    if not can_manage_rounds(actor):
        raise RoundError(_l("Kun tilskudsmedarbejdere kan vælge bedømmere."))
    if expected_version is not None and expected_version != grant_round.version:
        raise RoundError(CONFLICT)
    if grant_round.state == RoundState.FINISHED:
        raise RoundError(_l("Runden er afsluttet; bedømmerne kan ikke ændres."))
    wanted = list(dict.fromkeys(reviewer_ids))
    candidates = {user.id: user for user in reviewer_candidates()}
    if any(user_id not in candidates for user_id in wanted):
        raise RoundError(_l("Vælg bedømmere blandt dem på listen."), "reviewers")
    busy = set(
        db.session.scalars(
            select(ReviewAssignment.reviewer_id)
            .join(GrantApplication, GrantApplication.id == ReviewAssignment.application_id)
            .where(GrantApplication.round_id == grant_round.id)
        )
    )
    kept = [row.user_id for row in grant_round.reviewers if row.user_id in busy]
    dropped = [user_id for user_id in kept if user_id not in wanted]
    if dropped:
        names = ", ".join(
            sorted(candidates[u].name if u in candidates else str(u) for u in dropped)
        )
        raise RoundError(
            _l(
                "%(names)s har fået ansøgninger i runden og kan ikke fjernes. Tag først ansøgningerne tilbage på fordelingen.",
                names=names,
            ),
            "reviewers",
        )
    if not _apply_reviewers(grant_round, wanted):
        return False
    flag_modified(grant_round, "name_da")  # the reviewers are rows of their own: bump the version
    _flush()
    audit.record(
        "grant_round.reviewers",
        object_type="grant_round",
        object_id=grant_round.id,
        details={"reviewers": [str(r.user_id) for r in grant_round.reviewers]},
        actor_id=str(actor.id),
    )
    return True
