"""The civil-society grant pool: rounds with their rubric and reviewers, and organisations'
applications with structured budgets.

Money is integer øre everywhere (never floats); ``portal.money`` parses and formats it. Times
are UTC instants; the round's opening and deadline are entered and shown in Europe/Copenhagen
and the server decides, to the second, whether an application is on time.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey, enum_type, utcnow
from portal.models.organisations import Organisation
from portal.privacy import PrivacyDeclaration


class RoundState(enum.StrEnum):
    """Stored states; whether a published round is open or closed for applications is decided
    by the clock (``grant_rounds.phase``)."""

    DRAFT = "draft"
    PUBLISHED = "published"
    IN_ASSESSMENT = "in_assessment"
    DECIDED = "decided"
    FINISHED = "finished"


class GrantRound(UUIDPrimaryKey, Base):
    __tablename__ = "grant_round"
    __privacy__ = PrivacyDeclaration(
        activity="grants",
        purpose="Oprettelse og administration af puljens ansøgningsrunder",
        legal_basis="GDPR art. 6, stk. 1, litra e (forvaltning af tilskudspuljen)",
        data_categories=("hvem der oprettede runden",),
        subject_categories=("ansatte i kriminalforsorgen",),
        recipients=("kriminalforsorgen",),
        retention="10 år efter rundens afslutning (regnskabs- og arkivregler); personen vises som slettet bruger, når kontoen anonymiseres",
        columns=("created_by_id",),
    )
    __table_args__ = (
        CheckConstraint("pool_ore > 0", name="pool_positive"),
        CheckConstraint(
            "max_per_application_ore > 0 AND max_per_application_ore <= pool_ore",
            name="max_within_pool",
        ),
        CheckConstraint("deadline_at > opens_at", name="deadline_after_opening"),
        CheckConstraint("voucher_share_percent BETWEEN 0 AND 100", name="voucher_share_range"),
        CheckConstraint("audit_threshold_ore >= 0", name="audit_threshold_positive"),
    )

    name_da: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description_da: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    criteria_da: Mapped[str] = mapped_column(Text, default="")
    criteria_en: Mapped[str] = mapped_column(Text, default="")
    pool_ore: Mapped[int] = mapped_column(BigInteger)
    max_per_application_ore: Mapped[int] = mapped_column(BigInteger)
    opens_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    reporting_deadline: Mapped[date]
    # Grants above this need audited accounts with the report.
    audit_threshold_ore: Mapped[int] = mapped_column(BigInteger, default=10_000_000)
    # The share of grants asked for vouchers; the seed is recorded when the sample is drawn.
    voucher_share_percent: Mapped[int] = mapped_column(default=20)
    voucher_seed: Mapped[str | None] = mapped_column(String(64))
    voucher_drawn_at: Mapped[datetime | None]
    # Attachment kinds every application must have (e.g. "budget_notes", "statutes").
    required_attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[RoundState] = mapped_column(
        enum_type(RoundState, "round_state"), default=RoundState.DRAFT
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    criteria: Mapped[list[RubricCriterion]] = relationship(
        back_populates="round",
        order_by="RubricCriterion.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    reviewers: Mapped[list[RoundReviewer]] = relationship(
        back_populates="round", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    def name_for(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_da

    def description_for(self, language: str) -> str:
        return (
            self.description_en if language == "en" and self.description_en else self.description_da
        )

    def criteria_for(self, language: str) -> str:
        return self.criteria_en if language == "en" and self.criteria_en else self.criteria_da


class RubricCriterion(UUIDPrimaryKey, Base):
    """One criterion of the round's scoring rubric, with its weight and scale (1..scale_max)."""

    __tablename__ = "rubric_criterion"
    __table_args__ = (
        UniqueConstraint("round_id", "position", name="uq_rubric_position"),
        CheckConstraint("weight BETWEEN 1 AND 100", name="weight_range"),
        CheckConstraint("scale_max BETWEEN 2 AND 10", name="scale_range"),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grant_round.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name_da: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description_da: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=5)

    round: Mapped[GrantRound] = relationship(back_populates="criteria")

    def name_for(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_da


class RoundReviewer(UUIDPrimaryKey, Base):
    """A reviewer assigned to the round (applications are assigned to them in assessment)."""

    __tablename__ = "round_reviewer"
    __table_args__ = (UniqueConstraint("round_id", "user_id", name="uq_round_reviewer"),)
    __privacy__ = PrivacyDeclaration(
        activity="grants",
        purpose="Hvilke bedømmere der er tilknyttet en ansøgningsrunde",
        legal_basis="GDPR art. 6, stk. 1, litra e (forvaltning af tilskudspuljen)",
        data_categories=("bedømmerens tilknytning til runden",),
        subject_categories=("bedømmere",),
        recipients=("kriminalforsorgen",),
        retention="10 år efter rundens afslutning (regnskabs- og arkivregler)",
        columns=("user_id",),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grant_round.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )

    round: Mapped[GrantRound] = relationship(back_populates="reviewers")


class ApplicationState(enum.StrEnum):
    """Where the application is in its life; the outcome of the decision is ``decision``.
    The moves between states are data: ``services.grant_workflow.TRANSITIONS``."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    INELIGIBLE = "ineligible"  # rejected at screening (formal requirements not met)
    IN_REVIEW = "in_review"  # passed screening; reviewers score it
    DECIDED = "decided"  # granted, partly granted or refused (``decision``)
    ACCEPTED = "accepted"  # the organisation accepted the grant and its conditions
    DECLINED = "declined"  # the organisation declined the grant
    CLOSED = "closed"  # reports approved, repayment registered, the grant is closed


class GrantDecision(enum.StrEnum):
    GRANTED = "granted"
    PARTLY_GRANTED = "partly_granted"
    REFUSED = "refused"


# Decisions that give money (what counts against the pool, unless declined).
GRANTING = frozenset({GrantDecision.GRANTED, GrantDecision.PARTLY_GRANTED})


class ProjectKind(enum.StrEnum):
    """The kind of project, for the round's distribution figures."""

    MENTOR = "mentor"  # mentorordninger og samtaler
    LEISURE = "leisure"  # fritid, kultur og idræt
    EDUCATION_WORK = "education_work"  # uddannelse og beskæftigelse
    FAMILY = "family"  # familie og netværk
    RELEASE = "release"  # løsladelse og tiden efter
    OTHER = "other"


class GrantApplication(UUIDPrimaryKey, Base):
    __tablename__ = "grant_application"
    __table_args__ = (
        Index("ix_grant_application_round_state", "round_id", "state"),
        # One application per organisation per round (start() also locks the organisation).
        UniqueConstraint("round_id", "organisation_id", name="uq_application_per_round"),
        CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
            name="period_order",
        ),
        CheckConstraint("volunteers_expected >= 0", name="volunteers_expected_positive"),
        CheckConstraint("granted_ore IS NULL OR granted_ore >= 0", name="granted_positive"),
        CheckConstraint("repayment_ore IS NULL OR repayment_ore >= 0", name="repayment_positive"),
    )
    __privacy__ = PrivacyDeclaration(
        activity="grants",
        purpose="Ansøgninger til civilsamfundspuljen og deres behandling",
        legal_basis="GDPR art. 6, stk. 1, litra e (forvaltning af tilskudspuljen)",
        data_categories=(
            "hvem der skrev, indsendte og tog imod ansøgningen",
            "hvem der behandlede og afgjorde den",
            "begrundelser for afgørelser",
        ),
        subject_categories=("ansatte i organisationer", "ansatte i kriminalforsorgen"),
        recipients=("kriminalforsorgen", "bedømmere", "organisationen"),
        retention="10 år efter tilskudssagens afslutning (regnskabs- og arkivregler)",
        columns=(
            "created_by_id",
            "updated_by_id",
            "submitted_by_id",
            "screened_by_id",
            "screening_reason",
            "decided_by_id",
            "decision_reason",
            "accepted_by_id",
            "closed_by_id",
        ),
    )

    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("grant_round.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    state: Mapped[ApplicationState] = mapped_column(
        enum_type(ApplicationState, "application_state"), default=ApplicationState.DRAFT
    )
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    target_group: Mapped[str] = mapped_column(Text, default="")
    # Institution ids (strings) the project works with.
    institution_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    volunteers_expected: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    submitted_at: Mapped[datetime | None]
    # The totals as submitted (the budget lines can be read back, these are the snapshot).
    requested_ore: Mapped[int | None] = mapped_column(BigInteger)
    total_cost_ore: Mapped[int | None] = mapped_column(BigInteger)
    # A copy of what was submitted, as JSON (what the receipt shows; survives later edits
    # of the organisation's profile).
    submitted_copy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    receipt_document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL")
    )
    project_kind: Mapped[ProjectKind] = mapped_column(
        enum_type(ProjectKind, "project_kind"), default=ProjectKind.OTHER
    )

    # Screening by the grant officer.
    screened_at: Mapped[datetime | None]
    screened_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    screening_reason: Mapped[str] = mapped_column(Text, default="")
    # The decision: granted (the amount asked), partly granted (less) or refused.
    decision: Mapped[GrantDecision | None] = mapped_column(
        enum_type(GrantDecision, "grant_decision")
    )
    granted_ore: Mapped[int | None] = mapped_column(BigInteger)
    conditions: Mapped[str] = mapped_column(Text, default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decision_letter_document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL")
    )
    # The organisation's answer to a grant.
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # After the grant: the report's due date (the round's, moved by an approved extension),
    # whether the voucher sample picked it, reminders sent, repayment and closing.
    report_due_on: Mapped[date | None]
    voucher_requested: Mapped[bool] = mapped_column(default=False)
    report_reminded_at: Mapped[datetime | None]
    report_overdue_notified_at: Mapped[datetime | None]
    repayment_ore: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(default=1)

    round: Mapped[GrantRound] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="application",
        order_by="BudgetLine.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    attachments: Mapped[list[ApplicationAttachment]] = relationship(
        back_populates="application", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}


