"""The calendars, the gate list and the feeds.

The world holds an approved weekly activity of organisation A at Storstrøm Fængsel (area Øst)
that runs through today, so every calendar page renders an entry, and a live feed of the
institution with a known token. The institution's pages are for its contact person, the
caseworkers of Øst, admin and DPO (the Vest caseworker gets 404, other roles are stopped by
the role gate); the organisation's for its staff, admin and DPO (organisation B's admin gets
404). Making a feed address (a POST with only the CSRF token, off here) is for the
institution's deciders and the organisation's administrators: admin and DPO see the calendar
but get 403. The feed itself is public: a live token answers everyone, a bad one no one.
"""

from __future__ import annotations

import hashlib
from datetime import time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import (
    Activity,
    ActivityEvent,
    ActivityKind,
    ActivityParticipant,
    ActivityState,
    CalendarFeed,
    Institution,
    Organisation,
    Volunteer,
)
from portal.services import calendar
from tests.matrix import LOGIN_REDIRECT, Route, everyone, fixed
from tests.roles import ALL_ROLES, ANONYMOUS

FEED_TOKEN = "matrix-calendar-feed-token-0123456789abcdefghij"

INSTITUTION_SIDE = {"institution", "caseworker_ost", "caseworker_vest", "admin", "dpo"}
ORGANISATION_SIDE = {"ngo_a_admin", "ngo_a_member", "ngo_b_admin", "admin", "dpo"}


def expect(gate: set[str], ok: dict[str, int], not_found: set[str] = frozenset()) -> dict[str, int]:
    """403 for roles outside ``gate``; else ``ok[role]``, or 404 for ``not_found``."""
    expected = {role: 403 for role in ALL_ROLES}
    expected[ANONYMOUS] = LOGIN_REDIRECT
    for role in gate:
        expected[role] = 404 if role in not_found else ok.get(role, 200)
    return expected


INSTITUTION_PAGE = expect(INSTITUTION_SIDE, {}, {"caseworker_vest"})
ORGANISATION_PAGE = expect(ORGANISATION_SIDE, {}, {"ngo_b_admin"})
INSTITUTION_FEED = expect(INSTITUTION_SIDE, {"admin": 403, "dpo": 403}, {"caseworker_vest"})
ORGANISATION_FEED = expect(
    ORGANISATION_SIDE, {"ngo_a_member": 403, "admin": 403, "dpo": 403}, {"ngo_b_admin"}
)
# One calendar: straight to it; caseworkers, admin and DPO choose from a list.
INDEX = expect(
    INSTITUTION_SIDE | ORGANISATION_SIDE,
    {"institution": 302, "ngo_a_admin": 302, "ngo_a_member": 302, "ngo_b_admin": 302},
)


def _institution(suffix: str = "") -> Any:
    return lambda w: f"/kalender/institution/{w['calendar_institution']}{suffix}"


def _organisation(suffix: str = "") -> Any:
    return lambda w: f"/kalender/organisation/{w['calendar_organisation']}{suffix}"


ROUTES: list[Route] = [
    Route("GET", "calendar.index", fixed("/kalender"), INDEX),
    Route("GET", "calendar.institution", _institution(), INSTITUTION_PAGE),
    Route("GET", "calendar.institution", _institution("?visning=uge"), INSTITUTION_PAGE),
    Route("GET", "calendar.institution", _institution("?visning=liste"), INSTITUTION_PAGE),
    Route("GET", "calendar.gate", _institution("/port"), INSTITUTION_PAGE),
    Route("POST", "calendar.institution_feed", _institution("/feed"), INSTITUTION_FEED),
    Route("GET", "calendar.organisation", _organisation(), ORGANISATION_PAGE),
    Route("GET", "calendar.organisation", _organisation("?visning=maaned"), ORGANISATION_PAGE),
    Route("POST", "calendar.organisation_feed", _organisation("/feed"), ORGANISATION_FEED),
    Route("GET", "calendar.feed", fixed(f"/kalender/feed/{FEED_TOKEN}.ics"), everyone(200)),
    Route("GET", "calendar.feed", fixed("/kalender/feed/not-a-token.ics"), everyone(404)),
]


def world(session: Session) -> dict[str, Any]:
    institution = session.scalar(select(Institution).where(Institution.name == "Storstrøm Fængsel"))
    organisation = session.scalar(
        select(Organisation).where(Organisation.name == "Foreningen Nyt Netværk")
    )
    assert institution is not None and organisation is not None
    volunteer = session.scalar(
        select(Volunteer).where(
            Volunteer.organisation_id == organisation.id, Volunteer.name == "Birgitte Lund"
        )
    )
    assert volunteer is not None
    today = calendar.today()
    activity = Activity(
        organisation_id=organisation.id,
        institution_id=institution.id,
        kind=ActivityKind.LEISURE,
        title="Matrix: spilaften",
        recurrence_kind="weekly",
        first_date=today - timedelta(weeks=2),
        until_date=today + timedelta(weeks=2),
        start_time=time(18, 0),
        end_time=time(20, 0),
        state=ActivityState.APPROVED,
        sequence=1,
        participants=[ActivityParticipant(volunteer_id=volunteer.id)],
    )
    session.add(activity)
    session.flush()
    session.add(ActivityEvent(activity_id=activity.id, action="approve", to_state="approved"))
    session.add(
        CalendarFeed(
            token_hash=hashlib.sha256(FEED_TOKEN.encode()).hexdigest(),
            institution_id=institution.id,
        )
    )
    session.commit()
    return {"calendar_institution": institution.id, "calendar_organisation": organisation.id}
