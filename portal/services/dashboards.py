"""What each role's start page shows: "what needs me now"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import ColumnElement, false, func, or_, select

from portal import audit, db
from portal.db import utcnow
from portal.labels import label
from portal.models import (
    AccessGrant,
    AccountToken,
    Activity,
    ActivityParticipant,
    ActivityState,
    AuditEntry,
    DeclarationKind,
    Institution,
    Organisation,
    OrganisationState,
    Role,
    Signature,
    TokenPurpose,
    User,
    Volunteer,
    VolunteerState,
)
from portal.services import grant_dashboard, subject_request_queries, volunteer_status
from portal.services.volunteer_status import VolunteerStatus

WAITING_STATES = (
    OrganisationState.SUBMITTED,
    OrganisationState.IN_REVIEW,
    OrganisationState.MORE_INFORMATION,
)
SECURITY_ACTIONS = ("auth.login_failed", "access.denied", "auth.oidc_refused")


@dataclass
class Panel:
    role: Role
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """One line of "what needs me now": a count, what it means, and where to act on it."""

    key: str
    count: int
    text: str
    url: str | None = None


def _url(endpoint: str, **values: Any) -> str | None:
    """A link, or None while its endpoint does not exist (built by another part of the portal)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


# --- volunteers -------------------------------------------------------------------------------
# Plain counting queries, each scoped by the caller to the user's organisations or area offices
# (never another tenant's). The conditions mirror volunteer_status.status_of.


def _lapsed(now: datetime) -> ColumnElement[bool]:
    return (
        (Volunteer.state == VolunteerState.INVITED)
        & Volunteer.invitation_used_at.is_(None)
        & or_(Volunteer.invitation_expires_at.is_(None), Volunteer.invitation_expires_at <= now)
    )


def _expiring(now: datetime) -> ColumnElement[bool]:
    day = volunteer_status.today(now)
    return (Volunteer.state == VolunteerState.CLEARED) & Volunteer.access_grants.any(
        AccessGrant.ended_at.is_(None)
        & (AccessGrant.valid_from <= day)
        & (AccessGrant.valid_until >= day)
        & (AccessGrant.valid_until <= day + volunteer_status.reminder_window())
    )


def _resign_needed() -> ColumnElement[bool]:
    """Cleared, but without a signature of the current version of a declaration they need."""
    missing = []
    for kind, version in volunteer_status.current_versions().items():
        unsigned = ~Volunteer.id.in_(
            select(Signature.volunteer_id).where(Signature.declaration_version_id == version.id)
        )
        if kind == DeclarationKind.VISITING_FRIEND:
            unsigned = unsigned & Volunteer.visiting_friend
        missing.append(unsigned)
    if not missing:
        return false()
    return (Volunteer.state == VolunteerState.CLEARED) & or_(*missing)


def _count_volunteers(scope: ColumnElement[bool], condition: ColumnElement[bool]) -> int:
    query = (
        select(func.count(Volunteer.id))
        .select_from(Volunteer)
        .join(Organisation, Organisation.id == Volunteer.organisation_id)
        .where(scope, condition)
    )
    return db.session.scalar(query) or 0


def _ngo_volunteer_tasks(user: User, role: Role, now: datetime) -> list[Task]:
    """For each of the user's organisations in ``role``: lapsed invitations, access expiring,
    awaiting the check, to sign again. Staff of several organisations get one set per
    organisation, each linking to that organisation's list."""
    several = len(user.scopes(Role.NGO_ADMIN) | user.scopes(Role.NGO_MEMBER)) > 1
    organisations = db.session.scalars(
        select(Organisation)
        .where(Organisation.id.in_(user.scopes(role)))
        .order_by(Organisation.name)
    )
    tasks = []
    for organisation in organisations:
        scope = Volunteer.organisation_id == organisation.id
        counts = {
            VolunteerStatus.INVITATION_LAPSED: _count_volunteers(scope, _lapsed(now)),
            VolunteerStatus.EXPIRING: _count_volunteers(scope, _expiring(now)),
            VolunteerStatus.AWAITING_CHECK: _count_volunteers(
                scope, Volunteer.state == VolunteerState.AWAITING_CHECK
            ),
            VolunteerStatus.RESIGN_NEEDED: _count_volunteers(scope, _resign_needed()),
        }
        extra = {"organisation": str(organisation.id)} if several else {}
        for status, count in counts.items():
            text = _ngo_task_text(status, count)
            tasks.append(
                Task(
                    status.value,
                    count,
                    f"{organisation.name}: {text}" if several else text,
                    _url("volunteers.index", status=status.value, **extra),
                )
            )
    return tasks


