"""After the grant, as services: payments in instalments (never more than the grant; an
instalment that needs an approved interim report), change requests (the reallocation's sum
rule, an extension moving the period and the report's due date, one waiting request of a kind,
who may take which step), reports (each check on its own, the explanation threshold at its
exact boundary, audited accounts only above the round's amount, vouchers only when sampled,
asking for more and sending again), closing with the computed repayment, the voucher sample
(the right size, reproducible from the recorded seed), and the report reminders (once each,
with a frozen clock). Every step is in the history, the audit log and, where it concerns the
other side, in an e-mail.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal import db
from portal.models import (
    ApplicationState,
    AuditEntry,
    ChangeKind,
    GrantApplication,
    GrantDecision,
    GrantReport,
    GrantRound,
    Organisation,
    OrganisationState,
    ReportKind,
    ReportState,
    RequestState,
    RoundState,
)
from portal.services import (
    grant_changes,
    grant_decisions,
    grant_followup,
    grant_payments,
    grant_report_accounts,
    grant_reports,
    grant_vouchers,
    grant_workflow,
    reminders,
)
from portal.services.grant_decisions import DecisionValues
from portal.services.grant_reports import LineEntry, ReportProblems, ReportValues
from portal.services.workflow import ConflictError, WorkflowError
from tests.activity_data import ORG_A, organisation, user
from tests.grant_data import in_review, make_round, open_round

OFFICER = "grant_officer"
ADMIN_A = "ngo_a_admin"
MEMBER_A = "ngo_a_member"
A_EMAILS = {"ngo-a.admin@example.org"}


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context outside any request: mail is delivered at once (to ``outbox``)."""
    with app.app_context():
        yield


def accepted(**round_changes: Any) -> GrantApplication:
    """Organisation A's grant of 35.000 kr. (lines approved 25.000 and 10.000 kr.), accepted."""
    application = in_review(open_round(**round_changes))
    grant_decisions.decide(application, user(OFFICER), DecisionValues(GrantDecision.GRANTED))
    grant_workflow.apply(application, "accept", user(ADMIN_A))
    db.session.flush()
    return application


def events(application: GrantApplication) -> list[str]:
    return [e.action for e in grant_workflow.history(application)]


def audited(action: str, object_id: object) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == action, AuditEntry.object_id == str(object_id)
            )
        )
    )


def lines_of(application: GrantApplication) -> list[uuid.UUID]:
    return [line.id for line in application.budget_lines]


def values(
    application: GrantApplication,
    actuals: list[int | None],
    explanations: list[str] | None = None,
    narrative: str = "Vi holdt 40 møder med 25 indsatte.",
    hours: str = "312.5",
) -> ReportValues:
    texts = explanations or [""] * len(actuals)
    return ReportValues(
        narrative,
        Decimal(hours),
        [
            LineEntry(line_id, actual, text)
            for line_id, actual, text in zip(lines_of(application), actuals, texts, strict=True)
        ],
    )


def written(
    application: GrantApplication,
    kind: ReportKind = ReportKind.FINAL,
    actuals: list[int | None] | None = None,
) -> GrantReport:
    """A report started and filled in (by default exactly as approved), every line explained."""
    report = grant_reports.start_report(application, user(MEMBER_A), kind)
    grant_reports.save_report(
        report,
        application,
        user(MEMBER_A),
        values(application, actuals or [2_500_000, 1_000_000], ["Forklaret"] * 2),
    )
    return report


def approved_report(
    application: GrantApplication,
    kind: ReportKind = ReportKind.FINAL,
    actuals: list[int | None] | None = None,
) -> GrantReport:
    report = written(application, kind, actuals)
    grant_reports.take(report, application, "submit", user(ADMIN_A))
    grant_reports.take(report, application, "approve", user(OFFICER))
    db.session.flush()
    return report


# --- payments --------------------------------------------------------------------------------


