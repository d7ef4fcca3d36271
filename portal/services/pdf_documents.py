"""Letters and receipts the portal makes as PDF: render a template with WeasyPrint in a given
language, and keep the result as a document of the organisation it concerns.

Shared by the grant pool's generated files (the decision letter; the application receipt can
move here too). A store that cannot be reached raises ``documents.UploadError`` with a message
for the user, and nothing is recorded, so the caller's transaction can roll back whole.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import render_template
from flask_babel import force_locale

from portal.models import Document, OwnerType
from portal.services import documents

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

CONTENT_TYPE = "application/pdf"


def render_pdf(template: str, language: str, **context: Any) -> bytes:
    """``template`` rendered in ``language`` and printed to PDF (the template sets the page:
    A4, margins, "Side X af Y")."""
    with force_locale(language):
        html = render_template(template, language=language, **context)
    from weasyprint import HTML  # heavy to load; only generated PDFs need it

    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def store_for_organisation(
    data: bytes, *, name: str, organisation_id: uuid.UUID, purpose: str, description: str
) -> Document:
    """Keep a generated PDF as the organisation's document (``purpose`` must be one of
    ``documents.GENERATED_PURPOSES``). Raises ``documents.UploadError`` when the store fails."""
    return documents.store_bytes(
        data,
        name=name,
        owner_type=OwnerType.ORGANISATION,
        owner_id=organisation_id,
        purpose=purpose,
        uploaded_by=None,
        description=description,
    )
