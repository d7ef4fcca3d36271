"""The grant officers' assessment: a round's sent applications with the pool at the top and
the round's steps, the round's overview (figures and charts), and the CSV export. The case
page of one application (screening, decision, messages) is in ``case_routes``.

Grant officers act; the admin and the DPO read the same pages without the forms, and the role
gate answers 403 to them on every POST. Everyone else gets 403.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import can_manage_rounds, get_round_or_404, roles_required
from portal.blueprints.grant_assessment.forms import StateFilterForm, StepForm
from portal.blueprints.grant_rounds import presentation
from portal.csv_export import csv_response
from portal.db import utcnow
from portal.labels import STATE_TAGS, label
from portal.models import GrantRound, Role, RoundState, User
from portal.money import kroner
from portal.services import grant_decisions, grant_overview, grant_rounds
from portal.services.workflow import ConflictError, WorkflowError

bp = Blueprint("grant_assessment", __name__, url_prefix="/tilskud")

OFFICERS = (Role.GRANT_OFFICER,)
READERS = (Role.GRANT_OFFICER, Role.ADMIN, Role.DPO)

STEP_DONE: dict[str, Any] = {
    "start_assessment": _l("Bedømmelsen er begyndt. Nu kan ansøgningerne screenes og afgøres."),
    "mark_decided": _l("Runden er markeret som afgjort."),
    "finish": _l("Runden er afsluttet."),
}
STEPS: dict[str, Any] = {
    "start_assessment": grant_decisions.start_assessment,
    "mark_decided": grant_decisions.mark_decided,
    "finish": grant_decisions.finish,
}


def current() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def template_helpers() -> dict[str, Any]:
    return {
        "kroner": kroner,
        "label": label,
        "state_tags": STATE_TAGS,
        "short": presentation.short,
        "phase_of": presentation.phase_of,
        "score_text": grant_overview.score_text,
    }


# --- the round's applications ------------------------------------------------------------------


def _steps(grant_round: GrantRound, now: Any) -> list[str]:
    """The round's steps that may be taken now (the service still decides when posted)."""
    found = grant_rounds.phase(grant_round, now)
    if found == grant_rounds.Phase.CLOSED:
        return ["start_assessment"]
    if grant_round.state == RoundState.IN_ASSESSMENT:
        return ["mark_decided"]
    if grant_round.state == RoundState.DECIDED:
        return ["finish"]
    return []


def _list_page(
    grant_round: GrantRound,
    status: int = 200,
    *,
    step_problem: Any = None,
    conflict: bool = False,
) -> tuple[str, int]:
    form = StateFilterForm(formdata=request.args)
    state = form.chosen_state()
    applications = grant_overview.sent_applications(grant_round, state)
    now = utcnow()
    manager = bool(can_manage_rounds(current()))
    steps = _steps(grant_round, now) if manager else []
    undecided = grant_decisions.undecided(grant_round)
    return render_template(
        "grant_assessment/round_applications.html",
        grant_round=grant_round,
        applications=applications,
        form=form,
        state=state,
        summary=grant_decisions.summary(grant_round),
        scores=grant_overview.mean_scores(applications),
        manager=manager,
        steps=steps,
        step_forms={step: StepForm.for_step(step, grant_round.version) for step in steps},
        undecided=undecided,
        step_problem=step_problem,
        conflict=conflict,
        now=now,
        reviewers_link=url_for("grant_reviews.assignments", round_id=grant_round.id),
        **template_helpers(),
    ), status


@bp.get("/runder/<uuid:round_id>/ansoegninger")
@roles_required(*READERS)
def round_applications(round_id: uuid.UUID) -> tuple[str, int]:
    return _list_page(get_round_or_404(round_id))


@bp.post("/runder/<uuid:round_id>/trin")
@roles_required(*OFFICERS)
def round_step(round_id: uuid.UUID) -> Response | tuple[str, int]:
    grant_round = get_round_or_404(round_id)
    form = StepForm()
    form.prepare()
    if not form.validate_on_submit():
        problem = next(iter(form.step.errors or form.version.errors), None) or _(
            "Trinnet kan ikke tages. Genindlæs siden, og prøv igen."
        )
        return _list_page(grant_round, 400, step_problem=problem)
    step = form.step.data or ""
    try:
        STEPS[step](grant_round, current(), expected_version=form.version.data)
    except ConflictError as error:
        db.session.rollback()
        return _list_page(
            get_round_or_404(round_id), 409, step_problem=error.message, conflict=True
        )
    except WorkflowError as error:
        return _list_page(grant_round, 400, step_problem=error.message)
    flash(str(STEP_DONE[step]), "success")
    return redirect(url_for("grant_assessment.round_applications", round_id=grant_round.id))


# --- the overview and the export -----------------------------------------------------------------


@bp.get("/runder/<uuid:round_id>/overblik")
@roles_required(*READERS)
def overview(round_id: uuid.UUID) -> str:
    grant_round = get_round_or_404(round_id)
    figures = grant_overview.figures(grant_round)
    return render_template(
        "grant_assessment/overview.html",
        grant_round=grant_round,
        figures=figures,
        bar_width=grant_overview.bar_width,
        **template_helpers(),
    )


@bp.get("/runder/<uuid:round_id>/ansoegninger.csv")
@roles_required(*READERS)
def export_csv(round_id: uuid.UUID) -> Response:
    grant_round = get_round_or_404(round_id)
    header, rows = grant_overview.csv_rows(grant_round)
    grant_overview.record_export(grant_round, current(), len(rows))
    day = utcnow().date().isoformat()
    return csv_response(f"tilskud-ansoegninger-{day}.csv", header, rows)
