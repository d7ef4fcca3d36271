"""Demo data for the grant pool after the deadline, made through the real services (so each
step has its history, audit entries, receipts and letters):

- "Civilsamfundspuljen 2026, 1. runde" (decided): organisation A got part of what it asked
  for, accepted, has had its first instalment paid, and its final report is due in three
  weeks (the organisation's dashboard says so); organisation B was refused.
- "Civilsamfundspuljen 2026, 2. runde" (in assessment): organisation A's application is in
  review and given to the demo reviewer (their dashboard has it); organisation B was partly
  granted and its admin has not answered yet.

Dates count from today. Idempotent: a round with the same name is left as it is.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.models import GrantApplication, GrantDecision, GrantRound, Organisation, User
from portal.services import (
    grant_answers,
    grant_applications,
    grant_decisions,
    grant_receipts,
    grant_round_admin,
    grant_rounds,
    grant_workflow,
)
from portal.services.demo_grants import CRITERIA, CRITERIA_EN, DESCRIPTION, DESCRIPTION_EN, RUBRIC
from portal.services.grant_applications import Content, LineValues
from portal.services.grant_round_admin import RoundValues

DECIDED_ROUND = "Civilsamfundspuljen 2026, 1. runde"
ASSESSED_ROUND = "Civilsamfundspuljen 2026, 2. runde"
ORGANISATION_A = "Foreningen Nyt Netværk"
ORGANISATION_B = "Vestjyske Besøgsvenner"


def _user(email: str) -> User:
    from portal.services import accounts

    found = accounts.find_user_by_email(email)
    assert found is not None, f"seed the demo accounts first ({email})"
    return found


def _organisation(name: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


def _past_round(
    name: str,
    officer: User,
    reviewer: User,
    *,
    opened_days_ago: int,
    closed_days_ago: int,
    report_in_days: int,
) -> GrantRound:
    """A round that opened and closed in the past, published before it opened."""
    today = grant_rounds.local(utcnow()).date()
    grant_round = grant_round_admin.create(
        RoundValues(
            name_da=name,
            name_en=name.replace("runde", "round").replace(
                "Civilsamfundspuljen", "Civil Society Pool"
            ),
            pool_ore=550_000_000,
            max_per_application_ore=40_000_000,
            opens_on=today - timedelta(days=opened_days_ago),
            opens_time=time(9, 0),
            deadline_on=today - timedelta(days=closed_days_ago),
            deadline_time=time(12, 0),
            reporting_deadline=today + timedelta(days=report_in_days),
            description_da=DESCRIPTION,
            description_en=DESCRIPTION_EN,
            criteria_da=CRITERIA,
            criteria_en=CRITERIA_EN,
            audit_threshold_ore=10_000_000,
            voucher_share_percent=20,
            criteria=RUBRIC,
            reviewer_ids=(reviewer.id,),
        ),
        officer,
    )
    grant_rounds.publish(grant_round, officer, now=grant_round.opens_at - timedelta(days=1))
    return grant_round


def _sent(
    grant_round: GrantRound,
    organisation: Organisation,
    admin: User,
    title: str,
    summary: str,
    lines: list[LineValues],
    kind: str,
) -> GrantApplication:
    """An application written and sent a week before the round's deadline, with its receipt."""
    during = grant_round.deadline_at - timedelta(days=7)
    application = grant_applications.start(grant_round, organisation, admin, during)
    grant_applications.save(
        application,
        admin,
        Content(
            title=title,
            summary=summary,
            description=application.description or summary,
            target_group=application.target_group or "Indsatte og deres pårørende",
            period_start=date(during.year, during.month, 1) + timedelta(days=62),
            period_end=date(during.year + 1, during.month, 1) + timedelta(days=30),
            volunteers_expected=10,
            project_kind=kind,
        ),
        lines,
        now=during,
    )
    problems = grant_applications.submit(application, admin, now=during)
    assert not problems, problems
    grant_receipts.issue_receipt(application, admin, "da")
    return application


def _lines_a() -> list[LineValues]:
    return [
        LineValues("salaries", "Frivilligkoordinator, 6 timer om ugen", Decimal("276"), 32_500),
        LineValues("volunteer_expenses", "Kørsel og forplejning", Decimal("1"), 2_400_000),
        LineValues("activities", "Læsekredse: bøger og materialer", Decimal("12"), 150_000),
    ]


