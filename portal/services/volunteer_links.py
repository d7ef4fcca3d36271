"""The volunteer's signing link: a random token, of which only the SHA-256 is kept.

The organisation's service issues links (``volunteers.issue_invitation``); the signing flow
finds the volunteer by the token and uses the link up once identity is proven.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.models import Volunteer, VolunteerState


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_link(volunteer: Volunteer, now: datetime | None = None) -> str:
    """Give the volunteer a new link (the old one stops working); returns the raw token."""
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    days = current_app.config["PORTAL"]["VOLUNTEER_INVITATION_DAYS"]
    volunteer.invitation_token_hash = hash_token(raw)
    volunteer.invitation_sent_at = now
    volunteer.invitation_expires_at = now + timedelta(days=days)
    volunteer.invitation_reminded_at = None
    volunteer.invitation_lapse_notified_at = None
    volunteer.invitation_used_at = None
    return raw


def find_by_token(raw: str, now: datetime | None = None) -> Volunteer | None:
    """The volunteer whose usable link this is: not used, not expired, still to sign."""
    if not raw or len(raw) > 200:
        return None
    volunteer = db.session.scalar(
        select(Volunteer).where(Volunteer.invitation_token_hash == hash_token(raw))
    )
    now = now or utcnow()
    if (
        volunteer is None
        or volunteer.invitation_used_at is not None
        or volunteer.invitation_expires_at is None
        or volunteer.invitation_expires_at <= now
        or volunteer.state != VolunteerState.INVITED
    ):
        return None
    return volunteer


def use_link(volunteer: Volunteer, now: datetime | None = None) -> None:
    """The link has served (identity proven, account ready): it cannot be used again."""
    volunteer.invitation_used_at = now or utcnow()
    volunteer.invitation_token_hash = None