def test_payments_in_instalments_never_exceed_the_grant(ctx: None, outbox: list[Any]) -> None:
    application = accepted()
    assert application.granted_ore == 3_500_000
    outbox.clear()
    first = grant_payments.record_payment(
        application, user(OFFICER), 2_000_000, date(2027, 6, 1), note="Første rate"
    )
    assert first.instalment == 1
    with pytest.raises(WorkflowError, match=r"15\.000,00 kr"):
        grant_payments.record_payment(application, user(OFFICER), 1_500_001, date(2027, 9, 1))
    second = grant_payments.record_payment(application, user(OFFICER), 1_500_000, date(2027, 9, 1))
    assert second.instalment == 2
    assert grant_payments.paid_ore(application) == 3_500_000
    assert grant_payments.remaining_ore(application) == 0
    with pytest.raises(WorkflowError):
        grant_payments.record_payment(application, user(OFFICER), 1, date(2027, 9, 2))
    assert events(application).count("payment") == 2
    assert len(audited("grant_payment.recorded", application.id)) == 2
    assert {m.to for m in outbox} == A_EMAILS
    assert "20.000,00 kr." in outbox[0].body and "Første rate" in outbox[0].body


@pytest.mark.parametrize("role", [ADMIN_A, MEMBER_A, "admin", "dpo", "reviewer"])
def test_only_grant_officers_record_payments(ctx: None, role: str) -> None:
    application = accepted()
    with pytest.raises(WorkflowError):
        grant_payments.record_payment(application, user(role), 100_000, date(2027, 6, 1))
    assert grant_payments.paid_ore(application) == 0


def test_no_payment_before_acceptance_or_of_nothing(ctx: None) -> None:
    application = in_review(open_round())
    grant_decisions.decide(application, user(OFFICER), DecisionValues(GrantDecision.GRANTED))
    with pytest.raises(WorkflowError, match="taget imod"):
        grant_payments.record_payment(application, user(OFFICER), 100_000, date(2027, 6, 1))
    grant_workflow.apply(application, "accept", user(ADMIN_A))
    with pytest.raises(WorkflowError, match="over 0"):
        grant_payments.record_payment(application, user(OFFICER), 0, date(2027, 6, 1))


def test_an_instalment_can_require_an_approved_interim_report(ctx: None) -> None:
    application = accepted()
    officer = user(OFFICER)
    grant_payments.record_payment(application, officer, 1_000_000, date(2027, 6, 1))
    with pytest.raises(WorkflowError, match="delrapport"):
        grant_payments.record_payment(
            application, officer, 1_000_000, date(2027, 12, 1), requires_interim_report=True
        )
    interim = written(application, ReportKind.INTERIM, [1_000_000, 0])  # nothing to explain
    grant_reports.take(interim, application, "submit", user(ADMIN_A))
    with pytest.raises(WorkflowError, match="delrapport"):  # sent, not yet approved
        grant_payments.record_payment(
            application, officer, 1_000_000, date(2027, 12, 1), requires_interim_report=True
        )
    grant_reports.take(interim, application, "approve", officer)
    payment = grant_payments.record_payment(
        application, officer, 1_000_000, date(2027, 12, 1), requires_interim_report=True
    )
    assert payment.instalment == 2 and payment.requires_interim_report
    # The next such instalment needs an interim report of its own.
    with pytest.raises(WorkflowError, match="delrapport"):
        grant_payments.record_payment(
            application, officer, 500_000, date(2028, 3, 1), requires_interim_report=True
        )


# --- change requests -------------------------------------------------------------------------


def test_a_reallocation_keeps_the_sum_and_moves_the_approved_amounts(
    ctx: None, outbox: list[Any]
) -> None:
    application = accepted()
    salaries, courses = lines_of(application)
    admin = user(ADMIN_A)
    request = grant_changes.request_change
    with pytest.raises(WorkflowError, match=r"35\.000,00 kr"):
        request(
            application,
            admin,
            ChangeKind.REALLOCATION,
            text="Flere kurser",
            reallocation={str(salaries): 2_000_000, str(courses): 1_000_000},
        )
    with pytest.raises(WorkflowError, match="negativt"):
        request(
            application,
            admin,
            ChangeKind.REALLOCATION,
            text="Flere kurser",
            reallocation={str(salaries): 3_600_000, str(courses): -100_000},
        )
    with pytest.raises(WorkflowError, match="samme"):
        request(
            application,
            admin,
            ChangeKind.REALLOCATION,
            text="Flere kurser",
            reallocation={str(salaries): 2_500_000, str(courses): 1_000_000},
        )
    with pytest.raises(WorkflowError):  # a line of another application
        request(
            application,
            admin,
            ChangeKind.REALLOCATION,
            text="Flere kurser",
            reallocation={str(uuid.uuid4()): 3_500_000},
        )
    outbox.clear()
    change = request(
        application,
        admin,
        ChangeKind.REALLOCATION,
        text="Flere kurser, færre koordinatortimer",
        reallocation={str(salaries): 2_000_000, str(courses): 1_500_000},
    )
    assert change.state == RequestState.SUBMITTED
    assert outbox and {m.to for m in outbox} == {"grants@example.org"}
    outbox.clear()
    grant_changes.decide(
        change, application, "approve", user(OFFICER), expected_version=change.version
    )
    assert change.state == RequestState.APPROVED
    assert [line.approved_ore for line in application.budget_lines] == [2_000_000, 1_500_000]
    assert {m.to for m in outbox} == A_EMAILS
    assert events(application)[-2:] == ["change_requested", "change_approved"]
    assert audited("grant_change.requested", change.id)
    [entry] = audited("grant_change.approve", change.id)
    assert entry.details["approved_after"] == {str(salaries): 2_000_000, str(courses): 1_500_000}


