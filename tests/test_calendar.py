"""Calendars of approved activities: the occurrences in a range (Copenhagen wall-clock times
across the daylight-saving changes), the month grid, week and list views, the gate's list of
who is coming (blocked participants struck out), the choice of calendar, and tenants."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from portal import db
from portal.db import utcnow
from portal.models import (
    Activity,
    ActivityEvent,
    ActivityKind,
    ActivityParticipant,
    ActivityState,
    AuditEntry,
    Institution,
    Organisation,
    Volunteer,
)
from portal.services import calendar
from portal.services.recurrence import COPENHAGEN

STORSTROM = "Storstrøm Fængsel"  # area Øst; the demo institution contact's
VESTRE = "Vestre Fængsel"
ORG_A = "Foreningen Nyt Netværk"  # area Øst
ORG_B = "Vestjyske Besøgsvenner"  # area Vest


# --- helpers (also used by test_calendar_feeds.py) -------------------------------------------


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def next_year() -> int:
    """A whole future year, so the activities' dates lie ahead of today."""
    return calendar.today().year + 1


def institution_named(name: str = STORSTROM) -> Institution:
    found = db.session.scalar(select(Institution).where(Institution.name == name))
    assert found is not None, name
    return found


def organisation_named(name: str = ORG_A) -> Organisation:
    found = db.session.scalar(select(Organisation).where(Organisation.name == name))
    assert found is not None, name
    return found


def volunteer_named(name: str, organisation: str = ORG_A) -> Volunteer:
    found = db.session.scalar(
        select(Volunteer)
        .join(Organisation, Organisation.id == Volunteer.organisation_id)
        .where(Volunteer.name == name, Organisation.name == organisation)
    )
    assert found is not None, name
    return found


def make_activity(
    *,
    first: date,
    until: date | None = None,
    recurrence: str = "once",
    exceptions: Sequence[date] = (),
    start: time = time(18, 0),
    end: time = time(20, 0),
    title: str = "Netværksaften",
    institution: str = STORSTROM,
    organisation: str = ORG_A,
    participants: Sequence[str] = ("Birgitte Lund",),
    blocked: Sequence[str] = (),
    state: ActivityState = ActivityState.APPROVED,
    approved_once: bool = True,
    sequence: int = 1,
    **values: Any,
) -> Activity:
    """An activity written directly (the rules are tested elsewhere), with the history row of
    its approval when ``approved_once``; flushed, in the current session."""
    activity = Activity(
        organisation_id=organisation_named(organisation).id,
        institution_id=institution_named(institution).id,
        kind=ActivityKind.NETWORK,
        title=title,
        recurrence_kind=recurrence,
        first_date=first,
        until_date=until,
        exceptions=sorted(day.isoformat() for day in exceptions),
        start_time=start,
        end_time=end,
        state=state,
        sequence=sequence,
        decided_at=utcnow() if approved_once else None,
        **values,
    )
    activity.participants = [
        ActivityParticipant(
            volunteer_id=volunteer_named(name, organisation).id,
            blocked_at=utcnow() if name in blocked else None,
            blocked_reason="no_access" if name in blocked else "",
        )
        for name in participants
    ]
    db.session.add(activity)
    db.session.flush()
    if approved_once:
        db.session.add(
            ActivityEvent(
                activity_id=activity.id, action="approve", from_state="sent", to_state="approved"
            )
        )
        db.session.flush()
    return activity


@contextmanager
def committed(app: Flask) -> Iterator[None]:
    """Write test data that the test client's requests then read (rolled back after the test)."""
    with app.app_context():
        yield
        db.session.commit()


def ids(app: Flask, **names: str) -> dict[str, uuid.UUID]:
    with app.app_context():
        found = {}
        for key, name in names.items():
            model = Institution if key.startswith("institution") else Organisation
            found[key] = db.session.scalar(select(model.id).where(model.name == name))
        return found


