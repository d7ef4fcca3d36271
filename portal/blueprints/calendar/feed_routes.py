"""The secret calendar feed addresses: making or renewing one (a POST that shows the new
address once), and the feed itself for calendar programs.

The feed is public (calendar programs do not log in) and answers only to a live token:
anything else is a plain 404 that tells nothing. It is never stored by a cache
(``no-store, private``), and reads are not audited one by one; making and renewing are
(``calendar_feeds.create``).
"""

from __future__ import annotations

import uuid

from flask import abort, make_response, render_template, url_for
from werkzeug.wrappers import Response

from portal import mail
from portal.auth.permissions import (
    can_manage_institution_feed,
    can_manage_organisation_feed,
    get_calendar_institution_or_404,
    get_calendar_organisation_or_404,
    public,
    roles_required,
)
from portal.blueprints.calendar.forms import FeedForm
from portal.blueprints.calendar.routes import (
    INSTITUTION_ROLES,
    ORGANISATION_ROLES,
    _user,
    bp,
)
from portal.models import Institution, Organisation
from portal.services import calendar_feeds


def _created(owner: Institution | Organisation, back: str) -> tuple[str, int]:
    form = FeedForm()
    if not form.validate_on_submit():
        abort(400)
    made = calendar_feeds.create(owner, _user())
    address = mail.external_url("calendar.feed", token=made.token)
    return render_template(
        "calendar/feed_created.html",
        owner=owner,
        address=address,
        webcal="webcal://" + address.split("://", 1)[-1],
        renewed=made.renewed,
        back=back,
    ), 200


@bp.post("/kalender/institution/<uuid:institution_id>/feed")
@roles_required(*INSTITUTION_ROLES)
def institution_feed(institution_id: uuid.UUID) -> tuple[str, int]:
    place = get_calendar_institution_or_404(institution_id)
    if not can_manage_institution_feed(_user(), place):
        abort(403)
    return _created(place, url_for("calendar.institution", institution_id=place.id))


@bp.post("/kalender/organisation/<uuid:organisation_id>/feed")
@roles_required(*ORGANISATION_ROLES)
def organisation_feed(organisation_id: uuid.UUID) -> tuple[str, int]:
    org = get_calendar_organisation_or_404(organisation_id)
    if not can_manage_organisation_feed(_user(), org):
        abort(403)
    return _created(org, url_for("calendar.organisation", organisation_id=org.id))


@bp.get("/kalender/feed/<token>.ics")
@public
def feed(token: str) -> Response:
    found = calendar_feeds.resolve(token)
    if found is None:
        abort(404)
    response = make_response(calendar_feeds.build(found))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="partnerportalen.ics"'
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
