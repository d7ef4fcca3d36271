"""Demo data for development and the browser tests: accounts for every role and a few cases.

Only `flask portal seed-demo` calls this; no migration ever creates accounts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal import db
from portal.db import utcnow
from portal.models import (
    AccountToken,
    AreaOffice,
    Document,
    EffortKind,
    EventKind,
    Institution,
    Municipality,
    Organisation,
    OrganisationEvent,
    OrganisationState,
    OwnerType,
    Role,
    RoleAssignment,
    TermsAcceptance,
    User,
)
from portal.services import accounts, documents, onboarding

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - published in the README on purpose


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: Role
    scope: str = ""  # organisation key, area office code or institution name
    description: str = ""


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin@example.org", "Anne Admin", Role.ADMIN, "", "admin"),
    DemoAccount(
        "caseworker.ost@example.org",
        "Søren Østergaard",
        Role.CASEWORKER,
        "ost",
        "caseworker, area office Øst",
    ),
    DemoAccount(
        "caseworker.vest@example.org",
        "Vibeke Vestergaard",
        Role.CASEWORKER,
        "vest",
        "caseworker, area office Vest",
    ),
    DemoAccount(
        "institution@example.org",
        "Ib Iversen",
        Role.INSTITUTION_CONTACT,
        "Storstrøm Fængsel",
        "institution contact, Storstrøm Fængsel (closed prison, Øst)",
    ),
    DemoAccount("grants@example.org", "Gitte Grøn", Role.GRANT_OFFICER, "", "grant officer"),
    DemoAccount("reviewer@example.org", "Rasmus Riis", Role.REVIEWER, "", "reviewer"),
    DemoAccount("dpo@example.org", "Dorthe Dahl", Role.DPO, "", "DPO"),
    DemoAccount(
        "ngo-a.admin@example.org",
        "Amalie Andersen",
        Role.NGO_ADMIN,
        "A",
        "NGO admin, organisation A (Øst)",
    ),
    DemoAccount(
        "ngo-a.member@example.org",
        "Mads Madsen",
        Role.NGO_MEMBER,
        "A",
        "NGO member, organisation A",
    ),
    DemoAccount(
        "ngo-b.admin@example.org",
        "Bente Bach",
        Role.NGO_ADMIN,
        "B",
        "NGO admin, organisation B (Vest)",
    ),
    DemoAccount(
        "volunteer@example.org", "Mette Hansen", Role.VOLUNTEER, "A", "volunteer, organisation A"
    ),
)


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    cvr: str  # valid with the modulus-11 check
    municipality: str
    state: OrganisationState
    days_waiting: int
    address: str
    postal_code: str
    city: str
    purpose: str
    intent: str
    efforts: tuple[EffortKind, ...] = ()
    listed: bool = False
    institutions: tuple[str, ...] = ()
    message: str = ""  # the caseworker's request for more information


DEMO_ORGANISATIONS = {
    "A": DemoOrganisation(
        "Foreningen Nyt Netværk",
        "10000009",
        "København",
        OrganisationState.APPROVED,
        90,
        "Nørrebrogade 12",
        "2200",
        "København N",
        "Vi skaber netværk og fællesskab for mennesker, der er på vej ud af kriminalitet.",
        "Besøgsvenner i arresthuse og netværksgrupper for løsladte.",
        (EffortKind.VISITING_FRIEND, EffortKind.NETWORK),
        True,
        ("Vestre Fængsel", "Storstrøm Fængsel"),
    ),
    "B": DemoOrganisation(
        "Vestjyske Besøgsvenner",
        "20000007",
        "Aarhus",
        OrganisationState.APPROVED,
        60,
        "Søndergade 4",
        "8000",
        "Aarhus C",
        "Frivillige besøgsvenner for indsatte i Jylland.",
        "Besøgsvenner i Østjyllands Fængsel og Enner Mark Fængsel.",
        (EffortKind.VISITING_FRIEND,),
        True,
        ("Østjyllands Fængsel", "Enner Mark Fængsel"),
    ),
    "C": DemoOrganisation(
        "Gældsrådgivning Sjælland",
        "30000005",
        "Roskilde",
        OrganisationState.SUBMITTED,
        6,
        "Algade 20",
        "4000",
        "Roskilde",
        "Gratis gældsrådgivning ved frivillige jurister og økonomer.",
        "Gældsrådgivning for indsatte før løsladelse.",
        (EffortKind.DEBT_COUNSELLING,),
    ),
    "D": DemoOrganisation(
        "Fynske Mentorer",
        "40000003",
        "Odense",
        OrganisationState.IN_REVIEW,
        12,
        "Vestergade 7",
        "5000",
        "Odense C",
        "Mentorforløb for unge, der vil ud af kriminalitet.",
        "Mentorer for unge i Kriminalforsorgen i Frihed.",
        (EffortKind.MENTOR,),
    ),
    "E": DemoOrganisation(
        "Kreativt Fællesskab",
        "50000001",
        "Næstved",
        OrganisationState.MORE_INFORMATION,
        20,
        "Axeltorv 3",
        "4700",
        "Næstved",
        "Kreative værksteder og fællesskab.",
        "Kreative værksteder i Næstved Arrest.",
        (EffortKind.LEISURE,),
        message="Vil I sende jeres seneste regnskab? Det vedhæftede er fra 2022.",
    ),
}


def _organisations() -> dict[str, Organisation]:
    created = {}
    for key, demo in DEMO_ORGANISATIONS.items():
        existing = db.session.scalar(select(Organisation).where(Organisation.cvr == demo.cvr))
        if existing is not None:
            created[key] = existing
            continue
        municipality = db.session.scalar(
            select(Municipality).where(Municipality.name == demo.municipality)
        )
        assert municipality is not None, "load the reference data first"
        submitted = utcnow() - timedelta(days=demo.days_waiting)
        organisation = Organisation(
            name=demo.name,
            cvr=demo.cvr,
            municipality_id=municipality.id,
            area_office_id=municipality.area_office_id,
            state=demo.state,
            submitted_at=submitted,
            address=demo.address,
            postal_code=demo.postal_code,
            city=demo.city,
            purpose=demo.purpose,
            cooperation_intent=demo.intent,
            effort_kinds=[e.value for e in demo.efforts],
            directory_listed=demo.listed,
            directory_summary=demo.purpose if demo.listed else "",
            directory_how_to_volunteer="Skriv til os, så inviterer vi dig til en introaften."
            if demo.listed
            else "",
            directory_email=f"frivillig@{demo.cvr}.example.org" if demo.listed else "",
            decided_at=submitted + timedelta(days=14)
            if demo.state == OrganisationState.APPROVED
            else None,
            institutions=list(
                db.session.scalars(
                    select(Institution).where(Institution.name.in_(demo.institutions))
                )
            ),
        )
        if demo.state in (OrganisationState.IN_REVIEW, OrganisationState.MORE_INFORMATION):
            # The case was taken by a caseworker of its office.
            organisation.handled_by_id = db.session.scalar(
                select(User.id)
                .join(RoleAssignment, RoleAssignment.user_id == User.id)
                .where(RoleAssignment.area_office_id == municipality.area_office_id)
                .limit(1)
            )
        db.session.add(organisation)
        db.session.flush()
        _history(organisation, demo, submitted)
        created[key] = organisation
    db.session.flush()
    return created


def _history(organisation: Organisation, demo: DemoOrganisation, submitted: datetime) -> None:
    """A believable case history: sent, and for some taken, asked, approved."""
    steps = [("submit", "draft", "submitted", "", 0)]
    if demo.state in (
        OrganisationState.IN_REVIEW,
        OrganisationState.MORE_INFORMATION,
        OrganisationState.APPROVED,
    ):
        steps.append(("take", "submitted", "in_review", "", 1))
    if demo.state == OrganisationState.MORE_INFORMATION:
        steps.append(("request_information", "in_review", "more_information", demo.message, 2))
    if demo.state == OrganisationState.APPROVED:
        steps.append(("approve", "in_review", "approved", "", 14))
    for action, before, after, text, day in steps:
        db.session.add(
            OrganisationEvent(
                organisation_id=organisation.id,
                kind=EventKind.TRANSITION,
                action=action,
                from_state=before,
                to_state=after,
                text=text,
                created_at=submitted + timedelta(days=day),
            )
        )
    for version in onboarding.current_terms():
        db.session.add(
            TermsAcceptance(
                organisation_id=organisation.id, terms_version_id=version.id, accepted_at=submitted
            )
        )


def seed_demo() -> list[DemoAccount]:
    """Create the demo organisations and accounts that do not exist yet; return the accounts."""
    organisations = _organisations()
    for account in DEMO_ACCOUNTS:
        user = accounts.find_user_by_email(account.email) or accounts.create_user(
            account.email, account.name, DEMO_PASSWORD
        )
        scope: dict[str, object] = {}
        if account.role.scope == "organisation_id":
            scope["organisation_id"] = organisations[account.scope].id
        elif account.role.scope == "area_office_id":
            scope["area_office_id"] = db.session.scalar(
                select(AreaOffice.id).where(AreaOffice.code == account.scope)
            )
        elif account.role.scope == "institution_id":
            scope["institution_id"] = db.session.scalar(
                select(Institution.id).where(Institution.name == account.scope)
            )
        accounts.grant_role(user, account.role, **scope)  # type: ignore[arg-type]
    ngo_admin = accounts.find_user_by_email("ngo-a.admin@example.org")
    assert ngo_admin is not None
    for key, organisation in organisations.items():
        _demo_documents(organisation, ngo_admin if key == "A" else None)
    from portal.services.demo_volunteers import seed_volunteers

    seed_volunteers(organisations["A"])
    from portal.services.demo_activities import seed_demo_activities
    from portal.services.demo_institutions import seed_institution_details

    seed_institution_details(db.session)
    seed_demo_activities()
    from portal.services.demo_grants import seed_demo_grants

    seed_demo_grants()
    from portal.services.demo_grant_assessment import seed_demo_grant_assessment

    seed_demo_grant_assessment()
    from portal.services.demo_privacy import seed_demo_privacy

    seed_demo_privacy()
    if (
        accounts.find_user_by_email("ny.kollega@example.org") is None
        and not _has_pending_invitation()
    ):
        accounts.invite(
            "ny.kollega@example.org",
            "Nina Nielsen",
            Role.NGO_MEMBER,
            invited_by=ngo_admin,
            organisation_id=organisations["A"].id,
        )
    return list(DEMO_ACCOUNTS)


# The smallest PDF a viewer opens: one empty A4 page.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _demo_documents(organisation: Organisation, uploaded_by: User | None) -> None:
    """Statutes and an annual report for each demo organisation (one small PDF each)."""
    exists = db.session.scalar(
        select(Document.id).where(Document.owner_id == organisation.id).limit(1)
    )
    if exists is not None:
        return
    for purpose, filename, description in (
        ("statutes", "Vedtægter 2025.pdf", "Vedtaget på den stiftende generalforsamling"),
        ("annual_report", "Årsregnskab 2024.pdf", ""),
    ):
        documents.store(
            FileStorage(stream=io.BytesIO(DEMO_PDF), filename=filename),
            owner_type=OwnerType.ORGANISATION,
            owner_id=organisation.id,
            purpose=purpose,
            uploaded_by=uploaded_by,
            description=description,
        )


def _has_pending_invitation() -> bool:
    return (
        db.session.scalar(
            select(AccountToken.id).where(AccountToken.email == "ny.kollega@example.org")
        )
        is not None
    )


def database_is_empty() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is None
