"""The volunteer's history (VolunteerEvent): one way to write it and one to read it, for the
organisation's, the volunteer's and the area office's services alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.models import User, Volunteer, VolunteerEvent


def record_event(
    volunteer: Volunteer,
    action: str,
    actor: User | None,
    text: str = "",
    *,
    now: datetime | None = None,
) -> VolunteerEvent:
    """Add an event (labels in ``portal.labels.VOLUNTEER_EVENT_LABELS``); the caller flushes.

    ``text`` is shown to the organisation only for some actions (see the volunteers pages):
    never put a CPR number or register content in it.
    """
    event = VolunteerEvent(
        volunteer_id=volunteer.id,
        action=action,
        text=text,
        actor_id=actor.id if actor else None,
        created_at=now or utcnow(),
    )
    db.session.add(event)
    return event


def history(volunteer: Volunteer) -> list[VolunteerEvent]:
    """The volunteer's events, newest first."""
    return list(
        db.session.scalars(
            select(VolunteerEvent)
            .where(VolunteerEvent.volunteer_id == volunteer.id)
            .order_by(VolunteerEvent.created_at.desc(), VolunteerEvent.id)
        )
    )
