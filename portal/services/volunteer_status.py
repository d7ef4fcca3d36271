"""What state a volunteer is in, as the NGO, the caseworker and the volunteer see it, and which
declarations they must (still) sign. Read-only: the changes live in the services of each flow
(``volunteers`` for the NGO, ``signing`` for the volunteer, ``clearance`` for the caseworker).
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from portal import db
from portal.db import utcnow
from portal.models import (
    DECLARATION_ORDER,
    AccessGrant,
    DeclarationKind,
    DeclarationVersion,
    Institution,
    RuleProfile,
    Signature,
    Volunteer,
    VolunteerState,
)

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


class VolunteerStatus(enum.StrEnum):
    """The status shown in lists: the stored state refined by links, signatures and access."""

    INVITED = "invited"
    INVITATION_LAPSED = "invitation_lapsed"
    AWAITING_CHECK = "awaiting_check"
    CLEARED = "cleared"
    ACCESS_GRANTED = "access_granted"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    RESIGN_NEEDED = "resign_needed"
    WITHDRAWN = "withdrawn"
    NOT_CLEARED = "not_cleared"


def today(now: datetime | None = None) -> date:
    """The date in Copenhagen (access is granted and expires by Danish calendar days)."""
    return (now or utcnow()).astimezone(COPENHAGEN).date()


def reminder_window() -> timedelta:
    return timedelta(days=current_app.config["PORTAL"]["ACCESS_REMINDER_DAYS"])


def active_grants(volunteer: Volunteer, day: date | None = None) -> list[AccessGrant]:
    day = day or today()
    return [grant for grant in volunteer.access_grants if grant.active_on(day)]


def status_of(
    volunteer: Volunteer,
    now: datetime | None = None,
    current: dict[DeclarationKind, DeclarationVersion] | None = None,
) -> VolunteerStatus:
    """``current`` (from ``current_versions``) saves a query per row when listing many."""
    now = now or utcnow()
    state = volunteer.state
    if state == VolunteerState.INVITED:
        expires = volunteer.invitation_expires_at
        if volunteer.invitation_used_at is None and (expires is None or expires <= now):
            return VolunteerStatus.INVITATION_LAPSED
        return VolunteerStatus.INVITED
    if state in (VolunteerState.AWAITING_CHECK, VolunteerState.NOT_CLEARED):
        return VolunteerStatus(state.value)
    if state in (VolunteerState.WITHDRAWN, VolunteerState.EXPIRED):
        return VolunteerStatus(state.value)
    # Cleared.
    if outdated_kinds(volunteer, current):
        return VolunteerStatus.RESIGN_NEEDED
    day = today(now)
    grants = active_grants(volunteer, day)
    if not grants:
        return VolunteerStatus.CLEARED
    if any(grant.valid_until - day <= reminder_window() for grant in grants):
        return VolunteerStatus.EXPIRING
    return VolunteerStatus.ACCESS_GRANTED


# --- declarations -----------------------------------------------------------------------------


def required_kinds(volunteer: Volunteer) -> list[DeclarationKind]:
    return [
        kind
        for kind in DECLARATION_ORDER
        if kind != DeclarationKind.VISITING_FRIEND or volunteer.visiting_friend
    ]


def current_versions() -> dict[DeclarationKind, DeclarationVersion]:
    """The newest published version of each declaration."""
    newest = (
        select(DeclarationVersion.kind, func.max(DeclarationVersion.version).label("version"))
        .group_by(DeclarationVersion.kind)
        .subquery()
    )
    rows = db.session.scalars(
        select(DeclarationVersion).join(
            newest,
            (DeclarationVersion.kind == newest.c.kind)
            & (DeclarationVersion.version == newest.c.version),
        )
    )
    return {row.kind: row for row in rows}


def latest_signatures(volunteer: Volunteer) -> dict[DeclarationKind, Signature]:
    """The newest signature of each declaration the volunteer has signed (since the latest
    renewal: a renewal asks for every declaration again)."""
    query = select(Signature).where(Signature.volunteer_id == volunteer.id)
    if volunteer.renewed_at is not None:
        query = query.where(Signature.signed_at >= volunteer.renewed_at)
    signatures = db.session.scalars(query.order_by(Signature.signed_at))
    return {signature.declaration_version.kind: signature for signature in signatures}


def outdated_kinds(
    volunteer: Volunteer, current: dict[DeclarationKind, DeclarationVersion] | None = None
) -> list[DeclarationKind]:
    """Required declarations with no signature of their current version (to sign again)."""
    current = current if current is not None else current_versions()
    signed = latest_signatures(volunteer)
    missing = []
    for kind in required_kinds(volunteer):
        version = current.get(kind)
        signature = signed.get(kind)
        if version is not None and (
            signature is None or signature.declaration_version_id != version.id
        ):
            missing.append(kind)
    return missing


def _validity_text(days: int, language: str) -> str:
    if days % 365 == 0:
        years = days // 365
        if language == "en":
            return f"{years} year" + ("s" if years != 1 else "")
        return f"{years} år"
    return f"{days} days" if language == "en" else f"{days} dage"


def declaration_context(volunteer: Volunteer, language: str) -> dict[str, str]:
    """The values filled into a declaration's placeholders for this volunteer."""
    office = volunteer.organisation.area_office
    institutions = list(
        db.session.scalars(
            select(Institution)
            .where(Institution.area_office_id == office.id, Institution.active)
            .order_by(Institution.name)
        )
    )
    profiles = {
        p.security_level_id: p.access_validity_days for p in db.session.scalars(select(RuleProfile))
    }
    longest = max((profiles.get(i.security_level_id, 365) for i in institutions), default=365)
    return {
        "navn": volunteer.name,
        "organisation": volunteer.organisation.name,
        "omraadekontor": office.name,
        "institutioner": ", ".join(i.name for i in institutions) or "-",
        "gyldighed": _validity_text(longest, language),
    }


class _KeepUnknown(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_text(version: DeclarationVersion, volunteer: Volunteer, language: str) -> str:
    """The exact text the volunteer is shown (and whose SHA-256 the signature keeps)."""
    return version.text_for(language).format_map(
        _KeepUnknown(declaration_context(volunteer, language))
    )


# --- for activities ---------------------------------------------------------------------------


def renewing(volunteer: Volunteer) -> bool:
    """A renewal is under way: the volunteer signs again and is checked again."""
    return volunteer.renewed_at is not None and volunteer.state in (
        VolunteerState.INVITED,
        VolunteerState.AWAITING_CHECK,
    )


def cleared_for_activities(volunteer: Volunteer) -> bool:
    """Cleared, or renewing after a clearance: access granted before the renewal stays until
    its date (``volunteers.renew``), and so does the earlier clearance for activities; the
    access rule still needs an active grant on each day."""
    return volunteer.state == VolunteerState.CLEARED or renewing(volunteer)


def signatures_for_activities(volunteer: Volunteer) -> dict[DeclarationKind, Signature]:
    """The signatures that count for activities: during a renewal the earlier ones still
    count (until the new ones are given), as the earlier clearance does."""
    if not renewing(volunteer):
        return latest_signatures(volunteer)
    query = select(Signature).where(Signature.volunteer_id == volunteer.id)
    signatures = db.session.scalars(query.order_by(Signature.signed_at))
    return {signature.declaration_version.kind: signature for signature in signatures}
