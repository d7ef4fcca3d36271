"""The person's work in the portal, for the access export: activities they proposed, took
part in or decided, organisations they work for or handled, documents they uploaded, grant
cases they wrote, assessed or decided, and what they set up as staff.

A mixin of ``subject_data.Reader`` (which names other people by role and remembers the rows
read); the value helpers here are shared with it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal import db
from portal.labels import ACTIVITY_EVENT_LABELS, GRANT_EVENT_LABELS, label
from portal.models import (
    Activity,
    ActivityEvent,
    ActivityParticipant,
    CalendarFeed,
    DeclarationVersion,
    Document,
    GrantApplication,
    GrantApplicationEvent,
    GrantChangeRequest,
    GrantPayment,
    GrantReport,
    GrantRound,
    Institution,
    InstitutionContact,
    Organisation,
    OrganisationEvent,
    OwnerType,
    ProcessingRecordSettings,
    ReviewAssignment,
    Role,
    RoleAssignment,
    RoundReviewer,
    RubricCriterion,
    TermsAcceptance,
)
from portal.money import kroner
from portal.services import documents

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.models import User

_NGO_STAFF = frozenset({Role.NGO_ADMIN, Role.NGO_MEMBER})


def when(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def code(member: enum.Enum | None) -> dict[str, str] | None:
    """An enum as its stored value and its Danish name."""
    if member is None:
        return None
    return {"kode": str(member.value), "tekst": label(member)}


def action(action: str, labels: dict[str, Any]) -> dict[str, str]:
    return {"kode": action, "tekst": str(labels.get(action, action))}


class WorkParts:
    """The parts about the person's work; ``subject_data.Reader`` provides the rest."""

    user: User
    email: str
    volunteer_ids: list[uuid.UUID]
    files: list[Document]
    paths: dict[uuid.UUID, str]
    shown_ids: set[str]

    def who(self, actor_id: uuid.UUID | None) -> str:
        raise NotImplementedError

    def name(self, model: type[Any], row_id: uuid.UUID | None) -> str | None:
        raise NotImplementedError

    def _own(self, rows: Iterable[Any], *, about_person: bool = False) -> list[Any]:
        raise NotImplementedError

    def _by_volunteer(self, model: type[Any], order: Any) -> list[Any]:
        raise NotImplementedError

    def _organisation_of(self, volunteer_id: uuid.UUID) -> str | None:
        raise NotImplementedError

    def activities(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        participations = self._by_volunteer(ActivityParticipant, ActivityParticipant.id)
        for row in participations:
            activity = row.activity
            rows.append(
                {
                    "type": _("Deltager"),
                    "aktivitet": activity.title,
                    "organisation": self._organisation_of(row.volunteer_id),
                    "institution": activity.institution.name,
                    "art": code(activity.kind),
                    "første dato": when(activity.first_date),
                    "sidste dato": when(activity.until_date),
                    "tid": f"{activity.start_time:%H:%M}-{activity.end_time:%H:%M}",
                    "status": code(activity.state),
                    "børneattest": row.child_certificate,
                    "må ikke deltage siden": when(row.blocked_at),
                    "årsag": row.blocked_reason,
                }
            )
        for activity in self._own(
            db.session.scalars(
                select(Activity)
                .where(
                    or_(
                        Activity.created_by_id == self.user.id,
                        Activity.decided_by_id == self.user.id,
                    )
                )
                .order_by(Activity.created_at, Activity.id)
            )
        ):
            proposed = activity.created_by_id == self.user.id
            rows.append(
                {
                    "type": _("Foreslået af dig") if proposed else _("Afgjort af dig"),
                    "aktivitet": activity.title,
                    "organisation": activity.organisation.name,
                    "institution": activity.institution.name,
                    "art": code(activity.kind),
                    "beskrivelse": activity.description if proposed else None,
                    "målgruppe": activity.target_group if proposed else None,
                    "sted": activity.place if proposed else None,
                    "første dato": when(activity.first_date),
                    "sidste dato": when(activity.until_date),
                    "tid": f"{activity.start_time:%H:%M}-{activity.end_time:%H:%M}",
                    "medbringer": list(activity.items or ()) if proposed else None,
                    "status": code(activity.state),
                    "sendt": when(activity.sent_at),
                    "afgjort": when(activity.decided_at),
                    "begrundelse for afgørelsen": activity.decision_reason,
                    "begrundelse for aflysning": activity.cancel_reason if proposed else None,
                }
            )
        for event in db.session.scalars(
            select(ActivityEvent)
            .where(ActivityEvent.actor_id == self.user.id)
            .order_by(ActivityEvent.created_at, ActivityEvent.id)
        ):
            rows.append(
                {
                    "type": _("Din handling eller besked"),
                    "aktivitet": self._activity_title(event.activity_id),
                    "tidspunkt": when(event.created_at),
                    "handling": action(event.action, ACTIVITY_EVENT_LABELS),
                    "tekst": event.text,
                }
            )
        return rows

    def _activity_title(self, activity_id: uuid.UUID) -> str | None:
        activity = db.session.get(Activity, activity_id)
        return activity.title if activity else None

    def organisations(self) -> list[dict[str, Any]]:
        me = self.user.id
        rows: list[dict[str, Any]] = []
        for assignment in db.session.scalars(
            select(RoleAssignment)
            .where(
                RoleAssignment.user_id == me,
                RoleAssignment.organisation_id.is_not(None),
                RoleAssignment.role.in_(_NGO_STAFF),
            )
            .order_by(RoleAssignment.granted_at)
        ):
            rows.append(
                {
                    "type": _("Medarbejder"),
                    "organisation": self.name(Organisation, assignment.organisation_id),
                    "rolle": code(assignment.role),
                    "siden": when(assignment.granted_at),
                }
            )
        for organisation in self._own(
            db.session.scalars(
                select(Organisation)
                .where(or_(Organisation.created_by_id == me, Organisation.handled_by_id == me))
                .order_by(Organisation.created_at)
            )
        ):
            created = organisation.created_by_id == me
            rows.append(
                {
                    "type": _("Oprettet af dig") if created else _("Sagsbehandlet af dig"),
                    "organisation": organisation.name,
                    "cvr-nummer": organisation.cvr,
                    "status": code(organisation.state),
                    "oprettet": when(organisation.created_at),
                    "indsendt": when(organisation.submitted_at),
                    "afgjort": when(organisation.decided_at),
                }
            )
        for event in db.session.scalars(
            select(OrganisationEvent)
            .where(OrganisationEvent.actor_id == me)
            .order_by(OrganisationEvent.created_at, OrganisationEvent.id)
        ):
            rows.append(
                {
                    "type": _("Din handling eller besked"),
                    "organisation": self.name(Organisation, event.organisation_id),
                    "tidspunkt": when(event.created_at),
                    "handling": event.action or event.kind.value,
                    "tekst": event.text,
                }
            )
        for acceptance in db.session.scalars(
            select(TermsAcceptance)
            .where(TermsAcceptance.accepted_by_id == me)
            .order_by(TermsAcceptance.accepted_at)
        ):
            terms = acceptance.terms_version
            rows.append(
                {
                    "type": _("Accept af vilkår"),
                    "organisation": self.name(Organisation, acceptance.organisation_id),
                    "vilkår": terms.title_da,
                    "version": terms.version,
                    "accepteret": when(acceptance.accepted_at),
                    "ip-adresse": acceptance.ip_address,
                }
            )
        return rows

    def documents(self) -> list[dict[str, Any]]:
        own = {document.id for document in self.files}
        uploaded = db.session.scalars(
            select(Document)
            .where(
                or_(
                    Document.uploaded_by_id == self.user.id,
                    (Document.owner_type == OwnerType.USER) & (Document.owner_id == self.user.id),
                )
            )
            .order_by(Document.uploaded_at, Document.id)
        )
        listed = {document.id: document for document in self.files}
        for document in uploaded:
            listed.setdefault(document.id, document)
        rows = []
        for document in sorted(listed.values(), key=lambda d: (d.uploaded_at, str(d.id))):
            self.shown_ids.add(str(document.id))
            purpose = documents.PURPOSES.get(document.purpose) or documents.GENERATED_PURPOSES.get(
                document.purpose
            )
            if document.owner_type == OwnerType.ORGANISATION:
                owner = self.name(Organisation, document.owner_id)
            elif document.owner_type == OwnerType.USER:
                owner = _("dig")
            else:
                owner = _("en sag")
            rows.append(
                {
                    "navn": document.original_name,
                    "formål": {
                        "kode": document.purpose,
                        "tekst": str(purpose.label) if purpose else document.purpose,
                    },
                    "beskrivelse": document.description,
                    "filtype": document.content_type,
                    "størrelse (bytes)": document.size,
                    "sha-256": document.sha256,
                    "uploadet": when(document.uploaded_at),
                    "uploadet af": self.who(document.uploaded_by_id),
                    "hører til": owner,
                    "fil i udtrækket": self.paths.get(document.id) if document.id in own else None,
                }
            )
        return rows

    def grants(self) -> list[dict[str, Any]]:
        me = self.user.id
        rows: list[dict[str, Any]] = []
        app = GrantApplication
        roles = (
            ("created_by_id", _("oprettet")),
            ("updated_by_id", _("senest ændret")),
            ("submitted_by_id", _("sendt")),
            ("screened_by_id", _("screenet")),
            ("decided_by_id", _("afgjort")),
            ("accepted_by_id", _("taget imod tilskuddet")),
            ("closed_by_id", _("lukket")),
        )
        for application in self._own(
            db.session.scalars(
                select(app)
                .where(or_(*(getattr(app, column) == me for column, _text in roles)))
                .order_by(app.created_at)
            )
        ):
            did = [str(text) for column, text in roles if getattr(application, column) == me]
            # The application's texts are shown to those who wrote it, not to its assessors.
            writer = me in (
                application.created_by_id,
                application.updated_by_id,
                application.submitted_by_id,
            )
            rows.append(
                {
                    "type": _("Ansøgning"),
                    "runde": application.round.name_da,
                    "organisation": application.organisation.name,
                    "titel": application.title,
                    "resumé": application.summary if writer else None,
                    "beskrivelse": application.description if writer else None,
                    "målgruppe": application.target_group if writer else None,
                    "status": code(application.state),
                    "dine handlinger": did,
                    "sendt": when(application.submitted_at),
                }
            )
        for event in db.session.scalars(
            select(GrantApplicationEvent)
            .where(GrantApplicationEvent.actor_id == me)
            .order_by(GrantApplicationEvent.created_at, GrantApplicationEvent.id)
        ):
            rows.append(
                {
                    "type": _("Din handling eller besked"),
                    "ansøgning": self._application_title(event.application_id),
                    "tidspunkt": when(event.created_at),
                    "handling": action(event.action, GRANT_EVENT_LABELS),
                    "tekst": event.text,
                }
            )
        rows.extend(self._reviews())
        for payment in db.session.scalars(
            select(GrantPayment)
            .where(GrantPayment.recorded_by_id == me)
            .order_by(GrantPayment.recorded_at)
        ):
            rows.append(
                {
                    "type": _("Udbetaling registreret af dig"),
                    "ansøgning": self._application_title(payment.application_id),
                    "rate": payment.instalment,
                    "beløb": kroner(payment.amount_ore),
                    "beløb (øre)": payment.amount_ore,
                    "betalt": when(payment.paid_on),
                    "note": payment.note,
                    "registreret": when(payment.recorded_at),
                }
            )
        for change in db.session.scalars(
            select(GrantChangeRequest)
            .where(
                or_(
                    GrantChangeRequest.requested_by_id == me, GrantChangeRequest.decided_by_id == me
                )
            )
            .order_by(GrantChangeRequest.requested_at)
        ):
            rows.append(
                {
                    "type": _("Ønske om ændring")
                    if change.requested_by_id == me
                    else _("Ønske om ændring, afgjort af dig"),
                    "ansøgning": self._application_title(change.application_id),
                    "art": code(change.kind),
                    "status": code(change.state),
                    "tekst": change.text,
                    "ny slutdato": when(change.new_period_end),
                    "ønsket": when(change.requested_at),
                    "afgjort": when(change.decided_at),
                    "begrundelse for afgørelsen": change.decision_reason,
                }
            )
        for report in db.session.scalars(
            select(GrantReport)
            .where(or_(GrantReport.submitted_by_id == me, GrantReport.decided_by_id == me))
            .order_by(GrantReport.created_at)
        ):
            rows.append(
                {
                    "type": _("Rapport sendt af dig")
                    if report.submitted_by_id == me
                    else _("Rapport afgjort af dig"),
                    "ansøgning": self._application_title(report.application_id),
                    "art": code(report.kind),
                    "status": code(report.state),
                    "beretning": report.narrative,
                    "frivillige timer": str(report.volunteer_hours),
                    "sendt": when(report.submitted_at),
                    "afgjort": when(report.decided_at),
                    "svar på rapporten": report.decision_text,
                }
            )
        for grant_round in db.session.scalars(
            select(GrantRound).where(GrantRound.created_by_id == me).order_by(GrantRound.created_at)
        ):
            rows.append(
                {
                    "type": _("Runde oprettet af dig"),
                    "runde": grant_round.name_da,
                    "oprettet": when(grant_round.created_at),
                }
            )
        for reviewer in db.session.scalars(
            select(RoundReviewer).where(RoundReviewer.user_id == me)
        ):
            rows.append(
                {
                    "type": _("Bedømmer i runden"),
                    "runde": self.name(GrantRound, reviewer.round_id),
                }
            )
        return rows

    def _reviews(self) -> list[dict[str, Any]]:
        me = self.user.id
        rows: list[dict[str, Any]] = []
        for assignment in self._own(
            db.session.scalars(
                select(ReviewAssignment)
                .where(
                    or_(ReviewAssignment.reviewer_id == me, ReviewAssignment.assigned_by_id == me)
                )
                .order_by(ReviewAssignment.assigned_at)
            )
        ):
            title = self._application_title(assignment.application_id)
            if assignment.reviewer_id != me:
                rows.append(
                    {
                        "type": _("Du gav en bedømmer ansøgningen"),
                        "ansøgning": title,
                        "tidspunkt": when(assignment.assigned_at),
                    }
                )
                continue
            rows.append(
                {
                    "type": _("Bedømmelse"),
                    "ansøgning": title,
                    "tildelt": when(assignment.assigned_at),
                    "inhabilitet erklæret": when(assignment.conflict_declared_at),
                    "begrundelse for inhabilitet": assignment.conflict_reason,
                    "færdig": when(assignment.completed_at),
                }
            )
            for score in assignment.scores:
                criterion = db.session.get(RubricCriterion, score.criterion_id)
                rows.append(
                    {
                        "type": _("Point"),
                        "ansøgning": title,
                        "kriterium": criterion.name_da if criterion else None,
                        "point": score.score,
                        "bemærkning": score.comment,
                        "ændret": when(score.updated_at),
                    }
                )
        return rows

    def _application_title(self, application_id: uuid.UUID) -> str | None:
        application = db.session.get(GrantApplication, application_id)
        return application.title if application else None

    def contacts(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for contact in self._own(
            db.session.scalars(
                select(InstitutionContact).where(func.lower(InstitutionContact.email) == self.email)
            )
        ):
            rows.append(
                {
                    "type": _("Kontaktperson på institution"),
                    "institution": self.name(Institution, contact.institution_id),
                    "navn": contact.name,
                    "funktion": contact.title,
                    "e-mail": contact.email,
                    "telefon": contact.phone,
                }
            )
        settings = db.session.get(ProcessingRecordSettings, 1)
        if settings is not None and (
            settings.dpo_email.lower() == self.email or settings.updated_by_id == self.user.id
        ):
            mine = settings.dpo_email.lower() == self.email
            rows.append(
                {
                    "type": _("Fortegnelsen over behandlingsaktiviteter"),
                    "databeskyttelsesrådgiver": settings.dpo_name if mine else None,
                    "e-mail": settings.dpo_email if mine else None,
                    "telefon": settings.dpo_phone if mine else None,
                    "senest ændret af dig": when(settings.updated_at)
                    if settings.updated_by_id == self.user.id
                    else None,
                }
            )
        return rows

    def administration(self) -> list[dict[str, Any]]:
        me = self.user.id
        rows: list[dict[str, Any]] = []
        for feed in db.session.scalars(
            select(CalendarFeed)
            .where(CalendarFeed.created_by_id == me)
            .order_by(CalendarFeed.created_at)
        ):
            rows.append(
                {
                    "type": _("Kalenderadresse lavet af dig"),
                    "institution": self.name(Institution, feed.institution_id),
                    "organisation": self.name(Organisation, feed.organisation_id),
                    "lavet": when(feed.created_at),
                    "stoppet": when(feed.revoked_at),
                }
            )
        for version in db.session.scalars(
            select(DeclarationVersion)
            .where(DeclarationVersion.published_by_id == me)
            .order_by(DeclarationVersion.published_at)
        ):
            rows.append(
                {
                    "type": _("Erklæringstekst offentliggjort af dig"),
                    "erklæring": code(version.kind),
                    "version": version.version,
                    "offentliggjort": when(version.published_at),
                }
            )
        return rows
