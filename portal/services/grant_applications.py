"""Applications to a grant round: drafts prefilled from the organisation, saving by any of
its staff (optimistic locking, so two people editing at once do not overwrite each other),
the draft's attachments, and the queries for an organisation's applications.

The budget's arithmetic lives in ``grant_budget``, the checks before submitting and
submitting in ``grant_submission``, the refusals in ``grant_application_errors``; their names
are re-exported here, as every caller knows them as ``grant_applications.<name>``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import audit, db
from portal.auth.permissions import can_edit_application
from portal.db import utcnow
from portal.models import (
    ApplicationAttachment,
    ApplicationState,
    Document,
    GrantApplication,
    GrantRound,
    Institution,
    Organisation,
    ProjectKind,
    Role,
    User,
)
from portal.services import grant_budget, grant_rounds
from portal.services.grant_application_errors import (
    CONFLICT,
    ApplicationConflict,
    ApplicationError,
    flush,
)
from portal.services.grant_budget import (
    MAX_BUDGET_LINES,
    LineValues,
    Totals,
    application_totals,
    totals,
    values_of,
)
from portal.services.grant_submission import Problem, copy_of, problems, submit

__all__ = [
    "CONFLICT",
    "MAX_BUDGET_LINES",
    "MAX_VOLUNTEERS",
    "PROJECT_KINDS",
    "ApplicationConflict",
    "ApplicationError",
    "Content",
    "LineValues",
    "Problem",
    "Totals",
    "add_attachment",
    "application_totals",
    "copy_of",
    "find_draft",
    "of_organisation",
    "problems",
    "remove_attachment",
    "save",
    "start",
    "submit",
    "totals",
    "values_of",
]

MAX_VOLUNTEERS = 100_000


# --- queries ---------------------------------------------------------------------------------


def find_draft(grant_round: GrantRound, organisation: Organisation) -> GrantApplication | None:
    """The organisation's application to the round, if it has one (whatever its state)."""
    return db.session.scalar(
        select(GrantApplication).where(
            GrantApplication.round_id == grant_round.id,
            GrantApplication.organisation_id == organisation.id,
        )
    )


def of_organisation(organisation: Organisation) -> Sequence[GrantApplication]:
    """The organisation's applications, the latest round's deadline first."""
    return db.session.scalars(
        select(GrantApplication)
        .join(GrantRound, GrantRound.id == GrantApplication.round_id)
        .where(GrantApplication.organisation_id == organisation.id)
        .order_by(GrantRound.deadline_at.desc())
    ).all()


# --- drafts and saving -----------------------------------------------------------------------


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
        grant_budget.replace_lines(application, lines)
        application.updated_by_id = actor.id
        application.updated_at = now
    flush()
    audit.record(
        "grant_application.save",
        object_type="grant_application",
        object_id=application.id,
        details={"version": application.version, "lines": len(lines)},
        actor_id=str(actor.id),
    )


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
    refused = grant_budget.refusal(lines)
    if refused is not None:
        raise ApplicationError(refused, "budget")


# --- attachments -----------------------------------------------------------------------------
# The caller has checked that the actor may edit the application (``can_edit_application``).


def add_attachment(
    application: GrantApplication, document: Document, kind: str, actor: User
) -> ApplicationAttachment:
    """Attach a stored document to the draft as an attachment of ``kind``."""
    attachment = ApplicationAttachment(document_id=document.id, kind=kind)
    application.attachments.append(attachment)
    db.session.flush()
    audit.record(
        "grant_application.attachment_added",
        object_type="grant_application",
        object_id=application.id,
        details={"document_id": str(document.id), "kind": kind},
        actor_id=str(actor.id),
    )
    return attachment


def remove_attachment(
    application: GrantApplication, attachment: ApplicationAttachment, actor: User
) -> None:
    """Take an attachment off the draft. The document itself stays among the organisation's
    documents."""
    application.attachments.remove(attachment)
    db.session.flush()
    audit.record(
        "grant_application.attachment_removed",
        object_type="grant_application",
        object_id=application.id,
        details={"document_id": str(attachment.document_id), "kind": attachment.kind},
        actor_id=str(actor.id),
    )
