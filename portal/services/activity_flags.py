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
from portal.services import activities, volunteer_status
from portal.services.rule_profiles import effective_rules


class BlockReason(enum.StrEnum):
    NOT_CLEARED = "not_cleared"  # withdrawn, not cleared, or back in a renewal
    NO_ACCESS = "no_access"  # no active access to the institution on a remaining date
    DECLARATIONS = "declarations"  # a required declaration must be signed again


def block_reason(
    participant: ActivityParticipant, activity: Activity, days: list[date], current: dict
) -> BlockReason | None:
    """Why ``participant`` may not take part on the remaining ``days`` (None: they may)."""
    volunteer = participant.volunteer
    if volunteer.state != VolunteerState.CLEARED:
        return BlockReason.NOT_CLEARED
    rules = effective_rules(activity.institution, activity.section)
    if rules.access_required:
        grants = [g for g in volunteer.access_grants if g.institution_id == activity.institution_id]
        if any(not any(g.active_on(day) for g in grants) for day in days):
            return BlockReason.NO_ACCESS
    signed = volunteer_status.latest_signatures(volunteer)
    for kind in rules.required_declarations:
        version = next((v for k, v in current.items() if k.value == kind), None)
        signature = next((s for k, s in signed.items() if k.value == kind), None)
        if version is not None and (
            signature is None or signature.declaration_version_id != version.id
        ):
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
    for participant in activity.participants:
        reason = block_reason(participant, activity, days, current)
        name = participant.volunteer.name
        if reason is not None and participant.blocked_at is None:
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


def _approved_upcoming(now: datetime) -> list[Activity]:
    today = volunteer_status.today(now)
    return list(
        db.session.scalars(
            select(Activity).where(
                Activity.state == ActivityState.APPROVED,
                (Activity.until_date >= today)
                | (Activity.until_date.is_(None) & (Activity.first_date >= today)),
            )
        )
    )


def recheck_volunteer(volunteer: Volunteer, now: datetime | None = None) -> dict[str, int]:
    """After a change to one volunteer (access revoked, consent withdrawn, new access)."""
    now = now or utcnow()
    totals = {"blocked": 0, "unblocked": 0}
    ids = set(
        db.session.scalars(
            select(ActivityParticipant.activity_id).where(
                ActivityParticipant.volunteer_id == volunteer.id
            )
        )
    )
    for activity in _approved_upcoming(now):
        if activity.id in ids:
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
