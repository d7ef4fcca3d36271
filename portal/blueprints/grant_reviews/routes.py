"""Reviews: assigning applications to the round's reviewers, the reviewer's own pages, the
officer's score table.

- /tilskud/runder/<id>/bedoemmere: the round's applications in review against its reviewers
  (grant officers change it; the admin and the DPO read it).
- /tilskud/ansoegninger/<id>/point: the scores side by side (officers, admin, DPO).
- /tilskud/bedoemmelser: the reviewer's own assignments; /tilskud/bedoemmelser/<id> the
  application to read and score, or to declare a conflict of interest on. Another reviewer's
  assignment is a 404; after a declared conflict the page shows nothing of the application.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import (
    can_manage_rounds,
    can_review_application,
    get_assessed_application_or_404,
    get_review_assignment_or_404,
    get_round_or_404,
    roles_required,
)
from portal.blueprints.grant_reviews.content import submitted_content
from portal.blueprints.grant_reviews.forms import (
    AssignmentsForm,
    ConflictForm,
    RoundReviewersForm,
    ScoreForm,
    score_data,
)
from portal.models import (
    ApplicationState,
    Document,
    GrantApplication,
    GrantRound,
    Institution,
    ReviewAssignment,
    Role,
    RoundState,
    User,
)
from portal.money import kroner
from portal.services import grant_receipts, grant_review_board, grant_reviews, grant_round_admin
from portal.services.grant_reviews import ReviewConflict, ReviewError
from portal.services.grant_rounds import RoundError

bp = Blueprint("grant_reviews", __name__, url_prefix="/tilskud")

OFFICERS = (Role.GRANT_OFFICER,)
READERS = (Role.GRANT_OFFICER, Role.ADMIN, Role.DPO)


def current() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _language() -> str:
    return str(get_locale() or "da")


def one_decimal(value: Decimal) -> str:
    """A score in the user's language, always with one decimal ("62,5")."""
    return format_decimal(value, format="#,##0.0")


# --- the officer: who reviews what -----------------------------------------------------------


def _assignments_page(
    grant_round: GrantRound,
    form: AssignmentsForm | None = None,
    status: int = 200,
    reviewers_form: RoundReviewersForm | None = None,
    **context: Any,
) -> tuple[str, int]:
    board = grant_review_board.board(grant_round)
    manager = bool(can_manage_rounds(current()))
    if reviewers_form is None:
        reviewers_form = RoundReviewersForm(
            formdata=None,
            data={
                "reviewers": [str(row.user_id) for row in grant_round.reviewers],
                "version": grant_round.version,
            },
        )
    else:
        reviewers_form.version.data = grant_round.version
    reviewers_form.prepare(grant_round_admin.reviewer_candidates())
    if form is None:
        form = AssignmentsForm(
            formdata=None,
            data={"pairs": board.assigned_pairs, "fingerprint": board.fingerprint},
        )
    else:
        # What the officer ticked stays; saving again is based on the assignments as they
        # are now.
        form.fingerprint.data = board.fingerprint
    form.prepare(board.editable_pairs)
    return render_template(
        "grant_reviews/assignments.html",
        grant_round=grant_round,
        board=board,
        form=form,
        reviewers_form=reviewers_form,
        ticked=set(form.pairs.data or ()),
        manager=manager,
        pair_key=grant_review_board.pair_key,
        status_of=grant_reviews.status_of,
        **context,
    ), status


