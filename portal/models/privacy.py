"""The data protection officer's own records: the fields of the record of processing that the
code cannot know, data-subject requests with their history, the counts kept when the
retention job deletes, and the audit log's checkpoints after old entries are pruned."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey, enum_type, utcnow
from portal.privacy import PrivacyDeclaration


class ProcessingRecordSettings(Base):
    """The one row of the DPO's fields of the Art. 30 record (controller, DPO contact,
    security measures, transfers, last review)."""

    __tablename__ = "processing_record_settings"
    __privacy__ = PrivacyDeclaration(
        activity="privacy",
        purpose="Fortegnelsen over behandlingsaktiviteter (art. 30): kontaktoplysninger på databeskyttelsesrådgiveren, og hvem der sidst ændrede dem",
        legal_basis="GDPR art. 6, stk. 1, litra c (art. 30 og art. 37, stk. 7)",
        data_categories=("navn", "e-mail", "telefon", "hvem der sidst ændrede oplysningerne"),
        subject_categories=("databeskyttelsesrådgiver", "ansatte i kriminalforsorgen"),
        recipients=("kriminalforsorgen", "Datatilsynet (på anmodning)"),
        retention="Så længe personen er databeskyttelsesrådgiver; overskrives, når oplysningerne ændres",
        columns=("dpo_name", "dpo_email", "dpo_phone", "updated_by_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    controller_name: Mapped[str] = mapped_column(String(200), default="Kriminalforsorgen")
    controller_address: Mapped[str] = mapped_column(Text, default="")
    controller_contact: Mapped[str] = mapped_column(Text, default="")
    dpo_name: Mapped[str] = mapped_column(String(200), default="")
    dpo_email: Mapped[str] = mapped_column(String(254), default="")
    dpo_phone: Mapped[str] = mapped_column(String(40), default="")
    security_measures: Mapped[str] = mapped_column(Text, default="")
    transfers: Mapped[str] = mapped_column(Text, default="")
    last_reviewed_on: Mapped[date | None]
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: dict[str, Any] = {"version_id_col": version}


class SubjectRequestKind(enum.StrEnum):
    ACCESS = "access"  # art. 15
    RECTIFICATION = "rectification"  # art. 16
    ERASURE = "erasure"  # art. 17


class SubjectRequestState(enum.StrEnum):
    RECEIVED = "received"
    IDENTITY_CHECKED = "identity_checked"
    IN_PROGRESS = "in_progress"
    EXTENDED = "extended"  # the deadline moved, with notice to the person
    ANSWERED = "answered"
    REFUSED = "refused"  # with a reason


OPEN_SUBJECT_REQUEST_STATES = frozenset(
    {
        SubjectRequestState.RECEIVED,
        SubjectRequestState.IDENTITY_CHECKED,
        SubjectRequestState.IN_PROGRESS,
        SubjectRequestState.EXTENDED,
    }
)


class SubjectRequestChannel(enum.StrEnum):
    PORTAL = "portal"  # the person asked from their own page
    LETTER = "letter"  # registered by the DPO
    EMAIL = "email"  # registered by the DPO


_REQUEST_PRIVACY = PrivacyDeclaration(
    activity="privacy",
    purpose="Behandling af registreredes anmodninger om indsigt, berigtigelse og sletning",
    legal_basis="GDPR art. 6, stk. 1, litra c (art. 12-17)",
    data_categories=(
        "navn",
        "e-mail",
        "anmodningens indhold",
        "identitetskontrol",
        "svar og begrundelser",
        "hvem der registrerede og behandlede anmodningen",
    ),
    subject_categories=(
        "portalens brugere",
        "frivillige",
        "andre, der skriver til os",
        "ansatte i kriminalforsorgen",
    ),
    recipients=("kriminalforsorgen", "databeskyttelsesrådgiver", "den registrerede selv"),
    retention="3 år efter at anmodningen er besvaret eller afvist",
    columns=(
        "subject_user_id",
        "subject_name",
        "subject_email",
        "description",
        "extension_reason",
        "identity_checked_by_id",
        "identity_note",
        "answer_text",
        "refusal_reason",
        "created_by_id",
    ),
)


class DataSubjectRequest(UUIDPrimaryKey, Base):
    """A person's request for access to, rectification or erasure of their data."""

    __tablename__ = "data_subject_request"
    __privacy__ = _REQUEST_PRIVACY

    kind: Mapped[SubjectRequestKind] = mapped_column(
        enum_type(SubjectRequestKind, "subject_request_kind")
    )
    state: Mapped[SubjectRequestState] = mapped_column(
        enum_type(SubjectRequestState, "subject_request_state"),
        default=SubjectRequestState.RECEIVED,
        index=True,
    )
    channel: Mapped[SubjectRequestChannel] = mapped_column(
        enum_type(SubjectRequestChannel, "subject_request_channel"),
        default=SubjectRequestChannel.PORTAL,
    )
    # The person the request is about: their account when they have one (set for requests
    # made in the portal; the DPO links a letter to an account once the identity is checked).
    subject_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    subject_name: Mapped[str] = mapped_column(String(200), default="")
    subject_email: Mapped[str] = mapped_column(String(254), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # One month from receipt (art. 12, stk. 3); an extension moves it by up to two months,
    # with notice given within the first month.
    due_on: Mapped[date]
    original_due_on: Mapped[date]
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    extension_notified_at: Mapped[datetime | None]
    identity_checked_at: Mapped[datetime | None]
    identity_checked_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    identity_note: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    answer_text: Mapped[str] = mapped_column(Text, default="")
    refusal_reason: Mapped[str] = mapped_column(Text, default="")
    # The access export (a ZIP kept as the person's document).
    export_document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(default=1)

    events: Mapped[list[DataSubjectRequestEvent]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        order_by="DataSubjectRequestEvent.created_at",
        lazy="selectin",
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}


class DataSubjectRequestEvent(UUIDPrimaryKey, Base):
    """One step in a data-subject request's handling, or a note."""

    __tablename__ = "data_subject_request_event"
    __privacy__ = PrivacyDeclaration(
        activity="privacy",
        purpose="Historik i behandlingen af registreredes anmodninger",
        legal_basis=_REQUEST_PRIVACY.legal_basis,
        data_categories=("hvem der handlede", "noter og begrundelser"),
        subject_categories=("den registrerede", "ansatte i kriminalforsorgen"),
        recipients=("kriminalforsorgen", "databeskyttelsesrådgiver"),
        retention="Som anmodningen",
        columns=("actor_id", "text"),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_subject_request.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(20), default="")
    to_state: Mapped[str] = mapped_column(String(20), default="")
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[DataSubjectRequest] = relationship(back_populates="events")


class RetentionTally(UUIDPrimaryKey, Base):
    """How many rows a retention rule removed, per year the rows belonged to, so that
    statistics survive the deletion. Holds no personal data."""

    __tablename__ = "retention_tally"
    __table_args__ = (UniqueConstraint("rule", "year", name="uq_retention_tally_rule_year"),)

    rule: Mapped[str] = mapped_column(String(60))
    year: Mapped[int]
    count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditCheckpoint(UUIDPrimaryKey, Base):
    """Where the audit chain starts after the retention job pruned entries older than the
    log's retention: the first kept entry's ``prev_hash`` becomes the anchor the verification
    starts from, and the count and range pruned are recorded."""

    __tablename__ = "audit_checkpoint"

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_kept_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    anchor_hash: Mapped[str] = mapped_column(String(64))
    pruned_count: Mapped[int]
    pruned_before: Mapped[datetime]
