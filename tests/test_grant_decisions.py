"""Deciding grant applications as a service: what each decision needs, the pool never
exceeded (to the øre), declined grants freeing their money, the grant spread over the budget
lines øre exact, every action of the application's life by every role and in every state, the
round's steps (the deadline to the second, also on the days the clocks change), and the
decision letter (kept as the organisation's document, with the right text, e-mailed with the
PDF, audited). Two officers deciding at the same moment are in test_grant_pool_concurrency.py.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal import db
from portal.models import (
    ApplicationState,
    AuditEntry,
    Document,
    GrantApplication,
    GrantDecision,
    GrantRound,
    OwnerType,
    RoundState,
)
from portal.services import grant_decisions, grant_letters, grant_rounds, grant_workflow
from portal.services.grant_decisions import DecisionValues, allocate
from portal.services.grant_workflow import TRANSITIONS, Side
from portal.services.workflow import ConflictError, WorkflowError
from tests.activity_data import ORG_B, organisation, user
from tests.grant_data import (
    AFTER_DEADLINE,
    SECOND,
    in_review,
    line,
    make_round,
    open_round,
    start_assessment,
    submitted,
)
from tests.roles import ALL_ROLES, ANONYMOUS, ROLE_ACCOUNTS

S = ApplicationState
ASKED = 3_500_000  # what tests.grant_data.good_lines() asks for: 35.000 kr.


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context outside any request: mail is delivered at once (to ``outbox``)."""
    with app.app_context():
        yield


def officer() -> Any:
    return user("grant_officer")


def decide(
    application: GrantApplication,
    decision: GrantDecision = GrantDecision.GRANTED,
    amount_ore: int = 0,
    *,
    reason: str = "Projektet passer godt til puljens formål.",
    conditions: str = "",
    **kwargs: Any,
) -> None:
    grant_decisions.decide(
        application,
        officer(),
        DecisionValues(decision, amount_ore, conditions=conditions, reason=reason),
        **kwargs,
    )
    db.session.flush()


def two_in_review(**round_changes: Any) -> tuple[GrantApplication, GrantApplication]:
    """Applications of organisations A and B (35.000 kr. each), screened as eligible."""
    grant_round = open_round(**round_changes)
    other = submitted(grant_round, organisation_name=ORG_B, actor="ngo_b_admin")
    first = in_review(grant_round)
    grant_workflow.apply(other, "screen_pass", officer())
    db.session.flush()
    return first, other


def audit_actions(object_id: object) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.id)
        )
    )


# --- what each decision needs -----------------------------------------------------------------


def test_a_grant_is_the_amount_asked(ctx: None, outbox: list[Any]) -> None:
    application = in_review(open_round())
    decide(application, GrantDecision.GRANTED, amount_ore=1, reason="")
    assert application.state == S.DECIDED
    assert application.decision == GrantDecision.GRANTED
    assert application.granted_ore == application.requested_ore == ASKED
    assert application.report_due_on == application.round.reporting_deadline
    assert application.decided_by_id == officer().id and application.decided_at is not None


@pytest.mark.parametrize("amount", [0, ASKED, ASKED + 1])
def test_a_partial_grant_is_strictly_between_nothing_and_the_amount_asked(
    ctx: None, amount: int
) -> None:
    application = in_review(open_round())
    with pytest.raises(WorkflowError, match=r"mere end 0 kr\. og mindre end"):
        decide(application, GrantDecision.PARTLY_GRANTED, amount)
    assert application.state == S.IN_REVIEW and application.decision is None


@pytest.mark.parametrize("amount", [1, ASKED - 1])
def test_a_partial_grant_at_the_edges(ctx: None, amount: int) -> None:
    application = in_review(open_round())
    decide(application, GrantDecision.PARTLY_GRANTED, amount)
    assert application.granted_ore == amount
    assert sum(line.approved_ore or 0 for line in application.budget_lines) == amount


@pytest.mark.parametrize("decision", [GrantDecision.PARTLY_GRANTED, GrantDecision.REFUSED])
def test_a_partial_grant_and_a_refusal_need_a_reason(ctx: None, decision: GrantDecision) -> None:
    application = in_review(open_round())
    with pytest.raises(WorkflowError, match="Skriv"):
        decide(application, decision, 1_000_000, reason="   ")
    assert application.state == S.IN_REVIEW
    assert application.decision_letter_document_id is None