class BudgetCategory(enum.StrEnum):
    SALARIES = "salaries"  # løn og honorarer
    VOLUNTEER_EXPENSES = "volunteer_expenses"  # frivilliges udgifter (transport, forplejning)
    ACTIVITIES = "activities"  # aktiviteter og materialer
    PREMISES = "premises"  # lokaler
    COMMUNICATION = "communication"  # kommunikation og formidling
    ADMINISTRATION = "administration"  # administration og revision
    OTHER = "other"


class BudgetLine(UUIDPrimaryKey, Base):
    """units x unit price, less the organisation's own and other co-financing, is what the
    line asks from the pool. Units may have two decimals (hours, kilometres)."""

    __tablename__ = "budget_line"
    __table_args__ = (
        UniqueConstraint("application_id", "position", name="uq_budget_line_position"),
        CheckConstraint("units >= 0", name="units_positive"),
        CheckConstraint(
            "unit_price_ore >= 0 AND own_financing_ore >= 0 AND other_financing_ore >= 0",
            name="amounts_positive",
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grant_application.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    category: Mapped[BudgetCategory] = mapped_column(enum_type(BudgetCategory, "budget_category"))
    text: Mapped[str] = mapped_column(String(300))
    units: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit_price_ore: Mapped[int] = mapped_column(BigInteger)
    own_financing_ore: Mapped[int] = mapped_column(BigInteger, default=0)
    other_financing_ore: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the grant pays for this line: set when the application is granted (the line's
    # share of the grant) and moved by approved reallocations. The report's accounts are
    # actual against this.
    approved_ore: Mapped[int | None] = mapped_column(BigInteger)

    application: Mapped[GrantApplication] = relationship(back_populates="budget_lines")


class ApplicationAttachment(UUIDPrimaryKey, Base):
    """A document (kept as the organisation's) attached to an application as a given kind."""

    __tablename__ = "application_attachment"
    __table_args__ = (
        UniqueConstraint("application_id", "document_id", name="uq_application_document"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grant_application.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))

    application: Mapped[GrantApplication] = relationship(back_populates="attachments")
