"""The secret iCalendar feeds, read back with real iCalendar libraries: ``icalendar`` parses
the feed and ``recurring_ical_events`` expands its recurrences, which must give exactly the
activity's dates at 18:00 Copenhagen time on both sides of the daylight-saving changes. A
cancellation comes through as STATUS:CANCELLED with a higher SEQUENCE; renewing stops the old
address; a bad token tells nothing."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import recurring_ical_events
from flask import Flask
from icalendar import Calendar
from sqlalchemy import func, select

from portal import db
from portal.models import (
    Activity,
    ActivityState,
    AuditEntry,
    CalendarFeed,
    User,
)
from portal.services import activities, activity_workflow, calendar_feeds
from tests.test_calendar import (
    ORG_A,
    STORSTROM,
    VESTRE,
    committed,
    ids,
    institution_named,
    last_sunday,
    make_activity,
    next_year,
    organisation_named,
)

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
FEED_ADDRESS = re.compile(r">(https?://[^<]+/kalender/feed/([A-Za-z0-9_-]+)\.ics)</textarea>")


def _make_feed(client: Any, url: str) -> str:
    """POST to make or renew a feed; return the token shown once on the page."""
    response = client.post(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    page = response.get_data(as_text=True)
    found = FEED_ADDRESS.search(page)
    assert found, page
    assert "kun denne ene gang" in page
    return found.group(2)


def _institution_feed(app: Flask, login_as: Any, role: str = "institution") -> str:
    place = ids(app, institution=STORSTROM)["institution"]
    return _make_feed(login_as(role), f"/kalender/institution/{place}/feed")


def _read(app: Flask, token: str) -> Calendar:
    response = app.test_client().get(f"/kalender/feed/{token}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.get_data())


def _event(cal: Calendar, activity_id: Any) -> Any:
    found = [e for e in cal.walk("VEVENT") if str(e["UID"]) == f"{activity_id}@partnerportalen"]
    assert len(found) == 1, [str(e["UID"]) for e in cal.walk("VEVENT")]
    return found[0]


# --- the recurrences, read back --------------------------------------------------------------


def test_expanded_feed_gives_the_activity_dates_at_18_across_dst(app: Flask, login_as: Any) -> None:
    year = next_year()
    spring, autumn = last_sunday(year, 3), last_sunday(year, 10)
    first = spring - timedelta(days=12)  # a Tuesday? any weekday will do
    left_out = [first + timedelta(weeks=2), spring + timedelta(days=2 + 7 * 3)]
    with committed(app):
        weekly = make_activity(
            first=first,
            until=autumn + timedelta(days=20),
            recurrence="weekly",
            exceptions=[d for d in left_out if (d - first).days % 7 == 0],
        )
        expected = activities.dates_of(weekly)
        weekly_id = weekly.id
    token = _institution_feed(app, login_as)
    cal = _read(app, token)

    event = _event(cal, weekly_id)
    assert event["DTSTART"].params["TZID"] == "Europe/Copenhagen"
    assert "FREQ=WEEKLY" in event["RRULE"].to_ical().decode()
    assert "UNTIL=" in event["RRULE"].to_ical().decode()
    expanded = [
        e
        for e in recurring_ical_events.of(cal).between(date(year - 1, 1, 1), date(year + 1, 12, 31))
        if str(e["UID"]) == f"{weekly_id}@partnerportalen"
    ]
    starts = [e["DTSTART"].dt.astimezone(COPENHAGEN) for e in expanded]
    ends = [e["DTEND"].dt.astimezone(COPENHAGEN) for e in expanded]
    assert [s.date() for s in starts] == expected
    assert len(expected) > 30
    assert {(s.hour, s.minute) for s in starts} == {(18, 0)}
    assert {(e.hour, e.minute) for e in ends} == {(20, 0)}
    # Both sides of each change are there, and the UTC hour moved.
    utc_hours = {s.date() > spring and s.date() < autumn: s.utcoffset() for s in starts}
    assert utc_hours == {False: timedelta(hours=1), True: timedelta(hours=2)}
    assert not set(left_out) & {s.date() for s in starts}


def test_every_other_week_with_exceptions_and_a_single_date(app: Flask, login_as: Any) -> None:
    year = next_year()
    first = date(year, 3, 2)
    with committed(app):
        biweekly = make_activity(
            first=first,
            until=first + timedelta(weeks=20),
            recurrence="biweekly",
            exceptions=[first + timedelta(weeks=4), first + timedelta(weeks=20)],
            start=time(9, 30),
            end=time(11, 0),
        )
        once = make_activity(first=date(year, 7, 1), start=time(13), end=time(15))
        expected = {biweekly.id: activities.dates_of(biweekly), once.id: [date(year, 7, 1)]}
        times = {biweekly.id: (9, 30), once.id: (13, 0)}
    cal = _read(app, _institution_feed(app, login_as))

    rule = _event(cal, biweekly.id)["RRULE"].to_ical().decode()
    assert "INTERVAL=2" in rule
    assert "RRULE" not in _event(cal, once.id)
    expanded = recurring_ical_events.of(cal).between(date(year, 1, 1), date(year + 1, 1, 1))
    for activity_id, days in expected.items():
        starts = [
            e["DTSTART"].dt.astimezone(COPENHAGEN)
            for e in expanded
            if str(e["UID"]) == f"{activity_id}@partnerportalen"
        ]
        assert [s.date() for s in starts] == days
        assert {(s.hour, s.minute) for s in starts} == {times[activity_id]}


def test_the_calendar_has_its_name_a_prodid_and_a_vtimezone_true_to_zoneinfo(
    app: Flask, login_as: Any
) -> None:
    cal = _read(app, _institution_feed(app, login_as))
    assert str(cal["PRODID"]).startswith("-//Partnerportalen")
    assert str(cal["X-WR-CALNAME"]) == f"Partnerportalen: {STORSTROM}"
    (zone,) = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Copenhagen"
    tz = zone.to_tz()
    for year in range(2024, 2040):
        for month, day, hour in [(1, 15, 12), (3, 1, 12), (4, 1, 12), (7, 1, 18), (10, 1, 18)]:
            moment = datetime(year, month, day, hour)
            assert (
                moment.replace(tzinfo=tz).utcoffset()
                == moment.replace(tzinfo=COPENHAGEN).utcoffset()
            ), moment
        spring, autumn = last_sunday(year, 3), last_sunday(year, 10)
        for moment in (
            datetime.combine(spring - timedelta(days=1), time(18)),
            datetime.combine(spring + timedelta(days=1), time(18)),
            datetime.combine(autumn - timedelta(days=1), time(18)),
            datetime.combine(autumn + timedelta(days=1), time(18)),
        ):
            assert (
                moment.replace(tzinfo=tz).utcoffset()
                == moment.replace(tzinfo=COPENHAGEN).utcoffset()
            ), moment


# --- what the events say --------------------------------------------------------------------


def test_institution_feed_counts_participants_without_names(app: Flask, login_as: Any) -> None:
    year = next_year()
    with committed(app):
        activity = make_activity(
            first=date(year, 5, 5),
            participants=("Birgitte Lund", "Mette Hansen"),
            blocked=("Mette Hansen",),
            place="Kirkesalen",
        )
        elsewhere = make_activity(first=date(year, 5, 5), institution=VESTRE, title="Andetsteds")
        address = institution_named().full_address
    cal = _read(app, _institution_feed(app, login_as))
    event = _event(cal, activity.id)
    assert str(event["SUMMARY"]) == "Netværksaften"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 1
    location = str(event["LOCATION"])
    assert location.startswith(STORSTROM) and "Kirkesalen" in location
    if address:
        assert address in location
    description = str(event["DESCRIPTION"])
    assert ORG_A in description
    assert "Birgitte Lund" not in description and "Mette Hansen" not in description
    assert "Antal deltagere: 1" in description
    assert "1 deltager må ikke deltage" in description
    assert f"{elsewhere.id}@partnerportalen" not in cal.to_ical().decode()


def test_organisation_feed_covers_every_institution_without_names(
    app: Flask, login_as: Any
) -> None:
    year = next_year()
    with committed(app):
        here = make_activity(first=date(year, 5, 5))
        there = make_activity(first=date(year, 5, 6), institution=VESTRE)
        other_org = make_activity(
            first=date(year, 5, 7), organisation="Vestjyske Besøgsvenner", participants=()
        )
    org = ids(app, organisation=ORG_A)["organisation"]
    token = _make_feed(login_as("ngo_a_admin"), f"/kalender/organisation/{org}/feed")
    cal = _read(app, token)
    assert str(cal["X-WR-CALNAME"]) == f"Partnerportalen: {ORG_A}"
    _event(cal, here.id)
    event = _event(cal, there.id)
    assert str(event["LOCATION"]).startswith(VESTRE)
    assert "Birgitte Lund" not in cal.to_ical().decode("utf-8")
    assert "Antal deltagere: 1" in str(event["DESCRIPTION"])
    assert f"{other_org.id}@partnerportalen" not in cal.to_ical().decode()


# --- cancellations ---------------------------------------------------------------------------


def test_a_cancellation_comes_through_with_a_higher_sequence(app: Flask, login_as: Any) -> None:
    year = next_year()
    with committed(app):
        activity_id = make_activity(
            first=date(year, 3, 3), until=date(year, 6, 30), recurrence="weekly"
        ).id
    token = _institution_feed(app, login_as)
    before = _event(_read(app, token), activity_id)
    assert str(before["STATUS"]) == "CONFIRMED"

    with committed(app):
        admin = db.session.scalar(select(User).where(User.email == "ngo-a.admin@example.org"))
        activity = db.session.get(Activity, activity_id)
        activity_workflow.apply(activity, "cancel", admin, text="Holdet er nedlagt")
    after = _event(_read(app, token), activity_id)
    assert str(after["STATUS"]) == "CANCELLED"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert str(after["SUMMARY"]).startswith("Aflyst:")
    # The series itself is unchanged, so the calendar removes every one of its dates.
    assert after["RRULE"].to_ical() == before["RRULE"].to_ical()


def test_once_approved_activities_leave_the_feed_as_cancelled(app_ctx: Flask) -> None:
    year = next_year()
    day = date(year, 4, 4)
    changed = make_activity(first=day, title="Ændret", state=ActivityState.SENT, sequence=2)
    withdrawn = make_activity(first=day, title="Trukket", state=ActivityState.WITHDRAWN)
    never = make_activity(first=day, title="Ny", state=ActivityState.SENT, approved_once=False)
    refused = make_activity(
        first=day, title="Afvist", state=ActivityState.REFUSED, approved_once=False
    )
    long_ago = make_activity(first=date(2001, 1, 1), title="Gammel", state=ActivityState.CANCELLED)
    old_approved = make_activity(first=date(2001, 1, 1), title="Gammel godkendt")
    feed = CalendarFeed(token_hash="0" * 64, institution_id=institution_named().id)
    db.session.add(feed)
    db.session.flush()

    held = {a.id for a in calendar_feeds.activities_of(feed)}
    assert {changed.id, withdrawn.id} <= held
    assert not {never.id, refused.id, long_ago.id, old_approved.id} & held
    cal = Calendar.from_ical(calendar_feeds.build(feed))
    assert str(_event(cal, changed.id)["STATUS"]) == "CANCELLED"
    assert str(_event(cal, withdrawn.id)["STATUS"]) == "CANCELLED"


# --- the address -----------------------------------------------------------------------------


def test_renewing_stops_the_old_address_and_both_are_audited(app: Flask, login_as: Any) -> None:
    old = _institution_feed(app, login_as)
    client = app.test_client()
    assert client.get(f"/kalender/feed/{old}.ics").status_code == 200

    place = ids(app, institution=STORSTROM)["institution"]
    page = login_as("caseworker_ost").post(f"/kalender/institution/{place}/feed")
    assert "Den gamle adresse virker ikke længere" in page.get_data(as_text=True)
    new = FEED_ADDRESS.search(page.get_data(as_text=True)).group(2)  # type: ignore[union-attr]
    assert new != old
    assert client.get(f"/kalender/feed/{old}.ics").status_code == 404
    assert client.get(f"/kalender/feed/{new}.ics").status_code == 200

    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_id == str(place), AuditEntry.action.like("calendar_feed.%"))
            .order_by(AuditEntry.id)
        ).all()
        live = db.session.scalar(
            select(func.count())
            .select_from(CalendarFeed)
            .where(CalendarFeed.institution_id == place, CalendarFeed.revoked_at.is_(None))
        )
        hashes = db.session.scalars(
            select(CalendarFeed.token_hash).where(CalendarFeed.institution_id == place)
        ).all()
        log = " ".join(str(d) for d in db.session.scalars(select(AuditEntry.details)).all())
    assert actions == ["calendar_feed.create", "calendar_feed.renew"]
    assert live == 1
    # Only hashes are stored, and the token is in no audit entry.
    assert hashlib.sha256(new.encode()).hexdigest() in hashes
    assert new not in hashes and new not in log and old not in log


def test_the_calendar_page_offers_a_new_address_once_one_exists(app: Flask, login_as: Any) -> None:
    place = ids(app, institution=STORSTROM)["institution"]
    client = login_as("institution")
    page = client.get(f"/kalender/institution/{place}").get_data(as_text=True)
    assert "Lav en adresse" in page
    token = _institution_feed(app, login_as)
    page = client.get(f"/kalender/institution/{place}").get_data(as_text=True)
    assert "Lav en ny adresse" in page and "Der blev lavet en adresse" in page
    assert token not in page


def test_bad_tokens_are_404_and_the_feed_is_never_cached(app: Flask, login_as: Any) -> None:
    client = app.test_client()
    for token in ("nope", "x" * 43, "x" * 500, hashlib.sha256(b"x").hexdigest()):
        response = client.get(f"/kalender/feed/{token}.ics")
        assert response.status_code == 404
        assert "text/calendar" not in response.headers["Content-Type"]
        assert "no-store" in response.headers["Cache-Control"]
    token = _institution_feed(app, login_as)
    # The stored hash is not a token either.
    with app.app_context():
        stored = db.session.scalar(
            select(CalendarFeed.token_hash).where(CalendarFeed.revoked_at.is_(None))
        )
    assert client.get(f"/kalender/feed/{stored}.ics").status_code == 404
    response = client.get(f"/kalender/feed/{token}.ics")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers


def test_feed_permissions(app: Flask, login_as: Any) -> None:
    found = ids(app, institution=STORSTROM, organisation=ORG_A)
    institution_url = f"/kalender/institution/{found['institution']}/feed"
    organisation_url = f"/kalender/organisation/{found['organisation']}/feed"
    assert login_as("admin").post(institution_url).status_code == 403
    assert login_as("caseworker_vest").post(institution_url).status_code == 404
    assert login_as("ngo_a_member").post(organisation_url).status_code == 403
    assert login_as("ngo_b_admin").post(organisation_url).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CalendarFeed)) == 0


def test_service_resolve_and_revoke(app_ctx: Flask) -> None:
    actor = db.session.scalar(select(User).where(User.email == "ngo-a.admin@example.org"))
    org = organisation_named()
    made = calendar_feeds.create(org, actor)
    assert not made.renewed
    assert len(made.token) >= 43
    assert calendar_feeds.resolve(made.token) == made.feed
    again = calendar_feeds.create(org, actor)
    assert again.renewed
    assert calendar_feeds.resolve(made.token) is None
    assert calendar_feeds.resolve(again.token) == again.feed
    assert calendar_feeds.active_feed(org) == again.feed
    assert calendar_feeds.resolve("") is None
