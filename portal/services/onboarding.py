"""Onboarding: an organisation's draft, its submission, its profile, members and directory entry.

State changes go through ``portal.services.workflow.apply``; this module holds the rules of
what a complete application is and how an organisation keeps its own data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db
from portal.cvr import is_valid_cvr, normalise_cvr
from portal.models import (
    ACTIVE_STATES,
    AccountToken,
    Document,
    EventKind,
    Institution,
    Municipality,
    Organisation,
    OrganisationState,
    OwnerType,
    Role,
    RoleAssignment,
    TermsAcceptance,
    TermsKind,
    TermsVersion,
    TokenPurpose,
    User,
)
from portal.services import accounts, workflow
from portal.services.workflow import WorkflowError

# What the registration form edits, in the order of the form.
PROFILE_FIELDS = (
    "name",
    "cvr",
    "address",
    "postal_code",
    "city",
    "municipality_id",
    "scope",
    "website",
    "purpose",
    "cooperation_intent",
)
# Changes to these after approval wait for the caseworker.
REVIEWED_FIELDS = ("name", "cvr")
REQUIRED_DOCUMENTS: dict[str, Any] = {
    "statutes": _l("Vedtægter"),
    "annual_report": _l("Seneste årsrapport eller regnskab"),
}
DIRECTORY_FIELDS = (
    "directory_listed",
    "directory_summary",
    "directory_how_to_volunteer",
    "directory_email",
    "directory_phone",
    "effort_kinds",
)


class IncompleteApplication(WorkflowError):
    """The application cannot be sent yet; ``problems`` lists what is missing."""

    def __init__(self, problems: list[Any]) -> None:
        super().__init__(_l("Ansøgningen kan ikke sendes endnu."))
        self.problems = problems


# --- CVR --------------------------------------------------------------------------------------


def cvr_taken(cvr: str, excluding: uuid.UUID | None = None) -> bool:
    """Whether an active organisation (sent, in review, approved or suspended) has this CVR."""
    query = select(Organisation.id).where(
        Organisation.cvr == normalise_cvr(cvr), Organisation.state.in_(ACTIVE_STATES)
    )
    if excluding is not None:
        query = query.where(Organisation.id != excluding)
    return db.session.scalar(query.limit(1)) is not None


def cvr_problem(cvr: str, excluding: uuid.UUID | None = None) -> Any | None:
    if not is_valid_cvr(cvr):
        return _l(
            "CVR-nummeret er ikke gyldigt. Det har 8 cifre, fx 12345678. Tjek det på virk.dk."
        )
    if cvr_taken(cvr, excluding):
        return _l(
            "Der er allerede en organisation med dette CVR-nummer i portalen. Kontakt områdekontoret, hvis det er jeres."
        )
    return None


# --- the draft -------------------------------------------------------------------------------


def _area_office_for(municipality_id: uuid.UUID) -> uuid.UUID:
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None:
        raise WorkflowError(_l("Vælg en kommune."))
    return municipality.area_office_id


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {key: values[key] for key in PROFILE_FIELDS if key in values}
    for key, value in cleaned.items():
        if isinstance(value, str):
            cleaned[key] = value.strip()
    if "cvr" in cleaned:
        cleaned["cvr"] = normalise_cvr(cleaned["cvr"])
    return cleaned


def start_draft(user: User, values: dict[str, Any]) -> Organisation:
    """Create the organisation as a draft with ``user`` as its first admin."""
    cleaned = _clean(values)
    organisation = Organisation(
        **cleaned,
        area_office_id=_area_office_for(cleaned["municipality_id"]),
        state=OrganisationState.DRAFT,
        created_by_id=user.id,
    )
    db.session.add(organisation)
    db.session.flush()
    accounts.grant_role(user, Role.NGO_ADMIN, organisation_id=organisation.id)
    audit.record(
        "organisation.draft_created", object_type="organisation", object_id=organisation.id
    )
    return organisation


def update_draft(organisation: Organisation, user: User, values: dict[str, Any]) -> list[str]:
    """Save the draft's organisation details; returns the names of the fields that changed."""
    if organisation.state != OrganisationState.DRAFT:
        raise WorkflowError(_l("Ansøgningen er sendt og kan ikke længere ændres her."))
    if not workflow.actor_decision(user, organisation, workflow.Actor.ORGANISATION_ADMIN):
        raise WorkflowError(_l("Kun organisationens administrator kan ændre ansøgningen."))
    cleaned = _clean(values)
    changed = [key for key, value in cleaned.items() if getattr(organisation, key) != value]
    for key in changed:
        setattr(organisation, key, cleaned[key])
    if "municipality_id" in changed:
        organisation.area_office_id = _area_office_for(organisation.municipality_id)
    if changed:
        # The joined municipality and area office follow the new ids on next access.
        db.session.expire(organisation, ["municipality", "area_office"])
        db.session.flush()
        audit.record(
            "organisation.draft_updated",
            object_type="organisation",
            object_id=organisation.id,
            details={"fields": changed},
        )
    return changed


