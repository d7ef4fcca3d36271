"""The audit log: one call records an event; every row carries a hash chained to the previous.

Each row stores ``prev_hash`` (the previous row's ``entry_hash``) and ``entry_hash`` (the
SHA-256 of its own canonical content including ``prev_hash``). Changing or deleting a row
breaks the chain at that row, and ``verify_chain`` names it.

Entries are written in the request's own transaction, so an event is logged exactly when its
change is committed. On PostgreSQL a transaction-scoped advisory lock serialises writers, so
two concurrent transactions can never both chain onto the same previous row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from portal import db
from portal.db import utcnow
from portal.models.audit import AuditEntry

GENESIS_HASH = "0" * 64
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


def verify_chain(session: Session, batch: int = 1000) -> VerifyResult:
    """Walk the chain in id order and report the first row whose hash or link is wrong."""
    expected_prev = GENESIS_HASH
    checked = 0
    query = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch)
    # The context closes the server-side cursor also when we stop at a broken row.
    with session.scalars(query) as rows:
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return VerifyResult(
                    False,
                    checked,
                    entry.id,
                    "previous hash does not match (a row before it was changed or removed)",
                )
            if compute_hash(entry) != entry.entry_hash:
                return VerifyResult(
                    False,
                    checked,
                    entry.id,
                    "content does not match its hash (the row was changed)",
                )
            expected_prev = entry.entry_hash
            checked += 1
    return VerifyResult(True, checked)


def last_entries(session: Session, limit: int = 10) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
