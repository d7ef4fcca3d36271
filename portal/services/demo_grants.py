"""Demo data for the grant pool, made through the same services as real rounds and
applications (``grant_round_admin.create``, ``grant_rounds.publish``,
``grant_applications.start`` and ``save``), so each has its audit entries:

- "Civilsamfundspuljen 2027, 1. runde": published, open since a week ago, deadline three
  weeks from today kl. 12.00 Copenhagen time; pool 5.500.000 kr. (half of the year's
  11 mio.), at most 400.000 kr. per application, audited accounts above 100.000 kr., 20 %
  asked for vouchers, a rubric of four criteria, the demo reviewer assigned;
- "Civilsamfundspuljen 2027, 2. runde": a draft for the next half-year;
- a draft application from organisation A (Foreningen Nyt Netværk) to the open round, with a
  few budget lines and its statutes attached (the budget notes are still missing, so
  "Tjek dine svar" has something to show).

The dates count from today (the demo runs now). Idempotent: a round with the same name, and
the organisation's application to it, are left as they are.
"""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.models import (
    ApplicationAttachment,
    Document,
    GrantApplication,
    GrantRound,
    Institution,
    Organisation,
    RoundState,
    User,
)
from portal.services import accounts, grant_applications, grant_round_admin, grant_rounds
from portal.services.grant_applications import Content, LineValues
from portal.services.grant_round_admin import CriterionValues, RoundValues

OPEN_ROUND = "Civilsamfundspuljen 2027, 1. runde"
DRAFT_ROUND = "Civilsamfundspuljen 2027, 2. runde"
ORGANISATION = "Foreningen Nyt Netværk"
NOON = time(12, 0)

DESCRIPTION = (
    "Kriminalforsorgens pulje til frivillige organisationers arbejde med indsatte, "
    "klienter og deres pårørende. Puljen er på 11 mio. kr. om året og uddeles i to runder."
)
DESCRIPTION_EN = (
    "The Prison and Probation Service's pool for voluntary organisations working with "
    "inmates, clients and their families: 11 million kroner a year in two rounds."
)
CRITERIA = (
    "Organisationer med et helt eller delvist socialt eller velgørende formål kan søge. "
    "Projektet skal styrke indsattes og klienters netværk, fritid eller vej ud af "
    "kriminalitet, med frivillige som bærende kraft. Ansøgninger modtaget efter fristen "
    "behandles ikke."
)
CRITERIA_EN = (
    "Organisations with a wholly or partly social or charitable purpose may apply. The "
    "project strengthens the networks, leisure or desistance of inmates and clients, carried "
    "by volunteers. Applications received after the deadline are not considered."
)
RUBRIC = (
    CriterionValues(
        "Relevans for målgruppen",
        "Relevance to the target group",
        "Rammer projektet et behov hos indsatte, klienter eller pårørende?",
        weight=30,
        scale_max=5,
    ),
    CriterionValues(
        "Frivilliges rolle",
        "The volunteers' role",
        "Bærer frivillige projektet, og er de klædt på til opgaven?",
        weight=25,
        scale_max=5,
    ),
    CriterionValues(
        "Samarbejde med institutionerne",
        "Cooperation with the institutions",
        "Er aftalerne med fængsler, arresthuse eller afdelinger realistiske?",
        weight=25,
        scale_max=5,
    ),
    CriterionValues(
        "Realistisk budget",
        "A realistic budget",
        "Hænger budget, aktiviteter og medfinansiering sammen?",
        weight=20,
        scale_max=5,
    ),
)
REQUIRED_ATTACHMENTS = ("budget_notes", "statutes")


def _user(email: str) -> User:
    found = accounts.find_user_by_email(email)
    assert found is not None, f"seed the demo accounts first ({email})"
    return found


def _round(name: str) -> GrantRound | None:
    return db.session.scalar(select(GrantRound).where(GrantRound.name_da == name))


