"""Demo activities of organisation A (Foreningen Nyt Netværk, area office Øst), made through
the same services as real ones (``activities.propose`` and ``activity_workflow.apply``), so
each has its history, audit entries and e-mails:

- an approved weekly visiting-friend activity at Vestre Fængsel with Mette Hansen;
- a proposal waiting for the decision at Storstrøm Fængsel (where the demo institution
  contact, institution@example.org, decides);
- a proposal at Horserød Fængsel that the area office has asked to change.

The dates count from today (the demo runs now), with the notice each institution requires.
Idempotent: an activity of the organisation with the same title is left as it is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import db
from portal.models import Activity, Institution, Organisation, User, Volunteer
from portal.services import accounts, activities, activity_workflow, volunteer_status
from portal.services.activities import Proposal, ProposalRefused

log = logging.getLogger(__name__)

ORGANISATION = "Foreningen Nyt Netværk"
PAPER = "Undervisningsmateriale på papir"
GAMES = "Spil uden elektronik"

TUESDAY, WEDNESDAY, THURSDAY = 1, 2, 3


@dataclass(frozen=True)
class DemoActivity:
    title: str
    institution: str
    kind: str
    weekday: int  # of the first date (0 is Monday)
    weeks_ahead: int  # the first date is that weekday at least this many weeks from today
    start: time
    end: time
    author: str  # the e-mail of the organisation's staff member who proposes it
    outcome: str  # sent | approved | changes_requested
    recurrence_kind: str = "once"
    dates: int = 1  # how many dates
    description: str = ""
    target_group: str = ""
    place: str = ""
    mentor_help: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    escort_arranged: bool = False
    participants: tuple[str, ...] = ("Mette Hansen",)
    decided_by: str = "caseworker.ost@example.org"
    decision_text: str = ""
    # Messages after the decision: (the writer's e-mail, the text).
    messages: tuple[tuple[str, str], ...] = field(default_factory=tuple)


DEMO_ACTIVITIES = (
    DemoActivity(
        "Besøgsvenner i Vestre Fængsel",
        "Vestre Fængsel",
        "visiting_friend",
        TUESDAY,
        4,
        time(18, 0),
        time(20, 0),
        "ngo-a.admin@example.org",
        "approved",
        recurrence_kind="weekly",
        dates=12,
        description="Samtaler over en kop kaffe med indsatte, der ikke får andet besøg.",
        target_group="Varetægtsfængslede uden besøg udefra",
        place="Besøgsafdelingen",
        items=(PAPER,),
        escort_arranged=True,
        messages=(
            (
                "caseworker.ost@example.org",
                "Velkommen. Mød op ved hovedporten et kvarter før, og husk billedlegitimation.",
            ),
            ("ngo-a.admin@example.org", "Tak, det gør vi."),
        ),
    ),
    DemoActivity(
        "Brætspilsaften i Storstrøm Fængsel",
        "Storstrøm Fængsel",
        "leisure",
        THURSDAY,
        5,
        time(17, 30),
        time(19, 30),
        "ngo-a.member@example.org",
        "sent",
        recurrence_kind="biweekly",
        dates=4,
        description="Brætspil og kortspil i fællesskab; vi tager spillene med.",
        target_group="Indsatte i afdeling B",
        items=(GAMES,),
        escort_arranged=True,
    ),
    DemoActivity(
        "Mentorsamtaler før løsladelse",
        "Horserød Fængsel",
        "mentor",
        WEDNESDAY,
        5,
        time(10, 0),
        time(12, 0),
        "ngo-a.member@example.org",
        "changes_requested",
        description="Faste samtaler med en mentor om bolig, job og netværk efter løsladelsen.",
        target_group="Indsatte med under et halvt år til løsladelse",
        mentor_help=("practical", "resocialisation"),
        items=(PAPER,),
        decision_text=(
            "Om formiddagen er de indsatte på arbejde. Kan I flytte samtalerne til efter kl. 15?"
        ),
    ),
)


def _first_date(today: date, weekday: int, weeks_ahead: int) -> date:
    earliest = today + timedelta(weeks=weeks_ahead)
    return earliest + timedelta(days=(weekday - earliest.weekday()) % 7)


def _proposal(demo: DemoActivity, institution: Institution, people: list[Volunteer]) -> Proposal:
    first = _first_date(volunteer_status.today(), demo.weekday, demo.weeks_ahead)
    step = timedelta(weeks=2 if demo.recurrence_kind == "biweekly" else 1)
    return Proposal(
        institution_id=institution.id,
        kind=demo.kind,
        title=demo.title,
        description=demo.description,
        target_group=demo.target_group,
        place=demo.place,
        mentor_help=demo.mentor_help,
        recurrence_kind=demo.recurrence_kind,
        first_date=first,
        until_date=first + step * (demo.dates - 1) if demo.recurrence_kind != "once" else None,
        start_time=demo.start,
        end_time=demo.end,
        participant_ids=tuple(person.id for person in people),
        items=demo.items,
        escort_arranged=demo.escort_arranged,
    )


def _user(email: str) -> User:
    found = accounts.find_user_by_email(email)
    assert found is not None, f"seed the demo accounts first ({email})"
    return found


def _create(session: Session, organisation: Organisation, demo: DemoActivity) -> Activity | None:
    institution = session.scalar(select(Institution).where(Institution.name == demo.institution))
    people = list(
        session.scalars(
            select(Volunteer).where(
                Volunteer.organisation_id == organisation.id,
                Volunteer.name.in_(demo.participants),
            )
        )
    )
    if institution is None or len(people) != len(demo.participants):
        log.warning("demo activity %r skipped: its institution or people are missing", demo.title)
        return None
    try:
        activity = activities.propose(
            organisation, _proposal(demo, institution, people), _user(demo.author)
        )
    except ProposalRefused as refused:
        # An older demo database (e.g. without Mette Hansen's access at Storstrøm Fængsel).
        log.warning(
            "demo activity %r skipped: %s",
            demo.title,
            "; ".join(str(problem.message) for problem in refused.problems),
        )
        return None
    if demo.outcome == "approved":
        activity_workflow.apply(activity, "approve", _user(demo.decided_by))
    elif demo.outcome == "changes_requested":
        activity_workflow.apply(
            activity, "request_changes", _user(demo.decided_by), text=demo.decision_text
        )
    for writer, text in demo.messages:
        activity_workflow.post_message(activity, _user(writer), text)
    session.flush()
    return activity


def seed_demo_activities(session: Session | None = None) -> dict[str, int]:
    """Create organisation A's demo activities that do not exist yet (by title); returns how
    many were created. Needs the demo accounts, organisations and volunteers."""
    session = session or db.session
    organisation = session.scalar(select(Organisation).where(Organisation.name == ORGANISATION))
    if organisation is None:
        return {"activities": 0}
    existing = set(
        session.scalars(select(Activity.title).where(Activity.organisation_id == organisation.id))
    )
    created = 0
    for demo in DEMO_ACTIVITIES:
        if demo.title not in existing and _create(session, organisation, demo) is not None:
            created += 1
    return {"activities": created}
