"""The organisation's answer to a grant and its messages to the grant officers, posted from
the application page (``case`` builds what the page shows of them).

Each form carries the version of the application the user saw, so an answer on a page that
has gone stale is refused (409) instead of answering something else; a refused answer or
message is shown again on the page with what the user typed.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from portal.auth.permissions import can_answer_grant, get_application_or_404, roles_required
from portal.blueprints.grant_applications.forms import AnswerForm, MessageForm
from portal.blueprints.grant_applications.routes import (
    STAFF,
    application_page,
    bp,
    current,
    is_staff,
)
from portal.models import ApplicationState, GrantApplication
from portal.services import grant_answers
from portal.services.workflow import ConflictError, WorkflowError

# What the flash message says after each answer.
DONE: dict[str, Any] = {
    "accept": _l(
        "I har taget imod tilskuddet og betingelserne. Puljens medarbejdere får besked på e-mail."
    ),
    "decline": _l(
        "I har sagt nej tak til tilskuddet. Puljens medarbejdere får begrundelsen på e-mail."
    ),
}


def _refused(
    application: GrantApplication, status: int, problem: Any, **context: Any
) -> Response | tuple[str, int]:
    """The page again with the refused form and what the user typed; a draft (which has
    neither answers nor messages on its page) goes back to its form with the reason."""
    if application.state == ApplicationState.DRAFT:
        flash(str(problem), "error")
        return redirect(
            url_for("grant_applications.application", application_id=application.id), 303
        )
    return application_page(application, None, status, **context)


@bp.post("/ansoegninger/<uuid:application_id>/svar")
@roles_required(*STAFF)
def answer(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_application_or_404(application_id)
    if not can_answer_grant(current(), application):
        abort(403)
    form = AnswerForm()
    form.prepare()
    if not form.validate_on_submit():
        return application_page(application, None, 400, answer_form=form)
    action = form.action.data or ""
    try:
        grant_answers.answer(
            application,
            current(),
            action,
            text=form.text.data or "",
            conditions_accepted=bool(form.conditions_accepted.data),
            expected_version=form.version.data,
        )
    except ConflictError as error:
        application = get_application_or_404(application_id)
        # A new try must be based on what the user now sees.
        form.version.data = application.version
        form.version.raw_data = [str(application.version)]
        return _refused(
            application,
            409,
            error.message,
            answer_form=form,
            answer_problem=error.message,
            answer_conflict=True,
        )
    except WorkflowError as error:
        return _refused(
            application, 400, error.message, answer_form=form, answer_problem=error.message
        )
    flash(str(DONE[action]), "success")
    return redirect(url_for("grant_applications.application", application_id=application.id))


@bp.post("/ansoegninger/<uuid:application_id>/besked")
@roles_required(*STAFF)
def message(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_application_or_404(application_id)
    if not is_staff(application):
        abort(403)
    form = MessageForm()
    if not form.validate_on_submit():
        return application_page(application, None, 400, message_form=form)
    try:
        grant_answers.message(application, current(), form.text.data or "")
    except WorkflowError as error:
        form.text.errors = [error.message]
        return _refused(application, 400, error.message, message_form=form)
    flash(_("Beskeden er sendt til puljens medarbejdere."), "success")
    return redirect(
        url_for("grant_applications.application", application_id=application.id, _anchor="beskeder")
    )
