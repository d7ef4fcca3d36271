"""Applications to a grant round as a service: the budget's arithmetic (øre exact, units with
decimals, each line rounded half up once, never floats, the same after the database's round
trip), saving (what is refused, the budget rewritten, one version per save), each problem
that stops a submission on its own, submitting (only an NGO admin, only while the round is
open by the server's clock, nothing changed afterwards), two people saving from the same
version, one application per organisation and round, the frozen copy, and the demo.
Two real transactions saving at once are in test_grant_concurrency.py (PostgreSQL).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from portal import db
from portal.models import (
    ApplicationState,
    AuditEntry,
    BudgetLine,
    GrantApplication,
    GrantRound,
    OrganisationState,
    ProjectKind,
    RoundState,
)
from portal.services import grant_applications, grant_rounds
from portal.services.grant_applications import (
    ApplicationConflict,
    ApplicationError,
    LineValues,
    totals,
)
from tests.activity_data import ORG_A, ORG_B, organisation, user
from tests.grant_data import (
    DEADLINE,
    DURING,
    MAX_ORE,
    OPENS,
    SECOND,
    content,
    draft,
    good_lines,
    line,
    make_round,
    open_round,
    vestre,
)

# --- budget arithmetic -----------------------------------------------------------------------


def test_totals_of_a_budget() -> None:
    result = totals(
        [
            line("460", 32_500, category="salaries"),  # 149.500,00 kr.
            line("8250.5", 379, category="volunteer_expenses", own=500_000),  # 31.269,395 kr.
            line("4", 1_250_000),  # 50.000 kr.
            line("12", 150_000, category="premises", own=1_000_000, other=800_000),
            line("1", 1_500_000, category="administration"),
        ]
    )
    assert result.total_cost_ore == 14_950_000 + 3_126_940 + 5_000_000 + 1_800_000 + 1_500_000
    assert result.total_cost_ore == 26_376_940  # 263.769,40 kr.
    assert result.own_financing_ore == 1_500_000
    assert result.other_financing_ore == 800_000
    assert result.requested_ore == 26_376_940 - 1_500_000 - 800_000
    assert result.by_category == {
        "salaries": 14_950_000,
        "volunteer_expenses": 3_126_940,
        "activities": 5_000_000,
        "premises": 1_800_000,
        "administration": 1_500_000,
    }
    for value in (result.total_cost_ore, result.requested_ore, *result.by_category.values()):
        assert type(value) is int


def test_each_line_is_rounded_once_then_summed() -> None:
    """Three lines of half an øre each are 1 øre each (3), not the rounded sum of 1.5 (2)."""
    lines = [line("0.5", 1), line("0.5", 1), line("0.5", 1)]
    assert [item.total_ore for item in lines] == [1, 1, 1]
    assert totals(lines).total_cost_ore == 3
    assert totals(lines).by_category == {"activities": 3}


@pytest.mark.parametrize(
    ("units", "price", "total"),
    [
        ("2.5", 3, 8),
        ("0.49", 1, 0),
        ("1.15", 100, 115),  # 114 with floats
        ("37.5", 33_333, 1_249_988),  # 1 249 987.5
        ("0.01", 50, 1),
    ],
)
def test_half_up_to_whole_ore(units: str, price: int, total: int) -> None:
    assert line(units, price).total_ore == total
    assert totals([line(units, price)]).requested_ore == total


def test_a_line_may_ask_less_than_nothing() -> None:
    """More co-financing than cost makes the line negative; the totals add it as it is."""
    over = line("1", 10_000, own=15_000)
    assert over.requested_ore == -5_000
    assert totals([over, line("1", 100_000)]).requested_ore == 95_000


def test_an_empty_budget() -> None:
    result = totals([])
    assert (result.total_cost_ore, result.requested_ore, result.by_category) == (0, 0, {})


def test_totals_survive_the_database(app_ctx: Flask) -> None:
    """Units are stored as NUMERIC(12, 2) (SQLite keeps them as floats): read back, the
    totals are the same to the øre."""
    lines = [
        line("8250.5", 379, own=500_000),
        line("0.07", 3, category="other"),
        line("9999999.99", 1, category="other"),
        line("1.15", 100, category="premises"),
        line("2.5", 3, category="salaries"),
    ]
    expected = totals(lines)
    application = draft(open_round(), lines=lines)
    db.session.expire_all()
    stored = db.session.get(GrantApplication, application.id)
    assert stored is not None
    assert [type(row.units) for row in stored.budget_lines] == [Decimal] * 5
    assert [row.units for row in stored.budget_lines] == [
        Decimal("8250.50"),
        Decimal("0.07"),
        Decimal("9999999.99"),
        Decimal("1.15"),
        Decimal("2.50"),
    ]
    assert grant_applications.application_totals(stored) == expected


# --- starting --------------------------------------------------------------------------------


def test_start_prefills_from_the_organisation(app_ctx: Flask) -> None:
    grant_round = open_round()
    org = organisation(ORG_A)
    application = grant_applications.start(grant_round, org, user("ngo_a_member"), DURING)
    assert application.state == ApplicationState.DRAFT
    assert application.description == (org.purpose or "")
    assert application.target_group == (org.cooperation_intent or "")
    assert application.version == 1
    assert audit_actions(application) == ["grant_application.start"]
    assert audit_actors(application) == [str(user("ngo_a_member").id)]


def test_one_application_per_organisation_and_round(app_ctx: Flask) -> None:
    grant_round = open_round()
    first = grant_applications.start(grant_round, organisation(ORG_A), user("ngo_a_admin"), DURING)
    again = grant_applications.start(grant_round, organisation(ORG_A), user("ngo_a_member"), DURING)
    assert again.id == first.id
    other = grant_applications.start(grant_round, organisation(ORG_B), user("ngo_b_admin"), DURING)
    assert other.id != first.id
    elsewhere = grant_applications.start(
        open_round(), organisation(ORG_A), user("ngo_a_admin"), DURING
    )
    assert elsewhere.id != first.id
    count = db.session.scalar(
        select(func.count())
        .select_from(GrantApplication)
        .where(GrantApplication.round_id == grant_round.id)
    )
    assert count == 2


def test_start_returns_the_existing_application_after_the_deadline(app_ctx: Flask) -> None:
    """To read it: the round no longer takes new ones, but the organisation's is still there."""
    grant_round = open_round()
    application = draft(grant_round)
    late = DEADLINE + SECOND
    again = grant_applications.start(grant_round, organisation(ORG_A), user("ngo_a_admin"), late)
    assert again.id == application.id
    with pytest.raises(ApplicationError):
        grant_applications.start(grant_round, organisation(ORG_B), user("ngo_b_admin"), late)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (OPENS - SECOND, RoundState.PUBLISHED),
        (DEADLINE + SECOND, RoundState.PUBLISHED),
        (DURING, RoundState.DRAFT),
        (DURING, RoundState.IN_ASSESSMENT),
    ],
)
def test_start_only_while_the_round_is_open(
    app_ctx: Flask, now: datetime, state: RoundState
) -> None:
    grant_round = make_round(state=state)
    with pytest.raises(ApplicationError):
        grant_applications.start(grant_round, organisation(ORG_A), user("ngo_a_admin"), now)
    assert grant_applications.find_draft(grant_round, organisation(ORG_A)) is None


