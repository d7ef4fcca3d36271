"""Documents of an organisation: list, upload, download (after the owner's permission check)."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import (
    can_upload_for_organisation,
    get_document_or_404,
    get_organisation_or_404,
    login_required,
)
from portal.blueprints.documents.forms import UploadForm
from portal.models import Document, Organisation, OwnerType
from portal.services import documents, onboarding
from portal.services.workflow import WorkflowError
from portal.storage import StorageError

bp = Blueprint("documents", __name__)


def _render_list(
    organisation: Organisation, form: UploadForm, status: int = 200
) -> tuple[str, int]:
    rows = db.session.scalars(
        select(Document)
        .where(Document.owner_type == OwnerType.ORGANISATION, Document.owner_id == organisation.id)
        .order_by(Document.uploaded_at.desc())
    ).all()
    may_upload = bool(can_upload_for_organisation(current_user, organisation))
    return (
        render_template(
            "documents/organisation.html",
            organisation=organisation,
            documents=rows,
            form=form,
            may_upload=may_upload,
            purposes=documents.PURPOSES,
        ),
        status,
    )


def _max_mb() -> int:
    return current_app.config["PORTAL"]["MAX_UPLOAD_MB"]


@bp.get("/organisationer/<uuid:organisation_id>/dokumenter")
@login_required
def organisation_documents(organisation_id: uuid.UUID) -> tuple[str, int]:
    organisation = get_organisation_or_404(organisation_id)
    return _render_list(organisation, UploadForm(max_mb=_max_mb()))


@bp.post("/organisationer/<uuid:organisation_id>/dokumenter")
@login_required
def organisation_upload(organisation_id: uuid.UUID) -> Response | tuple[str, int]:
    organisation = get_organisation_or_404(organisation_id)
    if not can_upload_for_organisation(current_user, organisation):
        abort(403)
    form = UploadForm(max_mb=_max_mb())
    if not form.validate_on_submit():
        return _render_list(organisation, form, 400)
    try:
        onboarding.ensure_not_suspended(organisation)
    except WorkflowError as error:
        form.file.errors = [str(error.message)]
        return _render_list(organisation, form, 403)
    try:
        documents.store(
            request.files.get("file"),  # type: ignore[arg-type]
            owner_type=OwnerType.ORGANISATION,
            owner_id=organisation.id,
            purpose=form.purpose.data or "",
            uploaded_by=current_user._get_current_object(),
            description=form.description.data or "",
        )
    except documents.UploadError as error:
        form.file.errors = [str(error.message)]
        return _render_list(organisation, form, 400)
    flash(_("Dokumentet er gemt."), "success")
    return redirect(url_for("documents.organisation_documents", organisation_id=organisation.id))


@bp.get("/dokumenter/<uuid:document_id>")
@login_required
def download(document_id: uuid.UUID) -> Response | tuple[str, int]:
    document = get_document_or_404(document_id)
    documents.record_download(document)
    try:
        link = documents.presigned_link(document)
        if link:
            return redirect(link)
        chunks = documents.open_document(document)
    except StorageError as error:
        current_app.logger.error("document %s unavailable: %s", document.id, error)
        return render_template(
            "errors/error.html",
            code=503,
            title=_("Dokumentet kan ikke hentes lige nu"),
            message=_("Vi kan ikke nå vores fillager i øjeblikket. Prøv igen om lidt."),
        ), 503
    return Response(
        chunks,
        mimetype=document.content_type,
        headers={
            "Content-Disposition": documents.content_disposition(document.original_name),
            "Content-Length": str(document.size),
        },
    )
