"""Retention rules for people: login sessions, e-mailed links, volunteers (their CPR number
and, after five years, everything that names them) and deactivated accounts. Each rule is a
``find_*`` and an ``apply_*`` function; the table of rules is ``retention.RULES``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, or_, select

from portal import audit, db
from portal.models import (
    AccessGrant,
    AccountToken,
    Document,
    LoginSession,
    OwnerType,
    Role,
    Signature,
    User,
    Volunteer,
    VolunteerEvent,
    VolunteerState,
)
from portal.services.anonymise import (
    anonymise_user,
    anonymise_volunteer,
    is_anonymised_user,
)
from portal.services.retention_rules import (
    Applied,
    count_documents,
    day,
    delete_rows,
    not_after,
    not_anonymised,
    years_before,
)

# --- login sessions --------------------------------------------------------------------------

SESSION_KEEP = timedelta(days=30)


def find_login_sessions(now: datetime) -> Sequence[Any]:
    """A session has ended at the first of: logout or revocation, the idle timeout after it
    was last seen, the absolute timeout after login. It goes 30 days after that."""
    config = current_app.config
    cutoff = now - SESSION_KEEP
    idle = timedelta(seconds=config["SESSION_IDLE_SECONDS"])
    absolute = timedelta(seconds=config["SESSION_ABSOLUTE_SECONDS"])
    return db.session.execute(
        select(LoginSession.id, LoginSession.created_at)
        .where(
            or_(
                LoginSession.revoked_at < cutoff,
                LoginSession.last_seen_at < cutoff - idle,
                LoginSession.created_at < cutoff - absolute,
            )
        )
        .order_by(LoginSession.created_at)
    ).all()


def apply_login_sessions(rows: Sequence[Any], now: datetime) -> Applied:
    """Delete the sessions, counted by the year they began."""
    return delete_rows(LoginSession, rows, lambda row: row.created_at.year)


# --- account tokens --------------------------------------------------------------------------

TOKEN_KEEP = timedelta(days=30)


def find_account_tokens(now: datetime) -> Sequence[Any]:
    """Invitation and password links, 30 days after they were used, revoked or expired."""
    cutoff = now - TOKEN_KEEP
    return db.session.execute(
        select(AccountToken.id, AccountToken.created_at)
        .where(
            or_(
                AccountToken.used_at < cutoff,
                AccountToken.revoked_at < cutoff,
                AccountToken.expires_at < cutoff,
            )
        )
        .order_by(AccountToken.created_at)
    ).all()


def apply_account_tokens(rows: Sequence[Any], now: datetime) -> Applied:
    """Delete the links, counted by the year they were sent."""
    return delete_rows(AccountToken, rows, lambda row: row.created_at.year)


# --- the volunteer's CPR number --------------------------------------------------------------

CPR_KEEP = timedelta(days=30)


def find_volunteer_cpr(now: datetime) -> Sequence[Any]:
    """The schema already refuses a CPR number next to a recorded outcome. Without an outcome
    the number goes when the volunteer has withdrawn consent (the consent was its basis), or
    when the volunteer never finished signing and both the invitation's expiry and the
    number itself are more than 30 days old (the organisation can send a new link; the
    volunteer then gives the number again)."""
    cutoff = now - CPR_KEEP
    return list(
        db.session.scalars(
            select(Volunteer)
            .where(
                Volunteer.cpr_ciphertext.is_not(None),
                Volunteer.check_outcome.is_(None),
                or_(
                    Volunteer.state == VolunteerState.WITHDRAWN,
                    and_(
                        Volunteer.state == VolunteerState.INVITED,
                        not_after(Volunteer.invitation_expires_at, cutoff),
                        not_after(Volunteer.cpr_given_at, cutoff),
                    ),
                ),
            )
            .order_by(Volunteer.created_at)
        )
    )


def apply_volunteer_cpr(volunteers: Sequence[Volunteer], now: datetime) -> Applied:
    """Erase the numbers (each erasure audited on the volunteer)."""
    for volunteer in volunteers:
        volunteer.cpr_ciphertext = None
        volunteer.cpr_given_at = None
        db.session.flush()
        audit.record(
            "volunteer.cpr_erased",
            object_type="volunteer",
            object_id=volunteer.id,
            details={"rule": "volunteer_cpr"},
        )
    return Applied()


# --- volunteers ------------------------------------------------------------------------------

VOLUNTEER_YEARS = 5


def find_volunteers(now: datetime) -> Sequence[Any]:
    """Five years after the volunteer's last access ended. A volunteer who withdrew or never
    got access is measured from the last thing that happened to them (invitation, signing,
    check, withdrawal, any event in their history); nothing at all may have happened in the
    last five years."""
    cutoff = years_before(now, VOLUNTEER_YEARS)
    cutoff_day = day(cutoff)
    recent_access = exists().where(
        AccessGrant.volunteer_id == Volunteer.id,
        or_(
            and_(AccessGrant.ended_at.is_(None), AccessGrant.valid_until >= cutoff_day),
            AccessGrant.ended_at >= cutoff,
        ),
    )
    recent_event = exists().where(
        VolunteerEvent.volunteer_id == Volunteer.id, VolunteerEvent.created_at >= cutoff
    )
    moments = (
        Volunteer.invitation_sent_at,
        Volunteer.invitation_expires_at,
        Volunteer.invitation_used_at,
        Volunteer.cpr_given_at,
        Volunteer.signed_at,
        Volunteer.checked_at,
        Volunteer.withdrawn_at,
        Volunteer.renewed_at,
    )
    return list(
        db.session.scalars(
            select(Volunteer)
            .where(
                not_anonymised(Volunteer.email),
                Volunteer.created_at < cutoff,
                *(not_after(moment, cutoff) for moment in moments),
                not_after(Volunteer.check_date, cutoff_day),
                ~recent_access,
                ~recent_event,
            )
            .order_by(Volunteer.created_at)
        )
    )


def _account_serves_nothing_else(user: User) -> bool:
    """A volunteer's own account, made when they first used their link, has no other use once
    the volunteer is anonymised: no other role, no other volunteer row still kept."""
    if is_anonymised_user(user) or not user.roles <= {Role.VOLUNTEER}:
        return False
    return not db.session.scalar(
        select(exists().where(Volunteer.user_id == user.id, not_anonymised(Volunteer.email)))
    )


def apply_volunteers(volunteers: Sequence[Volunteer], now: datetime) -> Applied:
    """Anonymise each volunteer, and their own account when it serves nothing else; each
    is audited."""
    applied = Applied()
    for volunteer in volunteers:
        user_id = volunteer.user_id
        applied.documents += count_documents(
            Document.id.in_(
                select(Signature.receipt_document_id).where(Signature.volunteer_id == volunteer.id)
            )
        )
        anonymise_volunteer(volunteer)
        audit.record(
            "volunteer.anonymised",
            object_type="volunteer",
            object_id=volunteer.id,
            details={"rule": "volunteers"},
        )
        user = db.session.get(User, user_id) if user_id is not None else None
        if user is not None and _account_serves_nothing_else(user):
            applied.documents += count_documents(
                and_(Document.owner_type == OwnerType.USER, Document.owner_id == user.id)
            )
            anonymise_user(user)
            audit.record(
                "user.anonymised",
                object_type="user",
                object_id=user.id,
                details={"rule": "volunteers"},
            )
    return applied


# --- accounts --------------------------------------------------------------------------------

ACCOUNT_YEARS = 1  # 12 months


def find_accounts(now: datetime) -> Sequence[Any]:
    """Accounts deactivated more than 12 months ago. A volunteer's account that still belongs
    to a kept volunteer follows the volunteer's rule instead: anonymising it would take the
    receipts of signatures that must still be kept."""
    cutoff = years_before(now, ACCOUNT_YEARS)
    kept_volunteer = exists().where(Volunteer.user_id == User.id, not_anonymised(Volunteer.email))
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.active.is_(False),
                User.deactivated_at < cutoff,
                not_anonymised(User.email),
                ~kept_volunteer,
            )
            .order_by(User.deactivated_at)
        )
    )


def apply_accounts(users: Sequence[User], now: datetime) -> Applied:
    """Anonymise each account (audited); its own documents go, files at commit."""
    applied = Applied()
    for user in users:
        applied.documents += count_documents(
            and_(Document.owner_type == OwnerType.USER, Document.owner_id == user.id)
        )
        anonymise_user(user)
        audit.record(
            "user.anonymised", object_type="user", object_id=user.id, details={"rule": "accounts"}
        )
    return applied
