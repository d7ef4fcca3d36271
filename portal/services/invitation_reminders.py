"""Reminders about volunteers' signing links (for the cron job ``flask portal send-reminders``):
one reminder halfway through the link's validity, and a notice to the organisation when it lapses."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select

from portal import audit, db, mail
from portal.models import (
    Organisation,
    Role,
    User,
    Volunteer,
    VolunteerState,
)
from portal.services import membership, volunteer_links, volunteers
from portal.services.volunteer_history import record_event


def remind_invitations(now: datetime) -> dict[str, int]:
    """Send the invitation reminders that are due at ``now``; safe to run as often as wanted.

    A volunteer whose link is unused gets one reminder halfway through its validity (with a
    fresh link that keeps the same expiry; the first e-mail's link stops working). When the
    link has lapsed, the organisation's admins are told once, so they can send a new one.
    Each send is marked on the volunteer and audited, so running twice sends nothing twice.
    The caller commits.
    """
    days = current_app.config["PORTAL"]["VOLUNTEER_INVITATION_DAYS"]
    halfway = now - timedelta(days=days) / 2
    due = db.session.scalars(
        select(Volunteer)
        .where(
            Volunteer.state == VolunteerState.INVITED,
            Volunteer.invitation_used_at.is_(None),
            Volunteer.invitation_sent_at.is_not(None),
            Volunteer.invitation_expires_at.is_not(None),
            or_(
                and_(
                    Volunteer.invitation_reminded_at.is_(None),
                    Volunteer.invitation_sent_at <= halfway,
                    Volunteer.invitation_expires_at > now,
                ),
                and_(
                    Volunteer.invitation_expires_at <= now,
                    Volunteer.invitation_lapse_notified_at.is_(None),
                ),
            ),
        )
        .order_by(Volunteer.invitation_sent_at)
        # Two overlapping runs on PostgreSQL take different rows (SQLite ignores this).
        .with_for_update(of=Volunteer, skip_locked=True)
    ).all()
    counts = {"invitation_reminders": 0, "invitation_lapses": 0}
    for volunteer in due:
        assert volunteer.invitation_expires_at is not None
        if volunteer.invitation_expires_at > now:
            _remind(volunteer, now)
            counts["invitation_reminders"] += 1
        else:
            _tell_lapse(volunteer, now)
            counts["invitation_lapses"] += 1
    return counts


def _remind(volunteer: Volunteer, now: datetime) -> None:
    # Only the link's hash is kept, so the reminder carries a fresh token with the same expiry.
    raw = secrets.token_urlsafe(32)
    volunteer.invitation_token_hash = volunteer_links.hash_token(raw)
    volunteer.invitation_reminded_at = now
    record_event(volunteer, "invitation_reminded", None, now=now)
    # Marked before the mail goes (outside a request it goes at once), so a failing write
    # sends nothing.
    db.session.flush()
    audit.record("volunteer.invitation_reminded", object_type="volunteer", object_id=volunteer.id)
    mail.send_template(
        volunteer.email,
        "volunteer_invitation_reminder",
        language=volunteer.language,
        name=volunteer.name,
        organisation=volunteer.organisation.name,
        link=volunteers.invitation_url(raw),
        expires=volunteer.invitation_expires_at,
    )


def _admins_to_tell(organisation: Organisation) -> list[User]:
    """The organisation's active admins; its staff if it has no active admin."""
    staff = [m for m in membership.members(organisation) if m.user.active]
    admins = [m.user for m in staff if m.role == Role.NGO_ADMIN]
    return admins or [m.user for m in staff]


def _tell_lapse(volunteer: Volunteer, now: datetime) -> None:
    volunteer.invitation_lapse_notified_at = now
    recipients = _admins_to_tell(volunteer.organisation)
    record_event(volunteer, "invitation_lapsed", None, now=now)
    db.session.flush()
    audit.record(
        "volunteer.invitation_lapse_notified",
        object_type="volunteer",
        object_id=volunteer.id,
        details={"recipients": [str(user.id) for user in recipients]},
    )
    link = mail.external_url("volunteers.detail", volunteer_id=volunteer.id)
    for user in recipients:
        mail.send_template(
            user.email,
            "volunteer_invitation_lapsed",
            language=user.language,
            name=user.name,
            volunteer=volunteer.name,
            organisation=volunteer.organisation.name,
            sent=volunteer.invitation_sent_at,
            link=link,
        )