def drafts_of(user: User) -> list[Organisation]:
    ids = user.scopes(Role.NGO_ADMIN)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Organisation).where(
                Organisation.id.in_(ids), Organisation.state == OrganisationState.DRAFT
            )
        )
    )


# --- terms ----------------------------------------------------------------------------------


def current_terms() -> list[TermsVersion]:
    """The newest published version of each kind of terms."""
    newest = []
    for kind in TermsKind:
        version = db.session.scalar(
            select(TermsVersion)
            .where(TermsVersion.kind == kind)
            .order_by(TermsVersion.published_at.desc())
            .limit(1)
        )
        if version is not None:
            newest.append(version)
    return newest


def accepted_versions(organisation: Organisation) -> set[uuid.UUID]:
    return set(
        db.session.scalars(
            select(TermsAcceptance.terms_version_id).where(
                TermsAcceptance.organisation_id == organisation.id
            )
        )
    )


def accept_terms(
    organisation: Organisation, user: User, versions: list[TermsVersion], ip: str
) -> None:
    """Record that ``user`` accepted these exact versions on behalf of the organisation."""
    if not workflow.actor_decision(user, organisation, workflow.Actor.ORGANISATION_ADMIN):
        raise WorkflowError(_l("Kun organisationens administrator kan acceptere vilkårene."))
    already = accepted_versions(organisation)
    for version in versions:
        if version.id in already:
            continue
        db.session.add(
            TermsAcceptance(
                organisation_id=organisation.id,
                terms_version_id=version.id,
                accepted_by_id=user.id,
                ip_address=ip[:45],
            )
        )
        audit.record(
            "organisation.terms_accepted",
            object_type="organisation",
            object_id=organisation.id,
            details={
                "kind": version.kind.value,
                "version": version.version,
                "sha256": version.sha256,
            },
        )
    db.session.flush()


# --- documents ------------------------------------------------------------------------------


def documents_of(organisation: Organisation) -> list[Document]:
    return list(
        db.session.scalars(
            select(Document)
            .where(
                Document.owner_type == OwnerType.ORGANISATION, Document.owner_id == organisation.id
            )
            .order_by(Document.uploaded_at)
        )
    )


# --- submission ----------------------------------------------------------------------------


def problems_before_submit(organisation: Organisation) -> list[Any]:
    """Everything that keeps the application from being sent, in words for the applicant."""
    problems: list[Any] = []
    labels = {
        "name": _l("Skriv organisationens navn."),
        "address": _l("Skriv organisationens adresse."),
        "postal_code": _l("Skriv postnummeret."),
        "city": _l("Skriv byen."),
        "purpose": _l("Beskriv organisationens formål."),
        "cooperation_intent": _l("Beskriv, hvad I vil lave sammen med kriminalforsorgen."),
    }
    problems.extend(message for key, message in labels.items() if not getattr(organisation, key))
    cvr_issue = cvr_problem(organisation.cvr, excluding=organisation.id)
    if cvr_issue:
        problems.append(cvr_issue)
    purposes = {document.purpose for document in documents_of(organisation)}
    for purpose, name in REQUIRED_DOCUMENTS.items():
        if purpose not in purposes:
            # The name starts a sentence elsewhere; here it is the object of one.
            problems.append(_l("Upload %(document)s.", document=str(name).lower()))
    accepted = accepted_versions(organisation)
    for version in current_terms():
        if version.id not in accepted:
            problems.append(_l("Acceptér \u201d%(title)s\u201d.", title=version.title_da))
    return problems


