"""The application pages of the grant pool: a round open now, a draft application of
organisation A with one attachment, and a sent application of A in a second open round.

NGO staff start an application, list theirs and write them; another organisation's staff get
404 (another tenant's record, audited). A draft is read by its organisation's staff, the admin
and the DPO; a sent one also by grant officers (404 on a draft for them). Only the
organisation's staff change or check an application (the role gate answers 403 to the
readers), and only its admins send or answer a grant (403 for a member); any of its staff
write to the grant officers about a sent application. A POST with an empty body is an invalid
form (400).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import (
    ApplicationAttachment,
    ApplicationState,
    Document,
    GrantApplication,
    GrantRound,
    Organisation,
    OwnerType,
    RoundState,
)
from tests.matrix import LOGIN_REDIRECT, Route, only
from tests.roles import ALL_ROLES, ANONYMOUS

NGO_STAFF = {"ngo_a_admin", "ngo_a_member", "ngo_b_admin"}
READERS = {"grant_officer", "admin", "dpo"}
A_STAFF = {"ngo_a_admin", "ngo_a_member"}
SEES_DRAFT = A_STAFF | {"admin", "dpo"}
SEES_SENT = SEES_DRAFT | {"grant_officer"}


def on_application(gate: set[str], sees: set[str], status: int, **overrides: int) -> dict[str, int]:
    """``status`` for those past the role ``gate`` who see the application, 404 for those past
    the gate who do not, 403 for the rest, login for anonymous; ``overrides`` per role."""
    expected: dict[str, int] = {ANONYMOUS: LOGIN_REDIRECT}
    for role in ALL_ROLES:
        if role == ANONYMOUS:
            continue
        if role not in gate:
            expected[role] = 403
        else:
            expected[role] = status if role in sees else 404
    expected.update(overrides)
    return expected


def open_round(session: Session, name: str) -> GrantRound:
    now = utcnow().replace(microsecond=0)
    grant_round = GrantRound(
        name_da=name,
        description_da="Beskrivelse",
        criteria_da="Kriterier",
        pool_ore=500_000_000,
        max_per_application_ore=40_000_000,
        opens_at=now - timedelta(days=1),
        deadline_at=now + timedelta(days=20),
        reporting_deadline=date.today() + timedelta(days=400),
        required_attachments=["budget_notes"],
        state=RoundState.PUBLISHED,
        published_at=now - timedelta(days=1),
    )
    session.add(grant_round)
    session.flush()
    return grant_round


def world(session: Session) -> dict[str, Any]:
    organisation = session.scalar(
        select(Organisation).where(Organisation.name == "Foreningen Nyt Netværk")
    )
    assert organisation is not None
    document = session.scalar(
        select(Document).where(
            Document.owner_type == OwnerType.ORGANISATION, Document.owner_id == organisation.id
        )
    )
    assert document is not None
    first = open_round(session, "Matrixrunde 1")
    second = open_round(session, "Matrixrunde 2")
    draft = GrantApplication(round_id=first.id, organisation_id=organisation.id, title="Kladde")
    draft.attachments = [ApplicationAttachment(document_id=document.id, kind="budget_notes")]
    sent = GrantApplication(
        round_id=second.id,
        organisation_id=organisation.id,
        title="Sendt",
        state=ApplicationState.SUBMITTED,
        submitted_at=utcnow(),
        requested_ore=100_000,
        total_cost_ore=100_000,
        submitted_copy={},
    )
    session.add_all([draft, sent])
    session.commit()
    return {
        "grant_open_round": first.id,
        "grant_draft_a": draft.id,
        "grant_attachment_a": draft.attachments[0].id,
        "grant_sent_a": sent.id,
    }


def _draft(suffix: str = "") -> Any:
    return lambda w: f"/tilskud/ansoegninger/{w['grant_draft_a']}{suffix}"


STAFF_GATE = NGO_STAFF
VIEW_GATE = NGO_STAFF | READERS

ROUTES: list[Route] = [
    Route(
        "POST",
        "grant_applications.start",
        lambda w: f"/tilskud/runder/{w['grant_open_round']}/ansoeg",
        only(NGO_STAFF, 302),
    ),
    Route(
        "GET", "grant_applications.index", lambda _w: "/tilskud/ansoegninger", only(NGO_STAFF, 200)
    ),
    Route(
        "GET",
        "grant_applications.application",
        _draft(),
        on_application(VIEW_GATE, SEES_DRAFT, 200),
    ),
    Route(
        "GET",
        "grant_applications.application",
        lambda w: f"/tilskud/ansoegninger/{w['grant_sent_a']}",
        on_application(VIEW_GATE, SEES_SENT, 200),
    ),
    Route("POST", "grant_applications.save", _draft(), on_application(STAFF_GATE, A_STAFF, 400)),
    Route(
        "POST",
        "grant_applications.upload_attachment",
        _draft("/bilag"),
        on_application(STAFF_GATE, A_STAFF, 400),
    ),
    Route(
        "POST",
        "grant_applications.remove_attachment",
        lambda w: (
            f"/tilskud/ansoegninger/{w['grant_draft_a']}/bilag/{w['grant_attachment_a']}/fjern"
        ),
        on_application(STAFF_GATE, A_STAFF, 302),
    ),
    Route(
        "GET",
        "grant_applications.check",
        _draft("/indsend"),
        on_application(STAFF_GATE, A_STAFF, 200),
    ),
    Route(
        "POST",
        "grant_applications.submit",
        _draft("/indsend"),
        on_application(STAFF_GATE, A_STAFF, 400, ngo_a_member=403),
    ),
    # The answer to a grant: only the organisation's admins (403 for a member); an empty
    # form is invalid (400).
    Route(
        "POST",
        "grant_applications.answer",
        lambda w: f"/tilskud/ansoegninger/{w['grant_sent_a']}/svar",
        on_application(STAFF_GATE, A_STAFF, 400, ngo_a_member=403),
    ),
    # A message to the grant officers: any of the organisation's staff; empty is invalid.
    Route(
        "POST",
        "grant_applications.message",
        lambda w: f"/tilskud/ansoegninger/{w['grant_sent_a']}/besked",
        on_application(STAFF_GATE, A_STAFF, 400),
    ),
]