def test_an_extension_moves_the_period_and_the_report_due_date(ctx: None) -> None:
    application = accepted()
    assert application.period_end == date(2028, 5, 31)
    due = application.report_due_on
    assert due is not None
    with pytest.raises(WorkflowError, match="efter den nuværende"):
        grant_changes.request_change(
            application,
            user(ADMIN_A),
            ChangeKind.EXTENSION,
            text="Forsinket start",
            new_period_end=date(2028, 5, 31),
        )
    change = grant_changes.request_change(
        application,
        user(ADMIN_A),
        ChangeKind.EXTENSION,
        text="Forsinket start",
        new_period_end=date(2028, 8, 31),
    )
    grant_changes.decide(change, application, "approve", user(OFFICER))
    assert application.period_end == date(2028, 8, 31)
    assert application.report_due_on == due + timedelta(days=92)


def test_one_waiting_request_of_a_kind_at_a_time(ctx: None) -> None:
    application = accepted()
    admin = user(ADMIN_A)
    first = grant_changes.request_change(
        application, admin, ChangeKind.ACTIVITY, text="Vi mødes online i stedet"
    )
    with pytest.raises(WorkflowError, match="venter"):
        grant_changes.request_change(application, admin, ChangeKind.ACTIVITY, text="Igen")
    # Another kind may wait at the same time.
    grant_changes.request_change(
        application,
        admin,
        ChangeKind.EXTENSION,
        text="Mere tid",
        new_period_end=date(2028, 6, 30),
    )
    grant_changes.decide(first, application, "withdraw", admin)
    assert first.state == RequestState.WITHDRAWN
    again = grant_changes.request_change(application, admin, ChangeKind.ACTIVITY, text="Igen")
    assert again.state == RequestState.SUBMITTED
    assert "change_withdrawn" in events(application)


def test_refusing_needs_a_reason_and_changes_nothing(ctx: None, outbox: list[Any]) -> None:
    application = accepted()
    change = grant_changes.request_change(
        application,
        user(ADMIN_A),
        ChangeKind.EXTENSION,
        text="Mere tid",
        new_period_end=date(2028, 12, 31),
    )
    with pytest.raises(WorkflowError, match="begrundelse"):
        grant_changes.decide(change, application, "refuse", user(OFFICER), text="  ")
    outbox.clear()
    grant_changes.decide(change, application, "refuse", user(OFFICER), text="Fristen er fast.")
    assert change.state == RequestState.REFUSED
    assert change.decision_reason == "Fristen er fast."
    assert application.period_end == date(2028, 5, 31)
    assert "Fristen er fast." in outbox[0].body
    with pytest.raises(WorkflowError, match="allerede afgjort"):
        grant_changes.decide(change, application, "approve", user(OFFICER))


def test_a_decision_on_a_stale_page_is_a_conflict(ctx: None) -> None:
    application = accepted()
    change = grant_changes.request_change(
        application, user(ADMIN_A), ChangeKind.ACTIVITY, text="Andet sted"
    )
    seen = change.version
    grant_changes.decide(change, application, "withdraw", user(ADMIN_A))
    with pytest.raises(ConflictError):
        grant_changes.decide(change, application, "approve", user(OFFICER), expected_version=seen)


CHANGE_ROLES = [
    # (action, role, allowed)
    ("approve", OFFICER, True),
    ("approve", ADMIN_A, False),
    ("approve", "admin", False),
    ("refuse", OFFICER, True),
    ("refuse", MEMBER_A, False),
    ("withdraw", ADMIN_A, True),
    ("withdraw", MEMBER_A, False),
    ("withdraw", "ngo_b_admin", False),
    ("withdraw", OFFICER, False),
]