def submit(organisation: Organisation, user: User, expected_version: int | None = None) -> None:
    """Send the application to the area office, if it is complete."""

    def complete(org: Organisation) -> None:
        problems = problems_before_submit(org)
        if problems:
            raise IncompleteApplication(problems)

    workflow.apply(organisation, "submit", user, expected_version=expected_version, before=complete)


def answer(
    organisation: Organisation, user: User, text: str, expected_version: int | None = None
) -> None:
    """The organisation's answer to a request for more information (documents are uploaded apart)."""
    workflow.apply(organisation, "answer", user, text=text, expected_version=expected_version)


def ensure_not_suspended(organisation: Organisation) -> None:
    """Refuse new submissions from a suspended organisation, saying why."""
    if organisation.state == OrganisationState.SUSPENDED:
        raise WorkflowError(
            _l(
                "Samarbejdet er suspenderet, så I kan ikke sende noget nyt. Begrundelse: %(reason)s",
                reason=organisation.suspension_reason,
            )
        )


# --- the approved organisation's profile ----------------------------------------------------


def update_profile(
    organisation: Organisation, user: User, values: dict[str, Any]
) -> dict[str, list[str]]:
    """The admin edits the profile. Name and CVR changes wait for the caseworker; the rest applies.

    Returns {"applied": [...], "pending": [...]} field names.
    """
    if organisation.state not in (OrganisationState.APPROVED, OrganisationState.SUSPENDED):
        raise WorkflowError(_l("Profilen kan ændres, når organisationen er godkendt."))
    if not workflow.actor_decision(user, organisation, workflow.Actor.ORGANISATION_ADMIN):
        raise WorkflowError(_l("Kun organisationens administrator kan ændre profilen."))
    ensure_not_suspended(organisation)
    cleaned = _clean(values)
    applied, pending = [], []
    for key, value in cleaned.items():
        if getattr(organisation, key) == value:
            continue
        if key in REVIEWED_FIELDS:
            if getattr(organisation, f"pending_{key}") != value:
                setattr(organisation, f"pending_{key}", value)
                pending.append(key)
        else:
            setattr(organisation, key, value)
            applied.append(key)
    if "municipality_id" in applied:
        organisation.area_office_id = _area_office_for(organisation.municipality_id)
    if not applied and not pending:
        return {"applied": [], "pending": []}
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise workflow.ConflictError(
            _l("Profilen er blevet ændret af en anden imens. Se de nye oplysninger, og prøv igen.")
        ) from None
    audit.record(
        "organisation.profile_updated",
        object_type="organisation",
        object_id=organisation.id,
        details={"applied": applied, "pending": pending},
    )
    if pending:
        text = ", ".join(f"{key}: {getattr(organisation, f'pending_{key}')}" for key in pending)
        workflow.record_event(
            organisation,
            EventKind.PROFILE_CHANGE,
            user,
            action="profile_change_requested",
            text=text,
        )
        workflow.notify(
            organisation, workflow.Notify.AREA_OFFICE, "profile_change_requested", user, text
        )
    return {"applied": applied, "pending": pending}


