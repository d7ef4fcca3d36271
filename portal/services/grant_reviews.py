"""Reviewing grant applications: the officer gives applications in review to the round's
reviewers (one at a time here; the whole table at once in ``grant_review_board``), and each
reviewer scores the rubric's criteria or declares a conflict of interest, after which the
application is closed to them for good. The officer reads the scores side by side through
``score_summary`` (``grant_review_scores``).

Reviewers are not named to the organisation: nothing here goes into the application's
history (which the organisation reads); every step is in the audit log.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db, mail
from portal.auth.permissions import can_assess_application
from portal.db import utcnow
from portal.models import (
    ApplicationState,
    GrantApplication,
    GrantRound,
    ReviewAssignment,
    ReviewScore,
    Role,
    RoundState,
    User,
)

# The officer's pages (grant_assessment) read the scores through this module.
from portal.services.grant_review_scores import ScoreSummary as ScoreSummary
from portal.services.grant_review_scores import score_summary as score_summary
from portal.services.workflow import ConflictError, WorkflowError

COMMENT_MAX = 2000
REASON_MAX = 2000

CONFLICT = _l(
    "Bedømmelsen er blevet gemt et andet sted, mens du arbejdede på den (måske i et andet vindue). Det, du skrev, er ikke gemt, men står stadig i formularen. Se efter, og gem igen."
)
ASSIGNMENTS_CONFLICT = _l(
    "En anden har ændret fordelingen af ansøgninger, mens du arbejdede. Intet er gemt. Dine markeringer står stadig herunder; se dem efter, og gem igen."
)
NOT_OPEN = _l(
    "Ansøgningen er ikke længere under bedømmelse, så pointene kan ikke ændres. Det, du har gemt, står, som det var."
)


class ReviewError(WorkflowError):
    """A refused review step. ``problems`` holds the messages the form shows where they
    belong: by criterion id (its score), by (criterion id, "comment") or by field name."""

    def __init__(self, message: Any, problems: Mapping[Any, Any] | None = None) -> None:
        super().__init__(message)
        self.problems: dict[Any, Any] = dict(problems or {})


class ReviewConflict(ReviewError, ConflictError):
    """Someone saved the same assignment (or the round's assignments) meanwhile."""


def _flush(message: Any = CONFLICT) -> None:
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise ReviewConflict(message) from None


def is_reviewer(user: User) -> bool:
    """An active user with the reviewer role (who may be given applications)."""
    return user.active and user.has_role(Role.REVIEWER)


def is_round_reviewer(grant_round: GrantRound, user: User) -> bool:
    return any(row.user_id == user.id for row in grant_round.reviewers)


def round_reviewers(grant_round: GrantRound) -> list[User]:
    """The round's reviewers by name (also those who have since lost the role)."""
    ids = [row.user_id for row in grant_round.reviewers]
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name)))


def find(application: GrantApplication, reviewer: User) -> ReviewAssignment | None:
    return db.session.scalar(
        select(ReviewAssignment).where(
            ReviewAssignment.application_id == application.id,
            ReviewAssignment.reviewer_id == reviewer.id,
        )
    )


# --- the officer: giving applications to reviewers -------------------------------------------


def assign(application: GrantApplication, reviewer: User, actor: User) -> ReviewAssignment:
    """Give the application to one of the round's reviewers (a grant officer, while the
    application is in review). Giving it again to the same reviewer changes nothing and
    returns the assignment there is (with its conflict, if one was declared)."""
    if not can_assess_application(actor, application):
        raise ReviewError(_l("Kun tilskudsmedarbejdere kan fordele ansøgninger til bedømmere."))
    if application.state != ApplicationState.IN_REVIEW:
        raise ReviewError(_l("Kun ansøgninger, der er under bedømmelse, kan gives til bedømmere."))
    if not is_reviewer(reviewer):
        raise ReviewError(_l("%(name)s er ikke bedømmer i portalen.", name=reviewer.name))
    if not is_round_reviewer(application.round, reviewer):
        raise ReviewError(
            _l(
                "%(name)s er ikke bedømmer i denne runde. Vælg blandt rundens bedømmere.",
                name=reviewer.name,
            )
        )
    existing = find(application, reviewer)
    if existing is not None:
        return existing
    assignment = ReviewAssignment(
        application_id=application.id, reviewer_id=reviewer.id, assigned_by_id=actor.id
    )
    db.session.add(assignment)
    _flush(ASSIGNMENTS_CONFLICT)
    audit.record(
        "grant_review.assign",
        object_type="grant_application",
        object_id=application.id,
        details={"assignment": str(assignment.id), "reviewer": str(reviewer.id)},
        actor_id=str(actor.id),
    )
    _tell_reviewer(assignment, application, reviewer)
    return assignment


