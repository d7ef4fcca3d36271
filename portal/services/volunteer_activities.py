"""The approved activities a volunteer takes part in, as the volunteer sees them on their page:
what, where, the next date and time, and whether they may come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from portal import db
from portal.models import Activity, ActivityParticipant, ActivityState, Volunteer
from portal.services import activities


@dataclass(frozen=True)
class VolunteerActivity:
    activity: Activity
    next_day: date
    dates_left: int
    blocked_reason: str  # an activity_flags.BlockReason value, or ""


def upcoming(volunteer: Volunteer, today: date) -> list[VolunteerActivity]:
    """Approved activities with ``volunteer`` among the participants and dates from ``today``
    on, soonest first."""
    rows = db.session.execute(
        select(Activity, ActivityParticipant)
        .join(ActivityParticipant, ActivityParticipant.activity_id == Activity.id)
        .where(
            ActivityParticipant.volunteer_id == volunteer.id,
            Activity.state == ActivityState.APPROVED,
        )
    ).all()
    found = []
    for activity, participant in rows:
        days = [day for day in activities.dates_of(activity) if day >= today]
        if days:
            found.append(
                VolunteerActivity(
                    activity,
                    days[0],
                    len(days),
                    participant.blocked_reason if participant.blocked_at else "",
                )
            )
    found.sort(key=lambda row: (row.next_day, row.activity.start_time, row.activity.title))
    return found
