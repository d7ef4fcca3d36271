"""The organisation's side of volunteers: register them (one at a time or from a file), invite
them, send a new link, record their preparation, renew them, and the invitation reminders the
cron command sends.

What the organisation may see of a volunteer is the status, never the CPR number or the
register's content; nothing here reads either. Every change writes a ``VolunteerEvent`` (the
history both the organisation and the caseworker see) and an audit entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, db, mail
from portal.db import utcnow
from portal.models import (
    Organisation,
    OrganisationState,
    Preparation,
    Role,
    User,
    Volunteer,
    VolunteerState,
)
from portal.services import volunteer_links
from portal.services.accounts import normalise_email
from portal.services.onboarding import ensure_not_suspended
from portal.services.volunteer_history import record_event
from portal.services.volunteer_status import VolunteerStatus, current_versions, status_of, today
from portal.services.workflow import ConflictError, WorkflowError

LANGUAGES = ("da", "en")
MAX_IMPORT_ROWS = 50

# The states a renewal starts from: a new check is needed. A volunteer who withdrew consent is
# renewed only when they asked to come back (``on_request``): the organisation does not send
# signing links to someone who said no.
RENEWABLE = frozenset({VolunteerState.CLEARED, VolunteerState.EXPIRED, VolunteerState.NOT_CLEARED})

DUPLICATE = _l(
    "En frivillig med denne e-mailadresse er allerede registreret i organisationen. Intet er gemt to gange."
)
DUPLICATE_IMPORT = _l(
    "Nogle af de frivillige i filen er allerede registreret i organisationen (måske blev filen sendt to gange). Intet er importeret."
)
CONFLICT = _l(
    "Den frivillige er blevet ændret af en anden, mens du så på siden. Se den nye status, og prøv igen, hvis det stadig er relevant."
)


class VolunteerError(WorkflowError):
    """A refused change to a volunteer, with a message for the organisation's staff."""


class DuplicateVolunteer(VolunteerError):
    """The e-mail address is already registered in the organisation."""


@dataclass(frozen=True)
class NewVolunteer:
    """What the organisation types (or imports) about a volunteer it registers."""

    name: str
    email: str
    birth_date: date
    phone: str = ""
    visiting_friend: bool = False
    language: str = "da"


# --- which organisation --------------------------------------------------------------------


def staff_organisations(user: User) -> list[Organisation]:
    """The organisations whose volunteers ``user`` manages (as admin or member), by name."""
    ids = user.scopes(Role.NGO_ADMIN) | user.scopes(Role.NGO_MEMBER)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)
        )
    )


def registration_refusal(organisation: Organisation) -> Any | None:
    """Why the organisation cannot register or invite volunteers now (None when it can)."""
    if organisation.state == OrganisationState.APPROVED:
        return None
    try:
        ensure_not_suspended(organisation)
    except WorkflowError as error:
        return error.message
    return _l(
        "I kan registrere frivillige, når områdekontoret har godkendt organisationen som samarbejdspartner."
    )


def _ensure_may_register(organisation: Organisation) -> None:
    refusal = registration_refusal(organisation)
    if refusal is not None:
        raise VolunteerError(refusal)


# --- the organisation's list ---------------------------------------------------------------


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The stored state each display status can come from, so a status filter narrows the query first.
_STATES_OF_STATUS = {
    VolunteerStatus.INVITED: VolunteerState.INVITED,
    VolunteerStatus.INVITATION_LAPSED: VolunteerState.INVITED,
    VolunteerStatus.AWAITING_CHECK: VolunteerState.AWAITING_CHECK,
    VolunteerStatus.CLEARED: VolunteerState.CLEARED,
    VolunteerStatus.ACCESS_GRANTED: VolunteerState.CLEARED,
    VolunteerStatus.EXPIRING: VolunteerState.CLEARED,
    VolunteerStatus.RESIGN_NEEDED: VolunteerState.CLEARED,
    VolunteerStatus.EXPIRED: VolunteerState.EXPIRED,
    VolunteerStatus.WITHDRAWN: VolunteerState.WITHDRAWN,
    VolunteerStatus.NOT_CLEARED: VolunteerState.NOT_CLEARED,
}