@pytest.mark.parametrize("actor", ["ngo_b_admin", "grant_officer", "admin", "volunteer"])
def test_only_the_organisations_staff_start(app_ctx: Flask, actor: str) -> None:
    grant_round = open_round()
    with pytest.raises(ApplicationError):
        grant_applications.start(grant_round, organisation(ORG_A), user(actor), DURING)
    assert grant_applications.find_draft(grant_round, organisation(ORG_A)) is None
    # Nor do they get the organisation's application once it exists.
    draft(grant_round)
    with pytest.raises(ApplicationError):
        grant_applications.start(grant_round, organisation(ORG_A), user(actor), DURING)


def test_an_organisation_that_is_not_approved_cannot_start(app_ctx: Flask) -> None:
    org = organisation(ORG_A)
    org.state = OrganisationState.SUSPENDED
    db.session.flush()
    with pytest.raises(ApplicationError):
        grant_applications.start(open_round(), org, user("ngo_a_admin"), DURING)


# --- saving ----------------------------------------------------------------------------------


def test_save_stores_the_content(app_ctx: Flask) -> None:
    application = draft(open_round(), actor="ngo_a_member")
    db.session.expire_all()
    stored = db.session.get(GrantApplication, application.id)
    assert stored is not None
    assert stored.title == "Netværk efter løsladelse"
    assert stored.period_start == date(2027, 6, 1)
    assert stored.volunteers_expected == 12
    assert [(row.position, row.category.value, row.text) for row in stored.budget_lines] == [
        (1, "salaries", "Koordinator, timer"),
        (2, "activities", "Introkurser"),
    ]
    assert stored.updated_by_id == user("ngo_a_member").id
    assert stored.updated_at == DURING


