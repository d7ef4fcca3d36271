"""The voucher check: once a round is decided, a random share of its grants (the round's
``voucher_share_percent``) is asked to send vouchers with the final report.

The draw is reproducible: a seed is drawn with ``secrets`` and recorded on the round, and the
sample is ``random.Random(seed).sample`` over the grants' ids in a fixed order (as strings),
so anyone can recompute it from the seed and check that it was not picked by hand.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db
from portal.auth.permissions import can_manage_rounds
from portal.db import utcnow
from portal.models import (
    GRANTING,
    ApplicationState,
    GrantApplication,
    GrantRound,
    RoundState,
    User,
)
from portal.services import grant_decisions, grant_workflow
from portal.services.grant_workflow import Side
from portal.services.workflow import ConflictError, WorkflowError

# The round must be decided (or finished) before its grants are known.
DRAW_STATES = frozenset({RoundState.DECIDED, RoundState.FINISHED})
GRANT_STATES = (ApplicationState.ACCEPTED, ApplicationState.CLOSED)


def sample_size(count: int, share_percent: int) -> int:
    """ceil(share % of count), at least 1 when there is anything to draw from."""
    if count <= 0 or share_percent <= 0:
        return 0
    return min(count, max(1, -(-share_percent * count // 100)))


def sample(ids: Sequence[str], share_percent: int, seed: str) -> list[str]:
    """The ids drawn for the check; the same ids, share and seed always give the same sample.
    ``ids`` must be in a fixed order (``grants`` sorts them as strings)."""
    k = sample_size(len(ids), share_percent)
    # Not for secrecy: the point is that anyone can recompute the draw from the seed.
    return random.Random(seed).sample(list(ids), k)  # noqa: S311  # nosec B311


def grants(grant_round: GrantRound) -> list[GrantApplication]:
    """The round's grants that were accepted (open or closed), ordered by id as a string."""
    found = db.session.scalars(
        select(GrantApplication).where(
            GrantApplication.round_id == grant_round.id,
            GrantApplication.decision.in_(tuple(GRANTING)),
            GrantApplication.state.in_(GRANT_STATES),
        )
    ).all()
    return sorted(found, key=lambda application: str(application.id))


def draw_vouchers(
    grant_round: GrantRound, actor: User, *, expected_version: int | None = None
) -> list[GrantApplication]:
    """Draw the sample once for the round, record the seed, and ask the sampled grants for
    vouchers (history, audit, e-mail to each organisation). Returns the sampled grants."""
    if not can_manage_rounds(actor):
        raise WorkflowError(_l("Kun tilskudsmedarbejdere kan trække stikprøven."))
    if expected_version is not None and expected_version != grant_round.version:
        raise ConflictError(grant_decisions.ROUND_CONFLICT)
    if grant_round.state not in DRAW_STATES:
        raise WorkflowError(
            _l("Stikprøven kan først trækkes, når alle ansøgninger i runden er afgjort.")
        )
    grant_decisions.lock_round(grant_round)
    drawn = db.session.scalar(
        select(GrantRound.voucher_seed).where(GrantRound.id == grant_round.id)
    )
    if drawn is not None or grant_round.voucher_seed is not None:
        raise WorkflowError(
            _l("Stikprøven er allerede trukket for runden. Den trækkes kun én gang.")
        )
    candidates = grants(grant_round)
    if not candidates:
        raise WorkflowError(_l("Runden har ingen tilskud, som organisationerne har taget imod."))
    seed = secrets.token_hex(16)
    chosen = set(sample([str(a.id) for a in candidates], grant_round.voucher_share_percent, seed))
    sampled = [a for a in candidates if str(a.id) in chosen]
    grant_round.voucher_seed = seed
    grant_round.voucher_drawn_at = utcnow()
    for application in sampled:
        application.voucher_requested = True
        grant_workflow.record_event(application, "vouchers_requested", actor)
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ConflictError(grant_decisions.ROUND_CONFLICT) from None
    audit.record(
        "grant_round.vouchers_drawn",
        object_type="grant_round",
        object_id=grant_round.id,
        details={
            "seed": seed,
            "share_percent": grant_round.voucher_share_percent,
            "grants": [str(a.id) for a in candidates],
            "sampled": [str(a.id) for a in sampled],
        },
        actor_id=str(actor.id),
    )
    for application in sampled:
        grant_workflow.notify(
            application, frozenset({Side.ORGANISATION}), "vouchers_requested", actor, ""
        )
    return sampled
