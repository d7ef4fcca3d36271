"""flask-login wired to server-side login sessions.

The signed cookie holds the user id and a random session token; the database holds the
token's hash with its times. So logout, a password change or a deactivation ends the session
for good, and the idle and absolute timeouts are enforced on the server.
"""

from __future__ import annotations

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, login_user, logout_user
from werkzeug.wrappers import Response

from portal.models import User
from portal.services import accounts

login_manager = LoginManager()
SESSION_TOKEN_KEY = "sid"  # noqa: S105 - a session key name, not a secret

_EXPIRY_MESSAGES = {
    "idle_timeout": "Du er blevet logget ud, fordi du ikke har været aktiv i et stykke tid.",
    "absolute_timeout": "Du er blevet logget ud, fordi du har været logget ind længe. Log ind igen.",
}


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    # Protection is done by the server-side session; flask-login's own would log out on
    # every IP change, which phones do all the time.
    login_manager.session_protection = None


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    raw = session.get(SESSION_TOKEN_KEY)
    if not raw:
        return None
    check = accounts.resume_login_session(raw, user_id)
    if check.user is None:
        g.session_end_reason = check.reason
        session.clear()
    return check.user


@login_manager.unauthorized_handler
def _unauthorized() -> Response:
    reason = g.get("session_end_reason")
    if reason in _EXPIRY_MESSAGES:
        flash(_(_EXPIRY_MESSAGES[reason]), "info")
    else:
        flash(_("Log ind for at se siden."), "info")
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def log_in(user: User, method: str) -> None:
    """Start a fresh session: a new cookie content, a new server-side session row."""
    language = session.get("language")
    session.clear()
    raw = accounts.start_login_session(
        user,
        method=method,
        ip=request.remote_addr or "",
        user_agent=request.user_agent.string or "",
    )
    session[SESSION_TOKEN_KEY] = raw
    if language:
        session["language"] = language
    session.permanent = True
    login_user(user)


def log_out(user: User) -> None:
    raw = session.get(SESSION_TOKEN_KEY)
    if raw:
        accounts.end_login_session(raw, user)
    logout_user()
    session.clear()


def log_out_locally() -> None:
    """Forget the login in this browser when the server already revoked the session."""
    logout_user()
    session.clear()


def current_session_token() -> str | None:
    return session.get(SESSION_TOKEN_KEY)