def _ngo_task_text(status: VolunteerStatus, count: int) -> str:
    if status == VolunteerStatus.INVITATION_LAPSED:
        return ngettext(
            "%(num)d frivillig har ikke brugt sin invitation, og linket er udløbet",
            "%(num)d frivillige har ikke brugt deres invitation, og linket er udløbet",
            count,
        )
    if status == VolunteerStatus.EXPIRING:
        return ngettext(
            "%(num)d frivillig har adgang, der snart udløber",
            "%(num)d frivillige har adgang, der snart udløber",
            count,
        )
    if status == VolunteerStatus.AWAITING_CHECK:
        return ngettext(
            "%(num)d frivillig venter på områdekontorets tjek",
            "%(num)d frivillige venter på områdekontorets tjek",
            count,
        )
    return ngettext(
        "%(num)d frivillig skal underskrive en ny version af en erklæring",
        "%(num)d frivillige skal underskrive en ny version af en erklæring",
        count,
    )


def _caseworker_volunteer_tasks(area_ids: set[Any], now: datetime) -> list[Task]:
    scope = Organisation.area_office_id.in_(area_ids)
    awaiting = _count_volunteers(scope, Volunteer.state == VolunteerState.AWAITING_CHECK)
    expiring = _count_volunteers(scope, _expiring(now))
    return [
        Task(
            VolunteerStatus.AWAITING_CHECK.value,
            awaiting,
            ngettext(
                "%(num)d frivillig venter på tjek i Kriminalregistret",
                "%(num)d frivillige venter på tjek i Kriminalregistret",
                awaiting,
            ),
            _url("clearance.queue"),
        ),
        Task(
            VolunteerStatus.EXPIRING.value,
            expiring,
            ngettext(
                "%(num)d frivillig har adgang, der snart udløber",
                "%(num)d frivillige har adgang, der snart udløber",
                expiring,
            ),
            _url("clearance.queue", tab="expiring"),
        ),
    ]


def _next_step(status: VolunteerStatus, outdated: list[DeclarationKind]) -> str:
    if outdated and status != VolunteerStatus.INVITED:
        return _(
            "Der er en ny version af %(kinds)s. Underskriv igen, før du deltager i nye aktiviteter.",
            kinds=", ".join(str(label(kind)) for kind in outdated),
        )
    steps = {
        VolunteerStatus.INVITED: _("Læs og underskriv erklæringerne."),
        VolunteerStatus.INVITATION_LAPSED: _(
            "Dit link er udløbet. Bed organisationen om at sende et nyt."
        ),
        VolunteerStatus.AWAITING_CHECK: _(
            "Du har underskrevet. Områdekontoret tjekker Kriminalregistret, og du får besked."
        ),
        VolunteerStatus.CLEARED: _(
            "Du er godkendt. Områdekontoret giver dig adgang til institutionerne."
        ),
        VolunteerStatus.ACCESS_GRANTED: _("Du har adgang. Der er ikke noget, du skal gøre nu."),
        VolunteerStatus.EXPIRING: _(
            "Din adgang udløber snart. Tal med organisationen om at forny den."
        ),
        VolunteerStatus.EXPIRED: _(
            "Din adgang er udløbet. Tal med organisationen, hvis du vil fortsætte."
        ),
        VolunteerStatus.WITHDRAWN: _("Du har trukket dit samtykke tilbage."),
        VolunteerStatus.NOT_CLEARED: _("Kontakt organisationen, hvis du har spørgsmål."),
    }
    return steps.get(status, "")


