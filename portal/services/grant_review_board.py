"""The officer's table of who reviews what in a round: its applications past screening against
its reviewers, which cells may still be changed, and saving the ticked cells at once.

A fingerprint of the round's assignments travels with the page, so a save based on a page
that someone else's change has made stale is refused (nothing is saved) instead of silently
undoing their change.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import db
from portal.models import ApplicationState, GrantApplication, GrantRound, ReviewAssignment, User
from portal.services.grant_reviews import (
    ASSIGNMENTS_CONFLICT,
    ReviewConflict,
    ReviewError,
    assign,
    is_reviewer,
    round_reviewers,
    unassign,
)


@dataclass(frozen=True)
class Board:
    """The round's applications against its reviewers, for the officer's assignment page."""

    grant_round: GrantRound
    reviewers: list[User]
    # Applications past screening (in review first, then the decided ones), by title.
    applications: list[GrantApplication]
    # (application id, reviewer id) -> the assignment.
    assignments: dict[tuple[uuid.UUID, uuid.UUID], ReviewAssignment]
    waiting_for_screening: int
    fingerprint: str

    def assignment(self, application: GrantApplication, reviewer: User) -> ReviewAssignment | None:
        return self.assignments.get((application.id, reviewer.id))

    def can_review(self, reviewer: User) -> bool:
        """Whether the round's reviewer can still be given applications (active, with the
        reviewer role)."""
        return is_reviewer(reviewer)

    def editable(self, application: GrantApplication, reviewer: User) -> bool:
        """Whether the officer may tick or untick this cell now."""
        found = self.assignment(application, reviewer)
        if application.state != ApplicationState.IN_REVIEW:
            return False
        if found is None:
            return is_reviewer(reviewer)
        return found.conflict_declared_at is None and not found.scores

    @property
    def editable_pairs(self) -> list[str]:
        """The cells the officer may change, as pair keys (the form's choices)."""
        return [
            pair_key(a.id, r.id)
            for a in self.applications
            for r in self.reviewers
            if self.editable(a, r)
        ]

    @property
    def assigned_pairs(self) -> list[str]:
        return [pair_key(a, r) for (a, r) in self.assignments]


REVIEWED_STATES = (
    ApplicationState.IN_REVIEW,
    ApplicationState.DECIDED,
    ApplicationState.ACCEPTED,
    ApplicationState.DECLINED,
    ApplicationState.CLOSED,
)


def pair_key(application_id: uuid.UUID, reviewer_id: uuid.UUID) -> str:
    """One cell of the table, as the form posts it."""
    return f"{application_id}:{reviewer_id}"


def _fingerprint(assignments: Iterable[ReviewAssignment]) -> str:
    """What the officer saw: every assignment with its conflict and whether it has scores.
    Anyone's change to the round's assignments changes it."""
    parts = sorted(
        f"{a.application_id}:{a.reviewer_id}:{int(a.conflict_declared_at is not None)}"
        f":{int(bool(a.scores))}"
        for a in assignments
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def board(grant_round: GrantRound) -> Board:
    """The round's table as it is now."""
    applications = list(
        db.session.scalars(
            select(GrantApplication)
            .where(
                GrantApplication.round_id == grant_round.id,
                GrantApplication.state.in_(REVIEWED_STATES),
            )
            .order_by(GrantApplication.title, GrantApplication.id)
        )
    )
    applications.sort(key=lambda a: a.state != ApplicationState.IN_REVIEW)
    assignments = list(
        db.session.scalars(
            select(ReviewAssignment)
            .join(GrantApplication, GrantApplication.id == ReviewAssignment.application_id)
            .where(GrantApplication.round_id == grant_round.id)
        )
    )
    waiting = db.session.scalars(
        select(GrantApplication.id).where(
            GrantApplication.round_id == grant_round.id,
            GrantApplication.state == ApplicationState.SUBMITTED,
        )
    ).all()
    return Board(
        grant_round=grant_round,
        reviewers=round_reviewers(grant_round),
        applications=applications,
        assignments={(a.application_id, a.reviewer_id): a for a in assignments},
        waiting_for_screening=len(waiting),
        fingerprint=_fingerprint(assignments),
    )


@dataclass(frozen=True)
class BoardChanges:
    added: int = 0
    removed: int = 0


def set_assignments(
    grant_round: GrantRound,
    wanted: Iterable[str],
    actor: User,
    *,
    expected_fingerprint: str,
) -> BoardChanges:
    """Make the round's editable cells what the officer ticked (``wanted``: pair keys).
    Cells that are locked (a declared conflict, saved scores, a decided application) stay as
    they are whatever is posted. If anyone changed the assignments since the officer loaded
    the page, nothing is saved (ReviewConflict)."""
    current = board(grant_round)
    if expected_fingerprint != current.fingerprint:
        raise ReviewConflict(ASSIGNMENTS_CONFLICT)
    wanted_set = set(wanted)
    cells = [
        (application, reviewer)
        for application in current.applications
        for reviewer in current.reviewers
        if current.editable(application, reviewer)
    ]
    # A locked cell that is assigned may be posted as ticked (it stays); anything else
    # outside the editable cells is not what the page offered.
    offered = {pair_key(a.id, r.id) for a, r in cells} | set(current.assigned_pairs)
    if wanted_set - offered:
        raise ReviewError(
            _l("Nogle af markeringerne kan ikke gemmes. Genindlæs siden, og prøv igen.")
        )
    added = removed = 0
    for application, reviewer in cells:
        ticked = pair_key(application.id, reviewer.id) in wanted_set
        existing = current.assignment(application, reviewer)
        if ticked and existing is None:
            assign(application, reviewer, actor)
            added += 1
        elif not ticked and existing is not None:
            unassign(existing, actor)
            removed += 1
    return BoardChanges(added, removed)