@bp.route("/runder/<uuid:round_id>/bedoemmere", methods=["GET", "POST"])
@roles_required(*READERS)
def assignments(round_id: uuid.UUID) -> Response | tuple[str, int]:
    grant_round = get_round_or_404(round_id)
    if request.method == "GET":
        return _assignments_page(grant_round)
    if not can_manage_rounds(current()):
        abort(403)
    form = AssignmentsForm()
    form.prepare(grant_review_board.board(grant_round).editable_pairs)
    if not form.validate_on_submit():
        return _assignments_page(grant_round, form, 400)
    try:
        changes = grant_review_board.set_assignments(
            grant_round,
            form.pairs.data or (),
            current(),
            expected_fingerprint=form.fingerprint.data or "",
        )
    except ReviewConflict as error:
        db.session.rollback()
        grant_round = get_round_or_404(round_id)
        return _assignments_page(grant_round, form, 409, conflict=error.message)
    except ReviewError as error:
        db.session.rollback()
        grant_round = get_round_or_404(round_id)
        return _assignments_page(grant_round, form, 400, problem=error.message)
    if changes.added or changes.removed:
        flash(
            _(
                "Fordelingen er gemt: %(added)d tildelt og %(removed)d taget tilbage. De nye bedømmere har fået en e-mail.",
                added=changes.added,
                removed=changes.removed,
            )
            if changes.added
            else _("Fordelingen er gemt: %(removed)d taget tilbage.", removed=changes.removed),
            "success",
        )
    else:
        flash(_("Der var ingen ændringer at gemme."), "info")
    return redirect(url_for("grant_reviews.assignments", round_id=grant_round.id))


@bp.post("/runder/<uuid:round_id>/bedoemmere/runde")
@roles_required(Role.GRANT_OFFICER)
def round_reviewers(round_id: uuid.UUID) -> Response | tuple[str, int]:
    """The round's reviewers, changed while it runs."""
    grant_round = get_round_or_404(round_id)
    form = RoundReviewersForm()
    form.prepare(grant_round_admin.reviewer_candidates())
    if not form.validate_on_submit():
        return _assignments_page(grant_round, reviewers_form=form, status=400)
    try:
        changed = grant_round_admin.set_reviewers(
            grant_round,
            [uuid.UUID(value) for value in form.reviewers.data or ()],
            current(),
            expected_version=form.version.data,
        )
    except RoundError as error:
        db.session.rollback()
        grant_round = get_round_or_404(round_id)
        return _assignments_page(
            grant_round, reviewers_form=form, status=400, problem=error.message
        )
    flash(
        _("Rundens bedømmere er gemt.") if changed else _("Der var ingen ændringer at gemme."),
        "success" if changed else "info",
    )
    return redirect(url_for("grant_reviews.assignments", round_id=grant_round.id))


@bp.get("/ansoegninger/<uuid:application_id>/point")
@roles_required(*READERS)
def scores(application_id: uuid.UUID) -> tuple[str, int]:
    application = get_assessed_application_or_404(application_id)
    return render_template(
        "grant_reviews/scores.html",
        application=application,
        summary=grant_reviews.score_summary(application),
        manager=bool(can_manage_rounds(current())),
        number=one_decimal,
    ), 200


# --- the reviewer ----------------------------------------------------------------------------


@bp.get("/bedoemmelser")
@roles_required(Role.REVIEWER)
def index() -> str:
    return render_template(
        "grant_reviews/index.html",
        rows=grant_reviews.assignments_for(current(), _language()),
    )


def _review_page(
    assignment: ReviewAssignment,
    *,
    form: ScoreForm | None = None,
    conflict_form: ConflictForm | None = None,
    status: int = 200,
    **context: Any,
) -> tuple[str, int]:
    application = db.session.get(GrantApplication, assignment.application_id)
    assert application is not None
    language = _language()
    conflicted = assignment.conflict_declared_at is not None
    if conflicted or not can_review_application(current(), application):
        # Nothing of the application: only that the reviewer declared a conflict.
        return render_template(
            "grant_reviews/review.html",
            assignment=assignment,
            application=application,
            conflicted=True,
            **context,
        ), status
    is_open = (
        application.state == ApplicationState.IN_REVIEW
        and application.round.state == RoundState.IN_ASSESSMENT
    )
    if form is None:
        form = ScoreForm.for_criteria(
            application.round.criteria,
            language,
            formdata=None,
            data={"version": assignment.version, **score_data(assignment.scores)},
        )
    if conflict_form is None:
        conflict_form = ConflictForm(formdata=None, data={"version": assignment.version})
    content = submitted_content(application)
    document_ids = [d for _kind, d, _name in content.attachments if d is not None]
    documents = (
        {d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(document_ids)))}
        if document_ids
        else {}
    )
    institution_ids = []
    for raw in content.institution_ids:
        try:
            institution_ids.append(uuid.UUID(raw))
        except ValueError:
            continue
    institutions = (
        list(
            db.session.scalars(
                select(Institution.name)
                .where(Institution.id.in_(institution_ids))
                .order_by(Institution.name)
            )
        )
        if institution_ids
        else []
    )
    return render_template(
        "grant_reviews/review.html",
        assignment=assignment,
        application=application,
        conflicted=False,
        is_open=is_open,
        content=content,
        documents=documents,
        institutions=institutions,
        form=form,
        conflict_form=conflict_form,
        review_status=grant_reviews.status_of(assignment),
        kroner=kroner,
        line_values=lambda line: line,  # the copy's lines already carry their values
        category_label=grant_receipts.category_label,
        kind_label=grant_receipts.kind_label,
        **context,
    ), status