@pytest.mark.parametrize(("action", "role", "allowed"), CHANGE_ROLES)
def test_change_transitions_by_role(ctx: None, action: str, role: str, allowed: bool) -> None:
    application = accepted()
    change = grant_changes.request_change(
        application, user(ADMIN_A), ChangeKind.ACTIVITY, text="Andet sted"
    )
    shown = [t.action for t in grant_changes.available(user(role), application, change)]
    assert (action in shown) == allowed
    if allowed:
        grant_changes.decide(change, application, action, user(role), text="Begrundelse")
        assert change.state != RequestState.SUBMITTED
    else:
        with pytest.raises(WorkflowError):
            grant_changes.decide(change, application, action, user(role), text="Begrundelse")
        assert change.state == RequestState.SUBMITTED


@pytest.mark.parametrize("role", [MEMBER_A, "ngo_b_admin", OFFICER])
def test_only_the_organisations_admins_ask_for_changes(ctx: None, role: str) -> None:
    application = accepted()
    with pytest.raises(WorkflowError):
        grant_changes.request_change(application, user(role), ChangeKind.ACTIVITY, text="X")


# --- reports ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("approved", "actual", "needed"),
    [
        (1_000_000, 1_100_000, False),  # 10 % and 1.000 kr. exactly: neither is exceeded
        (1_000_000, 1_100_001, True),
        (1_000_000, 899_999, True),
        (2_000_000, 2_200_000, False),  # more than 1.000 kr., but exactly 10 %
        (2_000_000, 2_200_001, True),
        (500_000, 600_000, False),  # 20 %, but exactly 1.000 kr.
        (500_000, 600_001, True),
        (0, 100_000, False),
        (0, 100_001, True),
        (2_500_000, 0, True),
    ],
)
def test_the_explanation_threshold_at_its_boundary(
    approved: int, actual: int, needed: bool
) -> None:
    assert grant_report_accounts.needs_explanation(approved, actual) is needed


def test_each_report_check_on_its_own(ctx: None) -> None:
    application = accepted(audit_threshold_ore=3_000_000)
    report = grant_reports.start_report(application, user(MEMBER_A), ReportKind.FINAL)

    def fields(
        actuals: list[int | None], narrative: str = "Beretning", explain: str = ""
    ) -> set[str]:
        grant_reports.save_report(
            report,
            application,
            user(MEMBER_A),
            values(application, actuals, [explain, explain], narrative=narrative),
        )
        return {p.field for p in grant_report_accounts.problems(report, application)}

    everything = fields([None, None], narrative="")
    assert everything == {"narrative", "lines-0-actual", "lines-1-actual", "audited_accounts"}
    assert fields([2_500_000, 1_000_000]) == {"audited_accounts"}
    assert fields([2_500_000, 0], narrative="") == {
        "narrative",
        "lines-1-explanation",
        "audited_accounts",
    }
    assert fields([2_500_000, 0], explain="Kurserne blev aflyst") == {"audited_accounts"}
    report.audited_accounts_document_id = _a_document(application)
    assert fields([2_500_000, 1_000_000]) == set()
    application.voucher_requested = True
    assert {p.field for p in grant_report_accounts.problems(report, application)} == {"vouchers"}
    report.vouchers_document_id = _a_document(application)
    assert grant_report_accounts.problems(report, application) == []


def test_audited_accounts_only_above_the_rounds_amount(ctx: None) -> None:
    at_threshold = accepted(audit_threshold_ore=3_500_000)  # granted exactly the threshold
    report = written(at_threshold)
    assert not grant_report_accounts.audited_accounts_required(report, at_threshold)
    assert grant_report_accounts.problems(report, at_threshold) == []
    above = accepted(audit_threshold_ore=3_499_999)
    report = written(above)
    assert [p.field for p in grant_report_accounts.problems(report, above)] == ["audited_accounts"]
    interim = accepted(audit_threshold_ore=0)
    assert grant_report_accounts.problems(written(interim, ReportKind.INTERIM), interim) == []


def test_sending_lists_every_problem_and_changes_nothing(ctx: None, outbox: list[Any]) -> None:
    application = accepted()
    report = grant_reports.start_report(application, user(MEMBER_A), ReportKind.FINAL)
    outbox.clear()
    with pytest.raises(ReportProblems) as refused:
        grant_reports.take(report, application, "submit", user(ADMIN_A))
    assert len(refused.value.problems) == 3
    assert report.state == ReportState.DRAFT
    assert outbox == []


