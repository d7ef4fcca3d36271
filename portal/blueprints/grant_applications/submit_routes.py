"""Checking and sending a draft: the check page lists what still stops the application
(any of the organisation's staff may look), and only its admins send it; the receipt is made
and mailed in the same request, or nothing is sent.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import can_submit_application, get_application_or_404, roles_required
from portal.blueprints.grant_applications.forms import SubmitForm
from portal.blueprints.grant_applications.routes import (
    STAFF,
    bp,
    current,
    is_staff,
    template_helpers,
)
from portal.models import ApplicationState, GrantApplication, Institution
from portal.services import grant_budget, grant_receipts, grant_submission
from portal.services.grant_application_errors import ApplicationConflict, ApplicationError


def _check_page(
    application: GrantApplication, form: SubmitForm, status: int = 200, **context: Any
) -> tuple[str, int]:
    found = context.pop("problems", None)
    if found is None:
        found = grant_submission.problems(application)
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
        totals=grant_budget.application_totals(application),
        institution_names=names,
        attachment_labels=[grant_receipts.kind_label(a.kind) for a in application.attachments],
        **template_helpers(),
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
        found = grant_submission.submit_with_receipt(
            application,
            current(),
            str(get_locale() or "da"),
            expected_version=form.version.data,
        )
    except ApplicationConflict as error:
        db.session.rollback()
        application = get_application_or_404(application_id)
        form = SubmitForm(formdata=None, data={"version": application.version})
        return _check_page(application, form, 409, conflict=error.message)
    except ApplicationError as error:
        form.form_errors.append(error.message)
        return _check_page(application, form, 409)
    except grant_receipts.ReceiptError as error:
        db.session.rollback()
        application = get_application_or_404(application_id)
        form = SubmitForm(formdata=None, data={"version": application.version})
        return _check_page(application, form, 503, receipt_error=error.message)
    if found:
        return _check_page(application, form, 400, problems=found)
    flash(
        _(
            "Ansøgningen er sendt. Kvitteringen er sendt til %(email)s og ligger på siden her.",
            email=current().email,
        ),
        "success",
    )
    return redirect(url_for("grant_applications.application", application_id=application.id))
