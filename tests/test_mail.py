"""E-mail: delivered over real SMTP (aiosmtpd) after commit, never after a rollback; the outbox."""

from __future__ import annotations

import email
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from werkzeug.wrappers import Response

from portal import create_app, mail
from tests.conftest import app_settings, rolled_back
from tests.databases import TestDatabase

BASE_URL = "http://127.0.0.1:5000"
DEMO_EMAIL = "ngo-a.admin@example.org"
RESET_SUBJECT_DA = "Nulstil din adgangskode til Partnerportalen"
RESET_LINK = re.compile(re.escape(BASE_URL) + r"/nulstil/([A-Za-z0-9_\-]+)")


class _Collect:
    """aiosmtpd handler: keep every envelope."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    handler: _Collect = field(repr=False)

    @property
    def received(self) -> list[Any]:
        return self.handler.envelopes

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(envelope.content, policy=default_policy)  # type: ignore[misc]
            for envelope in self.received
        ]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = _Collect()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp_app(
    app: Flask, database: TestDatabase, smtp_server: SmtpServer, tmp_path: Path
) -> Iterator[Flask]:
    """A second app on the suite's (seeded) database that sends mail to ``smtp_server``.

    ``app`` is requested for its demo data. The ``_isolated`` fixture only covers ``app``, so
    this app gets the same treatment here: one connection, an outer transaction, savepoints
    for the app's commits, and a rollback at the end.
    """
    smtp_app = create_app(
        app_settings(
            database.url,
            tmp_path,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp_server.port,
            SMTP_STARTTLS=False,
            WTF_CSRF_ENABLED=False,
            BASE_URL=BASE_URL,
        )
    )
    try:
        with rolled_back(smtp_app):
            yield smtp_app
    finally:
        smtp_app.extensions["portal_db"].engine.dispose()


def _flashes(client: Any) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def test_password_reset_mail_is_sent_over_smtp_and_its_link_opens(
    smtp_app: Flask, smtp_server: SmtpServer
) -> None:
    client = smtp_app.test_client()
    response = client.post("/glemt-adgangskode", data={"email": DEMO_EMAIL})
    assert response.status_code == 302

    assert len(smtp_server.received) == 1
    envelope = smtp_server.received[0]
    assert envelope.rcpt_tos == [DEMO_EMAIL]
    (message,) = smtp_server.messages()
    assert message["To"] == DEMO_EMAIL
    assert message["From"] == smtp_app.config["PORTAL"]["MAIL_FROM"]
    assert message["Subject"] == RESET_SUBJECT_DA
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    match = RESET_LINK.search(text)
    assert match, text
    assert "60 minutter" in text

    page = client.get(f"/nulstil/{match.group(1)}")
    assert page.status_code == 200
    # A made-up token is not a usable link.
    assert client.get("/nulstil/not-a-real-token").status_code == 404


def test_unknown_address_gets_the_same_answer_and_no_mail(
    smtp_app: Flask, smtp_server: SmtpServer
) -> None:
    known_client, unknown_client = smtp_app.test_client(), smtp_app.test_client()
    known = known_client.post("/glemt-adgangskode", data={"email": DEMO_EMAIL})
    assert len(smtp_server.received) == 1

    unknown = unknown_client.post("/glemt-adgangskode", data={"email": "nobody@example.org"})
    assert len(smtp_server.received) == 1  # nothing more
    assert unknown.status_code == known.status_code
    assert unknown.headers["Location"] == known.headers["Location"]
    assert _flashes(unknown_client) == _flashes(known_client)
    assert _flashes(unknown_client)


def _queue_reset_mail() -> None:
    mail.send_template(
        DEMO_EMAIL, "password_reset", language="da", name="Test", minutes=60, link="http://x/y"
    )


def test_queued_mail_is_discarded_on_rollback_and_sent_on_commit(
    smtp_app: Flask, smtp_server: SmtpServer
) -> None:
    with smtp_app.test_request_context():
        _queue_reset_mail()
        mail.discard_queue()
        mail.flush_queue()
    assert smtp_server.received == []

    with smtp_app.test_request_context():
        _queue_reset_mail()
        assert smtp_server.received == []  # held until the request has committed
        mail.flush_queue()
    assert len(smtp_server.received) == 1
    assert smtp_server.received[0].rcpt_tos == [DEMO_EMAIL]


@pytest.mark.parametrize(("status", "sent"), [(200, 1), (302, 1), (400, 0), (500, 0)])
def test_the_request_hook_sends_only_after_a_successful_response(
    smtp_app: Flask, smtp_server: SmtpServer, status: int, sent: int
) -> None:
    with smtp_app.test_request_context():
        _queue_reset_mail()
        smtp_app.process_response(Response("", status=status))
    assert len(smtp_server.received) == sent


def test_without_smtp_mail_goes_to_the_outbox(app: Flask) -> None:
    assert not app.config["PORTAL"]["SMTP_HOST"]
    outbox = Path(app.instance_path) / "outbox"
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    with app.test_request_context():
        mail.send_template(
            "someone@example.org",
            "invitation",
            language="da",
            name="X",
            inviter="Y",
            role="ngo_member",
            days=14,
            link="http://x/y",
        )
        assert set(outbox.glob("*.eml")) == before  # nothing before the flush
        mail.flush_queue()
    written = set(outbox.glob("*.eml")) - before
    assert len(written) == 1
    (path,) = written
    try:
        message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        assert message["To"] == "someone@example.org"
        assert message["Subject"] == "Du er inviteret til Partnerportalen"
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        assert "http://x/y" in body.get_content()
    finally:
        path.unlink()


def test_english_rendering(app: Flask) -> None:
    with app.app_context():
        message = mail.render(
            "password_reset", "en", name="Xenia Example", minutes=60, link="http://x.example/r/1"
        )
    # The English catalog is in progress: only check what does not depend on it.
    assert message.subject.strip()
    assert "http://x.example/r/1" in message.body
    assert "Xenia Example" in message.body
