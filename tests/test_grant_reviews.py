"""Reviewing grant applications as a service: only the round's reviewers get applications,
and only applications in review; a reviewer sees (and downloads the attachments of) only what
is assigned to them, and nothing once they declared a conflict of interest, whatever they
post; scores are checked against the rubric (range, unknown criteria, every criterion to
finish); the weighted totals, mean and spread are exact Decimals with conflicted reviewers left
out; nothing can be scored after the decision; every step is audited.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal import db, mail
from portal.auth.permissions import (
    can_review_application,
    can_view_application,
    can_view_document,
    visible_review_assignments,
)
from portal.models import (
    ApplicationState,
    AuditEntry,
    Document,
    GrantApplication,
    GrantDecision,
    GrantRound,
    ReviewAssignment,
    ReviewScore,
    Role,
    RoundReviewer,
    RubricCriterion,
    User,
)
from portal.services import grant_decisions, grant_review_board, grant_reviews, grant_workflow
from portal.services.grant_decisions import DecisionValues
from portal.services.grant_review_scores import _round_half_up, weighted_total
from portal.services.grant_reviews import ReviewConflict, ReviewError
from tests.activity_data import ORG_B, new_user, user
from tests.grant_data import in_review, open_round, start_assessment, submitted

# --- helpers ---------------------------------------------------------------------------------


def rubric() -> list[RubricCriterion]:
    """Three criteria with different weights and scales."""
    return [
        RubricCriterion(position=1, name_da="Relevans", weight=50, scale_max=5),
        RubricCriterion(position=2, name_da="Frivillige", weight=30, scale_max=10),
        RubricCriterion(position=3, name_da="Økonomi", weight=20, scale_max=4),
    ]


def reviewing_round(**changes: Any) -> tuple[GrantRound, GrantApplication]:
    """A round in assessment with the demo reviewer on it, and organisation A's application
    in review."""
    grant_round = open_round(criteria=rubric(), **changes)
    grant_round.reviewers.append(RoundReviewer(user_id=user("reviewer").id))
    db.session.flush()
    application = in_review(grant_round)
    return grant_round, application


def second_reviewer(grant_round: GrantRound | None = None, name: str = "Bodil") -> User:
    person = new_user(f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.test", name, Role.REVIEWER)
    if grant_round is not None:
        grant_round.reviewers.append(RoundReviewer(user_id=person.id))
        db.session.flush()
    return person


def assigned(application: GrantApplication, reviewer: User | None = None) -> ReviewAssignment:
    assignment = grant_reviews.assign(
        application, reviewer or user("reviewer"), user("grant_officer")
    )
    db.session.flush()
    return assignment


def values(application: GrantApplication, *scores: int | None) -> dict[uuid.UUID, Any]:
    """Scores for the round's criteria in order (None: not scored), without comments."""
    return {
        c.id: (s, "")
        for c, s in zip(application.round.criteria, scores, strict=False)
        if s is not None
    }


def score(
    assignment: ReviewAssignment,
    reviewer: User,
    application: GrantApplication,
    *scores: int | None,
    complete: bool = True,
) -> None:
    grant_reviews.save_scores(
        assignment,
        reviewer,
        values(application, *scores),
        complete=complete,
        expected_version=assignment.version,
    )
    db.session.flush()


def audited(application: GrantApplication, action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_id == str(application.id), AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
    )


# --- assigning -------------------------------------------------------------------------------


def assignments_of(reviewer: User, application: GrantApplication) -> list[Any]:
    """The reviewer's list, narrowed to the test's application (the demo gives the demo
    reviewer an application of its own)."""
    return [
        row
        for row in grant_reviews.assignments_for(reviewer)
        if row.assignment.application_id == application.id
    ]


