"""The rules of each security level (rule profiles), as editable data.

The defaults in ``portal/data/reference.json`` are examples; the service sets the real values.
Activities (a later flow) add their own rules to the same profile.
"""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey
from portal.models.reference import SecurityLevel


class RuleProfile(UUIDPrimaryKey, Base):
    __tablename__ = "rule_profile"
    __table_args__ = (
        CheckConstraint("access_validity_days BETWEEN 1 AND 1830", name="access_validity_range"),
    )

    security_level_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("security_level.id", ondelete="CASCADE"), unique=True
    )
    # How long access granted at an institution of this level is valid by default.
    access_validity_days: Mapped[int] = mapped_column(default=365)
    # Whether the NGO must have recorded the volunteer's preparation (security rules and
    # confidentiality) before access is granted.
    preparation_required: Mapped[bool] = mapped_column(default=False)

    security_level: Mapped[SecurityLevel] = relationship(lazy="joined")
