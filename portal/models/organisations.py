"""Organisations (NGOs), their case history, and the terms they accept."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey, enum_type, utcnow
from portal.models.reference import AreaOffice, Institution, Municipality
from portal.privacy import PrivacyDeclaration


class OrganisationState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    MORE_INFORMATION = "more_information"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


# States in which a CVR number is taken: another organisation cannot register it.
ACTIVE_STATES = (
    OrganisationState.SUBMITTED,
    OrganisationState.IN_REVIEW,
    OrganisationState.MORE_INFORMATION,
    OrganisationState.APPROVED,
    OrganisationState.SUSPENDED,
)


_ACTIVE_SQL = "state IN (" + ", ".join(f"'{s.value}'" for s in ACTIVE_STATES) + ")"


class OrganisationScope(enum.StrEnum):
    LOCAL = "local"
    NATIONAL = "national"


class EffortKind(enum.StrEnum):
    """Kinds of effort, used by the directory now and by activities later."""

    VISITING_FRIEND = "visiting_friend"
    MENTOR = "mentor"
    TEACHING = "teaching"
    LEISURE = "leisure"
    NETWORK = "network"
    DEBT_COUNSELLING = "debt_counselling"
    RELATIVES = "relatives"
    OTHER = "other"


organisation_institution = Table(
    "organisation_institution",
    Base.metadata,
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
    Column("institution_id", ForeignKey("institution.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(UUIDPrimaryKey, Base):
    __tablename__ = "organisation"
    __table_args__ = (
        # The database itself refuses a second active organisation with the same CVR number.
        Index(
            "uq_organisation_active_cvr",
            "cvr",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
    )
    __privacy__ = PrivacyDeclaration(
        activity="onboarding",
        purpose="Godkendelse af og samarbejde med civilsamfundsorganisationer",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=(
            "kontaktoplysninger",
            "begrundelser for afgørelser",
            "hvem der oprettede og behandlede sagen",
        ),
        subject_categories=("kontaktpersoner i organisationer", "sagsbehandlere"),
        recipients=(
            "kriminalforsorgen",
            "offentligheden (kun organisationens egne katalogoplysninger)",
        ),
        retention="Afviste organisationer slettes 12 måneder efter afgørelsen; godkendte så længe samarbejdet varer",
        columns=(
            "directory_email",
            "directory_phone",
            "decision_reason",
            "suspension_reason",
            "created_by_id",
            "handled_by_id",
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    cvr: Mapped[str] = mapped_column(String(8), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(4), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipality.id"))
    area_office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("area_office.id"), index=True)
    scope: Mapped[OrganisationScope] = mapped_column(
        enum_type(OrganisationScope, "organisation_scope"), default=OrganisationScope.LOCAL
    )
    purpose: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    cooperation_intent: Mapped[str] = mapped_column(Text, default="")

    state: Mapped[OrganisationState] = mapped_column(
        enum_type(OrganisationState, "organisation_state"),
        default=OrganisationState.DRAFT,
        index=True,
    )
    # Optimistic locking: a write based on an old version fails instead of overwriting.
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    handled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    suspension_reason: Mapped[str] = mapped_column(Text, default="")
    # A change of name or CVR after approval waits for the caseworker.
    pending_name: Mapped[str] = mapped_column(String(200), default="")
    pending_cvr: Mapped[str] = mapped_column(String(8), default="")

    # The public directory entry (only shown when listed and approved).
    directory_listed: Mapped[bool] = mapped_column(default=False)
    directory_summary: Mapped[str] = mapped_column(Text, default="")
    directory_how_to_volunteer: Mapped[str] = mapped_column(Text, default="")
    directory_email: Mapped[str] = mapped_column(String(254), default="")
    directory_phone: Mapped[str] = mapped_column(String(40), default="")
    effort_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)

    municipality: Mapped[Municipality] = relationship(lazy="joined")
    area_office: Mapped[AreaOffice] = relationship(lazy="joined")
    institutions: Mapped[list[Institution]] = relationship(
        secondary=organisation_institution, lazy="selectin"
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}


class EventKind(enum.StrEnum):
    TRANSITION = "transition"
    MESSAGE = "message"
    ANSWER = "answer"
    PROFILE_CHANGE = "profile_change"


class OrganisationEvent(UUIDPrimaryKey, Base):
    """The case history: every transition and message, in order, with who and when."""

    __tablename__ = "organisation_event"
    __privacy__ = PrivacyDeclaration(
        activity="onboarding",
        purpose="Sagens historik og beskeder mellem organisation og områdekontor",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=("beskeder", "hvem der handlede"),
        subject_categories=("kontaktpersoner i organisationer", "sagsbehandlere"),
        recipients=("kriminalforsorgen", "organisationen selv"),
        retention="Som organisationen",
        columns=("text", "actor_id"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, "organisation_event_kind"))
    action: Mapped[str] = mapped_column(String(40), default="")
    from_state: Mapped[str] = mapped_column(String(40), default="")
    to_state: Mapped[str] = mapped_column(String(40), default="")
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TermsKind(enum.StrEnum):
    COOPERATION = "cooperation"
    DATA_PROCESSING = "data_processing"


class TermsVersion(UUIDPrimaryKey, Base):
    """A published version of the cooperation terms or the data-processing agreement."""

    __tablename__ = "terms_version"
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_terms_version_kind_version"),)

    kind: Mapped[TermsKind] = mapped_column(enum_type(TermsKind, "terms_kind"))
    version: Mapped[str] = mapped_column(String(20))
    title_da: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    text_da: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class TermsAcceptance(UUIDPrimaryKey, Base):
    """Which version of which terms an organisation accepted, by whom and when."""

    __tablename__ = "terms_acceptance"
    __privacy__ = PrivacyDeclaration(
        activity="onboarding",
        purpose="Dokumentation for accept af samarbejdsvilkår og databehandleraftale",
        legal_basis="GDPR art. 6, stk. 1, litra c og e",
        data_categories=("hvem der accepterede", "tidspunkt", "IP-adresse"),
        subject_categories=("kontaktpersoner i organisationer",),
        recipients=("kriminalforsorgen",),
        retention="Så længe samarbejdet varer og 5 år derefter",
        columns=("accepted_by_id", "ip_address"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    terms_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("terms_version.id"))
    accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip_address: Mapped[str] = mapped_column(String(45), default="")

    terms_version: Mapped[TermsVersion] = relationship(lazy="joined")