def test_the_officer_assigns_a_round_reviewer_who_is_told(app_ctx: Flask) -> None:
    _round, application = reviewing_round()
    mail.discard_queue()  # the screening's mail to the organisation
    sent: list[Any] = []
    original = mail.deliver
    mail.deliver = sent.append  # type: ignore[assignment]
    try:
        assignment = assigned(application)
        mail.flush_queue()
    finally:
        mail.deliver = original  # type: ignore[assignment]
    assert assignment.reviewer_id == user("reviewer").id
    assert assignment.assigned_by_id == user("grant_officer").id
    assert [m.to for m in sent] == ["reviewer@example.org"]
    assert application.title in sent[0].subject
    assert f"/tilskud/bedoemmelser/{assignment.id}" in sent[0].body
    [entry] = audited(application, "grant_review.assign")
    assert entry.details["reviewer"] == str(user("reviewer").id)


def test_assigning_again_changes_nothing(app_ctx: Flask) -> None:
    _round, application = reviewing_round()
    first = assigned(application)
    again = assigned(application)
    assert again.id == first.id
    assert len(audited(application, "grant_review.assign")) == 1


def test_only_the_rounds_reviewers_can_be_assigned(app_ctx: Flask) -> None:
    _round, application = reviewing_round()
    outsider = second_reviewer()  # a reviewer, but not on this round
    with pytest.raises(ReviewError, match="ikke bedømmer i denne runde"):
        grant_reviews.assign(application, outsider, user("grant_officer"))
    # A round reviewer who is not (or no longer) a reviewer in the portal.
    application.round.reviewers.append(RoundReviewer(user_id=user("caseworker_ost").id))
    db.session.flush()
    with pytest.raises(ReviewError, match="ikke bedømmer i portalen"):
        grant_reviews.assign(application, user("caseworker_ost"), user("grant_officer"))
    assert (
        db.session.scalars(
            select(ReviewAssignment).where(ReviewAssignment.application_id == application.id)
        ).all()
        == []
    )


@pytest.mark.parametrize("actor", ["admin", "dpo", "reviewer", "ngo_a_admin", "caseworker_ost"])
def test_only_grant_officers_assign(app_ctx: Flask, actor: str) -> None:
    _round, application = reviewing_round()
    with pytest.raises(ReviewError):
        grant_reviews.assign(application, user("reviewer"), user(actor))


def test_only_applications_in_review_are_assigned(app_ctx: Flask) -> None:
    grant_round = open_round(criteria=rubric())
    grant_round.reviewers.append(RoundReviewer(user_id=user("reviewer").id))
    application = submitted(grant_round)  # not yet screened
    with pytest.raises(ReviewError, match="under bedømmelse"):
        grant_reviews.assign(application, user("reviewer"), user("grant_officer"))


def test_unassign_only_before_any_score(app_ctx: Flask) -> None:
    _round, application = reviewing_round()
    assignment = assigned(application)
    grant_reviews.unassign(assignment, user("grant_officer"))
    db.session.flush()
    assert grant_reviews.find(application, user("reviewer")) is None
    assert len(audited(application, "grant_review.unassign")) == 1

    assignment = assigned(application)
    score(assignment, user("reviewer"), application, 3, complete=False)
    with pytest.raises(ReviewError, match="allerede givet point"):
        grant_reviews.unassign(assignment, user("grant_officer"))


def test_a_declared_conflict_cannot_be_unassigned(app_ctx: Flask) -> None:
    _round, application = reviewing_round()
    assignment = assigned(application)
    grant_reviews.declare_conflict(assignment, user("reviewer"), "Jeg sidder i bestyrelsen.")
    with pytest.raises(ReviewError, match="inhabil"):
        grant_reviews.unassign(assignment, user("grant_officer"))


# --- the table of assignments ----------------------------------------------------------------


def test_set_assignments_adds_and_removes_the_editable_cells(app_ctx: Flask) -> None:
    grant_round, application = reviewing_round()
    other = second_reviewer(grant_round)
    board = grant_review_board.board(grant_round)
    assert [r.id for r in board.reviewers] == sorted(
        [user("reviewer").id, other.id], key=lambda i: db.session.get(User, i).name
    )
    mine = grant_review_board.pair_key(application.id, user("reviewer").id)
    theirs = grant_review_board.pair_key(application.id, other.id)
    changes = grant_review_board.set_assignments(
        grant_round, [mine, theirs], user("grant_officer"), expected_fingerprint=board.fingerprint
    )
    assert (changes.added, changes.removed) == (2, 0)
    board = grant_review_board.board(grant_round)
    changes = grant_review_board.set_assignments(
        grant_round, [mine], user("grant_officer"), expected_fingerprint=board.fingerprint
    )
    assert (changes.added, changes.removed) == (0, 1)
    assert grant_reviews.find(application, other) is None