@contextmanager
def counted_queries(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = app.extensions["portal_db"].engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


# --- occurrences -----------------------------------------------------------------------------


def test_a_weekly_activity_stays_at_18_copenhagen_across_both_dst_changes(app_ctx: Flask) -> None:
    year = next_year()
    spring, autumn = last_sunday(year, 3), last_sunday(year, 10)
    thursday = spring - timedelta(days=10)
    thursday -= timedelta(days=(thursday.weekday() - 3) % 7)  # a Thursday ten days before
    activity = make_activity(first=thursday, until=autumn + timedelta(days=14), recurrence="weekly")
    found = calendar.for_institution(activity.institution_id, date(year, 3, 1), date(year, 11, 30))
    mine = [o for o in found if o.activity.id == activity.id]

    assert [o.day for o in mine][:3] == [thursday + timedelta(weeks=n) for n in range(3)]
    assert {(o.start.hour, o.start.minute, o.end.hour) for o in mine} == {(18, 0, 20)}
    assert all(o.start.tzinfo == COPENHAGEN for o in mine)
    before_spring = next(o for o in mine if o.day < spring)
    after_spring = next(o for o in mine if o.day > spring)
    after_autumn = next(o for o in mine if o.day > autumn)
    # The UTC instant moves by an hour; the wall-clock time does not.
    assert before_spring.start_utc == datetime.combine(before_spring.day, time(17), UTC)
    assert after_spring.start_utc == datetime.combine(after_spring.day, time(16), UTC)
    assert after_autumn.start_utc == datetime.combine(after_autumn.day, time(17), UTC)


def test_only_approved_activities_in_the_range_and_of_the_owner(app_ctx: Flask) -> None:
    year = next_year()
    day = date(year, 5, 12)
    shown = make_activity(first=day, title="Vist")
    make_activity(first=day, title="Afventer", state=ActivityState.SENT, approved_once=False)
    make_activity(first=day, title="Aflyst", state=ActivityState.CANCELLED)
    make_activity(first=day, title="Andet sted", institution=VESTRE)
    make_activity(first=day + timedelta(days=40), title="Senere")

    at_storstrom = calendar.for_institution(shown.institution_id, day, day)
    assert [o.activity.title for o in at_storstrom] == ["Vist"]
    of_org_a = calendar.for_organisation(shown.organisation_id, day, day)
    assert sorted(o.activity.title for o in of_org_a) == ["Andet sted", "Vist"]
    assert calendar.for_organisation(organisation_named(ORG_B).id, day, day) == []


def test_exceptions_and_every_other_week(app_ctx: Flask) -> None:
    year = next_year()
    first = date(year, 4, 6)
    activity = make_activity(
        first=first,
        until=first + timedelta(weeks=8),
        recurrence="biweekly",
        exceptions=[first + timedelta(weeks=4)],
    )
    days = [
        o.day
        for o in calendar.for_institution(
            activity.institution_id, first, first + timedelta(days=90)
        )
    ]
    assert days == [
        first,
        first + timedelta(weeks=2),
        first + timedelta(weeks=6),
        first + timedelta(weeks=8),
    ]


def test_month_grid_is_monday_first_with_iso_week_numbers(app_ctx: Flask) -> None:
    year = next_year()
    first, last = calendar.month_range(date(year, 3, 15))
    activity = make_activity(first=date(year, 3, 15))
    month = calendar.month(
        date(year, 3, 15), calendar.for_institution(activity.institution_id, first, last)
    )
    assert month.first == date(year, 3, 1)
    assert all(week.days[0].day.weekday() == 0 for week in month.weeks)
    assert month.weeks[0].number == first.isocalendar().week
    assert any(day.entries for week in month.weeks for day in week.days if day.day.day == 15)
    assert month.previous == date(year, 2, 1) and month.next == date(year, 4, 1)
    assert calendar.week(date(year, 3, 15), []).days[0].day.weekday() == 0


def test_dates_from_the_address_fall_back_to_today() -> None:
    now = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # already the 29th in Copenhagen
    assert calendar.parse_day("2027-02-03", now) == date(2027, 2, 3)
    assert calendar.parse_day("nonsense", now) == date(2026, 3, 29)
    assert calendar.parse_day("9999-12-31", now) == date(2026, 3, 29)
    assert calendar.parse_day(None, now) == date(2026, 3, 29)


def _month_queries(app: Flask, client: Any, place: uuid.UUID, year: int) -> int:
    with counted_queries(app) as statements:
        response = client.get(f"/kalender/institution/{place}?visning=maaned&dato={year}-06-01")
    assert response.status_code == 200
    return len(statements)


def test_a_month_reads_the_activities_in_a_few_queries(app: Flask, login_as: Any) -> None:
    year = next_year()
    place = ids(app, institution=STORSTROM)["institution"]
    client = login_as("institution")

    def add(count: int) -> None:
        with committed(app):
            for n in range(count):
                make_activity(
                    first=date(year, 6, 1),
                    until=date(year, 6, 30),
                    recurrence="weekly",
                    title=f"Hold {n}",
                    participants=("Birgitte Lund", "Mette Hansen"),
                )

    add(1)
    with_one = _month_queries(app, client, place, year)
    add(6)
    with_seven = _month_queries(app, client, place, year)
    # Never one query per day or per activity: the same few for one activity as for seven.
    assert with_seven == with_one
    assert with_one <= 10, with_one


# --- the pages -------------------------------------------------------------------------------


def test_month_week_and_list_views_of_the_institution(app: Flask, login_as: Any) -> None:
    year = next_year()
    spring = last_sunday(year, 3)
    thursdays = [spring - timedelta(days=3) + timedelta(weeks=n) for n in range(5)]
    with committed(app):
        make_activity(
            first=thursdays[0], until=thursdays[-1], recurrence="weekly", title="Torsdagsklub"
        )
    place = ids(app, institution=STORSTROM)["institution"]
    client = login_as("institution")
    url = f"/kalender/institution/{place}"

    month = client.get(f"{url}?visning=maaned&dato={year}-03-10").get_data(as_text=True)
    grid_first, grid_last = calendar.month_range(date(year, 3, 10))
    assert f"Marts {year}" in month
    # The grid shows whole weeks, so a date early in April may be in March's last row.
    assert month.count("Torsdagsklub") == sum(grid_first <= d <= grid_last for d in thursdays)
    assert "18.00–20.00" in month
    assert ORG_A in month
    assert 'class="table calendar-month"' in month
    assert "calendar-list" not in month

    after_dst = thursdays[1]
    week = client.get(f"{url}?visning=uge&dato={after_dst.isoformat()}").get_data(as_text=True)
    assert f"Uge {after_dst.isocalendar().week}" in week
    assert "Torsdagsklub" in week and "18.00–20.00" in week
    assert "Forrige uge" in week and "Næste uge" in week

    listing = client.get(f"{url}?visning=liste&dato={year}-04-01").get_data(as_text=True)
    assert listing.count("Torsdagsklub") == sum(d.month == 4 for d in thursdays)
    assert "18.00–20.00" in listing
    assert "calendar-month" not in listing

    # Without a chosen view: both, the grid for wide screens and the list for phones.
    both = client.get(f"{url}?dato={year}-04-01").get_data(as_text=True)
    assert "d-none d-md-block" in both and "calendar-list d-md-none" in both


def test_the_organisation_calendar_lists_every_institution(app: Flask, login_as: Any) -> None:
    year = next_year()
    with committed(app):
        make_activity(first=date(year, 9, 3), title="Læsegruppe")
        make_activity(first=date(year, 9, 4), title="Spilaften", institution=VESTRE)
        make_activity(
            first=date(year, 9, 5), title="B's aktivitet", organisation=ORG_B, participants=()
        )
    org = ids(app, organisation=ORG_A)["organisation"]
    page = (
        login_as("ngo_a_member")
        .get(f"/kalender/organisation/{org}?visning=liste&dato={year}-09-01")
        .get_data(as_text=True)
    )
    assert "Læsegruppe" in page and "Spilaften" in page
    assert STORSTROM in page and VESTRE in page
    assert "B&#39;s aktivitet" not in page and "B's aktivitet" not in page
    # A member sees the calendar but does not manage the feed address.
    assert "Abonnér på kalenderen" not in page


def test_entries_link_to_the_activity_page_when_it_exists(app: Flask, login_as: Any) -> None:
    year = next_year()
    with committed(app):
        activity_id = make_activity(first=date(year, 2, 10)).id
    place = ids(app, institution=STORSTROM)["institution"]
    page = (
        login_as("caseworker_ost")
        .get(f"/kalender/institution/{place}?visning=liste&dato={year}-02-01")
        .get_data(as_text=True)
    )
    if "activities.activity" in app.view_functions:
        assert f"/aktiviteter/{activity_id}" in page
    else:
        assert "Netværksaften" in page


def test_another_tenant_gets_404_and_it_is_audited(app: Flask, login_as: Any) -> None:
    found = ids(app, institution=STORSTROM, organisation=ORG_A)
    assert (
        login_as("caseworker_vest").get(f"/kalender/institution/{found['institution']}").status_code
        == 404
    )
    assert (
        login_as("ngo_b_admin").get(f"/kalender/organisation/{found['organisation']}").status_code
        == 404
    )
    assert (
        login_as("caseworker_vest")
        .get(f"/kalender/institution/{found['institution']}/port")
        .status_code
        == 404
    )
    with app.app_context():
        denied = db.session.scalars(
            select(AuditEntry.object_id).where(AuditEntry.action == "access.denied")
        ).all()
    assert str(found["institution"]) in denied and str(found["organisation"]) in denied


def test_unknown_ids_are_404(app: Flask, login_as: Any) -> None:
    client = login_as("admin")
    assert client.get(f"/kalender/institution/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/kalender/organisation/{uuid.uuid4()}").status_code == 404


def test_a_bad_date_in_the_address_shows_today(app: Flask, login_as: Any) -> None:
    place = ids(app, institution=STORSTROM)["institution"]
    client = login_as("institution")
    for view in ("maaned", "uge", "liste", "nonsense"):
        response = client.get(f"/kalender/institution/{place}?visning={view}&dato=31-02-2026")
        assert response.status_code == 200


# --- choosing a calendar ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("ngo_a_admin", "organisation"),
        ("ngo_a_member", "organisation"),
        ("institution", "institution"),
    ],
)
def test_people_with_one_calendar_go_straight_to_it(
    app: Flask, login_as: Any, role: str, target: str
) -> None:
    found = ids(app, institution=STORSTROM, organisation=ORG_A)
    response = login_as(role).get("/kalender")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/kalender/{target}/{found[target]}")


