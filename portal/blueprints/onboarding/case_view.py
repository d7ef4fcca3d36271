"""After sending: the case as the organisation sees it (state, history, messages) and its
answer to a request for more information. Registered on the same blueprint as the steps."""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import get_organisation_or_404, login_required
from portal.blueprints.onboarding.forms import (
    AnswerForm,
)
from portal.blueprints.onboarding.routes import (
    HISTORY_TEXTS,
    STAFF_ONLY_TEXT,
    _is_admin,
    _is_staff,
    _max_mb,
    _user,
    bp,
)
from portal.labels import STATE_TAGS
from portal.models import (
    EventKind,
    Organisation,
    OrganisationState,
    OwnerType,
    User,
)
from portal.services import documents, onboarding, workflow
from portal.services.workflow import ConflictError, WorkflowError

# --- after sending: the case as the organisation sees it -------------------------------------


def _history(organisation: Organisation, staff_view: bool) -> list[dict[str, Any]]:
    events = workflow.history(organisation)
    actor_ids = {e.actor_id for e in events if e.actor_id}
    actors = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))}
        if actor_ids
        else {}
    )
    entries = []
    for event in events:
        key = "answer_text" if event.kind == EventKind.ANSWER else event.action
        entries.append(
            {
                "when": event.created_at,
                "what": HISTORY_TEXTS.get(key, event.action),
                "who": actors.get(event.actor_id) if event.actor_id else None,
                "text": event.text if staff_view or event.action not in STAFF_ONLY_TEXT else "",
            }
        )
    return entries


def _latest_request(organisation: Organisation) -> str:
    requests = [e.text for e in workflow.history(organisation) if e.action == "request_information"]
    return requests[-1] if requests else ""


def _render_status(
    organisation: Organisation, form: AnswerForm | None = None, status: int = 200
) -> tuple[str, int]:
    """The case page. ``form`` carries a refused answer (its errors and text) back."""
    staff = _is_staff(organisation)
    may_answer = staff and organisation.state == OrganisationState.MORE_INFORMATION
    if form is None and may_answer:
        form = AnswerForm(max_mb=_max_mb())
    if form is not None:
        form.show_version(organisation.version)
    return (
        render_template(
            "onboarding/status.html",
            organisation=organisation,
            state_kind=STATE_TAGS.get(organisation.state, "info"),
            history=_history(organisation, staff_view=not staff),
            request_text=_latest_request(organisation),
            documents=onboarding.documents_of(organisation),
            purposes=documents.PURPOSES,
            form=form,
            may_answer=may_answer,
            is_admin=_is_admin(organisation),
            is_staff=staff,
        ),
        status,
    )


@bp.get("/organisationer/<uuid:organisation_id>/sag")
@login_required
def status(organisation_id: uuid.UUID) -> tuple[str, int]:
    return _render_status(get_organisation_or_404(organisation_id))


@bp.post("/organisationer/<uuid:organisation_id>/sag/svar")
@login_required
def answer(organisation_id: uuid.UUID) -> Response | tuple[str, int]:
    organisation = get_organisation_or_404(organisation_id)
    if not _is_staff(organisation):
        abort(403)
    form = AnswerForm(max_mb=_max_mb())
    if not form.validate_on_submit():
        return _render_status(organisation, form, 400)
    upload = form.chosen_file()
    try:
        if upload is not None:
            # Stored first, in the same transaction: if the answer is refused, the file goes too.
            documents.store(
                upload,
                owner_type=OwnerType.ORGANISATION,
                owner_id=organisation.id,
                purpose="attachment",
                uploaded_by=_user(),
            )
        onboarding.answer(organisation, _user(), form.text.data or "", form.version.data)
    except documents.UploadError as error:
        form.file.errors = [str(error.message)]
        return _render_status(organisation, form, 400)
    except ConflictError as error:
        form.form_errors.append(str(error.message))
        return _render_status(organisation, form, 409)
    except WorkflowError as error:
        form.form_errors.append(str(error.message))
        return _render_status(organisation, form, 400)
    flash(_("Jeres svar er sendt til områdekontoret."), "success")
    return redirect(url_for("onboarding.status", organisation_id=organisation.id))
