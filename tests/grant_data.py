"""Shared setup for the grant service tests (test_grant_rounds, test_grant_applications,
test_grant_concurrency): a round built directly in the database (the round admin service is
tested apart), published through ``grant_rounds.publish``, and an application of the demo's
organisation A filled so that it has no problems. Call these inside an app context.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from portal import db
from portal.models import (
    ApplicationAttachment,
    Document,
    GrantApplication,
    GrantRound,
    Institution,
    RoundState,
    RubricCriterion,
)
from portal.services import grant_applications, grant_rounds
from portal.services.grant_applications import Content, LineValues
from tests.activity_data import ORG_A, organisation, user

# A fixed clock for the tests: the round opens on 1 February 2027 and closes on
# 1 March 2027 kl. 12.00 Copenhagen time (11:00 UTC, winter time).
OPENS = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
DEADLINE = datetime(2027, 3, 1, 11, 0, tzinfo=UTC)
DURING = datetime(2027, 2, 15, 10, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
MAX_ORE = 40_000_000  # 400.000 kr.


def make_round(
    *,
    opens_at: datetime = OPENS,
    deadline_at: datetime = DEADLINE,
    state: RoundState = RoundState.DRAFT,
    required_attachments: tuple[str, ...] = (),
    **changes: Any,
) -> GrantRound:
    """A complete round (publishable as it is), in ``state``."""
    values: dict[str, Any] = {
        "name_da": f"Testrunde {uuid.uuid4().hex[:8]}",
        "description_da": "Tilskud til frivilligt arbejde med indsatte.",
        "criteria_da": "Projektet skal styrke indsattes netværk.",
        "pool_ore": 550_000_000,
        "max_per_application_ore": MAX_ORE,
        "opens_at": opens_at,
        "deadline_at": deadline_at,
        "reporting_deadline": (deadline_at + timedelta(days=400)).date(),
        "audit_threshold_ore": 10_000_000,
        "voucher_share_percent": 20,
        "required_attachments": list(required_attachments),
        "state": state,
        "created_by_id": user("grant_officer").id,
        "criteria": [RubricCriterion(position=1, name_da="Relevans", weight=50, scale_max=5)],
    }
    values.update(changes)
    grant_round = GrantRound(**values)
    db.session.add(grant_round)
    db.session.flush()
    return grant_round


def open_round(**changes: Any) -> GrantRound:
    """A published round (open at ``DURING``)."""
    return make_round(state=RoundState.PUBLISHED, **changes)


def content(**changes: Any) -> Content:
    values: dict[str, Any] = {
        "title": "Netværk efter løsladelse",
        "summary": "Frivillige mentorer følger indsatte det første halve år.",
        "description": "Mentorerne mødes med de indsatte før og efter løsladelsen.",
        "target_group": "Indsatte med under et år tilbage",
        "institution_ids": (vestre().id,),
        "period_start": date(2027, 6, 1),
        "period_end": date(2028, 5, 31),
        "volunteers_expected": 12,
    }
    values.update(changes)
    return Content(**values)


def line(
    units: str = "10",
    unit_price_ore: int = 100_000,
    *,
    category: str = "activities",
    text: str = "Materialer",
    own: int = 0,
    other: int = 0,
) -> LineValues:
    return LineValues(category, text, Decimal(units), unit_price_ore, own, other)


def good_lines() -> list[LineValues]:
    """40.000 kr. cost, 5.000 kr. own financing: 35.000 kr. asked for."""
    return [
        line("100", 25_000, category="salaries", text="Koordinator, timer"),
        line("10", 150_000, text="Introkurser", own=500_000),
    ]


def vestre() -> Institution:
    found = db.session.scalar(select(Institution).where(Institution.name == "Vestre Fængsel"))
    assert found is not None
    return found


def draft(
    grant_round: GrantRound,
    *,
    actor: str = "ngo_a_admin",
    organisation_name: str = ORG_A,
    lines: list[LineValues] | None = None,
    now: datetime = DURING,
    **changes: Any,
) -> GrantApplication:
    """Organisation A's application to the round, saved with content that has no problems."""
    application = grant_applications.start(
        grant_round, organisation(organisation_name), user(actor), now
    )
    grant_applications.save(
        application,
        user(actor),
        content(**changes),
        good_lines() if lines is None else lines,
        now=now,
    )
    for kind in grant_round.required_attachments or ():
        attach(application, kind)
    return application


def attach(application: GrantApplication, kind: str) -> ApplicationAttachment:
    """One of the organisation's documents attached as ``kind``."""
    document_id = db.session.scalar(
        select(Document.id).where(Document.owner_id == application.organisation_id).limit(1)
    )
    assert document_id is not None, "the demo gives every organisation documents"
    used = {a.document_id for a in application.attachments}
    if document_id in used:
        document_id = _another_document(application)
    attachment = ApplicationAttachment(document_id=document_id, kind=kind)
    application.attachments.append(attachment)
    db.session.flush()
    return attachment


def _another_document(application: GrantApplication) -> uuid.UUID:
    used = {a.document_id for a in application.attachments}
    for document_id in db.session.scalars(
        select(Document.id).where(Document.owner_id == application.organisation_id)
    ):
        if document_id not in used:
            return document_id
    raise AssertionError("no more documents to attach")


def publish(grant_round: GrantRound) -> None:
    grant_rounds.publish(grant_round, user("grant_officer"))
    db.session.flush()


AFTER_DEADLINE = DEADLINE + timedelta(days=1)


def submitted(
    grant_round: GrantRound,
    *,
    organisation_name: str = ORG_A,
    actor: str = "ngo_a_admin",
    lines: list[LineValues] | None = None,
    **changes: Any,
) -> GrantApplication:
    """An application sent while the round is open (at ``DURING``)."""
    application = draft(
        grant_round, actor=actor, organisation_name=organisation_name, lines=lines, **changes
    )
    problems = grant_applications.submit(application, user(actor), now=DURING)
    assert problems == [], problems
    db.session.flush()
    return application


def start_assessment(grant_round: GrantRound) -> None:
    """The deadline has passed; the officer starts the assessment."""
    from portal.services import grant_decisions

    grant_decisions.start_assessment(grant_round, user("grant_officer"), now=AFTER_DEADLINE)
    db.session.flush()


def in_review(grant_round: GrantRound, **changes: Any) -> GrantApplication:
    """Organisation A's application, sent, the round in assessment, screened as eligible.
    The round must be open (published) and not yet in assessment."""
    from portal.services import grant_workflow

    application = submitted(grant_round, **changes)
    start_assessment(grant_round)
    grant_workflow.apply(application, "screen_pass", user("grant_officer"))
    db.session.flush()
    return application
