"""Change requests on an accepted grant: moving approved money between budget lines, a later
end of the project period, or a change of the activity. The organisation's admins ask, a grant
officer approves or refuses (with a reason), and the organisation may withdraw while the
request waits. Approving applies the change: the lines' approved amounts, or the period's end
and the report's due date moved forward by the same number of days.

The moves are data (``TRANSITIONS``), as in ``grant_workflow``: ``decide`` is the one function
that changes a request's state (version check, history, audit, e-mail).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db
from portal.db import utcnow
from portal.models import (
    ApplicationState,
    ChangeKind,
    GrantApplication,
    GrantChangeRequest,
    RequestState,
    User,
)
from portal.money import kroner
from portal.services import grant_payments, grant_workflow
from portal.services.grant_workflow import Side
from portal.services.workflow import ConflictError, WorkflowError

CONFLICT = _l(
    "Ændringsønsket er blevet behandlet af en anden, mens du så på det. Se den nye status herunder."
)
TEXT_MAX = 5000


@dataclass(frozen=True)
class ChangeTransition:
    action: str
    to_state: RequestState
    side: Side  # who takes it
    event: str  # the history's action (and the mail's)
    tells: Side
    needs_text: bool = False


# Every move starts from a submitted (waiting) request.
TRANSITIONS: tuple[ChangeTransition, ...] = (
    ChangeTransition(
        "approve", RequestState.APPROVED, Side.OFFICE, "change_approved", Side.ORGANISATION
    ),
    ChangeTransition(
        "refuse",
        RequestState.REFUSED,
        Side.OFFICE,
        "change_refused",
        Side.ORGANISATION,
        needs_text=True,
    ),
    ChangeTransition(
        "withdraw", RequestState.WITHDRAWN, Side.ORGANISATION, "change_withdrawn", Side.OFFICE
    ),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}


def requests(application: GrantApplication) -> list[GrantChangeRequest]:
    """The grant's change requests, newest first."""
    return list(
        db.session.scalars(
            select(GrantChangeRequest)
            .where(GrantChangeRequest.application_id == application.id)
            .order_by(GrantChangeRequest.requested_at.desc(), GrantChangeRequest.id)
        )
    )


def open_kinds(application: GrantApplication) -> set[ChangeKind]:
    """The kinds with a request waiting for a decision (one of each kind at a time)."""
    return set(
        db.session.scalars(
            select(GrantChangeRequest.kind).where(
                GrantChangeRequest.application_id == application.id,
                GrantChangeRequest.state == RequestState.SUBMITTED,
            )
        )
    )


def approved_sum(application: GrantApplication) -> int:
    return sum(line.approved_ore or 0 for line in application.budget_lines)


def _check_reallocation(application: GrantApplication, amounts: Mapping[str, int]) -> None:
    lines = {str(line.id): line for line in application.budget_lines}
    if not amounts or set(amounts) - set(lines):
        raise WorkflowError(_l("Skriv et nyt beløb for budgetlinjerne."))
    if any(amount < 0 for amount in amounts.values()):
        raise WorkflowError(_l("Et beløb kan ikke være negativt."))
    current = approved_sum(application)
    proposed = sum(amounts.get(line_id, line.approved_ore or 0) for line_id, line in lines.items())
    if proposed != current:
        raise WorkflowError(
            _l(
                "Summen skal fortsat være %(current)s, men de nye beløb giver %(proposed)s i alt. Flyt penge mellem linjerne, så summen passer.",
                proposed=kroner(proposed),
                current=kroner(current),
            )
        )
    if all(
        amounts.get(i, line.approved_ore or 0) == (line.approved_ore or 0)
        for i, line in lines.items()
    ):
        raise WorkflowError(_l("De nye beløb er de samme som de godkendte. Ret mindst én linje."))


def _check_extension(application: GrantApplication, new_period_end: date | None) -> None:
    if new_period_end is None:
        raise WorkflowError(_l("Skriv den nye slutdato for projektet."))
    if application.period_end is None or new_period_end <= application.period_end:
        raise WorkflowError(
            _l(
                "Den nye slutdato skal ligge efter den nuværende, %(end)s.",
                end=application.period_end.strftime("%d.%m.%Y") if application.period_end else "",
            )
        )