@bp.route("/bedoemmelser/<uuid:assignment_id>", methods=["GET", "POST"])
@roles_required(Role.REVIEWER)
def review(assignment_id: uuid.UUID) -> Response | tuple[str, int]:
    assignment = get_review_assignment_or_404(assignment_id)
    if request.method == "GET":
        return _review_page(assignment)
    application = db.session.get(GrantApplication, assignment.application_id)
    assert application is not None
    if not can_review_application(current(), application):
        # A declared conflict: nothing is saved, and the page shows nothing of it.
        return _review_page(
            assignment,
            status=403,
            problem=_("Du har erklæret dig inhabil i denne ansøgning og kan ikke give den point."),
        )
    form = ScoreForm.for_criteria(application.round.criteria, _language())
    if not form.validate_on_submit():
        return _review_page(assignment, form=form, status=400)
    try:
        grant_reviews.save_scores(
            assignment,
            current(),
            form.values(),
            complete=bool(form.complete.data),
            expected_version=form.version.data,
        )
    except ReviewConflict as error:
        db.session.rollback()
        assignment = get_review_assignment_or_404(assignment_id)
        form.version.data = assignment.version
        form.version.raw_data = [str(assignment.version)]
        return _review_page(assignment, form=form, status=409, conflict=error.message)
    except ReviewError as error:
        form.show(error.problems)
        if not error.problems:
            form.form_errors.append(error.message)
        return _review_page(assignment, form=form, status=400, problem=error.message)
    if assignment.completed_at is not None and form.complete.data:
        flash(_("Bedømmelsen er gemt og markeret som færdig. Tak."), "success")
        return redirect(url_for("grant_reviews.index"))
    flash(_("Bedømmelsen er gemt."), "success")
    return redirect(url_for("grant_reviews.review", assignment_id=assignment.id))


@bp.post("/bedoemmelser/<uuid:assignment_id>/inhabil")
@roles_required(Role.REVIEWER)
def conflict(assignment_id: uuid.UUID) -> Response | tuple[str, int]:
    assignment = get_review_assignment_or_404(assignment_id)
    form = ConflictForm()
    if assignment.conflict_declared_at is not None:
        return _review_page(assignment, status=409)
    if not form.validate_on_submit():
        return _review_page(assignment, conflict_form=form, status=400)
    try:
        grant_reviews.declare_conflict(
            assignment, current(), form.reason.data or "", expected_version=form.version.data
        )
    except ReviewConflict as error:
        db.session.rollback()
        assignment = get_review_assignment_or_404(assignment_id)
        form.version.data = assignment.version
        form.version.raw_data = [str(assignment.version)]
        return _review_page(assignment, conflict_form=form, status=409, conflict=error.message)
    except ReviewError as error:
        if "reason" in error.problems:
            form.reason.errors = [*form.reason.errors, error.problems["reason"]]
        else:
            form.form_errors.append(error.message)
        return _review_page(assignment, conflict_form=form, status=400)
    flash(
        _(
            "Du har erklæret dig inhabil. Ansøgningen er lukket for dig, og tilskudsmedarbejderne kan se din begrundelse."
        ),
        "success",
    )
    return redirect(url_for("grant_reviews.index"))
