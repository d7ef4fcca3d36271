"""Identities proven through an OpenID Connect provider, linked by (issuer, sub)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UUIDPrimaryKey, utcnow
from portal.privacy import PrivacyDeclaration


class ExternalIdentity(UUIDPrimaryKey, Base):
    """A person as a provider knows them. Never matched on name or e-mail, only (issuer, sub).

    ``user_id`` is empty for a citizen identity that is not (yet) a portal account, such as a
    volunteer proving who they are before signing declarations.
    """

    __tablename__ = "external_identity"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_external_identity_issuer_subject"),
    )
    __privacy__ = PrivacyDeclaration(
        activity="accounts",
        purpose="Log-in og identifikation gennem en OpenID Connect-udbyder (fx MitID-broker)",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=("udbyderens vedvarende id (sub)", "navn", "e-mail", "sikringsniveau"),
        subject_categories=(
            "ansatte i kriminalforsorgen",
            "ansatte i organisationer",
            "frivillige",
        ),
        recipients=("kriminalforsorgen",),
        retention="Slettes sammen med kontoen eller den frivilliges sag",
        columns=("user_id", "subject", "name", "email", "assurance_level"),
    )

    provider: Mapped[str] = mapped_column(String(60))
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    assurance_level: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
