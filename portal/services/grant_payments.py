"""Payments against an accepted grant, in instalments.

What is paid in all never exceeds the grant: the grant's row is locked (SELECT ... FOR UPDATE)
while the payments are summed and the new one is added, so two officers recording at the same
moment are served one after the other and the second sees the first's payment. An instalment
may require an approved interim report; each such instalment needs an interim report of its
own (one approved interim report opens one such instalment).
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal import audit, db
from portal.auth.permissions import can_assess_application
from portal.models import (
    ApplicationState,
    GrantApplication,
    GrantPayment,
    GrantReport,
    ReportKind,
    ReportState,
    User,
)
from portal.money import kroner
from portal.services import grant_workflow
from portal.services.grant_workflow import Side
from portal.services.workflow import ConflictError, WorkflowError


def lock_grant(application: GrantApplication) -> None:
    """Hold the grant's row until the transaction ends, and refuse if someone changed it since
    it was loaded (PostgreSQL waits for the lock; SQLite serialises writers by itself).

    Payments, change requests, reports and closing all take this lock first, so what they
    count (payments, open requests, reports) cannot change under them."""
    version = db.session.scalar(
        select(GrantApplication.version)
        .where(GrantApplication.id == application.id)
        .with_for_update()
    )
    if version != application.version:
        raise ConflictError(grant_workflow.CONFLICT)


def payments(application: GrantApplication) -> list[GrantPayment]:
    return list(
        db.session.scalars(
            select(GrantPayment)
            .where(GrantPayment.application_id == application.id)
            .order_by(GrantPayment.instalment)
        )
    )


def paid_ore(application: GrantApplication) -> int:
    """What has been paid of the grant so far."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(GrantPayment.amount_ore), 0)).where(
            GrantPayment.application_id == application.id
        )
    )
    return int(total or 0)


def remaining_ore(application: GrantApplication) -> int:
    return max(0, (application.granted_ore or 0) - paid_ore(application))


def interim_reports_unused(application: GrantApplication) -> int:
    """Approved interim reports not yet used to open an instalment that requires one."""
    approved = db.session.scalar(
        select(func.count()).where(
            GrantReport.application_id == application.id,
            GrantReport.kind == ReportKind.INTERIM,
            GrantReport.state == ReportState.APPROVED,
        )
    )
    used = db.session.scalar(
        select(func.count()).where(
            GrantPayment.application_id == application.id,
            GrantPayment.requires_interim_report.is_(True),
        )
    )
    return int(approved or 0) - int(used or 0)


def record_payment(
    application: GrantApplication,
    actor: User,
    amount_ore: int,
    paid_on: date,
    *,
    requires_interim_report: bool = False,
    note: str = "",
) -> GrantPayment:
    """Record a payment (the next instalment) on an accepted grant; the organisation is told.
    Raises WorkflowError with what to do when it cannot be recorded."""
    if not can_assess_application(actor, application):
        raise WorkflowError(_l("Kun tilskudsmedarbejdere kan registrere udbetalinger."))
    if application.state != ApplicationState.ACCEPTED:
        raise WorkflowError(
            _l(
                "Der kan kun registreres udbetalinger på et tilskud, som organisationen har taget imod, og som ikke er lukket."
            )
        )
    if amount_ore <= 0:
        raise WorkflowError(_l("Skriv et beløb over 0 kr."))
    lock_grant(application)
    granted = application.granted_ore or 0
    paid = paid_ore(application)
    if paid + amount_ore > granted:
        raise WorkflowError(
            _l(
                "Der kan ikke udbetales %(amount)s: der er kun %(remaining)s tilbage af tilskuddet på %(granted)s Skriv et mindre beløb.",
                remaining=kroner(max(0, granted - paid)),
                granted=kroner(granted),
                amount=kroner(amount_ore),
            )
        )
    if requires_interim_report and interim_reports_unused(application) <= 0:
        raise WorkflowError(
            _l(
                "Raten kræver en godkendt delrapport, og der er ingen godkendt delrapport, som ikke allerede er brugt til en tidligere rate. Vent, til organisationens delrapport er godkendt."
            )
        )
    last = db.session.scalar(
        select(func.max(GrantPayment.instalment)).where(
            GrantPayment.application_id == application.id
        )
    )
    note = note.strip()
    payment = GrantPayment(
        application_id=application.id,
        instalment=int(last or 0) + 1,
        amount_ore=amount_ore,
        paid_on=paid_on,
        requires_interim_report=requires_interim_report,
        note=note,
        recorded_by_id=actor.id,
    )
    db.session.add(payment)
    grant_workflow.record_event(application, "payment", actor, text=note)
    db.session.flush()
    audit.record(
        "grant_payment.recorded",
        object_type="grant_application",
        object_id=application.id,
        details={
            "payment_id": str(payment.id),
            "instalment": payment.instalment,
            "amount_ore": amount_ore,
            "paid_on": paid_on.isoformat(),
            "requires_interim_report": requires_interim_report,
            "paid_total_ore": paid + amount_ore,
        },
        actor_id=str(actor.id),
    )
    mail_text = str(
        _l(
            "Rate %(instalment)d: %(amount)s, udbetalt %(day)s.",
            instalment=payment.instalment,
            amount=kroner(amount_ore),
            day=paid_on.strftime("%d.%m.%Y"),
        )
    )
    grant_workflow.notify(
        application,
        frozenset({Side.ORGANISATION}),
        "payment",
        actor,
        f"{mail_text}\n{note}" if note else mail_text,
    )
    return payment
