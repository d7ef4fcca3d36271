"""The area office's side of volunteers: the register check's outcome, access per institution,
its revocation and expiry, and the volunteer's withdrawal of consent.

The CPR number is decrypted only for the caseworker's audited reveal and erased when the
outcome is recorded (or consent is withdrawn). The organisation is only ever told a status:
"cleared after assessment" reaches it, and the volunteer, as plain "cleared"; the assessment's
reason stays with the area office, and the register's content is never stored at all.

Every change locks the volunteer's row through its version (optimistic locking), so two
caseworkers deciding at once, or a decision crossing the volunteer's withdrawal, end with one
winner and a clear "changed by someone else" for the other.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.routing import BuildError

from portal import audit, cpr, db, mail
from portal.auth.permissions import can_check_volunteer
from portal.db import utcnow
from portal.labels import label
from portal.models import (
    AccessEndReason,
    AccessGrant,
    CheckOutcome,
    Institution,
    Organisation,
    Role,
    RuleProfile,
    User,
    Volunteer,
    VolunteerEvent,
    VolunteerState,
)
from portal.services import volunteer_status, workflow

REASON_MAX = 500
REVOKE_REASON_MAX = 2000
# Used when a security level has no rule profile (the admin added a level without one).
DEFAULT_VALIDITY_DAYS = 365

# The history in the past tense, by VolunteerEvent.action. Texts of these events are safe for
# the organisation: never a CPR number, register content or the assessment's reason.
CONFLICT_MESSAGE = _l(
    "Den frivillige er blevet ændret af en anden, mens du så på siden. Se den nye status herunder, og prøv igen, hvis det stadig er relevant."
)


class ClearanceError(Exception):
    """A refused action, with a message for the user (and the form field it concerns)."""

    def __init__(
        self, message: Any, *, field: str | None = None, problems: list[Any] | None = None
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.problems = problems or [message]


class ConflictError(ClearanceError):
    """Someone else changed the volunteer since the user loaded the page."""


# --- reading --------------------------------------------------------------------------------


def office_volunteers(user: User) -> Any:
    """A query for the volunteers of the caseworker's own area office(s)."""
    return (
        select(Volunteer)
        .join(Organisation, Organisation.id == Volunteer.organisation_id)
        .where(Organisation.area_office_id.in_(user.scopes(Role.CASEWORKER)))
    )


def awaiting_check_count(user: User) -> int:
    """How many volunteers of the caseworker's office(s) wait for their register check."""
    query = office_volunteers(user).where(Volunteer.state == VolunteerState.AWAITING_CHECK)
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def profile_for(institution: Institution) -> RuleProfile | None:
    return db.session.scalar(
        select(RuleProfile).where(RuleProfile.security_level_id == institution.security_level_id)
    )


def validity_days(institution: Institution) -> int:
    profile = profile_for(institution)
    return profile.access_validity_days if profile else DEFAULT_VALIDITY_DAYS


def default_valid_until(institution: Institution, day: date) -> date:
    """The last day of access granted on ``day`` by default, and also the latest allowed:
    the rule profile of the institution's security level says how long access lasts."""
    return day + timedelta(days=validity_days(institution))


def preparation_required(institution: Institution) -> bool:
    profile = profile_for(institution)
    return bool(profile and profile.preparation_required)


def grantable_institutions(volunteer: Volunteer) -> list[Institution]:
    """The active institutions of the volunteer's area office, by name."""
    return list(
        db.session.scalars(
            select(Institution)
            .where(
                Institution.area_office_id == volunteer.organisation.area_office_id,
                Institution.active,
            )
            .order_by(Institution.name)
        )
    )


def current_grants(volunteer: Volunteer, day: date) -> list[AccessGrant]:
    """Grants not ended and not yet past their last day."""
    return [g for g in volunteer.access_grants if g.ended_at is None and g.valid_until >= day]


def history(volunteer: Volunteer) -> list[VolunteerEvent]:
    """The volunteer's events, newest first."""
    return list(
        db.session.scalars(
            select(VolunteerEvent)
            .where(VolunteerEvent.volunteer_id == volunteer.id)
            .order_by(VolunteerEvent.created_at.desc(), VolunteerEvent.id)
        )
    )


# --- helpers for the changes ----------------------------------------------------------------


