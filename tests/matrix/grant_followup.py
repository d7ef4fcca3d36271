"""The grant pages after acceptance: an accepted grant of organisation A (two budget lines
with approved amounts) with a waiting change request and a draft final report, in a decided
round.

The grant, its change requests and reports are read by A's staff, grant officers, the admin
and the DPO; organisation B's admin gets 404 (another tenant's record, audited), other roles
are stopped by the role gate (403). Grant officers record payments, decide, close and draw
the vouchers; A's admins ask for changes, withdraw them and send reports, which A's members
also write. A POST with an empty body is an invalid form (400).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import (
    ApplicationState,
    BudgetCategory,
    BudgetLine,
    ChangeKind,
    GrantApplication,
    GrantChangeRequest,
    GrantDecision,
    GrantReport,
    GrantRound,
    Organisation,
    ReportKind,
    RoundState,
)
from tests.matrix import LOGIN_REDIRECT, Route
from tests.roles import ALL_ROLES, ANONYMOUS

A_STAFF = {"ngo_a_admin", "ngo_a_member"}
A_ADMIN = {"ngo_a_admin"}
OFFICER = {"grant_officer"}
READERS = {"grant_officer", "admin", "dpo"}
SEES = A_STAFF | READERS
NGO_STAFF = {"ngo_a_admin", "ngo_a_member", "ngo_b_admin"}
NGO_ADMINS = {"ngo_a_admin", "ngo_b_admin"}


def on_grant(gate: set[str], acts: set[str], status: int, **overrides: int) -> dict[str, int]:
    """``status`` for those past the role ``gate`` who may act, 404 for organisation B's staff
    past the gate (another tenant), 403 for the rest; login for anonymous."""
    expected: dict[str, int] = {ANONYMOUS: LOGIN_REDIRECT}
    for role in ALL_ROLES:
        if role == ANONYMOUS:
            continue
        if role not in gate:
            expected[role] = 403
        elif role in acts:
            expected[role] = status
        else:
            expected[role] = 404 if role == "ngo_b_admin" else 403
    expected.update(overrides)
    return expected


def world(session: Session) -> dict[str, Any]:
    organisation = session.scalar(
        select(Organisation).where(Organisation.name == "Foreningen Nyt Netværk")
    )
    assert organisation is not None
    now = utcnow().replace(microsecond=0)
    grant_round = GrantRound(
        name_da="Matrixrunde efter tilskud",
        description_da="Beskrivelse",
        criteria_da="Kriterier",
        pool_ore=500_000_000,
        max_per_application_ore=40_000_000,
        opens_at=now - timedelta(days=90),
        deadline_at=now - timedelta(days=60),
        reporting_deadline=date.today() + timedelta(days=300),
        state=RoundState.DECIDED,
        published_at=now - timedelta(days=90),
    )
    session.add(grant_round)
    session.flush()
    application = GrantApplication(
        round_id=grant_round.id,
        organisation_id=organisation.id,
        title="Bevilget projekt",
        state=ApplicationState.ACCEPTED,
        submitted_at=now - timedelta(days=70),
        requested_ore=3_000_000,
        total_cost_ore=3_000_000,
        submitted_copy={},
        period_start=date.today(),
        period_end=date.today() + timedelta(days=200),
        decision=GrantDecision.GRANTED,
        granted_ore=3_000_000,
        decided_at=now - timedelta(days=20),
        accepted_at=now - timedelta(days=10),
        report_due_on=date.today() + timedelta(days=300),
    )
    application.budget_lines = [
        BudgetLine(
            position=n,
            category=BudgetCategory.ACTIVITIES,
            text=f"Linje {n}",
            units=1,
            unit_price_ore=1_500_000,
            approved_ore=1_500_000,
        )
        for n in (1, 2)
    ]
    session.add(application)
    session.flush()
    change = GrantChangeRequest(
        application_id=application.id, kind=ChangeKind.ACTIVITY, text="Andet sted"
    )
    report = GrantReport(application_id=application.id, kind=ReportKind.FINAL)
    session.add_all([change, report])
    session.commit()
    return {
        "grant_round_decided": grant_round.id,
        "grant_accepted_a": application.id,
        "grant_change_a": change.id,
        "grant_report_a": report.id,
    }


def _grant(suffix: str = "") -> Any:
    return lambda w: f"/tilskud/ansoegninger/{w['grant_accepted_a']}{suffix}"


def _change(suffix: str) -> Any:
    return lambda w: f"/tilskud/aendringer/{w['grant_change_a']}{suffix}"


def _report(suffix: str = "") -> Any:
    return lambda w: f"/tilskud/rapporter/{w['grant_report_a']}{suffix}"


def _round(w: dict[str, Any]) -> str:
    return f"/tilskud/runder/{w['grant_round_decided']}/bilagskontrol"


ROUTES: list[Route] = [
    Route("GET", "grant_followup.grant", _grant("/tilskud"), on_grant(NGO_STAFF | READERS, SEES, 200)),
    Route("POST", "grant_followup.record_payment", _grant("/udbetalinger"), on_grant(OFFICER, OFFICER, 400)),
    Route("POST", "grant_followup.close", _grant("/luk"), on_grant(OFFICER, OFFICER, 400)),
    Route("GET", "grant_followup.new_change", _grant("/aendringer/ny"), on_grant(NGO_ADMINS, A_ADMIN, 200)),
    Route("POST", "grant_followup.new_change", _grant("/aendringer/ny"), on_grant(NGO_ADMINS, A_ADMIN, 400)),
    Route("POST", "grant_followup.decide_change", _change("/afgoer"), on_grant(OFFICER, OFFICER, 400)),
    Route("POST", "grant_followup.withdraw_change", _change("/traek-tilbage"), on_grant(NGO_ADMINS, A_ADMIN, 400)),
    Route("POST", "grant_followup.new_report", _grant("/rapporter"), on_grant(NGO_STAFF, A_STAFF, 400)),
    Route("GET", "grant_followup.report", _report(), on_grant(NGO_STAFF | READERS, SEES, 200)),
    Route("POST", "grant_followup.report", _report(), on_grant(NGO_STAFF | READERS, A_STAFF, 400)),
    Route("POST", "grant_followup.submit_report", _report("/indsend"), on_grant(NGO_ADMINS, A_ADMIN, 400)),
    Route("POST", "grant_followup.decide_report", _report("/afgoer"), on_grant(OFFICER, OFFICER, 400)),
    Route("GET", "grant_followup.round_vouchers", _round, on_grant(READERS, READERS, 200)),
    Route("POST", "grant_followup.draw_vouchers", _round, on_grant(OFFICER, OFFICER, 400)),
]  # fmt: skip
