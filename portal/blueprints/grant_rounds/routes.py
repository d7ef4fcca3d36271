"""Grant rounds: the grant officer's pages to open and run a round, and the published rounds
as organisations read them.

- /tilskud: every logged-in user sees the rounds that are announced or open, with description,
  criteria, pool, maximum and deadline; NGO staff get a button to apply (the application pages
  are ``grant_applications``).
- /tilskud/runder: the grant officer's list of all rounds with their phase, the round's page,
  new and edit (drafts only) and publish. The admin and the DPO read these pages; only grant
  officers change anything.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal import db
from portal.auth.permissions import (
    can_manage_rounds,
    get_round_or_404,
    login_required,
    roles_required,
)
from portal.blueprints.grant_rounds import presentation
from portal.blueprints.grant_rounds.forms import PublishForm, RoundForm
from portal.db import utcnow
from portal.models import GrantRound, Organisation, OrganisationState, Role, User
from portal.money import kroner
from portal.services import grant_applications, grant_round_admin, grant_rounds, volunteers
from portal.services.grant_rounds import Phase, RoundError

bp = Blueprint("grant_rounds", __name__, url_prefix="/tilskud")

OFFICERS = (Role.GRANT_OFFICER,)
READERS = (Role.GRANT_OFFICER, Role.ADMIN, Role.DPO)
APPLY_ENDPOINT = "grant_applications.start"


def current() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _common() -> dict[str, Any]:
    return {
        "kroner": kroner,
        "deadline_sentence": presentation.deadline_sentence,
        "opening_sentence": presentation.opening_sentence,
        "short": presentation.short,
        "phase_of": presentation.phase_of,
        "attachment_kinds": grant_round_admin.ATTACHMENT_KINDS,
    }


# --- the published rounds (everyone logged in) ------------------------------------------------


def _apply_choices(grant_round: GrantRound, organisations: list[Organisation]) -> list[Any]:
    """For each of the user's approved organisations: (organisation, its application or None)."""
    return [
        (organisation, grant_applications.find_draft(grant_round, organisation))
        for organisation in organisations
        if organisation.state == OrganisationState.APPROVED
    ]


@bp.get("")
@login_required
def published() -> str:
    now = utcnow()
    rounds = grant_rounds.open_rounds(now)
    user = current()
    organisations = volunteers.staff_organisations(user)
    can_apply = APPLY_ENDPOINT in current_app.view_functions
    return render_template(
        "grant_rounds/published.html",
        rounds=rounds,
        phases={r.id: grant_rounds.phase(r, now) for r in rounds},
        open_phase=Phase.OPEN,
        choices={r.id: _apply_choices(r, organisations) for r in rounds} if can_apply else {},
        staff=bool(organisations),
        several=len(organisations) > 1,
        apply_endpoint=APPLY_ENDPOINT,
        can_apply=can_apply,
        officer=user.has_role(*READERS),
        **_common(),
    )


# --- the officer's list and the round's page ---------------------------------------------------


@bp.get("/runder")
@roles_required(*READERS)
def index() -> str:
    rounds = db.session.scalars(
        select(GrantRound).order_by(GrantRound.deadline_at.desc(), GrantRound.name_da)
    ).all()
    return render_template(
        "grant_rounds/index.html",
        rounds=rounds,
        now=utcnow(),
        manager=bool(can_manage_rounds(current())),
        **_common(),
    )


def _round_page(grant_round: GrantRound, form: PublishForm | None, status: int) -> Any:
    reviewer_ids = [r.user_id for r in grant_round.reviewers]
    reviewers = (
        db.session.scalars(select(User).where(User.id.in_(reviewer_ids)).order_by(User.name)).all()
        if reviewer_ids
        else []
    )
    is_draft = grant_round.state.value == "draft"
    return render_template(
        "grant_rounds/round.html",
        grant_round=grant_round,
        reviewers=reviewers,
        manager=bool(can_manage_rounds(current())),
        is_draft=is_draft,
        problems=grant_rounds.publishing_problems(grant_round) if is_draft else [],
        required_labels=[
            str(grant_round_admin.ATTACHMENT_KINDS.get(kind, kind))
            for kind in grant_round.required_attachments or ()
        ],
        form=form or PublishForm(formdata=None, version=grant_round.version),
        now=utcnow(),
        **_common(),
    ), status


