"""Login with OpenID Connect providers, through authlib's Flask client.

``PORTAL_OIDC_PROVIDERS`` is a JSON list of providers (see ``parse_providers``); with ``[]``
nothing of this shows anywhere. The flow is the authorization code flow with PKCE (S256); the
state, the nonce and the PKCE verifier are kept in the user's session by authlib, and the ID
token's signature, issuer, audience, expiry and nonce are checked before anything else.

People are matched only on the provider's (issuer, ``sub``), never on name or e-mail:

* a *staff* provider logs in only accounts an administrator linked beforehand
  (``flask portal link-identity``), that are active and hold one of the provider's roles;
* a *citizen* provider logs in a linked account the same way, and otherwise records the
  person's proven identity (``ExternalIdentity`` without an account) in the session, for the
  declarations flow to use (``portal.services.identities.current_identity_proof``).

Every refusal is audited as ``auth.oidc_refused`` with the provider and the reason; the person
sees a plain Danish page that names no internals.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
    UnsupportedAlgorithmError,
)
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from portal import audit, db
from portal.auth import session as auth_session
from portal.auth.oidc_config import (
    WELL_KNOWN,
    ProviderConfig,
    assurance_accepted,
    parse_providers,
)
from portal.models import ExternalIdentity, User
from portal.safe_redirect import safe_next
from portal.services import identities

log = logging.getLogger(__name__)

EXTENSION_KEY = "portal_oidc"
HTTP_TIMEOUT_SECONDS = 10
# Clock difference tolerated between the provider and us when checking exp and iat.
LEEWAY_SECONDS = 60
NEXT_KEY = "oidc_next"
# Where a person whose identity was proven without an account goes next (the signing flow).
PROOF_NEXT_KEY = "oidc_proof_next"

# --- the registry of one app ----------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    providers: dict[str, ProviderConfig]
    oauth: OAuth


def init_app(app: Flask) -> None:
    """Validate the providers at startup and register each with authlib (idempotent)."""
    if EXTENSION_KEY in app.extensions:
        return
    providers = parse_providers(
        app.config["PORTAL"]["OIDC_PROVIDERS"], production=app.config["PRODUCTION"]
    )
    oauth = OAuth(app)
    for provider in providers:
        oauth.register(
            name=provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.discovery_url,
            client_kwargs={
                "scope": provider.scopes,
                "code_challenge_method": "S256",
                "default_timeout": HTTP_TIMEOUT_SECONDS,
            },
        )
    app.extensions[EXTENSION_KEY] = Registry({p.name: p for p in providers}, oauth)
    # The login page shows one button per provider.
    app.jinja_env.globals["oidc_login_providers"] = providers

    from portal import cli_oidc

    cli_oidc.init_app(app)


def _registry() -> Registry:
    return current_app.extensions[EXTENSION_KEY]


def configured_providers() -> tuple[ProviderConfig, ...]:
    return tuple(_registry().providers.values())


def find_provider(name: str) -> ProviderConfig | None:
    return _registry().providers.get(name)


def get_provider_or_404(name: str) -> ProviderConfig:
    provider = find_provider(name)
    if provider is None:
        raise NotFound()
    return provider


def _client(provider: ProviderConfig) -> Any:
    return _registry().oauth.create_client(provider.name)


class ProviderUnavailable(Exception):
    """The provider could not be reached, or its discovery document cannot be trusted."""


def provider_issuer(provider: ProviderConfig) -> str:
    """The issuer from the discovery document, checked against the discovery URL.

    OpenID Connect Discovery requires the two to match; a document that names another issuer
    is not used (it could send us another provider's tokens).
    """
    try:
        metadata = _client(provider).load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"discovery document unavailable: {error}") from error
    issuer = metadata.get("issuer")
    expected = provider.discovery_url.removesuffix(WELL_KNOWN).rstrip("/")
    if not isinstance(issuer, str) or issuer.rstrip("/") != expected:
        raise ProviderUnavailable(f"discovery names issuer {issuer!r}, expected {expected!r}")
    return issuer


def redirect_uri(provider: ProviderConfig) -> str:
    """The callback address registered at the provider: PORTAL_BASE_URL + the callback path."""
    base = current_app.config["PORTAL"]["BASE_URL"].rstrip("/")
    return base + url_for("auth.oidc_callback", provider=provider.name)


# --- outcomes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    reason: str
    status: int
    title: str
    message: str


@dataclass(frozen=True)
class LoggedIn:
    target: str


@dataclass(frozen=True)
class IdentityConfirmed:
    identity: ExternalIdentity
    target: str = ""  # the caller's page to return to; empty: the confirmation page


Outcome = Refusal | LoggedIn | IdentityConfirmed

# What the person is told, by kind of refusal. No text names a technical cause.
_FAILED = "failed"
_PAGES: dict[str, tuple[int, Any, Any]] = {
    _FAILED: (
        400,
        _l("Login kunne ikke gennemføres"),
        _l(
            "Vi kunne ikke godkende svaret fra login-tjenesten, så du er ikke logget ind. Det kan ske, hvis du har brugt tilbage-knappen, genindlæst siden eller haft login åbent længe. Prøv igen fra login-siden."
        ),
    ),
    "cancelled": (
        400,
        _l("Login blev afbrudt"),
        _l("Du afbrød login, eller login-tjenesten afviste det. Du er ikke logget ind."),
    ),
    "provider_error": (
        400,
        _l("Login kunne ikke gennemføres"),
        _l(
            "Login-tjenesten kunne ikke gennemføre dit login, så du er ikke logget ind. Prøv igen om lidt."
        ),
    ),
    "unknown_account": (
        403,
        _l("Du har ikke en konto i %(portal)s"),
        _l(
            "Dit login lykkedes, men der er ikke knyttet en konto i %(portal)s til dig. Kontakt din administrator, hvis du skal have adgang."
        ),
    ),
    "role_not_allowed": (
        403,
        _l("Du kan ikke logge ind på denne måde"),
        _l(
            "Din konto har ikke en rolle, der kan logge ind med denne login-tjeneste. Log ind på en anden måde, eller kontakt din administrator."
        ),
    ),
    "account_inactive": (
        403,
        _l("Din konto er deaktiveret"),
        _l("Kontoen er deaktiveret. Kontakt kriminalforsorgen."),
    ),
    "assurance_too_low": (
        403,
        _l("Dit login er ikke sikkert nok"),
        _l(
            "Her kræves et højere sikringsniveau, end dit login havde. Log ind igen, og vælg en måde at logge ind på, der giver et højere sikringsniveau."
        ),
    ),
    "provider_unavailable": (
        503,
        _l("Login-tjenesten svarer ikke"),
        _l(
            "Vi kan ikke få forbindelse til login-tjenesten lige nu. Prøv igen om lidt, eller log ind med e-mail og adgangskode."
        ),
    ),
}
# Audit reasons that are shown as their own page; every other reason gets the _FAILED page.
_OWN_PAGE = {"unknown_account", "role_not_allowed", "account_inactive", "assurance_too_low"}


def _refuse(
    provider: ProviderConfig, reason: str, page: str | None = None, **details: object
) -> Refusal:
    """Audit the refusal (kept although the request fails) and describe the page to show."""
    page = page or (reason if reason in _OWN_PAGE else _FAILED)
    status, title, message = _PAGES[page]
    audit.record_security_event(
        "auth.oidc_refused",
        details={"provider": provider.name, "reason": reason, **details},
    )
    log.warning("OpenID Connect login via %s refused: %s %s", provider.name, reason, details)
    names = {"portal": current_app.config["PORTAL"]["PORTAL_NAME"]}
    return Refusal(reason, status, str(title) % names, str(message) % names)


def _error_code(raw: str | None) -> str:
    """A provider's error code, reduced to what is safe to store."""
    return re.sub(r"[^a-z0-9_.-]", "", (raw or "").lower())[:60] or "unknown"


# --- the flow -------------------------------------------------------------------------------


def start_login(
    provider: ProviderConfig, next_url: str | None, *, proof_next: str | None = None
) -> Response | Refusal:
    """Send the browser to the provider (authorization code flow with PKCE).

    ``next_url`` is where a person who logs in goes; ``proof_next`` where a citizen whose
    identity is proven without an account goes (default: the confirmation page).
    """
    try:
        provider_issuer(provider)
    except ProviderUnavailable as error:
        log.error("OpenID Connect provider %s unavailable: %s", provider.name, error)
        status, title, message = _PAGES["provider_unavailable"]
        return Refusal("provider_unavailable", status, str(title), str(message))
    for key, url in ((NEXT_KEY, next_url), (PROOF_NEXT_KEY, proof_next)):
        target = safe_next(url, "")
        if target:
            session[key] = target
        else:
            session.pop(key, None)
    params = {"ui_locales": str(get_locale() or "da")}
    if provider.acr_values:
        params["acr_values"] = provider.acr_values
    return _client(provider).authorize_redirect(redirect_uri(provider), **params)


def _forget_state(client: Any, state: str | None) -> None:
    if state:
        client.framework.clear_state_data(session, state)


def _token_refusal(provider: ProviderConfig, error: Exception) -> Refusal:
    """Name the reason a token response or ID token was not accepted."""
    if isinstance(error, MismatchingStateError):
        return _refuse(provider, "state_mismatch")
    if isinstance(error, OAuthError):
        code = _error_code(error.error)
        reason = "code_rejected" if code == "invalid_grant" else "token_error"
        return _refuse(provider, reason, error=code)
    if isinstance(error, ExpiredTokenError):
        return _refuse(provider, "token_expired")
    if isinstance(error, InvalidClaimError | MissingClaimError):
        claims = set(error.claim.split(","))
        if "nonce" in claims:
            return _refuse(provider, "nonce_mismatch")
        if claims & {"aud", "azp"}:
            return _refuse(provider, "wrong_audience")
        if "iss" in claims:
            return _refuse(provider, "wrong_issuer")
        return _refuse(provider, "invalid_token", claim=error.claim)
    if isinstance(error, BadSignatureError):
        return _refuse(provider, "bad_signature")
    if isinstance(error, UnsupportedAlgorithmError):
        alg = _unverified_algorithm(provider)
        if alg.lower() == "none":
            return _refuse(provider, "unsigned_token")
        return _refuse(provider, "invalid_token", error="unsupported_algorithm", alg=alg[:20])
    return _refuse(provider, "invalid_token", error=type(error).__name__)


def _unverified_algorithm(provider: ProviderConfig) -> str:
    """The ``alg`` an ID token that was refused claims in its header (for the audit only)."""
    raw = (_client(provider).token or {}).get("id_token", "")
    try:
        header = json.loads(base64.urlsafe_b64decode(raw.split(".")[0] + "=="))
        return str(header.get("alg", ""))
    except (ValueError, AttributeError, TypeError):
        return ""


def _fetch_profile(provider: ProviderConfig, token: dict[str, Any], subject: str) -> dict[str, str]:
    """Name and e-mail from the userinfo endpoint, which must describe the same ``sub``."""
    client = _client(provider)
    if not client.load_server_metadata().get("userinfo_endpoint"):
        return {}
    info = client.userinfo(token=token)
    if info.get("sub") != subject:
        raise ValueError("userinfo describes another subject")
    return {
        "name": str(info.get("name") or "").strip(),
        "email": str(info.get("email") or "").strip(),
    }


def _log_in(provider: ProviderConfig, identity: ExternalIdentity, user: User, acr: str) -> LoggedIn:
    identities.record_login(identity, assurance_level=acr)
    target = safe_next(session.get(NEXT_KEY), url_for("main.dashboard"))
    auth_session.log_in(user, method=f"oidc:{provider.name}")
    return LoggedIn(target)


def complete_login(provider: ProviderConfig) -> Outcome:
    """Handle the provider's answer at the callback: check everything, then log in or record
    the proven identity. Nothing is changed before all checks have passed."""
    client = _client(provider)
    args = request.args
    if args.get("error"):
        _forget_state(client, args.get("state"))
        code = _error_code(args.get("error"))
        page = "cancelled" if code == "access_denied" else "provider_error"
        return _refuse(provider, "provider_error", page, error=code)
    try:
        issuer = provider_issuer(provider)
    except ProviderUnavailable as error:
        return _refuse(
            provider, "provider_unavailable", "provider_unavailable", error=str(error)[:200]
        )
    # RFC 9207: a provider that names itself in the answer must be the one we asked.
    if "iss" in args and args["iss"] != issuer:
        _forget_state(client, args.get("state"))
        return _refuse(provider, "wrong_issuer", where="authorization response")

    try:
        token = client.authorize_access_token(
            claims_options={
                "iss": {"essential": True, "values": [issuer]},
                "aud": {"essential": True, "values": [provider.client_id]},
                "sub": {"essential": True},
            },
            leeway=LEEWAY_SECONDS,
        )
    except requests.RequestException as error:
        return _refuse(
            provider, "provider_unavailable", "provider_unavailable", error=str(error)[:200]
        )
    except (OAuthError, JoseError, ValueError) as error:
        return _token_refusal(provider, error)

    claims = token.get("userinfo")
    if not claims:
        # No ID token (or no nonce to check it against): nothing proves who this is.
        return _refuse(provider, "missing_id_token")
    subject = str(claims["sub"])
    if len(subject) > 255 or len(issuer) > 300:
        return _refuse(provider, "invalid_token", claim="sub")
    acr = str(claims.get("acr") or "")
    if not assurance_accepted(provider, acr):
        return _refuse(
            provider,
            "assurance_too_low",
            acr=acr,
            required=" ".join(provider.accepted_assurance),
        )

    identity = identities.find_identity(issuer, subject)
    user = db.session.get(User, identity.user_id) if identity and identity.user_id else None
    who = {"subject": subject}

    if provider.is_staff:
        if user is None:
            return _refuse(provider, "unknown_account", **who)
        if not user.active:
            return _refuse(provider, "account_inactive", **who)
        if not user.has_role(*provider.roles):
            return _refuse(provider, "role_not_allowed", **who)
        assert identity is not None
        return _log_in(provider, identity, user, acr)

    # Citizen provider: a linked, active account with an allowed role logs in.
    if user is not None and not user.active:
        return _refuse(provider, "account_inactive", **who)
    if user is not None and identity is not None and user.has_role(*provider.roles):
        return _log_in(provider, identity, user, acr)
    try:
        profile = _fetch_profile(provider, token, subject)
    except requests.RequestException as error:
        return _refuse(
            provider, "provider_unavailable", "provider_unavailable", error=str(error)[:200]
        )
    except (OAuthError, ValueError):
        return _refuse(provider, "userinfo_mismatch")
    identity = identities.record_identity_proof(
        provider=provider.name,
        issuer=issuer,
        subject=subject,
        name=profile.get("name", ""),
        email=profile.get("email", ""),
        assurance_level=acr,
    )
    identities.remember_identity_proof(identity)
    session.pop(NEXT_KEY, None)
    return IdentityConfirmed(identity, safe_next(session.pop(PROOF_NEXT_KEY, None), ""))
