"""Extension objects, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from flask import current_app, has_request_context, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

LANGUAGES = (("da", "Dansk"), ("en", "English"))
LANGUAGE_CODES = tuple(code for code, _label in LANGUAGES)

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def select_locale() -> str:
    """Danish unless the user chose otherwise (in this session, or in their profile)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("language")
    if chosen in LANGUAGE_CODES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGE_CODES:
        return current_user.language
    return current_app.config["BABEL_DEFAULT_LOCALE"]


babel = Babel()


def login_rate_limit() -> str:
    return current_app.config["PORTAL"]["LOGIN_RATE_LIMIT"]