def _own_volunteering(user: User, now: datetime) -> tuple[list[dict[str, Any]], list[Task]]:
    """The user's own volunteer records (one per organisation): status and what to do next."""
    records, tasks = [], []
    for volunteer in db.session.scalars(
        select(Volunteer).where(Volunteer.user_id == user.id).order_by(Volunteer.created_at)
    ):
        status = volunteer_status.status_of(volunteer, now)
        outdated = (
            volunteer_status.outdated_kinds(volunteer)
            if volunteer.state in (VolunteerState.AWAITING_CHECK, VolunteerState.CLEARED)
            else []
        )
        act = bool(outdated) or status == VolunteerStatus.INVITED
        url = _url("signing.my_page") if act else None
        next_step = _next_step(status, outdated)
        records.append(
            {
                "volunteer": volunteer,
                "status": status,
                "outdated": outdated,
                "next_step": next_step,
                "url": url,
            }
        )
        tasks.append(
            Task(
                "sign_again" if outdated else status.value,
                len(outdated),
                f"{volunteer.organisation.name}: {label(status)}. {next_step}",
                url,
            )
        )
    return records, tasks


# --- activities -------------------------------------------------------------------------------


def _count_activities(*conditions: ColumnElement[bool]) -> int:
    return db.session.scalar(select(func.count(Activity.id)).where(*conditions)) or 0


def _blocked() -> ColumnElement[bool]:
    """Approved, with a participant who may no longer take part."""
    return (Activity.state == ActivityState.APPROVED) & Activity.participants.any(
        ActivityParticipant.blocked_at.is_not(None)
    )


def _ngo_activity_tasks(user: User, role: Role) -> list[Task]:
    """For each of the user's approved (or suspended) organisations in ``role``: proposals
    waiting for the institution, those it asked to change, and approved ones with a blocked
    participant; each links to the organisation's list with that filter."""
    several = len(user.scopes(Role.NGO_ADMIN) | user.scopes(Role.NGO_MEMBER)) > 1
    organisations = db.session.scalars(
        select(Organisation)
        .where(
            Organisation.id.in_(user.scopes(role)),
            Organisation.state.in_([OrganisationState.APPROVED, OrganisationState.SUSPENDED]),
        )
        .order_by(Organisation.name)
    )
    tasks = []
    for organisation in organisations:
        own = Activity.organisation_id == organisation.id
        extra = {"organisation": str(organisation.id)} if several else {}
        waiting = _count_activities(own, Activity.state == ActivityState.SENT)
        changes = _count_activities(own, Activity.state == ActivityState.CHANGES_REQUESTED)
        blocked = _count_activities(own, _blocked())
        lines = [
            (
                "activities_waiting",
                waiting,
                ngettext(
                    "%(num)d forslag venter på institutionens afgørelse",
                    "%(num)d forslag venter på institutionernes afgørelse",
                    waiting,
                ),
                ActivityState.SENT,
            ),
            (
                "activities_changes_requested",
                changes,
                ngettext(
                    "%(num)d forslag skal ændres, fordi institutionen har bedt om det",
                    "%(num)d forslag skal ændres, fordi institutionerne har bedt om det",
                    changes,
                ),
                ActivityState.CHANGES_REQUESTED,
            ),
            (
                "activities_blocked",
                blocked,
                ngettext(
                    "%(num)d godkendt aktivitet har en deltager, der ikke længere må deltage",
                    "%(num)d godkendte aktiviteter har en deltager, der ikke længere må deltage",
                    blocked,
                ),
                ActivityState.APPROVED,
            ),
        ]
        for key, count, text, state in lines:
            tasks.append(
                Task(
                    key,
                    count,
                    f"{organisation.name}: {text}" if several else text,
                    _url("activities.index", state=state.value, **extra),
                )
            )
    return tasks


