"""Accounts: passwords, login sessions, invitations and password resets.

Every state change here writes its audit entry. Raw tokens exist only in the e-mail and the
user's browser; the database keeps their SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal import audit, db, mail
from portal.db import utcnow
from portal.models import (
    AccountToken,
    LoginSession,
    Organisation,
    Role,
    RoleAssignment,
    TokenPurpose,
    User,
)

# argon2id with the library's defaults (RFC 9106 "second recommended" parameters).
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


class AccountError(Exception):
    """A refusal to show the user, in their language."""

    def __init__(self, message: str) -> None:
        super().__init__(str(message))
        self.message = message


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    """Raise AccountError if the password is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("Adgangskoden skal være mindst %(n)d tegn.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(_l("Adgangskoden må højst være %(n)d tegn.", n=MAX_PASSWORD_LENGTH))


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with this e-mail and password, or None.

    Unknown e-mail, wrong password and a deactivated account all give None after the same
    amount of work, so the answer does not reveal which accounts exist.
    """
    user = find_user_by_email(email)
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.password_hash or not user.active:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = hash_password(password)
    return user


# --- login sessions -------------------------------------------------------------------------


def start_login_session(user: User, *, method: str, ip: str, user_agent: str) -> str:
    """Create a server-side login session and return its raw token for the cookie."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        LoginSession(
            user_id=user.id,
            token_hash=hash_token(raw),
            method=method,
            created_at=now,
            last_seen_at=now,
            ip_address=ip[:45],
            user_agent=user_agent[:300],
        )
    )
    user.last_login_at = now
    audit.record(
        "auth.login",
        object_type="user",
        object_id=user.id,
        details={"method": method},
        actor_id=str(user.id),
        actor_label=user.email,
    )
    return raw


@dataclass(frozen=True)
class SessionCheck:
    user: User | None
    reason: str = ""


def resume_login_session(raw: str, user_id: str, now: datetime | None = None) -> SessionCheck:
    """Find the live session behind a cookie; refuse revoked, idle or too old sessions."""
    now = now or utcnow()
    login = db.session.scalar(
        select(LoginSession).where(LoginSession.token_hash == hash_token(raw))
    )
    if login is None or str(login.user_id) != user_id:
        return SessionCheck(None, "unknown")
    if login.revoked_at is not None:
        return SessionCheck(None, "revoked")
    config = current_app.config
    if now - login.created_at > timedelta(seconds=config["SESSION_ABSOLUTE_SECONDS"]):
        return SessionCheck(None, "absolute_timeout")
    if now - login.last_seen_at > timedelta(seconds=config["SESSION_IDLE_SECONDS"]):
        return SessionCheck(None, "idle_timeout")
    if not login.user.active:
        return SessionCheck(None, "deactivated")
    if now - login.last_seen_at >= LAST_SEEN_RESOLUTION:
        login.last_seen_at = now
    return SessionCheck(login.user)


def keep_alive(raw: str) -> None:
    login = db.session.scalar(
        select(LoginSession).where(LoginSession.token_hash == hash_token(raw))
    )
    if login is not None and login.revoked_at is None:
        login.last_seen_at = utcnow()


def end_login_session(raw: str, user: User) -> None:
    """Log out: the session's cookie is worthless from now on."""
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.token_hash == hash_token(raw), LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    audit.record("auth.logout", object_type="user", object_id=user.id)


def revoke_all_sessions(user: User) -> int:
    result = db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the password after checking the current one; every session is logged out."""
    if not user.password_hash or authenticate(user.email, current_password) is None:
        raise AccountError(_l("Den nuværende adgangskode er forkert."))
    check_password_rules(new_password)
    user.password_hash = hash_password(new_password)
    revoked = revoke_all_sessions(user)
    audit.record(
        "user.password_changed",
        object_type="user",
        object_id=user.id,
        details={"sessions_revoked": revoked},
    )


def set_active(user: User, active: bool) -> None:
    """Activate or deactivate an account; deactivation ends all its sessions at once."""
    if user.active == active:
        return
    user.active = active
    user.deactivated_at = None if active else utcnow()
    revoked = 0 if active else revoke_all_sessions(user)
    audit.record(
        "user.activated" if active else "user.deactivated",
        object_type="user",
        object_id=user.id,
        details={"sessions_revoked": revoked},
    )


def set_language(user: User, language: str) -> None:
    """The user's preferred language for pages and e-mails."""
    if user.language == language:
        return
    previous, user.language = user.language, language
    audit.record(
        "user.language_changed",
        object_type="user",
        object_id=user.id,
        details={"from": previous, "to": language},
    )


# --- roles ----------------------------------------------------------------------------------


def grant_role(
    user: User,
    role: Role,
    *,
    organisation_id: uuid.UUID | None = None,
    area_office_id: uuid.UUID | None = None,
    institution_id: uuid.UUID | None = None,
    granted_by: User | None = None,
) -> RoleAssignment:
    """Give a user a role within its scope (idempotent)."""
    scope = {
        "organisation_id": organisation_id,
        "area_office_id": area_office_id,
        "institution_id": institution_id,
    }
    expected = role.scope
    for column, value in scope.items():
        if (column == expected) != (value is not None):
            raise ValueError(f"role {role} needs exactly the scope {expected}")
    for existing in user.role_assignments:
        if existing.role == role and all(getattr(existing, c) == v for c, v in scope.items()):
            return existing
    assignment = RoleAssignment(
        user=user, role=role, granted_by_id=granted_by.id if granted_by else None, **scope
    )
    user.role_assignments.append(assignment)
    db.session.flush()
    audit.record(
        "user.role_granted",
        object_type="user",
        object_id=user.id,
        details={"role": role.value, **{k: str(v) for k, v in scope.items() if v}},
    )
    return assignment