def request_change(
    application: GrantApplication,
    actor: User,
    kind: ChangeKind,
    *,
    text: str,
    new_period_end: date | None = None,
    reallocation: Mapping[str, int] | None = None,
) -> GrantChangeRequest:
    """The organisation asks for a change; the grant officers are told. One waiting request
    of each kind at a time."""
    from portal.auth.permissions import can_answer_grant

    if not can_answer_grant(actor, application):
        raise WorkflowError(_l("Kun organisationens administratorer kan bede om ændringer."))
    if application.state != ApplicationState.ACCEPTED:
        raise WorkflowError(
            _l("Der kan kun bedes om ændringer af et tilskud, som er taget imod og ikke lukket.")
        )
    text = text.strip()
    if not text:
        raise WorkflowError(_l("Skriv, hvad I ønsker ændret, og hvorfor."))
    grant_payments.lock_grant(application)
    if kind in open_kinds(application):
        raise WorkflowError(
            _l(
                "Der er allerede et ønske af denne slags, som venter på afgørelse. Vent på afgørelsen, eller træk det tilbage først."
            )
        )
    amounts: dict[str, int] = {}
    if kind == ChangeKind.REALLOCATION:
        amounts = {str(k): int(v) for k, v in (reallocation or {}).items()}
        _check_reallocation(application, amounts)
    elif kind == ChangeKind.EXTENSION:
        _check_extension(application, new_period_end)
    change = GrantChangeRequest(
        application_id=application.id,
        kind=kind,
        text=text,
        new_period_end=new_period_end if kind == ChangeKind.EXTENSION else None,
        reallocation=amounts,
        requested_by_id=actor.id,
    )
    db.session.add(change)
    grant_workflow.record_event(application, "change_requested", actor, text=text)
    db.session.flush()
    audit.record(
        "grant_change.requested",
        object_type="grant_change_request",
        object_id=change.id,
        details={
            "application_id": str(application.id),
            "kind": kind.value,
            "new_period_end": new_period_end.isoformat() if change.new_period_end else None,
            "reallocation": amounts,
        },
        actor_id=str(actor.id),
    )
    grant_workflow.notify(application, frozenset({Side.OFFICE}), "change_requested", actor, text)
    return change


def available(
    user: User, application: GrantApplication, change: GrantChangeRequest
) -> list[ChangeTransition]:
    """The moves this user may make on the request now."""
    if change.state != RequestState.SUBMITTED or application.state != ApplicationState.ACCEPTED:
        return []
    return [t for t in TRANSITIONS if grant_workflow.side_decision(user, application, t.side)]


def _apply_change(application: GrantApplication, change: GrantChangeRequest) -> dict[str, Any]:
    """Make the approved change on the grant; what it did, for the audit entry."""
    if change.kind == ChangeKind.REALLOCATION:
        _check_reallocation(application, change.reallocation)
        before = {str(line.id): line.approved_ore for line in application.budget_lines}
        for line in application.budget_lines:
            if str(line.id) in change.reallocation:
                line.approved_ore = int(change.reallocation[str(line.id)])
        return {"approved_before": before, "approved_after": dict(change.reallocation)}
    if change.kind == ChangeKind.EXTENSION:
        _check_extension(application, change.new_period_end)
        assert change.new_period_end is not None and application.period_end is not None
        moved = change.new_period_end - application.period_end
        old_end, old_due = application.period_end, application.report_due_on
        application.period_end = change.new_period_end
        if application.report_due_on is not None:
            application.report_due_on = application.report_due_on + moved
            # A moved due date is a new deadline: its reminders are due again.
            application.report_reminded_at = None
            application.report_overdue_notified_at = None
        return {
            "period_end": [old_end.isoformat(), change.new_period_end.isoformat()],
            "report_due_on": [
                old_due.isoformat() if old_due else None,
                application.report_due_on.isoformat() if application.report_due_on else None,
            ],
            "days": moved.days,
        }
    return {}


def decide(
    change: GrantChangeRequest,
    application: GrantApplication,
    action: str,
    actor: User,
    *,
    text: str = "",
    expected_version: int | None = None,
) -> ChangeTransition:
    """Approve, refuse or withdraw a waiting request (see ``TRANSITIONS``)."""
    transition = BY_ACTION.get(action)
    if transition is None:
        raise WorkflowError(_l("Handlingen findes ikke."))
    if change.application_id != application.id:
        raise WorkflowError(_l("Ændringsønsket hører ikke til dette tilskud."))
    if expected_version is not None and expected_version != change.version:
        raise ConflictError(CONFLICT)
    if change.state != RequestState.SUBMITTED:
        raise WorkflowError(
            _l(
                "Ændringsønsket er allerede afgjort eller trukket tilbage (status: %(state)s).",
                state=_state_label(change.state),
            )
        )
    if not grant_workflow.side_decision(actor, application, transition.side):
        raise WorkflowError(_l("Du kan ikke foretage denne handling på ændringsønsket."))
    if application.state != ApplicationState.ACCEPTED:
        raise WorkflowError(_l("Tilskuddet er lukket."))
    text = text.strip()
    if transition.needs_text and not text:
        raise WorkflowError(_l("Skriv en begrundelse for afslaget. Organisationen får den at se."))
    grant_payments.lock_grant(application)
    applied = _apply_change(application, change) if action == "approve" else {}
    from_state = change.state
    change.state = transition.to_state
    if transition.side == Side.OFFICE:
        change.decided_at = utcnow()
        change.decided_by_id = actor.id
        change.decision_reason = text
    grant_workflow.record_event(application, transition.event, actor, text=text)
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ConflictError(CONFLICT) from None
    audit.record(
        f"grant_change.{action}",
        object_type="grant_change_request",
        object_id=change.id,
        details={
            "application_id": str(application.id),
            "kind": change.kind.value,
            "from": from_state.value,
            "to": change.state.value,
            "version": change.version,
            **applied,
        },
        actor_id=str(actor.id),
    )
    grant_workflow.notify(application, frozenset({transition.tells}), transition.event, actor, text)
    return transition


def _state_label(state: RequestState) -> str:
    from portal.labels import label

    return label(state)