def with_status(
    organisation: Organisation,
    search: str = "",
    status: VolunteerStatus | None = None,
    now: datetime | None = None,
) -> list[tuple[Volunteer, VolunteerStatus]]:
    """The organisation's volunteers matching the search (name or e-mail) and the status,
    by name, each with the status the organisation sees."""
    query = select(Volunteer).where(Volunteer.organisation_id == organisation.id)
    if search.strip():
        pattern = _like(search.strip())
        query = query.where(
            or_(
                Volunteer.name.ilike(pattern, escape="\\"),
                Volunteer.email.ilike(pattern, escape="\\"),
            )
        )
    if status is not None:
        query = query.where(Volunteer.state == _STATES_OF_STATUS[status])
    now = now or utcnow()
    # The display status depends on links, signatures and access, so it is worked out per row.
    current = current_versions()
    found = [
        (v, status_of(v, now, current)) for v in db.session.scalars(query.order_by(Volunteer.name))
    ]
    return [(v, s) for v, s in found if status is None or s == status]


# --- registration ---------------------------------------------------------------------------


def birth_date_problem(birth_date: date, now: datetime | None = None) -> Any | None:
    """What is wrong with a date of birth typed for a volunteer (None if nothing)."""
    day = today(now)
    if birth_date > day:
        return _l("Fødselsdatoen ligger i fremtiden.")
    if birth_date.year < day.year - 110:
        return _l("Fødselsdatoen ligger for langt tilbage. Tjek årstallet.")
    return None


def registered_emails(organisation: Organisation, emails: Iterable[str]) -> set[str]:
    """Which of ``emails`` (lower case) the organisation has already registered."""
    wanted = {normalise_email(e) for e in emails}
    if not wanted:
        return set()
    return set(
        db.session.scalars(
            select(Volunteer.email).where(
                Volunteer.organisation_id == organisation.id, Volunteer.email.in_(wanted)
            )
        )
    )


def register(
    organisation: Organisation, actor: User, new: NewVolunteer, now: datetime | None = None
) -> Volunteer:
    """Register one volunteer and e-mail them their signing link."""
    return _create(organisation, actor, [new], now, imported=False)[0]


def register_many(
    organisation: Organisation,
    actor: User,
    rows: Sequence[NewVolunteer],
    now: datetime | None = None,
) -> list[Volunteer]:
    """Register every row of an import, all or none, and e-mail each their signing link."""
    if not rows:
        raise VolunteerError(_l("Filen har ingen frivillige."))
    if len(rows) > MAX_IMPORT_ROWS:
        raise VolunteerError(
            _l("Der kan højst være %(max)d frivillige i én fil.", max=MAX_IMPORT_ROWS)
        )
    volunteers = _create(organisation, actor, rows, now, imported=True)
    audit.record(
        "volunteer.imported",
        object_type="organisation",
        object_id=organisation.id,
        details={"count": len(volunteers)},
    )
    return volunteers


def _create(
    organisation: Organisation,
    actor: User,
    rows: Sequence[NewVolunteer],
    now: datetime | None,
    *,
    imported: bool,
) -> list[Volunteer]:
    _ensure_may_register(organisation)
    now = now or utcnow()
    duplicate = DUPLICATE_IMPORT if imported else DUPLICATE
    if registered_emails(organisation, (row.email for row in rows)):
        raise DuplicateVolunteer(duplicate)
    volunteers = [
        Volunteer(
            organisation=organisation,
            name=row.name.strip(),
            email=normalise_email(row.email),
            phone=row.phone.strip(),
            birth_date=row.birth_date,
            visiting_friend=row.visiting_friend,
            language=row.language if row.language in LANGUAGES else "da",
            state=VolunteerState.INVITED,
            created_by_id=actor.id,
            created_at=now,
        )
        for row in rows
    ]
    try:
        # A savepoint: a double-submitted form (or two colleagues at once) that slips past the
        # check above meets the unique constraint, and only this insert is undone.
        with db.session.begin_nested():
            db.session.add_all(volunteers)
            db.session.flush()
    except IntegrityError:
        raise DuplicateVolunteer(duplicate) from None
    for volunteer in volunteers:
        record_event(volunteer, "registered", actor, now=now)
        audit.record(
            "volunteer.registered",
            object_type="volunteer",
            object_id=volunteer.id,
            details={
                "organisation": str(organisation.id),
                "visiting_friend": volunteer.visiting_friend,
                "imported": imported,
            },
        )
        _send_link(volunteer, now)
    return volunteers


# --- the link -------------------------------------------------------------------------------


def invitation_url(raw_token: str) -> str:
    """The signing link in the e-mails (the signing flow's start page)."""
    return mail.external_url("signing.start", token=raw_token)