def revoke_role(user: User, assignment: RoleAssignment) -> None:
    user.role_assignments.remove(assignment)
    audit.record(
        "user.role_revoked",
        object_type="user",
        object_id=user.id,
        details={"role": assignment.role.value},
    )


def create_user(email: str, name: str, password: str | None, language: str = "da") -> User:
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise AccountError(_l("Der findes allerede en bruger med den e-mailadresse."))
    if password is not None:
        check_password_rules(password)
    user = User(
        email=email,
        name=name.strip(),
        language=language,
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", object_type="user", object_id=user.id)
    return user


# --- single-use e-mail tokens ---------------------------------------------------------------


def _new_token(
    purpose: TokenPurpose, email: str, lifetime: timedelta, **fields: object
) -> tuple[AccountToken, str]:
    raw = secrets.token_urlsafe(32)
    token = AccountToken(
        purpose=purpose,
        token_hash=hash_token(raw),
        email=normalise_email(email),
        expires_at=utcnow() + lifetime,
        **fields,
    )
    db.session.add(token)
    db.session.flush()
    return token, raw


def find_usable_token(raw: str, purpose: TokenPurpose) -> AccountToken | None:
    token = db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == hash_token(raw), AccountToken.purpose == purpose
        )
    )
    if token is None or not token.usable(utcnow()):
        return None
    return token


def invite(
    email: str,
    name: str,
    role: Role,
    *,
    invited_by: User,
    organisation_id: uuid.UUID | None = None,
    area_office_id: uuid.UUID | None = None,
    institution_id: uuid.UUID | None = None,
) -> AccountToken:
    """Invite a person by e-mail to take a role; the link is single-use and expires."""
    days = current_app.config["PORTAL"]["INVITATION_DAYS"]
    token, raw = _new_token(
        TokenPurpose.INVITATION,
        email,
        timedelta(days=days),
        name=name.strip(),
        role=role,
        organisation_id=organisation_id,
        area_office_id=area_office_id,
        institution_id=institution_id,
        created_by_id=invited_by.id,
    )
    audit.record(
        "invitation.created",
        object_type="account_token",
        object_id=token.id,
        details={"role": role.value, "email": token.email},
    )
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    mail.send_template(
        token.email,
        "invitation",
        organisation=organisation.name if organisation else "",
        language="da",
        name=token.name,
        inviter=invited_by.name,
        role=role,
        days=days,
        link=mail.external_url("auth.accept_invitation", token=raw),
    )
    return token


def revoke_invitation(token: AccountToken) -> None:
    token.revoked_at = utcnow()
    audit.record("invitation.revoked", object_type="account_token", object_id=token.id)


def accept_invitation(token: AccountToken, *, name: str, password: str, language: str) -> User:
    """Create the invited person's account (or add the role to an existing one) and use the token."""
    user = find_user_by_email(token.email)
    if user is None:
        user = create_user(token.email, name, password, language)
    elif not user.active:
        raise AccountError(_l("Kontoen er deaktiveret. Kontakt kriminalforsorgen."))
    else:
        raise AccountError(
            _l(
                "Der findes allerede en konto med denne e-mailadresse. Log ind først, og åbn så linket igen."
            )
        )
    _use_invitation(token, user)
    return user


def accept_invitation_as(token: AccountToken, user: User) -> None:
    """A logged-in user takes an invitation sent to their own e-mail address."""
    if normalise_email(user.email) != token.email:
        raise AccountError(_l("Invitationen er sendt til en anden e-mailadresse end din."))
    _use_invitation(token, user)


def _use_invitation(token: AccountToken, user: User) -> None:
    assert token.role is not None
    token.used_at = utcnow()
    token.user_id = user.id
    grant_role(
        user,
        token.role,
        organisation_id=token.organisation_id,
        area_office_id=token.area_office_id,
        institution_id=token.institution_id,
    )
    audit.record(
        "invitation.accepted",
        object_type="account_token",
        object_id=token.id,
        actor_id=str(user.id),
        actor_label=user.email,
    )


def request_password_reset(email: str) -> None:
    """Send a reset link if an active account has this e-mail; otherwise do nothing visible."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        audit.record(
            "auth.reset_requested_unknown",
            details={"email_hash": hash_token(normalise_email(email))[:16]},
        )
        return
    minutes = current_app.config["PORTAL"]["PASSWORD_RESET_MINUTES"]
    token, raw = _new_token(
        TokenPurpose.PASSWORD_RESET,
        user.email,
        timedelta(minutes=minutes),
        user_id=user.id,
        name=user.name,
    )
    audit.record(
        "auth.reset_requested", object_type="user", object_id=user.id, details={"token": token.id}
    )
    mail.send_template(
        user.email,
        "password_reset",
        language=user.language,
        name=user.name,
        minutes=minutes,
        link=mail.external_url("auth.reset_password", token=raw),
    )


def reset_password(token: AccountToken, new_password: str) -> User:
    check_password_rules(new_password)
    user = db.session.get(User, token.user_id)
    if user is None or not user.active:
        raise AccountError(_l("Linket er ikke længere gyldigt."))
    user.password_hash = hash_password(new_password)
    token.used_at = utcnow()
    # Any other reset link still out there dies with this one.
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == TokenPurpose.PASSWORD_RESET,
            AccountToken.used_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    revoked = revoke_all_sessions(user)
    audit.record(
        "user.password_reset",
        object_type="user",
        object_id=user.id,
        details={"sessions_revoked": revoked},
        actor_id=str(user.id),
        actor_label=user.email,
    )
    return user


def count_active_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.active)) or 0
