"""Secret iCalendar (RFC 5545) feeds of an institution's or an organisation's activities.

A feed address carries a random token (``secrets.token_urlsafe(32)``, 256 bits); only its
SHA-256 is stored, so the address is shown once, when it is made, and a copy of the database
does not reveal it. Looking a token up by its hash compares no secret byte by byte, so the
time it takes tells nothing about the token. Renewing revokes the old address at once.

The feed holds one VEVENT per activity (a weekly or two-weekly RRULE with UNTIL and EXDATE
for a repetition), with wall-clock times in Europe/Copenhagen. An activity that was approved
once but is no longer (cancelled, or changed and waiting for a new decision, or withdrawn or
refused after such a change) stays in the feed as STATUS:CANCELLED with the higher SEQUENCE
the workflow gave it, so subscribed calendars take it out; such activities are kept until
their last date is ``CANCELLED_KEPT_DAYS`` old, approved ones until ``HISTORY_DAYS``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard
from sqlalchemy import func, select, update

from portal import audit, db, mail
from portal.db import utcnow
from portal.models import (
    Activity,
    ActivityEvent,
    ActivityState,
    CalendarFeed,
    Institution,
    Organisation,
    User,
)
from portal.services import volunteer_status
from portal.services.calendar import calendar_query
from portal.services.recurrence import COPENHAGEN, RecurrenceError, instants

TZID = "Europe/Copenhagen"
TOKEN_BYTES = 32
# A token is 43 characters; anything much longer is not one (and is not hashed).
TOKEN_MAX_LENGTH = 100
# Past activities stay in the feed this long after their last date (calendars keep history).
HISTORY_DAYS = 90
CANCELLED_KEPT_DAYS = 90
# How often a subscribed calendar should fetch the feed again (a hint; clients decide).
REFRESH = timedelta(hours=1)
REFRESH_TEXT = "PT1H"  # the same, for Outlook's X-PUBLISHED-TTL

Owner = Institution | Organisation


@dataclass(frozen=True)
class NewFeed:
    """A feed just made: the plain ``token`` exists only here, to be shown once."""

    feed: CalendarFeed
    token: str
    renewed: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _owner_condition(owner: Owner) -> Any:
    if isinstance(owner, Institution):
        return CalendarFeed.institution_id == owner.id
    return CalendarFeed.organisation_id == owner.id


def _owner_type(owner: Owner) -> str:
    return "institution" if isinstance(owner, Institution) else "organisation"


def active_feed(owner: Owner) -> CalendarFeed | None:
    """The owner's current (not revoked) feed, if it has one."""
    return db.session.scalar(
        select(CalendarFeed)
        .where(_owner_condition(owner), CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.created_at.desc())
        .limit(1)
    )


def _lock_owner(owner: Owner) -> None:
    # Two renewals at once must not leave two live addresses (PostgreSQL; SQLite has one
    # writer anyway).
    model = type(owner)
    db.session.execute(select(model.id).where(model.id == owner.id).with_for_update())


