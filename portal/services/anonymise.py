"""Removing a person from the portal while keeping what statistics and other people's records
need: the one place that knows what "anonymised" means for an account and for a volunteer.

Used by the retention job (rules that have expired) and by erasure requests (what the law lets
be erased). Rows are changed in the caller's transaction; files are deleted from storage only
when that transaction commits (``storage.delete_after_commit``), so a failure loses nothing.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import delete, select, update

from portal import db, storage
from portal.db import utcnow
from portal.models import (
    AccessGrant,
    AccountToken,
    ActivityParticipant,
    CalendarFeed,
    Document,
    ExternalIdentity,
    LoginSession,
    OwnerType,
    Preparation,
    RoleAssignment,
    Signature,
    User,
    Volunteer,
    VolunteerEvent,
)

ANONYMOUS_USER_NAME = "Slettet bruger"
ANONYMOUS_VOLUNTEER_NAME = "Slettet frivillig"
# A date of birth that cannot be anyone's: the column is required.
ANONYMOUS_BIRTH_DATE = date(1900, 1, 1)
ANONYMOUS_DOMAIN = "slettet.invalid"


def anonymous_email(row_id: uuid.UUID) -> str:
    """A unique address that is no one's (``.invalid`` is reserved, RFC 2606)."""
    return f"slettet-{row_id.hex[:16]}@{ANONYMOUS_DOMAIN}"


def is_anonymised_user(user: User) -> bool:
    return user.email.endswith("@" + ANONYMOUS_DOMAIN)


def is_anonymised_volunteer(volunteer: Volunteer) -> bool:
    return volunteer.email.endswith("@" + ANONYMOUS_DOMAIN)


def delete_document(document: Document) -> None:
    """The row now, its file when the transaction commits."""
    storage.delete_after_commit(document.storage_key)
    db.session.delete(document)


def delete_documents(
    owner_type: OwnerType, owner_id: uuid.UUID, *, keep_signature_receipts: bool = False
) -> int:
    query = select(Document).where(Document.owner_type == owner_type, Document.owner_id == owner_id)
    if keep_signature_receipts:
        receipts = select(Signature.receipt_document_id).where(
            Signature.receipt_document_id.is_not(None)
        )
        query = query.where(Document.id.not_in(receipts))
    documents = list(db.session.scalars(query))
    for document in documents:
        delete_document(document)
    return len(documents)


def anonymise_user(user: User) -> None:
    """The account can no longer log in and no longer names anyone. Its id stays, so the
    history other people's records keep ("who decided") reads "Slettet bruger". The volunteer
    rows linked to the account are not touched (see ``anonymise_volunteer``)."""
    session = db.session
    session.execute(delete(RoleAssignment).where(RoleAssignment.user_id == user.id))
    session.execute(delete(ExternalIdentity).where(ExternalIdentity.user_id == user.id))
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    session.execute(
        delete(AccountToken).where(
            (AccountToken.user_id == user.id) | (AccountToken.email == user.email)
        )
    )
    session.execute(
        update(CalendarFeed).where(CalendarFeed.created_by_id == user.id).values(created_by_id=None)
    )
    # Signature receipts are the person's documents but the volunteer's evidence: they go with
    # the signatures, when the volunteer is anonymised.
    delete_documents(OwnerType.USER, user.id, keep_signature_receipts=True)
    session.expire(user, ["role_assignments"])
    user.email = anonymous_email(user.id)
    user.name = ANONYMOUS_USER_NAME
    user.password_hash = None
    user.active = False
    user.last_login_at = None
    if user.deactivated_at is None:
        user.deactivated_at = utcnow()
    session.flush()


def anonymise_volunteer(volunteer: Volunteer) -> None:
    """The volunteer's row stays for the statistics (organisation, state, dates, whether they
    were cleared); everything that names them, their signatures and receipts, and their
    preparation notes go."""
    session = db.session
    signatures = list(
        session.scalars(select(Signature).where(Signature.volunteer_id == volunteer.id))
    )
    receipt_ids = [s.receipt_document_id for s in signatures if s.receipt_document_id]
    for signature in signatures:
        session.delete(signature)
    session.flush()
    for document in session.scalars(select(Document).where(Document.id.in_(receipt_ids))):
        delete_document(document)
    session.execute(delete(Preparation).where(Preparation.volunteer_id == volunteer.id))
    session.execute(
        update(VolunteerEvent).where(VolunteerEvent.volunteer_id == volunteer.id).values(text="")
    )
    session.execute(
        update(AccessGrant).where(AccessGrant.volunteer_id == volunteer.id).values(end_text="")
    )
    session.execute(
        update(ActivityParticipant)
        .where(ActivityParticipant.volunteer_id == volunteer.id)
        .values(blocked_reason="")
    )
    session.expire(volunteer, ["access_grants", "preparations"])
    volunteer.name = ANONYMOUS_VOLUNTEER_NAME
    volunteer.email = anonymous_email(volunteer.id)
    volunteer.phone = ""
    volunteer.birth_date = ANONYMOUS_BIRTH_DATE
    volunteer.user_id = None
    volunteer.cpr_ciphertext = None
    volunteer.invitation_token_hash = None
    if volunteer.check_reason:
        volunteer.check_reason = "-"  # an assessment keeps a (now empty) reason
    session.flush()