def test_a_refusal_grants_nothing_and_keeps_no_conditions(ctx: None) -> None:
    application = in_review(open_round())
    decide(
        application,
        GrantDecision.REFUSED,
        reason="Projektet ligger uden for puljen.",
        conditions="X",
    )
    assert application.granted_ore == 0 and application.conditions == ""
    assert application.report_due_on is None
    assert all(line.approved_ore is None for line in application.budget_lines)
    assert grant_decisions.granted_ore(application.round) == 0


def test_a_decision_from_a_stale_version_is_a_conflict(ctx: None) -> None:
    application = in_review(open_round())
    seen = application.version
    application.summary = "Ændret af en anden"
    db.session.flush()
    with pytest.raises(ConflictError):
        decide(application, expected_version=seen)
    assert application.state == S.IN_REVIEW


# --- the pool -----------------------------------------------------------------------------------


def test_the_last_ore_of_the_pool_can_be_granted_and_not_one_more(ctx: None) -> None:
    first, second = two_in_review(pool_ore=5_000_000, max_per_application_ore=4_000_000)
    decide(first)
    assert grant_decisions.remaining_ore(first.round) == 1_500_000
    with pytest.raises(WorkflowError, match=r"Der er kun 15\.000,00 kr\. tilbage i puljen"):
        decide(second, GrantDecision.PARTLY_GRANTED, 1_500_001, reason="Puljen er næsten brugt.")
    assert second.state == S.IN_REVIEW
    decide(second, GrantDecision.PARTLY_GRANTED, 1_500_000, reason="Puljen er næsten brugt.")
    assert grant_decisions.granted_ore(first.round) == 5_000_000
    assert grant_decisions.remaining_ore(first.round) == 0


def test_a_full_grant_fits_exactly_or_not_at_all(ctx: None) -> None:
    first, second = two_in_review(pool_ore=2 * ASKED, max_per_application_ore=ASKED)
    decide(first)
    decide(second)
    assert grant_decisions.remaining_ore(first.round) == 0

    third, fourth = two_in_review(pool_ore=2 * ASKED - 1, max_per_application_ore=ASKED)
    decide(third)
    with pytest.raises(WorkflowError, match="tilbage i puljen"):
        decide(fourth)
    # A refusal needs no money, whatever is left.
    decide(fourth, GrantDecision.REFUSED, reason="Puljen er brugt.")
    assert grant_decisions.granted_ore(third.round) == ASKED


def test_a_declined_grant_frees_its_money(ctx: None) -> None:
    first, second = two_in_review(pool_ore=5_000_000, max_per_application_ore=4_000_000)
    decide(first)
    with pytest.raises(WorkflowError):
        decide(second)
    grant_workflow.apply(first, "decline", user("ngo_a_admin"), text="Vi kan ikke løfte det.")
    db.session.flush()
    assert first.state == S.DECLINED
    assert grant_decisions.granted_ore(first.round) == 0
    decide(second)
    assert grant_decisions.granted_ore(first.round) == ASKED


def test_accepted_and_closed_grants_still_count(ctx: None) -> None:
    application = in_review(open_round())
    decide(application)
    grant_workflow.apply(application, "accept", user("ngo_a_admin"))
    assert grant_decisions.granted_ore(application.round) == ASKED
    grant_workflow.apply(application, "close", officer())
    db.session.flush()
    assert grant_decisions.granted_ore(application.round) == ASKED
    assert grant_decisions.summary(application.round) == {
        "pool_ore": application.round.pool_ore,
        "granted_ore": ASKED,
        "remaining_ore": application.round.pool_ore - ASKED,
    }


# --- the grant over the budget lines ------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (1, [1, 1], [1, 0]),
        (2, [1, 1, 1], [1, 1, 0]),
        (10, [0, 5, 0], [0, 10, 0]),
        (7, [3, -2, 4], [3, 0, 4]),
        (5, [0, 0], [0, 0]),
        (1_234_567, [2_500_000, 1_000_000], [881_834, 352_733]),
        (0, [4, 6], [0, 0]),
    ],
)
def test_allocate_splits_to_the_ore(amount: int, weights: list[int], parts: list[int]) -> None:
    assert allocate(amount, weights) == parts
    if any(w > 0 for w in weights):
        assert sum(parts) == amount