def test_a_caseworker_chooses_among_the_area_office_institutions(app: Flask, login_as: Any) -> None:
    page = login_as("caseworker_ost").get("/kalender").get_data(as_text=True)
    assert STORSTROM in page
    assert VESTRE in page  # also Øst
    with app.app_context():
        vest = db.session.scalars(
            select(Institution.name).where(
                Institution.area_office_id != institution_named(STORSTROM).area_office_id
            )
        ).all()
    assert vest and not any(f">{name}<" in page for name in vest)


def test_the_admin_chooses_any_institution(app: Flask, login_as: Any) -> None:
    page = login_as("admin").get("/kalender").get_data(as_text=True)
    with app.app_context():
        names = db.session.scalars(select(Institution.name).where(Institution.active)).all()
    assert all(name in page for name in names)


# --- the gate --------------------------------------------------------------------------------


def test_the_gate_list_names_who_is_coming_and_strikes_out_the_blocked(
    app: Flask, login_as: Any
) -> None:
    year = next_year()
    day = date(year, 10, 7)
    with committed(app):
        make_activity(
            first=day - timedelta(weeks=1),
            until=day + timedelta(weeks=1),
            recurrence="weekly",
            title="Skakklub",
            start=time(17, 30),
            end=time(19, 0),
            participants=("Birgitte Lund", "Mette Hansen"),
            blocked=("Mette Hansen",),
            escort_arranged=True,
            items=["Skakbræt"],
        )
        make_activity(first=day + timedelta(days=1), title="I morgen")
        make_activity(first=day, title="Andet sted", institution=VESTRE)
    place = ids(app, institution=STORSTROM)["institution"]
    page = (
        login_as("institution")
        .get(f"/kalender/institution/{place}/port?dato={day.isoformat()}")
        .get_data(as_text=True)
    )
    assert "Skakklub" in page and "17.30–19.00" in page
    assert ORG_A in page
    assert "Birgitte Lund" in page
    assert "<s>Mette Hansen</s>" in page
    assert "må ikke deltage" in page
    assert "ingen gyldig adgang til institutionen" in page
    assert "1 person kommer" in page
    assert "Skakbræt" in page
    assert "aftalt" in page
    assert "I morgen" not in page and "Andet sted" not in page
    assert "Udskriv" in page and "data-print-page" in page
    assert "js/calendar.js" in page


