"""Activities an organisation proposes at an institution, their participants, their history,
and the secret calendar feeds.

An activity is one proposal with one date or a recurrence (``recurrence_kind``, ``first_date``,
``until_date``, ``exceptions``) at Copenhagen wall-clock times; its dates are computed by
``portal.services.recurrence``. Its state moves only through
``portal.services.activity_workflow.apply``.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, UUIDPrimaryKey, enum_type, utcnow
from portal.models.organisations import Organisation
from portal.models.reference import Institution, InstitutionSection
from portal.models.volunteers import Volunteer
from portal.privacy import PrivacyDeclaration


class ActivityKind(enum.StrEnum):
    VISITING_FRIEND = "visiting_friend"
    MENTOR = "mentor"
    TEACHING = "teaching"
    LEISURE = "leisure"
    NETWORK = "network"
    DEBT_COUNSELLING = "debt_counselling"
    RELATIVES = "relatives"
    OTHER = "other"


class MentorHelp(enum.StrEnum):
    """The four kinds of help a mentor gives (seeds/000_58d90e653716a30b.txt)."""

    PRACTICAL = "practical"
    COMMUNICATION = "communication"
    PERSONAL = "personal"
    RESOCIALISATION = "resocialisation"


class ActivityState(enum.StrEnum):
    SENT = "sent"  # waiting for the institution's decision
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"  # by the organisation before a decision
    CANCELLED = "cancelled"  # by the organisation after approval


OPEN_STATES = frozenset({ActivityState.SENT, ActivityState.CHANGES_REQUESTED})


class Activity(UUIDPrimaryKey, Base):
    __tablename__ = "activity"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="ends_after_start"),
        CheckConstraint("until_date IS NULL OR until_date >= first_date", name="until_after_first"),
        Index("ix_activity_institution_state", "institution_id", "state"),
        Index("ix_activity_organisation_state", "organisation_id", "state"),
    )
    __privacy__ = PrivacyDeclaration(
        activity="activities",
        purpose="Forslag til, beslutning om og afvikling af organisationers aktiviteter på institutionerne",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=("hvem der foreslog og besluttede", "begrundelser"),
        subject_categories=("ansatte i organisationer", "ansatte i kriminalforsorgen"),
        recipients=("kriminalforsorgen", "organisationen"),
        retention="5 år efter aktivitetens sidste dato",
        columns=("created_by_id", "decided_by_id", "decision_reason", "cancel_reason"),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    institution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("institution.id"), index=True)
    section_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("institution_section.id", ondelete="SET NULL")
    )
    kind: Mapped[ActivityKind] = mapped_column(enum_type(ActivityKind, "activity_kind"))
    # MentorHelp values, for a mentor activity.
    mentor_help: Mapped[list[str]] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    target_group: Mapped[str] = mapped_column(String(300), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    # When: a RecurrenceKind value, the first date, the last (for a repetition) and the dates
    # left out (ISO strings); times are Copenhagen wall-clock times.
    recurrence_kind: Mapped[str] = mapped_column(String(20), default="once")
    first_date: Mapped[date]
    until_date: Mapped[date | None]
    exceptions: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_time: Mapped[time]
    end_time: Mapped[time]
    # What the rules read besides the participants.
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    brings_phone: Mapped[bool] = mapped_column(default=False)
    children_under_15: Mapped[bool] = mapped_column(default=False)
    escort_arranged: Mapped[bool] = mapped_column(default=False)

    state: Mapped[ActivityState] = mapped_column(
        enum_type(ActivityState, "activity_state"), default=ActivityState.SENT
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # Raised by iCalendar consumers' SEQUENCE: every change the calendar should pick up.
    sequence: Mapped[int] = mapped_column(default=0)
    # Optimistic locking: a decision based on an old version fails instead of overwriting.
    version: Mapped[int] = mapped_column(default=1)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    institution: Mapped[Institution] = relationship(lazy="joined")
    section: Mapped[InstitutionSection | None] = relationship(lazy="joined")
    participants: Mapped[list[ActivityParticipant]] = relationship(
        back_populates="activity", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    @property
    def exception_dates(self) -> frozenset[date]:
        return frozenset(date.fromisoformat(day) for day in self.exceptions or ())


class ActivityParticipant(UUIDPrimaryKey, Base):
    """A volunteer of the organisation taking part. ``blocked_at`` is set when their access
    lapses or is revoked (or a declaration must be signed again) before an approved date: the
    activity is flagged to both sides and the person may not take part until it is cleared."""

    __tablename__ = "activity_participant"
    __table_args__ = (
        UniqueConstraint("activity_id", "volunteer_id", name="uq_activity_participant"),
    )
    __privacy__ = PrivacyDeclaration(
        activity="activities",
        purpose="Hvem der deltager i en aktivitet, og om de må deltage (adgangsliste til porten)",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=("deltagelse", "børneattest (ja/nej)", "årsag til spærring"),
        subject_categories=("frivillige",),
        recipients=("kriminalforsorgen", "organisationen"),
        retention="Som aktiviteten",
        columns=("volunteer_id", "child_certificate", "blocked_reason"),
    )

    activity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    volunteer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("volunteer.id", ondelete="CASCADE"), index=True
    )
    # The organisation's statement that the volunteer holds a child-protection certificate.
    child_certificate: Mapped[bool] = mapped_column(default=False)
    blocked_at: Mapped[datetime | None]
    blocked_reason: Mapped[str] = mapped_column(Text, default="")

    activity: Mapped[Activity] = relationship(back_populates="participants")
    volunteer: Mapped[Volunteer] = relationship(lazy="joined")


class ActivityEvent(UUIDPrimaryKey, Base):
    """The activity's history: transitions, messages between the sides, changes and flags."""

    __tablename__ = "activity_event"
    __privacy__ = PrivacyDeclaration(
        activity="activities",
        purpose="Historik og beskeder mellem organisation og institution om en aktivitet",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=("beskeder", "hvem der handlede"),
        subject_categories=(
            "ansatte i organisationer",
            "ansatte i kriminalforsorgen",
            "frivillige",
        ),
        recipients=("kriminalforsorgen", "organisationen"),
        retention="Som aktiviteten",
        columns=("actor_id", "text"),
    )

    activity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(40), default="")
    to_state: Mapped[str] = mapped_column(String(40), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarFeed(UUIDPrimaryKey, Base):
    """A secret iCalendar feed address for one institution or one organisation.

    Only the SHA-256 of the token is stored: the address is shown once, when it is made;
    renewing makes a new one and the old address stops working at once.
    """

    __tablename__ = "calendar_feed"
    __table_args__ = (
        CheckConstraint("(institution_id IS NULL) != (organisation_id IS NULL)", name="one_owner"),
    )
    __privacy__ = PrivacyDeclaration(
        activity="activities",
        purpose="Hemmelige kalenderadresser til institutioners og organisationers kalendere",
        legal_basis="GDPR art. 6, stk. 1, litra e",
        data_categories=("hvem der oprettede adressen", "tidspunkter"),
        subject_categories=("ansatte i kriminalforsorgen", "ansatte i organisationer"),
        recipients=("kriminalforsorgen",),
        retention="Henvisningen til personen fjernes, når kontoen anonymiseres; adressen slettes med institutionen eller organisationen",
        columns=("created_by_id",),
    )

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    institution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
