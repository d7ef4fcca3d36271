"""What each role's start page shows: "what needs me now"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from portal import audit, db
from portal.db import utcnow
from portal.models import (
    AccountToken,
    AuditEntry,
    Institution,
    Organisation,
    OrganisationState,
    Role,
    TokenPurpose,
    User,
)

WAITING_STATES = (
    OrganisationState.SUBMITTED,
    OrganisationState.IN_REVIEW,
    OrganisationState.MORE_INFORMATION,
)
SECURITY_ACTIONS = ("auth.login_failed", "access.denied", "auth.oidc_refused")


@dataclass
class Panel:
    role: Role
    data: dict[str, Any] = field(default_factory=dict)


def _pending_invitations(**scope: Any) -> int:
    query = (
        select(func.count())
        .select_from(AccountToken)
        .where(
            AccountToken.purpose == TokenPurpose.INVITATION,
            AccountToken.used_at.is_(None),
            AccountToken.revoked_at.is_(None),
            AccountToken.expires_at > utcnow(),
        )
    )
    for column, value in scope.items():
        query = query.where(getattr(AccountToken, column) == value)
    return db.session.scalar(query) or 0


def _organisation_panel(user: User, role: Role) -> Panel:
    organisations = list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(user.scopes(role)))
            .order_by(Organisation.name)
        )
    )
    entries = []
    for organisation in organisations:
        members = db.session.scalar(
            select(func.count(func.distinct(User.id)))
            .select_from(User)
            .join(User.role_assignments)
            .where(User.active, User.role_assignments.any(organisation_id=organisation.id))
        )
        entries.append(
            {
                "organisation": organisation,
                "members": members or 0,
                "pending_invitations": _pending_invitations(organisation_id=organisation.id),
            }
        )
    return Panel(role, {"organisations": entries})


def _caseworker_panel(user: User) -> Panel:
    areas = user.scopes(Role.CASEWORKER)
    waiting_query = (
        select(Organisation)
        .where(Organisation.area_office_id.in_(areas), Organisation.state.in_(WAITING_STATES))
        .order_by(Organisation.submitted_at)
    )
    waiting = list(db.session.scalars(waiting_query.limit(10)))
    waiting_count = (
        db.session.scalar(select(func.count()).select_from(waiting_query.subquery())) or 0
    )
    institutions = db.session.scalar(
        select(func.count())
        .select_from(Institution)
        .where(Institution.area_office_id.in_(areas), Institution.active)
    )
    approved = db.session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(
            Organisation.area_office_id.in_(areas), Organisation.state == OrganisationState.APPROVED
        )
    )
    return Panel(
        Role.CASEWORKER,
        {
            "waiting": waiting,
            "waiting_count": waiting_count,
            "institutions": institutions or 0,
            "approved": approved or 0,
            "now": utcnow(),
        },
    )


def _institution_panel(user: User) -> Panel:
    institutions = list(
        db.session.scalars(
            select(Institution)
            .where(Institution.id.in_(user.scopes(Role.INSTITUTION_CONTACT)))
            .order_by(Institution.name)
        )
    )
    return Panel(Role.INSTITUTION_CONTACT, {"institutions": institutions})


def _grant_officer_panel(_user: User) -> Panel:
    approved = db.session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(Organisation.state == OrganisationState.APPROVED)
    )
    return Panel(Role.GRANT_OFFICER, {"approved_organisations": approved or 0})


def _dpo_panel(_user: User) -> Panel:
    result = audit.verify_chain(db.session)
    since = utcnow() - timedelta(days=1)
    security_events = db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action.in_(SECURITY_ACTIONS), AuditEntry.occurred_at >= since)
    )
    return Panel(
        Role.DPO,
        {
            "verify": result,
            "recent": audit.last_entries(db.session, 10),
            "security_events": security_events or 0,
        },
    )


def _admin_panel(_user: User) -> Panel:
    return Panel(
        Role.ADMIN,
        {
            "active_users": db.session.scalar(
                select(func.count()).select_from(User).where(User.active)
            )
            or 0,
            "inactive_users": db.session.scalar(
                select(func.count()).select_from(User).where(~User.active)
            )
            or 0,
            "institutions": db.session.scalar(
                select(func.count()).select_from(Institution).where(Institution.active)
            )
            or 0,
            "pending_invitations": _pending_invitations(),
            "newest_users": list(
                db.session.scalars(select(User).order_by(User.created_at.desc()).limit(5))
            ),
        },
    )


def panels_for(user: User) -> list[Panel]:
    """One panel per role the user holds, in a fixed order."""
    builders = {
        Role.ADMIN: _admin_panel,
        Role.DPO: _dpo_panel,
        Role.CASEWORKER: _caseworker_panel,
        Role.INSTITUTION_CONTACT: _institution_panel,
        Role.GRANT_OFFICER: _grant_officer_panel,
        Role.REVIEWER: lambda u: Panel(Role.REVIEWER),
        Role.NGO_ADMIN: lambda u: _organisation_panel(u, Role.NGO_ADMIN),
        Role.NGO_MEMBER: lambda u: _organisation_panel(u, Role.NGO_MEMBER),
        Role.VOLUNTEER: lambda u: _organisation_panel(u, Role.VOLUNTEER),
    }
    return [builders[role](user) for role in builders if role in user.roles]
