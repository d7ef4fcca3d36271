"""The activity pages: the organisation's list and proposal form (NGO staff), the deciders'
queue (institution contacts and caseworkers), and one activity of organisation A at Storstrøm
Fængsel (area office Øst), waiting for a decision.

The list answers NGO staff, the admin and the DPO (who read every activity) and sends deciders
to their queue (302). The activity is seen by A's staff, by its deciders (Storstrøm's contact
and Øst's caseworkers), the admin and the DPO; B's admin and Vest's caseworker get 404 (another
tenant's record, audited), the rest 403 from the role gate. The change form is for A's staff
only; the admin and DPO read, they do not act (403 from the role gate on the POSTs). A POST with
an empty body is an invalid form (400).
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    Institution,
    Organisation,
    Volunteer,
)
from portal.services.volunteer_status import today
from tests.matrix import LOGIN_REDIRECT, Route, fixed, only
from tests.roles import ALL_ROLES, ANONYMOUS

NGO_STAFF = {"ngo_a_admin", "ngo_a_member", "ngo_b_admin"}
DECIDERS = {"caseworker_ost", "caseworker_vest", "institution"}
READERS = {"admin", "dpo"}
# Who sees the activity of organisation A at Storstrøm Fængsel.
SEES_ACTIVITY = {"ngo_a_admin", "ngo_a_member", "caseworker_ost", "institution", "admin", "dpo"}


def on_activity(gate: set[str], status: int) -> dict[str, int]:
    """``status`` for those past the role ``gate`` who see the activity, 404 for those past
    the gate who do not (another tenant's), 403 for the rest, login for anonymous."""
    expected: dict[str, int] = {ANONYMOUS: LOGIN_REDIRECT}
    for role in ALL_ROLES:
        if role == ANONYMOUS:
            continue
        if role not in gate:
            expected[role] = 403
        else:
            expected[role] = status if role in SEES_ACTIVITY else 404
    return expected


def index_expected() -> dict[str, int]:
    expected = only(NGO_STAFF | READERS, 200)
    expected.update(dict.fromkeys(DECIDERS, 302))
    return expected


def world(session: Session) -> dict[str, Any]:
    """A proposal of organisation A at Storstrøm Fængsel, waiting for a decision (made
    directly: the matrix tests who reaches the pages, not the rules)."""
    organisation = session.scalar(
        select(Organisation).where(Organisation.name == "Foreningen Nyt Netværk")
    )
    institution = session.scalar(select(Institution).where(Institution.name == "Storstrøm Fængsel"))
    volunteer = session.scalar(select(Volunteer).where(Volunteer.name == "Mette Hansen"))
    assert organisation is not None and institution is not None and volunteer is not None
    activity = Activity(
        organisation_id=organisation.id,
        institution_id=institution.id,
        kind=ActivityKind.LEISURE,
        title="Matrixaktivitet",
        first_date=today() + timedelta(days=40),
        start_time=time(18),
        end_time=time(20),
        escort_arranged=True,
    )
    activity.participants = [ActivityParticipant(volunteer_id=volunteer.id)]
    session.add(activity)
    session.commit()
    return {"activity_a": activity.id}


def _activity(suffix: str = "") -> Any:
    return lambda w: f"/aktiviteter/{w['activity_a']}{suffix}"


STAFF_GATE = NGO_STAFF
ACT_GATE = NGO_STAFF | DECIDERS
VIEW_GATE = NGO_STAFF | DECIDERS | READERS

ROUTES: list[Route] = [
    Route("GET", "activities.index", fixed("/aktiviteter"), index_expected()),
    Route("GET", "activities.new", fixed("/aktiviteter/ny"), only(NGO_STAFF, 200)),
    Route("POST", "activities.new", fixed("/aktiviteter/ny"), only(NGO_STAFF, 400)),
    Route("GET", "activities.queue", fixed("/aktiviteter/behandling"), only(DECIDERS, 200)),
    Route("GET", "activities.activity", _activity(), on_activity(VIEW_GATE, 200)),
    Route("GET", "activities.edit", _activity("/ret"), on_activity(STAFF_GATE, 200)),
    Route("POST", "activities.edit", _activity("/ret"), on_activity(STAFF_GATE, 400)),
    Route("POST", "activities.act", _activity("/handling"), on_activity(ACT_GATE, 400)),
    Route("POST", "activities.message", _activity("/besked"), on_activity(ACT_GATE, 400)),
]