def test_allocate_always_adds_up() -> None:
    for amount in (1, 2, 3, 99, 100, 101, 999_999, 1_000_001):
        for weights in ([1], [1, 2], [7, 11, 13], [1, 1, 1, 1, 1, 1, 1], [333, 333, 334]):
            parts = allocate(amount, weights)
            assert sum(parts) == amount, (amount, weights)
            assert all(p >= 0 for p in parts)


def test_a_partial_grant_with_odd_ore_is_spread_exactly(ctx: None) -> None:
    lines = [
        line("3", 333_333, text="Tre dele"),
        line("1", 100_001, category="premises", text="Lokaler"),
        line("7", 1, category="other", text="Småting"),
    ]
    application = in_review(open_round(), lines=lines)
    asked = application.requested_ore
    assert asked == 999_999 + 100_001 + 7
    decide(application, GrantDecision.PARTLY_GRANTED, 777_777, reason="En del af beløbet.")
    approved = [line.approved_ore for line in application.budget_lines]
    assert sum(approved) == 777_777  # type: ignore[arg-type]
    assert all(isinstance(part, int) and part >= 0 for part in approved)


def test_a_full_grant_gives_each_line_what_it_asked(ctx: None) -> None:
    application = in_review(open_round())
    decide(application)
    from portal.services import grant_applications

    assert [line.approved_ore for line in application.budget_lines] == [
        grant_applications.values_of(line).requested_ore for line in application.budget_lines
    ]


# --- every action by every role, in every state --------------------------------------------------

# The designed flow, written out so the table in grant_workflow.py is checked against it:
# action -> (from states, to state, side, needs a text, granting only).
FLOW = {
    "screen_pass": ({S.SUBMITTED}, S.IN_REVIEW, Side.OFFICE, False, False),
    "screen_reject": ({S.SUBMITTED}, S.INELIGIBLE, Side.OFFICE, True, False),
    "decide": ({S.IN_REVIEW}, S.DECIDED, Side.OFFICE, False, False),
    "accept": ({S.DECIDED}, S.ACCEPTED, Side.ORGANISATION, False, True),
    "decline": ({S.DECIDED}, S.DECLINED, Side.ORGANISATION, True, True),
    "close": ({S.ACCEPTED}, S.CLOSED, Side.OFFICE, False, False),
}
MAY_ACT_FOR = {Side.OFFICE: {"grant_officer"}, Side.ORGANISATION: {"ngo_a_admin"}}
ROLES = [role for role in ALL_ROLES if role != ANONYMOUS]


def test_the_transition_table_is_the_designed_flow() -> None:
    table = {
        t.action: (set(t.from_states), t.to_state, t.side, t.needs_text, t.granting_only)
        for t in TRANSITIONS
    }
    assert table == FLOW


def _in_state(state: ApplicationState) -> GrantApplication:
    """Organisation A's application put in ``state`` (a grant, where one is needed), the
    round in assessment."""
    application = in_review(open_round())
    application.state = state
    if state in (S.DECIDED, S.ACCEPTED, S.DECLINED, S.CLOSED):
        application.decision = GrantDecision.GRANTED
        application.granted_ore = application.requested_ore
    db.session.flush()
    return application


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(FLOW))
def test_each_action_only_by_its_side(ctx: None, outbox: list[Any], action: str, role: str) -> None:
    from_states, to_state, side, _text, _granting = FLOW[action]
    application = _in_state(next(iter(from_states)))
    person = user(role)
    allowed = role in MAY_ACT_FOR[side]
    assert (action in {t.action for t in grant_workflow.available(person, application)}) == allowed
    version = application.version
    outbox.clear()
    if not allowed:
        with pytest.raises(WorkflowError) as refused:
            grant_workflow.apply(application, action, person, text="Begrundelse")
        assert not isinstance(refused.value, ConflictError)
        assert application.state in from_states and application.version == version
        assert outbox == []
        return
    grant_workflow.apply(application, action, person, text="Begrundelse")
    assert application.state == to_state
    assert audit_actions(application.id)[-1] == f"grant_application.{action}"
    assert grant_workflow.history(application)[-1].action == action
    told = {m.to for m in outbox}
    assert person.email not in told
    transition = grant_workflow.BY_ACTION[action]
    if Side.ORGANISATION in transition.tells:
        assert ROLE_ACCOUNTS["ngo_a_admin"] in told
    if Side.OFFICE in transition.tells:
        assert ROLE_ACCOUNTS["grant_officer"] in told