def test_save_trims_text_and_keeps_only_known_institutions_once(app_ctx: Flask) -> None:
    application = draft(
        open_round(),
        title="  Titel  ",
        institution_ids=(vestre().id, uuid.uuid4(), vestre().id),
        lines=[line(text="  Materialer \n")],
    )
    assert application.title == "Titel"
    assert application.institution_ids == [str(vestre().id)]
    assert application.budget_lines[0].text == "Materialer"


def test_saving_again_rewrites_the_budget(app_ctx: Flask) -> None:
    """More lines, fewer, the same number: positions stay 1..n and unique."""
    application = draft(open_round())
    admin = user("ngo_a_admin")
    for lines in (
        [line("1", 100), line("2", 200), line("3", 300), line("4", 400)],
        [line("5", 500)],
        [line("6", 600), line("7", 700)],
        [line("8", 800), line("9", 900)],
        [],
    ):
        grant_applications.save(application, admin, content(), lines, now=DURING)
        db.session.expire_all()
        stored = db.session.get(GrantApplication, application.id)
        assert stored is not None
        assert [(r.position, r.units, r.unit_price_ore) for r in stored.budget_lines] == [
            (n, Decimal(item.units).quantize(Decimal("0.01")), item.unit_price_ore)
            for n, item in enumerate(lines, start=1)
        ]
        application = stored
    orphans = db.session.scalar(
        select(func.count()).select_from(BudgetLine).where(BudgetLine.application_id.is_(None))
    )
    assert orphans == 0


def test_each_save_raises_the_version_once_and_is_audited(app_ctx: Flask) -> None:
    application = grant_applications.start(
        open_round(), organisation(ORG_A), user("ngo_a_admin"), DURING
    )
    assert application.version == 1
    grant_applications.save(application, user("ngo_a_member"), content(), good_lines(), now=DURING)
    assert application.version == 2
    grant_applications.save(
        application, user("ngo_a_admin"), content(), [], expected_version=2, now=DURING
    )
    assert application.version == 3
    assert audit_actions(application) == [
        "grant_application.start",
        "grant_application.save",
        "grant_application.save",
    ]
    assert audit_actors(application)[1:] == [
        str(user("ngo_a_member").id),
        str(user("ngo_a_admin").id),
    ]


REFUSED_LINES: dict[str, LineValues] = {
    "unknown category": line(category="lottery"),
    "negative units": line("-1"),
    "three decimals": line("1.005"),
    "too many units": line("10000000000"),
    "not a number": LineValues("other", "x", Decimal("NaN"), 100),
    "negative price": line(unit_price_ore=-1),
    "negative own financing": line(own=-1),
    "negative other financing": line(other=-1),
    "price above the ceiling": line(unit_price_ore=100_000_000_001),
    "text too long": line(text="x" * 301),
}


