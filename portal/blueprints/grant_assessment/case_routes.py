"""One sent application on the officers' side: what was submitted (content, budget with
totals, attachments), screening (pass, or reject with a reason), the decision (granted,
partly granted, refused; within the pool; with the decision letter), messages to the
organisation, and the history.

Every form carries the version the officer saw: a decision on a page gone stale is refused
(409) with the page as it is now, and what the officer typed stays in the form. A letter that
cannot be stored rolls the whole decision back (503). The admin and the DPO see the page
without forms.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import (
    can_assess_application,
    get_assessed_application_or_404,
    roles_required,
)
from portal.blueprints.grant_assessment.forms import (
    SCREEN_ACTIONS,
    DecisionForm,
    MessageForm,
    ScreenForm,
)
from portal.blueprints.grant_assessment.routes import (
    OFFICERS,
    READERS,
    bp,
    current,
    template_helpers,
)
from portal.labels import GRANT_EVENT_LABELS, label
from portal.models import (
    ApplicationState,
    Document,
    GrantApplication,
    Institution,
    User,
)
from portal.services import (
    grant_applications,
    grant_decisions,
    grant_letters,
    grant_overview,
    grant_receipts,
    grant_workflow,
)
from portal.services.grant_decisions import DecisionValues
from portal.services.grant_rounds import local
from portal.services.workflow import ConflictError, WorkflowError

DONE: dict[str, Any] = {
    "screen_pass": _l(
        "Ansøgningen opfylder de formelle krav og går videre til bedømmelse. Organisationen får besked på e-mail."
    ),
    "screen_reject": _l(
        "Ansøgningen er afvist ved screening. Organisationen får begrundelsen på e-mail."
    ),
}
# Where the follow-up of an accepted grant lives (the grant_followup part).
FOLLOWUP_STATES = (ApplicationState.ACCEPTED, ApplicationState.CLOSED)


def _names(ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return dict(rows.tuples().all())


def _documents(ids: list[uuid.UUID | None]) -> dict[uuid.UUID, Document]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(wanted)))}


def _render(
    application: GrantApplication,
    *,
    screen_posted: ScreenForm | None = None,
    decision_form: DecisionForm | None = None,
    message_form: MessageForm | None = None,
    problem: Any = None,
    conflict: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    """The case page; after a refused POST with that form's input and the reason."""
    user = current()
    officer = bool(can_assess_application(user, application))
    actions = {t.action for t in grant_workflow.available(user, application)}
    screen_forms = {
        action: screen_posted
        if screen_posted is not None and screen_posted.action.data == action
        else ScreenForm.for_action(action, application.version)
        for action in SCREEN_ACTIONS
        if action in actions
    }
    if conflict:
        # A new try must be based on what the officer now sees.
        for form in (screen_posted, decision_form):
            if form is not None:
                form.version.data = application.version
                form.version.raw_data = [str(application.version)]
    deciding = "decide" in actions
    if deciding and decision_form is None:
        decision_form = DecisionForm(formdata=None, version=application.version)
        decision_form.prepare(application.requested_ore)
    history = grant_workflow.history(application)
    documents = _documents(
        [
            application.decision_letter_document_id,
            application.receipt_document_id,
            *(a.document_id for a in application.attachments),
        ]
    )
    institutions = list(
        db.session.scalars(
            select(Institution.name)
            .where(Institution.id.in_([uuid.UUID(i) for i in application.institution_ids or ()]))
            .order_by(Institution.name)
        )
    )
    error_form = next(
        (f for f in (screen_posted, decision_form, message_form) if f is not None and f.errors),
        None,
    )
    return render_template(
        "grant_assessment/case.html",
        application=application,
        officer=officer,
        screen_forms=screen_forms,
        posted_action=screen_posted.action.data if screen_posted is not None else None,
        decision_form=decision_form if deciding else None,
        message_form=message_form or MessageForm(formdata=None),
        error_form=error_form,
        problem=problem,
        conflict=conflict,
        remaining_ore=grant_decisions.remaining_ore(application.round),
        totals=grant_applications.application_totals(application),
        line_values=grant_applications.values_of,
        category_label=grant_receipts.category_label,
        kind_label=grant_receipts.kind_label,
        institutions=institutions,
        documents=documents,
        history=list(reversed(history)),
        history_labels=GRANT_EVENT_LABELS,
        state_labels={state.value: label(state) for state in ApplicationState},
        names=_names(
            {e.actor_id for e in history} | {application.decided_by_id, application.screened_by_id}
        ),
        local=local,
        score=grant_overview.score_of(application),
        scores_link=url_for("grant_reviews.scores", application_id=application.id),
        followup_link=url_for("grant_followup.grant", application_id=application.id)
        if application.state in FOLLOWUP_STATES
        else None,
        audited=grant_letters.needs_audited_accounts(application),
        **template_helpers(),
    ), status


