"""Applications to a grant round: drafts prefilled from the organisation, saving by any of
its staff (optimistic locking, so two people editing at once do not overwrite each other),
the budget's arithmetic, the checks before submitting, and submitting (NGO admins only, and
only while the round is open, by the server's clock).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db
from portal.auth.permissions import can_edit_application, can_submit_application
from portal.db import utcnow
from portal.models import (
    ApplicationState,
    BudgetCategory,
    BudgetLine,
    Document,
    GrantApplication,
    GrantRound,
    Institution,
    Organisation,
    OrganisationState,
    ProjectKind,
    Role,
    User,
)
from portal.money import MAX_ORE, kroner, line_total, units_text
from portal.services import grant_round_admin, grant_rounds, grant_workflow

CONFLICT = _l(
    "En anden har gemt ansøgningen, mens du arbejdede på den. Dine ændringer er ikke gemt; de står stadig i formularen. Se den nye udgave, og ret igen."
)
MAX_BUDGET_LINES = 60


class ApplicationError(Exception):
    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class ApplicationConflict(ApplicationError):
    """Someone else saved the application since this user loaded it."""


@dataclass(frozen=True)
class LineValues:
    """One budget line as plain values (øre and Decimal units)."""

    category: str
    text: str
    units: Decimal
    unit_price_ore: int
    own_financing_ore: int = 0
    other_financing_ore: int = 0

    @property
    def total_ore(self) -> int:
        return line_total(self.units, self.unit_price_ore)

    @property
    def units_text(self) -> str:
        return units_text(self.units)

    @property
    def requested_ore(self) -> int:
        """What the line asks from the pool (negative when co-financing exceeds the cost)."""
        return self.total_ore - self.own_financing_ore - self.other_financing_ore


@dataclass(frozen=True)
class Totals:
    total_cost_ore: int
    own_financing_ore: int
    other_financing_ore: int
    requested_ore: int
    by_category: dict[str, int]


def values_of(line: BudgetLine) -> LineValues:
    return LineValues(
        line.category.value,
        line.text,
        Decimal(line.units),
        line.unit_price_ore,
        line.own_financing_ore,
        line.other_financing_ore,
    )


def totals(lines: Sequence[LineValues]) -> Totals:
    """The budget's totals, øre exact (each line rounded once, then integers summed)."""
    by_category: dict[str, int] = {}
    for line in lines:
        by_category[line.category] = by_category.get(line.category, 0) + line.total_ore
    return Totals(
        total_cost_ore=sum(line.total_ore for line in lines),
        own_financing_ore=sum(line.own_financing_ore for line in lines),
        other_financing_ore=sum(line.other_financing_ore for line in lines),
        requested_ore=sum(line.requested_ore for line in lines),
        by_category=by_category,
    )


def application_totals(application: GrantApplication) -> Totals:
    return totals([values_of(line) for line in application.budget_lines])


# --- drafts and saving -----------------------------------------------------------------------


def find_draft(grant_round: GrantRound, organisation: Organisation) -> GrantApplication | None:
    return db.session.scalar(
        select(GrantApplication).where(
            GrantApplication.round_id == grant_round.id,
            GrantApplication.organisation_id == organisation.id,
        )
    )


