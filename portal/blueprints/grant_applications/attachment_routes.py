"""The draft's attachments: uploading a file as one of the round's attachment kinds, and
taking an attachment off again (the organisation's staff, while the draft may be edited).

A refused upload shows the application page again with the upload form and its message.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal.auth.permissions import can_edit_application, get_application_or_404, roles_required
from portal.blueprints.grant_applications.forms import AttachmentForm, RemoveForm
from portal.blueprints.grant_applications.routes import (
    ATTACHMENT_PURPOSE,
    STAFF,
    application_page,
    bp,
    current,
    edit_form,
    institutions,
    is_staff,
    max_mb,
    read_only_refusal,
)
from portal.models import OwnerType
from portal.services import documents, grant_applications, grant_receipts


@bp.post("/ansoegninger/<uuid:application_id>/bilag")
@roles_required(*STAFF)
def upload_attachment(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_application_or_404(application_id)
    if not is_staff(application):
        abort(403)
    if not can_edit_application(current(), application):
        return read_only_refusal(application)
    upload = AttachmentForm()
    upload.prepare(application.round, max_mb(), documents.accepted_formats(ATTACHMENT_PURPOSE))

    def again(status: int) -> tuple[str, int]:
        form = edit_form(application)
        form.prepare(institutions(application))
        return application_page(application, form, status, upload=upload)

    if not upload.validate_on_submit():
        return again(400)
    try:
        document = documents.store(
            request.files.get("file"),  # type: ignore[arg-type]
            owner_type=OwnerType.ORGANISATION,
            owner_id=application.organisation_id,
            purpose=ATTACHMENT_PURPOSE,
            uploaded_by=current(),
            description=str(grant_receipts.kind_label(upload.kind.data or "")),
        )
    except documents.UploadError as error:
        upload.file.errors = [str(error.message)]
        return again(400)
    grant_applications.add_attachment(application, document, upload.kind.data or "", current())
    flash(_("Bilaget er vedhæftet."), "success")
    return redirect(
        url_for(
            "grant_applications.application", application_id=application.id, _anchor="attachments"
        )
    )


@bp.post("/ansoegninger/<uuid:application_id>/bilag/<uuid:attachment_id>/fjern")
@roles_required(*STAFF)
def remove_attachment(application_id: uuid.UUID, attachment_id: uuid.UUID) -> Response:
    application = get_application_or_404(application_id)
    if not is_staff(application):
        abort(403)
    attachment = next((a for a in application.attachments if a.id == attachment_id), None)
    if attachment is None:
        abort(404)
    if not can_edit_application(current(), application) or not RemoveForm().validate_on_submit():
        flash(_("Bilaget kan ikke fjernes nu."), "error")
        return redirect(
            url_for("grant_applications.application", application_id=application.id), 303
        )
    grant_applications.remove_attachment(application, attachment, current())
    flash(_("Bilaget er fjernet fra ansøgningen."), "success")
    return redirect(
        url_for(
            "grant_applications.application", application_id=application.id, _anchor="attachments"
        )
    )
