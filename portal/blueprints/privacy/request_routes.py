"""The DPO's pages for data-subject requests: the list by deadline, the registration of a
letter or e-mail, and one request with its facts, deadline, history and the forms of the steps
that can be taken now (the access export and the erasure have their own).

Every step's form carries the version the DPO saw: a step on a page gone stale is refused (409)
with the page as it is now; invalid input is a 400 with the page and what was typed.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import get_subject_request_or_404, roles_required
from portal.blueprints.privacy.request_forms import (
    ACTION_FORMS,
    AnswerForm,
    EraseForm,
    ExportForm,
    ExtendForm,
    IdentityForm,
    LinkForm,
    NewRequestForm,
    RefuseForm,
    RequestFilterForm,
    StartForm,
)
from portal.blueprints.privacy.routes import bp
from portal.labels import STATE_TAGS, label
from portal.models import (
    DataSubjectRequest,
    Role,
    SubjectRequestChannel,
    SubjectRequestState,
    User,
)
from portal.services import subject_request_queries, subject_requests
from portal.services.accounts import find_user_by_email
from portal.services.workflow import ConflictError, WorkflowError

DONE: dict[str, Any] = {
    "check_identity": _l("Identiteten er registreret som kontrolleret."),
    "link_account": _l("Anmodningen er knyttet til personens konto."),
    "start": _l("Behandlingen er begyndt."),
    "extend": _l("Fristen er forlænget, og personen har fået besked med begrundelsen."),
    "answer": _l("Anmodningen er besvaret, og personen har fået svaret."),
    "refuse": _l("Anmodningen er afvist, og personen har fået begrundelsen."),
}


def current() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _names(ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return dict(rows.tuples().all())


# --- the list --------------------------------------------------------------------------------


@bp.get("/databeskyttelse/anmodninger")
@roles_required(Role.DPO)
def requests() -> str:
    form = RequestFilterForm(formdata=request.args)
    state, open_only = form.chosen()
    found = subject_request_queries.request_list(state, open_only=open_only)
    return render_template(
        "privacy/requests.html",
        form=form,
        requests=found,
        state=state,
        open_only=open_only,
        today=subject_request_queries.today(),
        deadline_flag=subject_request_queries.deadline_flag,
        days_left=subject_request_queries.days_left,
        state_tags=STATE_TAGS,
        label=label,
    )


# --- registering a letter or an e-mail ---------------------------------------------------------


@bp.route("/databeskyttelse/anmodninger/ny", methods=["GET", "POST"])
@roles_required(Role.DPO)
def new_request() -> Response | tuple[str, int]:
    if request.method == "GET":
        form = NewRequestForm(formdata=None, received_on=subject_request_queries.today())
        return render_template("privacy/request_new.html", form=form), 200
    form = NewRequestForm()
    if not form.validate_on_submit():
        return render_template("privacy/request_new.html", form=form), 400
    try:
        created = subject_requests.create_request(
            form.chosen_kind(),
            form.description.data or "",
            name=form.name.data or "",
            email=form.email.data or "",
            channel=form.chosen_channel(),
            actor=current(),
            received_on=form.received_on.data,
        )
    except WorkflowError as error:
        form.form_errors.append(error.message)
        return render_template("privacy/request_new.html", form=form), 400
    flash(
        _("Anmodningen er registreret. Kontrollér personens identitet som det første."), "success"
    )
    return redirect(url_for("privacy.request", request_id=created.id))


# --- one request -----------------------------------------------------------------------------


def _step_forms(subject_request: DataSubjectRequest) -> dict[str, Any]:
    """A fresh form for every step that belongs to the request's state."""
    version = subject_request.version
    forms: dict[str, Any] = {}
    opts = subject_requests.options(subject_request)
    if "check_identity" in opts:
        note = ""
        if subject_request.channel == SubjectRequestChannel.PORTAL:
            note = _("Sendt fra personens egen konto, som personen var logget ind på.")
        forms["check_identity"] = IdentityForm(
            formdata=None, version=version, text=note, email=_suggested_account(subject_request)
        )
    if (
        subject_request.subject_user_id is None
        and subject_request.identity_checked_at is not None
        and subject_request_queries.is_open(subject_request)
    ):
        forms["link_account"] = LinkForm(
            formdata=None, version=version, email=_suggested_account(subject_request)
        )
    for action, form_class in (
        ("start", StartForm),
        ("extend", ExtendForm),
        ("answer", AnswerForm),
        ("refuse", RefuseForm),
    ):
        if action in opts:
            forms[action] = form_class(formdata=None, version=version)
    if subject_requests.can_make_export(subject_request) is None:
        forms["export"] = ExportForm(formdata=None, version=version)
    if subject_requests.can_erase(subject_request) is None:
        forms["erase"] = EraseForm(formdata=None, version=version)
    return forms


def _suggested_account(subject_request: DataSubjectRequest) -> str:
    """The request's e-mail address when an account has it (the DPO still confirms)."""
    if subject_request.subject_user_id is not None or not subject_request.subject_email:
        return ""
    user = find_user_by_email(subject_request.subject_email)
    return user.email if user is not None else ""