def start(
    grant_round: GrantRound, organisation: Organisation, actor: User, now: datetime | None = None
) -> GrantApplication:
    """The organisation's application to the round: the existing one, or a new draft
    prefilled from the organisation's profile (one application per round)."""
    # Only the organisation's staff, also for an existing application: never another
    # organisation's application through a chosen organisation.
    if organisation.id not in actor.scopes(Role.NGO_ADMIN) | actor.scopes(Role.NGO_MEMBER):
        raise ApplicationError(_l("Kun organisationens medarbejdere kan skrive ansøgningen."))
    existing = find_draft(grant_round, organisation)
    if existing is None:
        # Two of the organisation's staff pressing "Ansøg" at once: the second waits here
        # for the first to commit, then finds its draft (the organisation's row is the
        # lock; SQLite serialises writers anyway).
        db.session.execute(
            select(Organisation.id).where(Organisation.id == organisation.id).with_for_update()
        )
        existing = find_draft(grant_round, organisation)
    if existing is not None:
        return existing
    if not grant_rounds.accepting(grant_round, now):
        raise ApplicationError(_l("Runden tager ikke imod ansøgninger nu."))
    # Defaults set here, not left to the insert: the permission check below reads the state.
    application = GrantApplication(
        round_id=grant_round.id,
        organisation_id=organisation.id,
        state=ApplicationState.DRAFT,
        title="",
        summary="",
        institution_ids=[],
        volunteers_expected=0,
        description=organisation.purpose or "",
        target_group=organisation.cooperation_intent or "",
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    application.round = grant_round
    application.organisation = organisation
    if not can_edit_application(actor, application, now):
        raise ApplicationError(_l("Kun organisationens medarbejdere kan skrive ansøgningen."))
    db.session.add(application)
    db.session.flush()
    audit.record(
        "grant_application.start",
        object_type="grant_application",
        object_id=application.id,
        details={"round": str(grant_round.id)},
        actor_id=str(actor.id),
    )
    return application


@dataclass(frozen=True)
class Content:
    """What the form holds besides the budget."""

    title: str
    summary: str = ""
    description: str = ""
    target_group: str = ""
    institution_ids: Sequence[uuid.UUID] = ()
    period_start: date | None = None
    period_end: date | None = None
    volunteers_expected: int = 0
    # The kind of project, for the round's distribution figures (a ProjectKind value).
    project_kind: str = ProjectKind.OTHER.value


PROJECT_KINDS = frozenset(kind.value for kind in ProjectKind)


def save(
    application: GrantApplication,
    actor: User,
    content: Content,
    lines: Sequence[LineValues],
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """Save the draft (any of the organisation's staff, while the round is open)."""
    now = now or utcnow()
    if not can_edit_application(actor, application, now):
        raise ApplicationError(
            _l("Ansøgningen kan ikke ændres nu: fristen er passeret, eller den er sendt.")
        )
    if expected_version is not None and expected_version != application.version:
        raise ApplicationConflict(CONFLICT)
    _check(content, lines)
    known = set(
        db.session.scalars(
            select(Institution.id).where(Institution.id.in_(list(content.institution_ids)))
        )
    )
    # One flush, so the row is updated (and its version raised) once per save; loading the
    # budget lines must not flush half of the changes first.
    with db.session.no_autoflush:
        application.title = content.title.strip()
        application.summary = content.summary.strip()
        application.description = content.description.strip()
        application.target_group = content.target_group.strip()
        application.institution_ids = list(
            dict.fromkeys(str(i) for i in content.institution_ids if i in known)
        )
        application.period_start = content.period_start
        application.period_end = content.period_end
        application.volunteers_expected = max(0, content.volunteers_expected)
        application.project_kind = ProjectKind(content.project_kind)
        _replace_lines(application, lines)
        application.updated_by_id = actor.id
        application.updated_at = now
    _flush()
    audit.record(
        "grant_application.save",
        object_type="grant_application",
        object_id=application.id,
        details={"version": application.version, "lines": len(lines)},
        actor_id=str(actor.id),
    )


MAX_UNITS = Decimal("9999999999.99")  # what Numeric(12, 2) holds
MAX_VOLUNTEERS = 100_000
CENT = Decimal("0.01")


def _check(content: Content, lines: Sequence[LineValues]) -> None:
    """Refuse what the database would refuse (or store differently), with a message
    instead of an error page. What is merely missing is for ``problems``."""
    if len(content.title.strip()) > 200:
        raise ApplicationError(_l("Titlen kan højst være 200 tegn."), "title")
    if content.period_start and content.period_end and content.period_end < content.period_start:
        raise ApplicationError(_l("Projektets slutdato ligger før startdatoen."), "period_end")
    if content.volunteers_expected > MAX_VOLUNTEERS:
        raise ApplicationError(_l("Tallet er for stort."), "volunteers_expected")
    if content.project_kind not in PROJECT_KINDS:
        raise ApplicationError(_l("Vælg en af projekttyperne."), "project_kind")
    if len(lines) > MAX_BUDGET_LINES:
        raise ApplicationError(
            _l("Budgettet kan højst have %(max)d linjer.", max=MAX_BUDGET_LINES), "budget"
        )
    categories = {c.value for c in BudgetCategory}
    for n, line in enumerate(lines, start=1):
        if line.category not in categories:
            raise ApplicationError(_l("Vælg en kategori til budgetlinje %(n)d.", n=n), "budget")
        if len(line.text.strip()) > 300:
            raise ApplicationError(
                _l("Teksten i budgetlinje %(n)d kan højst være 300 tegn.", n=n), "budget"
            )
        units = Decimal(line.units)
        if not units.is_finite() or units < 0 or units > MAX_UNITS or units != units.quantize(CENT):
            raise ApplicationError(
                _l("Antallet i budgetlinje %(n)d skal være et tal med højst to decimaler.", n=n),
                "budget",
            )
        amounts = (line.unit_price_ore, line.own_financing_ore, line.other_financing_ore)
        if any(not 0 <= amount <= MAX_ORE for amount in amounts):
            raise ApplicationError(
                _l("Beløbene i budgetlinje %(n)d skal være mellem 0 og 1 mia. kr.", n=n),
                "budget",
            )


def _replace_lines(application: GrantApplication, lines: Sequence[LineValues]) -> None:
    """The budget becomes ``lines``: the existing rows are updated in place by position and
    the extra ones added or removed, so no two rows ever share a position in one flush
    (inserting new rows before the old ones are deleted would break the unique position)."""
    existing = list(application.budget_lines)
    for n, values in enumerate(lines, start=1):
        row = existing[n - 1] if n <= len(existing) else BudgetLine(position=n)
        row.category = BudgetCategory(values.category)
        row.text = values.text.strip()
        row.units = Decimal(values.units).quantize(CENT)
        row.unit_price_ore = values.unit_price_ore
        row.own_financing_ore = values.own_financing_ore
        row.other_financing_ore = values.other_financing_ore
        if n > len(existing):
            application.budget_lines.append(row)
    for row in existing[len(lines) :]:
        application.budget_lines.remove(row)


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ApplicationConflict(CONFLICT) from None


# --- checking and submitting -----------------------------------------------------------------


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
    _flush()
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
