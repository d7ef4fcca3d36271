"""The append-only, hash-chained audit log (see portal/audit.py for writing and verifying)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base
from portal.privacy import PrivacyDeclaration


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __privacy__ = PrivacyDeclaration(
        activity="audit",
        purpose="Sporbarhed: hvem gjorde hvad hvornår, og hvem læste følsomme oplysninger",
        legal_basis="GDPR art. 6, stk. 1, litra c og e, og art. 32 (sikkerhed)",
        data_categories=("bruger", "handling", "IP-adresse", "browser", "tidspunkt"),
        subject_categories=("portalens brugere",),
        recipients=("kriminalforsorgen", "databeskyttelsesrådgiver"),
        retention="Opbevares i 5 år",
        columns=("actor_id", "actor_label", "ip_address", "user_agent"),
    )

    # BigInteger on PostgreSQL, INTEGER (the rowid) on SQLite
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    occurred_at: Mapped[datetime]
    actor_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(60), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Unique: two rows can never chain onto the same predecessor, so the chain cannot fork.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
