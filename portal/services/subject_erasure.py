"""Erasure of one person's data (GDPR art. 17): what the law lets go is erased or anonymised,
what must be kept is listed with the reason, in plain Danish for the DPO and the person.

What is kept, and why:
- A volunteer registration with current access, or whose check in the register is under way:
  the signed declarations and their evidence are Kriminalforsorgen's proof that the access is
  lawful. They are kept while the access lasts and for 5 years after it ended (the retention
  job removes them then); so is the account the volunteer uses for it.
- Grant cases (10 years, bookkeeping and archives law), activities (5 years after their last
  date) and organisations' cases: they belong to the organisation's case, not to the person;
  they keep pointing to the account, which no longer names anyone once anonymised.
- The audit log (5 years, security, art. 32; it cannot be changed) and the data-subject
  requests themselves (documentation of our answer).
- The account of a Kriminalforsorgen employee with a staff role (removed by an administrator
  when the work ends), and the account of the only administrator of an organisation that is
  applying or approved: anonymising it would leave nobody able to act for the organisation or
  be told about its case, so it waits until the organisation has another administrator.

Everything else goes: the account (name, e-mail, password, roles, log-in identities,
sessions, e-mail links, own documents) and volunteer registrations without access.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal import audit, db
from portal.db import utcnow
from portal.labels import label
from portal.models import (
    ACTIVE_STATES,
    AccountToken,
    Activity,
    ActivityEvent,
    AuditEntry,
    DataSubjectRequest,
    Document,
    ExternalIdentity,
    InstitutionContact,
    LoginSession,
    Organisation,
    OrganisationEvent,
    OwnerType,
    Preparation,
    Role,
    RoleAssignment,
    Signature,
    TermsAcceptance,
    User,
    Volunteer,
    VolunteerState,
)
from portal.services import accounts, clearance
from portal.services.anonymise import (
    anonymise_user,
    anonymise_volunteer,
    is_anonymised_user,
    is_anonymised_volunteer,
)
from portal.services.subject_data import grant_records, volunteers_of
from portal.services.volunteer_status import COPENHAGEN, today

# Declarations and their evidence: while access lasts and this many years after it ends.
EVIDENCE_YEARS = 5
STAFF_ROLES = frozenset(
    {
        Role.CASEWORKER,
        Role.INSTITUTION_CONTACT,
        Role.GRANT_OFFICER,
        Role.REVIEWER,
        Role.DPO,
        Role.ADMIN,
    }
)


@dataclass(frozen=True)
class PlanItem:
    what: str
    count: int
    reason: str
    # Which kind of data (for counting; several items may share one).
    key: str = ""


@dataclass(frozen=True)
class ErasurePlan:
    erased: list[PlanItem]
    kept: list[PlanItem]

    @property
    def account_erased(self) -> bool:
        return any(item.key == "konto" for item in self.erased)


@dataclass
class _Assessment:
    plan: ErasurePlan
    volunteers: list[Volunteer]  # the registrations to anonymise
    account: bool  # whether the account is anonymised


def plan(user: User, now: datetime | None = None) -> ErasurePlan:
    """What erasing ``user`` would erase or anonymise, and what is kept and why."""
    return _assess(user, now or utcnow()).plan


def apply(user: User, actor: User, now: datetime | None = None) -> ErasurePlan:
    """Erase what the plan erases (through ``portal.services.anonymise``; files go when the
    transaction commits) and audit it with counts only. Applying it again changes nothing."""
    assessment = _assess(user, now or utcnow())
    for volunteer in assessment.volunteers:
        anonymise_volunteer(volunteer)
    if assessment.account:
        anonymise_user(user)
    else:
        _drop_volunteer_roles(user)
    result = assessment.plan
    audit.record(
        "privacy.erasure_applied",
        object_type="user",
        object_id=user.id,
        details={"erased": _tally(result.erased), "kept": _tally(result.kept)},
        actor_id=str(actor.id),
    )
    return result


def _tally(items: list[PlanItem]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for item in items:
        counts[item.key] += item.count
    return dict(counts)


def _drop_volunteer_roles(user: User) -> None:
    """A kept account loses the volunteer role where no registration of theirs is left."""
    remaining = {volunteer.organisation_id for volunteer in volunteers_of(user)}
    for assignment in list(user.role_assignments):
        if assignment.role == Role.VOLUNTEER and assignment.organisation_id not in remaining:
            accounts.revoke_role(user, assignment)
    db.session.flush()


# --- the assessment ---------------------------------------------------------------------------


def _count(model: type, condition: object) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(condition)) or 0


def _in_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _last_access(volunteer: Volunteer) -> date | None:
    """The last day the volunteer had access anywhere (None if they never had any)."""
    ends = [
        grant.ended_at.astimezone(COPENHAGEN).date() if grant.ended_at else grant.valid_until
        for grant in volunteer.access_grants
    ]
    return max(ends) if ends else None


def _assess(user: User, now: datetime) -> _Assessment:
    day = today(now)
    erased: list[PlanItem] = []
    kept: list[PlanItem] = []
    blocks: list[str] = []
    erasable: list[Volunteer] = []

    for volunteer in volunteers_of(user):
        if is_anonymised_volunteer(volunteer):
            continue
        item = _kept_volunteer(volunteer, day)
        if item is None:
            erasable.append(volunteer)
            continue
        kept.append(item)
        if item.key == "frivillig-adgang":
            blocks.append(
                _(
                    "Den frivillige bruger kontoen til sine underskrifter og sin adgang, så længe adgangen varer eller tjekket er i gang."
                )
            )
    erased += _erased_volunteers(erasable)

    account = not is_anonymised_user(user)
    if account:
        blocks += _account_blocks(user)
        if blocks:
            kept.append(
                PlanItem(
                    _("Kontoen (navn, e-mail og log-in)"),
                    1,
                    " ".join(dict.fromkeys(blocks)),
                    key="konto",
                )
            )
            account = False
        else:
            erased += _erased_account(user)
    kept += _kept_records(user, account_erased=account)
    return _Assessment(ErasurePlan(erased, kept), erasable, account)


def _kept_volunteer(volunteer: Volunteer, day: date) -> PlanItem | None:
    """Why a registration is kept, or None when it may be anonymised."""
    organisation = volunteer.organisation.name
    signatures = _count(Signature, Signature.volunteer_id == volunteer.id)
    what = _(
        "Registrering som frivillig i %(organisation)s med %(count)d underskrevne erklæringer og bevis for dem",
        organisation=organisation,
        count=signatures,
    )
    current = clearance.current_grants(volunteer, day)
    if current:
        until = max(grant.valid_until for grant in current)
        return PlanItem(
            what,
            1,
            _(
                "Den frivillige har adgang til %(institutions)s til og med %(until)s. Erklæringerne og beviset for dem er Kriminalforsorgens dokumentation for, at adgangen er lovlig, og gemmes, så længe adgangen varer, og %(years)d år derefter. Trækker den frivillige sit samtykke tilbage, ophører adgangen med det samme.",
                institutions=", ".join(sorted(grant.institution.name for grant in current)),
                until=format_date(until, "long"),
                years=EVIDENCE_YEARS,
            ),
            key="frivillig-adgang",
        )
    if volunteer.state == VolunteerState.AWAITING_CHECK:
        return PlanItem(
            what,
            1,
            _(
                "Tjekket i Kriminalregistret er i gang på den frivilliges eget samtykke. Registreringen kan anonymiseres, når områdekontoret har registreret resultatet, eller når den frivillige trækker samtykket tilbage."
            ),
            key="frivillig-adgang",
        )
    ended = _last_access(volunteer)
    if ended is not None and _in_years(ended, EVIDENCE_YEARS) >= day:
        return PlanItem(
            what,
            1,
            _(
                "Adgangen ophørte %(ended)s. Erklæringerne og beviset for dem gemmes i %(years)d år efter, at adgangen er ophørt (til og med %(until)s), som dokumentation for, at adgangen var lovlig. Derefter sletter portalen dem af sig selv.",
                ended=format_date(ended, "long"),
                years=EVIDENCE_YEARS,
                until=format_date(_in_years(ended, EVIDENCE_YEARS), "long"),
            ),
            key="frivillig-bevis",
        )
    return None


def _erased_volunteers(volunteers: list[Volunteer]) -> list[PlanItem]:
    ids = [volunteer.id for volunteer in volunteers]
    if not ids:
        return []
    items = [
        PlanItem(
            _("Registreringer som frivillig (navn, e-mail, telefon, fødselsdato og CPR-nummer)"),
            len(ids),
            _(
                "Anonymiseres: registreringen bliver stående uden oplysninger om personen, så statistikken over frivillige stadig passer."
            ),
            key="frivillig",
        )
    ]
    signatures = _count(Signature, Signature.volunteer_id.in_(ids))
    if signatures:
        items.append(
            PlanItem(
                _("Underskrevne erklæringer og kvitteringer"),
                signatures,
                _("Slettes. Der er ingen adgang, som de skal dokumentere."),
                key="underskrifter",
            )
        )
    preparations = _count(Preparation, Preparation.volunteer_id.in_(ids))
    if preparations:
        items.append(
            PlanItem(
                _("Organisationens forberedelse af den frivillige"),
                preparations,
                _("Slettes sammen med registreringen."),
                key="forberedelser",
            )
        )
    return items


def _account_blocks(user: User) -> list[str]:
    blocks = []
    staff = sorted(STAFF_ROLES & user.roles)
    if staff:
        blocks.append(
            _(
                "Kontoen bruges i arbejdet for Kriminalforsorgen (%(roles)s). Den lukkes, når en administrator fjerner rollerne, fordi arbejdet er slut.",
                roles=", ".join(label(role) for role in staff),
            )
        )
    sole = _sole_admin_of(user)
    if sole:
        blocks.append(
            _(
                "Personen er den eneste administrator af %(organisations)s. Uden en administrator kan ingen handle for organisationen eller få besked om dens sag, så kontoen bliver, til organisationen har fået en anden administrator.",
                organisations=", ".join(sole),
            )
        )
    return blocks


def _sole_admin_of(user: User) -> list[str]:
    names = []
    for organisation_id in sorted(user.scopes(Role.NGO_ADMIN)):
        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None or organisation.state not in ACTIVE_STATES:
            continue
        others = db.session.scalar(
            select(func.count(func.distinct(RoleAssignment.user_id)))
            .join(User, User.id == RoleAssignment.user_id)
            .where(
                RoleAssignment.organisation_id == organisation_id,
                RoleAssignment.role == Role.NGO_ADMIN,
                RoleAssignment.user_id != user.id,
                User.active,
            )
        )
        if not others:
            names.append(organisation.name)
    return sorted(names)


def _erased_account(user: User) -> list[PlanItem]:
    with_account = _("Slettes sammen med kontoen.")
    candidates = [
        (_("Roller"), _count(RoleAssignment, RoleAssignment.user_id == user.id), "roller"),
        (
            _("Log-in-identiteter hos udbydere"),
            _count(ExternalIdentity, ExternalIdentity.user_id == user.id),
            "log-ind-identiteter",
        ),
        (
            _("Log-in-sessioner"),
            _count(LoginSession, LoginSession.user_id == user.id),
            "log-ind-sessioner",
        ),
        (
            _("Invitationer og links sendt på e-mail"),
            _count(
                AccountToken,
                or_(AccountToken.user_id == user.id, AccountToken.email == user.email),
            ),
            "e-mail-links",
        ),
        (
            _("Egne dokumenter, fx kvitteringer og tidligere udtræk"),
            _count(
                Document,
                (Document.owner_type == OwnerType.USER) & (Document.owner_id == user.id),
            ),
            "dokumenter",
        ),
    ]
    items = [
        PlanItem(
            _("Kontoen: navn, e-mail, adgangskode og sprogvalg"),
            1,
            _(
                "Anonymiseres: kontoen kan ikke længere bruges til at logge ind, og den viser ikke længere, hvem den var."
            ),
            key="konto",
        )
    ]
    items += [
        PlanItem(what, count, with_account, key=key) for what, count, key in candidates if count
    ]
    return items


def _kept_records(user: User, *, account_erased: bool) -> list[PlanItem]:
    me = user.id
    anonymous = (
        " "
        + _(
            "Sagerne peger på kontoen, som ikke længere viser navn eller e-mail, når den er anonymiseret."
        )
        if account_erased
        else ""
    )
    volunteer_ids = [
        str(i) for i in db.session.scalars(select(Volunteer.id).where(Volunteer.user_id == me))
    ]
    candidates = [
        (
            _("Oplysninger i tilskudssager (ansøgninger, beskeder, bedømmelser, rapporter)"),
            sum(grant_records(user).values()),
            _(
                "Tilskudssager gemmes i 10 år efter sagens afslutning efter bogføringsloven og arkivloven."
            )
            + anonymous,
            "tilskud",
        ),
        (
            _("Aktiviteter, personen har foreslået eller afgjort, og beskeder om dem"),
            _count(Activity, or_(Activity.created_by_id == me, Activity.decided_by_id == me))
            + _count(ActivityEvent, ActivityEvent.actor_id == me),
            _(
                "Aktiviteter og deres historik gemmes i 5 år efter aktivitetens sidste dato som dokumentation for, hvem der var på institutionerne."
            )
            + anonymous,
            "aktiviteter",
        ),
        (
            _("Organisationers sager, dokumenter og accept af vilkår"),
            _count(
                Organisation,
                or_(Organisation.created_by_id == me, Organisation.handled_by_id == me),
            )
            + _count(OrganisationEvent, OrganisationEvent.actor_id == me)
            + _count(TermsAcceptance, TermsAcceptance.accepted_by_id == me)
            + _count(
                Document, (Document.uploaded_by_id == me) & (Document.owner_type != OwnerType.USER)
            ),
            _(
                "De hører til organisationens sag og gemmes, så længe samarbejdet varer, og 5 år derefter."
            )
            + anonymous,
            "organisationer",
        ),
        (
            _("Hændelser i revisionsloggen"),
            _count(
                AuditEntry,
                or_(
                    AuditEntry.actor_id == str(me),
                    AuditEntry.object_id.in_([str(me), *volunteer_ids]),
                ),
            ),
            _(
                "Revisionsloggen gemmes i 5 år af hensyn til sikkerheden (GDPR art. 32) og kan ikke ændres. Ældre hændelser viser derfor fortsat personens e-mail, indtil de slettes."
            ),
            "hændelser",
        ),
        (
            _("Anmodninger om indsigt, rettelse og sletning og vores svar"),
            _count(
                DataSubjectRequest,
                or_(
                    DataSubjectRequest.subject_user_id == me,
                    func.lower(DataSubjectRequest.subject_email) == user.email.lower(),
                ),
            ),
            _(
                "Gemmes i 3 år efter svaret som dokumentation for, at anmodningen er behandlet efter reglerne (GDPR art. 5, stk. 2, og art. 12)."
            ),
            "anmodninger",
        ),
        (
            _("Kontaktoplysninger på institutioner"),
            _count(InstitutionContact, func.lower(InstitutionContact.email) == user.email.lower()),
            _(
                "Vedligeholdes af administratoren og fjernes, når personen ikke længere er kontaktperson."
            ),
            "kontaktoplysninger",
        ),
    ]
    return [
        PlanItem(what, count, reason, key=key) for what, count, reason, key in candidates if count
    ]