def test_set_assignments_refuses_a_stale_page(app_ctx: Flask) -> None:
    grant_round, application = reviewing_round()
    seen = grant_review_board.board(grant_round).fingerprint
    assigned(application)  # another officer, meanwhile
    with pytest.raises(ReviewConflict):
        grant_review_board.set_assignments(
            grant_round, [], user("grant_officer"), expected_fingerprint=seen
        )


def test_locked_cells_stay_whatever_is_posted(app_ctx: Flask) -> None:
    grant_round, application = reviewing_round()
    other = second_reviewer(grant_round)
    conflicted = assigned(application)
    grant_reviews.declare_conflict(conflicted, user("reviewer"), "Min søster er formand.")
    scored = assigned(application, other)
    score(scored, other, application, 4, complete=False)
    board = grant_review_board.board(grant_round)
    assert board.editable_pairs == []
    grant_review_board.set_assignments(
        grant_round, [], user("grant_officer"), expected_fingerprint=board.fingerprint
    )
    assert grant_reviews.find(application, user("reviewer")) is not None
    assert grant_reviews.find(application, other) is not None
    forged = grant_review_board.pair_key(application.id, user("grant_officer").id)
    with pytest.raises(ReviewError):
        grant_review_board.set_assignments(
            grant_round,
            [forged],
            user("grant_officer"),
            expected_fingerprint=grant_review_board.board(grant_round).fingerprint,
        )


# --- isolation -------------------------------------------------------------------------------


def test_a_reviewer_sees_only_what_is_assigned_to_them(app_ctx: Flask) -> None:
    grant_round, application = reviewing_round()
    other = second_reviewer(grant_round)
    assert not can_review_application(user("reviewer"), application)
    assert not can_view_application(user("reviewer"), application)
    assignment = assigned(application)
    assert can_review_application(user("reviewer"), application)
    assert can_view_application(user("reviewer"), application)
    # The second reviewer, on the same round, sees nothing of the first's.
    assert not can_review_application(other, application)
    assert not can_view_application(other, application)
    assert db.session.scalars(visible_review_assignments(other)).all() == []
    assert assignments_of(other, application) == []
    with pytest.raises(ReviewError):
        grant_reviews.save_scores(assignment, other, values(application, 5, 10, 4), complete=True)
    with pytest.raises(ReviewError):
        grant_reviews.declare_conflict(assignment, other, "Forsøg")
    assert [row.assignment.id for row in assignments_of(user("reviewer"), application)] == [
        assignment.id
    ]


def test_a_reviewer_downloads_only_the_attachments_of_their_applications(
    app_ctx: Flask,
) -> None:
    grant_round = open_round(criteria=rubric(), required_attachments=("budget_notes",))
    grant_round.reviewers.append(RoundReviewer(user_id=user("reviewer").id))
    other = second_reviewer(grant_round)
    application = in_review(grant_round)
    document = db.session.get(Document, application.attachments[0].document_id)
    assert document is not None
    # Another document of the same organisation, not attached.
    loose = db.session.scalar(
        select(Document).where(
            Document.owner_id == application.organisation_id, Document.id != document.id
        )
    )
    assert not can_view_document(user("reviewer"), document)
    assignment = assigned(application)
    assert can_view_document(user("reviewer"), document)
    if loose is not None:
        assert not can_view_document(user("reviewer"), loose)
    assert not can_view_document(other, document)
    grant_reviews.declare_conflict(assignment, user("reviewer"), "Jeg kender projektlederen.")
    assert not can_view_document(user("reviewer"), document)


