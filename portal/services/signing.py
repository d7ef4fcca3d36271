"""The volunteer's signing: proving identity, giving the CPR number, signing the declarations
with sealed evidence, and verifying a signature afterwards.

Identity is proven for one volunteer at a time (a ``Proof``, which the signing pages keep in
the browser's session for 30 minutes): through an OpenID Connect provider where one is configured,
otherwise by the date of birth the organisation registered (with the e-mailed link, or while
logged in). Each signature keeps what was shown, its SHA-256, how identity was proven, the
explicit act, when and from where, sealed by an HMAC (``seal``) that ``verify`` recomputes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import audit, cpr, db
from portal.db import utcnow
from portal.models import (
    AuditEntry,
    DeclarationVersion,
    IdentityMethod,
    Role,
    Signature,
    User,
    Volunteer,
    VolunteerState,
)
from portal.services import accounts, receipts, volunteer_links
from portal.services.identities import IdentityProof
from portal.services.volunteer_history import record_event
from portal.services.volunteer_status import current_versions, outdated_kinds, render_text

# How long a proof of identity may be used (it is kept in the browser's session).
PROOF_MAX_AGE = timedelta(minutes=30)
# A date of birth has few possible values: after this many wrong answers for one volunteer
# within the window, no answer is even compared (shared by all workers: it is the audit log).
MAX_FAILED_ATTEMPTS = 5
FAILED_WINDOW = timedelta(hours=1)
FAILED_ACTION = "signing.identity_failed"
# Who signs: a first signing (invited), or a new text while waiting for or after the check.
# Withdrawn, not cleared and expired volunteers start again from a new invitation.
SIGNING_STATES = (VolunteerState.INVITED, VolunteerState.AWAITING_CHECK, VolunteerState.CLEARED)


class SigningError(Exception):
    """A refusal to show the volunteer, in their language."""

    def __init__(self, message: Any, *, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status


class TextsChanged(SigningError):
    """A declaration text changed between showing it and signing it."""


# --- the proof of identity ----------------------------------------------------------------


@dataclass(frozen=True)
class Proof:
    """Who proved to be the volunteer ``volunteer_id``, how, and when."""

    volunteer_id: uuid.UUID
    method: IdentityMethod
    proven_at: datetime
    provider: str = ""
    subject: str = ""
    assurance: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "v": str(self.volunteer_id),
            "m": self.method.value,
            "t": int(self.proven_at.timestamp()),
            "p": self.provider,
            "s": self.subject,
            "a": self.assurance,
        }

    @classmethod
    def from_dict(cls, data: object) -> Proof | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                volunteer_id=uuid.UUID(str(data["v"])),
                method=IdentityMethod(data["m"]),
                proven_at=datetime.fromtimestamp(int(data["t"]), UTC),
                provider=str(data.get("p", "")),
                subject=str(data.get("s", "")),
                assurance=str(data.get("a", "")),
            )
        except (KeyError, ValueError, TypeError):
            return None


def failed_attempts(volunteer: Volunteer, now: datetime | None = None) -> int:
    since = (now or utcnow()) - FAILED_WINDOW
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.action == FAILED_ACTION,
                AuditEntry.object_type == "volunteer",
                AuditEntry.object_id == str(volunteer.id),
                AuditEntry.occurred_at >= since,
            )
        )
        or 0
    )


def prove_birth_date(
    volunteer: Volunteer, answer: date, method: IdentityMethod, now: datetime | None = None
) -> Proof:
    """Prove identity by the date of birth; a wrong answer is audited and counted.

    Raises SigningError (status 429 once too many wrong answers were given).
    """
    now = now or utcnow()
    if failed_attempts(volunteer, now) >= MAX_FAILED_ATTEMPTS:
        raise SigningError(
            _l(
                "Du har skrevet en forkert fødselsdato for mange gange. Vent en time, og prøv igen, eller kontakt din organisation."
            ),
            status=429,
        )
    if answer != volunteer.birth_date:
        # Kept although the request answers with an error (the count above reads it).
        audit.record_security_event(
            FAILED_ACTION,
            object_type="volunteer",
            object_id=volunteer.id,
            details={"method": method.value},
        )
        raise SigningError(
            _l(
                "Fødselsdatoen passer ikke med den, din organisation har registreret. Tjek dag, måned og år, og prøv igen."
            )
        )
    return _proven(Proof(volunteer.id, method, now))


def prove_with_oidc(volunteer: Volunteer, identity: IdentityProof) -> Proof:
    """Take an identity proven at an OpenID Connect provider as the volunteer's proof.

    Once the volunteer has signed with a provider's identity, only that same identity (the
    provider's persistent ``sub``) proves them again: someone else's MitID is refused, and
    the attempt is audited."""
    first = _first_oidc_identity(volunteer)
    if first is not None and first != (identity.provider[:100], identity.identity.subject[:255]):
        audit.record_security_event(
            "signing.identity_mismatch",
            object_type="volunteer",
            object_id=volunteer.id,
            details={"provider": identity.provider, "signed_with": first[0]},
        )
        raise SigningError(
            _l(
                "Du har tidligere underskrevet med et andet MitID end det, du netop brugte. Bekræft med dit eget MitID for at underskrive."
            ),
            status=403,
        )
    proof = Proof(
        volunteer.id,
        IdentityMethod.OIDC,
        identity.proven_at,
        provider=identity.provider[:100],
        subject=identity.identity.subject[:255],
        assurance=identity.assurance_level[:100],
    )
    return _proven(proof)


def _first_oidc_identity(volunteer: Volunteer) -> tuple[str, str] | None:
    """The (provider, subject) of the volunteer's first signature made with a provider."""
    row = db.session.execute(
        select(Signature.identity_provider, Signature.identity_subject)
        .where(
            Signature.volunteer_id == volunteer.id,
            Signature.identity_method == IdentityMethod.OIDC,
        )
        .order_by(Signature.signed_at, Signature.id)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def _proven(proof: Proof) -> Proof:
    details = {"method": proof.method.value}
    if proof.provider:
        details |= {"provider": proof.provider, "assurance_level": proof.assurance}
    audit.record(
        "signing.identity_proven",
        object_type="volunteer",
        object_id=proof.volunteer_id,
        details=details,
    )
    return proof


# --- the account ----------------------------------------------------------------------------


def account_for(volunteer: Volunteer) -> User | None:
    """The account the volunteer has (linked, or with their e-mail address), if any."""
    if volunteer.user_id is not None:
        return db.session.get(User, volunteer.user_id)
    return accounts.find_user_by_email(volunteer.email)


def attach_account(volunteer: Volunteer, user: User, now: datetime | None = None) -> None:
    """Make ``user`` the volunteer's own account and use the link up (it cannot serve again)."""
    if account_for(volunteer) not in (None, user):
        raise SigningError(_l("Linket hører til en anden konto end den, du er logget ind med."))
    volunteer.user_id = user.id
    accounts.grant_role(user, Role.VOLUNTEER, organisation_id=volunteer.organisation_id)
    volunteer_links.use_link(volunteer, now)
    record_event(volunteer, "account_attached", user, now=now)
    db.session.flush()
    audit.record(
        "volunteer.account_attached",
        object_type="volunteer",
        object_id=volunteer.id,
        details={"user_id": str(user.id)},
    )


def create_account(volunteer: Volunteer, password: str, language: str) -> User:
    """Create the volunteer's account with the password they chose, and attach it."""
    try:
        with db.session.begin_nested():
            user = accounts.create_user(volunteer.email, volunteer.name, password, language)
    except accounts.AccountError as error:
        raise SigningError(error.message) from error
    except IntegrityError:
        # The same form sent twice at once: the other request created the account.
        raise SigningError(
            _l("Din konto er allerede oprettet. Log ind med den for at fortsætte."), status=409
        ) from None
    attach_account(volunteer, user)
    return user


# --- the CPR number -------------------------------------------------------------------------


def needs_cpr(volunteer: Volunteer) -> bool:
    """Only a first signing gives the CPR number; re-signing a new text does not."""
    return volunteer.state == VolunteerState.INVITED and volunteer.cpr_ciphertext is None


def has_work(volunteer: Volunteer) -> bool:
    """Whether the volunteer has something to give or sign (the CPR number, a declaration)."""
    if volunteer.state not in SIGNING_STATES:
        return False
    return needs_cpr(volunteer) or bool(outdated_kinds(volunteer))


def give_cpr(volunteer: Volunteer, raw: str, now: datetime | None = None) -> None:
    """Store the CPR number the volunteer typed, encrypted, if it fits their date of birth.

    Neither the number nor any part of it goes into a message, the audit log or an event.
    """
    try:
        digits = cpr.normalise(raw)
    except cpr.CprError as error:
        raise SigningError(error.message) from None
    if cpr.birth_date(digits) != volunteer.birth_date:
        raise SigningError(
            _l(
                "CPR-nummeret passer ikke med den fødselsdato, din organisation har registreret. Tjek nummeret. Er fødselsdatoen forkert, så kontakt din organisation."
            )
        )
    volunteer.cpr_ciphertext = cpr.encrypt(digits, volunteer.id)
    volunteer.cpr_given_at = now or utcnow()
    db.session.flush()
    audit.record("volunteer.cpr_given", object_type="volunteer", object_id=volunteer.id)


# --- the declarations -----------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """A declaration to sign, rendered for the volunteer."""

    version: DeclarationVersion
    title: str
    text: str
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", text_hash(self.text))


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pending_declarations(volunteer: Volunteer, language: str) -> list[Pending]:
    """The required declarations the volunteer has not signed in their current version."""
    current = current_versions()
    items = []
    for kind in outdated_kinds(volunteer):
        version = current[kind]
        text = render_text(version, volunteer, language)
        items.append(Pending(version, version.title_for(language), text))
    return items


def shown_digest(items: list[Pending]) -> str:
    """One hash of what the page showed (versions and texts), to detect a change before signing."""
    return text_hash("\n".join(f"{item.version.id}:{item.sha256}" for item in items))


def sign_declarations(
    volunteer: Volunteer,
    user: User,
    proof: Proof,
    *,
    language: str,
    act: str,
    shown: str,
    ip_address: str,
    user_agent: str,
    now: datetime | None = None,
) -> list[Signature]:
    """Sign every pending declaration exactly as it renders now, with sealed evidence.

    ``shown`` is the digest of the page the volunteer read; if the texts changed since, nothing
    is signed (TextsChanged). A first signing that completes the declarations and the CPR
    number moves the volunteer to AWAITING_CHECK. The receipt is stored and e-mailed.
    """
    now = now or utcnow()
    if proof.volunteer_id != volunteer.id or volunteer.user_id != user.id:
        raise SigningError(_l("Bekræft, hvem du er, før du underskriver."), status=403)
    if volunteer.state not in SIGNING_STATES:
        raise SigningError(_l("Du har ikke noget at underskrive lige nu."), status=409)
    if needs_cpr(volunteer):
        raise SigningError(_l("Skriv dit CPR-nummer, før du underskriver."))
    items = pending_declarations(volunteer, language)
    if not items:
        raise SigningError(_l("Du har allerede underskrevet alle erklæringer."), status=409)
    if not hmac.compare_digest(shown_digest(items), shown):
        raise TextsChanged(
            _l(
                "Teksten i en eller flere erklæringer er ændret, mens du læste dem. Læs de nye tekster, og underskriv igen."
            ),
            status=409,
        )
    signatures = []
    for item in items:
        signature = Signature(
            id=uuid.uuid4(),
            volunteer_id=volunteer.id,
            declaration_version_id=item.version.id,
            language=language,
            text_shown=item.text,
            text_sha256=item.sha256,
            identity_method=proof.method,
            identity_provider=proof.provider,
            identity_subject=proof.subject,
            identity_assurance=proof.assurance,
            act=act[:100],
            signed_at=now,
            ip_address=ip_address[:45],
            user_agent=user_agent[:300],
        )
        signature.evidence_mac = seal(signature)
        db.session.add(signature)
        signatures.append(signature)
    # Touching the volunteer makes a concurrent second submit fail on the version check.
    volunteer.signed_at = now
    record_event(volunteer, "signed", user, ", ".join(item.title for item in items), now=now)
    db.session.flush()
    for signature in signatures:
        audit.record(
            "signature.created",
            object_type="signature",
            object_id=signature.id,
            details={
                "volunteer_id": str(volunteer.id),
                "declaration_version_id": str(signature.declaration_version_id),
                "text_sha256": signature.text_sha256,
                "evidence_mac": signature.evidence_mac,
                "identity_method": signature.identity_method.value,
            },
        )
    if (
        volunteer.state == VolunteerState.INVITED
        and volunteer.cpr_ciphertext is not None
        and not outdated_kinds(volunteer)
    ):
        volunteer.state = VolunteerState.AWAITING_CHECK
        record_event(volunteer, "awaiting_check", user, now=now)
        db.session.flush()
        audit.record(
            "volunteer.awaiting_check",
            object_type="volunteer",
            object_id=volunteer.id,
            details={"from": VolunteerState.INVITED.value},
        )
    try:
        receipts.issue_receipt(volunteer, user, signatures, language)
    except receipts.ReceiptError as error:
        raise SigningError(error.message, status=503) from error
    # Signing a new version again lifts a flag on their approved activities at once.
    from portal.services import activity_flags

    activity_flags.recheck_volunteer(volunteer, now)
    return signatures


# --- evidence and verification --------------------------------------------------------------


def _canonical(signature: Signature) -> bytes:
    # Columns with a default are None until the row is inserted: "" and None seal alike.
    content = {
        "id": str(signature.id),
        "volunteer_id": str(signature.volunteer_id),
        "declaration_version_id": str(signature.declaration_version_id),
        "language": signature.language,
        "text_sha256": signature.text_sha256,
        "identity_method": IdentityMethod(signature.identity_method).value,
        "identity_provider": signature.identity_provider or "",
        "identity_subject": signature.identity_subject or "",
        "identity_assurance": signature.identity_assurance or "",
        "act": signature.act,
        "signed_at": signature.signed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "ip_address": signature.ip_address or "",
        "user_agent": signature.user_agent or "",
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def seal(signature: Signature) -> str:
    """HMAC-SHA256 (the evidence key) of the signature's evidence, hex."""
    return hmac.new(cpr.evidence_key(), _canonical(signature), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Verification:
    ok: bool
    problems: list[str]


def verify(signature: Signature) -> Verification:
    """Whether the signature still matches its text and its evidence.

    The text is not compared with the declaration rendered today: its placeholders (name,
    institutions) may have changed since. The text's hash and the seal over the evidence are.
    """
    problems = []
    if text_hash(signature.text_shown) != signature.text_sha256:
        problems.append(str(_l("Den gemte tekst passer ikke med sin SHA-256.")))
    if db.session.get(DeclarationVersion, signature.declaration_version_id) is None:
        problems.append(str(_l("Erklæringens version findes ikke længere.")))
    if not hmac.compare_digest(seal(signature), signature.evidence_mac or ""):
        problems.append(
            str(_l("Beviset (HMAC) passer ikke: underskriftens oplysninger er ændret."))
        )
    return Verification(not problems, problems)