def test_ask_for_more_and_send_again(ctx: None, outbox: list[Any]) -> None:
    application = accepted()
    report = written(application)
    with pytest.raises(WorkflowError):  # members write; admins send
        grant_reports.take(report, application, "submit", user(MEMBER_A))
    outbox.clear()
    grant_reports.take(report, application, "submit", user(ADMIN_A))
    assert report.state == ReportState.SUBMITTED and report.submitted_by_id == user(ADMIN_A).id
    assert {m.to for m in outbox} == {"grants@example.org"}
    with pytest.raises(WorkflowError, match="sendt"):
        grant_reports.save_report(report, application, user(MEMBER_A), values(application, [1, 1]))
    with pytest.raises(WorkflowError, match="mangler"):
        grant_reports.take(report, application, "ask_more", user(OFFICER))
    outbox.clear()
    grant_reports.take(report, application, "ask_more", user(OFFICER), text="Flere detaljer")
    assert report.state == ReportState.MORE_REQUESTED
    assert report.decision_text == "Flere detaljer"
    assert {m.to for m in outbox} == A_EMAILS
    grant_reports.save_report(
        report, application, user(MEMBER_A), values(application, [2_400_000, 1_000_000])
    )
    grant_reports.take(report, application, "submit", user(ADMIN_A))
    grant_reports.take(report, application, "approve", user(OFFICER))
    assert report.state == ReportState.APPROVED
    assert events(application)[-4:] == [
        "report_submitted",
        "report_more_requested",
        "report_submitted",
        "report_approved",
    ]
    assert [e.details["to"] for e in _report_audit(report)] == [
        "submitted",
        "more_requested",
        "submitted",
        "approved",
    ]


def test_saving_from_an_old_page_is_a_conflict(ctx: None) -> None:
    application = accepted()
    report = written(application)
    seen = report.version
    grant_reports.save_report(
        report, application, user(ADMIN_A), values(application, [1_000, 2_000])
    )
    with pytest.raises(ConflictError):
        grant_reports.save_report(
            report,
            application,
            user(MEMBER_A),
            values(application, [3_000, 4_000]),
            expected_version=seen,
        )


def test_a_line_without_an_amount_is_not_filled_in(ctx: None) -> None:
    application = accepted()
    report = written(application)
    assert len(report.lines) == 2
    grant_reports.save_report(
        report, application, user(MEMBER_A), values(application, [None, 0], hours="0")
    )
    figures = grant_report_accounts.figures(report, application)
    assert [f.actual_ore for f in figures.lines] == [None, 0]
    assert report.volunteer_hours == Decimal(0)
    with pytest.raises(WorkflowError, match="timer"):
        grant_reports.save_report(
            report, application, user(MEMBER_A), values(application, [0, 0], hours="-1")
        )


def test_one_final_report_and_one_open_interim_report(ctx: None) -> None:
    application = accepted()
    member = user(MEMBER_A)
    interim = grant_reports.start_report(application, member, ReportKind.INTERIM)
    with pytest.raises(WorkflowError, match="delrapport"):
        grant_reports.start_report(application, member, ReportKind.INTERIM)
    grant_reports.save_report(interim, application, member, values(application, [0, 0]))
    assert grant_report_accounts.problems(interim, application) == []  # the spending so far
    grant_reports.take(interim, application, "submit", user(ADMIN_A))
    grant_reports.take(interim, application, "approve", user(OFFICER))
    grant_reports.start_report(application, member, ReportKind.INTERIM)
    grant_reports.start_report(application, member, ReportKind.FINAL)
    with pytest.raises(WorkflowError, match="Slutrapporten"):
        grant_reports.start_report(application, member, ReportKind.FINAL)
    with pytest.raises(WorkflowError, match="Slutrapporten"):
        grant_reports.start_report(application, member, ReportKind.INTERIM)


@pytest.mark.parametrize("role", [OFFICER, "ngo_b_admin", "admin", "reviewer"])
def test_only_the_organisations_staff_write_reports(ctx: None, role: str) -> None:
    application = accepted()
    with pytest.raises(WorkflowError):
        grant_reports.start_report(application, user(role), ReportKind.FINAL)
    report = written(application)
    with pytest.raises(WorkflowError):
        grant_reports.save_report(report, application, user(role), values(application, [1, 1]))