def test_a_conflict_closes_the_application_to_the_reviewer(app_ctx: Flask) -> None:
    _round, application = reviewing_round()
    assignment = assigned(application)
    score(assignment, user("reviewer"), application, 5, 10, 4)
    with pytest.raises(ReviewError, match="hvorfor"):
        grant_reviews.declare_conflict(assignment, user("reviewer"), "   ")
    grant_reviews.declare_conflict(
        assignment, user("reviewer"), " Jeg er i bestyrelsen. ", expected_version=assignment.version
    )
    db.session.flush()
    assert assignment.conflict_declared_at is not None
    assert assignment.conflict_reason == "Jeg er i bestyrelsen."
    assert assignment.completed_at is None
    assert not can_review_application(user("reviewer"), application)
    assert not can_view_application(user("reviewer"), application)
    # The scores are kept, but cannot be changed and never count.
    assert len(assignment.scores) == 3
    with pytest.raises(ReviewError, match="inhabil"):
        score(assignment, user("reviewer"), application, 1, 1, 1)
    summary = grant_reviews.score_summary(application)
    assert summary.reviews == []
    assert summary.weighted_mean is None
    assert (summary.assigned, summary.completed, summary.conflicts) == (1, 0, 1)
    with pytest.raises(ReviewError, match="allerede"):
        grant_reviews.declare_conflict(assignment, user("reviewer"), "Igen")
    [row] = assignments_of(user("reviewer"), application)
    assert row.status == grant_reviews.AssignmentStatus.CONFLICT
    [entry] = audited(application, "grant_review.conflict")
    assert entry.details["scores_kept"] == 3
    assert "bestyrelsen" not in str(entry.details)  # the reason stays in its own table


# --- scores ----------------------------------------------------------------------------------


def test_scores_are_saved_and_completed(app_ctx: Flask) -> None:
    _round, application = reviewing_round()
    assignment = assigned(application)
    reviewer = user("reviewer")
    first = application.round.criteria[0]
    grant_reviews.save_scores(
        assignment,
        reviewer,
        {first.id: (4, "  Godt begrundet.  ")},
        complete=False,
        expected_version=assignment.version,
    )
    db.session.flush()
    [saved] = assignment.scores
    assert (saved.score, saved.comment) == (4, "Godt begrundet.")
    assert assignment.completed_at is None
    score(assignment, reviewer, application, 4, 7, 2)
    assert assignment.completed_at is not None
    assert sorted(s.score for s in assignment.scores) == [2, 4, 7]
    assert [row.status for row in assignments_of(reviewer, application)] == [
        grant_reviews.AssignmentStatus.DONE
    ]
    entries = audited(application, "grant_review.score")
    assert [e.details["complete"] for e in entries] == [False, True]


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ((0, 5, 3), "mellem 1 og 5"),
        ((6, 5, 3), "mellem 1 og 5"),
        ((3, 11, 3), "mellem 1 og 10"),
        ((3, 5, 5), "mellem 1 og 4"),
    ],
)
def test_scores_outside_the_scale_are_refused(
    app_ctx: Flask, scores: tuple[int, ...], message: str
) -> None:
    _round, application = reviewing_round()
    assignment = assigned(application)
    with pytest.raises(ReviewError) as refused:
        score(assignment, user("reviewer"), application, *scores)
    assert any(message in str(m) for m in refused.value.problems.values())
    assert db.session.scalars(select(ReviewScore)).all() == []


def test_an_unknown_criterion_is_refused(app_ctx: Flask) -> None:
    _round, application = reviewing_round()
    assignment = assigned(application)
    elsewhere = open_round(criteria=rubric()).criteria[0]
    with pytest.raises(ReviewError, match="findes ikke"):
        grant_reviews.save_scores(
            assignment, user("reviewer"), {elsewhere.id: (3, "")}, complete=False
        )


def test_a_comment_is_optional_but_short(app_ctx: Flask) -> None:
    _round, application = reviewing_round()
    assignment = assigned(application)
    first = application.round.criteria[0]
    with pytest.raises(ReviewError) as refused:
        grant_reviews.save_scores(
            assignment, user("reviewer"), {first.id: (3, "x" * 2001)}, complete=False
        )
    assert (first.id, "comment") in refused.value.problems
    with pytest.raises(ReviewError) as refused:
        grant_reviews.save_scores(
            assignment, user("reviewer"), {first.id: (None, "Kun en bemærkning")}, complete=False
        )
    assert first.id in refused.value.problems
    grant_reviews.save_scores(
        assignment, user("reviewer"), {first.id: (3, "x" * 2000)}, complete=False
    )


