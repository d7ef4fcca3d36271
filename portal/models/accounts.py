"""People, their roles, their login sessions and their single-use e-mail tokens."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey, enum_type, utcnow
from portal.privacy import PrivacyDeclaration


class Role(enum.StrEnum):
    NGO_ADMIN = "ngo_admin"
    NGO_MEMBER = "ngo_member"
    VOLUNTEER = "volunteer"
    CASEWORKER = "caseworker"
    INSTITUTION_CONTACT = "institution_contact"
    GRANT_OFFICER = "grant_officer"
    REVIEWER = "reviewer"
    DPO = "dpo"
    ADMIN = "admin"

    @property
    def scope(self) -> str | None:
        """Which column a role is bound to: the tenant it works within."""
        return ROLE_SCOPES[self]


ROLE_SCOPES: dict[Role, str | None] = {
    Role.NGO_ADMIN: "organisation_id",
    Role.NGO_MEMBER: "organisation_id",
    Role.VOLUNTEER: "organisation_id",
    Role.CASEWORKER: "area_office_id",
    Role.INSTITUTION_CONTACT: "institution_id",
    Role.GRANT_OFFICER: None,
    Role.REVIEWER: None,
    Role.DPO: None,
    Role.ADMIN: None,
}

SCOPE_COLUMNS = ("organisation_id", "area_office_id", "institution_id")


def _scope_check() -> str:
    """SQL that ties each role to exactly the scope column it needs."""
    clauses = []
    for role, scope in ROLE_SCOPES.items():
        parts = [
            f"{col} IS NOT NULL" if col == scope else f"{col} IS NULL" for col in SCOPE_COLUMNS
        ]
        clauses.append(f"(role = '{role.value}' AND {' AND '.join(parts)})")
    return " OR ".join(clauses)


class User(UUIDPrimaryKey, UserMixin, Base):
    __tablename__ = "user_account"
    __privacy__ = PrivacyDeclaration(
        activity="accounts",
        purpose="Log-in og adgangsstyring for portalens brugere",
        legal_basis="GDPR art. 6, stk. 1, litra e (myndighedsudøvelse) og litra b (aftale)",
        data_categories=("navn", "e-mail", "adgangskode (hash)", "sprogvalg", "log-in-tidspunkter"),
        subject_categories=(
            "ansatte i kriminalforsorgen",
            "ansatte i organisationer",
            "frivillige",
        ),
        recipients=("kriminalforsorgen",),
        retention="Anonymiseres 12 måneder efter at kontoen er deaktiveret; en frivilligs konto følger den frivillige",
        columns=("email", "name", "password_hash", "language", "last_login_at"),
    )

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str] = mapped_column(String(5), default="da")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    deactivated_at: Mapped[datetime | None]

    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user",
        foreign_keys="RoleAssignment.user_id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def is_active(self) -> bool:  # flask-login asks this
        return self.active

    @property
    def roles(self) -> set[Role]:
        return {assignment.role for assignment in self.role_assignments}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def scopes(self, role: Role) -> set[uuid.UUID]:
        """The tenant ids this user holds ``role`` in (area offices, organisations, institutions)."""
        column = role.scope
        if column is None:
            return set()
        return {getattr(a, column) for a in self.role_assignments if a.role == role}


class RoleAssignment(UUIDPrimaryKey, Base):
    __tablename__ = "role_assignment"
    __table_args__ = (
        CheckConstraint(_scope_check(), name="scope_matches_role"),
        Index("ix_role_assignment_user_role", "user_id", "role"),
    )
    __privacy__ = PrivacyDeclaration(
        activity="accounts",
        purpose="Hvem der har hvilke roller og for hvilken organisation, område eller institution",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=("rolle", "tilknytning", "hvem der tildelte rollen"),
        subject_categories=("portalens brugere",),
        recipients=("kriminalforsorgen",),
        retention="Slettes sammen med kontoen",
        columns=("user_id", "role", "granted_by_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    area_office_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("area_office.id"), index=True
    )
    institution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("institution.id"), index=True
    )
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(back_populates="role_assignments", foreign_keys=[user_id])


class LoginSession(UUIDPrimaryKey, Base):
    """A server-side record of a login, so a session can be revoked and replay refused."""

    __tablename__ = "login_session"
    __privacy__ = PrivacyDeclaration(
        activity="security",
        purpose="Sikker log-in: udløb og tilbagekaldelse af sessioner",
        legal_basis="GDPR art. 6, stk. 1, litra e, og art. 32 (sikkerhed)",
        data_categories=("IP-adresse", "browser", "tidspunkter"),
        subject_categories=("portalens brugere",),
        recipients=("kriminalforsorgen",),
        retention="Slettes 30 dage efter sessionen er udløbet",
        columns=("user_id", "ip_address", "user_agent", "created_at", "last_seen_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[str] = mapped_column(String(20), default="password")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    user: Mapped[User] = relationship(lazy="joined")


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - an enum value, not a secret


class AccountToken(UUIDPrimaryKey, Base):
    """A single-use, expiring link sent by e-mail. Only the SHA-256 of the token is stored."""

    __tablename__ = "account_token"
    __table_args__ = (
        CheckConstraint("purpose != 'invitation' OR role IS NOT NULL", name="invitation_has_role"),
        CheckConstraint(
            "purpose != 'password_reset' OR user_id IS NOT NULL", name="reset_has_user"
        ),
    )
    __privacy__ = PrivacyDeclaration(
        activity="accounts",
        purpose="Invitationer og nulstilling af adgangskode",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=("e-mail", "navn", "hvem der inviterede"),
        subject_categories=("inviterede personer", "portalens brugere"),
        recipients=("kriminalforsorgen",),
        retention="Slettes 30 dage efter udløb eller brug",
        columns=("email", "name", "user_id", "created_by_id"),
    )

    purpose: Mapped[TokenPurpose] = mapped_column(enum_type(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role | None] = mapped_column(enum_type(Role, "invited_role"))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id"))
    area_office_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("area_office.id"))
    institution_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institution.id"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at