@pytest.mark.parametrize("bad", REFUSED_LINES.values(), ids=REFUSED_LINES.keys())
def test_save_refuses_what_the_database_would(app_ctx: Flask, bad: LineValues) -> None:
    application = draft(open_round())
    version = application.version
    with pytest.raises(ApplicationError) as caught:
        grant_applications.save(
            application, user("ngo_a_admin"), content(), [good_lines()[0], bad], now=DURING
        )
    assert caught.value.field == "budget"
    assert "2" in str(caught.value.message)  # names the line
    assert application.version == version
    assert len(application.budget_lines) == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"period_start": date(2027, 6, 2), "period_end": date(2027, 6, 1)}, "period_end"),
        ({"volunteers_expected": 10**9}, "volunteers_expected"),
    ],
)
def test_save_refuses_content(app_ctx: Flask, changes: dict[str, Any], field: str) -> None:
    application = draft(open_round())
    with pytest.raises(ApplicationError) as caught:
        grant_applications.save(
            application, user("ngo_a_admin"), content(**changes), good_lines(), now=DURING
        )
    assert caught.value.field == field


def test_the_project_kind_is_saved_checked_and_copied(app_ctx: Flask) -> None:
    application = draft(open_round())
    assert application.project_kind == ProjectKind.OTHER  # the default when none is chosen
    grant_applications.save(
        application,
        user("ngo_a_admin"),
        content(project_kind=ProjectKind.RELEASE.value),
        good_lines(),
        now=DURING,
    )
    db.session.expire_all()
    stored = db.session.get(GrantApplication, application.id)
    assert stored is not None and stored.project_kind == ProjectKind.RELEASE
    assert grant_applications.copy_of(stored)["project_kind"] == "release"
    with pytest.raises(ApplicationError) as caught:
        grant_applications.save(
            stored, user("ngo_a_admin"), content(project_kind="sport"), good_lines(), now=DURING
        )
    assert caught.value.field == "project_kind"
    assert stored.project_kind == ProjectKind.RELEASE


def test_save_refuses_too_many_lines(app_ctx: Flask) -> None:
    application = draft(open_round())
    lines = [line() for _ in range(grant_applications.MAX_BUDGET_LINES + 1)]
    with pytest.raises(ApplicationError) as caught:
        grant_applications.save(application, user("ngo_a_admin"), content(), lines, now=DURING)
    assert caught.value.field == "budget"
    lines.pop()
    grant_applications.save(application, user("ngo_a_admin"), content(), lines, now=DURING)
    assert len(application.budget_lines) == grant_applications.MAX_BUDGET_LINES


def test_a_line_with_two_decimals_of_zeros_is_fine(app_ctx: Flask) -> None:
    application = draft(open_round(), lines=[line("1.50"), line("2.500")])
    assert [row.units for row in application.budget_lines] == [Decimal("1.50"), Decimal("2.50")]


@pytest.mark.parametrize(
    ("actor", "now"),
    [
        ("ngo_b_admin", DURING),
        ("grant_officer", DURING),
        ("admin", DURING),
        ("ngo_a_admin", DEADLINE + SECOND),
        ("ngo_a_member", DEADLINE + SECOND),
        ("ngo_a_admin", OPENS - SECOND),
    ],
)
def test_save_refused_for_others_and_outside_the_round(
    app_ctx: Flask, actor: str, now: datetime
) -> None:
    application = draft(open_round())
    version = application.version
    with pytest.raises(ApplicationError):
        grant_applications.save(
            application, user(actor), content(title="Ændret"), good_lines(), now=now
        )
    assert application.title == "Netværk efter løsladelse"
    assert application.version == version


