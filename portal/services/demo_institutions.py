"""Demo details for a few institutions: an address, visiting hours and contact people, and one
open prison split into an open and a closed section.

The details are made up for the demo (the e-mail addresses are under example.org and none is a
demo login). Idempotent and careful: a field the admin has filled in is never overwritten, a
contact person or section that exists by name is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Institution, InstitutionContact, InstitutionSection, SecurityLevel


@dataclass(frozen=True)
class DemoContact:
    name: str
    title: str
    email: str
    phone: str


@dataclass(frozen=True)
class DemoDetails:
    address: str
    postal_code: str
    city: str
    phone: str
    email: str
    visiting_hours: str
    contacts: tuple[DemoContact, ...] = ()
    sections: tuple[tuple[str, str], ...] = ()  # (name, security level code)


DEMO_DETAILS: dict[str, DemoDetails] = {
    "Vestre Fængsel": DemoDetails(
        "Vigerslev Allé 1",
        "2450",
        "København SV",
        "72 55 10 00",
        "besoeg.vestre@example.org",
        "Mandag-fredag 9.30-11.30 og 13-15.30\nLørdag 9.30-11.30\nAftal besøg senest dagen før.",
        (
            DemoContact(
                "Lene Holm", "Besøgskoordinator", "lene.holm.vestre@example.org", "72 55 10 21"
            ),
            DemoContact(
                "Kasper Dahl",
                "Fængselsfunktionær, aktiviteter",
                "kasper.dahl.vestre@example.org",
                "",
            ),
        ),
    ),
    "Horserød Fængsel": DemoDetails(
        "Gurrevej 90",
        "3000",
        "Helsingør",
        "72 55 20 00",
        "besoeg.horseroed@example.org",
        "Mandag-torsdag 16-20\nWeekend og helligdage 10-16",
        (
            DemoContact(
                "Nadia Sørensen",
                "Koordinator for frivillige",
                "nadia.soerensen.horseroed@example.org",
                "72 55 20 31",
            ),
        ),
        # An open prison with a closed section: the closed section's stricter rules apply there.
        (("Åben afdeling", "aaben"), ("Lukket afdeling", "lukket")),
    ),
    "Storstrøm Fængsel": DemoDetails(
        "Nystedvej 75",
        "4894",
        "Øster Ulslev",
        "72 55 30 00",
        "besoeg.storstroem@example.org",
        "Tirsdag-torsdag 13-16\nLørdag og søndag 10-15\nBesøg bookes hos besøgskontoret.",
        (
            DemoContact(
                "Peter Winther",
                "Afdelingsleder",
                "peter.winther.storstroem@example.org",
                "72 55 30 12",
            ),
            DemoContact(
                "Hanne Krogh",
                "Besøgskontoret",
                "hanne.krogh.storstroem@example.org",
                "72 55 30 40",
            ),
        ),
    ),
    "Østjyllands Fængsel": DemoDetails(
        "Ringvej 1",
        "8700",
        "Horsens",
        "72 55 40 00",
        "besoeg.oestjylland@example.org",
        "Mandag-fredag 13-16\nLørdag 10-14",
        (
            DemoContact(
                "Mikkel Bach",
                "Koordinator for frivillige",
                "mikkel.bach.oestjylland@example.org",
                "72 55 40 15",
            ),
        ),
    ),
    "Enner Mark Fængsel": DemoDetails(
        "Enner Mark Allé 2",
        "8700",
        "Horsens",
        "72 55 41 00",
        "besoeg.ennermark@example.org",
        "Onsdag 17-20\nLørdag og søndag 10-16",
        (DemoContact("Sofie Lauridsen", "Socialrådgiver", "", "72 55 41 22"),),
    ),
    "Aalborg Arrest": DemoDetails(
        "Kong Hans Gade 1",
        "9000",
        "Aalborg",
        "72 55 50 00",
        "besoeg.aalborg@example.org",
        "Mandag-fredag 9-11.30",
    ),
}

DETAIL_FIELDS = ("address", "postal_code", "city", "phone", "email", "visiting_hours")


def seed_institution_details(session: Session) -> dict[str, int]:
    """Give the demo institutions their details, contacts and sections; returns what it added.

    Safe to run again: nothing that exists is changed.
    """
    added = {"institutions": 0, "contacts": 0, "sections": 0}
    levels = {level.code: level for level in session.scalars(select(SecurityLevel))}
    for name, demo in DEMO_DETAILS.items():
        institution = session.scalar(select(Institution).where(Institution.name == name))
        if institution is None:
            continue  # the admin renamed or removed it
        filled = False
        for field in DETAIL_FIELDS:
            if not getattr(institution, field):
                setattr(institution, field, getattr(demo, field))
                filled = True
        added["institutions"] += filled
        known = {contact.name for contact in institution.contacts}
        for contact in demo.contacts:
            if contact.name not in known:
                institution.contacts.append(
                    InstitutionContact(
                        name=contact.name,
                        title=contact.title,
                        email=contact.email,
                        phone=contact.phone,
                    )
                )
                added["contacts"] += 1
        sections = {section.name for section in institution.sections}
        for section_name, level_code in demo.sections:
            if section_name not in sections and level_code in levels:
                institution.sections.append(
                    InstitutionSection(
                        name=section_name, security_level_id=levels[level_code].id, active=True
                    )
                )
                added["sections"] += 1
    session.flush()
    return added
