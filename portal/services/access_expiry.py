"""The daily expiry of access to institutions, and the reminders before it (for the cron job
``flask portal send-reminders``)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select

from portal import audit, db
from portal.models import AccessEndReason, AccessGrant, VolunteerState
from portal.services import volunteer_notices as notices
from portal.services import volunteer_status
from portal.services.clearance import current_grants
from portal.services.volunteer_history import record_event


def process_access_expiry(now: datetime) -> dict[str, int]:
    """End access past its last day, and remind of access that ends within
    PORTAL_ACCESS_REMINDER_DAYS (the volunteer and the organisation's admins, once per grant).

    A cleared volunteer left without any access by an expiry becomes EXPIRED: renewal means
    new signatures and a new check. Each step marks its rows, so a second run does nothing
    twice. Works outside a request; the caller commits.
    """
    today = volunteer_status.today(now)
    counts = {"access_expired": 0, "volunteers_expired": 0, "access_reminded": 0}

    overdue: dict[uuid.UUID, list[AccessGrant]] = defaultdict(list)
    for grant in db.session.scalars(
        select(AccessGrant)
        .where(AccessGrant.ended_at.is_(None), AccessGrant.valid_until < today)
        .order_by(AccessGrant.valid_until, AccessGrant.id)
    ):
        overdue[grant.volunteer_id].append(grant)
    for grants in overdue.values():
        volunteer = grants[0].volunteer
        for grant in grants:
            grant.ended_at = now
            grant.end_reason = AccessEndReason.EXPIRED
            audit.record(
                "volunteer.access_expired",
                object_type="access_grant",
                object_id=grant.id,
                details={"volunteer": str(volunteer.id), "institution": str(grant.institution_id)},
            )
        counts["access_expired"] += len(grants)
        record_event(
            volunteer,
            "access_expired",
            None,
            "; ".join(g.institution.name for g in grants),
            now=now,
        )
        if volunteer.state == VolunteerState.CLEARED and not current_grants(volunteer, today):
            volunteer.state = VolunteerState.EXPIRED
            record_event(volunteer, "expired", None, now=now)
            audit.record("volunteer.expired", object_type="volunteer", object_id=volunteer.id)
            notices.tell_organisation(volunteer, "clearance_access_expired")
            counts["volunteers_expired"] += 1
        db.session.flush()

    window_end = today + volunteer_status.reminder_window()
    due: dict[uuid.UUID, list[AccessGrant]] = defaultdict(list)
    for grant in db.session.scalars(
        select(AccessGrant)
        .where(
            AccessGrant.ended_at.is_(None),
            AccessGrant.expiry_reminded_at.is_(None),
            AccessGrant.valid_until >= today,
            AccessGrant.valid_until <= window_end,
        )
        .order_by(AccessGrant.valid_until, AccessGrant.id)
    ):
        due[grant.volunteer_id].append(grant)
    for grants in due.values():
        volunteer = grants[0].volunteer
        for grant in grants:
            grant.expiry_reminded_at = now
        listed = [(g.institution.name, g.valid_until) for g in grants]
        audit.record(
            "volunteer.access_expiry_reminded",
            object_type="volunteer",
            object_id=volunteer.id,
            details={"grants": [str(g.id) for g in grants]},
        )
        notices.tell_volunteer(volunteer, "clearance_access_expiring", grants=listed)
        notices.tell_organisation(volunteer, "clearance_access_expiring", grants=listed)
        counts["access_reminded"] += len(grants)
        db.session.flush()
    return counts
