"""Activities at institutions: the organisation's list and the deciders' queue.

The proposal form (new and changed) is in ``proposal_routes``, the activity's own page with its
actions and messages in ``activity_routes``; both join this blueprint. Who sees what:

- the organisation's staff: their organisation's activities (staff of several organisations
  choose with ``?organisation=<id>``, as on the volunteer pages);
- the institution's contact people and the area office's caseworkers: the queue of the
  institutions where they decide;
- the admin and the DPO: every activity, read-only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.auth.permissions import roles_required
from portal.blueprints import organisation_choice
from portal.blueprints.activities import listing
from portal.blueprints.activities.forms import FilterForm, QueueFilterForm
from portal.labels import STATE_TAGS
from portal.models import ActivityState, Organisation, Role, User
from portal.pagination import paginate
from portal.services import activities, activity_workflow
from portal.services.volunteer_status import today
from portal.services.workflow import WorkflowError

bp = Blueprint("activities", __name__, url_prefix="/aktiviteter")

STAFF = (Role.NGO_ADMIN, Role.NGO_MEMBER)
DECIDERS = (Role.INSTITUTION_CONTACT, Role.CASEWORKER)
READERS = (Role.ADMIN, Role.DPO)


def current() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


# --- which organisation ----------------------------------------------------------------------


def staff_organisation() -> tuple[Organisation, dict[str, str]]:
    return organisation_choice.staff_organisation("activities")


other_organisations = organisation_choice.other_organisations


# --- the organisation's list ---------------------------------------------------------------------


@bp.get("")
@roles_required(*STAFF, *DECIDERS, *READERS)
def index() -> str | Response:
    user = current()
    staff = bool(user.scopes(Role.NGO_ADMIN) | user.scopes(Role.NGO_MEMBER))
    if not staff and not user.has_role(*READERS):
        return redirect(url_for("activities.queue"))
    form = FilterForm(request.args)
    state = form.chosen_state()
    day = today()
    organisation, org_args, others = None, {}, []
    if staff:
        organisation, org_args = staff_organisation()
        others = other_organisations(organisation)
        query = listing.organisation_activities(organisation, state, day)
    else:
        query = listing.all_activities(state, day)
    page = paginate(query, request.args.get("page", 1, type=int))
    args: dict[str, Any] = {**org_args, **({"state": state.value} if state else {})}
    return render_template(
        "activities/index.html",
        organisation=organisation,
        others=others,
        org_args=org_args,
        may_propose=organisation is not None and proposal_refusal(organisation) is None,
        decider=listing.is_decider(user),
        form=form,
        page=page,
        args=args,
        next_dates={a.id: listing.next_date(a, day) for a in page.items},
        state_tags=STATE_TAGS,
    )


def proposal_refusal(organisation: Organisation) -> Any | None:
    """Why the user cannot propose activities for ``organisation`` now (None when they can)."""
    try:
        activity_workflow.require_staff(current(), organisation)
    except WorkflowError as error:
        return error.message
    return None


# --- the deciders' queue -----------------------------------------------------------------------


@bp.get("/behandling")
@roles_required(*DECIDERS)
def queue() -> str:
    user = current()
    institutions = listing.decidable_institutions(user)
    form = QueueFilterForm(request.args)
    form.prepare(institutions)
    institution_id, state = form.filters()
    page = paginate(
        listing.queue(user, institution_id, state), request.args.get("page", 1, type=int)
    )
    args: dict[str, Any] = {"state": state.value if state else "all"}
    if institution_id is not None:
        args["institution"] = str(institution_id)
    return render_template(
        "activities/queue.html",
        form=form,
        page=page,
        args=args,
        institutions=institutions,
        # Checked again as now, as when it is decided: a marker for the ones that would fail.
        flagged={
            a.id: bool(activities.problems_now(a))
            for a in page.items
            if a.state == ActivityState.SENT
        },
        state_tags=STATE_TAGS,
    )
