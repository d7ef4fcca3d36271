"""After a grant: payments (possibly in instalments), change requests, and reports with
accounts per budget line."""

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
    Numeric,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey, enum_type, utcnow
from portal.privacy import PrivacyDeclaration

_FOLLOWUP_RETENTION = "10 år efter tilskudssagens afslutning (regnskabs- og arkivregler)"


class GrantPayment(UUIDPrimaryKey, Base):
    """Money paid out against a grant. An instalment may require an approved interim report
    before it can be recorded."""

    __tablename__ = "grant_payment"
    __table_args__ = (
        UniqueConstraint("application_id", "instalment", name="uq_payment_instalment"),
        CheckConstraint("amount_ore > 0", name="payment_positive"),
    )
    __privacy__ = PrivacyDeclaration(
        activity="grants",
        purpose="Udbetalinger af tilskud",
        legal_basis="GDPR art. 6, stk. 1, litra c og e (bogføringsloven, tilskudsforvaltning)",
        data_categories=("hvem der registrerede udbetalingen", "bemærkning til organisationen"),
        subject_categories=("ansatte i kriminalforsorgen",),
        recipients=("kriminalforsorgen", "organisationen"),
        retention=_FOLLOWUP_RETENTION,
        columns=("recorded_by_id", "note"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grant_application.id", ondelete="CASCADE"), index=True
    )
    instalment: Mapped[int]
    amount_ore: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date]
    requires_interim_report: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChangeKind(enum.StrEnum):
    REALLOCATION = "reallocation"  # move approved money between budget lines
    EXTENSION = "extension"  # a later end of the period (and of the report's due date)
    ACTIVITY = "activity"  # a change of the activity itself


class RequestState(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class GrantChangeRequest(UUIDPrimaryKey, Base):
    """An organisation's request to change its grant, decided by a grant officer."""

    __tablename__ = "grant_change_request"
    __privacy__ = PrivacyDeclaration(
        activity="grants",
        purpose="Anmodninger om ændring af et tilskud og afgørelsen af dem",
        legal_basis="GDPR art. 6, stk. 1, litra e (forvaltning af tilskudspuljen)",
        data_categories=("hvem der bad om og afgjorde ændringen", "begrundelser"),
        subject_categories=("ansatte i organisationer", "ansatte i kriminalforsorgen"),
        recipients=("kriminalforsorgen", "organisationen"),
        retention=_FOLLOWUP_RETENTION,
        columns=("requested_by_id", "decided_by_id", "text", "decision_reason"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grant_application.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ChangeKind] = mapped_column(enum_type(ChangeKind, "change_kind"))
    state: Mapped[RequestState] = mapped_column(
        enum_type(RequestState, "change_request_state"), default=RequestState.SUBMITTED
    )
    text: Mapped[str] = mapped_column(Text, default="")
    new_period_end: Mapped[date | None]
    # For a reallocation: {budget line id: new approved øre}; the sum must stay the same.
    reallocation: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}


class ReportKind(enum.StrEnum):
    INTERIM = "interim"
    FINAL = "final"


class ReportState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    MORE_REQUESTED = "more_requested"  # the officer asked for more; the organisation edits
    APPROVED = "approved"


class GrantReport(UUIDPrimaryKey, Base):
    """A narrative report with accounts per budget line and the volunteers' hours."""

    __tablename__ = "grant_report"
    __table_args__ = (CheckConstraint("volunteer_hours >= 0", name="volunteer_hours_positive"),)
    __privacy__ = PrivacyDeclaration(
        activity="grants",
        purpose="Afrapportering og regnskab for tilskud",
        legal_basis="GDPR art. 6, stk. 1, litra c og e (bogføringsloven, tilskudsforvaltning)",
        data_categories=("hvem der skrev, indsendte og godkendte rapporten", "beskeder"),
        subject_categories=("ansatte i organisationer", "ansatte i kriminalforsorgen"),
        recipients=("kriminalforsorgen", "organisationen"),
        retention=_FOLLOWUP_RETENTION,
        columns=("submitted_by_id", "decided_by_id", "decision_text"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grant_application.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ReportKind] = mapped_column(enum_type(ReportKind, "report_kind"))
    state: Mapped[ReportState] = mapped_column(
        enum_type(ReportState, "report_state"), default=ReportState.DRAFT
    )
    narrative: Mapped[str] = mapped_column(Text, default="")
    volunteer_hours: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal(0))
    audited_accounts_document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL")
    )
    vouchers_document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decision_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)

    lines: Mapped[list[ReportLine]] = relationship(
        back_populates="report", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}


class ReportLine(UUIDPrimaryKey, Base):
    """Actual spending of the grant on one budget line, with an explanation where it differs
    much from the approved amount."""

    __tablename__ = "grant_report_line"
    __table_args__ = (
        UniqueConstraint("report_id", "budget_line_id", name="uq_report_line"),
        CheckConstraint("actual_ore >= 0", name="actual_positive"),
    )

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grant_report.id", ondelete="CASCADE"), index=True
    )
    budget_line_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("budget_line.id", ondelete="CASCADE")
    )
    actual_ore: Mapped[int] = mapped_column(BigInteger, default=0)
    explanation: Mapped[str] = mapped_column(Text, default="")

    report: Mapped[GrantReport] = relationship(back_populates="lines")