@pytest.mark.parametrize("action", list(FLOW))
def test_no_action_in_a_wrong_state(ctx: None, action: str) -> None:
    from_states, _to, side, _text, _granting = FLOW[action]
    person = user(next(iter(MAY_ACT_FOR[side])))
    for state in ApplicationState:
        if state in from_states or state == S.DRAFT:
            continue
        application = _in_state(state)
        assert action not in {t.action for t in grant_workflow.available(person, application)}
        with pytest.raises(WorkflowError, match="når ansøgningen har status"):
            grant_workflow.apply(application, action, person, text="Begrundelse")
        assert application.state == state


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_a_refusal_cannot_be_accepted_or_declined(ctx: None, action: str) -> None:
    application = in_review(open_round())
    decide(application, GrantDecision.REFUSED, reason="Uden for puljen.")
    with pytest.raises(WorkflowError, match="ikke fået tilskud"):
        grant_workflow.apply(application, action, user("ngo_a_admin"), text="Nej tak")


@pytest.mark.parametrize("round_state", [RoundState.PUBLISHED, RoundState.DECIDED])
def test_screening_and_deciding_only_while_the_round_is_in_assessment(
    ctx: None, round_state: RoundState
) -> None:
    grant_round = open_round()
    application = submitted(grant_round)
    grant_round.state = round_state
    db.session.flush()
    for action in ("screen_pass", "screen_reject"):
        with pytest.raises(WorkflowError, match="ikke under bedømmelse"):
            grant_workflow.apply(application, action, officer(), text="Begrundelse")
    application.state = S.IN_REVIEW
    db.session.flush()
    with pytest.raises(WorkflowError, match="ikke under bedømmelse"):
        decide(application)
    assert application.state == S.IN_REVIEW and application.decision is None


def test_screen_reject_needs_a_reason(ctx: None) -> None:
    grant_round = open_round()
    application = submitted(grant_round)
    start_assessment(grant_round)
    with pytest.raises(WorkflowError, match="begrundelse"):
        grant_workflow.apply(application, "screen_reject", officer(), text="  ")
    grant_workflow.apply(application, "screen_reject", officer(), text="Budgettet mangler noter.")
    assert application.state == S.INELIGIBLE
    assert application.screening_reason == "Budgettet mangler noter."
    assert application.screened_by_id == officer().id


# --- the round's steps -------------------------------------------------------------------------


def _round_with_deadline(deadline: datetime) -> GrantRound:
    return make_round(
        state=RoundState.PUBLISHED, opens_at=deadline - timedelta(days=30), deadline_at=deadline
    )


def _start(grant_round: GrantRound, now: datetime) -> None:
    grant_decisions.start_assessment(grant_round, officer(), now=now)


# The last Sundays of March and October 2027, when Copenhagen changes to summer and back.
SPRING = grant_rounds.copenhagen_instant(date(2027, 3, 28), time(3, 0))  # 01:00 UTC
AUTUMN = grant_rounds.copenhagen_instant(date(2027, 10, 31), time(2, 30))  # the first 02:30


def test_the_change_of_clock_instants() -> None:
    assert datetime(2027, 3, 28, 1, 0, tzinfo=UTC) == SPRING
    # One second before is 01:59:59 winter time: an hour earlier on the wall clock.
    assert grant_rounds.local(SPRING - SECOND).strftime("%H:%M:%S") == "01:59:59"
    assert datetime(2027, 10, 31, 0, 30, tzinfo=UTC) == AUTUMN