def test_completing_needs_every_criterion(app_ctx: Flask) -> None:
    _round, application = reviewing_round()
    assignment = assigned(application)
    with pytest.raises(ReviewError) as refused:
        score(assignment, user("reviewer"), application, 4, None, 2)
    second = application.round.criteria[1]
    assert list(refused.value.problems) == [second.id]
    assert assignment.scores == []
    assert assignment.completed_at is None


def test_a_stale_version_is_a_conflict(app_ctx: Flask) -> None:
    _round, application = reviewing_round()
    assignment = assigned(application)
    seen = assignment.version
    score(assignment, user("reviewer"), application, 4, complete=False)
    assert assignment.version == seen + 1
    with pytest.raises(ReviewConflict):
        grant_reviews.save_scores(
            assignment,
            user("reviewer"),
            values(application, 1),
            complete=False,
            expected_version=seen,
        )


def test_nothing_is_scored_after_the_decision(app_ctx: Flask) -> None:
    _round, application = reviewing_round()
    assignment = assigned(application)
    score(assignment, user("reviewer"), application, 4, complete=False)
    grant_decisions.decide(
        application,
        user("grant_officer"),
        DecisionValues(GrantDecision.REFUSED, reason="Ikke relevant nok."),
    )
    db.session.flush()
    assert application.state == ApplicationState.DECIDED
    with pytest.raises(ReviewError, match="ikke længere under bedømmelse"):
        score(assignment, user("reviewer"), application, 5, 5, 4)
    with pytest.raises(ReviewError):
        grant_reviews.declare_conflict(assignment, user("reviewer"), "For sent")
    with pytest.raises(ReviewError):
        grant_reviews.assign(application, second_reviewer(application.round), user("grant_officer"))
    [row] = assignments_of(user("reviewer"), application)
    assert not row.open


# --- totals, mean and spread -----------------------------------------------------------------


def test_weighted_total_is_exact() -> None:
    # (4/5*50 + 7/10*30 + 2/4*20) / 100 * 100 = 40 + 21 + 10 = 71.0
    assert weighted_total([(4, 5, 50), (7, 10, 30), (2, 4, 20)]) == Decimal("71.0")
    # 1/3 of the maximum: 33.333... -> 33.3; 2/3 -> 66.7 (half up at the first decimal)
    assert weighted_total([(1, 3, 1)]) == Decimal("33.3")
    assert weighted_total([(2, 3, 1)]) == Decimal("66.7")
    assert weighted_total([]) is None
    total = weighted_total([(5, 5, 1)])
    assert total == Decimal("100.0") and str(total) == "100.0"


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (Fraction(1245, 100), "12.5"),  # exactly half: up
        (Fraction(1244, 100), "12.4"),
        (Fraction(1, 8) * 100, "12.5"),  # 12.5 stays
        (Fraction(100, 7), "14.3"),  # 14.2857...
        (Fraction(0), "0.0"),
    ],
)
def test_rounding_is_half_up_to_one_decimal(value: Fraction, rounded: str) -> None:
    assert str(_round_half_up(value)) == rounded


