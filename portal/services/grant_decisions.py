"""Deciding grant applications within the pool, and the round's own steps (assessment
starts after the deadline; the round is marked decided when every application is).

The sum granted in a round never exceeds its pool: each decision locks the round's row
(SELECT ... FOR UPDATE) and adds up what is granted inside that lock, so two officers
deciding at the same moment are served one after the other and the second sees the first's
grant. Declined grants give their money back to the pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db
from portal.auth.permissions import can_manage_rounds
from portal.db import utcnow
from portal.models import (
    GRANTING,
    ApplicationState,
    GrantApplication,
    GrantDecision,
    GrantRound,
    RoundState,
    User,
)
from portal.money import kroner
from portal.services import grant_rounds, grant_workflow
from portal.services.workflow import ConflictError, WorkflowError

# Applications whose grant counts against the pool.
COUNTING_STATES = (ApplicationState.DECIDED, ApplicationState.ACCEPTED, ApplicationState.CLOSED)
# Still waiting for screening or a decision.
UNDECIDED_STATES = (ApplicationState.SUBMITTED, ApplicationState.IN_REVIEW)

ROUND_CONFLICT = _l("Runden er blevet ændret af en anden. Se den nye udgave, og prøv igen.")


def granted_ore(grant_round: GrantRound) -> int:
    """What is granted in the round now (declined and refused count nothing)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(GrantApplication.granted_ore), 0)).where(
            GrantApplication.round_id == grant_round.id,
            GrantApplication.state.in_(COUNTING_STATES),
            GrantApplication.decision.in_(tuple(GRANTING)),
        )
    )
    return int(total or 0)


def remaining_ore(grant_round: GrantRound) -> int:
    return grant_round.pool_ore - granted_ore(grant_round)


@dataclass(frozen=True)
class DecisionValues:
    decision: GrantDecision
    amount_ore: int = 0  # for a partial grant; a full grant is the amount asked
    conditions: str = ""
    reason: str = ""


def _check(application: GrantApplication, values: DecisionValues) -> int:
    """The amount the decision grants, or WorkflowError with what is wrong."""
    requested = application.requested_ore or 0
    if values.decision == GrantDecision.GRANTED:
        return requested
    if values.decision == GrantDecision.REFUSED:
        if not values.reason.strip():
            raise WorkflowError(_l("Skriv begrundelsen for afslaget."))
        return 0
    if not 0 < values.amount_ore < requested:
        raise WorkflowError(
            _l(
                "Et delvist tilskud skal være mere end 0 kr. og mindre end de %(requested)s, der er søgt om.",
                requested=kroner(requested),
            )
        )
    if not values.reason.strip():
        raise WorkflowError(_l("Skriv, hvorfor der kun gives en del af beløbet."))
    return values.amount_ore


def lock_round(grant_round: GrantRound) -> None:
    """Hold the round's row until the transaction ends (PostgreSQL; SQLite serialises
    writers by itself)."""
    db.session.execute(
        select(GrantRound.id).where(GrantRound.id == grant_round.id).with_for_update()
    )


