"""Participants of approved activities who may no longer take part.

When a participant's access lapses or is revoked, their consent is withdrawn, or a required
declaration must be signed again before an approved date, the participant is marked blocked:
the activity is flagged to both sides (history and e-mail) and the gate list says that the
person may not come. When the cause is put right (new access, signed again) the mark is
lifted. Runs at once after a revocation or a withdrawal, and daily from the reminders job
(which also catches access that simply runs out and new declaration versions).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from portal import audit, db
from portal.db import utcnow
from portal.models import (
    Activity,
    ActivityParticipant,
    ActivityState,
    Volunteer,
    VolunteerState,
)
from portal.services import activities, activity_rules, volunteer_status
from portal.services.rule_profiles import EffectiveRules, effective_rules


class BlockReason(enum.StrEnum):
    NOT_CLEARED = "not_cleared"  # withdrawn, not cleared or expired (see participant_facts)
    NO_ACCESS = "no_access"  # no active access to the institution on a remaining date
    DECLARATIONS = "declarations"  # a required declaration must be signed again


def block_reason(
    participant: ActivityParticipant,
    activity: Activity,
    days: list[date],
    current: dict,
    rules: EffectiveRules | None = None,
) -> BlockReason | None:
    """Why ``participant`` may not take part on the remaining ``days`` (None: they may).

    Reads the participant as the proposal rules do (``activity_rules.participant_facts``),
    so a flag and the rule check on the same day never disagree."""
    rules = rules or effective_rules(activity.institution, activity.section)
    facts = activity_rules.participant_facts(
        participant.volunteer, activity.institution, days, current=current
    )
    if facts.state != VolunteerState.CLEARED:
        return BlockReason.NOT_CLEARED
    if rules.access_required and facts.access_days != frozenset(days):
        return BlockReason.NO_ACCESS
    if rules.required_declarations - facts.signed_current:
        return BlockReason.DECLARATIONS
    return None


def recheck(activity: Activity, now: datetime | None = None) -> dict[str, int]:
    """Mark or clear each participant of an approved activity for its dates from today on."""
    from portal.services import activity_workflow

    counts = {"blocked": 0, "unblocked": 0}
    if activity.state != ActivityState.APPROVED:
        return counts
    now = now or utcnow()
    today = volunteer_status.today(now)
    days = [day for day in activities.dates_of(activity) if day >= today]
    if not days:
        return counts
    current = volunteer_status.current_versions()
    rules = effective_rules(activity.institution, activity.section)
    for participant in activity.participants:
        reason = block_reason(participant, activity, days, current, rules)
        name = participant.volunteer.name
        if reason is not None and participant.blocked_at is not None:
            # Still blocked; the gate list shows the reason that holds now.
            participant.blocked_reason = reason.value
        elif reason is not None:
            participant.blocked_at = now
            participant.blocked_reason = reason.value
            activity_workflow.record_event(activity, "participant_blocked", None, text=name)
            audit.record(
                "activity.participant_blocked",
                object_type="activity",
                object_id=activity.id,
                details={"volunteer": str(participant.volunteer_id), "reason": reason.value},
                actor_label="system",
            )
            activity_workflow.notify(
                activity,
                frozenset(activity_workflow.Side),
                "participant_blocked",
                None,
                name,
            )
            counts["blocked"] += 1
        elif reason is None and participant.blocked_at is not None:
            participant.blocked_at = None
            participant.blocked_reason = ""
            activity_workflow.record_event(activity, "participant_unblocked", None, text=name)
            audit.record(
                "activity.participant_unblocked",
                object_type="activity",
                object_id=activity.id,
                details={"volunteer": str(participant.volunteer_id)},
                actor_label="system",
            )
            counts["unblocked"] += 1
    db.session.flush()
    return counts


def _approved_upcoming(now: datetime, *conditions: Any) -> list[Activity]:
    """Approved activities that may still have a date from today on (``recheck`` reads the
    exact dates), oldest first so a run's e-mails come in a stable order."""
    today = volunteer_status.today(now)
    return list(
        db.session.scalars(
            select(Activity)
            .where(
                Activity.state == ActivityState.APPROVED,
                (Activity.until_date >= today)
                | (Activity.until_date.is_(None) & (Activity.first_date >= today)),
                *conditions,
            )
            .order_by(Activity.first_date, Activity.id)
        )
    )


def recheck_volunteer(volunteer: Volunteer, now: datetime | None = None) -> dict[str, int]:
    """After a change to one volunteer (access revoked, consent withdrawn, new access)."""
    now = now or utcnow()
    totals = {"blocked": 0, "unblocked": 0}
    mine = select(ActivityParticipant.activity_id).where(
        ActivityParticipant.volunteer_id == volunteer.id
    )
    for activity in _approved_upcoming(now, Activity.id.in_(mine)):
        for key, value in recheck(activity, now).items():
            totals[key] += value
    return totals


def recheck_all(now: datetime | None = None) -> dict[str, int]:
    """Every approved activity with dates left (the daily job)."""
    now = now or utcnow()
    totals = {"participants_blocked": 0, "participants_unblocked": 0}
    for activity in _approved_upcoming(now):
        counts = recheck(activity, now)
        totals["participants_blocked"] += counts["blocked"]
        totals["participants_unblocked"] += counts["unblocked"]
    return totals