def _event(volunteer: Volunteer, action: str, actor: User | None, text: str = "") -> None:
    db.session.add(
        VolunteerEvent(
            volunteer_id=volunteer.id,
            action=action,
            text=text,
            actor_id=actor.id if actor else None,
        )
    )


def _check_caseworker(actor: User, volunteer: Volunteer) -> None:
    if not can_check_volunteer(actor, volunteer):
        raise ClearanceError(_l("Den frivillige hører ikke under dit områdekontor."))


def _lock(volunteer: Volunteer) -> None:
    """Write the volunteer's row now (its version moves on): a concurrent change of the same
    volunteer waits for this transaction and then fails with a conflict, instead of both
    acting on what they read before."""
    flag_modified(volunteer, "state")
    _flush()


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ConflictError(CONFLICT_MESSAGE) from None


def _link(*candidates: tuple[str, dict[str, Any]]) -> str:
    """An absolute link to the first endpoint that exists (some belong to other parts)."""
    for endpoint, values in candidates:
        if endpoint in current_app.view_functions:
            try:
                return mail.external_url(endpoint, **values)
            except BuildError:
                continue
    return mail.external_url("main.dashboard")


def _volunteer_link(volunteer: Volunteer) -> str:
    return _link(("signing.my_page", {}))


def _organisation_link(volunteer: Volunteer) -> str:
    return _link(("volunteers.detail", {"volunteer_id": volunteer.id}))


def _tell_volunteer(volunteer: Volunteer, template: str, **context: Any) -> None:
    mail.send_template(
        volunteer.email,
        template,
        language=volunteer.language,
        name=volunteer.name,
        volunteer=volunteer.name,
        organisation=volunteer.organisation.name,
        for_volunteer=True,
        link=_volunteer_link(volunteer),
        **context,
    )


def _tell_organisation(volunteer: Volunteer, template: str, **context: Any) -> None:
    for person in workflow.recipients(volunteer.organisation, workflow.Notify.ORGANISATION):
        mail.send_template(
            person.email,
            template,
            language=person.language,
            name=person.name,
            volunteer=volunteer.name,
            organisation=volunteer.organisation.name,
            for_volunteer=False,
            link=_organisation_link(volunteer),
            **context,
        )


def _tell_caseworkers(volunteer: Volunteer, template: str, **context: Any) -> None:
    for person in workflow.recipients(volunteer.organisation, workflow.Notify.AREA_OFFICE):
        mail.send_template(
            person.email,
            template,
            language=person.language,
            name=person.name,
            volunteer=volunteer.name,
            organisation=volunteer.organisation.name,
            for_volunteer=False,
            for_staff=True,
            link=mail.external_url("clearance.volunteer", volunteer_id=volunteer.id),
            **context,
        )


def _day_text(day: date) -> str:
    return day.strftime("%d.%m.%Y")


# --- the check ------------------------------------------------------------------------------


def reveal_cpr(volunteer: Volunteer, actor: User) -> str:
    """The CPR number, formatted, for the caseworker's check; every reveal is audited."""
    _check_caseworker(actor, volunteer)
    if volunteer.cpr_ciphertext is None:
        raise ClearanceError(
            _l("CPR-nummeret er slettet, fordi resultatet af tjekket er registreret.")
        )
    try:
        number = cpr.decrypt(volunteer.cpr_ciphertext, volunteer.id)
    except cpr.CprError:
        raise ClearanceError(
            _l("CPR-nummeret kan ikke læses. Kontakt portalens administrator.")
        ) from None
    # Who saw it and whose it was; never the number itself.
    audit.record("volunteer.cpr_revealed", object_type="volunteer", object_id=volunteer.id)
    return cpr.formatted(number)