def test_save_at_the_deadline_to_the_second(app_ctx: Flask) -> None:
    application = draft(open_round())
    grant_applications.save(
        application, user("ngo_a_member"), content(title="I sidste sekund"), [], now=DEADLINE
    )
    assert application.title == "I sidste sekund"


# --- co-editing ------------------------------------------------------------------------------


def test_two_people_save_from_the_same_version(app_ctx: Flask) -> None:
    """The member and the admin both opened version n; the member saves first, the admin's
    save is a conflict and the member's text stays."""
    application = draft(open_round())
    seen = application.version
    grant_applications.save(
        application,
        user("ngo_a_member"),
        content(title="Medlemmets titel"),
        good_lines(),
        expected_version=seen,
        now=DURING,
    )
    with pytest.raises(ApplicationConflict) as caught:
        grant_applications.save(
            application,
            user("ngo_a_admin"),
            content(title="Administratorens titel"),
            [],
            expected_version=seen,
            now=DURING,
        )
    assert "En anden har gemt ansøgningen" in str(caught.value.message)
    assert application.title == "Medlemmets titel"
    assert len(application.budget_lines) == 2
    assert application.version == seen + 1


def test_a_save_over_a_row_changed_underneath_is_a_conflict(app_ctx: Flask) -> None:
    """Another transaction saved after this one read the application (its expected version
    still matched what this session had loaded): the versioned UPDATE finds no row."""
    application = draft(open_round())
    db.session.commit()
    seen = application.version
    db.session.execute(
        update(GrantApplication)
        .where(GrantApplication.id == application.id)
        .values(version=seen + 1, title="Gemt af en anden")
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(ApplicationConflict):
        grant_applications.save(
            application,
            user("ngo_a_admin"),
            content(title="Min titel"),
            [line()],
            expected_version=seen,
            now=DURING,
        )
    stored = db.session.get(GrantApplication, application.id)
    assert stored is not None
    assert stored.title == "Netværk efter løsladelse"  # the other save was rolled back too
    assert len(stored.budget_lines) == 2


# --- problems --------------------------------------------------------------------------------


def texts(problems: list[grant_applications.Problem]) -> list[tuple[str, str]]:
    return [(p.field, str(p.message)) for p in problems]


def test_a_complete_application_has_no_problems(app_ctx: Flask) -> None:
    application = draft(open_round(required_attachments=("budget_notes", "statutes")))
    assert grant_applications.problems(application, DURING) == []
    assert grant_applications.problems(application, DEADLINE) == []


def broken(app: Flask, case: str) -> list[tuple[str, str]]:
    """The problems of an application that is complete but for one thing."""
    required: tuple[str, ...] = ("budget_notes",)
    now = DURING
    lines = good_lines()
    changes: dict[str, Any] = {}
    if case == "closed":
        now = DEADLINE + SECOND
    elif case == "attachment":
        required = ("budget_notes", "statutes")
    elif case in ("title", "summary", "description", "target_group"):
        changes[case] = "  "
    elif case == "period":
        changes["period_end"] = None
    elif case == "volunteers":
        changes["volunteers_expected"] = 0
    elif case == "no lines":
        lines = []
    elif case == "line text":
        lines = [*lines, line(text=" ")]
    elif case == "co-financing":
        lines = [*lines, line("1", 10_000, own=6_000, other=5_000)]
    elif case == "nothing asked":
        lines = [line("1", 10_000, own=4_000, other=6_000)]
    elif case == "over the maximum":
        lines = [line("1", MAX_ORE + 1)]
    grant_round = open_round(required_attachments=required)
    application = draft(grant_round, lines=lines, **changes)
    if case == "attachment":
        application.attachments[:] = [a for a in application.attachments if a.kind != "statutes"]
        db.session.flush()
    with app.test_request_context():
        return texts(grant_applications.problems(application, now))


PROBLEMS = {
    "closed": ("", "Runden tager ikke imod ansøgninger nu."),
    "title": ("title", "Skriv projektets titel."),
    "summary": ("summary", "Skriv et kort resumé af projektet."),
    "description": ("description", "Beskriv projektet."),
    "target_group": ("target_group", "Beskriv målgruppen."),
    "period": ("period_start", "Angiv projektperiodens start og slut."),
    "volunteers": ("volunteers_expected", "Skriv, hvor mange frivillige I regner med."),
    "no lines": ("budget", "Læg mindst én linje ind i budgettet."),
    "line text": ("budget", "Budgetlinje 3 mangler en tekst."),
    "co-financing": (
        "budget",
        "Budgetlinje 3: medfinansieringen er større end linjens udgift.",
    ),
    "nothing asked": ("budget", "Budgettet søger ikke om noget beløb fra puljen."),
    "over the maximum": (
        "budget",
        "I søger 400.000,01 kr., men der kan højst søges 400.000,00 kr. pr. ansøgning i denne runde.",
    ),
    "attachment": ("attachments", "Vedhæft det krævede bilag: Vedtægter."),
}


@pytest.mark.parametrize("case", PROBLEMS)
def test_each_problem_alone(app_ctx: Flask, case: str) -> None:
    assert broken(app_ctx, case) == [PROBLEMS[case]]


def test_exactly_the_maximum_is_allowed(app_ctx: Flask) -> None:
    application = draft(open_round(), lines=[line("1", MAX_ORE)])
    assert grant_applications.problems(application, DURING) == []


def test_every_problem_at_once(app_ctx: Flask) -> None:
    grant_round = open_round(required_attachments=("statutes",))
    application = grant_applications.start(
        grant_round, organisation(ORG_A), user("ngo_a_admin"), DURING
    )
    application.description = ""
    application.target_group = ""
    found = grant_applications.problems(application, DEADLINE + SECOND)
    assert {p.field for p in found} == {
        "",
        "title",
        "summary",
        "description",
        "target_group",
        "period_start",
        "volunteers_expected",
        "budget",
        "attachments",
    }


# --- submitting ------------------------------------------------------------------------------


def test_an_admin_submits(app_ctx: Flask) -> None:
    grant_round = open_round(required_attachments=("budget_notes",))
    application = draft(grant_round, actor="ngo_a_member")
    expected = grant_applications.application_totals(application)
    admin = user("ngo_a_admin")
    found = grant_applications.submit(
        application, admin, expected_version=application.version, now=DURING
    )
    assert found == []
    assert application.state == ApplicationState.SUBMITTED
    assert application.submitted_at == DURING
    assert application.submitted_by_id == admin.id
    assert application.requested_ore == expected.requested_ore == 3_500_000
    assert application.total_cost_ore == expected.total_cost_ore == 4_000_000
    assert application.submitted_copy is not None
    assert application.submitted_copy["totals"]["requested_ore"] == 3_500_000
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "grant_application.submit",
            AuditEntry.object_id == str(application.id),
        )
    )
    assert entry is not None and entry.actor_id == str(admin.id)
    assert entry.details["requested_ore"] == 3_500_000


