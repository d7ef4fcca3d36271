"""Assessing grant applications: the application's history (screening, decision, the
organisation's answer, messages), reviewers assigned to applications with their declared
conflicts of interest, and their scores per rubric criterion."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey, utcnow
from portal.privacy import PrivacyDeclaration


class GrantApplicationEvent(UUIDPrimaryKey, Base):
    """One step in an application's life after it was sent, or a message between the
    organisation and the grant officers."""

    __tablename__ = "grant_application_event"
    __privacy__ = PrivacyDeclaration(
        activity="grants",
        purpose="Historik og beskeder i behandlingen af en tilskudsansøgning",
        legal_basis="GDPR art. 6, stk. 1, litra e (forvaltning af tilskudspuljen)",
        data_categories=("hvem der handlede", "begrundelser og beskeder"),
        subject_categories=("ansatte i organisationer", "ansatte i kriminalforsorgen"),
        recipients=("kriminalforsorgen", "organisationen"),
        retention="10 år efter tilskudssagens afslutning (regnskabs- og arkivregler)",
        columns=("actor_id", "text"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grant_application.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(20), default="")
    to_state: Mapped[str] = mapped_column(String(20), default="")
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewAssignment(UUIDPrimaryKey, Base):
    """An application given to one of the round's reviewers. A declared conflict of interest
    closes the application to that reviewer for good (the scores, if any, are kept but no
    longer count)."""

    __tablename__ = "review_assignment"
    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id", name="uq_review_assignment"),
    )
    __privacy__ = PrivacyDeclaration(
        activity="grants",
        purpose="Fordeling af ansøgninger til bedømmere og erklærede interessekonflikter",
        legal_basis="GDPR art. 6, stk. 1, litra e; forvaltningsloven §§ 3-6 (inhabilitet)",
        data_categories=("hvem der bedømmer", "erklæret inhabilitet og begrundelse"),
        subject_categories=("bedømmere", "ansatte i kriminalforsorgen"),
        recipients=("kriminalforsorgen",),
        retention="10 år efter tilskudssagens afslutning (regnskabs- og arkivregler)",
        columns=("reviewer_id", "assigned_by_id", "conflict_reason"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("grant_application.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    assigned_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    conflict_declared_at: Mapped[datetime | None]
    conflict_reason: Mapped[str] = mapped_column(Text, default="")
    # Set when the reviewer marks the scores as done (they can still correct them until the
    # application is decided).
    completed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    scores: Mapped[list[ReviewScore]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}


class ReviewScore(UUIDPrimaryKey, Base):
    """A reviewer's score on one rubric criterion (1..the criterion's scale), with a comment."""

    __tablename__ = "review_score"
    __table_args__ = (
        UniqueConstraint("assignment_id", "criterion_id", name="uq_review_score"),
        CheckConstraint("score >= 1 AND score <= 10", name="score_range"),
    )
    __privacy__ = PrivacyDeclaration(
        activity="grants",
        purpose="Bedømmernes point og bemærkninger til ansøgninger",
        legal_basis="GDPR art. 6, stk. 1, litra e (forvaltning af tilskudspuljen)",
        data_categories=("bedømmerens vurdering",),
        subject_categories=("bedømmere",),
        recipients=("kriminalforsorgen",),
        retention="10 år efter tilskudssagens afslutning (regnskabs- og arkivregler)",
        columns=("comment",),
    )

    assignment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("review_assignment.id", ondelete="CASCADE"), index=True
    )
    criterion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rubric_criterion.id", ondelete="CASCADE")
    )
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    assignment: Mapped[ReviewAssignment] = relationship(back_populates="scores")
