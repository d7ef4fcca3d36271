"""Reports on a grant: interim reports (any number, one open at a time) and one final report,
each a narrative, the volunteers' hours and the accounts per budget line (actual spending
against the approved amount, explained where it differs much).

The organisation's staff write a draft; an admin sends it after the checks (``problems``,
all listed at once); a grant officer approves it or asks for more, which sends it back to the
organisation to edit and send again. The moves are data (``TRANSITIONS``), as in
``grant_workflow``. A report line exists once its actual amount is typed: a line without one
is "not filled in" (0 kr. is an amount). The accounts and the checks are in
``grant_report_accounts``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage

from portal import audit, db
from portal.auth.permissions import can_write_report
from portal.db import utcnow
from portal.models import (
    ApplicationState,
    Document,
    GrantApplication,
    GrantReport,
    OwnerType,
    ReportKind,
    ReportLine,
    ReportState,
    User,
)
from portal.services import documents, grant_payments, grant_workflow
from portal.services.grant_report_accounts import Problem, figures, problems
from portal.services.grant_workflow import Side
from portal.services.workflow import ConflictError, WorkflowError

CONFLICT = _l(
    "Rapporten er blevet ændret af en anden, mens du arbejdede på den. Det, du har skrevet, er ikke gemt, men står stadig i formularen. Se den nye udgave, og prøv igen."
)
MAX_VOLUNTEER_HOURS = Decimal("99999999.99")  # Numeric(10, 2)

OPEN_STATES = frozenset({ReportState.DRAFT, ReportState.SUBMITTED, ReportState.MORE_REQUESTED})
EDITABLE_STATES = frozenset({ReportState.DRAFT, ReportState.MORE_REQUESTED})

# Uploads kept as the organisation's documents, by what they are on the report.
DOCUMENT_PURPOSES = {"audited_accounts": "annual_report", "vouchers": "attachment"}


@dataclass(frozen=True)
class ReportTransition:
    action: str
    from_states: frozenset[ReportState]
    to_state: ReportState
    side: Side
    event: str
    tells: Side
    needs_text: bool = False


TRANSITIONS: tuple[ReportTransition, ...] = (
    ReportTransition(
        "submit", EDITABLE_STATES, ReportState.SUBMITTED, Side.ORGANISATION,
        "report_submitted", Side.OFFICE,
    ),
    ReportTransition(
        "approve", frozenset({ReportState.SUBMITTED}), ReportState.APPROVED, Side.OFFICE,
        "report_approved", Side.ORGANISATION,
    ),
    ReportTransition(
        "ask_more", frozenset({ReportState.SUBMITTED}), ReportState.MORE_REQUESTED, Side.OFFICE,
        "report_more_requested", Side.ORGANISATION, needs_text=True,
    ),
)  # fmt: skip
BY_ACTION = {t.action: t for t in TRANSITIONS}


# --- reading ---------------------------------------------------------------------------------


def reports(application: GrantApplication) -> list[GrantReport]:
    return list(
        db.session.scalars(
            select(GrantReport)
            .where(GrantReport.application_id == application.id)
            .order_by(GrantReport.created_at, GrantReport.id)
        )
    )


def final_report(application: GrantApplication) -> GrantReport | None:
    return db.session.scalar(
        select(GrantReport).where(
            GrantReport.application_id == application.id, GrantReport.kind == ReportKind.FINAL
        )
    )


def application_of(report: GrantReport) -> GrantApplication:
    application = db.session.get(GrantApplication, report.application_id)
    assert application is not None
    return application


def unspent_ore(application: GrantApplication) -> int | None:
    """What was paid and not spent: max(0, paid - the approved final report's actual total).
    None until the final report is approved."""
    final = final_report(application)
    if final is None or final.state != ReportState.APPROVED:
        return None
    spent = figures(final, application).actual_ore
    return max(0, grant_payments.paid_ore(application) - spent)


# --- writing ---------------------------------------------------------------------------------


def start_report(application: GrantApplication, actor: User, kind: ReportKind) -> GrantReport:
    """A new draft report. One final report per grant; interim reports one open at a time,
    and none once the final report is begun."""
    if not can_write_report(actor, application):
        raise WorkflowError(
            _l(
                "Rapporter skrives af organisationens medarbejdere på et tilskud, der ikke er lukket."
            )
        )
    grant_payments.lock_grant(application)
    existing = reports(application)
    if any(r.kind == ReportKind.FINAL for r in existing):
        raise WorkflowError(
            _l("Slutrapporten er allerede begyndt. Skriv videre i den.")
            if kind == ReportKind.FINAL
            else _l("Slutrapporten er begyndt, så der kan ikke laves flere delrapporter.")
        )
    if kind == ReportKind.INTERIM and any(
        r.kind == ReportKind.INTERIM and r.state in OPEN_STATES for r in existing
    ):
        raise WorkflowError(
            _l("Der er allerede en delrapport, som ikke er godkendt. Gør den færdig først.")
        )
    report = GrantReport(application_id=application.id, kind=kind)
    db.session.add(report)
    db.session.flush()
    audit.record(
        "grant_report.started",
        object_type="grant_report",
        object_id=report.id,
        details={"application_id": str(application.id), "kind": kind.value},
        actor_id=str(actor.id),
    )
    return report


@dataclass(frozen=True)
class LineEntry:
    budget_line_id: uuid.UUID
    actual_ore: int | None  # None: not filled in yet
    explanation: str = ""


@dataclass(frozen=True)
class ReportValues:
    narrative: str
    volunteer_hours: Decimal
    lines: list[LineEntry]


def _check_editable(report: GrantReport, application: GrantApplication, actor: User) -> None:
    if not can_write_report(actor, application):
        raise WorkflowError(_l("Du kan ikke skrive i rapporten."))
    if report.state not in EDITABLE_STATES:
        raise WorkflowError(_l("Rapporten er sendt og kan ikke ændres nu."))


def save_report(
    report: GrantReport,
    application: GrantApplication,
    actor: User,
    values: ReportValues,
    *,
    expected_version: int | None = None,
) -> None:
    """Save the draft as typed (what a submission needs is checked by ``problems``)."""
    _check_editable(report, application, actor)
    if expected_version is not None and expected_version != report.version:
        raise ConflictError(CONFLICT)
    if not Decimal(0) <= values.volunteer_hours <= MAX_VOLUNTEER_HOURS:
        raise WorkflowError(_l("Skriv antallet af frivillige timer som et tal fra 0."))
    if any(e.actual_ore is not None and e.actual_ore < 0 for e in values.lines):
        raise WorkflowError(_l("Et beløb kan ikke være negativt."))
    known = {line.id for line in application.budget_lines}
    entries = {e.budget_line_id: e for e in values.lines if e.budget_line_id in known}
    report.narrative = values.narrative.strip()
    report.volunteer_hours = values.volunteer_hours
    existing = {row.budget_line_id: row for row in report.lines}
    for line_id, entry in entries.items():
        row = existing.get(line_id)
        if entry.actual_ore is None:
            if row is not None:
                report.lines.remove(row)
            continue
        if row is None:
            report.lines.append(
                ReportLine(
                    budget_line_id=line_id,
                    actual_ore=entry.actual_ore,
                    explanation=entry.explanation.strip(),
                )
            )
        else:
            row.actual_ore = entry.actual_ore
            row.explanation = entry.explanation.strip()
    # The lines are rows of their own: mark the report changed so that every save takes a
    # new version (a save from an older page is then refused, not merged).
    flag_modified(report, "narrative")
    _flush(CONFLICT)
    audit.record(
        "grant_report.saved",
        object_type="grant_report",
        object_id=report.id,
        details={"version": report.version, "lines": len(report.lines)},
        actor_id=str(actor.id),
    )


def store_document(
    report: GrantReport,
    application: GrantApplication,
    actor: User,
    which: str,
    upload: FileStorage,
) -> Document:
    """Keep an upload (audited accounts or vouchers) as the organisation's document and link
    it to the report. Raises documents.UploadError (nothing stored) for a bad file."""
    _check_editable(report, application, actor)
    purpose = DOCUMENT_PURPOSES[which]
    description = (
        _l("Revideret regnskab: %(title)s", title=application.title)
        if which == "audited_accounts"
        else _l("Bilag til bilagskontrol: %(title)s", title=application.title)
    )
    document = documents.store(
        upload,
        owner_type=OwnerType.ORGANISATION,
        owner_id=application.organisation_id,
        purpose=purpose,
        uploaded_by=actor,
        description=str(description),
    )
    setattr(report, f"{which}_document_id", document.id)
    _flush(CONFLICT)
    audit.record(
        f"grant_report.{which}_attached",
        object_type="grant_report",
        object_id=report.id,
        details={"document_id": str(document.id)},
        actor_id=str(actor.id),
    )
    return document


class ReportProblems(WorkflowError):
    """The report cannot be sent; every reason is in ``problems``."""

    def __init__(self, found: list[Problem]) -> None:
        super().__init__(_l("Rapporten kan ikke sendes endnu."))
        self.problems = found


def available(
    user: User, application: GrantApplication, report: GrantReport
) -> list[ReportTransition]:
    if application.state != ApplicationState.ACCEPTED:
        return []
    return [
        t
        for t in TRANSITIONS
        if report.state in t.from_states and grant_workflow.side_decision(user, application, t.side)
    ]


def take(
    report: GrantReport,
    application: GrantApplication,
    action: str,
    actor: User,
    *,
    text: str = "",
    expected_version: int | None = None,
) -> ReportTransition:
    """Send, approve or ask for more (see ``TRANSITIONS``): checks, history, audit, e-mail.
    Sending raises ReportProblems listing everything that is missing."""
    transition = BY_ACTION.get(action)
    if transition is None:
        raise WorkflowError(_l("Handlingen findes ikke."))
    if report.application_id != application.id:
        raise WorkflowError(_l("Rapporten hører ikke til dette tilskud."))
    if expected_version is not None and expected_version != report.version:
        raise ConflictError(CONFLICT)
    if application.state != ApplicationState.ACCEPTED:
        raise WorkflowError(_l("Tilskuddet er lukket."))
    if report.state not in transition.from_states:
        from portal.labels import label

        raise WorkflowError(
            _l(
                "Det kan ikke lade sig gøre, når rapporten har status \u201d%(state)s\u201d.",
                state=label(report.state),
            )
        )
    if not grant_workflow.side_decision(actor, application, transition.side):
        raise WorkflowError(_l("Du kan ikke foretage denne handling på rapporten."))
    text = text.strip()
    if transition.needs_text and not text:
        raise WorkflowError(
            _l("Skriv, hvad der mangler i rapporten. Organisationen får det at se.")
        )
    if action == "submit":
        found = problems(report, application)
        if found:
            raise ReportProblems(found)
    grant_payments.lock_grant(application)
    from_state = report.state
    now = utcnow()
    report.state = transition.to_state
    if action == "submit":
        report.submitted_at = now
        report.submitted_by_id = actor.id
    else:
        report.decided_at = now
        report.decided_by_id = actor.id
        report.decision_text = text
    grant_workflow.record_event(application, transition.event, actor, text=text)
    _flush(CONFLICT)
    audit.record(
        f"grant_report.{action}",
        object_type="grant_report",
        object_id=report.id,
        details={
            "application_id": str(application.id),
            "kind": report.kind.value,
            "from": from_state.value,
            "to": report.state.value,
            "version": report.version,
        },
        actor_id=str(actor.id),
    )
    grant_workflow.notify(application, frozenset({transition.tells}), transition.event, actor, text)
    return transition


def _flush(conflict: Any) -> None:
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ConflictError(conflict) from None
