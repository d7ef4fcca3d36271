"""Declaration texts in versions, and the signatures volunteers give them, with evidence.

A version is never edited once published: a new text is a new version, and a signature of an
earlier version of the same kind becomes outdated (the volunteer signs again).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey, enum_type, utcnow
from portal.privacy import PrivacyDeclaration


class DeclarationKind(enum.StrEnum):
    """The declarations a volunteer signs before entering an institution (DOMAIN.md)."""

    REGISTER_CONSENT = "register_consent"
    CONFIDENTIALITY = "confidentiality"
    SECURITY_RULES = "security_rules"
    VISITING_FRIEND = "visiting_friend"


# Signing order; the visiting-friend undertakings only for volunteers who are visiting friends.
DECLARATION_ORDER = (
    DeclarationKind.REGISTER_CONSENT,
    DeclarationKind.CONFIDENTIALITY,
    DeclarationKind.SECURITY_RULES,
    DeclarationKind.VISITING_FRIEND,
)


class DeclarationVersion(UUIDPrimaryKey, Base):
    """One published text of one declaration, in Danish and English.

    The texts may hold placeholders filled in for each volunteer when shown
    (``{navn}``, ``{organisation}``, ``{omraadekontor}``, ``{institutioner}``, ``{gyldighed}``);
    what the volunteer saw, filled in, is what the signature keeps and hashes.
    """

    __tablename__ = "declaration_version"
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_declaration_version_kind"),)
    __privacy__ = PrivacyDeclaration(
        activity="volunteers",
        purpose="Dokumentation for, hvem der udgav hver version af erklæringernes tekst",
        legal_basis="GDPR art. 6, stk. 1, litra c og e",
        data_categories=("hvem der udgav teksten", "tidspunkt"),
        subject_categories=("ansatte i kriminalforsorgen",),
        recipients=("kriminalforsorgen",),
        retention="Så længe en underskrift af versionen opbevares; personen vises som slettet bruger, når kontoen anonymiseres",
        columns=("published_by_id", "published_at"),
    )

    kind: Mapped[DeclarationKind] = mapped_column(enum_type(DeclarationKind, "declaration_kind"))
    version: Mapped[int]
    title_da: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    text_da: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    change_note: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    def title_for(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_da

    def text_for(self, language: str) -> str:
        return self.text_en if language == "en" else self.text_da


class IdentityMethod(enum.StrEnum):
    """How the person signing proved who they are."""

    OIDC = "oidc"  # an OpenID Connect provider (e.g. a MitID broker): sub and assurance level
    LINK_BIRTH_DATE = "link_birth_date"  # the e-mailed link plus the date of birth
    LOGIN_BIRTH_DATE = "login_birth_date"  # logged in to their account plus the date of birth


class Signature(UUIDPrimaryKey, Base):
    """A volunteer's signature of one declaration version, with everything that proves it."""

    __tablename__ = "signature"
    __privacy__ = PrivacyDeclaration(
        activity="volunteers",
        purpose="Bevis for at den frivillige har underskrevet erklæringerne før adgang til institutioner",
        legal_basis="GDPR art. 6, stk. 1, litra c og e; samtykke til træk i Kriminalregistret efter kriminalregisterbekendtgørelsen § 21",
        data_categories=(
            "navn",
            "underskrevet tekst",
            "identitetsbevis (udbyder, id, sikringsniveau)",
            "tidspunkt",
            "IP-adresse",
            "browser",
        ),
        subject_categories=("frivillige",),
        recipients=("kriminalforsorgen", "den frivillige selv"),
        retention="Så længe adgangen varer og 5 år derefter",
        columns=(
            "volunteer_id",
            "text_shown",
            "identity_subject",
            "identity_assurance",
            "signed_at",
            "ip_address",
            "user_agent",
        ),
    )

    volunteer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("volunteer.id", ondelete="CASCADE"), index=True
    )
    declaration_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("declaration_version.id"))
    # What was shown, exactly, and its SHA-256 (hex).
    language: Mapped[str] = mapped_column(String(5))
    text_shown: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    # Who: the identity proof.
    identity_method: Mapped[IdentityMethod] = mapped_column(
        enum_type(IdentityMethod, "identity_method")
    )
    identity_provider: Mapped[str] = mapped_column(String(100), default="")
    identity_subject: Mapped[str] = mapped_column(String(255), default="")
    identity_assurance: Mapped[str] = mapped_column(String(100), default="")
    # The explicit act, when, from where.
    act: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    # HMAC-SHA256 (keyed by PORTAL_EVIDENCE_KEY) over all of the above: editing any of it, or
    # the text, makes verification fail.
    evidence_mac: Mapped[str] = mapped_column(String(64))
    receipt_document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL")
    )

    declaration_version: Mapped[DeclarationVersion] = relationship(lazy="joined")