def test_score_summary_side_by_side(app_ctx: Flask) -> None:
    grant_round, application = reviewing_round()
    bodil = second_reviewer(grant_round, "Bodil")
    carl = second_reviewer(grant_round, "Carl")
    dorte = second_reviewer(grant_round, "Dorte")
    rasmus = user("reviewer")  # Rasmus Riis
    a = assigned(application, rasmus)
    b = assigned(application, bodil)
    c = assigned(application, carl)
    d = assigned(application, dorte)
    score(a, rasmus, application, 4, 7, 2)  # 71.0
    score(b, bodil, application, 2, 3, 1, complete=False)  # (20 + 9 + 5) = 34.0
    # Carl scores high, then declares a conflict: his scores never count.
    score(c, carl, application, 5, 10, 4)
    grant_reviews.declare_conflict(c, carl, "Jeg har arbejdet for organisationen.")
    del d  # Dorte has not started
    summary = grant_reviews.score_summary(application)
    assert [r.reviewer.name for r in summary.reviews] == ["Bodil", "Rasmus Riis"]
    assert [r.total for r in summary.reviews] == [Decimal("34.0"), Decimal("71.0")]
    assert [r.complete for r in summary.reviews] == [False, True]
    assert summary.weighted_mean == Decimal("52.5")
    assert summary.spread == Decimal("37.0")
    assert summary.large_spread
    assert (summary.assigned, summary.completed, summary.conflicts) == (4, 1, 1)
    assert [x.reviewer_id for x in summary.conflicted] == [carl.id]
    assert [x.reviewer_id for x in summary.waiting] == [dorte.id]
    first = summary.criteria[0]
    assert [cell.score if cell else None for cell in first.cells] == [2, 4]
    assert (first.lowest, first.highest) == (2, 4)
    assert all(isinstance(r.total, Decimal) for r in summary.reviews)
    # The round's list reads the same mean for many applications at once.
    from portal.services.grant_review_scores import weighted_means

    assert weighted_means([application]) == {application.id: Decimal("52.5")}


def test_partial_review_counts_the_criteria_scored(app_ctx: Flask) -> None:
    _round, application = reviewing_round()
    assignment = assigned(application)
    score(assignment, user("reviewer"), application, 3, complete=False)
    summary = grant_reviews.score_summary(application)
    # Only "Relevans" (3 of 5) is scored: 60.0 % of what is scored.
    assert [r.total for r in summary.reviews] == [Decimal("60.0")]
    assert summary.weighted_mean == Decimal("60.0")
    assert summary.spread is None
    assert not summary.large_spread


def test_mean_and_spread_are_of_the_totals_as_shown(app_ctx: Flask) -> None:
    grant_round = open_round(
        criteria=[RubricCriterion(position=1, name_da="Samlet", weight=1, scale_max=3)]
    )
    grant_round.reviewers.append(RoundReviewer(user_id=user("reviewer").id))
    other = second_reviewer(grant_round)
    application = in_review(grant_round)
    score(assigned(application), user("reviewer"), application, 1)  # 33.3
    score(assigned(application, other), other, application, 2)  # 66.7
    summary = grant_reviews.score_summary(application)
    assert sorted(r.total for r in summary.reviews if r.total) == [
        Decimal("33.3"),
        Decimal("66.7"),
    ]
    assert summary.spread == Decimal("33.4")
    assert summary.weighted_mean == Decimal("50.0")


def test_a_spread_of_exactly_twenty_points_is_not_flagged(app_ctx: Flask) -> None:
    grant_round = open_round(
        criteria=[RubricCriterion(position=1, name_da="Samlet", weight=1, scale_max=5)]
    )
    grant_round.reviewers.append(RoundReviewer(user_id=user("reviewer").id))
    other = second_reviewer(grant_round)
    application = in_review(grant_round)
    score(assigned(application), user("reviewer"), application, 3)  # 60.0
    score(assigned(application, other), other, application, 4)  # 80.0
    summary = grant_reviews.score_summary(application)
    assert summary.spread == Decimal("20.0")
    assert not summary.large_spread


def test_another_organisations_application_is_not_mixed_in(app_ctx: Flask) -> None:
    grant_round = open_round(criteria=rubric())
    grant_round.reviewers.append(RoundReviewer(user_id=user("reviewer").id))
    application_a = submitted(grant_round)
    application_b = submitted(grant_round, organisation_name=ORG_B, actor="ngo_b_admin")
    start_assessment(grant_round)
    for application in (application_a, application_b):
        grant_workflow.apply(application, "screen_pass", user("grant_officer"))
    db.session.flush()
    assignment = assigned(application_a)
    score(assignment, user("reviewer"), application_a, 4, 7, 2)
    assert grant_reviews.score_summary(application_b).reviews == []
    assert not can_review_application(user("reviewer"), application_b)
