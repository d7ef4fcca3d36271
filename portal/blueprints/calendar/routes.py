"""Calendars of approved activities: the institution's (every organisation there) and the
organisation's own (every institution), as a month, a week or a list; and the gate's list of
who is coming on one day.

Without ``?visning=`` a calendar shows the month grid on a wide screen and the list on a
phone (CSS picks, no JavaScript). Institutions are loaded with
``get_calendar_institution_or_404`` (its deciders, admin, DPO) and organisations with
``get_calendar_organisation_or_404`` (its staff, admin, DPO): anyone else gets a 404, audited.
The dates and the layout are in ``portal.services.calendar``.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import db
from portal.auth.permissions import (
    can_manage_institution_feed,
    can_manage_organisation_feed,
    decidable_institution_ids,
    get_calendar_institution_or_404,
    get_calendar_organisation_or_404,
    roles_required,
)
from portal.blueprints.calendar.forms import FeedForm
from portal.db import utcnow
from portal.models import Institution, Organisation, Role, User
from portal.services import calendar, calendar_feeds

bp = Blueprint("calendar", __name__)

MONTH = "maaned"
WEEK = "uge"
LIST = "liste"
VIEWS = (MONTH, WEEK, LIST)

INSTITUTION_ROLES = (Role.INSTITUTION_CONTACT, Role.CASEWORKER, Role.ADMIN, Role.DPO)
ORGANISATION_ROLES = (Role.NGO_ADMIN, Role.NGO_MEMBER, Role.ADMIN, Role.DPO)
# Who chooses among several calendars rather than being sent straight to their own.
CHOOSERS = (Role.CASEWORKER, Role.ADMIN, Role.DPO)


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        # The activity page belongs to the activities blueprint; link to it when it is there.
        "activity_pages": "activities.activity" in current_app.view_functions,
        "views": {"month": MONTH, "week": WEEK, "list": LIST},
    }


# --- choosing a calendar ---------------------------------------------------------------------


def _choices(user: User) -> tuple[list[Organisation], list[Institution]]:
    own = user.scopes(Role.NGO_ADMIN) | user.scopes(Role.NGO_MEMBER)
    organisations = (
        list(
            db.session.scalars(
                select(Organisation).where(Organisation.id.in_(own)).order_by(Organisation.name)
            )
        )
        if own
        else []
    )
    query = select(Institution).where(Institution.active).order_by(Institution.name)
    if not user.has_role(Role.ADMIN, Role.DPO):
        query = query.where(Institution.id.in_(decidable_institution_ids(user)))
    return organisations, list(db.session.scalars(query))


@bp.get("/kalender")
@roles_required(*INSTITUTION_ROLES, *ORGANISATION_ROLES)
def index() -> Response | str:
    """Straight to the one calendar a person has; a list to choose from otherwise."""
    user = _user()
    organisations, institutions = _choices(user)
    if not user.has_role(*CHOOSERS) and len(organisations) + len(institutions) == 1:
        if organisations:
            return redirect(url_for("calendar.organisation", organisation_id=organisations[0].id))
        return redirect(url_for("calendar.institution", institution_id=institutions[0].id))
    return render_template(
        "calendar/index.html", organisations=organisations, institutions=institutions
    )


# --- a calendar ------------------------------------------------------------------------------


def _view() -> str | None:
    view = request.args.get("visning")
    return view if view in VIEWS else None


def _page(owner: Institution | Organisation, endpoint: str, **ids: Any) -> dict[str, Any]:
    """What the calendar template shows for ``owner`` in the chosen view and period."""
    view = _view()
    day = calendar.parse_day(request.args.get("dato"))
    is_institution = isinstance(owner, Institution)
    load = calendar.for_institution if is_institution else calendar.for_organisation

    def link(**args: Any) -> str:
        return url_for(endpoint, **ids, **{k: v for k, v in args.items() if v is not None})

    context: dict[str, Any] = {
        "owner": owner,
        "is_institution": is_institution,
        "view": view,
        "day": day,
        "today": calendar.today(),
    }
    if view == WEEK:
        first, last = calendar.week_range(day)
        week = calendar.week(day, load(owner.id, first, last))
        context.update(
            week=week,
            heading=_(
                "Uge %(week)s, %(first)s – %(last)s",
                week=week.number,
                first=format_date(first, "d. MMMM"),
                last=format_date(last, "d. MMMM y"),
            ),
            previous=link(visning=WEEK, dato=(first - timedelta(days=7)).isoformat()),
            next=link(visning=WEEK, dato=(first + timedelta(days=7)).isoformat()),
            previous_label=_("Forrige uge"),
            next_label=_("Næste uge"),
            current=link(visning=WEEK),
            current_label=_("Denne uge"),
        )
    else:
        first, last = calendar.month_range(day)
        entries = load(owner.id, first, last)
        month = calendar.month(day, entries)
        in_month = [e for e in entries if month.first <= e.day <= month.last]
        context.update(
            month=month,
            days=calendar.listed(in_month),
            heading=format_date(month.first, "LLLL y").capitalize(),
            previous=link(visning=view, dato=month.previous.isoformat()),
            next=link(visning=view, dato=month.next.isoformat()),
            previous_label=_("Forrige måned"),
            next_label=_("Næste måned"),
            current=link(visning=view),
            current_label=_("Denne måned"),
        )
    empty_week = view == WEEK and not any(d.entries for d in context["week"].days)
    if empty_week or not context.get("days", True):
        owner_key = "institution_id" if is_institution else "organisation_id"
        upcoming = calendar.next_day_after(last, **{owner_key: owner.id})
        if upcoming is not None:
            context["upcoming"] = (upcoming, link(visning=view, dato=upcoming.isoformat()))
    context["view_links"] = [
        (MONTH, _("Måned"), link(visning=MONTH, dato=day.isoformat())),
        (WEEK, _("Uge"), link(visning=WEEK, dato=day.isoformat())),
        (LIST, _("Liste"), link(visning=LIST, dato=day.isoformat())),
    ]
    return context


@bp.get("/kalender/institution/<uuid:institution_id>")
@roles_required(*INSTITUTION_ROLES)
def institution(institution_id: uuid.UUID) -> str:
    place = get_calendar_institution_or_404(institution_id)
    may_manage = bool(can_manage_institution_feed(_user(), place))
    return render_template(
        "calendar/calendar.html",
        **_page(place, "calendar.institution", institution_id=place.id),
        feed_form=FeedForm(formdata=None) if may_manage else None,
        feed_action=url_for("calendar.institution_feed", institution_id=place.id),
        feed=calendar_feeds.active_feed(place) if may_manage else None,
    )


@bp.get("/kalender/organisation/<uuid:organisation_id>")
@roles_required(*ORGANISATION_ROLES)
def organisation(organisation_id: uuid.UUID) -> str:
    org = get_calendar_organisation_or_404(organisation_id)
    may_manage = bool(can_manage_organisation_feed(_user(), org))
    return render_template(
        "calendar/calendar.html",
        **_page(org, "calendar.organisation", organisation_id=org.id),
        feed_form=FeedForm(formdata=None) if may_manage else None,
        feed_action=url_for("calendar.organisation_feed", organisation_id=org.id),
        feed=calendar_feeds.active_feed(org) if may_manage else None,
    )


# --- the gate --------------------------------------------------------------------------------


@bp.get("/kalender/institution/<uuid:institution_id>/port")
@roles_required(*INSTITUTION_ROLES)
def gate(institution_id: uuid.UUID) -> str:
    place = get_calendar_institution_or_404(institution_id)
    day: date = calendar.parse_day(request.args.get("dato"))
    return render_template(
        "calendar/gate.html",
        institution=place,
        day=day,
        entries=calendar.gate_list(place, day),
        printed=utcnow(),
        previous=url_for(
            "calendar.gate", institution_id=place.id, dato=(day - timedelta(days=1)).isoformat()
        ),
        next=url_for(
            "calendar.gate", institution_id=place.id, dato=(day + timedelta(days=1)).isoformat()
        ),
    )