@pytest.mark.parametrize(
    "deadline",
    [datetime(2027, 3, 1, 11, 0, tzinfo=UTC), SPRING, AUTUMN],
    ids=["winter", "spring-forward", "autumn-back"],
)
def test_assessment_starts_only_after_the_deadline_to_the_second(
    ctx: None, deadline: datetime
) -> None:
    grant_round = _round_with_deadline(deadline)
    for too_early in (deadline - SECOND, deadline):
        with pytest.raises(WorkflowError, match="ansøgningsfristen er udløbet"):
            _start(grant_round, too_early)
        assert grant_round.state == RoundState.PUBLISHED
    _start(grant_round, deadline + SECOND)
    assert grant_round.state == RoundState.IN_ASSESSMENT
    assert audit_actions(grant_round.id)[-1] == "grant_round.start_assessment"


def test_in_autumn_the_repeated_hour_does_not_move_the_deadline(ctx: None) -> None:
    """02:30 on the night the clocks go back is its first occurrence; at the second 02:30
    (an hour later) the deadline has long passed."""
    grant_round = _round_with_deadline(AUTUMN)
    second_half_past_two = AUTUMN + timedelta(hours=1)
    assert grant_rounds.local(second_half_past_two).strftime("%H:%M") == "02:30"
    _start(grant_round, second_half_past_two)
    assert grant_round.state == RoundState.IN_ASSESSMENT


def test_only_grant_officers_take_the_rounds_steps(ctx: None) -> None:
    grant_round = _round_with_deadline(datetime(2027, 3, 1, 11, 0, tzinfo=UTC))
    for role in ROLES:
        if role == "grant_officer":
            continue
        with pytest.raises(WorkflowError):
            grant_decisions.start_assessment(grant_round, user(role), now=AFTER_DEADLINE)
        assert grant_round.state == RoundState.PUBLISHED


def test_a_step_from_a_stale_round_is_a_conflict(ctx: None) -> None:
    grant_round = _round_with_deadline(datetime(2027, 3, 1, 11, 0, tzinfo=UTC))
    with pytest.raises(ConflictError):
        grant_decisions.start_assessment(
            grant_round, officer(), expected_version=grant_round.version - 1, now=AFTER_DEADLINE
        )


def test_mark_decided_waits_for_every_application(ctx: None) -> None:
    first, second = two_in_review()
    grant_round = first.round
    with pytest.raises(WorkflowError, match="2 ansøgninger mangler"):
        grant_decisions.mark_decided(grant_round, officer())
    decide(first)
    with pytest.raises(WorkflowError, match="1 ansøgninger mangler"):
        grant_decisions.mark_decided(grant_round, officer())
    decide(second, GrantDecision.REFUSED, reason="Uden for puljen.")
    grant_decisions.mark_decided(grant_round, officer())
    assert grant_round.state == RoundState.DECIDED
    # No more decisions once the round is decided.
    assert "decide" not in {t.action for t in grant_workflow.available(officer(), first)}


def test_mark_decided_only_in_assessment(ctx: None) -> None:
    grant_round = open_round()
    with pytest.raises(WorkflowError, match="ikke under bedømmelse"):
        grant_decisions.mark_decided(grant_round, officer())


def test_finish_waits_for_every_grant_to_close(ctx: None) -> None:
    application = in_review(open_round())
    grant_round = application.round
    with pytest.raises(WorkflowError, match="skal være afgjort"):
        grant_decisions.finish(grant_round, officer())
    decide(application)
    grant_decisions.mark_decided(grant_round, officer())
    with pytest.raises(WorkflowError, match="1 tilskud er endnu ikke lukket"):
        grant_decisions.finish(grant_round, officer())
    grant_workflow.apply(application, "accept", user("ngo_a_admin"))
    grant_workflow.apply(application, "close", officer())
    grant_decisions.finish(grant_round, officer())
    assert grant_round.state == RoundState.FINISHED


# --- the decision letter -----------------------------------------------------------------------


def _letter(application: GrantApplication) -> Document:
    assert application.decision_letter_document_id is not None
    document = db.session.get(Document, application.decision_letter_document_id)
    assert document is not None
    return document


def _pdf_text(data: bytes) -> tuple[str, Any]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def _stored(document: Document) -> bytes:
    from portal import storage

    return b"".join(storage.get_storage().open(document.storage_key))


