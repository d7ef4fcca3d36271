"""The audit log: one call records an event; every row carries a hash chained to the previous.

Each row stores ``prev_hash`` (the previous row's ``entry_hash``) and ``entry_hash`` (the
SHA-256 of its own canonical content including ``prev_hash``). Changing or deleting a row
breaks the chain at that row, and ``verify_chain`` names it.

Entries are written in the request's own transaction, so an event is logged exactly when its
change is committed. On PostgreSQL a transaction-scoped advisory lock serialises writers, so
two concurrent transactions can never both chain onto the same previous row.

Entries older than the log's retention are pruned from the front of the chain (``prune``, run
by the retention job). An ``AuditCheckpoint`` then keeps the first kept entry's id and its
``prev_hash`` as the anchor the verification starts from, and an ``audit.pruned`` entry in the
chain itself repeats both, so a checkpoint added or changed afterwards does not verify.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import Row, delete, func, select, text
from sqlalchemy.orm import Session

from portal import db
from portal.db import utcnow
from portal.models.audit import AuditEntry
from portal.models.privacy import AuditCheckpoint

GENESIS_HASH = "0" * 64
PRUNED_ACTION = "audit.pruned"
# An arbitrary constant naming this lock among the database's advisory locks.
_CHAIN_LOCK_KEY = 0x50_4F_52_54_41_4C  # "PORTAL"


def _canonical(entry: AuditEntry) -> bytes:
    content = {
        "occurred_at": entry.occurred_at.isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "ip_address": entry.ip_address,
        "user_agent": entry.user_agent,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})


def _request_context() -> tuple[str | None, str, str, str]:
    """Who and from where, when called inside a request."""
    if not has_request_context():
        return None, "system", "", ""
    ip = request.remote_addr or ""
    agent = (request.user_agent.string or "")[:300]
    if current_user and current_user.is_authenticated:
        return str(current_user.id), current_user.email, ip, agent
    return None, "anonymous", ip, agent


def record(
    action: str,
    *,
    object_type: str = "",
    object_id: object = "",
    details: dict[str, Any] | None = None,
    actor_id: str | None = None,
    actor_label: str | None = None,
    session: Session | None = None,
) -> AuditEntry:
    """Record one event in the current transaction and return the new row (flushed)."""
    session = session if session is not None else db.session
    ctx_actor, ctx_label, ip, agent = _request_context()
    # Normalise details to what JSON stores, so the hash survives the round trip.
    clean_details = json.loads(json.dumps(details or {}, default=str, ensure_ascii=False))
    _lock_chain(session)
    previous = session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        occurred_at=utcnow(),
        actor_id=actor_id if actor_id is not None else ctx_actor,
        actor_label=(actor_label if actor_label is not None else ctx_label)[:254],
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id else "",
        ip_address=ip,
        user_agent=agent,
        details=clean_details,
        prev_hash=previous or GENESIS_HASH,
    )
    entry.entry_hash = compute_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def record_security_event(action: str, **kwargs: Any) -> AuditEntry:
    """Record an event that must be kept even though the request answers with an error
    (a refused login, another tenant's id): the request commits despite the error status.

    Call it before anything else in the request has changed data.
    """
    entry = record(action, **kwargs)
    g.commit_despite_error = True
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""
    # The checkpoint the walk started from, when older entries have been pruned.
    checkpoint: AuditCheckpoint | None = None


def newest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalar(
        select(AuditCheckpoint).order_by(AuditCheckpoint.first_kept_id.desc()).limit(1)
    )


def _confirms(entry: AuditEntry, checkpoint: AuditCheckpoint) -> bool:
    details = entry.details or {}
    return (
        entry.action == PRUNED_ACTION
        and details.get("first_kept_id") == checkpoint.first_kept_id
        and details.get("anchor_hash") == checkpoint.anchor_hash
    )


def verify_chain(session: Session, batch: int = 1000) -> VerifyResult:
    """Walk the chain in id order and report the first row whose hash or link is wrong.

    After pruning, the walk starts at the newest checkpoint: its first kept entry must be
    there and link to the anchor, and an ``audit.pruned`` entry later in the chain must
    confirm the checkpoint."""
    checkpoint = newest_checkpoint(session)
    expected_prev = GENESIS_HASH
    query = select(AuditEntry).order_by(AuditEntry.id)
    if checkpoint is not None:
        expected_prev = checkpoint.anchor_hash
        query = query.where(AuditEntry.id >= checkpoint.first_kept_id)
    confirmed = checkpoint is None
    checked = 0
    # The context closes the server-side cursor also when we stop at a broken row.
    with session.scalars(query.execution_options(yield_per=batch)) as rows:
        for entry in rows:
            if checkpoint is not None and checked == 0 and entry.id != checkpoint.first_kept_id:
                return VerifyResult(
                    False,
                    checked,
                    entry.id,
                    "the first entry after the checkpoint is missing",
                    checkpoint,
                )
            if entry.prev_hash != expected_prev:
                return VerifyResult(
                    False,
                    checked,
                    entry.id,
                    "previous hash does not match (a row before it was changed or removed)",
                    checkpoint,
                )
            if compute_hash(entry) != entry.entry_hash:
                return VerifyResult(
                    False,
                    checked,
                    entry.id,
                    "content does not match its hash (the row was changed)",
                    checkpoint,
                )
            if not confirmed and _confirms(entry, checkpoint):  # type: ignore[arg-type]
                confirmed = True
            expected_prev = entry.entry_hash
            checked += 1
    if checkpoint is not None and checked == 0:
        return VerifyResult(
            False, 0, checkpoint.first_kept_id, "no entries after the checkpoint", checkpoint
        )
    if not confirmed:
        assert checkpoint is not None
        return VerifyResult(
            False,
            checked,
            checkpoint.first_kept_id,
            "the checkpoint is not confirmed by an audit.pruned entry in the chain",
            checkpoint,
        )
    return VerifyResult(True, checked, checkpoint=checkpoint)


# --- pruning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PruneResult:
    checkpoint: AuditCheckpoint | None
    per_year: dict[int, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(self.per_year.values())


def _first_kept_id(session: Session, before: datetime) -> int | None:
    """The first entry to keep: the first one from ``before`` on. Only a prefix of the chain
    is ever pruned, and the newest entry is always kept (the next entry chains onto it)."""
    first_recent = session.scalar(
        select(func.min(AuditEntry.id)).where(AuditEntry.occurred_at >= before)
    )
    if first_recent is not None:
        return int(first_recent)
    newest = session.scalar(select(func.max(AuditEntry.id)))
    return int(newest) if newest is not None else None


def prunable(session: Session, before: datetime) -> Sequence[Row[Any]]:
    """The entries ``prune(session, before)`` would delete (id and time), oldest first."""
    first_kept = _first_kept_id(session, before)
    if first_kept is None:
        return []
    return session.execute(
        select(AuditEntry.id, AuditEntry.occurred_at)
        .where(AuditEntry.id < first_kept)
        .order_by(AuditEntry.id)
    ).all()


def prune(session: Session, before: datetime) -> PruneResult:
    """Delete the entries older than ``before`` from the front of the chain, in the caller's
    transaction, and write the checkpoint the verification then starts from.

    On PostgreSQL the append-only trigger lets a DELETE through only in a transaction that
    set ``portal.audit_pruning``; it is set for the statement and switched off right after.
    """
    _lock_chain(session)
    first_kept = _first_kept_id(session, before)
    if first_kept is None:
        return PruneResult(None)
    year = func.extract("year", AuditEntry.occurred_at)
    per_year = Counter(
        {
            int(row_year): int(count)
            for row_year, count in session.execute(
                select(year, func.count()).where(AuditEntry.id < first_kept).group_by(year)
            )
        }
    )
    if not per_year:
        return PruneResult(None)
    anchor = session.scalar(select(AuditEntry.prev_hash).where(AuditEntry.id == first_kept))
    assert anchor is not None
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        session.execute(text("SET LOCAL portal.audit_pruning = 'on'"))
    # No session synchronisation: a first prune can remove many rows, and entries are
    # never changed through the session anyway.
    session.execute(
        delete(AuditEntry)
        .where(AuditEntry.id < first_kept)
        .execution_options(synchronize_session=False)
    )
    if postgresql:
        session.execute(text("SET LOCAL portal.audit_pruning = 'off'"))
    checkpoint = AuditCheckpoint(
        first_kept_id=first_kept,
        anchor_hash=anchor,
        pruned_count=sum(per_year.values()),
        pruned_before=before,
        created_at=utcnow(),
    )
    session.add(checkpoint)
    session.flush()
    record(
        PRUNED_ACTION,
        object_type="audit_checkpoint",
        object_id=checkpoint.id,
        details={
            "first_kept_id": first_kept,
            "anchor_hash": anchor,
            "pruned_count": checkpoint.pruned_count,
            "pruned_before": before.isoformat(),
        },
        session=session,
    )
    return PruneResult(checkpoint, dict(per_year))


def last_entries(session: Session, limit: int = 10) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