def _tell_reviewer(
    assignment: ReviewAssignment, application: GrantApplication, reviewer: User
) -> None:
    mail.send_template(
        reviewer.email,
        "grant_review_assigned",
        language=reviewer.language,
        name=reviewer.name,
        title=application.title,
        round=application.round.name_for(reviewer.language),
        link=mail.external_url("grant_reviews.review", assignment_id=assignment.id),
    )


def unassign(assignment: ReviewAssignment, actor: User) -> None:
    """Take the application back from the reviewer (a grant officer), only while it is in
    review, before the reviewer saved any score and unless they declared a conflict (the
    declaration stays on record)."""
    application = _application(assignment)
    if not can_assess_application(actor, application):
        raise ReviewError(_l("Kun tilskudsmedarbejdere kan fordele ansøgninger til bedømmere."))
    if application.state != ApplicationState.IN_REVIEW:
        raise ReviewError(_l("Ansøgningen er ikke længere under bedømmelse."))
    if assignment.conflict_declared_at is not None:
        raise ReviewError(
            _l("Bedømmeren har erklæret sig inhabil. Erklæringen bliver stående på sagen.")
        )
    if assignment.scores:
        raise ReviewError(
            _l("Bedømmeren har allerede givet point, så ansøgningen kan ikke tages tilbage.")
        )
    reviewer_id = assignment.reviewer_id
    db.session.delete(assignment)
    _flush(ASSIGNMENTS_CONFLICT)
    audit.record(
        "grant_review.unassign",
        object_type="grant_application",
        object_id=application.id,
        details={"assignment": str(assignment.id), "reviewer": str(reviewer_id)},
        actor_id=str(actor.id),
    )


def _application(assignment: ReviewAssignment) -> GrantApplication:
    application = db.session.get(GrantApplication, assignment.application_id)
    assert application is not None  # the assignment's foreign key
    return application


# --- the reviewer ----------------------------------------------------------------------------


def _check_own(assignment: ReviewAssignment, actor: User) -> None:
    if assignment.reviewer_id != actor.id or not actor.has_role(Role.REVIEWER):
        raise ReviewError(_l("Det er en anden bedømmers opgave."))


def declare_conflict(
    assignment: ReviewAssignment,
    actor: User,
    reason: str,
    *,
    expected_version: int | None = None,
) -> None:
    """The reviewer declares a conflict of interest (with a reason): from then on they can
    neither see nor score the application; scores saved before are kept but never count.
    The reviewer cannot take it back; the officer may give the application to someone else."""
    _check_own(assignment, actor)
    if assignment.conflict_declared_at is not None:
        raise ReviewError(_l("Du har allerede erklæret dig inhabil i denne ansøgning."))
    application = _application(assignment)
    if application.state != ApplicationState.IN_REVIEW:
        raise ReviewError(
            _l(
                "Ansøgningen er ikke længere under bedømmelse. Skriv til tilskudsmedarbejderne, hvis du har opdaget en interessekonflikt."
            )
        )
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError(
            _l("Skriv, hvorfor du er inhabil, fx at du sidder i organisationens bestyrelse."),
            {"reason": _l("Skriv, hvorfor du er inhabil.")},
        )
    if len(reason) > REASON_MAX:
        message = _l("Skriv højst %(max)d tegn.", max=REASON_MAX)
        raise ReviewError(message, {"reason": message})
    if expected_version is not None and expected_version != assignment.version:
        raise ReviewConflict(CONFLICT)
    assignment.conflict_declared_at = utcnow()
    assignment.conflict_reason = reason
    assignment.completed_at = None
    _flush()
    audit.record(
        "grant_review.conflict",
        object_type="grant_application",
        object_id=application.id,
        details={
            "assignment": str(assignment.id),
            "scores_kept": len(assignment.scores),
        },
        actor_id=str(actor.id),
    )


# The values from the scoring form: per criterion id, (score or None, comment).
ScoreValues = Mapping[uuid.UUID, tuple[int | None, str]]


