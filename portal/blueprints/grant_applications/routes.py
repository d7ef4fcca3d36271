"""Applications to the grant pool: the organisation's list of applications, starting one,
and the application page (the draft's form with its budget, or the sent application read-only)
with saving. The attachments (``attachment_routes``), checking and sending
(``submit_routes``) and the answer to a grant (``answer_routes``) join ``bp`` from their own
modules and use this page's helpers.

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
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import audit, db
from portal.auth.permissions import (
    can_edit_application,
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
    form_data,
)
from portal.blueprints.grant_rounds import presentation
from portal.labels import STATE_TAGS
from portal.models import (
    ApplicationState,
    Document,
    GrantApplication,
    Institution,
    Role,
    User,
)
from portal.money import kroner
from portal.services import (
    activities,
    documents,
    grant_applications,
    grant_budget,
    grant_receipts,
)
from portal.services.grant_application_errors import ApplicationConflict, ApplicationError
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


def template_helpers() -> dict[str, Any]:
    return {
        "local_time": local_time,
        "line_values": grant_budget.values_of,
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
    return render_template(
        "grant_applications/index.html",
        organisation=organisation,
        others=organisation_choice.other_organisations(organisation),
        org_args=org_args,
        applications=grant_applications.of_organisation(organisation),
        rounds_link=url_for("grant_rounds.published"),
        state_tags=STATE_TAGS,
        **template_helpers(),
    )


# --- the application page --------------------------------------------------------------------


def institutions(application: GrantApplication) -> list[Institution]:
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
        preview = grant_budget.application_totals(application)
    upload = context.pop("upload", None) or AttachmentForm()
    upload.prepare(application.round, max_mb(), documents.accepted_formats(ATTACHMENT_PURPOSE))
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
        **template_helpers(),
        **context,
    ), status


def _preview_totals(form: ApplicationForm) -> grant_budget.Totals | None:
    """The totals of what is in the form (None while a line cannot be read)."""
    try:
        return grant_budget.totals(form.budget())
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


def edit_form(application: GrantApplication, extra_line: bool = False) -> ApplicationForm:
    form = ApplicationForm(formdata=None, data=form_data(application))
    if extra_line or not form.lines.entries:
        form.lines.append_entry()
    return form


def max_mb() -> int:
    return current_app.config["PORTAL"]["MAX_UPLOAD_MB"]  # type: ignore[no-any-return]


@bp.get("/ansoegninger/<uuid:application_id>")
@roles_required(*STAFF, *READERS)
def application(application_id: uuid.UUID) -> tuple[str, int]:
    application = get_application_or_404(application_id)
    if can_edit_application(current(), application):
        form = edit_form(application, extra_line=request.args.get("ny_linje") == "1")
        form.prepare(institutions(application))
        return application_page(application, form)
    return application_page(application, None)


@bp.post("/ansoegninger/<uuid:application_id>")
@roles_required(*STAFF)
def save(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_application_or_404(application_id)
    if not is_staff(application):
        abort(403)
    if not can_edit_application(current(), application):
        return read_only_refusal(application)
    form = ApplicationForm()
    form.prepare(institutions(application))
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


def read_only_refusal(application: GrantApplication) -> tuple[str, int]:
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
