"""The proposal form: a new activity, and a change of one (an answer to a change request, a
correction while it waits, or a change after approval, which goes back for approval).

Three buttons: "Vis afdelinger og regler" reloads the form for the chosen institution (without
JavaScript; static/js/activities.js does it in place), "Tjek forslaget" runs the rules and
saves nothing, and "Send" sends. Whatever is refused is shown with everything typed kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal.auth.permissions import get_activity_or_404, roles_required
from portal.blueprints.activities.proposal_form import ChangeForm, ProposalForm, form_data
from portal.blueprints.activities.routes import (
    STAFF,
    bp,
    current,
    proposal_refusal,
    staff_organisation,
)
from portal.labels import STATE_TAGS, label
from portal.models import (
    Activity,
    ActivityState,
    Institution,
    InstitutionSection,
    Organisation,
    Role,
    Volunteer,
)
from portal.services import activities, activity_workflow, rule_sentences, volunteer_status
from portal.services.activities import ProposalRefused
from portal.services.activity_rules import RuleProblem
from portal.services.workflow import ConflictError, WorkflowError

# Where a problem that names no person points in the form (the field's id).
RULE_TARGETS = {
    "institution": "institution",
    "section": "section",
    "kind": "kind",
    "mentor_help": "mentor_help",
    "title": "title",
    "target_group": "target_group",
    "place": "place",
    "dates": "first_date",
    "times": "start_time",
    "at_least_one_day": "first_date",
    "minimum_notice": "first_date",
    "at_least_one_participant": "participants",
    "max_participants": "participants",
    "participants": "participants",
    "escort_arranged": "escort_arranged",
    "items_allowed": "items",
    "no_phones": "brings_phone",
}


def problem_target(problem: RuleProblem) -> str:
    """The id of the form control a problem is about (a person's own checkbox for theirs)."""
    if problem.volunteer_id is not None:
        prefix = "certificate" if problem.rule == "child_certificate" else "participant"
        return f"{prefix}-{problem.volunteer_id}"
    return RULE_TARGETS.get(problem.rule, "institution")


# --- the form's choices ------------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    """What the form offers and what is chosen in it."""

    institution: Institution | None
    section: InstitutionSection | None
    people: list[Volunteer]


def _prepare(
    form: ProposalForm, organisation: Organisation, extra: Sequence[Volunteer] = ()
) -> Choices:
    """Fill in the form's choices; the chosen institution and section (if valid)."""
    institutions = activities.institutions_for(organisation)
    chosen = next((i for i in institutions if str(i.id) == (form.institution.data or "")), None)
    people = activities.candidates(organisation)
    known = {v.id for v in people}
    # On a change, the participants who may no longer be chosen stay visible (the rules say why).
    people += [v for v in extra if v.id not in known]
    form.prepare(institutions, people, chosen)
    section = None
    if chosen is not None and form.section.data:
        section = next(
            (s for s in chosen.sections if s.active and str(s.id) == form.section.data), None
        )
    return Choices(chosen, section, people)


def _institution_link(institution: Institution | None) -> str | None:
    """The institution's own page (address, visiting hours, contacts), where it exists."""
    if institution is None or "institutions.institution" not in current_app.view_functions:
        return None
    return url_for("institutions.institution", institution_id=institution.id)


def _render(
    template: str, form: ProposalForm, choices: Choices, status: int, **context: Any
) -> tuple[str, int]:
    versions = volunteer_status.current_versions()
    statuses = {v.id: volunteer_status.status_of(v, current=versions) for v in choices.people}
    institution = choices.institution
    rules = activities.rules_for(institution, choices.section) if institution else None
    grouped = context.get("grouped")
    person_problems: dict[str, list[Any]] = {}
    for _name, found in grouped.by_person if grouped else []:
        for problem in found:
            person_problems.setdefault(str(problem.volunteer_id), []).append(problem.message)
    return render_template(
        template,
        form=form,
        institution=institution,
        section=choices.section,
        institution_link=_institution_link(institution),
        rule_lines=rule_sentences.sentences(rules) if rules is not None else [],
        earliest=volunteer_status.today() + timedelta(days=rules.min_notice_days)
        if rules is not None
        else None,
        people=choices.people,
        statuses=statuses,
        person_problems=person_problems,
        target=problem_target,
        state_tags=STATE_TAGS,
        **context,
    ), status


def _checked(
    organisation: Organisation, form: ProposalForm, changing: Activity | None = None
) -> Any:
    """The rules' verdict on the form's proposal, grouped for the reader."""
    proposal = form.proposal()
    found = activities.problems(organisation, proposal, changing=changing)
    return activities.grouped(found, activities.participant_names(proposal, organisation))


def _refused(organisation: Organisation, form: ProposalForm, refused: ProposalRefused) -> Any:
    names = activities.participant_names(form.proposal(), organisation)
    return activities.grouped(refused.problems, names)


def _chosen_by_link() -> dict[str, str]:
    """?institution= (and ?section=) choose the institution in a GET, e.g. from the JavaScript
    that shows the institution's sections and rules without a full reload."""
    if not request.args.get("institution"):
        return {}
    return {
        "institution": request.args.get("institution", ""),
        "section": request.args.get("section", ""),
    }


# --- a new proposal ----------------------------------------------------------------------------


@bp.route("/ny", methods=["GET", "POST"])
@roles_required(*STAFF)
def new() -> Response | tuple[str, int]:
    organisation, org_args = staff_organisation()
    refusal = proposal_refusal(organisation)
    form = ProposalForm(data=_chosen_by_link() if request.method == "GET" else {})
    choices = _prepare(form, organisation)
    context: dict[str, Any] = {
        "organisation": organisation,
        "org_args": org_args,
        "refusal": refusal,
        "grouped": None,
        "checked": False,
    }

    def page(status: int) -> tuple[str, int]:
        return _render("activities/new.html", form, choices, status, **context)

    if request.method == "GET":
        return page(200)
    if refusal is not None:
        return page(400)
    if form.choose.data:
        return page(200)  # only the institution was chosen: nothing is checked yet
    if not form.validate_on_submit():
        return page(400)
    if form.check.data:
        context.update(grouped=_checked(organisation, form), checked=True)
        return page(200)
    try:
        activity = activities.propose(organisation, form.proposal(), current())
    except ProposalRefused as refused:
        context["grouped"] = _refused(organisation, form, refused)
        return page(400)
    except WorkflowError as error:
        form.form_errors.append(error.message)
        return page(400)
    flash(
        _(
            "Forslaget er sendt til %(institution)s. I får besked på e-mail, når det er behandlet.",
            institution=activity.institution.name,
        ),
        "success",
    )
    return redirect(url_for("activities.activity", activity_id=activity.id))


# --- a change ----------------------------------------------------------------------------------


def _edit_transition(activity: Activity) -> activity_workflow.Transition | None:
    return next((t for t in activity_workflow.available(current(), activity) if t.edits), None)


@bp.route("/<uuid:activity_id>/ret", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit(activity_id: uuid.UUID) -> Response | tuple[str, int]:
    activity = get_activity_or_404(activity_id)
    user = current()
    organisation = activity.organisation
    if organisation.id not in user.scopes(Role.NGO_ADMIN) | user.scopes(Role.NGO_MEMBER):
        abort(403)  # a decider who is also staff of another organisation
    transition = _edit_transition(activity)
    if transition is None:
        refusal = proposal_refusal(organisation)
        flash(
            str(refusal)
            if refusal is not None
            else _(
                "Aktiviteten kan ikke ændres, når den har status \u201d%(state)s\u201d.",
                state=label(activity.state),
            ),
            "error",
        )
        return redirect(url_for("activities.activity", activity_id=activity.id))
    if request.method == "GET":
        data = {**form_data(activities.proposal_of(activity)), "version": activity.version}
        data.update(_chosen_by_link())
        form: ChangeForm = ChangeForm(data=data)
    else:
        form = ChangeForm()
    choices = _prepare(form, organisation, [p.volunteer for p in activity.participants])
    context: dict[str, Any] = {
        "organisation": organisation,
        "activity": activity,
        "transition": transition,
        "grouped": None,
        "checked": False,
        "conflict": None,
    }

    def page(status: int) -> tuple[str, int]:
        return _render("activities/edit.html", form, choices, status, **context)

    if request.method == "GET" or form.choose.data:
        return page(200)
    if not form.validate_on_submit():
        return page(400)
    if form.check.data:
        context.update(grouped=_checked(organisation, form, activity), checked=True)
        return page(200)
    was_approved = activity.state == ActivityState.APPROVED
    try:
        activities.change(
            activity,
            form.proposal(),
            user,
            text=form.message.data or "",
            expected_version=form.version.data,
        )
    except ConflictError as error:
        # What is typed stays; a new try is based on what the activity is now.
        form.version.data = activity.version
        form.version.raw_data = [str(activity.version)]
        context["conflict"] = error.message
        return page(409)
    except ProposalRefused as refused:
        context["grouped"] = _refused(organisation, form, refused)
        return page(400)
    except WorkflowError as error:
        form.form_errors.append(error.message)
        return page(400)
    flash(
        _(
            "Ændringen er sendt til institutionen. Aktiviteten skal godkendes igen, før ændringen gælder."
        )
        if was_approved
        else _("Forslaget er rettet og sendt til institutionen igen."),
        "success",
    )
    return redirect(url_for("activities.activity", activity_id=activity.id))