def _values(name: str, opens_on: date, deadline_on: date, reviewer: User) -> RoundValues:
    return RoundValues(
        name_da=name,
        name_en=name.replace("runde", "round").replace("Civilsamfundspuljen", "Civil Society Pool"),
        pool_ore=550_000_000,  # 5.500.000 kr.
        max_per_application_ore=40_000_000,  # 400.000 kr.
        opens_on=opens_on,
        opens_time=time(9, 0),
        deadline_on=deadline_on,
        deadline_time=NOON,
        reporting_deadline=date(deadline_on.year + 1, deadline_on.month, 1) + timedelta(days=30),
        description_da=DESCRIPTION,
        description_en=DESCRIPTION_EN,
        criteria_da=CRITERIA,
        criteria_en=CRITERIA_EN,
        audit_threshold_ore=10_000_000,  # 100.000 kr.
        voucher_share_percent=20,
        required_attachments=REQUIRED_ATTACHMENTS,
        criteria=RUBRIC,
        reviewer_ids=(reviewer.id,),
    )


def _open_round(officer: User, reviewer: User) -> GrantRound:
    existing = _round(OPEN_ROUND)
    if existing is not None:
        return existing
    today = grant_rounds.local(utcnow()).date()
    grant_round = grant_round_admin.create(
        _values(OPEN_ROUND, today - timedelta(days=7), today + timedelta(days=21), reviewer),
        officer,
    )
    grant_rounds.publish(grant_round, officer)
    return grant_round


def _draft_round(officer: User, reviewer: User) -> GrantRound:
    existing = _round(DRAFT_ROUND)
    if existing is not None:
        return existing
    today = grant_rounds.local(utcnow()).date()
    # The next half-year: opening on the first of the month about five months ahead.
    ahead = today + timedelta(days=150)
    opens_on = ahead.replace(day=1)
    deadline_on = (opens_on + timedelta(days=45)).replace(day=1)
    return grant_round_admin.create(_values(DRAFT_ROUND, opens_on, deadline_on, reviewer), officer)


def _institution_ids(names: tuple[str, ...]) -> tuple[uuid.UUID, ...]:
    return tuple(db.session.scalars(select(Institution.id).where(Institution.name.in_(names))))


def _application(grant_round: GrantRound, organisation: Organisation, author: User) -> None:
    if grant_applications.find_draft(grant_round, organisation) is not None:
        return
    if grant_round.state != RoundState.PUBLISHED or not grant_rounds.accepting(grant_round):
        return
    application = grant_applications.start(grant_round, organisation, author)
    content = Content(
        title="Netværk efter løsladelse",
        summary=(
            "Frivillige mentorer følger indsatte fra et halvt år før løsladelsen til et halvt "
            "år efter, med faste samtaler og hjælp til bolig, job og fritid."
        ),
        description=application.description,
        target_group=application.target_group or "Indsatte med under et år tilbage af straffen",
        institution_ids=_institution_ids(("Vestre Fængsel", "Storstrøm Fængsel")),
        period_start=date(2027, 4, 1),
        period_end=date(2028, 3, 31),
        volunteers_expected=18,
    )
    lines = [
        LineValues("salaries", "Frivilligkoordinator, 10 timer om ugen", Decimal("460"), 32_500),
        LineValues(
            "volunteer_expenses",
            "Kørsel til fængslerne (km à 3,79 kr.)",
            Decimal("8250.5"),
            379,
            own_financing_ore=500_000,
        ),
        LineValues("activities", "Introkursus for nye mentorer", Decimal("4"), 1_250_000),
        LineValues(
            "premises",
            "Mødelokale i foreningens hus (måneder)",
            Decimal("12"),
            150_000,
            own_financing_ore=1_800_000,
        ),
        LineValues("administration", "Revision af projektregnskab", Decimal("1"), 1_500_000),
    ]
    grant_applications.save(application, author, content, lines)
    statutes = db.session.scalar(
        select(Document.id)
        .where(Document.owner_id == organisation.id, Document.purpose == "statutes")
        .limit(1)
    )
    if statutes is not None:
        application.attachments.append(ApplicationAttachment(document_id=statutes, kind="statutes"))
        db.session.flush()


def seed_demo_grants() -> None:
    """The demo rounds and organisation A's draft application (those that do not exist)."""
    officer = _user("grants@example.org")
    reviewer = _user("reviewer@example.org")
    open_round = _open_round(officer, reviewer)
    _draft_round(officer, reviewer)
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == ORGANISATION))
    if organisation is not None:
        _application(open_round, organisation, _user("ngo-a.admin@example.org"))
    db.session.flush()


def demo_application(organisation: Organisation) -> GrantApplication | None:
    """Organisation's application to the demo's open round (for tests and the README)."""
    grant_round = _round(OPEN_ROUND)
    return None if grant_round is None else grant_applications.find_draft(grant_round, organisation)
