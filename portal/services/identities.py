"""Identities proven through an OpenID Connect provider.

An identity is the provider's (issuer, ``sub``) and nothing else: it is never matched on name
or e-mail. An administrator links a staff member's identity to their account beforehand
(``link_identity``, or ``flask portal link-identity``). A citizen who proves who they are
without having an account gets an identity without a user; the proof lives in their session
for a while, and the declarations flow reads it with ``current_identity_proof``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import session
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import audit, db
from portal.db import utcnow
from portal.models import ExternalIdentity, User

PROOF_KEY = "identity_proof"
PROOF_TIME_KEY = "identity_proof_at"
# How long a proven identity may be used without proving it again.
PROOF_MAX_AGE = timedelta(minutes=30)


class IdentityError(Exception):
    """A refusal to show the person who asked (an administrator), in their language."""

    def __init__(self, message: str) -> None:
        super().__init__(str(message))
        self.message = message


def find_identity(issuer: str, subject: str) -> ExternalIdentity | None:
    return db.session.scalar(
        select(ExternalIdentity).where(
            ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject
        )
    )


def identities_of(user: User) -> list[ExternalIdentity]:
    return list(
        db.session.scalars(
            select(ExternalIdentity)
            .where(ExternalIdentity.user_id == user.id)
            .order_by(ExternalIdentity.created_at)
        )
    )


def link_identity(user: User, provider: str, issuer: str, subject: str) -> ExternalIdentity:
    """Let ``user`` log in as (issuer, subject) at ``provider`` (idempotent).

    An identity that a citizen proved earlier is linked as it is; one linked to another
    account is refused.
    """
    issuer, subject = issuer.strip(), subject.strip()
    if not issuer or not subject:
        raise IdentityError(_l("Udbyderens adresse (issuer) og personens id (sub) skal udfyldes."))
    identity = find_identity(issuer, subject)
    if identity is not None and identity.user_id not in (None, user.id):
        raise IdentityError(_l("Identiteten er allerede knyttet til en anden bruger."))
    if identity is not None and identity.user_id == user.id:
        return identity
    if identity is None:
        identity = ExternalIdentity(provider=provider, issuer=issuer, subject=subject)
        db.session.add(identity)
        db.session.flush()
        audit.record(
            "identity.created",
            object_type="external_identity",
            object_id=identity.id,
            details={"provider": provider, "user_id": str(user.id)},
        )
    identity.user_id = user.id
    db.session.flush()
    audit.record(
        "identity.linked",
        object_type="external_identity",
        object_id=identity.id,
        details={"provider": provider, "user_id": str(user.id)},
    )
    return identity


def record_login(identity: ExternalIdentity, *, assurance_level: str) -> None:
    """A linked identity was used to log in (``auth.login`` is audited by the login itself)."""
    identity.last_login_at = utcnow()
    identity.assurance_level = assurance_level[:100]


def record_identity_proof(
    *,
    provider: str,
    issuer: str,
    subject: str,
    name: str,
    email: str,
    assurance_level: str,
) -> ExternalIdentity:
    """Create or refresh the identity a person just proved at ``provider``."""
    identity = find_identity(issuer, subject)
    created = identity is None
    if identity is None:
        try:
            with db.session.begin_nested():
                identity = ExternalIdentity(provider=provider, issuer=issuer, subject=subject)
                db.session.add(identity)
        except IntegrityError:
            # The same person's first proof arrived twice at once (two tabs); the other won.
            identity = find_identity(issuer, subject)
            if identity is None:
                raise
            created = False
    identity.provider = provider
    identity.name = name[:200]
    identity.email = email[:254]
    identity.assurance_level = assurance_level[:100]
    identity.last_login_at = utcnow()
    db.session.flush()
    audit.record(
        "identity.created" if created else "identity.proven",
        object_type="external_identity",
        object_id=identity.id,
        details={"provider": provider, "assurance_level": identity.assurance_level},
    )
    return identity


# --- the proof in the person's session ------------------------------------------------------


@dataclass(frozen=True)
class IdentityProof:
    """Who a person proved to be, with which provider and level, and when."""

    identity: ExternalIdentity
    proven_at: datetime

    @property
    def provider(self) -> str:
        return self.identity.provider

    @property
    def assurance_level(self) -> str:
        return self.identity.assurance_level

    @property
    def name(self) -> str:
        return self.identity.name

    @property
    def email(self) -> str:
        return self.identity.email


def remember_identity_proof(identity: ExternalIdentity, now: datetime | None = None) -> None:
    """Keep the proof in the session (signed cookie): the identity's id and the time."""
    session[PROOF_KEY] = str(identity.id)
    session[PROOF_TIME_KEY] = int((now or utcnow()).timestamp())


def current_identity_proof(
    max_age: timedelta = PROOF_MAX_AGE, now: datetime | None = None
) -> IdentityProof | None:
    """The identity this browser proved within ``max_age``, or None.

    For the declarations flow: who is signing, and how that was proven
    (``proof.provider``, ``proof.assurance_level``, ``proof.proven_at``).
    """
    raw_id, raw_time = session.get(PROOF_KEY), session.get(PROOF_TIME_KEY)
    if not raw_id or not isinstance(raw_time, int):
        return None
    proven_at = datetime.fromtimestamp(raw_time, UTC)
    if (now or utcnow()) - proven_at > max_age:
        forget_identity_proof()
        return None
    try:
        identity = db.session.get(ExternalIdentity, uuid.UUID(str(raw_id)))
    except ValueError:
        identity = None
    if identity is None:
        forget_identity_proof()
        return None
    return IdentityProof(identity=identity, proven_at=proven_at)


def forget_identity_proof() -> None:
    session.pop(PROOF_KEY, None)
    session.pop(PROOF_TIME_KEY, None)