def decide_profile_change(
    organisation: Organisation, caseworker: User, accept: bool, expected_version: int | None = None
) -> None:
    """The caseworker accepts or declines a pending change of name or CVR."""
    if expected_version is not None and expected_version != organisation.version:
        raise workflow.ConflictError(
            _l(
                "Sagen er blevet ændret af en anden, mens du så på den. Se den nye status herunder, og prøv igen, hvis det stadig er relevant."
            )
        )
    if not workflow.actor_decision(caseworker, organisation, workflow.Actor.CASEWORKER):
        raise WorkflowError(_l("Du kan ikke behandle denne organisation."))
    if not organisation.pending_name and not organisation.pending_cvr:
        raise WorkflowError(_l("Der er ingen ændring, der venter."))
    if accept and organisation.pending_cvr:
        problem = cvr_problem(organisation.pending_cvr, excluding=organisation.id)
        if problem:
            raise WorkflowError(problem)
    changes = {
        k: getattr(organisation, f"pending_{k}")
        for k in REVIEWED_FIELDS
        if getattr(organisation, f"pending_{k}")
    }
    if accept:
        for key, value in changes.items():
            setattr(organisation, key, value)
    organisation.pending_name = organisation.pending_cvr = ""
    action = "profile_change_accepted" if accept else "profile_change_declined"
    workflow.record_event(
        organisation,
        EventKind.PROFILE_CHANGE,
        caseworker,
        action=action,
        text=", ".join(f"{k}: {v}" for k, v in changes.items()),
    )
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise workflow.ConflictError(
            _l(
                "Sagen er blevet ændret af en anden, mens du så på den. Se den nye status herunder, og prøv igen, hvis det stadig er relevant."
            )
        ) from None
    audit.record(
        f"organisation.{action}",
        object_type="organisation",
        object_id=organisation.id,
        details=changes,
    )
    workflow.notify(organisation, workflow.Notify.ORGANISATION, action, caseworker, "")


# --- members --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    user: User
    role: Role


def members(organisation: Organisation) -> list[Member]:
    rows = db.session.execute(
        select(User, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.organisation_id == organisation.id,
            RoleAssignment.role.in_((Role.NGO_ADMIN, Role.NGO_MEMBER)),
        )
        .order_by(User.name)
    ).all()
    by_user: dict[uuid.UUID, Member] = {}
    for user, role in rows:
        # Someone both admin and member counts as admin.
        if user.id not in by_user or role == Role.NGO_ADMIN:
            by_user[user.id] = Member(user, role)
    return sorted(by_user.values(), key=lambda m: (m.role != Role.NGO_ADMIN, m.user.name.lower()))


def _admin_count(organisation: Organisation) -> int:
    """Active admins, counted under a row lock on the organisation (PostgreSQL), so two admins
    demoting each other at once cannot leave it without one."""
    db.session.execute(
        select(Organisation.id).where(Organisation.id == organisation.id).with_for_update()
    )
    return (
        db.session.scalar(
            select(func.count(func.distinct(RoleAssignment.user_id)))
            .join(User, User.id == RoleAssignment.user_id)
            .where(
                RoleAssignment.organisation_id == organisation.id,
                RoleAssignment.role == Role.NGO_ADMIN,
                User.active,
            )
        )
        or 0
    )


def _require_admin(organisation: Organisation, user: User) -> None:
    if not workflow.actor_decision(user, organisation, workflow.Actor.ORGANISATION_ADMIN):
        raise WorkflowError(_l("Kun organisationens administrator kan gøre det."))


def _assignments(organisation: Organisation, user: User) -> list[RoleAssignment]:
    return [
        a
        for a in user.role_assignments
        if a.organisation_id == organisation.id and a.role in (Role.NGO_ADMIN, Role.NGO_MEMBER)
    ]