def _lines_b() -> list[LineValues]:
    return [
        LineValues("volunteer_expenses", "Besøgsvenners transport (km)", Decimal("6000"), 379),
        LineValues("activities", "Fællesarrangementer for pårørende", Decimal("4"), 600_000),
        LineValues("administration", "Administration", Decimal("1"), 500_000),
    ]


def _decided_round(officer: User, reviewer: User) -> None:
    if db.session.scalar(select(GrantRound.id).where(GrantRound.name_da == DECIDED_ROUND)):
        return
    a, b = _organisation(ORGANISATION_A), _organisation(ORGANISATION_B)
    if a is None or b is None:
        return
    grant_round = _past_round(
        DECIDED_ROUND,
        officer,
        reviewer,
        opened_days_ago=300,
        closed_days_ago=240,
        report_in_days=21,
    )
    admin_a, admin_b = _user("ngo-a.admin@example.org"), _user("ngo-b.admin@example.org")
    app_a = _sent(
        grant_round,
        a,
        admin_a,
        "Læsekredse i arresthusene",
        "Frivillige holder læsekredse hver anden uge i to arresthuse.",
        _lines_a(),
        "leisure",
    )
    app_b = _sent(
        grant_round,
        b,
        admin_b,
        "Besøgsvenner for pårørende",
        "Besøgsvenner kører pårørende til fængslerne og holder arrangementer for dem.",
        _lines_b(),
        "family",
    )
    grant_decisions.start_assessment(grant_round, officer)
    for application in (app_a, app_b):
        grant_workflow.apply(application, "screen_pass", officer)
    grant_decisions.decide(
        app_a,
        officer,
        grant_decisions.DecisionValues(
            GrantDecision.PARTLY_GRANTED,
            amount_ore=12_000_000,
            conditions="Læsekredsene holdes i samarbejde med arresthusenes fritidsmedarbejdere.",
            reason="Puljen er søgt for mere, end den kan give; kørsel er skåret ned.",
        ),
    )
    grant_decisions.decide(
        app_b,
        officer,
        grant_decisions.DecisionValues(
            GrantDecision.REFUSED,
            reason="Projektet ligger uden for puljens formål: det retter sig mest mod pårørende.",
        ),
    )
    grant_answers.answer(
        app_a, admin_a, "accept", text="Tak, vi går i gang.", conditions_accepted=True
    )
    grant_decisions.mark_decided(grant_round, officer)
    from portal.services import grant_payments

    grant_payments.record_payment(
        app_a,
        officer,
        6_000_000,
        grant_rounds.local(utcnow()).date() - timedelta(days=200),
        note="1. rate",
    )


def _assessed_round(officer: User, reviewer: User) -> None:
    if db.session.scalar(select(GrantRound.id).where(GrantRound.name_da == ASSESSED_ROUND)):
        return
    a, b = _organisation(ORGANISATION_A), _organisation(ORGANISATION_B)
    if a is None or b is None:
        return
    grant_round = _past_round(
        ASSESSED_ROUND,
        officer,
        reviewer,
        opened_days_ago=100,
        closed_days_ago=40,
        report_in_days=400,
    )
    admin_a, admin_b = _user("ngo-a.admin@example.org"), _user("ngo-b.admin@example.org")
    app_a = _sent(
        grant_round,
        a,
        admin_a,
        "Mentorforløb efter løsladelse",
        "Frivillige mentorer følger indsatte det første halve år efter løsladelsen.",
        _lines_a(),
        "mentor",
    )
    app_b = _sent(
        grant_round,
        b,
        admin_b,
        "Besøgsvenner i Vestjylland",
        "Faste besøgsvenner for indsatte, der ellers ikke får besøg.",
        _lines_b(),
        "family",
    )
    grant_decisions.start_assessment(grant_round, officer)
    for application in (app_a, app_b):
        grant_workflow.apply(application, "screen_pass", officer)
    from portal.services import grant_reviews

    grant_reviews.assign(app_a, reviewer, officer)
    grant_decisions.decide(
        app_b,
        officer,
        grant_decisions.DecisionValues(
            GrantDecision.PARTLY_GRANTED,
            amount_ore=4_000_000,
            conditions="Besøgene aftales med fængslernes besøgsafdelinger.",
            reason="Administrationen dækkes ikke af puljen.",
        ),
    )


def seed_demo_grant_assessment() -> None:
    officer = _user("grants@example.org")
    reviewer = _user("reviewer@example.org")
    _decided_round(officer, reviewer)
    _assessed_round(officer, reviewer)
    db.session.flush()
