"""E-mail: SMTP when configured, otherwise files in ``instance/outbox`` and a log line.

Messages asked for during a request are held until the request's transaction has committed,
so nobody is told about a change that was rolled back.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from flask import current_app, g, has_request_context
from flask_babel import force_locale

log = logging.getLogger(__name__)


# An attachment: (file name, content type such as "application/pdf", the bytes).
Attachment = tuple[str, str, bytes]


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for e-mails, built from PORTAL_BASE_URL (works outside requests too)."""
    path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    return current_app.config["PORTAL"]["BASE_URL"].rstrip("/") + path


def render(template: str, language: str, to: str = "", **context: Any) -> OutgoingMail:
    """Render ``mail/<template>.txt`` in the recipient's language.

    The template sets ``subject`` with ``{% set subject = _("...") %}``; the rest is the body.
    """
    with force_locale(language):
        tmpl = current_app.jinja_env.get_template(f"mail/{template}.txt")
        module = tmpl.make_module(
            {
                **context,
                "portal_name": current_app.config["PORTAL"]["PORTAL_NAME"],
                "agency_name": current_app.config["PORTAL"]["AGENCY_NAME"],
            }
        )
        body = str(module).strip() + "\n"
        subject = str(getattr(module, "subject", "")).strip()
    return OutgoingMail(to=to, subject=subject, body=body)


def send_template(
    to: str,
    template: str,
    *,
    language: str = "da",
    attachments: tuple[Attachment, ...] = (),
    **context: Any,
) -> None:
    message = render(template, language, to, **context)
    queue(replace(message, attachments=attachments) if attachments else message)


def queue(message: OutgoingMail) -> None:
    if has_request_context():
        g.setdefault("outgoing_mail", []).append(message)
    else:
        deliver(message)


def flush_queue() -> None:
    """Send what the request queued; called after its transaction committed."""
    for message in g.pop("outgoing_mail", []):
        try:
            deliver(message)
        except (OSError, smtplib.SMTPException):
            # The change is committed; a lost notification is logged for the operators.
            log.exception("could not send mail %r to %s", message.subject, message.to)


def discard_queue() -> None:
    g.pop("outgoing_mail", None)


def _build(message: OutgoingMail) -> EmailMessage:
    settings = current_app.config["PORTAL"]
    email = EmailMessage()
    email["From"] = settings["MAIL_FROM"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="partnerportal.local")
    email.set_content(message.body)
    for filename, content_type, data in message.attachments:
        maintype, _, subtype = content_type.partition("/")
        email.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return email


def deliver(message: OutgoingMail) -> None:
    settings = current_app.config["PORTAL"]
    email = _build(message)
    if settings["SMTP_HOST"]:
        with smtplib.SMTP(settings["SMTP_HOST"], settings["SMTP_PORT"], timeout=15) as smtp:
            if settings["SMTP_STARTTLS"]:
                smtp.starttls()
            if settings["SMTP_USERNAME"]:
                smtp.login(settings["SMTP_USERNAME"], settings["SMTP_PASSWORD"])
            smtp.send_message(email)
        log.info("mail sent to %s: %s", message.to, message.subject)
        return
    outbox = Path(current_app.instance_path) / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{uuid.uuid4().hex}.eml"
    path.write_bytes(bytes(email))
    # Development only: the body holds links with tokens, so it goes to the log in full here.
    log.info("mail to %s: %s (%s)\n%s", message.to, message.subject, path, message.body)
