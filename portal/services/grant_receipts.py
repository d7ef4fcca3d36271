"""The receipt of a submitted grant application: a PDF with a copy of what was submitted
(content, budget with totals, attachments, the time in Copenhagen), kept as the organisation's
document and e-mailed to the person who submitted it.

Also the names of the budget categories and attachment kinds, which the form, the pages and
the receipt share.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import audit, db, mail
from portal.labels import label
from portal.models import (
    BudgetCategory,
    Document,
    GrantApplication,
    Institution,
    OwnerType,
    ProjectKind,
    User,
)
from portal.money import kroner, line_total, units_text
from portal.services import documents, grant_round_admin
from portal.services.grant_rounds import local

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PURPOSE = "grant_application_receipt"
CONTENT_TYPE = "application/pdf"

# Declared in documents.GENERATED_PURPOSES with the other files the portal makes.

BUDGET_CATEGORIES: dict[str, Any] = {
    BudgetCategory.SALARIES.value: _l("Løn og honorarer"),
    BudgetCategory.VOLUNTEER_EXPENSES.value: _l("Frivilliges udgifter"),
    BudgetCategory.ACTIVITIES.value: _l("Aktiviteter og materialer"),
    BudgetCategory.PREMISES.value: _l("Lokaler"),
    BudgetCategory.COMMUNICATION.value: _l("Kommunikation og formidling"),
    BudgetCategory.ADMINISTRATION.value: _l("Administration og revision"),
    BudgetCategory.OTHER.value: _l("Andet"),
}

# Kinds a round may require (GrantRound.required_attachments); an unknown kind is shown as
# it is stored. "other" is any further attachment.
OTHER_KIND = "other"
# The kinds a round can require (one list, the round admin's), plus "other".
ATTACHMENT_KINDS: dict[str, Any] = {
    **grant_round_admin.ATTACHMENT_KINDS,
    OTHER_KIND: _l("Andet bilag"),
}


def category_label(category: str) -> Any:
    return BUDGET_CATEGORIES.get(category, category)


def kind_label(kind: str) -> Any:
    return ATTACHMENT_KINDS.get(kind, kind.replace("_", " "))


def project_kind_label(value: str | None) -> str:
    """The name of a project kind as stored in a copy ("" for a copy made before there
    were project kinds)."""
    if not value:
        return ""
    try:
        return label(ProjectKind(value))
    except ValueError:
        return value


class ReceiptError(Exception):
    """The receipt could not be stored; the message is for the user."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


def _copy_for_print(application: GrantApplication) -> dict[str, Any]:
    """The submitted copy with names and amounts ready to print."""
    copy = dict(application.submitted_copy or {})
    ids = [uuid.UUID(i) for i in copy.get("institution_ids", ())]
    names = (
        db.session.scalars(
            select(Institution.name).where(Institution.id.in_(ids)).order_by(Institution.name)
        ).all()
        if ids
        else []
    )
    lines = []
    for line in copy.get("budget", ()):
        total = line_total(Decimal(line["units"]), line["unit_price_ore"])
        lines.append(
            {
                **line,
                "category_label": category_label(line["category"]),
                "units_text": units_text(Decimal(line["units"])),
                "requested_ore": total - line["own_financing_ore"] - line["other_financing_ore"],
            }
        )
    attachments = []
    for item in copy.get("attachments", ()):
        document = db.session.get(Document, uuid.UUID(item["document_id"]))
        attachments.append(
            {
                "kind": kind_label(item["kind"]),
                "name": document.original_name if document else "",
                "sha256": document.sha256 if document else "",
            }
        )
    return {
        **copy,
        "institutions": names,
        "project_kind_label": project_kind_label(copy.get("project_kind")),
        "lines": lines,
        "attachment_rows": attachments,
        "period_start": date.fromisoformat(copy["period_start"])
        if copy.get("period_start")
        else None,
        "period_end": date.fromisoformat(copy["period_end"]) if copy.get("period_end") else None,
    }


def render_pdf(application: GrantApplication, language: str) -> bytes:
    """The receipt as PDF (A4, "Side X af Y"), in ``language``."""
    assert application.submitted_at is not None
    with force_locale(language):
        html = render_template(
            "grant_applications/receipt_pdf.html",
            application=application,
            copy=_copy_for_print(application),
            submitted_local=local(application.submitted_at),
            kroner=kroner,
            language=language,
        )
    from weasyprint import HTML  # heavy to load; only receipts need it

    return HTML(string=html).write_pdf()


def file_name(application: GrantApplication) -> str:
    assert application.submitted_at is not None
    day = local(application.submitted_at).date().isoformat()
    return f"kvittering-ansoegning-{day}.pdf"


def issue_receipt(application: GrantApplication, user: User, language: str) -> Document:
    """Make the receipt of a just-submitted application, store it as the organisation's
    document, record it on the application, and e-mail it to ``user`` (the submitter).

    Raises ReceiptError if the store cannot be reached; the caller's transaction then rolls
    back, so no application is submitted without its receipt.
    """
    data = render_pdf(application, language)
    name = file_name(application)
    try:
        document = documents.store_bytes(
            data,
            name=name,
            owner_type=OwnerType.ORGANISATION,
            owner_id=application.organisation_id,
            purpose=PURPOSE,
            uploaded_by=None,
            description=str(_l("Kvittering for ansøgning om tilskud")),
        )
    except documents.UploadError as error:
        raise ReceiptError(error.message) from error
    application.receipt_document_id = document.id
    db.session.flush()
    audit.record(
        "grant_application.receipt_issued",
        object_type="document",
        object_id=document.id,
        details={"application_id": str(application.id), "sha256": document.sha256},
    )
    _mail_receipt(application, user, language, (name, CONTENT_TYPE, data))
    return document


def _mail_receipt(
    application: GrantApplication, user: User, language: str, attachment: mail.Attachment
) -> None:
    mail.send_template(
        user.email,
        "grant_application_receipt",
        language=language,
        attachments=(attachment,),
        name=user.name,
        organisation=application.organisation.name,
        title=application.title,
        round=application.round.name_for(language),
        submitted=local(application.submitted_at) if application.submitted_at else None,
        requested=kroner(application.requested_ore),
        link=mail.external_url("grant_applications.application", application_id=application.id),
    )