REPORT_ROLES = [
    # (state before, action, role, allowed)
    ("draft", "submit", ADMIN_A, True),
    ("draft", "submit", MEMBER_A, False),
    ("draft", "submit", OFFICER, False),
    ("draft", "approve", OFFICER, False),
    ("submitted", "approve", OFFICER, True),
    ("submitted", "approve", ADMIN_A, False),
    ("submitted", "approve", "admin", False),
    ("submitted", "ask_more", OFFICER, True),
    ("submitted", "ask_more", "dpo", False),
    ("submitted", "submit", ADMIN_A, False),
]


@pytest.mark.parametrize(("state", "action", "role", "allowed"), REPORT_ROLES)
def test_report_transitions_by_role(
    ctx: None, state: str, action: str, role: str, allowed: bool
) -> None:
    application = accepted()
    report = written(application)
    if state == "submitted":
        grant_reports.take(report, application, "submit", user(ADMIN_A))
    shown = [t.action for t in grant_reports.available(user(role), application, report)]
    assert (action in shown) == allowed
    if allowed:
        grant_reports.take(report, application, action, user(role), text="Tekst")
        assert report.state.value != state
    else:
        with pytest.raises(WorkflowError):
            grant_reports.take(report, application, action, user(role), text="Tekst")
        assert report.state.value == state


# --- closing ---------------------------------------------------------------------------------


def test_close_only_after_the_approved_final_report_with_the_computed_repayment(
    ctx: None, outbox: list[Any]
) -> None:
    application = accepted()
    officer = user(OFFICER)
    grant_payments.record_payment(application, officer, 3_500_000, date(2027, 6, 1))
    with pytest.raises(WorkflowError, match="Slutrapporten"):
        grant_followup.close(application, officer)
    report = written(application, actuals=[2_500_000, 700_000])
    with pytest.raises(WorkflowError, match="Slutrapporten"):
        grant_followup.close(application, officer)
    grant_reports.take(report, application, "submit", user(ADMIN_A))
    with pytest.raises(WorkflowError):
        grant_followup.close(application, officer)
    grant_reports.take(report, application, "approve", officer)
    assert grant_reports.unspent_ore(application) == 300_000
    with pytest.raises(WorkflowError):
        grant_followup.close(application, user(ADMIN_A))
    outbox.clear()
    grant_followup.close(application, officer, expected_version=application.version)
    assert application.state == ApplicationState.CLOSED
    assert application.repayment_ore == 300_000
    assert application.closed_by_id == officer.id and application.closed_at is not None
    assert events(application)[-1] == "close"
    [entry] = audited("grant_application.close", application.id)
    assert entry.details["repayment_ore"] == 300_000
    assert {m.to for m in outbox} == A_EMAILS
    assert "3.000,00 kr." in outbox[0].body
    with pytest.raises(WorkflowError):  # closed: no more payments
        grant_payments.record_payment(application, officer, 1, date(2028, 1, 1))


def test_the_officer_may_correct_the_repayment_with_a_reason(ctx: None) -> None:
    application = accepted()
    officer = user(OFFICER)
    grant_payments.record_payment(application, officer, 3_000_000, date(2027, 6, 1))
    approved_report(application, actuals=[2_500_000, 600_000])  # spent more than paid
    assert grant_reports.unspent_ore(application) == 0
    with pytest.raises(WorkflowError, match="hvorfor"):
        grant_followup.close(application, officer, repayment_ore=50_000)
    with pytest.raises(WorkflowError, match="højst"):
        grant_followup.close(application, officer, repayment_ore=3_000_001, reason="Fejl")
    grant_followup.close(
        application, officer, repayment_ore=50_000, reason="Et kursus var ikke støtteberettiget"
    )
    assert application.repayment_ore == 50_000
    [entry] = audited("grant_application.close", application.id)
    assert entry.details["computed_repayment_ore"] == 0


def test_close_waits_for_a_waiting_change_request(ctx: None) -> None:
    application = accepted()
    approved_report(application)
    change = grant_changes.request_change(
        application, user(ADMIN_A), ChangeKind.ACTIVITY, text="Andet sted"
    )
    with pytest.raises(WorkflowError, match="ændringsønske"):
        grant_followup.close(application, user(OFFICER))
    grant_changes.decide(change, application, "refuse", user(OFFICER), text="Nej")
    grant_followup.close(application, user(OFFICER))
    assert application.state == ApplicationState.CLOSED
    assert application.repayment_ore == 0


