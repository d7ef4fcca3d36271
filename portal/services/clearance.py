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

from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, cpr, db
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
    User,
    Volunteer,
    VolunteerState,
)
from portal.services import rule_profiles, volunteer_status
from portal.services import volunteer_notices as notices
from portal.services.volunteer_history import record_event

REASON_MAX = 500
REVOKE_REASON_MAX = 2000

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


def validity_days(institution: Institution) -> int:
    """How long access there lasts by default (the level's profile, as the institution tightens it)."""
    return rule_profiles.effective_rules(institution).access_validity_days


def default_valid_until(institution: Institution, day: date) -> date:
    """The last day of access granted on ``day`` by default, and also the latest allowed:
    the rule profile of the institution's security level says how long access lasts."""
    return day + timedelta(days=validity_days(institution))


def preparation_required(institution: Institution) -> bool:
    return rule_profiles.effective_rules(institution).preparation_required


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


# --- helpers for the changes ----------------------------------------------------------------


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
    record_event(volunteer, "cleared" if cleared else "not_cleared", actor, now=now)
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
    notices.tell_volunteer(volunteer, template)
    notices.tell_organisation(volunteer, template)


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
    record_event(
        volunteer,
        "access_granted",
        actor,
        "; ".join(f"{name} ({notices.day_text(until)})" for name, until in listed),
        now=now,
    )
    _flush()
    notices.tell_volunteer(volunteer, "clearance_access_granted", grants=listed)
    notices.tell_organisation(volunteer, "clearance_access_granted", grants=listed)
    _recheck_activities(volunteer, now)
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
    record_event(volunteer, "access_revoked", actor, f"{grant.institution.name}: {reason}")
    _flush()
    audit.record(
        "volunteer.access_revoked",
        object_type="access_grant",
        object_id=grant.id,
        details={"volunteer": str(volunteer.id), "institution": str(grant.institution_id)},
    )
    context = {"institution": grant.institution.name, "reason": reason}
    notices.tell_volunteer(volunteer, "clearance_access_revoked", **context)
    notices.tell_organisation(volunteer, "clearance_access_revoked", **context)
    _recheck_activities(volunteer, now)


def _recheck_activities(volunteer: Volunteer, now: datetime) -> None:
    """Flag (or clear) the volunteer's approved activities at once."""
    from portal.services import activity_flags

    activity_flags.recheck_volunteer(volunteer, now)


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
    record_event(volunteer, "consent_withdrawn", user)
    _flush()
    audit.record(
        "volunteer.consent_withdrawn",
        object_type="volunteer",
        object_id=volunteer.id,
        details={"from": from_state.value, "grants_ended": [str(g.id) for g in ended]},
    )
    names = [grant.institution.name for grant in ended]
    notices.tell_organisation(volunteer, "clearance_consent_withdrawn", institutions=names)
    notices.tell_caseworkers(volunteer, "clearance_consent_withdrawn", institutions=names)
    _recheck_activities(volunteer, now)
    return ended
