"""Reference data: area offices, security levels, municipalities and institutions.

Loaded from ``portal/data/reference.json`` by ``flask portal load-reference`` and edited by
the admin in the portal afterwards.
"""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey, enum_type


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

    security_level: Mapped[SecurityLevel] = relationship(lazy="joined")
    area_office: Mapped[AreaOffice] = relationship(lazy="joined")
    municipality: Mapped[Municipality | None] = relationship(lazy="joined")