# --- the voucher sample ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "share", "size"),
    [
        (7, 20, 2),
        (5, 20, 1),
        (10, 20, 2),
        (11, 20, 3),
        (1, 1, 1),
        (3, 0, 0),
        (0, 20, 0),
        (4, 100, 4),
    ],
)
def test_sample_size(count: int, share: int, size: int) -> None:
    assert grant_vouchers.sample_size(count, share) == size


def test_the_sample_is_reproducible_from_the_seed() -> None:
    ids = sorted(str(uuid.uuid4()) for _ in range(7))
    first = grant_vouchers.sample(ids, 20, "a1b2c3")
    assert len(first) == 2 and set(first) <= set(ids)
    assert grant_vouchers.sample(ids, 20, "a1b2c3") == first
    assert first == random.Random("a1b2c3").sample(ids, 2)  # noqa: S311
    seeds = {tuple(grant_vouchers.sample(ids, 20, str(n))) for n in range(30)}
    assert len(seeds) > 1, "other seeds draw other grants"


def _grants_in_decided_round(count: int) -> GrantRound:
    """A decided round with ``count`` accepted grants of as many organisations, one declined
    and one refused (these two are never drawn)."""
    grant_round = make_round(state=RoundState.DECIDED)
    base = organisation(ORG_A)
    for n in range(count + 2):
        org = Organisation(
            name=f"Stikprøveforening {n}",
            cvr=f"99{n:06d}",
            municipality_id=base.municipality_id,
            area_office_id=base.area_office_id,
            state=OrganisationState.APPROVED,
        )
        db.session.add(org)
        db.session.flush()
        state, decision = ApplicationState.ACCEPTED, GrantDecision.GRANTED
        if n == count:
            state = ApplicationState.DECLINED
        elif n == count + 1:
            state, decision = ApplicationState.DECIDED, GrantDecision.REFUSED
        db.session.add(
            GrantApplication(
                round_id=grant_round.id,
                organisation_id=org.id,
                title=f"Projekt {n}",
                state=state,
                decision=decision,
                granted_ore=1_000_000 if decision == GrantDecision.GRANTED else 0,
                requested_ore=1_000_000,
            )
        )
    db.session.flush()
    return grant_round


def test_draw_vouchers_once_for_a_decided_round(ctx: None, outbox: list[Any]) -> None:
    grant_round = _grants_in_decided_round(7)
    sampled = grant_vouchers.draw_vouchers(grant_round, user(OFFICER))
    assert len(sampled) == 2
    assert grant_round.voucher_seed and len(grant_round.voucher_seed) == 32
    assert grant_round.voucher_drawn_at is not None
    candidates = grant_vouchers.grants(grant_round)
    assert len(candidates) == 7
    ids = [str(a.id) for a in candidates]
    assert ids == sorted(ids)
    # Anyone can recompute the sample from the recorded seed.
    expected = set(random.Random(grant_round.voucher_seed).sample(ids, 2))  # noqa: S311
    flagged = {str(a.id) for a in candidates if a.voucher_requested}
    assert flagged == expected == {str(a.id) for a in sampled}
    for application in sampled:
        assert events(application) == ["vouchers_requested"]
    [entry] = audited("grant_round.vouchers_drawn", grant_round.id)
    assert entry.details["seed"] == grant_round.voucher_seed
    assert set(entry.details["sampled"]) == expected
    assert len(outbox) == 0 or all("bilagskontrol" in m.subject for m in outbox)
    with pytest.raises(WorkflowError, match="allerede"):
        grant_vouchers.draw_vouchers(grant_round, user(OFFICER))


def test_draw_vouchers_mails_the_sampled_organisation(ctx: None, outbox: list[Any]) -> None:
    application = accepted(voucher_share_percent=100)
    grant_round = application.round
    grant_round.state = RoundState.DECIDED
    db.session.flush()
    outbox.clear()
    assert grant_vouchers.draw_vouchers(grant_round, user(OFFICER)) == [application]
    assert application.voucher_requested
    assert {m.to for m in outbox} == A_EMAILS
    assert "bilagskontrol" in outbox[0].subject


@pytest.mark.parametrize("state", [RoundState.PUBLISHED, RoundState.IN_ASSESSMENT])
def test_no_draw_before_the_round_is_decided(ctx: None, state: RoundState) -> None:
    grant_round = _grants_in_decided_round(3)
    grant_round.state = state
    with pytest.raises(WorkflowError, match="afgjort"):
        grant_vouchers.draw_vouchers(grant_round, user(OFFICER))
    assert grant_round.voucher_seed is None