def _reloaded(application_id: uuid.UUID) -> GrantApplication:
    """After a rollback: the application as it is stored now."""
    db.session.rollback()
    return get_assessed_application_or_404(application_id)


@bp.get("/ansoegninger/<uuid:application_id>/behandling")
@roles_required(*READERS)
def case(application_id: uuid.UUID) -> tuple[str, int]:
    return _render(get_assessed_application_or_404(application_id))


@bp.post("/ansoegninger/<uuid:application_id>/behandling")
@roles_required(*OFFICERS)
def act(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_assessed_application_or_404(application_id)
    form = ScreenForm()
    form.prepare()
    if not form.validate_on_submit():
        return _render(application, screen_posted=form, status=400)
    action = form.action.data or ""
    try:
        grant_workflow.apply(
            application,
            action,
            current(),
            text=form.text.data or "",
            expected_version=form.version.data,
        )
    except ConflictError as error:
        application = _reloaded(application_id)
        return _render(
            application, screen_posted=form, problem=error.message, conflict=True, status=409
        )
    except WorkflowError as error:
        return _render(application, screen_posted=form, problem=error.message, status=400)
    flash(str(DONE[action]), "success")
    return redirect(url_for("grant_assessment.case", application_id=application.id))


@bp.post("/ansoegninger/<uuid:application_id>/afgoerelse")
@roles_required(*OFFICERS)
def decide(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_assessed_application_or_404(application_id)
    form = DecisionForm()
    form.prepare(application.requested_ore)
    if not form.validate_on_submit():
        return _render(application, decision_form=form, status=400)
    values = DecisionValues(
        decision=form.chosen(),
        amount_ore=form.amount.ore or 0,
        conditions=form.conditions.data or "",
        reason=form.reason.data or "",
    )
    try:
        # The letter is the record's: in Danish, whoever decides.
        grant_decisions.decide(
            application, current(), values, expected_version=form.version.data, language="da"
        )
    except ConflictError as error:
        application = _reloaded(application_id)
        return _render(
            application, decision_form=form, problem=error.message, conflict=True, status=409
        )
    except grant_letters.LetterError as error:
        application = _reloaded(application_id)
        return _render(
            application,
            decision_form=form,
            problem=_(
                "Afgørelsen er ikke truffet, fordi afgørelsesbrevet ikke kunne gemmes: %(reason)s",
                reason=error.message,
            ),
            status=503,
        )
    except WorkflowError as error:
        form.form_errors.append(error.message)
        return _render(application, decision_form=form, status=400)
    flash(
        _(
            "Afgørelsen er truffet. Afgørelsesbrevet er sendt til organisationen og ligger under ansøgningen."
        ),
        "success",
    )
    return redirect(url_for("grant_assessment.case", application_id=application.id))


@bp.post("/ansoegninger/<uuid:application_id>/behandling/besked")
@roles_required(*OFFICERS)
def message(application_id: uuid.UUID) -> Response | tuple[str, int]:
    application = get_assessed_application_or_404(application_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render(application, message_form=form, status=400)
    try:
        grant_workflow.post_message(application, current(), form.text.data or "")
    except WorkflowError as error:
        form.text.errors = [error.message]
        return _render(application, message_form=form, status=400)
    flash(_("Beskeden er sendt til organisationen."), "success")
    return redirect(
        url_for("grant_assessment.case", application_id=application.id, _anchor="beskeder")
    )