def test_submit_at_the_deadline_to_the_second(app_ctx: Flask) -> None:
    application = draft(open_round())
    assert grant_applications.submit(application, user("ngo_a_admin"), now=DEADLINE) == []
    assert application.state == ApplicationState.SUBMITTED


@pytest.mark.parametrize("late", [SECOND, timedelta(minutes=1), timedelta(days=30)])
def test_submit_after_the_deadline_is_refused_even_with_a_valid_form(
    app_ctx: Flask, late: timedelta
) -> None:
    application = draft(open_round())
    assert grant_applications.problems(application, DEADLINE) == []
    version = application.version
    found = grant_applications.submit(application, user("ngo_a_admin"), now=DEADLINE + late)
    assert [(p.field, str(p.message)) for p in found] == [
        ("", "Runden tager ikke imod ansøgninger nu.")
    ]
    assert application.state == ApplicationState.DRAFT
    assert application.submitted_at is None and application.submitted_copy is None
    assert application.version == version
    assert "grant_application.submit" not in audit_actions(application)


def test_submit_with_problems_changes_nothing(app_ctx: Flask) -> None:
    application = draft(open_round(), lines=[])
    found = grant_applications.submit(application, user("ngo_a_admin"), now=DURING)
    assert [p.field for p in found] == ["budget"]
    assert application.state == ApplicationState.DRAFT
    assert application.requested_ore is None


