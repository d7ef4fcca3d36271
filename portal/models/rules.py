"""The rules of each security level (rule profiles), and an institution's tightening of them.

The defaults in ``portal/data/rule_profiles.json`` are examples; the service sets the real
values. An institution may tighten its level's profile, never loosen it:
``portal.services.rule_profiles.effective_rules`` combines the two so that the stricter value
always wins, whatever is stored.
"""

from __future__ import annotations

import uuid

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey
from portal.models.reference import Institution, SecurityLevel


class RuleProfile(UUIDPrimaryKey, Base):
    __tablename__ = "rule_profile"
    __table_args__ = (
        CheckConstraint("access_validity_days BETWEEN 1 AND 1830", name="access_validity_range"),
        CheckConstraint("min_notice_days BETWEEN 0 AND 365", name="min_notice_range"),
        CheckConstraint("max_participants BETWEEN 1 AND 500", name="max_participants_range"),
    )

    security_level_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("security_level.id", ondelete="CASCADE"), unique=True
    )
    # How long access granted at an institution of this level is valid by default.
    access_validity_days: Mapped[int] = mapped_column(default=365)
    # Whether the NGO must have recorded the volunteer's preparation (security rules and
    # confidentiality) before access is granted and before activities.
    preparation_required: Mapped[bool] = mapped_column(default=False)
    # Activities: days between sending a proposal and its first date.
    min_notice_days: Mapped[int] = mapped_column(default=14)
    # The most participants from the organisation at one activity.
    max_participants: Mapped[int] = mapped_column(default=4)
    # Whether every participant needs valid access to the institution on the activity's dates.
    access_required: Mapped[bool] = mapped_column(default=True)
    # Declaration kinds (DeclarationKind values) each participant must have signed, current.
    required_declarations: Mapped[list[str]] = mapped_column(JSON, default=list)
    escort_required: Mapped[bool] = mapped_column(default=False)
    # Items that may be brought in (free text per item); mobile phones separately.
    allowed_items: Mapped[list[str]] = mapped_column(JSON, default=list)
    phones_allowed: Mapped[bool] = mapped_column(default=False)
    # A child-protection certificate (børneattest) when children under 15 take part.
    child_certificate_required: Mapped[bool] = mapped_column(default=True)

    security_level: Mapped[SecurityLevel] = relationship(lazy="joined")


class InstitutionRules(UUIDPrimaryKey, Base):
    """An institution's tightening of its level's profile; NULL (or empty) means "as the level".

    Stored values that would loosen the level are ignored by ``effective_rules`` (and refused
    by the admin's form), so a later loosening of the level cannot loosen the institution.
    """

    __tablename__ = "institution_rules"

    institution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), unique=True
    )
    access_validity_days: Mapped[int | None]
    preparation_required: Mapped[bool | None]
    min_notice_days: Mapped[int | None]
    max_participants: Mapped[int | None]
    access_required: Mapped[bool | None]
    required_declarations: Mapped[list[str]] = mapped_column(JSON, default=list)
    escort_required: Mapped[bool | None]
    # None: as the level; a list: only these of the level's items.
    allowed_items: Mapped[list[str] | None] = mapped_column(JSON)
    phones_allowed: Mapped[bool | None]
    child_certificate_required: Mapped[bool | None]
    note: Mapped[str] = mapped_column(Text, default="")

    institution: Mapped[Institution] = relationship(lazy="joined")