def save_scores(
    assignment: ReviewAssignment,
    actor: User,
    values: ScoreValues,
    *,
    complete: bool,
    expected_version: int | None = None,
) -> None:
    """Save the reviewer's scores (1..the criterion's scale) and comments (optional, at most
    2000 characters). Only the assigned reviewer without a conflict, only while the
    application is in review and the round in assessment. ``complete`` marks the review as
    done, which needs a score on every criterion of the rubric. Nothing is saved when
    anything is wrong (ReviewError with a message per criterion); a stale
    ``expected_version`` is a ReviewConflict."""
    _check_own(assignment, actor)
    if assignment.conflict_declared_at is not None:
        raise ReviewError(
            _l("Du har erklæret dig inhabil i denne ansøgning og kan ikke give den point.")
        )
    application = _application(assignment)
    if (
        application.state != ApplicationState.IN_REVIEW
        or application.round.state != RoundState.IN_ASSESSMENT
    ):
        raise ReviewError(NOT_OPEN)
    if expected_version is not None and expected_version != assignment.version:
        raise ReviewConflict(CONFLICT)
    criteria = {c.id: c for c in application.round.criteria}
    problems: dict[Any, Any] = {}
    unknown = [key for key in values if key not in criteria]
    if unknown:
        raise ReviewError(
            _l("Et af kriterierne findes ikke i rundens bedømmelsesskema. Genindlæs siden.")
        )
    for criterion_id, (score, comment) in values.items():
        criterion = criteria[criterion_id]
        comment = (comment or "").strip()
        if score is not None and not 1 <= score <= criterion.scale_max:
            problems[criterion_id] = _l("Giv mellem 1 og %(max)d point.", max=criterion.scale_max)
        elif len(comment) > COMMENT_MAX:
            problems[(criterion_id, "comment")] = _l("Skriv højst %(max)d tegn.", max=COMMENT_MAX)
        elif score is None and comment:
            problems[criterion_id] = _l("Giv point, så bemærkningen kan gemmes.")
    existing = {s.criterion_id: s for s in assignment.scores}
    scored_after = {
        cid
        for cid in criteria
        if (values[cid][0] is not None if cid in values else cid in existing)
    }
    if complete:
        for criterion_id in criteria:
            if criterion_id not in scored_after and criterion_id not in problems:
                problems[criterion_id] = _l(
                    "Giv point for kriteriet, før bedømmelsen markeres som færdig."
                )
    if problems:
        raise ReviewError(
            _l("Bedømmelsen er ikke gemt. Ret det, der er markeret, og gem igen."), problems
        )
    now = utcnow()
    changed = []
    for criterion_id, (score, comment) in values.items():
        comment = (comment or "").strip()
        row = existing.get(criterion_id)
        if score is None:
            if row is not None:
                assignment.scores.remove(row)
                changed.append(str(criterion_id))
            continue
        if row is None:
            assignment.scores.append(
                ReviewScore(criterion_id=criterion_id, score=score, comment=comment, updated_at=now)
            )
            changed.append(str(criterion_id))
        elif row.score != score or row.comment != comment:
            row.score, row.comment, row.updated_at = score, comment, now
            changed.append(str(criterion_id))
    if complete:
        assignment.completed_at = now
    elif len(scored_after) < len(criteria):
        assignment.completed_at = None
    # The scores are rows of their own: bump the assignment's version for every save, so a
    # save from another window that saw the old version is caught.
    flag_modified(assignment, "conflict_reason")
    _flush()
    audit.record(
        "grant_review.score",
        object_type="grant_application",
        object_id=application.id,
        details={
            "assignment": str(assignment.id),
            "changed": changed,
            "complete": assignment.completed_at is not None,
            "version": assignment.version,
        },
        actor_id=str(actor.id),
    )


class AssignmentStatus(enum.StrEnum):
    TODO = "todo"
    DONE = "done"
    CONFLICT = "conflict"


STATUS_LABELS: dict[AssignmentStatus, Any] = {
    AssignmentStatus.TODO: _l("Skal bedømmes"),
    AssignmentStatus.DONE: _l("Færdig"),
    AssignmentStatus.CONFLICT: _l("Inhabil"),
}


def status_of(assignment: ReviewAssignment) -> AssignmentStatus:
    if assignment.conflict_declared_at is not None:
        return AssignmentStatus.CONFLICT
    if assignment.completed_at is not None:
        return AssignmentStatus.DONE
    return AssignmentStatus.TODO


@dataclass(frozen=True)
class MyAssignment:
    """One line of the reviewer's list."""

    assignment: ReviewAssignment
    title: str
    organisation: str
    round_name: str
    status: AssignmentStatus
    scored: int
    criteria: int
    # Whether scores can still be given or changed (the application is in review).
    open: bool
    assigned_at: datetime

    @property
    def status_label(self) -> Any:
        return STATUS_LABELS[self.status]


def assignments_for(reviewer: User, language: str = "da") -> list[MyAssignment]:
    """The reviewer's assignments: those to do first (oldest first), then done, then the
    ones they declared a conflict on."""
    rows = db.session.execute(
        select(ReviewAssignment, GrantApplication)
        .join(GrantApplication, GrantApplication.id == ReviewAssignment.application_id)
        .where(ReviewAssignment.reviewer_id == reviewer.id)
        .order_by(ReviewAssignment.assigned_at, ReviewAssignment.id)
    ).all()
    found = [
        MyAssignment(
            assignment=assignment,
            title=application.title,
            organisation=application.organisation.name,
            round_name=application.round.name_for(language),
            status=status_of(assignment),
            scored=len(assignment.scores),
            criteria=len(application.round.criteria),
            open=application.state == ApplicationState.IN_REVIEW
            and application.round.state == RoundState.IN_ASSESSMENT,
            assigned_at=assignment.assigned_at,
        )
        for assignment, application in rows
    ]
    order = list(AssignmentStatus)
    found.sort(key=lambda row: (order.index(row.status), not row.open))
    return found