def _decider_activity_tasks(institution_ids: Any, *, waiting_too: bool = True) -> list[Task]:
    """Proposals waiting at the given institutions (a select of ids), unless the panel says
    so per institution, and approved ones there with a blocked participant."""
    here = Activity.institution_id.in_(institution_ids)
    waiting = _count_activities(here, Activity.state == ActivityState.SENT)
    blocked = _count_activities(here, _blocked())
    tasks = [
        Task(
            "activities_waiting",
            waiting,
            ngettext(
                "%(num)d aktivitet venter på din afgørelse",
                "%(num)d aktiviteter venter på din afgørelse",
                waiting,
            ),
            _url("activities.queue"),
        ),
        Task(
            "activities_blocked",
            blocked,
            ngettext(
                "%(num)d godkendt aktivitet har en deltager, der ikke længere må deltage",
                "%(num)d godkendte aktiviteter har en deltager, der ikke længere må deltage",
                blocked,
            ),
            _url("activities.queue", state=ActivityState.APPROVED.value),
        ),
    ]
    return tasks if waiting_too else tasks[1:]


def _pending_invitations(**scope: Any) -> int:
    query = (
        select(func.count())
        .select_from(AccountToken)
        .where(
            AccountToken.purpose == TokenPurpose.INVITATION,
            AccountToken.used_at.is_(None),
            AccountToken.revoked_at.is_(None),
            AccountToken.expires_at > utcnow(),
        )
    )
    for column, value in scope.items():
        query = query.where(getattr(AccountToken, column) == value)
    return db.session.scalar(query) or 0


def _organisation_panel(user: User, role: Role) -> Panel:
    organisations = list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(user.scopes(role)))
            .order_by(Organisation.name)
        )
    )
    entries = []
    for organisation in organisations:
        members = db.session.scalar(
            select(func.count(func.distinct(User.id)))
            .select_from(User)
            .join(User.role_assignments)
            .where(User.active, User.role_assignments.any(organisation_id=organisation.id))
        )
        entries.append(
            {
                "organisation": organisation,
                "members": members or 0,
                "pending_invitations": _pending_invitations(organisation_id=organisation.id),
            }
        )
    data: dict[str, Any] = {"organisations": entries}
    if role in (Role.NGO_ADMIN, Role.NGO_MEMBER):
        data["volunteer_tasks"] = _ngo_volunteer_tasks(user, role, utcnow())
        data["activity_tasks"] = _ngo_activity_tasks(user, role)
        data["grant_tasks"] = grant_dashboard.organisation_tasks(user, role)
    elif role == Role.VOLUNTEER:
        data["volunteer_records"], data["volunteer_tasks"] = _own_volunteering(user, utcnow())
    return Panel(role, data)


def _caseworker_panel(user: User) -> Panel:
    areas = user.scopes(Role.CASEWORKER)
    waiting_query = (
        select(Organisation)
        .where(Organisation.area_office_id.in_(areas), Organisation.state.in_(WAITING_STATES))
        .order_by(Organisation.submitted_at)
    )
    waiting = list(db.session.scalars(waiting_query.limit(10)))
    waiting_count = (
        db.session.scalar(select(func.count()).select_from(waiting_query.subquery())) or 0
    )
    institutions = db.session.scalar(
        select(func.count())
        .select_from(Institution)
        .where(Institution.area_office_id.in_(areas), Institution.active)
    )
    approved = db.session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(
            Organisation.area_office_id.in_(areas), Organisation.state == OrganisationState.APPROVED
        )
    )
    return Panel(
        Role.CASEWORKER,
        {
            "waiting": waiting,
            "waiting_count": waiting_count,
            "institutions": institutions or 0,
            "approved": approved or 0,
            "now": utcnow(),
            "volunteer_tasks": _caseworker_volunteer_tasks(areas, utcnow()),
            "activity_tasks": _decider_activity_tasks(
                select(Institution.id).where(Institution.area_office_id.in_(areas))
            ),
        },
    )


