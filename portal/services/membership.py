"""An organisation's people: members and admins, invitations; always at least one admin."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal import audit, db
from portal.models import (
    AccountToken,
    Organisation,
    OrganisationState,
    Role,
    RoleAssignment,
    TokenPurpose,
    User,
)
from portal.services import accounts, workflow
from portal.services.onboarding import ensure_not_suspended
from portal.services.workflow import WorkflowError

# --- members --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    user: User
    role: Role


def members(organisation: Organisation) -> list[Member]:
    rows = db.session.execute(
        select(User, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.organisation_id == organisation.id,
            RoleAssignment.role.in_((Role.NGO_ADMIN, Role.NGO_MEMBER)),
        )
        .order_by(User.name)
    ).all()
    by_user: dict[uuid.UUID, Member] = {}
    for user, role in rows:
        # Someone both admin and member counts as admin.
        if user.id not in by_user or role == Role.NGO_ADMIN:
            by_user[user.id] = Member(user, role)
    return sorted(by_user.values(), key=lambda m: (m.role != Role.NGO_ADMIN, m.user.name.lower()))


def _admin_count(organisation: Organisation) -> int:
    """Active admins, counted under a row lock on the organisation (PostgreSQL), so two admins
    demoting each other at once cannot leave it without one."""
    db.session.execute(
        select(Organisation.id).where(Organisation.id == organisation.id).with_for_update()
    )
    return (
        db.session.scalar(
            select(func.count(func.distinct(RoleAssignment.user_id)))
            .join(User, User.id == RoleAssignment.user_id)
            .where(
                RoleAssignment.organisation_id == organisation.id,
                RoleAssignment.role == Role.NGO_ADMIN,
                User.active,
            )
        )
        or 0
    )


def require_admin(organisation: Organisation, user: User) -> None:
    if not workflow.actor_decision(user, organisation, workflow.Actor.ORGANISATION_ADMIN):
        raise WorkflowError(_l("Kun organisationens administrator kan gøre det."))


def _assignments(organisation: Organisation, user: User) -> list[RoleAssignment]:
    return [
        a
        for a in user.role_assignments
        if a.organisation_id == organisation.id and a.role in (Role.NGO_ADMIN, Role.NGO_MEMBER)
    ]


def invite_colleague(
    organisation: Organisation, inviter: User, email: str, name: str, role: Role
) -> Any:
    """Invite someone to the organisation as admin or member (single-use, expiring link)."""
    require_admin(organisation, inviter)
    ensure_not_suspended(organisation)
    if organisation.state != OrganisationState.APPROVED:
        raise WorkflowError(_l("I kan invitere kolleger, når organisationen er godkendt."))
    if role not in (Role.NGO_ADMIN, Role.NGO_MEMBER):
        raise WorkflowError(_l("Vælg administrator eller medarbejder."))
    existing = accounts.find_user_by_email(email)
    if existing is not None and _assignments(organisation, existing):
        raise WorkflowError(_l("%(email)s er allerede med i organisationen.", email=email))
    # A new invitation replaces an earlier one to the same address, so only one link works.
    for earlier in db.session.scalars(
        select(AccountToken).where(
            AccountToken.purpose == TokenPurpose.INVITATION,
            AccountToken.organisation_id == organisation.id,
            AccountToken.email == accounts.normalise_email(email),
            AccountToken.used_at.is_(None),
            AccountToken.revoked_at.is_(None),
        )
    ):
        accounts.revoke_invitation(earlier)
    return accounts.invite(email, name, role, invited_by=inviter, organisation_id=organisation.id)


def set_member_role(organisation: Organisation, actor: User, member: User, role: Role) -> None:
    """Make a member admin or member; the organisation always keeps at least one admin."""
    require_admin(organisation, actor)
    current = _assignments(organisation, member)
    if not current:
        raise WorkflowError(_l("Personen er ikke med i organisationen."))
    is_admin = any(a.role == Role.NGO_ADMIN for a in current)
    if role == Role.NGO_MEMBER and is_admin and _admin_count(organisation) <= 1:
        raise WorkflowError(
            _l(
                "Organisationen skal altid have mindst én administrator. Gør en anden til administrator først."
            )
        )
    for assignment in current:
        if assignment.role != role:
            accounts.revoke_role(member, assignment)
    accounts.grant_role(member, role, organisation_id=organisation.id, granted_by=actor)


def remove_member(organisation: Organisation, actor: User, member: User) -> None:
    """Take a person out of the organisation (their account stays, for their other roles)."""
    require_admin(organisation, actor)
    current = _assignments(organisation, member)
    if not current:
        raise WorkflowError(_l("Personen er ikke med i organisationen."))
    if any(a.role == Role.NGO_ADMIN for a in current) and _admin_count(organisation) <= 1:
        raise WorkflowError(
            _l(
                "Organisationen skal altid have mindst én administrator. Gør en anden til administrator først."
            )
        )
    for assignment in current:
        accounts.revoke_role(member, assignment)
    audit.record(
        "organisation.member_removed",
        object_type="organisation",
        object_id=organisation.id,
        details={"user": str(member.id)},
    )
