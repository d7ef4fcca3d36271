"""Stored files: one row per file, the bytes live in the storage backend (portal/storage.py)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UUIDPrimaryKey, enum_type, utcnow
from portal.privacy import PrivacyDeclaration


class OwnerType(enum.StrEnum):
    """What a document belongs to; its permission check is that object's."""

    ORGANISATION = "organisation"
    USER = "user"
    CASE = "case"


class Document(UUIDPrimaryKey, Base):
    __tablename__ = "document"
    __table_args__ = (Index("ix_document_owner", "owner_type", "owner_id"),)
    __privacy__ = PrivacyDeclaration(
        activity="documents",
        purpose="Dokumenter, som organisationer og personer indsender, og kvitteringer portalen danner",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=("filnavn", "filindhold", "hvem der har uploadet"),
        subject_categories=("ansatte i organisationer", "frivillige"),
        recipients=("kriminalforsorgen",),
        retention="Følger den sag eller person, dokumentet hører til",
        columns=("original_name", "uploaded_by_id"),
    )

    owner_type: Mapped[OwnerType] = mapped_column(enum_type(OwnerType, "document_owner_type"))
    owner_id: Mapped[uuid.UUID]
    purpose: Mapped[str] = mapped_column(String(40))
    original_name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(300), default="")
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # Generated, never derived from the user's file name.
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
