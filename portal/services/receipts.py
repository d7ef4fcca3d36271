"""The receipt of a signing: a PDF with every text signed and its evidence, kept in storage as
the volunteer's document and sent to them by e-mail."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal import audit, db, mail
from portal.models import Document, OwnerType, Signature, User, Volunteer
from portal.services import documents
from portal.services.volunteer_status import COPENHAGEN

# WeasyPrint logs every rendering step at INFO; the receipts' own audit entries say enough.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PURPOSE = "signature_receipt"
CONTENT_TYPE = "application/pdf"


class ReceiptError(Exception):
    """The receipt could not be stored; the message is for the volunteer."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


def render_pdf(volunteer: Volunteer, signatures: list[Signature], language: str) -> bytes:
    """The receipt as PDF (A4, "Side X af Y"), in ``language``."""
    with force_locale(language):
        html = render_template(
            "signing/receipt_pdf.html",
            volunteer=volunteer,
            signatures=signatures,
            language=language,
            local_time=_local_time,
        )
    # Imported here: WeasyPrint is heavy to load, and only this needs it.
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def _local_time(moment: datetime) -> str:
    """The time in Copenhagen with its UTC offset; the UTC value is printed beside it."""
    return moment.astimezone(COPENHAGEN).strftime("%d.%m.%Y %H:%M:%S %z")


def file_name(signatures: list[Signature]) -> str:
    day = signatures[0].signed_at.astimezone(COPENHAGEN).date().isoformat()
    return f"kvittering-underskrift-{day}.pdf"


def issue_receipt(
    volunteer: Volunteer, user: User, signatures: list[Signature], language: str
) -> Document:
    """Make the receipt of ``signatures`` (one signing act), store it as the volunteer's own
    document, point each signature to it, and e-mail it to the volunteer.

    Raises ReceiptError if the store cannot be reached; the caller's transaction then rolls
    back, so no signature exists without its receipt.
    """
    data = render_pdf(volunteer, signatures, language)
    name = file_name(signatures)
    try:
        document = documents.store_bytes(
            data,
            name=name,
            owner_type=OwnerType.USER,
            owner_id=user.id,
            purpose=PURPOSE,
            uploaded_by=None,
            description=str(_l("Kvittering for underskrift")),
        )
    except documents.UploadError as error:
        raise ReceiptError(error.message) from error
    for signature in signatures:
        signature.receipt_document_id = document.id
    db.session.flush()
    audit.record(
        "signature.receipt_issued",
        object_type="document",
        object_id=document.id,
        details={
            "volunteer_id": str(volunteer.id),
            "signatures": [str(s.id) for s in signatures],
            "sha256": document.sha256,
        },
    )
    mail.send_template(
        volunteer.email,
        "signature_receipt",
        language=language,
        attachments=((name, CONTENT_TYPE, data),),
        name=volunteer.name,
        organisation=volunteer.organisation.name,
        titles=[s.declaration_version.title_for(language) for s in signatures],
        signed_at=signatures[0].signed_at,
        link=mail.external_url("signing.my_page"),
    )
    return document
