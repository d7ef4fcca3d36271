"""Volunteers of an organisation: invitation, CPR for the register check, the check's outcome,
the NGO's preparation of them, and their access to institutions.

The CPR number is kept encrypted only until the check's outcome is recorded (the schema
refuses both at once); the register's content is never stored, only the outcome.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey, enum_type, utcnow
from portal.models.organisations import Organisation
from portal.models.reference import Institution
from portal.privacy import PrivacyDeclaration


class VolunteerState(enum.StrEnum):
    INVITED = "invited"  # registered by the NGO; signing not finished
    AWAITING_CHECK = "awaiting_check"  # signed every declaration and gave the CPR number
    CLEARED = "cleared"  # the register check is done and the volunteer may be given access
    NOT_CLEARED = "not_cleared"
    WITHDRAWN = "withdrawn"  # consent withdrawn by the volunteer: all access suspended
    EXPIRED = "expired"  # every access has expired; renewal means new signatures and check


class CheckOutcome(enum.StrEnum):
    CLEARED = "cleared"
    CLEARED_AFTER_ASSESSMENT = "cleared_after_assessment"
    NOT_CLEARED = "not_cleared"


_CHECKED_STATES = "state NOT IN ('cleared', 'not_cleared')"


class Volunteer(UUIDPrimaryKey, Base):
    __tablename__ = "volunteer"
    __table_args__ = (
        UniqueConstraint("organisation_id", "email", name="uq_volunteer_organisation_email"),
        CheckConstraint(
            "check_outcome IS NULL OR cpr_ciphertext IS NULL", name="cpr_erased_after_check"
        ),
        CheckConstraint(
            f"{_CHECKED_STATES} OR (check_outcome IS NOT NULL AND check_date IS NOT NULL)",
            name="checked_state_has_outcome",
        ),
        CheckConstraint(
            "check_outcome != 'cleared_after_assessment' OR check_reason != ''",
            name="assessment_has_reason",
        ),
        Index("ix_volunteer_state", "state"),
    )
    __privacy__ = PrivacyDeclaration(
        activity="volunteers",
        purpose="Registrering af frivillige, træk i Kriminalregistret og adgang til institutioner",
        legal_basis="GDPR art. 6, stk. 1, litra e; CPR-nummer efter databeskyttelsesloven § 11, stk. 2, nr. 2 (samtykke)",
        special_basis="GDPR art. 10 og databeskyttelsesloven § 8, stk. 1 (myndighedens opgaver) og stk. 3 (samtykke)",
        data_categories=(
            "navn",
            "e-mail",
            "telefon",
            "fødselsdato",
            "CPR-nummer (krypteret, kun indtil tjekket er afgjort)",
            "resultat af tjek i Kriminalregistret (aldrig indholdet)",
            "hvem der registrerede den frivillige og afgjorde tjekket",
        ),
        subject_categories=("frivillige", "sagsbehandlere", "ansatte i organisationer"),
        recipients=(
            "kriminalforsorgen",
            "organisationen (kun status, aldrig CPR eller registerindhold)",
        ),
        retention=(
            "CPR-nummeret slettes, når resultatet registreres, når samtykket trækkes tilbage, "
            "eller 30 dage efter at invitationen er udløbet uden at underskriften er gjort færdig; "
            "øvrige oplysninger anonymiseres 5 år efter at adgangen er ophørt"
        ),
        columns=(
            "user_id",
            "name",
            "email",
            "phone",
            "birth_date",
            "cpr_ciphertext",
            "cpr_given_at",
            "check_outcome",
            "check_reason",
            "check_date",
            "checked_by_id",
            "created_by_id",
        ),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    # The volunteer's own account, from when they first used their link.
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))  # lower case
    phone: Mapped[str] = mapped_column(String(40), default="")
    # With the link, the date of birth proves identity where no OpenID provider is configured.
    birth_date: Mapped[date]
    visiting_friend: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(String(5), default="da")

    state: Mapped[VolunteerState] = mapped_column(
        enum_type(VolunteerState, "volunteer_state"), default=VolunteerState.INVITED
    )
    version: Mapped[int] = mapped_column(default=1)

    # The invitation link: only its SHA-256 is kept; a new link replaces the old one.
    invitation_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invitation_sent_at: Mapped[datetime | None]
    invitation_expires_at: Mapped[datetime | None]
    invitation_reminded_at: Mapped[datetime | None]
    invitation_lapse_notified_at: Mapped[datetime | None]
    invitation_used_at: Mapped[datetime | None]

    # AES-GCM (PORTAL_CPR_KEY), bound to this volunteer's id; erased when the outcome is recorded.
    cpr_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    cpr_given_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]

    check_outcome: Mapped[CheckOutcome | None] = mapped_column(
        enum_type(CheckOutcome, "check_outcome")
    )
    check_reason: Mapped[str] = mapped_column(Text, default="")
    check_date: Mapped[date | None]
    checked_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    checked_at: Mapped[datetime | None]

    withdrawn_at: Mapped[datetime | None]
    # A renewal starts signing over: signatures from before it no longer count.
    renewed_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    access_grants: Mapped[list[AccessGrant]] = relationship(
        back_populates="volunteer", lazy="selectin", order_by="AccessGrant.granted_at"
    )
    preparations: Mapped[list[Preparation]] = relationship(
        lazy="selectin", order_by="Preparation.prepared_on"
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}


class AccessEndReason(enum.StrEnum):
    REVOKED = "revoked"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    EXPIRED = "expired"
    RENEWAL = "renewal"


class AccessGrant(UUIDPrimaryKey, Base):
    """Access for one volunteer to one institution until a date, granted by a caseworker."""

    __tablename__ = "access_grant"
    __table_args__ = (
        CheckConstraint("valid_until >= valid_from", name="valid_period"),
        CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="end_has_reason"),
        Index("ix_access_grant_valid_until", "valid_until"),
    )
    __privacy__ = PrivacyDeclaration(
        activity="volunteers",
        purpose="Hvilke institutioner den frivillige har adgang til og hvor længe",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=(
            "adgang",
            "årsag og begrundelse for ophør",
            "hvem der gav og afsluttede adgangen",
        ),
        subject_categories=("frivillige", "sagsbehandlere"),
        recipients=("kriminalforsorgen", "organisationen"),
        retention="5 år efter at adgangen er ophørt",
        columns=(
            "volunteer_id",
            "institution_id",
            "valid_until",
            "granted_by_id",
            "end_reason",
            "end_text",
            "ended_by_id",
        ),
    )

    volunteer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("volunteer.id", ondelete="CASCADE"), index=True
    )
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"), index=True)
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[AccessEndReason | None] = mapped_column(
        enum_type(AccessEndReason, "access_end_reason")
    )
    end_text: Mapped[str] = mapped_column(Text, default="")
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # The reminders job marks what it has sent, so running it twice sends nothing twice.
    expiry_reminded_at: Mapped[datetime | None]

    volunteer: Mapped[Volunteer] = relationship(back_populates="access_grants")
    institution: Mapped[Institution] = relationship(lazy="joined")

    def active_on(self, day: date) -> bool:
        return self.ended_at is None and self.valid_from <= day <= self.valid_until


class Preparation(UUIDPrimaryKey, Base):
    """The NGO's record that it prepared the volunteer in the security rules and confidentiality."""

    __tablename__ = "volunteer_preparation"
    __privacy__ = PrivacyDeclaration(
        activity="volunteers",
        purpose="Dokumentation for organisationens forberedelse af den frivillige",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=("dato", "materiale", "hvem der forberedte og registrerede"),
        subject_categories=("frivillige", "ansatte i organisationer"),
        recipients=("kriminalforsorgen", "organisationen"),
        retention="Som den frivillige",
        columns=("volunteer_id", "prepared_on", "material", "prepared_by", "recorded_by_id"),
    )

    volunteer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("volunteer.id", ondelete="CASCADE"), index=True
    )
    prepared_on: Mapped[date]
    material: Mapped[str] = mapped_column(Text)
    prepared_by: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class VolunteerEvent(UUIDPrimaryKey, Base):
    """The volunteer's history as the NGO and the caseworker see it (never register content)."""

    __tablename__ = "volunteer_event"
    __privacy__ = PrivacyDeclaration(
        activity="volunteers",
        purpose="Historik for den frivillige: invitation, underskrift, tjek, adgang",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=("hændelser", "hvem der handlede"),
        subject_categories=("frivillige", "sagsbehandlere", "ansatte i organisationer"),
        recipients=("kriminalforsorgen", "organisationen"),
        retention="Som den frivillige",
        columns=("volunteer_id", "action", "actor_id", "text"),
    )

    volunteer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("volunteer.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
