"""After the grant: closing it and reminding about reports. The parts live in their own
modules: payments (``grant_payments``), change requests (``grant_changes``), reports
(``grant_reports``) and the voucher sample (``grant_vouchers``).

Closing registers what is to be repaid (by default the unspent money: paid minus the approved
final report's actual spending) and closes the case through ``grant_workflow`` ("close").
The reminders are a step of the daily job (``reminders.run``): a grant whose final report is
not in gets one reminder 14 days before it is due and one notice when it is overdue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, or_, select

from portal import audit, db
from portal.auth.permissions import can_assess_application
from portal.db import utcnow
from portal.models import (
    ApplicationState,
    GrantApplication,
    GrantChangeRequest,
    GrantReport,
    ReportKind,
    ReportState,
    RequestState,
    User,
)
from portal.money import kroner
from portal.services import grant_payments, grant_reports, grant_workflow
from portal.services.grant_workflow import Side
from portal.services.volunteer_status import today
from portal.services.workflow import ConflictError, WorkflowError

REMINDER_DAYS = 14


def closing_problems(application: GrantApplication) -> list[Any]:
    """Why the grant cannot be closed now (empty: it can)."""
    found: list[Any] = []
    if application.state != ApplicationState.ACCEPTED:
        found.append(_l("Kun et tilskud, som organisationen har taget imod, kan lukkes."))
        return found
    final = grant_reports.final_report(application)
    if final is None or final.state != ReportState.APPROVED:
        found.append(_l("Slutrapporten skal være godkendt, før sagen kan lukkes."))
    waiting_change = db.session.scalar(
        select(
            exists().where(
                GrantChangeRequest.application_id == application.id,
                GrantChangeRequest.state == RequestState.SUBMITTED,
            )
        )
    )
    if waiting_change:
        found.append(_l("Et ændringsønske venter på afgørelse. Afgør det først."))
    waiting_report = db.session.scalar(
        select(
            exists().where(
                GrantReport.application_id == application.id,
                GrantReport.state == ReportState.SUBMITTED,
            )
        )
    )
    if waiting_report:
        found.append(_l("En rapport venter på godkendelse. Behandl den først."))
    return found


def close(
    application: GrantApplication,
    actor: User,
    *,
    repayment_ore: int | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> None:
    """Close the grant and register the repayment: the computed unspent money unless the
    officer gives another amount, which needs a reason. The organisation is told."""
    if not can_assess_application(actor, application):
        raise WorkflowError(_l("Kun tilskudsmedarbejdere kan lukke en tilskudssag."))
    if expected_version is not None and expected_version != application.version:
        raise ConflictError(grant_workflow.CONFLICT)
    grant_payments.lock_grant(application)
    found = closing_problems(application)
    if found:
        raise WorkflowError(found[0])
    computed = grant_reports.unspent_ore(application)
    assert computed is not None  # the final report is approved
    amount = computed if repayment_ore is None else repayment_ore
    paid = grant_payments.paid_ore(application)
    reason = reason.strip()
    if amount < 0:
        raise WorkflowError(_l("Beløbet til tilbagebetaling kan ikke være negativt."))
    if amount > paid:
        raise WorkflowError(
            _l(
                "Der kan højst kræves %(paid)s tilbage, for det er, hvad der er udbetalt.",
                paid=kroner(paid),
            )
        )
    if amount != computed and not reason:
        raise WorkflowError(
            _l(
                "Skriv, hvorfor beløbet til tilbagebetaling er et andet end de beregnede %(computed)s",
                computed=kroner(computed),
            )
        )

    def register(app: GrantApplication) -> None:
        app.repayment_ore = amount
        app.closed_at = utcnow()
        app.closed_by_id = actor.id

    # The history and the organisation's e-mail carry the amount with the reason.
    text = reason
    if amount:
        repay = _("Beløb, der skal betales tilbage: %(amount)s", amount=kroner(amount))
        text = f"{reason}\n\n{repay}" if reason else repay
    grant_workflow.apply(
        application,
        "close",
        actor,
        text=text,
        expected_version=expected_version,
        before=register,
        details={"repayment_ore": amount, "computed_repayment_ore": computed, "paid_ore": paid},
    )


# --- reminders (the daily job) ---------------------------------------------------------------


def report_reminders(now: datetime) -> dict[str, int]:
    """Remind the organisations whose final report is not in: once from 14 days before the
    due date, and once when it is overdue. Each send is marked on the grant, so running the
    job again sends nothing twice. A final report that is sent or approved needs no reminder;
    one sent back for more does. The caller commits."""
    day = today(now)
    final_in = exists().where(
        GrantReport.application_id == GrantApplication.id,
        GrantReport.kind == ReportKind.FINAL,
        GrantReport.state.in_((ReportState.SUBMITTED, ReportState.APPROVED)),
    )
    due = db.session.scalars(
        select(GrantApplication)
        .where(
            GrantApplication.state == ApplicationState.ACCEPTED,
            GrantApplication.report_due_on.is_not(None),
            ~final_in,
            or_(
                and_(
                    GrantApplication.report_reminded_at.is_(None),
                    GrantApplication.report_due_on <= day + timedelta(days=REMINDER_DAYS),
                    GrantApplication.report_due_on >= day,
                ),
                and_(
                    GrantApplication.report_overdue_notified_at.is_(None),
                    GrantApplication.report_due_on < day,
                ),
            ),
        )
        .order_by(GrantApplication.report_due_on, GrantApplication.id)
        # Two overlapping runs on PostgreSQL take different rows (SQLite ignores this).
        .with_for_update(of=GrantApplication, skip_locked=True)
    ).all()
    counts = {"grant_report_reminders": 0, "grant_report_overdue": 0}
    for application in due:
        assert application.report_due_on is not None
        overdue = application.report_due_on < day
        action = "report_overdue" if overdue else "report_reminder"
        if overdue:
            application.report_overdue_notified_at = now
            counts["grant_report_overdue"] += 1
        else:
            application.report_reminded_at = now
            counts["grant_report_reminders"] += 1
        text = _(
            "Fristen for slutrapporten er %(day)s.",
            day=application.report_due_on.strftime("%d.%m.%Y"),
        )
        grant_workflow.record_event(application, action, None, text=text)
        db.session.flush()
        audit.record(
            f"grant_application.{action}",
            object_type="grant_application",
            object_id=application.id,
            details={"report_due_on": application.report_due_on.isoformat()},
            actor_label="system",
        )
        grant_workflow.notify(application, frozenset({Side.ORGANISATION}), action, None, text)
    return counts