@pytest.mark.parametrize("role", ["admin", "dpo", ADMIN_A, "reviewer"])
def test_only_grant_officers_draw(ctx: None, role: str) -> None:
    grant_round = _grants_in_decided_round(3)
    with pytest.raises(WorkflowError):
        grant_vouchers.draw_vouchers(grant_round, user(role))
    assert grant_round.voucher_seed is None


# --- reminders -------------------------------------------------------------------------------


def _at(day: date) -> datetime:
    """Midday in Copenhagen on ``day``."""
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


def _remind_the_demo_grants() -> None:
    """The demo's own grants get their reminders first, so the counts below are the test's."""
    grant_followup.report_reminders(_at(date(2100, 1, 1)))


def test_report_reminders_once_each_with_a_frozen_clock(ctx: None, outbox: list[Any]) -> None:
    _remind_the_demo_grants()
    application = accepted()
    due = application.report_due_on
    assert due is not None
    quiet = {"grant_report_reminders": 0, "grant_report_overdue": 0}
    assert grant_followup.report_reminders(_at(due - timedelta(days=15))) == quiet
    outbox.clear()
    assert grant_followup.report_reminders(_at(due - timedelta(days=14))) == {
        "grant_report_reminders": 1,
        "grant_report_overdue": 0,
    }
    assert {m.to for m in outbox} == A_EMAILS
    assert "Husk rapporten" in outbox[0].subject
    assert grant_followup.report_reminders(_at(due - timedelta(days=1))) == quiet
    assert grant_followup.report_reminders(_at(due)) == quiet
    outbox.clear()
    assert grant_followup.report_reminders(_at(due + timedelta(days=1))) == {
        "grant_report_reminders": 0,
        "grant_report_overdue": 1,
    }
    assert "ikke kommet" in outbox[0].subject
    assert grant_followup.report_reminders(_at(due + timedelta(days=30))) == quiet
    assert events(application)[-2:] == ["report_reminder", "report_overdue"]
    assert application.report_reminded_at == _at(due - timedelta(days=14))
    assert audited("grant_application.report_overdue", application.id)


def test_no_reminder_once_the_final_report_is_sent(ctx: None) -> None:
    _remind_the_demo_grants()
    application = accepted()
    due = application.report_due_on
    assert due is not None
    report = written(application)
    grant_reports.take(report, application, "submit", user(ADMIN_A))
    counts = reminders.run(_at(due + timedelta(days=1)))
    assert counts["grant_report_overdue"] == 0 and counts["grant_report_reminders"] == 0
    # Sent back for more: the organisation must act, so it is reminded.
    grant_reports.take(report, application, "ask_more", user(OFFICER), text="Mere")
    counts = reminders.run(_at(due + timedelta(days=1)))
    assert counts["grant_report_overdue"] == 1


def test_an_approved_extension_makes_the_reminders_due_again(ctx: None) -> None:
    application = accepted()
    due = application.report_due_on
    assert due is not None
    grant_followup.report_reminders(_at(due - timedelta(days=10)))
    assert application.report_reminded_at is not None
    change = grant_changes.request_change(
        application,
        user(ADMIN_A),
        ChangeKind.EXTENSION,
        text="Mere tid",
        new_period_end=date(2028, 7, 31),
    )
    grant_changes.decide(change, application, "approve", user(OFFICER))
    assert application.report_due_on == due + timedelta(days=61)
    assert application.report_reminded_at is None


# --- helpers ---------------------------------------------------------------------------------


def _a_document(application: GrantApplication) -> uuid.UUID:
    from portal.models import Document

    document_id = db.session.scalar(
        select(Document.id).where(Document.owner_id == application.organisation_id).limit(1)
    )
    assert document_id is not None
    return document_id


def _report_audit(report: GrantReport) -> list[AuditEntry]:
    return [
        e
        for e in db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_id == str(report.id), AuditEntry.action.like("grant_report.%"))
            .order_by(AuditEntry.id)
        )
        if "to" in (e.details or {})
    ]


def test_the_history_event_names_have_labels() -> None:
    from portal.labels import GRANT_EVENT_LABELS

    used = {
        "payment",
        *(t.event for t in grant_changes.TRANSITIONS),
        "change_requested",
        *(t.event for t in grant_reports.TRANSITIONS),
        "report_reminder",
        "report_overdue",
        "vouchers_requested",
    }
    assert used <= set(GRANT_EVENT_LABELS)