@pytest.mark.parametrize("actor", ["ngo_a_member", "ngo_b_admin", "grant_officer", "admin"])
def test_only_an_ngo_admin_of_the_organisation_submits(app_ctx: Flask, actor: str) -> None:
    application = draft(open_round())
    with pytest.raises(ApplicationError) as caught:
        grant_applications.submit(application, user(actor), now=DURING)
    assert "administratorer" in str(caught.value.message)
    assert application.state == ApplicationState.DRAFT


def test_a_suspended_organisation_cannot_submit(app_ctx: Flask) -> None:
    application = draft(open_round())
    application.organisation.state = OrganisationState.SUSPENDED
    db.session.flush()
    with pytest.raises(ApplicationError):
        grant_applications.submit(application, user("ngo_a_admin"), now=DURING)
    assert application.state == ApplicationState.DRAFT


def test_submit_from_a_stale_version_is_a_conflict(app_ctx: Flask) -> None:
    """The admin checked version n; a member saved meanwhile: the admin must look again."""
    application = draft(open_round())
    seen = application.version
    grant_applications.save(
        application, user("ngo_a_member"), content(title="Ny titel"), good_lines(), now=DURING
    )
    with pytest.raises(ApplicationConflict):
        grant_applications.submit(
            application, user("ngo_a_admin"), expected_version=seen, now=DURING
        )
    assert application.state == ApplicationState.DRAFT


@pytest.mark.parametrize("actor", ["ngo_a_admin", "ngo_a_member"])
def test_no_edit_after_submit(app_ctx: Flask, actor: str) -> None:
    application = draft(open_round())
    assert grant_applications.submit(application, user("ngo_a_admin"), now=DURING) == []
    version = application.version
    with pytest.raises(ApplicationError):
        grant_applications.save(
            application, user(actor), content(title="Efter indsendelse"), [], now=DURING
        )
    assert application.title == "Netværk efter løsladelse"
    assert application.version == version
    with pytest.raises(ApplicationError) as caught:
        grant_applications.submit(application, user("ngo_a_admin"), now=DURING)
    assert "allerede sendt" in str(caught.value.message)


# --- the copy --------------------------------------------------------------------------------


def test_the_submitted_copy_is_frozen(app_ctx: Flask) -> None:
    grant_round = open_round(required_attachments=("budget_notes",))
    application = draft(grant_round)
    assert grant_applications.submit(application, user("ngo_a_admin"), now=DURING) == []
    db.session.flush()
    copy = dict(application.submitted_copy or {})
    org = organisation(ORG_A)
    assert copy["organisation"] == ORG_A
    assert copy["round"] == grant_round.name_da
    assert copy["title"] == "Netværk efter løsladelse"
    assert copy["period_start"] == "2027-06-01"
    assert copy["budget"][0] == {
        "category": "salaries",
        "text": "Koordinator, timer",
        "units": "100.00",
        "unit_price_ore": 25_000,
        "own_financing_ore": 0,
        "other_financing_ore": 0,
        "total_ore": 2_500_000,
    }
    assert copy["totals"] == {
        "total_cost_ore": 4_000_000,
        "own_financing_ore": 500_000,
        "other_financing_ore": 0,
        "requested_ore": 3_500_000,
    }
    assert [a["kind"] for a in copy["attachments"]] == ["budget_notes"]
    assert copy["attachments"][0]["filename"].endswith(".pdf")
    assert copy["submitted_at"] == DURING.isoformat()
    # The organisation's profile and the round change later; the copy does not.
    org.name = "Foreningen Nyt Navn"
    grant_round.name_da = "Omdøbt runde"
    db.session.flush()
    db.session.expire_all()
    stored = db.session.get(GrantApplication, application.id)
    assert stored is not None
    assert stored.submitted_copy == copy
    assert stored.submitted_copy["organisation"] == ORG_A
    # copy_of is only ever taken at submission; now it would say something else.
    assert grant_applications.copy_of(stored)["organisation"] == "Foreningen Nyt Navn"