def record_outcome(
    volunteer: Volunteer,
    actor: User,
    *,
    outcome: CheckOutcome,
    check_date: date,
    reason: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """Record the register check's outcome and erase the CPR number.

    The reason is kept only for "cleared after assessment" and only for the area office; the
    volunteer and the organisation are told the status ("Godkendt" / "Ikke godkendt").
    ``expected_version`` is the version the caseworker saw: a change since is a ConflictError.
    """
    now = now or utcnow()
    _check_caseworker(actor, volunteer)
    if expected_version is not None and expected_version != volunteer.version:
        raise ConflictError(CONFLICT_MESSAGE)
    if volunteer.state != VolunteerState.AWAITING_CHECK:
        raise ClearanceError(
            _l(
                "Resultatet kan kun registreres for frivillige, der afventer tjek. Status er nu \u201d%(status)s\u201d.",
                status=label(volunteer_status.status_of(volunteer, now)),
            )
        )
    reason = reason.strip() if outcome == CheckOutcome.CLEARED_AFTER_ASSESSMENT else ""
    if outcome == CheckOutcome.CLEARED_AFTER_ASSESSMENT and not reason:
        raise ClearanceError(
            _l("Skriv en kort begrundelse for den konkrete vurdering."), field="reason"
        )
    if len(reason) > REASON_MAX:
        raise ClearanceError(_l("Skriv højst %(max)d tegn.", max=REASON_MAX), field="reason")
    today = volunteer_status.today(now)
    if check_date > today:
        raise ClearanceError(
            _l("Datoen for tjekket kan ikke ligge i fremtiden."), field="check_date"
        )
    signed = volunteer_status.today(volunteer.signed_at) if volunteer.signed_at else None
    if signed is not None and check_date < signed:
        raise ClearanceError(
            _l(
                "Datoen for tjekket kan ikke ligge før den frivillige underskrev (%(date)s).",
                date=format_date(signed, "long"),
            ),
            field="check_date",
        )

    cleared = outcome != CheckOutcome.NOT_CLEARED
    volunteer.state = VolunteerState.CLEARED if cleared else VolunteerState.NOT_CLEARED
    volunteer.check_outcome = outcome
    volunteer.check_reason = reason
    volunteer.check_date = check_date
    volunteer.checked_by_id = actor.id
    volunteer.checked_at = now
    volunteer.cpr_ciphertext = None  # the schema refuses an outcome next to a CPR number
    _event(volunteer, "cleared" if cleared else "not_cleared", actor)
    _flush()
    audit.record(
        "volunteer.check_recorded",
        object_type="volunteer",
        object_id=volunteer.id,
        # The reason is staff-only text about the assessment, never the register's content;
        # it stays out of the log all the same, which outlives the volunteer's record.
        details={"outcome": outcome.value, "check_date": check_date.isoformat()},
    )
    template = "clearance_cleared" if cleared else "clearance_not_cleared"
    _tell_volunteer(volunteer, template)
    _tell_organisation(volunteer, template)


# --- access ---------------------------------------------------------------------------------


def grant_blocker(volunteer: Volunteer, now: datetime | None = None) -> Any | None:
    """Why the volunteer cannot be given access at all now, or None when they can."""
    if volunteer.state == VolunteerState.EXPIRED:
        return _l(
            "%(name)s har ikke længere adgang. Fornyelse kræver nye underskrifter og et nyt tjek, som organisationen sætter i gang.",
            name=volunteer.name,
        )
    if volunteer.state != VolunteerState.CLEARED:
        return _l(
            "Der kan kun gives adgang til en godkendt frivillig. %(name)s har status \u201d%(status)s\u201d.",
            name=volunteer.name,
            status=label(volunteer_status.status_of(volunteer, now)),
        )
    outdated = volunteer_status.outdated_kinds(volunteer)
    if outdated:
        return _l(
            "%(name)s skal underskrive en ny version af %(kinds)s, før der kan gives adgang.",
            name=volunteer.name,
            kinds=", ".join(label(kind) for kind in outdated),
        )
    return None


def grant_access(
    volunteer: Volunteer,
    actor: User,
    institutions: list[Institution | None],
    *,
    valid_until: date | None = None,
    now: datetime | None = None,
) -> list[AccessGrant]:
    """Give the volunteer access to each institution, until ``valid_until`` or, when it is
    None, each institution's default from its rule profile.

    An active grant for the same institution is replaced (ended as RENEWAL) rather than
    extended: each grant then keeps who granted it, when and for how long. Every refusal
    is collected, so the caseworker sees all of them at once. ``None`` in ``institutions``
    stands for an id that matched no institution.
    """
    now = now or utcnow()
    today = volunteer_status.today(now)
    _check_caseworker(actor, volunteer)
    blocker = grant_blocker(volunteer, now)
    if blocker is not None:
        raise ClearanceError(blocker)
    if not institutions:
        raise ClearanceError(_l("Vælg mindst én institution."), field="institutions")
    problems: list[Any] = []
    if valid_until is not None and valid_until < today:
        problems.append(_l("Udløbsdatoen kan ikke ligge i fortiden."))
    office = volunteer.organisation.area_office_id
    chosen: list[Institution] = []
    for institution in institutions:
        if institution is None or institution.area_office_id != office or not institution.active:
            problems.append(
                _l(
                    "%(institution)s hører ikke under %(office)s, og der kan ikke gives adgang til den her.",
                    institution=institution.name if institution else _l("En valgt institution"),
                    office=volunteer.organisation.area_office.name,
                )
            )
            continue
        if institution in chosen:
            continue
        chosen.append(institution)
        latest = default_valid_until(institution, today)
        if valid_until is not None and valid_until > latest:
            problems.append(
                _l(
                    "Adgang til %(institution)s kan højst gives i %(days)d dage, dvs. til og med %(date)s.",
                    institution=institution.name,
                    days=validity_days(institution),
                    date=format_date(latest, "long"),
                )
            )
        if preparation_required(institution) and not volunteer.preparations:
            problems.append(
                _l(
                    "Organisationen har ikke registreret, at %(name)s er forberedt i sikkerhedsreglerne og tavshedspligten. Det kræves for adgang til %(institution)s.",
                    name=volunteer.name,
                    institution=institution.name,
                )
            )
    if problems:
        raise ClearanceError(problems[0], field="institutions", problems=problems)

    _lock(volunteer)
    existing = {g.institution_id: g for g in current_grants(volunteer, today)}
    grants = []
    for institution in chosen:
        replaced = existing.get(institution.id)
        if replaced is not None:
            replaced.ended_at = now
            replaced.end_reason = AccessEndReason.RENEWAL
            replaced.ended_by_id = actor.id
        grant = AccessGrant(
            volunteer_id=volunteer.id,
            institution_id=institution.id,
            institution=institution,
            valid_from=today,
            valid_until=valid_until or default_valid_until(institution, today),
            granted_by_id=actor.id,
            granted_at=now,
        )
        volunteer.access_grants.append(grant)
        grants.append((grant, replaced))
    _flush()
    for grant, replaced in grants:
        audit.record(
            "volunteer.access_granted",
            object_type="access_grant",
            object_id=grant.id,
            details={
                "volunteer": str(volunteer.id),
                "institution": str(grant.institution_id),
                "valid_until": grant.valid_until.isoformat(),
                "replaces": str(replaced.id) if replaced else None,
            },
        )
    listed = [(g.institution.name, g.valid_until) for g, _r in grants]
    _event(
        volunteer,
        "access_granted",
        actor,
        "; ".join(f"{name} ({_day_text(until)})" for name, until in listed),
    )
    _flush()
    _tell_volunteer(volunteer, "clearance_access_granted", grants=listed)
    _tell_organisation(volunteer, "clearance_access_granted", grants=listed)
    return [grant for grant, _r in grants]


def revoke_access(
    grant: AccessGrant, actor: User, reason: str, *, now: datetime | None = None
) -> None:
    """End one grant at once, with a reason the volunteer and the organisation are told."""
    now = now or utcnow()
    volunteer = grant.volunteer
    _check_caseworker(actor, volunteer)
    reason = reason.strip()
    if grant.ended_at is not None:
        raise ClearanceError(_l("Adgangen er allerede ophørt."))
    if not reason:
        raise ClearanceError(_l("Skriv en begrundelse for tilbagekaldelsen."), field="reason")
    if len(reason) > REVOKE_REASON_MAX:
        raise ClearanceError(_l("Skriv højst %(max)d tegn.", max=REVOKE_REASON_MAX), field="reason")
    _lock(volunteer)
    grant.ended_at = now
    grant.end_reason = AccessEndReason.REVOKED
    grant.end_text = reason
    grant.ended_by_id = actor.id
    _event(volunteer, "access_revoked", actor, f"{grant.institution.name}: {reason}")
    _flush()
    audit.record(
        "volunteer.access_revoked",
        object_type="access_grant",
        object_id=grant.id,
        details={"volunteer": str(volunteer.id), "institution": str(grant.institution_id)},
    )
    context = {"institution": grant.institution.name, "reason": reason}
    _tell_volunteer(volunteer, "clearance_access_revoked", **context)
    _tell_organisation(volunteer, "clearance_access_revoked", **context)


def withdraw_consent(
    volunteer: Volunteer, user: User, *, now: datetime | None = None
) -> list[AccessGrant]:
    """The volunteer withdraws consent: every access ends at once, the CPR number (if still
    there) is erased, and the organisation's admins and the area office's caseworkers are told.
    Returns the grants that were ended."""
    now = now or utcnow()
    if volunteer.user_id is None or volunteer.user_id != user.id:
        raise ClearanceError(_l("Du kan kun trække dit eget samtykke tilbage."))
    if volunteer.state == VolunteerState.WITHDRAWN:
        raise ClearanceError(_l("Du har allerede trukket dit samtykke tilbage."))
    from_state = volunteer.state
    volunteer.state = VolunteerState.WITHDRAWN
    volunteer.withdrawn_at = now
    volunteer.cpr_ciphertext = None
    ended = [grant for grant in volunteer.access_grants if grant.ended_at is None]
    for grant in ended:
        grant.ended_at = now
        grant.end_reason = AccessEndReason.CONSENT_WITHDRAWN
        grant.ended_by_id = user.id
    _event(volunteer, "consent_withdrawn", user)
    _flush()
    audit.record(
        "volunteer.consent_withdrawn",
        object_type="volunteer",
        object_id=volunteer.id,
        details={"from": from_state.value, "grants_ended": [str(g.id) for g in ended]},
    )
    names = [grant.institution.name for grant in ended]
    _tell_organisation(volunteer, "clearance_consent_withdrawn", institutions=names)
    _tell_caseworkers(volunteer, "clearance_consent_withdrawn", institutions=names)
    return ended


# --- the daily job --------------------------------------------------------------------------


def process_access_expiry(now: datetime) -> dict[str, int]:
    """End access past its last day, and remind of access that ends within
    PORTAL_ACCESS_REMINDER_DAYS (the volunteer and the organisation's admins, once per grant).

    A cleared volunteer left without any access by an expiry becomes EXPIRED: renewal means
    new signatures and a new check. Each step marks its rows, so a second run does nothing
    twice. Works outside a request; the caller commits.
    """
    today = volunteer_status.today(now)
    counts = {"access_expired": 0, "volunteers_expired": 0, "access_reminded": 0}

    overdue: dict[uuid.UUID, list[AccessGrant]] = defaultdict(list)
    for grant in db.session.scalars(
        select(AccessGrant)
        .where(AccessGrant.ended_at.is_(None), AccessGrant.valid_until < today)
        .order_by(AccessGrant.valid_until, AccessGrant.id)
    ):
        overdue[grant.volunteer_id].append(grant)
    for grants in overdue.values():
        volunteer = grants[0].volunteer
        for grant in grants:
            grant.ended_at = now
            grant.end_reason = AccessEndReason.EXPIRED
            audit.record(
                "volunteer.access_expired",
                object_type="access_grant",
                object_id=grant.id,
                details={"volunteer": str(volunteer.id), "institution": str(grant.institution_id)},
            )
        counts["access_expired"] += len(grants)
        _event(volunteer, "access_expired", None, "; ".join(g.institution.name for g in grants))
        if volunteer.state == VolunteerState.CLEARED and not current_grants(volunteer, today):
            volunteer.state = VolunteerState.EXPIRED
            _event(volunteer, "expired", None)
            audit.record("volunteer.expired", object_type="volunteer", object_id=volunteer.id)
            _tell_organisation(volunteer, "clearance_access_expired")
            counts["volunteers_expired"] += 1
        db.session.flush()

    window_end = today + volunteer_status.reminder_window()
    due: dict[uuid.UUID, list[AccessGrant]] = defaultdict(list)
    for grant in db.session.scalars(
        select(AccessGrant)
        .where(
            AccessGrant.ended_at.is_(None),
            AccessGrant.expiry_reminded_at.is_(None),
            AccessGrant.valid_until >= today,
            AccessGrant.valid_until <= window_end,
        )
        .order_by(AccessGrant.valid_until, AccessGrant.id)
    ):
        due[grant.volunteer_id].append(grant)
    for grants in due.values():
        volunteer = grants[0].volunteer
        for grant in grants:
            grant.expiry_reminded_at = now
        listed = [(g.institution.name, g.valid_until) for g in grants]
        audit.record(
            "volunteer.access_expiry_reminded",
            object_type="volunteer",
            object_id=volunteer.id,
            details={"grants": [str(g.id) for g in grants]},
        )
        _tell_volunteer(volunteer, "clearance_access_expiring", grants=listed)
        _tell_organisation(volunteer, "clearance_access_expiring", grants=listed)
        counts["access_reminded"] += len(grants)
        db.session.flush()
    return counts