def _institution_panel(user: User) -> Panel:
    institutions = list(
        db.session.scalars(
            select(Institution)
            .where(Institution.id.in_(user.scopes(Role.INSTITUTION_CONTACT)))
            .order_by(Institution.name)
        )
    )
    waiting = {
        institution.id: _count_activities(
            Activity.institution_id == institution.id, Activity.state == ActivityState.SENT
        )
        for institution in institutions
    }
    return Panel(
        Role.INSTITUTION_CONTACT,
        {
            "institutions": institutions,
            "waiting": waiting,
            "activity_tasks": _decider_activity_tasks(
                select(Institution.id).where(
                    Institution.id.in_(user.scopes(Role.INSTITUTION_CONTACT))
                ),
                waiting_too=False,  # said on each institution's card
            ),
        },
    )


def _grant_officer_panel(_user: User) -> Panel:
    approved = db.session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(Organisation.state == OrganisationState.APPROVED)
    )
    return Panel(
        Role.GRANT_OFFICER,
        {"approved_organisations": approved or 0, "grant_tasks": grant_dashboard.officer_tasks()},
    )


def _dpo_panel(_user: User) -> Panel:
    result = audit.verify_chain(db.session)
    since = utcnow() - timedelta(days=1)
    security_events = db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action.in_(SECURITY_ACTIONS), AuditEntry.occurred_at >= since)
    )
    day = subject_request_queries.today()
    return Panel(
        Role.DPO,
        {
            "verify": result,
            "recent": audit.last_entries(db.session, 10),
            "security_events": security_events or 0,
            # Data-subject requests: the open ones, and those overdue or due within 7 days.
            "open_requests": subject_request_queries.open_count(),
            "overdue_requests": subject_request_queries.overdue(day),
            "near_requests": subject_request_queries.near_deadline(
                subject_request_queries.NEAR_DAYS, day
            ),
            "today": day,
        },
    )


def _admin_panel(_user: User) -> Panel:
    resign = _count_volunteers(Volunteer.id.is_not(None), _resign_needed())
    declarations = Task(
        "declarations",
        resign,
        ngettext(
            "Erklæringer: %(num)d frivillig skal underskrive en ny version",
            "Erklæringer: %(num)d frivillige skal underskrive en ny version",
            resign,
        ),
        _url("admin.declarations"),
    )
    return Panel(
        Role.ADMIN,
        {
            "active_users": db.session.scalar(
                select(func.count()).select_from(User).where(User.active)
            )
            or 0,
            "inactive_users": db.session.scalar(
                select(func.count()).select_from(User).where(~User.active)
            )
            or 0,
            "institutions": db.session.scalar(
                select(func.count()).select_from(Institution).where(Institution.active)
            )
            or 0,
            "pending_invitations": _pending_invitations(),
            "newest_users": list(
                db.session.scalars(select(User).order_by(User.created_at.desc()).limit(5))
            ),
            "volunteer_tasks": [declarations],
        },
    )


def panels_for(user: User) -> list[Panel]:
    """One panel per role the user holds, in a fixed order."""
    builders = {
        Role.ADMIN: _admin_panel,
        Role.DPO: _dpo_panel,
        Role.CASEWORKER: _caseworker_panel,
        Role.INSTITUTION_CONTACT: _institution_panel,
        Role.GRANT_OFFICER: _grant_officer_panel,
        Role.REVIEWER: lambda u: Panel(
            Role.REVIEWER, {"grant_tasks": grant_dashboard.reviewer_tasks(u)}
        ),
        Role.NGO_ADMIN: lambda u: _organisation_panel(u, Role.NGO_ADMIN),
        Role.NGO_MEMBER: lambda u: _organisation_panel(u, Role.NGO_MEMBER),
        Role.VOLUNTEER: lambda u: _organisation_panel(u, Role.VOLUNTEER),
    }
    return [builders[role](user) for role in builders if role in user.roles]
