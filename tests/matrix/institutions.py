"""Institutions: the admin's contact people and sections, and the read-only pages for staff and
approved organisations.

The admin pages answer only the admin (the admin blueprint's gate). A POST with an empty body
is an invalid form (400); removing a contact and switching a section on or off have no fields,
so they act and redirect (302).

The read-only pages answer the staff of approved organisations, caseworkers, institution
contacts, admin and DPO; the volunteer, grant officer and reviewer are stopped by the role
gate (403). An inactive institution is hidden (404, audited) from everyone but admin, DPO and
its deciders: here the caseworkers of area office Øst.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import (
    AreaOffice,
    Institution,
    InstitutionContact,
    InstitutionKind,
    InstitutionSection,
    SecurityLevel,
)
from tests.matrix import ADMIN, Route, fixed, only

READERS = {
    "ngo_a_admin",
    "ngo_a_member",
    "ngo_b_admin",
    "caseworker_ost",
    "caseworker_vest",
    "institution",
    "dpo",
    "admin",
}
# An inactive institution in area office Øst: its deciders, admin and DPO.
SEES_INACTIVE_OST = {"caseworker_ost", "dpo", "admin"}


def inactive_institution(status: int) -> dict[str, int]:
    expected = only(READERS, status)
    for role in READERS - SEES_INACTIVE_OST:
        expected[role] = 404
    return expected


def world(session: Session) -> dict[str, Any]:
    """A contact person and a section at Storstrøm Fængsel, and an inactive institution in Øst
    (committed in the test's transaction)."""
    storstrom = session.scalar(select(Institution).where(Institution.name == "Storstrøm Fængsel"))
    assert storstrom is not None
    closed = session.scalar(select(SecurityLevel).where(SecurityLevel.code == "lukket"))
    ost = session.scalar(select(AreaOffice).where(AreaOffice.code == "ost"))
    assert closed is not None and ost is not None
    contact = InstitutionContact(
        institution_id=storstrom.id,
        name="Matrix Kontaktperson",
        title="Besøgskoordinator",
        email="matrix.kontaktperson@example.org",
        phone="72 55 99 99",
    )
    section = InstitutionSection(
        institution_id=storstrom.id, name="Matrix-afdeling", security_level_id=closed.id
    )
    inactive = Institution(
        name="Matrix Lukket Institution",
        kind=InstitutionKind.CLOSED_PRISON,
        security_level_id=closed.id,
        area_office_id=ost.id,
        active=False,
    )
    session.add_all([contact, section, inactive])
    session.commit()
    return {
        "inst_storstrom": storstrom.id,
        "inst_contact": contact.id,
        "inst_section": section.id,
        "inst_inactive": inactive.id,
    }


def _admin(suffix: str) -> Any:
    return lambda w: f"/admin/institutioner/{w['inst_storstrom']}{suffix}"


def _contact(suffix: str = "") -> Any:
    return lambda w: (
        f"/admin/institutioner/{w['inst_storstrom']}/kontaktpersoner/{w['inst_contact']}{suffix}"
    )


def _section(suffix: str = "") -> Any:
    return lambda w: (
        f"/admin/institutioner/{w['inst_storstrom']}/afdelinger/{w['inst_section']}{suffix}"
    )


ROUTES: list[Route] = [
    # admin: contact people
    Route("POST", "admin.institution_contact_add", _admin("/kontaktpersoner"), only(ADMIN, 400)),
    Route("GET", "admin.institution_contact", _contact(), only(ADMIN, 200)),
    Route("POST", "admin.institution_contact_update", _contact(), only(ADMIN, 400)),
    Route("POST", "admin.institution_contact_remove", _contact("/fjern"), only(ADMIN, 302)),
    # admin: sections
    Route("POST", "admin.institution_section_add", _admin("/afdelinger"), only(ADMIN, 400)),
    Route("GET", "admin.institution_section", _section(), only(ADMIN, 200)),
    Route("POST", "admin.institution_section_update", _section(), only(ADMIN, 400)),
    Route("POST", "admin.institution_section_set_active", _section("/aktiv"), only(ADMIN, 302)),
    # the read-only pages
    Route("GET", "institutions.index", fixed("/institutioner"), only(READERS, 200)),
    Route(
        "GET",
        "institutions.institution",
        lambda w: f"/institutioner/{w['inst_storstrom']}",
        only(READERS, 200),
    ),
    Route(
        "GET",
        "institutions.institution",
        lambda w: f"/institutioner/{w['inst_inactive']}",
        inactive_institution(200),
    ),
]