@pytest.mark.real_pdf
def test_the_letter_of_a_grant(ctx: None, outbox: list[Any]) -> None:
    application = in_review(open_round(audit_threshold_ore=1_000_000))
    outbox.clear()
    decide(application, conditions="Projektet skal nævne puljen i sin omtale.")
    document = _letter(application)
    assert document.owner_type == OwnerType.ORGANISATION
    assert document.owner_id == application.organisation_id
    assert document.purpose == grant_letters.PURPOSE
    assert document.content_type == "application/pdf"
    assert document.original_name.startswith("afgoerelse-tilskud-")
    text, reader = _pdf_text(_stored(document))
    assert f"Side 1 af {len(reader.pages)}" in text
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4
    flat = " ".join(text.split())
    assert "Afgørelse om tilskud" in flat
    assert application.title in flat and application.organisation.name in flat
    assert application.organisation.cvr in flat
    assert "I får hele det beløb, I har søgt om: 35.000,00 kr." in flat
    assert "kr.." not in flat
    assert "Projektet skal nævne puljen i sin omtale." in flat
    assert "Koordinator, timer" in flat and "25.000,00 kr." in flat  # the lines with amounts
    assert "revideret regnskab" in flat  # 35.000 kr. is above the round's 10.000 kr.
    assert "imod tilskuddet og betingelserne" in flat  # how to accept
    assert "klagevejledning" in flat.lower()
    # Sent to the organisation's admins with the PDF, never to the officer.
    [message] = [m for m in outbox if m.to == ROLE_ACCOUNTS["ngo_a_admin"]]
    assert application.title in message.subject
    [(name, content_type, data)] = message.attachments
    assert name == document.original_name and content_type == "application/pdf"
    assert data == _stored(document)
    assert ROLE_ACCOUNTS["grant_officer"] not in {m.to for m in outbox}
    # Audited: the decision, then the letter.
    assert audit_actions(application.id)[-1] == "grant_application.decide"
    letter_entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "grant_application.decision_letter_issued",
            AuditEntry.object_id == str(document.id),
        )
    )
    assert letter_entry is not None
    assert letter_entry.details["application_id"] == str(application.id)
    assert letter_entry.details["granted_ore"] == ASKED


@pytest.mark.real_pdf
def test_the_letter_of_a_partial_grant_below_the_audit_threshold(ctx: None) -> None:
    application = in_review(open_round())  # threshold 100.000 kr.
    decide(application, GrantDecision.PARTLY_GRANTED, 2_000_050, reason="Lokalerne dækkes ikke.")
    flat = " ".join(_pdf_text(_stored(_letter(application)))[0].split())
    assert "I får 20.000,50 kr. af de 35.000,00 kr., I har søgt om." in flat
    assert "Lokalerne dækkes ikke." in flat
    assert "revideret regnskab" not in flat
    assert application.report_due_on is not None


@pytest.mark.real_pdf
def test_the_letter_of_a_refusal(ctx: None, outbox: list[Any]) -> None:
    application = in_review(open_round())
    outbox.clear()
    decide(application, GrantDecision.REFUSED, reason="Projektet ligger uden for puljens formål.")
    flat = " ".join(_pdf_text(_stored(_letter(application)))[0].split())
    assert "I får desværre ikke tilskud til projektet." in flat
    assert "Projektet ligger uden for puljens formål." in flat
    assert "Tilskuddet fordelt på budgettet" not in flat
    assert "imod tilskuddet" not in flat
    assert [m.to for m in outbox] == [ROLE_ACCOUNTS["ngo_a_admin"]]


class _BrokenStore:
    def put(self, key: str, data: bytes, content_type: str) -> None:
        from portal.storage import StorageError

        raise StorageError("store unreachable")


def test_a_letter_that_cannot_be_stored_raises(
    app: Flask, ctx: None, outbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    application = in_review(open_round())
    outbox.clear()
    monkeypatch.setitem(app.extensions, "portal_storage", _BrokenStore())
    with pytest.raises(grant_letters.LetterError, match="Intet er gemt"):
        decide(application)
    assert outbox == []  # the caller rolls back; nothing was sent


def test_no_other_organisation_gets_the_letter(ctx: None, outbox: list[Any]) -> None:
    """Other organisations' admins never get the letter."""
    application = in_review(open_round())
    outbox.clear()
    decide(application)
    org_b_admin = ROLE_ACCOUNTS["ngo_b_admin"]
    assert org_b_admin not in {m.to for m in outbox}
    assert organisation(ORG_B).id != application.organisation_id