def allocate(amount_ore: int, weights: list[int]) -> list[int]:
    """Split ``amount_ore`` over lines in proportion to ``weights`` (largest remainder,
    so the parts are whole øre and add up exactly)."""
    total = sum(w for w in weights if w > 0)
    if total <= 0:
        return [0] * len(weights)
    parts = [amount_ore * max(w, 0) // total for w in weights]
    remainders = sorted(
        range(len(weights)),
        key=lambda i: (-(amount_ore * max(weights[i], 0) % total), i),
    )
    for i in remainders[: amount_ore - sum(parts)]:
        parts[i] += 1
    return parts


def decide(
    application: GrantApplication,
    actor: User,
    values: DecisionValues,
    *,
    expected_version: int | None = None,
    language: str = "da",
) -> None:
    """Grant, partly grant or refuse; within the pool; then the decision letter is made,
    kept as the organisation's document and sent to its admins."""
    from portal.services import grant_applications, grant_letters

    amount = _check(application, values)
    lock_round(application.round)
    if amount > 0:
        remaining = remaining_ore(application.round)
        if amount > remaining:
            raise WorkflowError(
                _l(
                    "Der er kun %(remaining)s tilbage i puljen, så %(amount)s kan ikke bevilges. Giv et mindre beløb, eller afslå.",
                    remaining=kroner(remaining),
                    amount=kroner(amount),
                )
            )

    def record(app: GrantApplication) -> None:
        app.decision = values.decision
        app.granted_ore = amount
        app.conditions = values.conditions.strip() if amount else ""
        app.decision_reason = values.reason.strip()
        app.decided_at = utcnow()
        app.decided_by_id = actor.id
        if amount:
            app.report_due_on = app.round.reporting_deadline
            weights = [
                grant_applications.values_of(line).requested_ore for line in app.budget_lines
            ]
            for line, part in zip(app.budget_lines, allocate(amount, weights), strict=True):
                line.approved_ore = part

    grant_workflow.apply(
        application,
        "decide",
        actor,
        text=values.reason,
        expected_version=expected_version,
        before=record,
        details={"decision": values.decision.value, "granted_ore": amount},
    )
    grant_letters.issue_letter(application, actor, language)


# --- the round's steps -----------------------------------------------------------------------


def _round_step(grant_round: GrantRound, actor: User, to: RoundState, action: str) -> None:
    if not can_manage_rounds(actor):
        raise WorkflowError(_l("Kun tilskudsmedarbejdere kan styre runden."))
    grant_round.state = to
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ConflictError(ROUND_CONFLICT) from None
    audit.record(
        f"grant_round.{action}",
        object_type="grant_round",
        object_id=grant_round.id,
        details={"to": to.value, "granted_ore": granted_ore(grant_round)},
        actor_id=str(actor.id),
    )


def start_assessment(
    grant_round: GrantRound,
    actor: User,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """After the deadline (by the server's clock) the round goes into assessment."""
    if expected_version is not None and expected_version != grant_round.version:
        raise ConflictError(ROUND_CONFLICT)
    if grant_rounds.phase(grant_round, now) != grant_rounds.Phase.CLOSED:
        raise WorkflowError(_l("Bedømmelsen kan først begynde, når ansøgningsfristen er udløbet."))
    _round_step(grant_round, actor, RoundState.IN_ASSESSMENT, "start_assessment")


def undecided(grant_round: GrantRound) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                GrantApplication.round_id == grant_round.id,
                GrantApplication.state.in_(UNDECIDED_STATES),
            )
        )
        or 0
    )


def mark_decided(
    grant_round: GrantRound, actor: User, *, expected_version: int | None = None
) -> None:
    """When every application is screened out or decided, the round is decided."""
    if expected_version is not None and expected_version != grant_round.version:
        raise ConflictError(ROUND_CONFLICT)
    if grant_round.state != RoundState.IN_ASSESSMENT:
        raise WorkflowError(_l("Runden er ikke under bedømmelse."))
    waiting = undecided(grant_round)
    if waiting:
        raise WorkflowError(
            _l(
                "%(count)d ansøgninger mangler stadig en afgørelse.",
                count=waiting,
            )
        )
    _round_step(grant_round, actor, RoundState.DECIDED, "mark_decided")


def finish(grant_round: GrantRound, actor: User, *, expected_version: int | None = None) -> None:
    """When every grant is closed (or declined), the round is finished."""
    if expected_version is not None and expected_version != grant_round.version:
        raise ConflictError(ROUND_CONFLICT)
    if grant_round.state != RoundState.DECIDED:
        raise WorkflowError(_l("Runden skal være afgjort, før den kan afsluttes."))
    open_grants = db.session.scalar(
        select(func.count()).where(
            GrantApplication.round_id == grant_round.id,
            GrantApplication.state.in_((ApplicationState.DECIDED, ApplicationState.ACCEPTED)),
            GrantApplication.decision.in_(tuple(GRANTING)),
        )
    )
    if open_grants:
        raise WorkflowError(_l("%(count)d tilskud er endnu ikke lukket.", count=int(open_grants)))
    _round_step(grant_round, actor, RoundState.FINISHED, "finish")


def summary(grant_round: GrantRound) -> dict[str, Any]:
    granted = granted_ore(grant_round)
    return {
        "pool_ore": grant_round.pool_ore,
        "granted_ore": granted,
        "remaining_ore": grant_round.pool_ore - granted,
    }
