"""The organisation's volunteer pages: NGO staff only, and a volunteer only for its own
organisation's staff.

The list pages answer every NGO admin or member (each sees their own organisation's
volunteers); everyone else is stopped by the role gate (403). The pages of one volunteer of
organisation A answer A's admin and member; B's admin gets 404 (another tenant's record,
audited), the other roles 403 from the role gate. A POST with an empty body is an invalid form
(400); the link and renewal buttons have no fields, so they act (or refuse with a message) and
redirect (302).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Organisation, Volunteer
from portal.services import volunteer_links
from tests.matrix import Route, fixed, only
from tests.roles import ALL_ROLES, ANONYMOUS

NGO_STAFF = {"ngo_a_admin", "ngo_a_member", "ngo_b_admin"}


def org_a_volunteer(status: int) -> dict[str, int]:
    """``status`` for A's staff, 404 for B's admin, 403 for the rest, login for anonymous."""
    expected = only(NGO_STAFF, status)
    expected["ngo_b_admin"] = 404
    assert set(expected) == set(ALL_ROLES) and expected[ANONYMOUS] == 302
    return expected


def world(session: Session) -> dict[str, Any]:
    """An invited volunteer of organisation A (committed in the test's transaction)."""
    organisation = session.scalar(
        select(Organisation).where(Organisation.name == "Foreningen Nyt Netværk")
    )
    assert organisation is not None
    volunteer = Volunteer(
        organisation_id=organisation.id,
        name="Matrix Frivillig",
        email="matrix.frivillig@example.org",
        birth_date=date(1990, 1, 1),
    )
    volunteer_links.new_link(volunteer)
    session.add(volunteer)
    session.commit()
    return {"volunteers_a": volunteer.id}


def _volunteer(suffix: str = "") -> Any:
    return lambda w: f"/frivillige/{w['volunteers_a']}{suffix}"


ROUTES: list[Route] = [
    Route("GET", "volunteers.index", fixed("/frivillige"), only(NGO_STAFF, 200)),
    Route("GET", "volunteers.export_csv", fixed("/frivillige/eksport.csv"), only(NGO_STAFF, 200)),
    Route("GET", "volunteers.new", fixed("/frivillige/ny"), only(NGO_STAFF, 200)),
    Route("POST", "volunteers.new", fixed("/frivillige/ny"), only(NGO_STAFF, 400)),
    Route("GET", "volunteers.import_csv", fixed("/frivillige/import"), only(NGO_STAFF, 200)),
    Route("POST", "volunteers.import_csv", fixed("/frivillige/import"), only(NGO_STAFF, 400)),
    Route(
        "GET",
        "volunteers.csv_template",
        fixed("/frivillige/import/skabelon.csv"),
        only(NGO_STAFF, 200),
    ),
    Route("GET", "volunteers.detail", _volunteer(), org_a_volunteer(200)),
    # a new link for the invited volunteer
    Route("POST", "volunteers.resend_invitation", _volunteer("/invitation"), org_a_volunteer(302)),
    Route("GET", "volunteers.add_preparation", _volunteer("/forberedelse"), org_a_volunteer(200)),
    Route("POST", "volunteers.add_preparation", _volunteer("/forberedelse"), org_a_volunteer(400)),
    # an invited volunteer has nothing to renew: refused with a message, back to the page
    Route("POST", "volunteers.renew", _volunteer("/fornyelse"), org_a_volunteer(302)),
]