def test_the_copy_is_plain_json(app_ctx: Flask) -> None:
    application = draft(open_round(), lines=[line("8250.5", 379)])
    copy = grant_applications.copy_of(application)
    assert json.loads(json.dumps(copy)) == copy
    assert copy["budget"][0]["units"] == "8250.50"
    assert copy["budget"][0]["total_ore"] == 3_126_940


# --- the demo --------------------------------------------------------------------------------


def test_the_demo_grants(app_ctx: Flask) -> None:
    from portal.services import demo_grants

    demo_grants.seed_demo_grants()
    db.session.flush()
    before = {
        "rounds": db.session.scalar(select(func.count()).select_from(GrantRound)),
        "applications": db.session.scalar(select(func.count()).select_from(GrantApplication)),
        "lines": db.session.scalar(select(func.count()).select_from(BudgetLine)),
    }
    demo_grants.seed_demo_grants()  # idempotent
    db.session.flush()
    after = {
        "rounds": db.session.scalar(select(func.count()).select_from(GrantRound)),
        "applications": db.session.scalar(select(func.count()).select_from(GrantApplication)),
        "lines": db.session.scalar(select(func.count()).select_from(BudgetLine)),
    }
    assert after == before

    first = db.session.scalar(
        select(GrantRound).where(GrantRound.name_da == demo_grants.OPEN_ROUND)
    )
    assert first is not None
    assert first.state == RoundState.PUBLISHED
    assert grant_rounds.accepting(first)
    deadline = grant_rounds.local(first.deadline_at)
    assert deadline.time() == time(12, 0)
    today = grant_rounds.local(datetime.now(deadline.tzinfo)).date()
    assert 14 <= (deadline.date() - today).days <= 28
    assert first.pool_ore == 550_000_000
    assert first.max_per_application_ore == 40_000_000
    assert first.audit_threshold_ore == 10_000_000
    assert first.voucher_share_percent == 20
    assert 3 <= len(first.criteria) <= 4
    assert [r.user_id for r in first.reviewers] == [user("reviewer").id]

    second = db.session.scalar(
        select(GrantRound).where(GrantRound.name_da == demo_grants.DRAFT_ROUND)
    )
    assert second is not None and second.state == RoundState.DRAFT
    assert second.opens_at > first.deadline_at
    assert grant_rounds.publishing_problems(second) == []

    application = demo_grants.demo_application(organisation(ORG_A))
    assert application is not None
    assert application.state == ApplicationState.DRAFT
    assert len(application.budget_lines) >= 3
    result = grant_applications.application_totals(application)
    assert 0 < result.requested_ore <= first.max_per_application_ore
    # Only the budget notes are missing, so "Tjek dine svar" has something to show.
    assert [p.field for p in grant_applications.problems(application)] == ["attachments"]


# --- helpers ---------------------------------------------------------------------------------


def audit_actions(application: GrantApplication) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_id == str(application.id))
            .order_by(AuditEntry.id)
        )
    )


def audit_actors(application: GrantApplication) -> list[str | None]:
    return list(
        db.session.scalars(
            select(AuditEntry.actor_id)
            .where(AuditEntry.object_id == str(application.id))
            .order_by(AuditEntry.id)
        )
    )


def test_line_values_are_frozen() -> None:
    item = line()
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.units = Decimal(2)  # type: ignore[misc]
