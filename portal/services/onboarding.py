"""Onboarding: an organisation's draft, its submission, its profile, members and directory entry.

State changes go through ``portal.services.workflow.apply``; this module holds the rules of
what a complete application is and how an organisation keeps its own data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db
from portal.cvr import is_valid_cvr, normalise_cvr
from portal.models import (
    ACTIVE_STATES,
    Document,
    EventKind,
    Municipality,
    Organisation,
    OrganisationState,
    OwnerType,
    Role,
    TermsAcceptance,
    TermsKind,
    TermsVersion,
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


@dataclass(frozen=True)
class Problem:
    """Something that keeps the application from being sent, and the step that fixes it."""

    step: str  # "details", "documents" or "terms"
    message: Any

    def __str__(self) -> str:
        return str(self.message)


def problems_before_submit(organisation: Organisation) -> list[Problem]:
    """Everything that keeps the application from being sent, in words for the applicant."""
    problems: list[Problem] = []
    labels = {
        "name": _l("Skriv organisationens navn."),
        "address": _l("Skriv organisationens adresse."),
        "postal_code": _l("Skriv postnummeret."),
        "city": _l("Skriv byen."),
        "purpose": _l("Beskriv organisationens formål."),
        "cooperation_intent": _l("Beskriv, hvad I vil lave sammen med kriminalforsorgen."),
    }
    problems.extend(
        Problem("details", message)
        for key, message in labels.items()
        if not getattr(organisation, key)
    )
    cvr_issue = cvr_problem(organisation.cvr, excluding=organisation.id)
    if cvr_issue:
        problems.append(Problem("details", cvr_issue))
    purposes = {document.purpose for document in documents_of(organisation)}
    for purpose, name in REQUIRED_DOCUMENTS.items():
        if purpose not in purposes:
            # The name starts a sentence elsewhere; here it is the object of one.
            problems.append(
                Problem("documents", _l("Upload %(document)s.", document=str(name).lower()))
            )
    accepted = accepted_versions(organisation)
    english = str(get_locale() or "da").startswith("en")
    for version in current_terms():
        if version.id not in accepted:
            title = version.title_en if english else version.title_da
            problems.append(Problem("terms", _l("Acceptér \u201d%(title)s\u201d.", title=title)))
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
