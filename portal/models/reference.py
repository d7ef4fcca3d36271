"""Reference data: area offices, security levels, municipalities and institutions.

Loaded from ``portal/data/reference.json`` by ``flask portal load-reference`` and edited by
the admin in the portal afterwards.
"""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey, enum_type
from portal.privacy import PrivacyDeclaration


class InstitutionKind(enum.StrEnum):
    ARREST = "arrest"
    CLOSED_PRISON = "closed_prison"
    OPEN_PRISON = "open_prison"
    HALFWAY_HOUSE = "halfway_house"
    PROBATION_OFFICE = "probation_office"


class AreaOffice(UUIDPrimaryKey, Base):
    __tablename__ = "area_office"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")


class SecurityLevel(UUIDPrimaryKey, Base):
    __tablename__ = "security_level"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_da: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    description_da: Mapped[str] = mapped_column(String(1000), default="")
    description_en: Mapped[str] = mapped_column(String(1000), default="")
    rank: Mapped[int] = mapped_column(default=0)

    def name_for(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_da


class Municipality(UUIDPrimaryKey, Base):
    __tablename__ = "municipality"

    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region: Mapped[str] = mapped_column(String(100))
    area_office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("area_office.id"), index=True)

    area_office: Mapped[AreaOffice] = relationship(lazy="joined")


class Institution(UUIDPrimaryKey, Base):
    __tablename__ = "institution"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[InstitutionKind] = mapped_column(enum_type(InstitutionKind, "institution_kind"))
    security_level_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("security_level.id"), index=True
    )
    area_office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("area_office.id"), index=True)
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("municipality.id"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    # What an organisation needs to find and reach the institution.
    address: Mapped[str] = mapped_column(String(300), default="")
    postal_code: Mapped[str] = mapped_column(String(4), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    # Free text, as the institution words it ("Mandag-fredag 13-16, weekend 10-15").
    visiting_hours: Mapped[str] = mapped_column(Text, default="")

    security_level: Mapped[SecurityLevel] = relationship(lazy="joined")
    area_office: Mapped[AreaOffice] = relationship(lazy="joined")
    municipality: Mapped[Municipality | None] = relationship(lazy="joined")
    sections: Mapped[list[InstitutionSection]] = relationship(
        back_populates="institution",
        order_by="InstitutionSection.name",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    contacts: Mapped[list[InstitutionContact]] = relationship(
        back_populates="institution",
        order_by="InstitutionContact.name",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def full_address(self) -> str:
        place = " ".join(part for part in (self.postal_code, self.city) if part)
        return ", ".join(part for part in (self.address, place) if part)


class InstitutionSection(UUIDPrimaryKey, Base):
    """A part of an institution with its own security level (one prison can have open and
    closed sections). Access is granted to the institution as a whole; a section's level
    decides which rule profile an activity there is checked against."""

    __tablename__ = "institution_section"
    __table_args__ = (UniqueConstraint("institution_id", "name", name="uq_section_name"),)

    institution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    security_level_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("security_level.id"))
    active: Mapped[bool] = mapped_column(default=True)

    institution: Mapped[Institution] = relationship(back_populates="sections")
    security_level: Mapped[SecurityLevel] = relationship(lazy="joined")


class InstitutionContact(UUIDPrimaryKey, Base):
    """A person at the institution whom organisations may contact about activities."""

    __tablename__ = "institution_contact"
    __privacy__ = PrivacyDeclaration(
        activity="institutions",
        purpose="Kontaktpersoner på institutionerne, som organisationerne kan kontakte om aktiviteter",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=("navn", "funktion", "e-mail", "telefon"),
        subject_categories=("ansatte i kriminalforsorgen",),
        recipients=("kriminalforsorgen", "godkendte organisationer"),
        retention="Slettes, når personen ikke længere er kontaktperson, eller når institutionen ikke længere er aktiv",
        columns=("name", "title", "email", "phone"),
    )

    institution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")

    institution: Mapped[Institution] = relationship(back_populates="contacts")
