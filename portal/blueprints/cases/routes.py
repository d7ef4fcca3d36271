"""The area office's side of onboarding: the queue of organisations and the case page.

Every route is for caseworkers, and every case route loads the organisation through
``get_organisation_or_404`` and then requires it to be a case of the caseworker's own area
office: another office's case is a 404, and the attempt is audited.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, func, or_, select
from werkzeug.wrappers import Response

from portal import audit, db
from portal.auth.permissions import get_organisation_or_404, roles_required
from portal.blueprints.cases.forms import (
    NEWEST,
    WAITING,
    CaseActionForm,
    MessageForm,
    ProfileChangeForm,
    QueueFilterForm,
)
from portal.csv_export import csv_response
from portal.db import utcnow
from portal.labels import STATE_TAGS, label
from portal.models import (
    AreaOffice,
    Municipality,
    Organisation,
    OrganisationState,
    Role,
    TermsAcceptance,
    User,
)
from portal.pagination import paginate
from portal.services import documents, onboarding, workflow
from portal.services.dashboards import WAITING_STATES

bp = Blueprint("cases", __name__)

# What the flash message says after each action (hand_over has its own, naming the office).
DONE: dict[str, Any] = {
    "take": _l("Du har taget sagen."),
    "request_information": _l(
        "Organisationen er bedt om flere oplysninger. Den får besked på e-mail."
    ),
    "approve": _l("Organisationen er godkendt. Den får besked på e-mail."),
    "reject": _l("Ansøgningen er afvist. Organisationen får begrundelsen på e-mail."),
    "suspend": _l("Samarbejdet er suspenderet. Organisationen får begrundelsen på e-mail."),
    "reinstate": _l("Samarbejdet er genoptaget. Organisationen får besked på e-mail."),
}

# The history in the past tense, by the event's action.
HISTORY_LABELS: dict[str, Any] = {
    "submit": _l("Ansøgningen blev sendt"),
    "take": _l("Sagen blev taget"),
    "request_information": _l("Områdekontoret bad om flere oplysninger"),
    "answer": _l("Organisationen svarede"),
    "approve": _l("Organisationen blev godkendt"),
    "reject": _l("Ansøgningen blev afvist"),
    "hand_over": _l("Sagen blev overdraget til det andet områdekontor"),
    "suspend": _l("Samarbejdet blev suspenderet"),
    "reinstate": _l("Samarbejdet blev genoptaget"),
    "message": _l("Besked til organisationen"),
    "profile_change_requested": _l("Organisationen bad om at ændre navn eller CVR-nummer"),
    "profile_change_accepted": _l("Ændringen af navn eller CVR-nummer blev godkendt"),
    "profile_change_declined": _l("Ændringen af navn eller CVR-nummer blev afvist"),
}


# --- the queue -------------------------------------------------------------------------------


QUEUE_ARGS = ("q", "status", "sort", "mine")


def _own_office_cases(query: Select[Any]) -> Select[Any]:
    """Only organisations of the caseworker's own area office(s), and only sent ones."""
    return query.where(
        Organisation.area_office_id.in_(current_user.scopes(Role.CASEWORKER)),
        Organisation.state != OrganisationState.DRAFT,
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search(query: Select[Any], filters: dict[str, Any]) -> Select[Any]:
    if filters["q"]:
        text = filters["q"]
        matches = [Organisation.name.ilike(_like(text), escape="\\")]
        digits = text.replace(" ", "")
        if digits.isdigit():
            matches.append(Organisation.cvr.like(_like(digits), escape="\\"))
        query = query.where(or_(*matches))
    if filters["mine"]:
        query = query.where(Organisation.handled_by_id == current_user.id)
    return query


def _queue_query(filters: dict[str, Any]) -> Select[tuple[Organisation]]:
    query = _search(_own_office_cases(select(Organisation)), filters)
    if filters["status"] == WAITING:
        query = query.where(Organisation.state.in_(WAITING_STATES))
    elif filters["status"] in {state.value for state in OrganisationState}:
        query = query.where(Organisation.state == OrganisationState(filters["status"]))
    submitted = Organisation.submitted_at
    order = submitted.desc() if filters["sort"] == NEWEST else submitted.asc()
    return query.order_by(order, Organisation.name, Organisation.id)


def _state_counts(filters: dict[str, Any]) -> dict[OrganisationState, int]:
    """How many of the office's cases are in each state (with the search, not the state filter)."""
    counted = select(Organisation.state, func.count()).group_by(Organisation.state)
    query = _search(_own_office_cases(counted), filters)
    found = dict(db.session.execute(query).tuples().all())
    return {state: found.get(state, 0) for state in OrganisationState if state != "draft"}


def _names(ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(
        db.session.execute(select(User.id, User.name).where(User.id.in_(wanted))).tuples().all()
    )


def _days_waiting(organisation: Organisation, now: datetime) -> int | None:
    if organisation.submitted_at is None:
        return None
    return max(0, (now - organisation.submitted_at).days)


def _offices() -> list[AreaOffice]:
    return list(
        db.session.scalars(
            select(AreaOffice)
            .where(AreaOffice.id.in_(current_user.scopes(Role.CASEWORKER)))
            .order_by(AreaOffice.name)
        )
    )


@bp.get("/sager")
@roles_required(Role.CASEWORKER)
def queue() -> str:
    form = QueueFilterForm(request.args)
    filters = form.filters()
    page = paginate(_queue_query(filters), request.args.get("page", 1, type=int))
    # The filters travel with the page links and the CSV link.
    args = {k: v for k, v in request.args.items() if k in QUEUE_ARGS and v}
    counts = _state_counts(filters)
    form.show_counts(counts)
    now = utcnow()
    return render_template(
        "cases/queue.html",
        form=form,
        filters=filters,
        page=page,
        args=args,
        counts=counts,
        offices=_offices(),
        handlers=_names({o.handled_by_id for o in page.items}),
        days={o.id: _days_waiting(o, now) for o in page.items},
        state_tags=STATE_TAGS,
    )


@bp.get("/sager.csv")
@roles_required(Role.CASEWORKER)
def queue_csv() -> Response:
    filters = QueueFilterForm(request.args).filters()
    cases = list(db.session.scalars(_queue_query(filters)))
    handlers = _names({o.handled_by_id for o in cases})
    audit.record(
        "organisation.exported",
        object_type="organisation",
        details={
            "list": "cases",
            "filter": {k: v for k, v in request.args.items() if k in QUEUE_ARGS and v},
            "count": len(cases),
        },
    )
    now = utcnow()
    rows = (
        (
            o.name,
            o.cvr,
            o.municipality.name,
            o.area_office.name,
            label(o.state),
            o.submitted_at.date().isoformat() if o.submitted_at else "",
            _days_waiting(o, now),
            handlers.get(o.handled_by_id, "") if o.handled_by_id else "",
        )
        for o in cases
    )
    header = [
        _("Organisation"),
        _("CVR-nummer"),
        _("Kommune"),
        _("Områdekontor"),
        _("Status"),
        _("Indsendt"),
        _("Dage siden indsendelse"),
        _("Sagsbehandler"),
    ]
    return csv_response("sager.csv", header, rows)


# --- the case --------------------------------------------------------------------------------


def _case_or_404(organisation_id: uuid.UUID) -> Organisation:
    """The organisation, if it is a sent case of one of the caseworker's own area offices.

    ``get_organisation_or_404`` lets admins, DPOs and grant officers see any organisation; a
    caseworker who also holds such a role still works only on their own office's cases here.
    """
    organisation = get_organisation_or_404(organisation_id)
    own_office = organisation.area_office_id in current_user.scopes(Role.CASEWORKER)
    if not own_office or organisation.state == OrganisationState.DRAFT:
        audit.record_security_event(
            "access.denied",
            object_type="organisation",
            object_id=organisation.id,
            details={"reason": "not a sent case of the caseworker's area office"},
        )
        abort(404)
    return organisation


def _acceptances(organisation: Organisation) -> list[TermsAcceptance]:
    return list(
        db.session.scalars(
            select(TermsAcceptance)
            .where(TermsAcceptance.organisation_id == organisation.id)
            .order_by(TermsAcceptance.accepted_at)
        )
    )


def _other_offices(organisation: Organisation) -> list[AreaOffice]:
    return list(
        db.session.scalars(
            select(AreaOffice)
            .where(AreaOffice.id != organisation.area_office_id)
            .order_by(AreaOffice.name)
        )
    )


def _render_case(
    organisation: Organisation,
    *,
    posted: CaseActionForm | None = None,
    message_form: MessageForm | None = None,
    profile_form: ProfileChangeForm | None = None,
    problem: Any = None,
    conflict: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    """The case page; after a refused POST, with that form's input and the reason kept."""
    user = current_user._get_current_object()
    transitions = [
        t for t in workflow.available(user, organisation) if t.actor == workflow.Actor.CASEWORKER
    ]
    if posted is not None and conflict:
        # A retry must be based on what the caseworker now sees.
        posted.version.data = organisation.version
        posted.version.raw_data = [str(organisation.version)]  # what the input renders
    forms = {}
    for transition in transitions:
        if posted is not None and posted.action.data == transition.action:
            forms[transition.action] = posted
        else:
            forms[transition.action] = CaseActionForm.for_action(
                transition.action, organisation.version
            )
    kept_text = (posted.text.data or "").strip() if posted is not None else ""
    text_in_form = posted is not None and forms.get(posted.action.data or "") is posted
    error_form = next(
        (f for f in (posted, message_form, profile_form) if f is not None and f.errors), None
    )
    history = workflow.history(organisation)
    acceptances = _acceptances(organisation)
    accepted = {a.terms_version_id for a in acceptances}
    names = _names(
        {e.actor_id for e in history}
        | {a.accepted_by_id for a in acceptances}
        | {organisation.handled_by_id}
    )
    return render_template(
        "cases/case.html",
        organisation=organisation,
        transitions=transitions,
        forms=forms,
        message_form=message_form or MessageForm(formdata=None),
        profile_form=profile_form or ProfileChangeForm(formdata=None),
        error_form=error_form,
        problem=problem,
        conflict=conflict,
        kept_text=kept_text,
        text_in_form=text_in_form,
        posted_action=posted.action.data if posted is not None else None,
        documents=onboarding.documents_of(organisation),
        purposes=documents.PURPOSES,
        acceptances=acceptances,
        missing_terms=[t for t in onboarding.current_terms() if t.id not in accepted],
        history=list(reversed(history)),
        history_labels=HISTORY_LABELS,
        names=names,
        other_offices=_other_offices(organisation),
        municipality=db.session.get(Municipality, organisation.municipality_id),
        state_tags=STATE_TAGS,
    ), status


@bp.get("/sager/<uuid:organisation_id>")
@roles_required(Role.CASEWORKER)
def case(organisation_id: uuid.UUID) -> tuple[str, int]:
    return _render_case(_case_or_404(organisation_id))


@bp.post("/sager/<uuid:organisation_id>/handling")
@roles_required(Role.CASEWORKER)
def act(organisation_id: uuid.UUID) -> Response | tuple[str, int]:
    organisation = _case_or_404(organisation_id)
    form = CaseActionForm()
    form.prepare()
    if not form.validate_on_submit():
        return _render_case(organisation, posted=form, status=400)
    action = form.action.data or ""
    try:
        workflow.apply(
            organisation,
            action,
            current_user._get_current_object(),
            text=form.text.data or "",
            expected_version=form.version.data,
        )
    except workflow.ConflictError as error:
        return _render_case(
            organisation, posted=form, problem=error.message, conflict=True, status=409
        )
    except workflow.WorkflowError as error:
        return _render_case(organisation, posted=form, problem=error.message, status=400)
    if action == "hand_over":
        # Named by id: the loaded ``area_office`` relationship still holds the old office.
        office = db.session.get(AreaOffice, organisation.area_office_id)
        office_name = office.name if office else ""
        if organisation.area_office_id not in current_user.scopes(Role.CASEWORKER):
            # The case has left the caseworker's office, and with it their sight.
            flash(
                _(
                    "Sagen om %(organisation)s er overdraget til %(office)s. Den er ikke længere i din kø.",
                    organisation=organisation.name,
                    office=office_name,
                ),
                "success",
            )
            return redirect(url_for("cases.queue"))
        flash(_("Sagen er overdraget til %(office)s.", office=office_name), "success")
    else:
        flash(str(DONE[action]), "success")
    return redirect(url_for("cases.case", organisation_id=organisation.id))


@bp.post("/sager/<uuid:organisation_id>/besked")
@roles_required(Role.CASEWORKER)
def message(organisation_id: uuid.UUID) -> Response | tuple[str, int]:
    organisation = _case_or_404(organisation_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render_case(organisation, message_form=form, status=400)
    try:
        workflow.post_message(
            organisation, current_user._get_current_object(), form.text.data or ""
        )
    except workflow.WorkflowError as error:
        form.text.errors = [error.message]
        return _render_case(organisation, message_form=form, status=400)
    flash(_("Beskeden er sendt til organisationen."), "success")
    return redirect(url_for("cases.case", organisation_id=organisation.id))


@bp.post("/sager/<uuid:organisation_id>/profilaendring")
@roles_required(Role.CASEWORKER)
def profile_change(organisation_id: uuid.UUID) -> Response | tuple[str, int]:
    organisation = _case_or_404(organisation_id)
    form = ProfileChangeForm()
    if not form.validate_on_submit():
        return _render_case(organisation, profile_form=form, status=400)
    accept = form.decision.data == "accept"
    try:
        onboarding.decide_profile_change(
            organisation, current_user._get_current_object(), accept=accept
        )
    except workflow.WorkflowError as error:
        return _render_case(organisation, profile_form=form, problem=error.message, status=400)
    flash(
        _("Ændringen er godkendt og gælder nu. Organisationen får besked på e-mail.")
        if accept
        else _("Ændringen er afvist. Organisationen får besked på e-mail."),
        "success",
    )
    return redirect(url_for("cases.case", organisation_id=organisation.id))
