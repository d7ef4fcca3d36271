"""The reviewers' scores of one application side by side, for the grant officer: each
reviewer's weighted total, the mean of the totals and the spread between them.

Exact arithmetic: scores, weights and scales are integers, so each total is a fraction that
is rounded once, half up, to one decimal (Decimal, never floats). The mean and the spread are
of the totals as shown, so the figures on the page agree with each other. A reviewer who
declared a conflict of interest never counts, whatever they scored before.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select

from portal import db
from portal.models import (
    GrantApplication,
    ReviewAssignment,
    ReviewScore,
    RubricCriterion,
    User,
)

# A spread of more than this many percentage points between the reviewers' totals is
# pointed out to the officer.
LARGE_SPREAD = Decimal(20)


def _round_half_up(value: Fraction) -> Decimal:
    """``value`` to one decimal, half up (exact: integer arithmetic on the fraction)."""
    tenths = value * 10
    sign = -1 if tenths < 0 else 1
    numerator, denominator = abs(tenths.numerator), tenths.denominator
    rounded = (2 * numerator + denominator) // (2 * denominator)
    return Decimal(sign * rounded).scaleb(-1)


def weighted_total(
    scores: Iterable[tuple[int, int, int]],
) -> Decimal | None:
    """The weighted total in percent of the maximum, from (score, scale_max, weight) of the
    criteria scored: sum(score / scale_max * weight) / sum(weight) * 100, to one decimal."""
    numerator = Fraction(0)
    weights = 0
    for score, scale_max, weight in scores:
        numerator += Fraction(score * weight, scale_max)
        weights += weight
    if weights == 0:
        return None
    return _round_half_up(numerator / weights * 100)


@dataclass(frozen=True)
class ReviewerResult:
    """One reviewer's column."""

    assignment: ReviewAssignment
    reviewer: User | None
    total: Decimal | None
    scored: int
    complete: bool
    # criterion id -> the score row
    scores: dict[uuid.UUID, ReviewScore]


@dataclass(frozen=True)
class CriterionRow:
    criterion: RubricCriterion
    # Aligned with ScoreSummary.reviews; None where the reviewer has not scored it.
    cells: list[ReviewScore | None]
    lowest: int | None
    highest: int | None


@dataclass(frozen=True)
class ScoreSummary:
    """The scores of one application. ``reviews`` holds the reviewers who count (no
    conflict, at least one score); the mean and spread are of their totals as shown (one
    decimal), so the figures on the page agree with each other."""

    reviews: list[ReviewerResult]
    criteria: list[CriterionRow]
    weighted_mean: Decimal | None
    spread: Decimal | None
    assigned: int
    completed: int
    conflicts: int
    conflicted: list[ReviewAssignment] = field(default_factory=list)
    # Assigned, no conflict, no score yet.
    waiting: list[ReviewAssignment] = field(default_factory=list)
    people: dict[uuid.UUID, User] = field(default_factory=dict)

    @property
    def large_spread(self) -> bool:
        return self.spread is not None and self.spread > LARGE_SPREAD


def score_summary(application: GrantApplication) -> ScoreSummary:
    """The application's scores side by side, with each reviewer's weighted total (percent
    of the maximum, over the criteria they scored), the mean of the totals and the spread
    (highest minus lowest; None with fewer than two reviewers). Scores of a reviewer who
    declared a conflict are never counted."""
    assignments = list(
        db.session.scalars(
            select(ReviewAssignment)
            .where(ReviewAssignment.application_id == application.id)
            .order_by(ReviewAssignment.assigned_at, ReviewAssignment.id)
        )
    )
    people = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_([a.reviewer_id for a in assignments]))
        )
    }
    criteria = list(application.round.criteria)
    by_id = {c.id: c for c in criteria}
    conflicted = [a for a in assignments if a.conflict_declared_at is not None]
    counting = [a for a in assignments if a.conflict_declared_at is None and a.scores]
    waiting = [a for a in assignments if a.conflict_declared_at is None and not a.scores]
    reviews = []
    for assignment in sorted(
        counting, key=lambda a: people[a.reviewer_id].name if a.reviewer_id in people else ""
    ):
        scores = {s.criterion_id: s for s in assignment.scores if s.criterion_id in by_id}
        reviews.append(
            ReviewerResult(
                assignment=assignment,
                reviewer=people.get(assignment.reviewer_id),
                total=_total(scores, by_id),
                scored=len(scores),
                complete=assignment.completed_at is not None,
                scores=scores,
            )
        )
    rows = []
    for criterion in criteria:
        cells = [review.scores.get(criterion.id) for review in reviews]
        given = [cell.score for cell in cells if cell is not None]
        rows.append(
            CriterionRow(
                criterion=criterion,
                cells=cells,
                lowest=min(given) if given else None,
                highest=max(given) if given else None,
            )
        )
    totals = [r.total for r in reviews if r.total is not None]
    mean = _mean(totals)
    spread = max(totals) - min(totals) if len(totals) >= 2 else None
    return ScoreSummary(
        reviews=reviews,
        criteria=rows,
        weighted_mean=mean,
        spread=spread,
        assigned=len(assignments),
        completed=sum(1 for a in assignments if a.conflict_declared_at is None and a.completed_at),
        conflicts=len(conflicted),
        conflicted=conflicted,
        waiting=waiting,
        people=people,
    )


def _total(
    scores: dict[uuid.UUID, ReviewScore], by_id: dict[uuid.UUID, RubricCriterion]
) -> Decimal | None:
    return weighted_total(
        (s.score, by_id[cid].scale_max, by_id[cid].weight) for cid, s in scores.items()
    )


def _mean(totals: list[Decimal]) -> Decimal | None:
    if not totals:
        return None
    return _round_half_up(sum((Fraction(t) for t in totals), Fraction(0)) / len(totals))


def weighted_means(applications: Sequence[GrantApplication]) -> dict[uuid.UUID, Decimal | None]:
    """Each application's ``score_summary(...).weighted_mean``, for a whole list at once
    (one query for the assignments and one for their scores, not three per application)."""
    assignments = db.session.scalars(
        select(ReviewAssignment).where(
            ReviewAssignment.application_id.in_([a.id for a in applications]),
            ReviewAssignment.conflict_declared_at.is_(None),
        )
    ).all()
    by_application: dict[uuid.UUID, list[ReviewAssignment]] = {}
    for assignment in assignments:
        by_application.setdefault(assignment.application_id, []).append(assignment)
    means: dict[uuid.UUID, Decimal | None] = {}
    for application in applications:
        by_id = {c.id: c for c in application.round.criteria}
        totals = []
        for assignment in by_application.get(application.id, []):
            scores = {s.criterion_id: s for s in assignment.scores if s.criterion_id in by_id}
            total = _total(scores, by_id) if scores else None
            if total is not None:
                totals.append(total)
        means[application.id] = _mean(totals)
    return means
