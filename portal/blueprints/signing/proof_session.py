"""The signing pages' proof of identity in the browser's session (30 minutes), carried through a
login when one is needed, and taken over from an OpenID Connect provider on return."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, flash, render_template, session
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.auth import oidc
from portal.auth.oidc_config import ProviderConfig
from portal.db import utcnow
from portal.models import Volunteer
from portal.services import identities, signing
from portal.services.signing import PROOF_MAX_AGE, Proof

PROOF_KEY = "signing_proof"
OIDC_PENDING_KEY = "signing_oidc"
_CONTINUATION_SALT = "portal signing proof"


def remember(proof: Proof) -> None:
    session[PROOF_KEY] = proof.as_dict()


def forget() -> None:
    session.pop(PROOF_KEY, None)


def current(volunteer: Volunteer | None = None, now: datetime | None = None) -> Proof | None:
    """The proof made in this browser within 30 minutes (for ``volunteer``, if given)."""
    proof = Proof.from_dict(session.get(PROOF_KEY))
    if proof is None or (now or utcnow()) - proof.proven_at > PROOF_MAX_AGE:
        forget()
        return None
    if volunteer is not None and proof.volunteer_id != volunteer.id:
        return None
    return proof


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_CONTINUATION_SALT)


def continuation(proof: Proof) -> str:
    """The proof, signed, to carry through a login (a login starts a fresh session)."""
    return _serializer().dumps(proof.as_dict())


def resume(raw: str, volunteer: Volunteer, now: datetime | None = None) -> Proof | None:
    """Take back a proof carried through a login, if it is genuine, fresh and this volunteer's."""
    try:
        data = _serializer().loads(raw, max_age=int(PROOF_MAX_AGE.total_seconds()))
    except BadSignature:
        return None
    proof = Proof.from_dict(data)
    if proof is None or proof.volunteer_id != volunteer.id:
        return None
    if (now or utcnow()) - proof.proven_at > PROOF_MAX_AGE:
        return None
    remember(proof)
    return proof


def start_oidc(provider: ProviderConfig, volunteer: Volunteer, back: str) -> Any:
    """Send the browser to the provider; it comes back to ``back`` with the identity proven."""
    # Only a proof made after this moment, in this browser, counts for this volunteer.
    session[OIDC_PENDING_KEY] = {"v": str(volunteer.id), "t": int(utcnow().timestamp())}
    outcome = oidc.start_login(provider, back, proof_next=back)
    if isinstance(outcome, oidc.Refusal):
        return render_template("auth/oidc_refused.html", refusal=outcome), outcome.status
    return outcome


def returned_from_oidc(volunteer: Volunteer) -> Proof | None:
    """The volunteer's proof, if this browser just proved an identity at a provider for them."""
    pending = session.get(OIDC_PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("v") != str(volunteer.id):
        return None
    identity = identities.current_identity_proof()
    if identity is None or identity.proven_at.timestamp() < int(pending.get("t", 0)):
        return None
    session.pop(OIDC_PENDING_KEY, None)
    try:
        proof = signing.prove_with_oidc(volunteer, identity)
    except signing.SigningError as error:
        identities.forget_identity_proof()
        flash(str(error.message), "error")
        return None
    remember(proof)
    return proof