def _send_link(volunteer: Volunteer, now: datetime, *, renewal: bool = False) -> None:
    raw = volunteer_links.new_link(volunteer, now)
    mail.send_template(
        volunteer.email,
        "volunteer_invitation",
        language=volunteer.language,
        name=volunteer.name,
        organisation=volunteer.organisation.name,
        link=invitation_url(raw),
        expires=volunteer.invitation_expires_at,
        visiting_friend=volunteer.visiting_friend,
        renewal=renewal,
    )


def resend_invitation(volunteer: Volunteer, actor: User, now: datetime | None = None) -> None:
    """A new signing link for a volunteer still to sign; the old link stops working."""
    _ensure_may_register(volunteer.organisation)
    if volunteer.state != VolunteerState.INVITED:
        raise VolunteerError(
            _l("Den frivillige har allerede underskrevet, så der skal ikke sendes et nyt link.")
        )
    now = now or utcnow()
    _send_link(volunteer, now)
    record_event(volunteer, "invitation_resent", actor, now=now)
    _flush()
    audit.record("volunteer.invitation_resent", object_type="volunteer", object_id=volunteer.id)


# --- preparation ----------------------------------------------------------------------------


def add_preparation(
    volunteer: Volunteer,
    actor: User,
    prepared_on: date,
    material: str,
    prepared_by: str,
    now: datetime | None = None,
) -> Preparation:
    """Record that the organisation prepared the volunteer in the security rules and the duty
    of confidentiality (date, what material or course, by whom)."""
    now = now or utcnow()
    material, prepared_by = material.strip(), prepared_by.strip()
    if prepared_on > today(now):
        raise VolunteerError(_l("Datoen for forberedelsen kan ikke ligge i fremtiden."))
    if not material or not prepared_by:
        raise VolunteerError(_l("Skriv, hvilket materiale der blev brugt, og hvem der forberedte."))
    preparation = Preparation(
        volunteer_id=volunteer.id,
        prepared_on=prepared_on,
        material=material,
        prepared_by=prepared_by,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    db.session.add(preparation)
    volunteer.preparations.append(preparation)
    record_event(volunteer, "preparation", actor, text=material, now=now)
    _flush()
    audit.record(
        "volunteer.prepared",
        object_type="volunteer",
        object_id=volunteer.id,
        details={"preparation": str(preparation.id), "prepared_on": prepared_on.isoformat()},
    )
    return preparation


# --- renewal --------------------------------------------------------------------------------


def renewal_refusal(volunteer: Volunteer, on_request: bool = False) -> Any | None:
    """Why the volunteer cannot be renewed now (None when they can)."""
    if volunteer.state in RENEWABLE:
        return None
    if volunteer.state == VolunteerState.WITHDRAWN:
        if on_request:
            return None
        return _l(
            "Den frivillige har trukket sit samtykke tilbage. Send kun et nyt link, hvis den frivillige selv har bedt om at komme tilbage, og bekræft det."
        )
    return _l(
        "Den frivillige er ikke godkendt endnu, så der er intet at forny. Send et nyt link, hvis det gamle er udløbet."
    )


def renew(
    volunteer: Volunteer, actor: User, *, on_request: bool = False, now: datetime | None = None
) -> None:
    """Start the volunteer over for a renewal: new declarations and a new register check.

    The earlier outcome is cleared (a renewal needs a new check, and the schema keeps a CPR
    number and an outcome from standing side by side). Access already granted stays until its
    date; the caseworker or the expiry ends it.
    """
    _ensure_may_register(volunteer.organisation)
    refusal = renewal_refusal(volunteer, on_request)
    if refusal is not None:
        raise VolunteerError(refusal)
    now = now or utcnow()
    before = volunteer.state
    volunteer.state = VolunteerState.INVITED
    volunteer.check_outcome = None
    volunteer.check_date = None
    volunteer.check_reason = ""
    volunteer.checked_by_id = None
    volunteer.checked_at = None
    volunteer.cpr_ciphertext = None
    volunteer.cpr_given_at = None
    # Signing starts over: the signing flow asks for every declaration again after this.
    volunteer.signed_at = None
    volunteer.withdrawn_at = None
    volunteer.renewed_at = now
    _send_link(volunteer, now, renewal=True)
    record_event(volunteer, "renewal", actor, now=now)
    _flush()
    audit.record(
        "volunteer.renewed",
        object_type="volunteer",
        object_id=volunteer.id,
        details={"from": before.value, "on_request": on_request},
    )


# --- helpers -------------------------------------------------------------------------------


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        # Someone else (the caseworker, the volunteer signing) changed the volunteer meanwhile.
        db.session.rollback()
        raise ConflictError(CONFLICT) from None
