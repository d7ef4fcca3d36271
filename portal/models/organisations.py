"""Organisations (NGOs). The onboarding flow fills in the rest of the profile."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey, enum_type, utcnow
from portal.models.reference import AreaOffice, Municipality


class OrganisationState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    MORE_INFORMATION = "more_information"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Organisation(UUIDPrimaryKey, Base):
    __tablename__ = "organisation"

    name: Mapped[str] = mapped_column(String(200))
    cvr: Mapped[str] = mapped_column(String(8), index=True)
    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipality.id"))
    area_office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("area_office.id"), index=True)
    state: Mapped[OrganisationState] = mapped_column(
        enum_type(OrganisationState, "organisation_state"), default=OrganisationState.DRAFT
    )
    purpose: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]

    municipality: Mapped[Municipality] = relationship(lazy="joined")
    area_office: Mapped[AreaOffice] = relationship(lazy="joined")