@bp.get("/runder/<uuid:round_id>")
@roles_required(*READERS)
def round_page(round_id: uuid.UUID) -> Any:
    return _round_page(get_round_or_404(round_id), None, 200)


@bp.post("/runder/<uuid:round_id>/offentliggoer")
@roles_required(*OFFICERS)
def publish(round_id: uuid.UUID) -> Any:
    grant_round = get_round_or_404(round_id)
    form = PublishForm()
    if not form.validate_on_submit():
        return _round_page(grant_round, form, 400)
    stale = form.version.data != grant_round.version
    try:
        grant_rounds.publish(grant_round, current(), expected_version=form.version.data)
    except RoundError as error:
        if stale or grant_round.version != form.version.data:
            # Someone changed the round since the page was shown: show it as it is now.
            form = PublishForm(formdata=None, version=grant_round.version)
            form.form_errors.append(error.message)
            return _round_page(grant_round, form, 409)
        form.form_errors.append(error.message)
        return _round_page(grant_round, form, 400)
    flash(
        _(
            "Runden er offentliggjort. %(opening)s. %(deadline)s.",
            opening=presentation.opening_sentence(grant_round),
            deadline=presentation.deadline_sentence(grant_round),
        ),
        "success",
    )
    return redirect(url_for("grant_rounds.round_page", round_id=grant_round.id))


# --- new and edit --------------------------------------------------------------------------------


def _form_page(template: str, form: RoundForm, status: int, **context: Any) -> Any:
    return render_template(template, form=form, **context, **_common()), status


@bp.route("/runder/ny", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def new() -> Any:
    form = RoundForm() if _posted() else RoundForm(formdata=None)
    form.prepare(grant_round_admin.reviewer_candidates())

    def page(status: int) -> Any:
        return _form_page("grant_rounds/new.html", form, status)

    if not _posted() or form.rubric_action():
        return page(200)
    if not form.validate_on_submit():
        return page(400)
    values = form.values()
    problems = grant_round_admin.problems(values)
    if problems:
        form.show(problems)
        return page(400)
    grant_round = grant_round_admin.create(values, current())
    flash(_("Runden er gemt som kladde. Den er ikke synlig for organisationerne endnu."), "success")
    return redirect(url_for("grant_rounds.round_page", round_id=grant_round.id))


@bp.route("/runder/<uuid:round_id>/ret", methods=["GET", "POST"])
@roles_required(*OFFICERS)
def edit(round_id: uuid.UUID) -> Any:
    grant_round = get_round_or_404(round_id)
    if grant_round.state.value != "draft":
        flash(_("Runden er offentliggjort og kan ikke længere ændres."), "error")
        return redirect(url_for("grant_rounds.round_page", round_id=grant_round.id))
    form = RoundForm() if _posted() else RoundForm.of(grant_round)
    form.prepare(grant_round_admin.reviewer_candidates())
    context: dict[str, Any] = {"grant_round": grant_round, "conflict": None}

    def page(status: int) -> Any:
        return _form_page("grant_rounds/edit.html", form, status, **context)

    if not _posted() or form.rubric_action():
        return page(200)
    if not form.validate_on_submit():
        return page(400)
    if form.version.data is None:
        form.form_errors.append(_("Siden mangler rundens version. Genindlæs siden."))
        return page(400)
    values = form.values()
    problems = grant_round_admin.problems(values)
    if problems:
        form.show(problems)
        return page(400)
    try:
        grant_round_admin.update(grant_round, values, current(), expected_version=form.version.data)
    except RoundError as error:
        # What is typed stays; saving again is based on the round as it is now.
        db.session.refresh(grant_round)
        form.keep_version(grant_round.version)
        context["conflict"] = error.message
        return page(409)
    flash(_("Ændringerne er gemt."), "success")
    return redirect(url_for("grant_rounds.round_page", round_id=grant_round.id))


def _posted() -> bool:
    return request.method == "POST"
