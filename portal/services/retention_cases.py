"""Retention rules for cases and records: rejected organisations, activities, grant cases,
contact people of closed institutions, data-subject requests, documents without an owner and
the audit log. Each rule is a ``find_*`` and an ``apply_*`` function; the table of rules is
``retention.RULES``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select

from portal import audit, db
from portal.models import (
    Activity,
    ActivityEvent,
    ActivityParticipant,
    ApplicationState,
    DataSubjectRequest,
    DataSubjectRequestEvent,
    Document,
    GrantApplication,
    GrantApplicationEvent,
    GrantChangeRequest,
    GrantDecision,
    GrantPayment,
    GrantReport,
    Institution,
    InstitutionContact,
    Organisation,
    OrganisationEvent,
    OrganisationState,
    OwnerType,
    ReviewAssignment,
    ReviewScore,
    SubjectRequestState,
    User,
)
from portal.services.anonymise import (
    delete_document,
)
from portal.services.retention_rules import (
    Applied,
    batches,
    clear,
    column_values,
    day,
    delete_rows,
    not_after,
    uncleared,
    years_before,
)

# --- rejected organisations ------------------------------------------------------------------

REJECTED_ORGANISATION_YEARS = 1  # 12 months

_ORGANISATION_CLEARED: dict[str, Any] = {
    "directory_email": "",
    "directory_phone": "",
    "decision_reason": "",
    "suspension_reason": "",
    "created_by_id": None,
    "handled_by_id": None,
}
_ORGANISATION_EVENT_CLEARED: dict[str, Any] = {"text": "", "actor_id": None}


def _organisation_documents(organisation_id: Any) -> ColumnElement[bool]:
    return and_(Document.owner_type == OwnerType.ORGANISATION, Document.owner_id == organisation_id)


def find_rejected_organisations(now: datetime) -> Sequence[Any]:
    """A rejected organisation, 12 months after the decision: its documents go (files too),
    and the contact details, reasons and case messages are emptied. The row stays with its
    name and CVR number (an association's, public) for the statistics."""
    cutoff = years_before(now, REJECTED_ORGANISATION_YEARS)
    return list(
        db.session.scalars(
            select(Organisation)
            .where(
                Organisation.state == OrganisationState.REJECTED,
                Organisation.decided_at < cutoff,
                or_(
                    uncleared(column_values(Organisation, _ORGANISATION_CLEARED)),
                    exists().where(_organisation_documents(Organisation.id)),
                    exists().where(
                        OrganisationEvent.organisation_id == Organisation.id,
                        uncleared(column_values(OrganisationEvent, _ORGANISATION_EVENT_CLEARED)),
                    ),
                ),
            )
            .order_by(Organisation.decided_at)
        )
    )


def apply_rejected_organisations(organisations: Sequence[Organisation], now: datetime) -> Applied:
    """Delete the documents (counted by upload year; files at commit) and empty the
    columns; each organisation is audited."""
    applied = Applied()
    for organisation in organisations:
        documents = list(
            db.session.scalars(select(Document).where(_organisation_documents(organisation.id)))
        )
        for document in documents:
            applied.deleted_by_year[document.uploaded_at.year] += 1
            delete_document(document)
        applied.documents += len(documents)
        for name, value in _ORGANISATION_CLEARED.items():
            setattr(organisation, name, value)
        clear(
            OrganisationEvent,
            OrganisationEvent.organisation_id == organisation.id,
            _ORGANISATION_EVENT_CLEARED,
        )
        db.session.flush()
        audit.record(
            "organisation.anonymised",
            object_type="organisation",
            object_id=organisation.id,
            details={"rule": "rejected_organisations", "documents": len(documents)},
        )
    return applied


# --- activities ------------------------------------------------------------------------------

ACTIVITY_YEARS = 5

_ACTIVITY_CLEARED: dict[str, Any] = {
    "decision_reason": "",
    "cancel_reason": "",
    "created_by_id": None,
    "decided_by_id": None,
}
_ACTIVITY_EVENT_CLEARED: dict[str, Any] = {"text": "", "actor_id": None}
_PARTICIPANT_CLEARED: dict[str, Any] = {"blocked_reason": ""}


def find_activities(now: datetime) -> Sequence[Any]:
    """Five years after the activity's last date (the last of a repetition), the reasons,
    the messages in its history, why a participant was blocked, and who proposed and decided
    are emptied. The activity, its dates and its participants stay for the statistics."""
    cutoff_day = day(years_before(now, ACTIVITY_YEARS))
    last_day = func.coalesce(Activity.until_date, Activity.first_date)
    return db.session.execute(
        select(Activity.id)
        .where(
            last_day < cutoff_day,
            or_(
                uncleared(column_values(Activity, _ACTIVITY_CLEARED)),
                exists().where(
                    ActivityEvent.activity_id == Activity.id,
                    uncleared(column_values(ActivityEvent, _ACTIVITY_EVENT_CLEARED)),
                ),
                exists().where(
                    ActivityParticipant.activity_id == Activity.id,
                    uncleared(column_values(ActivityParticipant, _PARTICIPANT_CLEARED)),
                ),
            ),
        )
        .order_by(last_day)
    ).all()


def apply_activities(rows: Sequence[Any], now: datetime) -> Applied:
    """Empty the personal columns of the activities, their events and participants."""
    for batch in batches(rows):
        ids = [row.id for row in batch]
        clear(Activity, Activity.id.in_(ids), _ACTIVITY_CLEARED)
        clear(ActivityEvent, ActivityEvent.activity_id.in_(ids), _ACTIVITY_EVENT_CLEARED)
        clear(ActivityParticipant, ActivityParticipant.activity_id.in_(ids), _PARTICIPANT_CLEARED)
    return Applied()


# --- grants ----------------------------------------------------------------------------------

GRANT_YEARS = 10

# Who acted, and the free text people wrote, per part of a grant case (the columns the
# models declare). Amounts, scores, budgets, the decision and its conditions stay
# (accounting and archive rules).
_APPLICATION_CLEARED: dict[str, Any] = {
    "created_by_id": None,
    "updated_by_id": None,
    "submitted_by_id": None,
    "screened_by_id": None,
    "screening_reason": "",
    "decided_by_id": None,
    "decision_reason": "",
    "accepted_by_id": None,
    "closed_by_id": None,
}
_GRANT_PARTS: tuple[tuple[type[Any], dict[str, Any]], ...] = (
    (GrantApplicationEvent, {"text": "", "actor_id": None}),
    (ReviewAssignment, {"conflict_reason": "", "assigned_by_id": None}),
    (
        GrantChangeRequest,
        {"text": "", "decision_reason": "", "requested_by_id": None, "decided_by_id": None},
    ),
    (GrantReport, {"decision_text": "", "submitted_by_id": None, "decided_by_id": None}),
    (GrantPayment, {"recorded_by_id": None, "note": ""}),
)
_SCORE_CLEARED: dict[str, Any] = {"comment": ""}


def _grant_case_over() -> ColumnElement[bool]:
    """The states in which a grant case has ended: closed after the report, refused at
    screening or at the decision, or declined by the organisation."""
    return or_(
        GrantApplication.state.in_(
            (ApplicationState.CLOSED, ApplicationState.INELIGIBLE, ApplicationState.DECLINED)
        ),
        and_(
            GrantApplication.state == ApplicationState.DECIDED,
            GrantApplication.decision == GrantDecision.REFUSED,
        ),
    )


def find_grants(now: datetime) -> Sequence[Any]:
    """Ten years after the grant case ended (nothing in it, and no message, is more recent),
    who acted and the free text people wrote are emptied."""
    cutoff = years_before(now, GRANT_YEARS)
    moments = (
        GrantApplication.updated_at,
        GrantApplication.submitted_at,
        GrantApplication.screened_at,
        GrantApplication.decided_at,
        GrantApplication.accepted_at,
        GrantApplication.closed_at,
    )
    parts = [
        exists().where(
            model.application_id == GrantApplication.id, uncleared(column_values(model, values))
        )
        for model, values in _GRANT_PARTS
    ]
    scores = exists().where(
        ReviewScore.assignment_id == ReviewAssignment.id,
        ReviewAssignment.application_id == GrantApplication.id,
        uncleared(column_values(ReviewScore, _SCORE_CLEARED)),
    )
    return db.session.execute(
        select(GrantApplication.id)
        .where(
            _grant_case_over(),
            GrantApplication.created_at < cutoff,
            *(not_after(moment, cutoff) for moment in moments),
            ~exists().where(
                GrantApplicationEvent.application_id == GrantApplication.id,
                GrantApplicationEvent.created_at >= cutoff,
            ),
            or_(uncleared(column_values(GrantApplication, _APPLICATION_CLEARED)), *parts, scores),
        )
        .order_by(GrantApplication.created_at)
    ).all()


def apply_grants(rows: Sequence[Any], now: datetime) -> Applied:
    """Empty who acted and the free text in every part of the grant cases."""
    for batch in batches(rows):
        ids = [row.id for row in batch]
        clear(GrantApplication, GrantApplication.id.in_(ids), _APPLICATION_CLEARED)
        for model, values in _GRANT_PARTS:
            clear(model, model.application_id.in_(ids), values)
        clear(
            ReviewScore,
            ReviewScore.assignment_id.in_(
                select(ReviewAssignment.id).where(ReviewAssignment.application_id.in_(ids))
            ),
            _SCORE_CLEARED,
        )
    return Applied()


# --- institution contacts --------------------------------------------------------------------


def find_institution_contacts(now: datetime) -> Sequence[Any]:
    """The admin deletes a contact person at once when they stop being one. What is left:
    the contact people of an institution that is no longer active (closed), who are no one's
    contact any more."""
    return db.session.execute(
        select(InstitutionContact.id)
        .join(Institution, Institution.id == InstitutionContact.institution_id)
        .where(Institution.active.is_(False))
        .order_by(InstitutionContact.id)
    ).all()


def apply_institution_contacts(rows: Sequence[Any], now: datetime) -> Applied:
    """Delete the contact people, counted in the year of the run (the row has no date)."""
    applied = delete_rows(InstitutionContact, rows, lambda _row: now.year)
    for institution in db.session.scalars(select(Institution).where(Institution.active.is_(False))):
        db.session.expire(institution, ["contacts"])
    return applied


# --- data-subject requests -------------------------------------------------------------------

SUBJECT_REQUEST_YEARS = 3


def find_subject_requests(now: datetime) -> Sequence[Any]:
    """Three years after the request was answered or refused (nothing in its history is
    more recent), it goes with its history and the access export (the file too)."""
    cutoff = years_before(now, SUBJECT_REQUEST_YEARS)
    return list(
        db.session.scalars(
            select(DataSubjectRequest)
            .where(
                DataSubjectRequest.state.in_(
                    (SubjectRequestState.ANSWERED, SubjectRequestState.REFUSED)
                ),
                DataSubjectRequest.received_at < cutoff,
                not_after(DataSubjectRequest.answered_at, cutoff),
                ~exists().where(
                    DataSubjectRequestEvent.request_id == DataSubjectRequest.id,
                    DataSubjectRequestEvent.created_at >= cutoff,
                ),
            )
            .order_by(DataSubjectRequest.received_at)
        )
    )


def apply_subject_requests(requests: Sequence[DataSubjectRequest], now: datetime) -> Applied:
    """Delete the requests with their history and export (file at commit), counted by the
    year they were received."""
    applied = Applied()
    for request in requests:
        if request.export_document_id is not None:
            document = db.session.get(Document, request.export_document_id)
            if document is not None:
                delete_document(document)
                applied.documents += 1
        applied.deleted_by_year[request.received_at.year] += 1
        db.session.delete(request)
    db.session.flush()
    return applied


# --- documents whose owner is gone -----------------------------------------------------------

# The owner tables a document can point to. Documents of an owner type not listed here are
# left alone: without a table to look in, "gone" cannot be told from "unknown".
_OWNER_TABLES: dict[OwnerType, type[Any]] = {
    OwnerType.ORGANISATION: Organisation,
    OwnerType.USER: User,
}


def find_orphaned_documents(now: datetime) -> Sequence[Any]:
    """Documents whose organisation or person no longer exists."""
    orphaned = [
        and_(
            Document.owner_type == owner_type,
            ~exists().where(model.id == Document.owner_id),
        )
        for owner_type, model in _OWNER_TABLES.items()
    ]
    return list(
        db.session.scalars(
            select(Document).where(or_(false(), *orphaned)).order_by(Document.uploaded_at)
        )
    )


def apply_orphaned_documents(documents: Sequence[Document], now: datetime) -> Applied:
    """Delete the documents, counted by upload year; files go at commit."""
    applied = Applied()
    for document in documents:
        applied.deleted_by_year[document.uploaded_at.year] += 1
        delete_document(document)
    applied.documents = len(documents)
    db.session.flush()
    return applied


# --- the audit log ---------------------------------------------------------------------------

AUDIT_YEARS = 5


def find_audit_entries(now: datetime) -> Sequence[Any]:
    """The entries older than five years, from the front of the chain."""
    return audit.prunable(db.session, years_before(now, AUDIT_YEARS))


def apply_audit_entries(rows: Sequence[Any], now: datetime) -> Applied:
    """Prune the log up to the cutoff and write the checkpoint (see ``audit.prune``)."""
    result = audit.prune(db.session, years_before(now, AUDIT_YEARS))
    return Applied(deleted_by_year=Counter(result.per_year))
