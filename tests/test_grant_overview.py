"""The round's figures: the distribution by area office and kind of project adds up to exactly
what is granted (declined grants and refusals count nothing), applications by state and
decision, the list's order, bar lengths in whole units, and the CSV's amounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import Flask

from portal import db
from portal.models import ApplicationState, GrantApplication, GrantDecision, GrantRound, ProjectKind
from portal.services import grant_decisions, grant_overview, grant_workflow
from portal.services.grant_decisions import DecisionValues
from tests.activity_data import ORG_A, ORG_B, organisation, user
from tests.grant_data import draft, open_round, start_assessment, submitted

S = ApplicationState


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


def _round_with_three() -> tuple[GrantRound, GrantApplication, GrantApplication]:
    """A round in assessment: A (mentor) granted 35.000 kr. and B (leisure) partly granted
    20.000 kr."""
    grant_round = open_round()
    a = submitted(grant_round)
    b = submitted(grant_round, organisation_name=ORG_B, actor="ngo_b_admin")
    a.project_kind = ProjectKind.MENTOR
    b.project_kind = ProjectKind.LEISURE
    start_assessment(grant_round)
    officer = user("grant_officer")
    for application in (a, b):
        grant_workflow.apply(application, "screen_pass", officer)
    grant_decisions.decide(a, officer, DecisionValues(GrantDecision.GRANTED))
    grant_decisions.decide(
        b, officer, DecisionValues(GrantDecision.PARTLY_GRANTED, 2_000_000, reason="En del.")
    )
    db.session.flush()
    return grant_round, a, b


def test_the_distribution_adds_up_to_what_is_granted(ctx: None) -> None:
    grant_round, _a, b = _round_with_three()
    figures = grant_overview.figures(grant_round)
    assert figures.granted_ore == 5_500_000
    assert figures.remaining_ore == grant_round.pool_ore - 5_500_000
    assert sum(s.granted_ore for s in figures.by_area) == figures.granted_ore
    assert sum(s.granted_ore for s in figures.by_kind) == figures.granted_ore
    by_area = {s.key: s for s in figures.by_area}
    ost = by_area[str(organisation(ORG_A).area_office_id)]
    vest = by_area[str(organisation(ORG_B).area_office_id)]
    assert (ost.applications, ost.grants, ost.granted_ore) == (1, 1, 3_500_000)
    assert (vest.applications, vest.grants, vest.granted_ore) == (1, 1, 2_000_000)
    by_kind = {s.key: s for s in figures.by_kind}
    assert by_kind["mentor"].granted_ore == 3_500_000
    assert by_kind["leisure"].granted_ore == 2_000_000
    # Every kind is listed, also those with nothing.
    assert [s.key for s in figures.by_kind] == [k.value for k in ProjectKind]
    assert by_kind["family"].applications == 0
    assert figures.largest_share_ore == 3_500_000
    assert dict(figures.by_decision) == {
        GrantDecision.GRANTED: 1,
        GrantDecision.PARTLY_GRANTED: 1,
        GrantDecision.REFUSED: 0,
    }

    # B declines: its money leaves the distribution and the pool's granted figure alike.
    grant_workflow.apply(b, "decline", user("ngo_b_admin"), text="Vi kan ikke løfte det.")
    db.session.flush()
    figures = grant_overview.figures(grant_round)
    assert figures.granted_ore == 3_500_000 == grant_decisions.granted_ore(grant_round)
    vest = {s.key: s for s in figures.by_area}[str(organisation(ORG_B).area_office_id)]
    assert (vest.applications, vest.grants, vest.granted_ore) == (1, 0, 0)
    assert dict(figures.by_state)[S.DECLINED] == 1
    assert figures.sent == 2 and figures.undecided == 0


def test_drafts_are_never_counted_or_listed(ctx: None) -> None:
    grant_round = open_round()
    draft(grant_round, organisation_name=ORG_B, actor="ngo_b_admin")
    sent = submitted(grant_round)
    assert grant_overview.sent_applications(grant_round) == [sent]
    figures = grant_overview.figures(grant_round)
    assert figures.sent == 1 and figures.undecided == 1
    assert sum(s.applications for s in figures.by_area) == 1


def test_the_list_order_is_by_state_then_oldest_first(ctx: None) -> None:
    grant_round = open_round()
    a = submitted(grant_round)
    b = submitted(grant_round, organisation_name=ORG_B, actor="ngo_b_admin")
    b.submitted_at = a.submitted_at - timedelta(hours=1)  # type: ignore[operator]
    db.session.flush()
    assert grant_overview.sent_applications(grant_round) == [b, a]
    start_assessment(grant_round)
    grant_workflow.apply(b, "screen_pass", user("grant_officer"))
    # Waiting for screening comes before waiting for a decision.
    assert grant_overview.sent_applications(grant_round) == [a, b]
    assert grant_overview.sent_applications(grant_round, S.IN_REVIEW) == [b]


@pytest.mark.parametrize(
    ("value", "largest", "full", "width"),
    [
        (0, 100, 260, 0),
        (100, 100, 260, 260),
        (50, 100, 260, 130),
        (1, 1_000_000, 260, 1),  # never invisible when there is something
        (2, 3, 260, 173),  # 173,33 rounds down
        (5, 6, 260, 217),  # 216,67 rounds up
        (5, 0, 260, 0),
    ],
)
def test_bar_width(value: int, largest: int, full: int, width: int) -> None:
    assert grant_overview.bar_width(value, largest, full) == width


@pytest.mark.parametrize(
    ("ore", "text"),
    [
        (0, "0,00"),
        (5, "0,05"),
        (123_450, "1234,50"),
        (100_000_000, "1000000,00"),
        (-250, "-2,50"),
        (None, ""),
    ],
)
def test_csv_amounts_read_as_numbers_in_a_danish_spreadsheet(ore: int | None, text: str) -> None:
    assert grant_overview.csv_kroner(ore) == text


def test_scores_with_one_decimal_and_a_comma() -> None:
    assert grant_overview.score_text(Decimal("72.35")) == "72,4"
    assert grant_overview.score_text(Decimal("72.25")) == "72,3"  # half up, not to even
    assert grant_overview.score_text(Decimal(80)) == "80,0"
    assert grant_overview.score_text(None) == ""