def create(owner: Owner, actor: User) -> NewFeed:
    """Make a new feed address for ``owner``, revoking the one it had (if any); audited.

    Returns the plain token once; only its hash is stored."""
    _lock_owner(owner)
    now = utcnow()
    revoked = list(
        db.session.scalars(
            update(CalendarFeed)
            .where(_owner_condition(owner), CalendarFeed.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(CalendarFeed.id)
        )
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = CalendarFeed(token_hash=hash_token(token), created_by_id=actor.id, created_at=now)
    if isinstance(owner, Institution):
        feed.institution_id = owner.id
    else:
        feed.organisation_id = owner.id
    db.session.add(feed)
    db.session.flush()
    audit.record(
        "calendar_feed.renew" if revoked else "calendar_feed.create",
        object_type=_owner_type(owner),
        object_id=owner.id,
        details={"feed": str(feed.id), "revoked": [str(i) for i in revoked]},
    )
    return NewFeed(feed, token, bool(revoked))


def resolve(token: str) -> CalendarFeed | None:
    """The live feed of ``token``, or None (unknown, revoked, or not a token at all)."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return db.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_(None)
        )
    )


def owner_of(feed: CalendarFeed) -> Owner | None:
    if feed.institution_id is not None:
        return db.session.get(Institution, feed.institution_id)
    return db.session.get(Organisation, feed.organisation_id)


# --- which activities ------------------------------------------------------------------------


def _approved_once() -> Any:
    return (
        select(ActivityEvent.id)
        .where(ActivityEvent.activity_id == Activity.id, ActivityEvent.action == "approve")
        .exists()
    )


def activities_of(feed: CalendarFeed, now: datetime | None = None) -> list[Activity]:
    """The activities the feed holds: approved ones whose last date is at most
    HISTORY_DAYS old, and those approved once and no longer, at most CANCELLED_KEPT_DAYS old."""
    today = volunteer_status.today(now)
    last_date = func.coalesce(Activity.until_date, Activity.first_date)
    owner = (
        Activity.institution_id == feed.institution_id
        if feed.institution_id is not None
        else Activity.organisation_id == feed.organisation_id
    )
    approved = (Activity.state == ActivityState.APPROVED) & (
        last_date >= today - timedelta(days=HISTORY_DAYS)
    )
    gone = (
        (Activity.state != ActivityState.APPROVED)
        & (last_date >= today - timedelta(days=CANCELLED_KEPT_DAYS))
        & _approved_once()
    )
    return list(
        db.session.scalars(
            calendar_query()
            .where(owner, approved | gone)
            .order_by(Activity.first_date, Activity.id)
        )
    )


# --- the iCalendar ---------------------------------------------------------------------------


def copenhagen_vtimezone() -> Timezone:
    """Europe/Copenhagen as the EU rule (last Sunday of March 02:00 to summer time, last Sunday
    of October 03:00 back), the form calendar programs themselves write; a test holds it to
    the zoneinfo database."""
    zone = Timezone()
    zone.add("tzid", TZID)
    summer = TimezoneDaylight()
    summer.add("dtstart", datetime(1970, 3, 29, 2, 0))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1SU"})
    summer.add("tzoffsetfrom", timedelta(hours=1))
    summer.add("tzoffsetto", timedelta(hours=2))
    summer.add("tzname", "CEST")
    winter = TimezoneStandard()
    winter.add("dtstart", datetime(1970, 10, 25, 3, 0))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1SU"})
    winter.add("tzoffsetfrom", timedelta(hours=2))
    winter.add("tzoffsetto", timedelta(hours=1))
    winter.add("tzname", "CET")
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=COPENHAGEN)


def uid_of(activity: Activity) -> str:
    return f"{activity.id}@partnerportalen"


def _location(activity: Activity) -> str:
    institution = activity.institution
    parts = [institution.name]
    if activity.section is not None:
        parts.append(activity.section.name)
    parts += [activity.place, institution.full_address]
    return ", ".join(part.strip() for part in parts if part and part.strip())


def _description(activity: Activity, for_institution: bool) -> str:
    # No names: a feed is copied into whatever calendar service subscribes to it, so it says
    # how many come; who they are is on the gate list in the portal.
    lines = []
    blocked = sum(1 for p in activity.participants if p.blocked_at is not None)
    if for_institution:
        lines.append(_("Organisation: %(name)s", name=activity.organisation.name))
    else:
        lines.append(_("Institution: %(name)s", name=activity.institution.name))
    lines.append(_("Antal deltagere: %(num)d", num=len(activity.participants) - blocked))
    if blocked:
        lines.append(
            ngettext(
                "%(num)d deltager må ikke deltage; se portalen eller portlisten.",
                "%(num)d deltagere må ikke deltage; se portalen eller portlisten.",
                blocked,
            )
        )
    if for_institution and activity.escort_arranged:
        lines.append(_("Ledsagelse af personale er aftalt."))
    if activity.state != ActivityState.APPROVED:
        lines.append(_("Aktiviteten er ikke længere godkendt."))
    if "activities.activity" in current_app.view_functions:
        lines.append(mail.external_url("activities.activity", activity_id=activity.id))
    return "\n".join(lines)


def event_of(activity: Activity, *, for_institution: bool, stamp: datetime) -> Event | None:
    """The VEVENT of one activity (None if its stored dates cannot be read)."""
    from portal.services import activities

    try:
        days = activities.dates_of(activity)
        instants(days[-1], activity.start_time, activity.end_time)
    except RecurrenceError:
        return None
    approved = activity.state == ActivityState.APPROVED
    event = Event()
    event.add("uid", uid_of(activity))
    event.add("dtstamp", stamp)
    event.add("created", activity.created_at)
    event.add("sequence", activity.sequence)
    event.add("status", "CONFIRMED" if approved else "CANCELLED")
    title = activity.title if approved else _("Aflyst: %(title)s", title=activity.title)
    event.add("summary", title)
    event.add("dtstart", _local(activity.first_date, activity.start_time))
    event.add("dtend", _local(activity.first_date, activity.end_time))
    if activity.recurrence_kind != "once":
        # UNTIL is a UTC instant when DTSTART has a TZID (RFC 5545 3.3.10): the last date's start.
        until, _end = instants(days[-1], activity.start_time, activity.end_time)
        rule: dict[str, Any] = {"freq": "weekly", "until": until}
        if activity.recurrence_kind == "biweekly":
            rule["interval"] = 2
        event.add("rrule", rule)
        left_out = sorted(d for d in activity.exception_dates if d < days[-1])
        if left_out:
            event.add("exdate", [_local(d, activity.start_time) for d in left_out])
    location = _location(activity)
    if location:
        event.add("location", location)
    event.add("description", _description(activity, for_institution))
    return event


def calendar_name(owner: Owner) -> str:
    return _(
        "%(portal)s: %(name)s", portal=current_app.config["PORTAL"]["PORTAL_NAME"], name=owner.name
    )


def build(feed: CalendarFeed, now: datetime | None = None) -> bytes:
    """The feed as iCalendar bytes (UTF-8, CRLF lines)."""
    now = now or utcnow()
    owner = owner_of(feed)
    if owner is None:  # the owner was deleted: its feeds cascade away; never reached
        raise LookupError("calendar feed without owner")
    cal = Calendar()
    cal.add("prodid", "-//Partnerportalen//Kalender//DA")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", calendar_name(owner))
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", REFRESH_TEXT)
    cal.add_component(copenhagen_vtimezone())
    for_institution = feed.institution_id is not None
    for activity in activities_of(feed, now):
        event = event_of(activity, for_institution=for_institution, stamp=now)
        if event is not None:
            cal.add_component(event)
    return cal.to_ical()
