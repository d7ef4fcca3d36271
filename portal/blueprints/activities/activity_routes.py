"""One activity's page, for both sides: details, dates, participants (blocked ones marked),
history and messages, and the actions the user may take now (``activity_workflow.available``).

The edits (resend, change) are links to the change form; the other actions are one small form
each, carrying the version the user saw, so a decision on a page that has gone stale is refused
(409) instead of overwriting someone else's.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import get_activity_or_404, roles_required
from portal.blueprints.activities import listing
from portal.blueprints.activities.forms import ActionForm, MessageForm
from portal.blueprints.activities.routes import DECIDERS, READERS, STAFF, bp, current
from portal.labels import ACTIVITY_EVENT_LABELS, STATE_TAGS, label
from portal.models import Activity, ActivityState, MentorHelp, Role, User
from portal.services import activities, activity_workflow
from portal.services.activities import ProposalRefused
from portal.services.activity_workflow import Side
from portal.services.volunteer_status import today
from portal.services.workflow import ConflictError, WorkflowError

# What the flash message says after each action.
DONE: dict[str, Any] = {
    "approve": _l("Aktiviteten er godkendt. Organisationen får besked på e-mail."),
    "request_changes": _l(
        "Organisationen er bedt om at ændre forslaget. Den får besked på e-mail."
    ),
    "refuse": _l("Forslaget er afvist. Organisationen får begrundelsen på e-mail."),
    "withdraw": _l("Forslaget er trukket tilbage. Institutionen får besked på e-mail."),
    "cancel": _l("Aktiviteten er aflyst. Institutionen får besked på e-mail."),
}

HELP_VALUES = frozenset(help_.value for help_ in MentorHelp)


def _names(ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return dict(rows.tuples().all())


def _sides(user: User, activity: Activity) -> list[Side]:
    return [side for side in Side if activity_workflow.side_decision(user, activity, side)]


def _render(
    activity: Activity,
    *,
    posted: ActionForm | None = None,
    message_form: MessageForm | None = None,
    problem: Any = None,
    refused: list[Any] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    """The activity page; after a refused POST, with that form's input and the reason kept."""
    user = current()
    available = activity_workflow.available(user, activity)
    buttons = [t for t in available if not t.edits]
    if posted is not None and conflict:
        # A new try must be based on what the user now sees.
        posted.version.data = activity.version
        posted.version.raw_data = [str(activity.version)]
    forms = {
        t.action: posted
        if posted is not None and posted.action.data == t.action
        else ActionForm.for_action(t.action, activity.version)
        for t in buttons
    }
    kept_text = (posted.text.data or "").strip() if posted is not None else ""
    text_in_form = posted is not None and forms.get(posted.action.data or "") is posted
    sides = _sides(user, activity)
    proposal = activities.proposal_of(activity)
    names = activities.participant_names(proposal, activity.organisation)
    deciding = Side.INSTITUTION in sides and activity.state == ActivityState.SENT
    check = activities.grouped(activities.problems_now(activity), names) if deciding else None
    history = activity_workflow.history(activity)
    day = today()
    dates, dates_problem = listing.days_of(activity, day)
    staff = activity.organisation_id in user.scopes(Role.NGO_ADMIN) | user.scopes(Role.NGO_MEMBER)
    error_form = next((f for f in (posted, message_form) if f is not None and f.errors), None)
    return render_template(
        "activities/activity.html",
        activity=activity,
        buttons=buttons,
        edit=next((t for t in available if t.edits), None),
        forms=forms,
        posted_action=posted.action.data if posted is not None else None,
        kept_text=kept_text,
        text_in_form=text_in_form,
        problem=problem,
        refused=activities.grouped(refused, names) if refused else None,
        conflict=conflict,
        error_form=error_form,
        message_form=message_form or MessageForm(formdata=None),
        may_write=bool(sides),
        writes_to_institution=Side.ORGANISATION in sides,
        check=check,
        dates=dates,
        dates_problem=dates_problem,
        next_date=listing.next_date(activity, day),
        staff=staff,
        block_text=listing.block_text,
        history=list(reversed(history)),
        history_labels=ACTIVITY_EVENT_LABELS,
        state_labels={state.value: label(state) for state in ActivityState},
        mentor_help=[
            label(MentorHelp(value)) for value in activity.mentor_help or () if value in HELP_VALUES
        ],
        names=_names({e.actor_id for e in history} | {activity.decided_by_id}),
        institution_link=url_for("institutions.institution", institution_id=activity.institution_id)
        if "institutions.institution" in current_app.view_functions
        else None,
        state_tags=STATE_TAGS,
    ), status


@bp.get("/<uuid:activity_id>")
@roles_required(*STAFF, *DECIDERS, *READERS)
def activity(activity_id: uuid.UUID) -> tuple[str, int]:
    return _render(get_activity_or_404(activity_id))


@bp.post("/<uuid:activity_id>/handling")
@roles_required(*STAFF, *DECIDERS)
def act(activity_id: uuid.UUID) -> Response | tuple[str, int]:
    activity = get_activity_or_404(activity_id)
    form = ActionForm()
    form.prepare()
    if not form.validate_on_submit():
        return _render(activity, posted=form, status=400)
    action = form.action.data or ""
    try:
        activity_workflow.apply(
            activity,
            action,
            current(),
            text=form.text.data or "",
            expected_version=form.version.data,
        )
    except ConflictError as error:
        return _render(activity, posted=form, problem=error.message, conflict=True, status=409)
    except ProposalRefused as refused:
        return _render(activity, posted=form, refused=refused.problems, status=400)
    except WorkflowError as error:
        return _render(activity, posted=form, problem=error.message, status=400)
    flash(str(DONE[action]), "success")
    return redirect(url_for("activities.activity", activity_id=activity.id))


@bp.post("/<uuid:activity_id>/besked")
@roles_required(*STAFF, *DECIDERS)
def message(activity_id: uuid.UUID) -> Response | tuple[str, int]:
    activity = get_activity_or_404(activity_id)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render(activity, message_form=form, status=400)
    try:
        activity_workflow.post_message(activity, current(), form.text.data or "")
    except WorkflowError as error:
        form.text.errors = [error.message]
        return _render(activity, message_form=form, status=400)
    flash(_("Beskeden er sendt."), "success")
    return redirect(url_for("activities.activity", activity_id=activity.id, _anchor="beskeder"))
