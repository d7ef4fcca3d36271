"""Settings from the environment.

Every setting is a ``PORTAL_*`` environment variable with a safe default, so that an empty
environment gives a working development portal: SQLite and files under ``instance/``, mail to
``instance/outbox``, password login. The table in README.md lists them all; keep the two in step.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    kind: type = str
    help: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "ENV",
        "development",
        str,
        "`production` turns on Secure cookies, HSTS and refuses unsafe defaults.",
    ),
    Setting(
        "SECRET_KEY",
        "",
        str,
        "Signs sessions and CSRF tokens. Required in production; in development a random key is kept in `instance/secret_key`.",
    ),
    Setting(
        "DATABASE_URL",
        "",
        str,
        "SQLAlchemy URL, e.g. `postgresql+psycopg://portal@db/portal`. Default: SQLite in `instance/portal.db`.",
    ),
    Setting(
        "INSTANCE_PATH",
        "",
        str,
        "Folder for the SQLite database, local files and the mail outbox. Default: `instance/`.",
    ),
    Setting("PORTAL_NAME", "Partnerportalen", str, "The solution's name in the header."),
    Setting(
        "AGENCY_NAME",
        "Kriminalforsorgen",
        str,
        "The responsible authority shown in the header and letters.",
    ),
    Setting(
        "AGENCY_CONTACT_EMAIL",
        "partnerportal@kriminalforsorgen.dk",
        str,
        "Contact e-mail in the header and footer.",
    ),
    Setting("AGENCY_CONTACT_PHONE", "72 55 55 55", str, "Contact phone in the header and footer."),
    Setting("BASE_URL", "http://127.0.0.1:5000", str, "Public address, used for links in e-mails."),
    Setting(
        "SESSION_IDLE_MINUTES",
        30,
        int,
        "Log out after this many minutes without activity (at most 30).",
    ),
    Setting(
        "SESSION_ABSOLUTE_HOURS",
        12,
        int,
        "Log out this many hours after login, whatever the activity (at most 12).",
    ),
    Setting("SESSION_WARNING_SECONDS", 300, int, "Warn this many seconds before an idle logout."),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "memory://",
        str,
        "Store shared by all workers for rate limits, e.g. `redis://127.0.0.1:6379/0`.",
    ),
    Setting(
        "LOGIN_RATE_LIMIT",
        "10 per minute;50 per hour",
        str,
        "Login, reset and invitation attempts per client address.",
    ),
    Setting(
        "SMTP_HOST",
        "",
        str,
        "SMTP server. Empty: mail is written to `instance/outbox` and the log.",
    ),
    Setting("SMTP_PORT", 587, int, "SMTP port."),
    Setting("SMTP_USERNAME", "", str, "SMTP user (optional)."),
    Setting("SMTP_PASSWORD", "", str, "SMTP password (optional)."),
    Setting("SMTP_STARTTLS", True, bool, "Use STARTTLS on the SMTP connection."),
    Setting(
        "MAIL_FROM",
        "Partnerportalen <no-reply@kriminalforsorgen.dk>",
        str,
        "Sender of all e-mails.",
    ),
    Setting("INVITATION_DAYS", 14, int, "Days an invitation link is valid."),
    Setting("PASSWORD_RESET_MINUTES", 60, int, "Minutes a password-reset link is valid."),
    Setting(
        "MAX_UPLOAD_MB", 20, int, "Largest accepted upload (and request body) in MB; 413 above."
    ),
    Setting("STORAGE", "local", str, "Where documents are kept: `local` (a folder) or `s3`."),
    Setting("STORAGE_PATH", "", str, "Folder for `local` storage. Default: `instance/files`."),
    Setting(
        "S3_ENDPOINT_URL",
        "",
        str,
        "S3 endpoint, e.g. `http://127.0.0.1:8333` (SeaweedFS, MinIO); empty for AWS.",
    ),
    Setting("S3_REGION", "eu-north-1", str, "S3 region."),
    Setting("S3_BUCKET", "partnerportalen", str, "S3 bucket for documents (created if missing)."),
    Setting("S3_ACCESS_KEY_ID", "", str, "S3 access key."),
    Setting("S3_SECRET_ACCESS_KEY", "", str, "S3 secret key."),
    Setting(
        "S3_SERVER_SIDE_ENCRYPTION",
        "",
        str,
        "`AES256` or `aws:kms` to ask the store to encrypt at rest; empty: off.",
    ),
    Setting(
        "S3_PRESIGN_SECONDS", 30, int, "Lifetime of presigned download links (under a minute)."
    ),
    Setting(
        "DOWNLOAD_MODE",
        "stream",
        str,
        "`stream` documents through the app, or `presign` to redirect to a short-lived S3 link.",
    ),
    Setting(
        "OIDC_PROVIDERS",
        "[]",
        str,
        'OpenID Connect providers as a JSON list; see "Login with OpenID Connect" below.',
    ),
    Setting(
        "CPR_KEY",
        "",
        str,
        "Key for the encryption of CPR numbers at rest (AES-256-GCM): 32 bytes, base64. Required in production; in development derived from the secret key.",
    ),
    Setting(
        "EVIDENCE_KEY",
        "",
        str,
        "Key for the HMAC that seals each signature's evidence: at least 32 bytes, base64. Required in production; in development derived from the secret key.",
    ),
    Setting(
        "VOLUNTEER_INVITATION_DAYS",
        14,
        int,
        "Days a volunteer's signing link is valid (a reminder goes out halfway).",
    ),
    Setting(
        "ACCESS_REMINDER_DAYS",
        30,
        int,
        "Days before access to an institution expires that the volunteer and the NGO are reminded.",
    ),
    Setting("LOG_LEVEL", "INFO", str, "Python log level."),
    Setting(
        "DKFDS_DIST",
        "",
        str,
        "Folder of Det Fælles Designsystem's `dist/`. Default: `node_modules/dkfds/dist`.",
    ),
)


def _parse(setting: Setting, raw: str) -> Any:
    if setting.kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if setting.kind is int:
        return int(raw)
    return raw


def load_settings(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Read every ``PORTAL_*`` setting, falling back to its default."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(f"PORTAL_{setting.name}")
        values[setting.name] = setting.default if raw in (None, "") else _parse(setting, raw)
    return values


class ConfigurationError(RuntimeError):
    """A production deployment was started with an unsafe or missing setting."""


def _development_secret(instance_path: Path) -> str:
    """A random key kept in ``instance/``, so a restart does not log everyone out."""
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def build_flask_config(settings: dict[str, Any], instance_path: Path) -> dict[str, Any]:
    """Translate portal settings to the Flask and extension configuration keys."""
    production = settings["ENV"] == "production"
    secret = settings["SECRET_KEY"]
    if not secret:
        if production:
            raise ConfigurationError("PORTAL_SECRET_KEY must be set in production")
        secret = _development_secret(instance_path)
    for key_setting in ("CPR_KEY", "EVIDENCE_KEY"):
        if production and not settings[key_setting]:
            raise ConfigurationError(f"PORTAL_{key_setting} must be set in production")
    database_url = settings["DATABASE_URL"] or f"sqlite:///{instance_path / 'portal.db'}"
    if production and database_url.startswith("sqlite"):
        raise ConfigurationError("PORTAL_DATABASE_URL must point to PostgreSQL in production")
    idle = min(settings["SESSION_IDLE_MINUTES"], 30)
    absolute = min(settings["SESSION_ABSOLUTE_HOURS"], 12)
    return {
        "PORTAL": settings,
        "PRODUCTION": production,
        "SECRET_KEY": secret,
        "DATABASE_URL": database_url,
        "SESSION_COOKIE_NAME": "portal_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": absolute * 3600,
        "SESSION_IDLE_SECONDS": idle * 60,
        "SESSION_ABSOLUTE_SECONDS": absolute * 3600,
        "REMEMBER_COOKIE_DURATION": 0,
        "MAX_CONTENT_LENGTH": settings["MAX_UPLOAD_MB"] * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": absolute * 3600,
        "BABEL_DEFAULT_LOCALE": "da",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Copenhagen",
        "RATELIMIT_STORAGE_URI": settings["RATELIMIT_STORAGE_URI"],
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_STRATEGY": "moving-window",
        "PREFERRED_URL_SCHEME": "https" if production else "http",
    }