def invite_colleague(
    organisation: Organisation, inviter: User, email: str, name: str, role: Role
) -> Any:
    """Invite someone to the organisation as admin or member (single-use, expiring link)."""
    _require_admin(organisation, inviter)
    ensure_not_suspended(organisation)
    if organisation.state != OrganisationState.APPROVED:
        raise WorkflowError(_l("I kan invitere kolleger, når organisationen er godkendt."))
    if role not in (Role.NGO_ADMIN, Role.NGO_MEMBER):
        raise WorkflowError(_l("Vælg administrator eller medarbejder."))
    existing = accounts.find_user_by_email(email)
    if existing is not None and _assignments(organisation, existing):
        raise WorkflowError(_l("%(email)s er allerede med i organisationen.", email=email))
    # A new invitation replaces an earlier one to the same address, so only one link works.
    for earlier in db.session.scalars(
        select(AccountToken).where(
            AccountToken.purpose == TokenPurpose.INVITATION,
            AccountToken.organisation_id == organisation.id,
            AccountToken.email == accounts.normalise_email(email),
            AccountToken.used_at.is_(None),
            AccountToken.revoked_at.is_(None),
        )
    ):
        accounts.revoke_invitation(earlier)
    return accounts.invite(email, name, role, invited_by=inviter, organisation_id=organisation.id)


def set_member_role(organisation: Organisation, actor: User, member: User, role: Role) -> None:
    """Make a member admin or member; the organisation always keeps at least one admin."""
    _require_admin(organisation, actor)
    current = _assignments(organisation, member)
    if not current:
        raise WorkflowError(_l("Personen er ikke med i organisationen."))
    is_admin = any(a.role == Role.NGO_ADMIN for a in current)
    if role == Role.NGO_MEMBER and is_admin and _admin_count(organisation) <= 1:
        raise WorkflowError(
            _l(
                "Organisationen skal altid have mindst én administrator. Gør en anden til administrator først."
            )
        )
    for assignment in current:
        if assignment.role != role:
            accounts.revoke_role(member, assignment)
    accounts.grant_role(member, role, organisation_id=organisation.id, granted_by=actor)


def remove_member(organisation: Organisation, actor: User, member: User) -> None:
    """Take a person out of the organisation (their account stays, for their other roles)."""
    _require_admin(organisation, actor)
    current = _assignments(organisation, member)
    if not current:
        raise WorkflowError(_l("Personen er ikke med i organisationen."))
    if any(a.role == Role.NGO_ADMIN for a in current) and _admin_count(organisation) <= 1:
        raise WorkflowError(
            _l(
                "Organisationen skal altid have mindst én administrator. Gør en anden til administrator først."
            )
        )
    for assignment in current:
        accounts.revoke_role(member, assignment)
    audit.record(
        "organisation.member_removed",
        object_type="organisation",
        object_id=organisation.id,
        details={"user": str(member.id)},
    )


# --- the public directory -------------------------------------------------------------------


def update_directory_entry(
    organisation: Organisation, user: User, values: dict[str, Any], institution_ids: list[uuid.UUID]
) -> None:
    _require_admin(organisation, user)
    for key in DIRECTORY_FIELDS:
        if key in values:
            value = values[key]
            setattr(organisation, key, value.strip() if isinstance(value, str) else value)
    organisation.institutions = list(
        db.session.scalars(
            select(Institution).where(Institution.id.in_(institution_ids), Institution.active)
        )
    )
    db.session.flush()
    audit.record(
        "organisation.directory_updated",
        object_type="organisation",
        object_id=organisation.id,
        details={"listed": organisation.directory_listed},
    )


def directory(region: str = "", effort: str = "", text: str = "") -> Any:
    """A query for the organisations shown publicly: approved and opted in."""
    query = (
        select(Organisation)
        .join(Organisation.municipality)
        .where(Organisation.state == OrganisationState.APPROVED, Organisation.directory_listed)
        .order_by(Organisation.name)
    )
    if region:
        query = query.where(Municipality.region == region)
    if text:
        pattern = f"%{text.strip()}%"
        query = query.where(
            or_(
                Organisation.name.ilike(pattern),
                Organisation.directory_summary.ilike(pattern),
                Municipality.name.ilike(pattern),
                Organisation.city.ilike(pattern),
            )
        )
    if effort:
        # effort_kinds is a JSON list; a LIKE on its text works on SQLite and PostgreSQL alike.
        query = query.where(cast(Organisation.effort_kinds, String).like(f'%"{effort}"%'))
    return query
