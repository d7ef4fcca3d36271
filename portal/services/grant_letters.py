"""The decision letter of a grant application: a PDF from the agency to the organisation with
the decision (granted, partly granted with the amount and what was asked, or refused), the
conditions and the reason, the approved amount per budget line, when the report is due and
what it must hold, how to accept, and where to turn with questions.

It is kept as the organisation's document (purpose ``grant_decision_letter``), recorded on the
application, audited, and e-mailed to the organisation's admins with the PDF attached. The
letter is made in the language it is given ("da" for the record); the mail text is each
reader's own language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from portal import audit, db, mail
from portal.models import GRANTING, Document, GrantApplication, GrantDecision, User
from portal.money import kroner
from portal.services import documents, grant_applications, grant_workflow, pdf_documents
from portal.services.grant_receipts import category_label
from portal.services.grant_rounds import local

PURPOSE = "grant_decision_letter"
TEMPLATE = "grant_assessment/decision_letter_pdf.html"


class LetterError(Exception):
    """The letter could not be stored; the message is for the user. Nothing is kept: the
    caller rolls the decision back with it."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class LetterLine:
    category: Any
    text: str
    requested_ore: int
    approved_ore: int


def letter_lines(application: GrantApplication) -> list[LetterLine]:
    """The budget lines with what was asked and what the grant pays for each."""
    rows = []
    for line in application.budget_lines:
        values = grant_applications.values_of(line)
        rows.append(
            LetterLine(
                category=category_label(values.category),
                text=values.text,
                requested_ore=values.requested_ore,
                approved_ore=line.approved_ore or 0,
            )
        )
    return rows


def needs_audited_accounts(application: GrantApplication) -> bool:
    """Grants above the round's threshold report with audited accounts."""
    return (application.granted_ore or 0) > application.round.audit_threshold_ore


def render_letter(application: GrantApplication, language: str) -> bytes:
    """The letter as PDF (A4, "Side X af Y"), in ``language``."""
    assert application.decided_at is not None and application.decision is not None
    granting = application.decision in GRANTING
    return pdf_documents.render_pdf(
        TEMPLATE,
        language,
        application=application,
        grant_round=application.round,
        organisation=application.organisation,
        round_name=application.round.name_for(language),
        decided_on=local(application.decided_at).date(),
        granting=granting,
        partly=application.decision == GrantDecision.PARTLY_GRANTED,
        lines=letter_lines(application) if granting else [],
        audited=granting and needs_audited_accounts(application),
        portal_link=mail.external_url(
            "grant_applications.application", application_id=application.id
        ),
        kroner=kroner,
    )


def file_name(application: GrantApplication) -> str:
    assert application.decided_at is not None
    return f"afgoerelse-tilskud-{local(application.decided_at).date().isoformat()}.pdf"


def issue_letter(application: GrantApplication, actor: User, language: str = "da") -> Document:
    """Make the decision letter of a just-decided application, keep it as the organisation's
    document, record it on the application and e-mail it to the organisation's admins.

    Raises LetterError if the store cannot be reached; the caller's transaction then rolls
    back, so no decision stands without its letter.
    """
    data = render_letter(application, language)
    name = file_name(application)
    try:
        document = pdf_documents.store_for_organisation(
            data,
            name=name,
            organisation_id=application.organisation_id,
            purpose=PURPOSE,
            description=str(_l("Afgørelsesbrev om tilskud")),
        )
    except documents.UploadError as error:
        raise LetterError(error.message) from error
    application.decision_letter_document_id = document.id
    db.session.flush()
    audit.record(
        "grant_application.decision_letter_issued",
        object_type="document",
        object_id=document.id,
        details={
            "application_id": str(application.id),
            "decision": application.decision.value if application.decision else None,
            "granted_ore": application.granted_ore,
            "sha256": document.sha256,
        },
        actor_id=str(actor.id),
    )
    grant_workflow.notify(
        application,
        frozenset({grant_workflow.Side.ORGANISATION}),
        "decide",
        actor,
        application.decision_reason,
        attachments=((name, pdf_documents.CONTENT_TYPE, data),),
    )
    return document
