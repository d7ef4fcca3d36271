"""Request hooks: the single commit, security headers, error pages and template context."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, has_request_context, render_template, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from portal import db, mail
from portal.extensions import LANGUAGES
from portal.labels import label
from portal.navigation import navigation_for

log = logging.getLogger(__name__)

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

ERROR_TEXTS = {
    400: (
        _l("Forespørgslen kunne ikke behandles"),
        _l(
            "Noget i forespørgslen var ikke, som vi forventede. Gå tilbage, genindlæs siden og prøv igen."
        ),
    ),
    403: (
        _l("Du har ikke adgang til siden"),
        _l(
            "Din bruger har ikke rettigheder til at se denne side. Kontakt os, hvis du mener, det er en fejl."
        ),
    ),
    404: (
        _l("Siden findes ikke"),
        _l(
            "Vi kan ikke finde siden. Den kan være flyttet, eller adressen kan være skrevet forkert."
        ),
    ),
    405: (_l("Handlingen er ikke tilladt"), _l("Siden kan ikke bruges på denne måde.")),
    413: (
        _l("Filen er for stor"),
        _l(
            "Det, du sendte, er større end de %(mb)d MB, vi kan modtage. Gå tilbage og vælg en mindre fil."
        ),
    ),
    429: (
        _l("For mange forsøg"),
        _l("Du har prøvet for mange gange på kort tid. Vent et par minutter, og prøv igen."),
    ),
    500: (
        _l("Der opstod en fejl"),
        _l(
            "Der skete en fejl hos os. Intet af det, du var i gang med, er gemt halvt. Prøv igen om lidt."
        ),
    ),
    503: (
        _l("Portalen er midlertidigt utilgængelig"),
        _l("Vi kan ikke nå vores database lige nu. Prøv igen om et øjeblik."),
    ),
}


@dataclass(frozen=True)
class SessionWarning:
    idle_seconds: int
    warn_seconds: int
    keepalive_url: str
    logout_url: str


def init_app(app: Flask) -> None:
    app.after_request(_finish_transaction)
    app.after_request(_security_headers)
    app.context_processor(_template_context)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["datetime"] = lambda value: (
        format_datetime(value, "short") if value else ""
    )
    app.jinja_env.filters["date"] = lambda value: format_date(value, "long") if value else ""
    for code in ERROR_TEXTS:
        if code != 503:
            app.register_error_handler(code, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(OperationalError, _database_unavailable)


def _finish_transaction(response: Response) -> Response:
    """The request's one commit: on success (or for a recorded security event), else roll back."""
    success = response.status_code < 400 or g.get("commit_despite_error", False)
    db.finish_request(success)
    if success:
        mail.flush_queue()
    else:
        mail.discard_queue()
    return response


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure or current_app.config["PRODUCTION"]:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    is_static = request.endpoint in ("static", "dkfds")
    if not is_static:
        # Pages can carry personal data or single-use tokens: never keep them in a cache.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def _error_page(code: int) -> tuple[str, int]:
    title, message = ERROR_TEXTS[code]
    # Only the 413 text has a placeholder; the others come back unchanged.
    text = str(message) % {"mb": current_app.config["PORTAL"]["MAX_UPLOAD_MB"]}
    return render_template("errors/error.html", code=code, title=title, message=text), code


def _http_error(error: HTTPException) -> Any:
    code = error.code or 500
    if code not in ERROR_TEXTS:
        return error
    if code == 500:
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return _error_page(code)


def _csrf_error(_error: CSRFError) -> Any:
    title = _("Formularen er udløbet")
    message = _(
        "Af sikkerhedshensyn skal formularen sendes fra portalen inden for et vist tidsrum. Gå tilbage, genindlæs siden og send igen."
    )
    return render_template("errors/error.html", code=400, title=title, message=message), 400


def _database_unavailable(error: OperationalError) -> Any:
    log.error("database unavailable on %s %s: %s", request.method, request.path, error.orig)
    db.finish_request(False)
    return _error_page(503)


def _template_context() -> dict[str, Any]:
    settings = current_app.config["PORTAL"]
    warning = None
    # Templates are also rendered outside requests (PDF receipts from CLI commands).
    in_request = has_request_context()
    if in_request and current_user and current_user.is_authenticated:
        warning = SessionWarning(
            idle_seconds=current_app.config["SESSION_IDLE_SECONDS"],
            warn_seconds=settings["SESSION_WARNING_SECONDS"],
            keepalive_url=url_for("auth.keepalive"),
            logout_url=url_for("auth.logout"),
        )
    return {
        "portal_name": settings["PORTAL_NAME"],
        "agency_name": settings["AGENCY_NAME"],
        "agency_contact_email": settings["AGENCY_CONTACT_EMAIL"],
        "agency_contact_phone": settings["AGENCY_CONTACT_PHONE"],
        "nav_items": navigation_for(current_user, request.endpoint) if in_request else [],
        "session_warning": warning,
        "languages": LANGUAGES,
        "current_language": str(get_locale() or "da"),
    }