def test_an_empty_day_at_the_gate(app: Flask, login_as: Any) -> None:
    place = ids(app, institution=STORSTROM)["institution"]
    page = (
        login_as("caseworker_ost")
        .get(f"/kalender/institution/{place}/port?dato=2001-01-01")
        .get_data(as_text=True)
    )
    assert "Ingen godkendte aktiviteter denne dag." in page


def test_the_gate_list_service_orders_by_time_and_marks_reasons(app_ctx: Flask) -> None:
    year = next_year()
    day = date(year, 8, 18)
    make_activity(first=day, start=time(19), end=time(20), title="Sen")
    make_activity(
        first=day,
        start=time(9),
        end=time(10),
        title="Tidlig",
        participants=("Mette Hansen", "Birgitte Lund"),
        blocked=("Birgitte Lund",),
    )
    entries = calendar.gate_list(institution_named(), day)
    assert [e.occurrence.activity.title for e in entries] == ["Tidlig", "Sen"]
    early = entries[0]
    assert [(p.name, p.blocked) for p in early.participants] == [
        ("Birgitte Lund", True),
        ("Mette Hansen", False),
    ]
    assert str(early.participants[0].reason) == "ingen gyldig adgang til institutionen"
    assert early.coming == 1


def test_an_empty_period_points_to_the_next_approved_date(app: Flask, login_as: Any) -> None:
    year = next_year() + 1  # after the demo activities
    with committed(app):
        make_activity(first=date(year, 5, 5))
    org = ids(app, organisation=ORG_A)["organisation"]
    client = login_as("ngo_a_admin")
    html = client.get(f"/kalender/organisation/{org}?visning=maaned&dato={year}-03-01").text
    assert "Den næste godkendte aktivitet er den 5. maj" in html
    assert f"dato={year}-05-05" in html
    html = client.get(f"/kalender/organisation/{org}?visning=maaned&dato={year}-05-01").text
    assert "data-upcoming" not in html