def _render(
    subject_request: DataSubjectRequest,
    *,
    posted: tuple[str, Any] | None = None,
    problem: Any = None,
    conflict: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    """The request's page; after a refused POST with that form's input and the reason."""
    forms = _step_forms(subject_request)
    if posted is not None:
        action, form = posted
        if conflict:
            # A new try must be based on what the DPO now sees.
            form.version.data = subject_request.version
            form.version.raw_data = [str(subject_request.version)]
        if action in forms:
            forms[action] = form
        elif problem is None:
            # A form posted for a step the request no longer offers.
            problem = _("Det kan ikke lade sig gøre nu. Se anmodningens status herunder.")
    history = subject_request_queries.history(subject_request)
    user = subject_request_queries.subject_user(subject_request)
    plan = None
    plan_problem = None
    if "erase" in forms:
        plan = subject_requests.erasure_plan(subject_request)
    elif subject_request.kind.value == "erasure" and not subject_request_queries.erasure_applied(
        subject_request
    ):
        plan_problem = subject_requests.can_erase(subject_request)
    error_form = next((f for f in forms.values() if f.errors or f.form_errors), None)
    return render_template(
        "privacy/request.html",
        subject_request=subject_request,
        subject_user=user,
        forms=forms,
        options=subject_requests.options(subject_request),
        export_problem=subject_requests.can_make_export(subject_request)
        if subject_request.kind.value == "access"
        else None,
        export_document=subject_request_queries.export_document(subject_request),
        plan=plan,
        plan_problem=plan_problem,
        erased=subject_request_queries.erasure_applied(subject_request),
        posted_action=posted[0] if posted else None,
        error_form=error_form,
        problem=problem,
        conflict=conflict,
        today=subject_request_queries.today(),
        days_left=subject_request_queries.days_left(subject_request),
        flag=subject_request_queries.deadline_flag(subject_request),
        latest_extension=subject_request_queries.latest_extension(subject_request),
        history=list(reversed(history)),
        history_labels=subject_request_queries.EVENT_LABELS,
        state_labels={state.value: label(state) for state in SubjectRequestState},
        names=_names(
            {e.actor_id for e in history}
            | {subject_request.identity_checked_by_id, subject_request.created_by_id}
        ),
        state_tags=STATE_TAGS,
        label=label,
    ), status


def _reloaded(request_id: uuid.UUID) -> DataSubjectRequest:
    """After a rollback: the request as it is stored now."""
    db.session.rollback()
    db.session.expire_all()
    return get_subject_request_or_404(request_id)  # type: ignore[no-any-return]


@bp.get("/databeskyttelse/anmodninger/<uuid:request_id>", endpoint="request")
@roles_required(Role.DPO)
def request_page(request_id: uuid.UUID) -> tuple[str, int]:
    return _render(get_subject_request_or_404(request_id))


@bp.post("/databeskyttelse/anmodninger/<uuid:request_id>/<action>")
@roles_required(Role.DPO)
def request_act(request_id: uuid.UUID, action: str) -> Response | tuple[str, int]:
    subject_request = get_subject_request_or_404(request_id)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        abort(404)
    form = form_class()
    if not form.validate_on_submit():
        return _render(subject_request, posted=(action, form), status=400)
    try:
        if action == "link_account":
            subject_requests.link_account(
                subject_request,
                form.email.data or "",
                current(),
                expected_version=form.version.data,
            )
        else:
            subject_requests.apply(
                subject_request,
                action,
                current(),
                text=form.text.data or "" if "text" in form else "",
                expected_version=form.version.data,
                due_on=form.due_on.data if isinstance(form, ExtendForm) else None,
                link_email=form.email.data or "" if isinstance(form, IdentityForm) else "",
            )
    except ConflictError as error:
        return _render(
            _reloaded(request_id),
            posted=(action, form),
            problem=error.message,
            conflict=True,
            status=409,
        )
    except WorkflowError as error:
        return _render(subject_request, posted=(action, form), problem=error.message, status=400)
    flash(str(DONE[action]), "success")
    return redirect(url_for("privacy.request", request_id=subject_request.id))


@bp.post("/databeskyttelse/anmodninger/<uuid:request_id>/udtraek")
@roles_required(Role.DPO)
def request_export(request_id: uuid.UUID) -> Response | tuple[str, int]:
    subject_request = get_subject_request_or_404(request_id)
    form = ExportForm()
    if not form.validate_on_submit():
        return _render(subject_request, posted=("export", form), status=400)
    try:
        subject_requests.make_export(subject_request, current(), expected_version=form.version.data)
    except ConflictError as error:
        return _render(
            _reloaded(request_id),
            posted=("export", form),
            problem=error.message,
            conflict=True,
            status=409,
        )
    except subject_requests.ExportFailed as error:
        # Nothing of a half-made export is kept.
        return _render(_reloaded(request_id), problem=error.message, status=503)
    except WorkflowError as error:
        return _render(subject_request, posted=("export", form), problem=error.message, status=400)
    flash(
        _("Udtrækket er lavet og ligger hos personen. Svar nu personen, så de kan hente det."),
        "success",
    )
    return redirect(url_for("privacy.request", request_id=subject_request.id, _anchor="udtraek"))


@bp.post("/databeskyttelse/anmodninger/<uuid:request_id>/slet")
@roles_required(Role.DPO)
def request_erase(request_id: uuid.UUID) -> Response | tuple[str, int]:
    subject_request = get_subject_request_or_404(request_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return _render(subject_request, posted=("erase", form), status=400)
    try:
        subject_requests.apply_erasure(
            subject_request, current(), expected_version=form.version.data
        )
    except ConflictError as error:
        return _render(
            _reloaded(request_id),
            posted=("erase", form),
            problem=error.message,
            conflict=True,
            status=409,
        )
    except WorkflowError as error:
        return _render(subject_request, posted=("erase", form), problem=error.message, status=400)
    flash(
        _(
            "Det, der må slettes, er slettet. Svar nu personen og skriv, hvad der er beholdt og hvorfor."
        ),
        "success",
    )
    return redirect(url_for("privacy.request", request_id=subject_request.id, _anchor="sletning"))
