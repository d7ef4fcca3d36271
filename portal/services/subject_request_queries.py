"""Reading data-subject requests: the deadlines (one calendar month from receipt, extended
by at most two more), the DPO's lists and dashboard counts, and the history as the DPO and as
the person see it. The workflow that changes requests is ``subject_requests``."""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from portal import db
from portal.labels import SUBJECT_REQUEST_EVENT_LABELS as EVENT_LABELS
from portal.models import (
    OPEN_SUBJECT_REQUEST_STATES,
    DataSubjectRequest,
    Document,
    SubjectRequestState,
    User,
)
from portal.services.volunteer_status import today  # Danish calendar days

DEADLINE_MONTHS = 1
EXTENSION_MONTHS = 2
NEAR_DAYS = 7

# What the person sees of the history: the steps, and the texts meant for them (not the
# DPO's note on how the identity was checked, nor which account was linked).
PERSON_EVENTS = frozenset(EVENT_LABELS) - {"link_account"}
PERSON_TEXTS = frozenset({"extend", "answer", "refuse", "erase"})


# --- dates -----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later; a day the month lacks becomes its last
    day (31 January + 1 month = 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(received_on: date) -> date:
    return add_months(received_on, DEADLINE_MONTHS)


def latest_extension(request: DataSubjectRequest) -> date:
    return add_months(request.original_due_on, EXTENSION_MONTHS)


def days_left(request: DataSubjectRequest, on: date | None = None) -> int:
    """Days until the deadline (0: today is the last day; negative: overdue)."""
    return (request.due_on - (on or today())).days


def deadline_flag(request: DataSubjectRequest, on: date | None = None) -> str | None:
    """ "overdue", "near" (within NEAR_DAYS) or None; only open requests have one."""
    if request.state not in OPEN_SUBJECT_REQUEST_STATES:
        return None
    left = days_left(request, on)
    if left < 0:
        return "overdue"
    return "near" if left <= NEAR_DAYS else None


# --- reading ---------------------------------------------------------------------------------


def is_open(request: DataSubjectRequest) -> bool:
    return request.state in OPEN_SUBJECT_REQUEST_STATES


def erasure_applied(request: DataSubjectRequest) -> bool:
    return any(event.action == "erase" for event in request.events)


def subject_user(request: DataSubjectRequest) -> User | None:
    return db.session.get(User, request.subject_user_id) if request.subject_user_id else None


def export_document(request: DataSubjectRequest) -> Document | None:
    if request.export_document_id is None:
        return None
    return db.session.get(Document, request.export_document_id)


def request_list(state: SubjectRequestState | None = None, *, open_only: bool = False) -> list[Any]:
    """The DPO's list, the nearest deadline first."""
    query = select(DataSubjectRequest)
    if state is not None:
        query = query.where(DataSubjectRequest.state == state)
    elif open_only:
        query = query.where(DataSubjectRequest.state.in_(OPEN_SUBJECT_REQUEST_STATES))
    return list(
        db.session.scalars(
            query.order_by(DataSubjectRequest.due_on, DataSubjectRequest.received_at)
        )
    )


def own_requests(user: User) -> list[Any]:
    """The person's own requests, the newest first."""
    return list(
        db.session.scalars(
            select(DataSubjectRequest)
            .where(DataSubjectRequest.subject_user_id == user.id)
            .order_by(DataSubjectRequest.received_at.desc())
        )
    )


def near_deadline(days: int = NEAR_DAYS, on: date | None = None) -> list[Any]:
    """Open requests whose deadline is today or within ``days`` days."""
    day = on or today()
    return list(
        db.session.scalars(
            select(DataSubjectRequest)
            .where(
                DataSubjectRequest.state.in_(OPEN_SUBJECT_REQUEST_STATES),
                DataSubjectRequest.due_on >= day,
                DataSubjectRequest.due_on <= day + timedelta(days=days),
            )
            .order_by(DataSubjectRequest.due_on, DataSubjectRequest.received_at)
        )
    )


def overdue(on: date | None = None) -> list[Any]:
    """Open requests whose deadline has passed."""
    return list(
        db.session.scalars(
            select(DataSubjectRequest)
            .where(
                DataSubjectRequest.state.in_(OPEN_SUBJECT_REQUEST_STATES),
                DataSubjectRequest.due_on < (on or today()),
            )
            .order_by(DataSubjectRequest.due_on, DataSubjectRequest.received_at)
        )
    )


def open_count() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(DataSubjectRequest)
            .where(DataSubjectRequest.state.in_(OPEN_SUBJECT_REQUEST_STATES))
        )
        or 0
    )


def due_soon_count(days: int = NEAR_DAYS, on: date | None = None) -> int:
    """Open requests overdue or due within ``days`` days (for the DPO's landing page)."""
    day = on or today()
    return (
        db.session.scalar(
            select(func.count())
            .select_from(DataSubjectRequest)
            .where(
                DataSubjectRequest.state.in_(OPEN_SUBJECT_REQUEST_STATES),
                DataSubjectRequest.due_on <= day + timedelta(days=days),
            )
        )
        or 0
    )


@dataclass(frozen=True)
class PersonEvent:
    """One step of the history as the person sees it."""

    action: str
    from_state: str
    to_state: str
    actor_id: uuid.UUID | None
    text: str
    created_at: datetime


def history(request: DataSubjectRequest) -> list[Any]:
    return sorted(request.events, key=lambda e: (e.created_at, str(e.id)))


def history_for_person(request: DataSubjectRequest) -> list[PersonEvent]:
    return [
        PersonEvent(
            e.action,
            e.from_state,
            e.to_state,
            e.actor_id,
            e.text if e.action in PERSON_TEXTS else "",
            e.created_at,
        )
        for e in history(request)
        if e.action in PERSON_EVENTS
    ]
