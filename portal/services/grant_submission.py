"""Submitting an application: everything that stops it (listed on the check page), the
submission itself (NGO admins only, and only while the round is open by the server's clock),
the frozen copy of what was submitted, and the receipt that goes with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import audit, db
from portal.auth.permissions import can_submit_application
from portal.db import utcnow
from portal.models import (
    ApplicationState,
    Document,
    GrantApplication,
    OrganisationState,
    User,
)
from portal.money import kroner
from portal.services import grant_receipts, grant_round_admin, grant_rounds, grant_workflow
from portal.services.grant_application_errors import (
    CONFLICT,
    ApplicationConflict,
    ApplicationError,
    flush,
)
from portal.services.grant_budget import application_totals, totals, values_of


@dataclass(frozen=True)
class Problem:
    field: str  # the form field it is about ("" for the whole application)
    message: Any


def problems(application: GrantApplication, now: datetime | None = None) -> list[Problem]:
    """Everything that stops the application from being submitted now (empty: it may be)."""
    found: list[Problem] = []
    grant_round = application.round
    if not grant_rounds.accepting(grant_round, now):
        found.append(Problem("", _l("Runden tager ikke imod ansøgninger nu.")))
    required = (
        ("title", application.title, _l("Skriv projektets titel.")),
        ("summary", application.summary, _l("Skriv et kort resumé af projektet.")),
        ("description", application.description, _l("Beskriv projektet.")),
        ("target_group", application.target_group, _l("Beskriv målgruppen.")),
    )
    found += [Problem(name, message) for name, value, message in required if not value.strip()]
    if application.period_start is None or application.period_end is None:
        found.append(Problem("period_start", _l("Angiv projektperiodens start og slut.")))
    if application.volunteers_expected <= 0:
        found.append(
            Problem("volunteers_expected", _l("Skriv, hvor mange frivillige I regner med."))
        )
    lines = [values_of(line) for line in application.budget_lines]
    if not lines:
        found.append(Problem("budget", _l("Læg mindst én linje ind i budgettet.")))
    for n, line in enumerate(lines, start=1):
        if not line.text.strip():
            found.append(Problem("budget", _l("Budgetlinje %(n)d mangler en tekst.", n=n)))
        if line.requested_ore < 0:
            found.append(
                Problem(
                    "budget",
                    _l(
                        "Budgetlinje %(n)d: medfinansieringen er større end linjens udgift.",
                        n=n,
                    ),
                )
            )
    total = totals(lines)
    if lines and total.requested_ore <= 0:
        found.append(Problem("budget", _l("Budgettet søger ikke om noget beløb fra puljen.")))
    if total.requested_ore > grant_round.max_per_application_ore:
        found.append(
            Problem(
                "budget",
                _l(
                    "I søger %(requested)s, men der kan højst søges %(max)s pr. ansøgning i denne runde.",
                    requested=kroner(total.requested_ore),
                    max=kroner(grant_round.max_per_application_ore),
                ),
            )
        )
    kinds = {attachment.kind for attachment in application.attachments}
    for kind in grant_round.required_attachments or ():
        if kind not in kinds:
            found.append(
                Problem(
                    "attachments",
                    _l(
                        "Vedhæft det krævede bilag: %(kind)s.",
                        kind=grant_round_admin.ATTACHMENT_KINDS.get(kind, kind),
                    ),
                )
            )
    return found


def submit(
    application: GrantApplication,
    actor: User,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> list[Problem]:
    """Submit the application: only an NGO admin of the organisation, only while the round is
    open by the server's clock, only with no problems (returned, and nothing changes, if
    there are). Freezes the totals and a copy of the content."""
    now = now or utcnow()
    if not can_submit_application(actor, application):
        raise ApplicationError(_l("Kun organisationens administratorer kan sende ansøgningen."))
    if expected_version is not None and expected_version != application.version:
        raise ApplicationConflict(CONFLICT)
    if application.state != ApplicationState.DRAFT:
        raise ApplicationError(_l("Ansøgningen er allerede sendt."))
    if application.organisation.state != OrganisationState.APPROVED:
        raise ApplicationError(_l("Organisationen er ikke godkendt og kan ikke søge tilskud."))
    found = problems(application, now)
    if found:
        return found
    total = application_totals(application)
    application.state = ApplicationState.SUBMITTED
    application.submitted_at = now
    application.submitted_by_id = actor.id
    application.requested_ore = total.requested_ore
    application.total_cost_ore = total.total_cost_ore
    application.submitted_copy = copy_of(application)
    grant_workflow.record_event(
        application, "submit", actor, to_state=ApplicationState.SUBMITTED.value
    )
    flush()
    audit.record(
        "grant_application.submit",
        object_type="grant_application",
        object_id=application.id,
        details={
            "round": str(application.round_id),
            "requested_ore": total.requested_ore,
            "at": now.isoformat(),
        },
        actor_id=str(actor.id),
    )
    return []


def submit_with_receipt(
    application: GrantApplication,
    actor: User,
    language: str,
    *,
    expected_version: int | None = None,
) -> list[Problem]:
    """Submit (see ``submit``) and, once submitted, issue the receipt in ``language`` and
    mail it to ``actor``. Raises ``grant_receipts.ReceiptError`` when the receipt cannot be
    stored: the caller rolls back, so no application is submitted without its receipt."""
    found = submit(application, actor, expected_version=expected_version)
    if not found:
        grant_receipts.issue_receipt(application, actor, language)
    return found


def copy_of(application: GrantApplication) -> dict[str, Any]:
    """What was submitted, as plain JSON values (for the receipt and the record), with the
    budget's totals and the attachments' file names as they were."""
    total = application_totals(application)
    names = {
        document_id: name
        for document_id, name in db.session.execute(
            select(Document.id, Document.original_name).where(
                Document.id.in_([a.document_id for a in application.attachments])
            )
        )
    }
    return {
        "organisation": application.organisation.name,
        "cvr": application.organisation.cvr,
        "round": application.round.name_da,
        "title": application.title,
        "summary": application.summary,
        "description": application.description,
        "target_group": application.target_group,
        "institution_ids": list(application.institution_ids or ()),
        "period_start": application.period_start.isoformat() if application.period_start else None,
        "period_end": application.period_end.isoformat() if application.period_end else None,
        "volunteers_expected": application.volunteers_expected,
        "project_kind": application.project_kind.value,
        "budget": [
            {
                "category": line.category.value,
                "text": line.text,
                "units": str(line.units),
                "unit_price_ore": line.unit_price_ore,
                "own_financing_ore": line.own_financing_ore,
                "other_financing_ore": line.other_financing_ore,
                "total_ore": values_of(line).total_ore,
            }
            for line in application.budget_lines
        ],
        "totals": {
            "total_cost_ore": total.total_cost_ore,
            "own_financing_ore": total.own_financing_ore,
            "other_financing_ore": total.other_financing_ore,
            "requested_ore": total.requested_ore,
        },
        "attachments": [
            {
                "kind": a.kind,
                "document_id": str(a.document_id),
                "filename": names.get(a.document_id, ""),
            }
            for a in application.attachments
        ],
        "submitted_at": application.submitted_at.isoformat() if application.submitted_at else None,
    }
