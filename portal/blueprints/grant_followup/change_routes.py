"""Change requests on a grant: the organisation's admins ask (moving money between budget
lines, a later end of the period, or a change of the activity) and may withdraw while the
request waits; grant officers approve or refuse on the grant's page."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import (
    can_answer_grant,
    get_change_request_or_404,
    get_grant_or_404,
    roles_required,
)
from portal.blueprints.grant_followup.forms import ChangeRequestForm, DecisionForm, VersionForm
from portal.blueprints.grant_followup.routes import (
    OFFICERS,
    bp,
    current,
    grant_url,
    helpers,
    render_grant,
)
from portal.models import (
    ApplicationState,
    ChangeKind,
    GrantApplication,
    GrantChangeRequest,
    Role,
)
from portal.money import kroner_input
from portal.services import grant_changes
from portal.services.workflow import ConflictError, WorkflowError

KINDS = {kind.value: kind for kind in ChangeKind}

DONE: dict[str, Any] = {
    "approve": lambda: _("Ændringen er godkendt. Organisationen får besked på e-mail."),
    "refuse": lambda: _("Ændringen er afvist. Organisationen får begrundelsen på e-mail."),
    "withdraw": lambda: _("Ændringsønsket er trukket tilbage. Puljeforvalteren får besked."),
}


def _application_of(change: GrantChangeRequest) -> GrantApplication:
    application = db.session.get(GrantApplication, change.application_id)
    assert application is not None  # the loader checked it
    return application


def _form_page(
    application: GrantApplication,
    kind: ChangeKind | None,
    form: ChangeRequestForm | None,
    status: int = 200,
    problem: Any = None,
) -> tuple[str, int]:
    open_kinds = grant_changes.open_kinds(application)
    return render_template(
        "grant_followup/change_new.html",
        application=application,
        kind=kind,
        form=form,
        problem=problem,
        kinds=list(ChangeKind),
        open_kinds=open_kinds,
        lines_by_id={str(line.id): line for line in application.budget_lines},
        approved_sum=grant_changes.approved_sum(application),
        **helpers(),
    ), status


def _blank_form(application: GrantApplication, kind: ChangeKind) -> ChangeRequestForm:
    form = ChangeRequestForm(
        formdata=None,
        data={
            "kind": kind.value,
            "lines": [
                {"line_id": str(line.id), "amount": kroner_input(line.approved_ore or 0)}
                for line in application.budget_lines
            ],
        },
    )
    form.prepare(kind.value)
    return form


@bp.route("/ansoegninger/<uuid:application_id>/aendringer/ny", methods=["GET", "POST"])
@roles_required(Role.NGO_ADMIN)
def new_change(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_grant_or_404(application_id)
    if not can_answer_grant(current(), application):
        abort(403)
    if application.state != ApplicationState.ACCEPTED:
        flash(_("Tilskudssagen er lukket, så der kan ikke bedes om ændringer."), "error")
        return redirect(grant_url(application))
    if request.method == "GET":
        kind = KINDS.get(request.args.get("slags", ""))
        form = _blank_form(application, kind) if kind is not None else None
        return _form_page(application, kind, form)
    form = ChangeRequestForm()
    kind = KINDS.get(form.kind.data or "")
    if kind is None:
        return _form_page(application, None, None, 400, _("Vælg, hvad I vil ændre."))
    form.prepare(kind.value)
    if not form.validate_on_submit():
        return _form_page(application, kind, form, 400)
    try:
        grant_changes.request_change(
            application,
            current(),
            kind,
            text=form.text.data or "",
            new_period_end=form.new_period_end.data,
            reallocation=form.reallocation() if kind == ChangeKind.REALLOCATION else None,
        )
    except WorkflowError as error:
        return _form_page(
            application, kind, form, 409 if isinstance(error, ConflictError) else 400, error.message
        )
    flash(_("Ønsket er sendt. Puljeforvalteren får besked og svarer her i portalen."), "success")
    return redirect(grant_url(application, "aendringer"))


@bp.post("/aendringer/<uuid:change_id>/afgoer")
@roles_required(*OFFICERS)
def decide_change(change_id: uuid.UUID) -> Response | tuple[str, int]:
    change = get_change_request_or_404(change_id)
    application = _application_of(change)
    form = DecisionForm()
    form.prepare(f"change-{change.id.hex[:8]}")
    if not form.validate_on_submit() or form.action.data not in ("approve", "refuse"):
        return render_grant(application, posted=form, posted_change=change.id, status=400)
    action = form.action.data
    try:
        grant_changes.decide(
            change,
            application,
            action,
            current(),
            text=form.text.data or "",
            expected_version=form.version.data,
        )
    except ConflictError as error:
        db.session.rollback()
        change = get_change_request_or_404(change_id)
        return render_grant(
            _application_of(change),
            posted=form,
            posted_change=change.id,
            problem=error.message,
            conflict=True,
            status=409,
        )
    except WorkflowError as error:
        return render_grant(
            application, posted=form, posted_change=change.id, problem=error.message, status=400
        )
    flash(DONE[action](), "success")
    return redirect(grant_url(application, "aendringer"))


@bp.post("/aendringer/<uuid:change_id>/traek-tilbage")
@roles_required(Role.NGO_ADMIN)
def withdraw_change(change_id: uuid.UUID) -> Response | tuple[str, int]:
    change = get_change_request_or_404(change_id)
    application = _application_of(change)
    form = VersionForm()
    if not form.validate_on_submit():
        return render_grant(application, problem=_("Genindlæs siden, og prøv igen."), status=400)
    try:
        grant_changes.decide(
            change, application, "withdraw", current(), expected_version=form.version.data
        )
    except ConflictError as error:
        db.session.rollback()
        return render_grant(
            _application_of(get_change_request_or_404(change_id)),
            problem=error.message,
            conflict=True,
            status=409,
        )
    except WorkflowError as error:
        return render_grant(application, problem=error.message, status=400)
    flash(DONE["withdraw"](), "success")
    return redirect(
        url_for("grant_followup.grant", application_id=application.id, _anchor="aendringer")
    )
