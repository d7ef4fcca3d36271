"""Applications to the grant pool: the organisation's drafts, budget, attachments and
submission with its receipt.

Who sees what: the organisation's staff write a draft while the round is open (by the server's
clock; after the deadline or once sent the page is read-only whatever the browser sends) and
only its admins send it; grant officers, the admin and the DPO read a sent application.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import audit, db
from portal.auth.permissions import (
    can_edit_application,
    can_submit_application,
    get_application_or_404,
    get_round_or_404,
    roles_required,
)
from portal.blueprints import organisation_choice
from portal.blueprints.grant_applications import case
from portal.blueprints.grant_applications.forms import (
    ApplicationForm,
    AttachmentForm,
    RemoveForm,
    SubmitForm,
    form_data,
)
from portal.blueprints.grant_rounds import presentation
from portal.labels import STATE_TAGS
from portal.models import (
    ApplicationAttachment,
    ApplicationState,
    Document,
    GrantApplication,
    GrantRound,
    Institution,
    OwnerType,
    Role,
    User,
)
from portal.money import kroner
from portal.services import activities, documents, grant_applications, grant_receipts
from portal.services.grant_applications import ApplicationConflict, ApplicationError
from portal.services.grant_rounds import accepting, local, phase

bp = Blueprint("grant_applications", __name__, url_prefix="/tilskud")

STAFF = (Role.NGO_ADMIN, Role.NGO_MEMBER)
READERS = (Role.GRANT_OFFICER, Role.ADMIN, Role.DPO)
ATTACHMENT_PURPOSE = "attachment"


def current() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def is_staff(application: GrantApplication) -> bool:
    user = current()
    return application.organisation_id in user.scopes(Role.NGO_ADMIN) | user.scopes(Role.NGO_MEMBER)


def deadline_text(instant: datetime) -> str:
    """ "fredag den 1. marts 2027 kl. 12.00", in Copenhagen time (the rounds' wording)."""
    day, at = presentation.day_and_time(instant)
    return _("%(day)s kl. %(time)s", day=day, time=at)


def local_time(instant: datetime | None) -> str:
    """An instant as Copenhagen wall-clock time to the second, "01.03.2027 11:59:59"."""
    return local(instant).strftime("%d.%m.%Y %H:%M:%S") if instant else ""


def _template_helpers() -> dict[str, Any]:
    return {
        "local_time": local_time,
        "line_values": grant_applications.values_of,
        "kroner": kroner,
        "deadline_text": deadline_text,
        "category_label": grant_receipts.category_label,
        "kind_label": grant_receipts.kind_label,
        "phase": phase,
    }


# --- starting and listing --------------------------------------------------------------------


@bp.post("/runder/<uuid:round_id>/ansoeg")
@roles_required(*STAFF)
def start(round_id: uuid.UUID) -> Response:
    grant_round = get_round_or_404(round_id)
    organisation, org_args = organisation_choice.staff_organisation("grants")
    try:
        application = grant_applications.start(grant_round, organisation, current())
    except ApplicationError as error:
        flash(str(error.message), "error")
        return redirect(url_for("grant_applications.index", **org_args))
    return redirect(url_for("grant_applications.application", application_id=application.id))


@bp.get("/ansoegninger")
@roles_required(*STAFF)
def index() -> str:
    organisation, org_args = organisation_choice.staff_organisation("grants")
    rows = db.session.scalars(
        select(GrantApplication)
        .join(GrantRound, GrantRound.id == GrantApplication.round_id)
        .where(GrantApplication.organisation_id == organisation.id)
        .order_by(GrantRound.deadline_at.desc())
    ).all()
    return render_template(
        "grant_applications/index.html",
        organisation=organisation,
        others=organisation_choice.other_organisations(organisation),
        org_args=org_args,
        applications=rows,
        rounds_link=url_for("grant_rounds.published"),
        state_tags=STATE_TAGS,
        **_template_helpers(),
    )


# --- the application page --------------------------------------------------------------------


def _institutions(application: GrantApplication) -> list[Institution]:
    """Active institutions, and any chosen earlier that has since been closed."""
    chosen = {uuid.UUID(i) for i in application.institution_ids or ()}
    found = activities.institutions_for(application.organisation)
    known = {i.id for i in found}
    missing = chosen - known
    if missing:
        found += list(db.session.scalars(select(Institution).where(Institution.id.in_(missing))))
    return found


def application_page(
    application: GrantApplication,
    form: ApplicationForm | None,
    status: int = 200,
    **context: Any,
) -> tuple[str, int]:
    """The application: the form while it may be edited, otherwise read-only."""
    editable = form is not None
    names = {
        str(i.id): i.name
        for i in db.session.scalars(
            select(Institution).where(
                Institution.id.in_([uuid.UUID(i) for i in application.institution_ids or ()])
            )
        )
    }
    if form is not None:
        preview = _preview_totals(form)
    else:
        preview = grant_applications.application_totals(application)
    upload = context.pop("upload", None) or AttachmentForm()
    upload.prepare(application.round, _max_mb(), documents.accepted_formats(ATTACHMENT_PURPOSE))
    attachment_documents = {
        d.id: d
        for d in db.session.scalars(
            select(Document).where(
                Document.id.in_([a.document_id for a in application.attachments])
            )
        )
    }
    answer_form = context.pop("answer_form", None)
    message_form = context.pop("message_form", None)
    if application.state != ApplicationState.DRAFT:
        context = {
            **case.context(
                application, current(), answer_form=answer_form, message_form=message_form
            ),
            **context,
        }
    return render_template(
        "grant_applications/application.html",
        application=application,
        form=form,
        editable=editable,
        staff=is_staff(application),
        accepting=accepting(application.round),
        totals=preview,
        line_totals=_line_totals(form) if form is not None else None,
        institution_names=[names[i] for i in application.institution_ids or () if i in names],
        upload=upload,
        remove_form=RemoveForm(),
        attachment_documents=attachment_documents,
        receipt=db.session.get(Document, application.receipt_document_id)
        if application.receipt_document_id
        else None,
        **_template_helpers(),
        **context,
    ), status


def _preview_totals(form: ApplicationForm) -> grant_applications.Totals | None:
    """The totals of what is in the form (None while a line cannot be read)."""
    try:
        return grant_applications.totals(form.budget())
    except (ValueError, ArithmeticError):
        return None


def _line_totals(form: ApplicationForm) -> list[int | None]:
    totals: list[int | None] = []
    for entry in form.lines.entries:
        try:
            totals.append(None if entry.form.is_empty() else entry.form.values().total_ore)
        except (ValueError, ArithmeticError):
            totals.append(None)
    return totals


def _edit_form(application: GrantApplication, extra_line: bool = False) -> ApplicationForm:
    form = ApplicationForm(formdata=None, data=form_data(application))
    if extra_line or not form.lines.entries:
        form.lines.append_entry()
    return form


def _max_mb() -> int:
    return current_app.config["PORTAL"]["MAX_UPLOAD_MB"]  # type: ignore[no-any-return]


@bp.get("/ansoegninger/<uuid:application_id>")
@roles_required(*STAFF, *READERS)
def application(application_id: uuid.UUID) -> tuple[str, int]:
    application = get_application_or_404(application_id)
    if can_edit_application(current(), application):
        form = _edit_form(application, extra_line=request.args.get("ny_linje") == "1")
        form.prepare(_institutions(application))
        return application_page(application, form)
    return application_page(application, None)


@bp.post("/ansoegninger/<uuid:application_id>")
@roles_required(*STAFF)
def save(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_application_or_404(application_id)
    if not is_staff(application):
        abort(403)
    if not can_edit_application(current(), application):
        return _read_only_refusal(application)
    form = ApplicationForm()
    form.prepare(_institutions(application))
    if not form.validate_on_submit():
        return application_page(application, form, 400)
    try:
        grant_applications.save(
            application,
            current(),
            form.content(),
            form.budget(),
            expected_version=form.version.data,
        )
    except ApplicationConflict as error:
        # What was typed stays; a new save is based on the application as it is now.
        db.session.rollback()
        application = get_application_or_404(application_id)
        form.version.data = application.version
        form.version.raw_data = [str(application.version)]
        return application_page(application, form, 409, conflict=error.message)
    except ApplicationError as error:
        target = getattr(form, error.field or "", None)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, error.message]
        else:
            form.form_errors.append(error.message)
        return application_page(application, form, 400)
    if form.add_line.data:
        return redirect(
            url_for(
                "grant_applications.application",
                application_id=application.id,
                ny_linje="1",
                _anchor="budget",
            )
        )
    flash(_("Ansøgningen er gemt."), "success")
    anchor = "budget" if form.removed_index() is not None else None
    return redirect(
        url_for("grant_applications.application", application_id=application.id, _anchor=anchor)
    )


def _read_only_refusal(application: GrantApplication) -> tuple[str, int]:
    """A change to an application that may no longer be changed: nothing is saved."""
    audit.record(
        "grant_application.change_refused",
        object_type="grant_application",
        object_id=application.id,
        details={"state": application.state.value},
    )
    message = (
        _("Ansøgningen er sendt og kan ikke ændres.")
        if application.state != ApplicationState.DRAFT
        else _("Ansøgningsfristen er passeret. Ansøgningen kan ikke ændres eller sendes.")
    )
    return application_page(application, None, 409, refusal=message)


# --- attachments -----------------------------------------------------------------------------


@bp.post("/ansoegninger/<uuid:application_id>/bilag")
@roles_required(*STAFF)
def upload_attachment(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_application_or_404(application_id)
    if not is_staff(application):
        abort(403)
    if not can_edit_application(current(), application):
        return _read_only_refusal(application)
    upload = AttachmentForm()
    upload.prepare(application.round, _max_mb(), documents.accepted_formats(ATTACHMENT_PURPOSE))

    def again(status: int) -> tuple[str, int]:
        form = _edit_form(application)
        form.prepare(_institutions(application))
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
    application.attachments.append(
        ApplicationAttachment(document_id=document.id, kind=upload.kind.data or "")
    )
    db.session.flush()
    audit.record(
        "grant_application.attachment_added",
        object_type="grant_application",
        object_id=application.id,
        details={"document_id": str(document.id), "kind": upload.kind.data},
    )
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
    application.attachments.remove(attachment)
    db.session.flush()
    # The document itself stays among the organisation's documents.
    audit.record(
        "grant_application.attachment_removed",
        object_type="grant_application",
        object_id=application.id,
        details={"document_id": str(attachment.document_id), "kind": attachment.kind},
    )
    flash(_("Bilaget er fjernet fra ansøgningen."), "success")
    return redirect(
        url_for(
            "grant_applications.application", application_id=application.id, _anchor="attachments"
        )
    )


# --- check and submit ------------------------------------------------------------------------


def _check_page(
    application: GrantApplication, form: SubmitForm, status: int = 200, **context: Any
) -> tuple[str, int]:
    found = context.pop("problems", None)
    if found is None:
        found = grant_applications.problems(application)
    names = [
        i.name
        for i in db.session.scalars(
            select(Institution)
            .where(Institution.id.in_([uuid.UUID(i) for i in application.institution_ids or ()]))
            .order_by(Institution.name)
        )
    ]
    return render_template(
        "grant_applications/check.html",
        application=application,
        form=form,
        problems=found,
        may_submit=bool(can_submit_application(current(), application)),
        totals=grant_applications.application_totals(application),
        institution_names=names,
        attachment_labels=[grant_receipts.kind_label(a.kind) for a in application.attachments],
        **_template_helpers(),
        **context,
    ), status


@bp.get("/ansoegninger/<uuid:application_id>/indsend")
@roles_required(*STAFF)
def check(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_application_or_404(application_id)
    if not is_staff(application):
        abort(403)
    if application.state != ApplicationState.DRAFT:
        return redirect(url_for("grant_applications.application", application_id=application.id))
    return _check_page(application, SubmitForm(data={"version": application.version}))


@bp.post("/ansoegninger/<uuid:application_id>/indsend")
@roles_required(*STAFF)
def submit(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_application_or_404(application_id)
    if not is_staff(application):
        abort(403)
    if not can_submit_application(current(), application):
        abort(403)
    form = SubmitForm()
    if not form.validate_on_submit():
        return _check_page(application, form, 400)
    try:
        found = grant_applications.submit(
            application, current(), expected_version=form.version.data
        )
    except ApplicationConflict as error:
        db.session.rollback()
        application = get_application_or_404(application_id)
        form = SubmitForm(formdata=None, data={"version": application.version})
        return _check_page(application, form, 409, conflict=error.message)
    except ApplicationError as error:
        form.form_errors.append(error.message)
        return _check_page(application, form, 409)
    if found:
        return _check_page(application, form, 400, problems=found)
    try:
        grant_receipts.issue_receipt(application, current(), str(get_locale() or "da"))
    except grant_receipts.ReceiptError as error:
        db.session.rollback()
        application = get_application_or_404(application_id)
        form = SubmitForm(formdata=None, data={"version": application.version})
        return _check_page(application, form, 503, receipt_error=error.message)
    flash(
        _(
            "Ansøgningen er sendt. Kvitteringen er sendt til %(email)s og ligger på siden her.",
            email=current().email,
        ),
        "success",
    )
    return redirect(url_for("grant_applications.application", application_id=application.id))
