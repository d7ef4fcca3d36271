"""Everything the portal holds about one person, read part by part for an access request
(GDPR art. 15) and for planning an erasure (art. 17).

A person is their account and every volunteer registration that is theirs: linked to the
account, or registered with its e-mail address and not linked to another account (a person
may volunteer for several organisations). Rows about the person that other people wrote are
included; other people themselves never are: who acted is told as "dig" or as a role
("en medarbejder i Kriminalforsorgen"), never by name or e-mail.

Values are JSON-able: dates and times as ISO strings, enums as ``{"kode", "tekst"}``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from portal import db
from portal.labels import VOLUNTEER_EVENT_LABELS
from portal.models import (
    AccessGrant,
    AccountToken,
    Activity,
    ActivityEvent,
    ActivityParticipant,
    AreaOffice,
    AuditEntry,
    CalendarFeed,
    DataSubjectRequest,
    DataSubjectRequestEvent,
    DeclarationVersion,
    Document,
    ExternalIdentity,
    GrantApplication,
    GrantApplicationEvent,
    GrantChangeRequest,
    GrantPayment,
    GrantReport,
    GrantRound,
    Institution,
    InstitutionContact,
    LoginSession,
    Organisation,
    OrganisationEvent,
    OwnerType,
    Preparation,
    ProcessingRecordSettings,
    ReviewAssignment,
    ReviewScore,
    Role,
    RoleAssignment,
    RoundReviewer,
    Signature,
    TermsAcceptance,
    TokenPurpose,
    User,
    Volunteer,
    VolunteerEvent,
)
from portal.services.subject_work import WorkParts, action, code, when
from portal.services.volunteer_status import status_of

EXPORT_PURPOSE = "subject_export"

# The parts of the export, in the order the summary shows them.
PARTS: tuple[tuple[str, Any], ...] = (
    ("konto", _l("Konto")),
    ("roller", _l("Roller")),
    ("log-ind-identiteter", _l("Log-in-identiteter")),
    ("log-ind-sessioner", _l("Log-in-sessioner")),
    ("e-mail-links", _l("Invitationer og links sendt på e-mail")),
    ("frivillig", _l("Registreringer som frivillig")),
    ("frivillig-historik", _l("Historik som frivillig")),
    ("underskrifter", _l("Underskrevne erklæringer")),
    ("adgange", _l("Adgang til institutioner")),
    ("forberedelser", _l("Forberedelse")),
    ("aktiviteter", _l("Aktiviteter")),
    ("organisationer", _l("Organisationer")),
    ("dokumenter", _l("Dokumenter")),
    ("tilskud", _l("Civilsamfundspuljen (tilskud)")),
    ("kontaktoplysninger", _l("Kontaktoplysninger")),
    ("administration", _l("Administration")),
    ("anmodninger", _l("Anmodninger om indsigt, rettelse og sletning")),
    ("hændelser", _l("Hændelser i revisionsloggen")),
)
PART_KEYS = tuple(key for key, _title in PARTS)

# Every model with a privacy declaration that ``collect`` reads, and the part it lands in.
# tests/test_subject_export.py fails when a declared model is in neither this nor its list of
# tables that never hold data about a person as such.
COVERED_MODELS: dict[type, str] = {
    User: "konto",
    RoleAssignment: "roller",
    ExternalIdentity: "log-ind-identiteter",
    LoginSession: "log-ind-sessioner",
    AccountToken: "e-mail-links",
    Volunteer: "frivillig",
    VolunteerEvent: "frivillig-historik",
    Signature: "underskrifter",
    AccessGrant: "adgange",
    Preparation: "forberedelser",
    Activity: "aktiviteter",
    ActivityParticipant: "aktiviteter",
    ActivityEvent: "aktiviteter",
    Organisation: "organisationer",
    OrganisationEvent: "organisationer",
    TermsAcceptance: "organisationer",
    Document: "dokumenter",
    GrantApplication: "tilskud",
    GrantApplicationEvent: "tilskud",
    ReviewAssignment: "tilskud",
    ReviewScore: "tilskud",
    RoundReviewer: "tilskud",
    GrantRound: "tilskud",
    GrantPayment: "tilskud",
    GrantChangeRequest: "tilskud",
    GrantReport: "tilskud",
    InstitutionContact: "kontaktoplysninger",
    ProcessingRecordSettings: "kontaktoplysninger",
    CalendarFeed: "administration",
    DeclarationVersion: "administration",
    DataSubjectRequest: "anmodninger",
    DataSubjectRequestEvent: "anmodninger",
    AuditEntry: "hændelser",
}

# Audit objects that are a person's: their ids are shown only when they are this person's.
_PERSON_OBJECTS = frozenset(
    {
        "user",
        "volunteer",
        "signature",
        "access_grant",
        "external_identity",
        "account_token",
        "institution_contact",
        "data_subject_request",
        "login_session",
        "document",
    }
)
# Audit details that say nothing to the person and must not travel (the signature's seal).
_DROPPED_DETAILS = frozenset({"evidence_mac", "email_hash"})
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_EMAIL = re.compile(r"[^@\s\"'<>(),;:]+@[^@\s\"'<>(),;:]+")
_KF_STAFF = frozenset({Role.CASEWORKER, Role.INSTITUTION_CONTACT, Role.GRANT_OFFICER, Role.ADMIN})
_NGO_STAFF = frozenset({Role.NGO_ADMIN, Role.NGO_MEMBER})


def volunteers_of(user: User) -> list[Volunteer]:
    """The person's volunteer registrations, in every organisation."""
    email = user.email.lower()
    return list(
        db.session.scalars(
            select(Volunteer)
            .where(
                or_(
                    Volunteer.user_id == user.id,
                    (func.lower(Volunteer.email) == email) & Volunteer.user_id.is_(None),
                )
            )
            .order_by(Volunteer.created_at, Volunteer.id)
        )
    )


def own_files(user: User, volunteers: Iterable[Volunteer]) -> list[Document]:
    """The files that are the person's own: their documents (receipts among them) and the
    receipts of their registrations' signatures. Earlier exports are listed, not copied."""
    volunteer_ids = [v.id for v in volunteers]
    receipts = select(Signature.receipt_document_id).where(
        Signature.volunteer_id.in_(volunteer_ids), Signature.receipt_document_id.is_not(None)
    )
    return list(
        db.session.scalars(
            select(Document)
            .where(
                or_(
                    (Document.owner_type == OwnerType.USER) & (Document.owner_id == user.id),
                    Document.id.in_(receipts),
                ),
                Document.purpose != EXPORT_PURPOSE,
            )
            .order_by(Document.uploaded_at, Document.id)
        )
    )


def file_paths(files: Iterable[Document]) -> dict[uuid.UUID, str]:
    """Where each file goes in the ZIP: ``dokumenter/`` and its name, made unique."""
    paths: dict[uuid.UUID, str] = {}
    taken: set[str] = set()
    for document in files:
        name = document.original_name.replace("/", "_").replace("\\", "_") or "dokument"
        stem, dot, extension = name.rpartition(".")
        if not dot:
            stem, extension = name, ""
        candidate, number = name, 1
        while candidate.lower() in taken:
            number += 1
            candidate = f"{stem}-{number}{dot}{extension}"
        taken.add(candidate.lower())
        paths[document.id] = f"dokumenter/{candidate}"
    return paths


def grant_records(user: User) -> dict[str, int]:
    """How many rows of grant cases name the person (kept for 10 years)."""
    app = GrantApplication
    return {
        "ansøgninger": _count(
            app,
            or_(
                app.created_by_id == user.id,
                app.updated_by_id == user.id,
                app.submitted_by_id == user.id,
                app.screened_by_id == user.id,
                app.decided_by_id == user.id,
                app.accepted_by_id == user.id,
                app.closed_by_id == user.id,
            ),
        ),
        "hændelser": _count(GrantApplicationEvent, GrantApplicationEvent.actor_id == user.id),
        "bedømmelser": _count(
            ReviewAssignment,
            or_(
                ReviewAssignment.reviewer_id == user.id, ReviewAssignment.assigned_by_id == user.id
            ),
        ),
        "udbetalinger": _count(GrantPayment, GrantPayment.recorded_by_id == user.id),
        "ændringer": _count(
            GrantChangeRequest,
            or_(
                GrantChangeRequest.requested_by_id == user.id,
                GrantChangeRequest.decided_by_id == user.id,
            ),
        ),
        "rapporter": _count(
            GrantReport,
            or_(GrantReport.submitted_by_id == user.id, GrantReport.decided_by_id == user.id),
        ),
    }


def _count(model: type[Any], condition: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(condition)) or 0


class Reader(WorkParts):
    """Reads one person's data; remembers how other people and places are named."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.email = user.email.lower()
        self.volunteers = volunteers_of(user)
        self.volunteer_ids = [v.id for v in self.volunteers]
        self.files = own_files(user, self.volunteers)
        self.paths = file_paths(self.files)
        # Rows about the person: the audit entries on them are part of the export.
        self.subject_ids: set[str] = {
            str(user.id),
            *(str(i) for i in self.volunteer_ids),
            *(str(document.id) for document in self.files),
        }
        # Every row read or named: their ids may be shown in the audit entries; any other id
        # (of someone else's row) is hidden.
        self.shown_ids: set[str] = set(self.subject_ids)
        self._who: dict[uuid.UUID | None, str] = {}
        self._names: dict[tuple[type, uuid.UUID], str] = {}

    # --- naming ---------------------------------------------------------------------------

    def who(self, actor_id: uuid.UUID | None) -> str:
        """Who acted: "dig" for the person, anyone else by their role, never by name."""
        if actor_id == self.user.id:
            return _("dig")
        if actor_id not in self._who:
            self._who[actor_id] = self._role_of(actor_id)
        return self._who[actor_id]

    def _role_of(self, actor_id: uuid.UUID | None) -> str:
        if actor_id is None:
            return _("portalen (automatisk)")
        roles = set(
            db.session.scalars(
                select(RoleAssignment.role).where(RoleAssignment.user_id == actor_id)
            )
        )
        if Role.DPO in roles:
            return _("databeskyttelsesrådgiveren")
        if roles & _KF_STAFF:
            return _("en medarbejder i Kriminalforsorgen")
        if Role.REVIEWER in roles:
            return _("en bedømmer")
        if roles & _NGO_STAFF:
            return _("en medarbejder i organisationen")
        if Role.VOLUNTEER in roles:
            return _("en frivillig")
        return _("en anden bruger")

    def name(self, model: type[Any], row_id: uuid.UUID | None) -> str | None:
        """The name of an organisation, institution, area office or round."""
        if row_id is None:
            return None
        key = (model, row_id)
        self.shown_ids.add(str(row_id))
        if key not in self._names:
            row = db.session.get(model, row_id)
            if row is None:
                self._names[key] = ""
            elif isinstance(row, GrantRound):
                self._names[key] = row.name_da
            else:
                self._names[key] = row.name
        return self._names[key]

    def _own(self, rows: Iterable[Any], *, about_person: bool = False) -> list[Any]:
        """The rows, remembered as read (and, ``about_person``, as rows about the person)."""
        rows = list(rows)
        ids = {str(row.id) for row in rows}
        self.shown_ids.update(ids)
        if about_person:
            self.subject_ids.update(ids)
        return rows

    # --- the parts ------------------------------------------------------------------------

    def collect(self) -> dict[str, list[dict[str, Any]]]:
        parts = {
            "konto": self.account(),
            "roller": self.roles(),
            "log-ind-identiteter": self.identities(),
            "log-ind-sessioner": self.sessions(),
            "e-mail-links": self.tokens(),
            "frivillig": self.volunteer_rows(),
            "frivillig-historik": self.volunteer_events(),
            "underskrifter": self.signatures(),
            "adgange": self.access(),
            "forberedelser": self.preparations(),
            "aktiviteter": self.activities(),
            "organisationer": self.organisations(),
            "dokumenter": self.documents(),
            "tilskud": self.grants(),
            "kontaktoplysninger": self.contacts(),
            "administration": self.administration(),
            "anmodninger": self.requests(),
        }
        # Last: it shows the entries about every row found above.
        parts["hændelser"] = self.audit_entries()
        return {key: parts[key] for key in PART_KEYS}

    def account(self) -> list[dict[str, Any]]:
        user = self.user
        return [
            {
                "id": str(user.id),
                "navn": user.name,
                "e-mail": user.email,
                "sprog": user.language,
                "aktiv": user.active,
                "oprettet": when(user.created_at),
                "sidst logget ind": when(user.last_login_at),
                "deaktiveret": when(user.deactivated_at),
                "adgangskode": _("Gemt som et hash, der ikke kan læses tilbage")
                if user.password_hash
                else _("Ingen"),
            }
        ]

    def roles(self) -> list[dict[str, Any]]:
        rows = self._own(
            db.session.scalars(
                select(RoleAssignment)
                .where(RoleAssignment.user_id == self.user.id)
                .order_by(RoleAssignment.granted_at, RoleAssignment.id)
            )
        )
        return [
            {
                "rolle": code(row.role),
                "organisation": self.name(Organisation, row.organisation_id),
                "områdekontor": self.name(AreaOffice, row.area_office_id),
                "institution": self.name(Institution, row.institution_id),
                "givet": when(row.granted_at),
                "givet af": self.who(row.granted_by_id) if row.granted_by_id else None,
            }
            for row in rows
        ]

    def identities(self) -> list[dict[str, Any]]:
        rows = self._own(
            db.session.scalars(
                select(ExternalIdentity)
                .where(ExternalIdentity.user_id == self.user.id)
                .order_by(ExternalIdentity.created_at, ExternalIdentity.id)
            ),
            about_person=True,
        )
        return [
            {
                "udbyder": row.provider,
                "issuer": row.issuer,
                "id hos udbyderen": row.subject,
                "navn": row.name,
                "e-mail": row.email,
                "sikringsniveau": row.assurance_level,
                "oprettet": when(row.created_at),
                "sidst brugt": when(row.last_login_at),
            }
            for row in rows
        ]

    def sessions(self) -> list[dict[str, Any]]:
        rows = self._own(
            db.session.scalars(
                select(LoginSession)
                .where(LoginSession.user_id == self.user.id)
                .order_by(LoginSession.created_at, LoginSession.id)
            ),
            about_person=True,
        )
        return [
            {
                "metode": row.method,
                "startet": when(row.created_at),
                "sidst aktiv": when(row.last_seen_at),
                "afsluttet": when(row.revoked_at),
                "ip-adresse": row.ip_address,
                "browser": row.user_agent,
            }
            for row in rows
        ]

    def tokens(self) -> list[dict[str, Any]]:
        rows = self._own(
            db.session.scalars(
                select(AccountToken)
                .where(
                    or_(
                        AccountToken.user_id == self.user.id,
                        func.lower(AccountToken.email) == self.email,
                    )
                )
                .order_by(AccountToken.created_at, AccountToken.id)
            ),
            about_person=True,
        )
        return [
            {
                "formål": {
                    "kode": row.purpose.value,
                    "tekst": _("Invitation")
                    if row.purpose == TokenPurpose.INVITATION
                    else _("Nulstilling af adgangskode"),
                },
                "navn": row.name,
                "e-mail": row.email,
                "rolle": code(row.role),
                "organisation": self.name(Organisation, row.organisation_id),
                "områdekontor": self.name(AreaOffice, row.area_office_id),
                "institution": self.name(Institution, row.institution_id),
                "sendt af": self.who(row.created_by_id),
                "oprettet": when(row.created_at),
                "udløber": when(row.expires_at),
                "brugt": when(row.used_at),
                "tilbagekaldt": when(row.revoked_at),
            }
            for row in rows
        ]

    def volunteer_rows(self) -> list[dict[str, Any]]:
        rows = []
        for volunteer in self.volunteers:
            if volunteer.cpr_ciphertext is not None:
                cpr_text = _("Gemt krypteret, indtil tjekket i Kriminalregistret er afgjort")
            elif volunteer.check_outcome is not None:
                cpr_text = _("Slettet, da resultatet af tjekket blev registreret")
            else:
                cpr_text = _("Ikke givet")
            rows.append(
                {
                    "id": str(volunteer.id),
                    "organisation": self.name(Organisation, volunteer.organisation_id),
                    "navn": volunteer.name,
                    "e-mail": volunteer.email,
                    "telefon": volunteer.phone,
                    "fødselsdato": when(volunteer.birth_date),
                    "besøgsven": volunteer.visiting_friend,
                    "sprog": volunteer.language,
                    "status": code(status_of(volunteer)),
                    "registreret": when(volunteer.created_at),
                    "registreret af": self.who(volunteer.created_by_id)
                    if volunteer.created_by_id
                    else None,
                    "invitation sendt": when(volunteer.invitation_sent_at),
                    "invitation udløber": when(volunteer.invitation_expires_at),
                    "invitation brugt": when(volunteer.invitation_used_at),
                    "cpr-nummer": cpr_text,
                    "cpr-nummer givet": when(volunteer.cpr_given_at),
                    "underskrevet": when(volunteer.signed_at),
                    "resultat af tjek": code(volunteer.check_outcome),
                    "begrundelse for konkret vurdering": volunteer.check_reason,
                    "dato for tjek": when(volunteer.check_date),
                    "samtykke trukket tilbage": when(volunteer.withdrawn_at),
                    "fornyet": when(volunteer.renewed_at),
                }
            )
        return rows

    def _by_volunteer(self, model: type[Any], order: Any) -> list[Any]:
        return self._own(
            db.session.scalars(
                select(model).where(model.volunteer_id.in_(self.volunteer_ids)).order_by(order)
            ),
            about_person=True,
        )

    def _organisation_of(self, volunteer_id: uuid.UUID) -> str | None:
        for volunteer in self.volunteers:
            if volunteer.id == volunteer_id:
                return self.name(Organisation, volunteer.organisation_id)
        return None

    def volunteer_events(self) -> list[dict[str, Any]]:
        return [
            {
                "organisation": self._organisation_of(row.volunteer_id),
                "tidspunkt": when(row.created_at),
                "hændelse": action(row.action, VOLUNTEER_EVENT_LABELS),
                "udført af": self.who(row.actor_id),
                "tekst": row.text,
            }
            for row in self._by_volunteer(VolunteerEvent, VolunteerEvent.created_at)
        ]

    def signatures(self) -> list[dict[str, Any]]:
        rows = []
        for row in self._by_volunteer(Signature, Signature.signed_at):
            version = row.declaration_version
            rows.append(
                {
                    "organisation": self._organisation_of(row.volunteer_id),
                    "erklæring": code(version.kind),
                    "version": version.version,
                    "titel": version.title_for(row.language),
                    "sprog": row.language,
                    "underskrevet": when(row.signed_at),
                    "handling": row.act,
                    "identitet bekræftet med": code(row.identity_method),
                    "udbyder": row.identity_provider,
                    "id hos udbyderen": row.identity_subject,
                    "sikringsniveau": row.identity_assurance,
                    "ip-adresse": row.ip_address,
                    "browser": row.user_agent,
                    "tekstens sha-256": row.text_sha256,
                    "kvittering": self.paths.get(row.receipt_document_id)
                    if row.receipt_document_id
                    else None,
                    "tekst, som den blev vist": row.text_shown,
                }
            )
        return rows

    def access(self) -> list[dict[str, Any]]:
        return [
            {
                "organisation": self._organisation_of(row.volunteer_id),
                "institution": self.name(Institution, row.institution_id),
                "fra": when(row.valid_from),
                "til og med": when(row.valid_until),
                "givet": when(row.granted_at),
                "givet af": self.who(row.granted_by_id),
                "ophørt": when(row.ended_at),
                "årsag": code(row.end_reason),
                "begrundelse": row.end_text,
            }
            for row in self._by_volunteer(AccessGrant, AccessGrant.granted_at)
        ]

    def preparations(self) -> list[dict[str, Any]]:
        return [
            {
                "organisation": self._organisation_of(row.volunteer_id),
                "dato": when(row.prepared_on),
                "materiale": row.material,
                # The one who prepared is another person: named by role only.
                "forberedt af": _("en medarbejder eller frivillig i organisationen"),
                "registreret": when(row.recorded_at),
            }
            for row in self._by_volunteer(Preparation, Preparation.prepared_on)
        ]

    def requests(self) -> list[dict[str, Any]]:
        rows = []
        for request in self._own(
            db.session.scalars(
                select(DataSubjectRequest)
                .where(
                    or_(
                        DataSubjectRequest.subject_user_id == self.user.id,
                        func.lower(DataSubjectRequest.subject_email) == self.email,
                    )
                )
                .order_by(DataSubjectRequest.received_at, DataSubjectRequest.id)
            ),
            about_person=True,
        ):
            rows.append(
                {
                    "art": code(request.kind),
                    "status": code(request.state),
                    "modtaget": when(request.received_at),
                    "kanal": code(request.channel),
                    "navn": request.subject_name,
                    "e-mail": request.subject_email,
                    "beskrivelse": request.description,
                    "frist": when(request.due_on),
                    "oprindelig frist": when(request.original_due_on),
                    "begrundelse for forlænget frist": request.extension_reason,
                    "besked om forlængelse sendt": when(request.extension_notified_at),
                    "identitet kontrolleret": when(request.identity_checked_at),
                    "note om kontrollen": request.identity_note,
                    "besvaret": when(request.answered_at),
                    "svar": request.answer_text,
                    "begrundelse for afvisning": request.refusal_reason,
                    "forløb": [
                        {
                            "tidspunkt": when(event.created_at),
                            "handling": event.action,
                            "fra": event.from_state,
                            "til": event.to_state,
                            "udført af": self.who(event.actor_id),
                            "tekst": event.text,
                        }
                        for event in request.events
                    ],
                }
            )
        return rows

    def audit_entries(self) -> list[dict[str, Any]]:
        me = str(self.user.id)
        entries = list(
            db.session.scalars(
                select(AuditEntry)
                .where(
                    or_(
                        AuditEntry.actor_id == me,
                        AuditEntry.object_id.in_(sorted(self.subject_ids)),
                    )
                )
                .order_by(AuditEntry.id)
            )
        )
        rows = []
        for entry in entries:
            mine = entry.actor_id == me
            shown_id = entry.object_id in self.shown_ids or entry.object_type not in _PERSON_OBJECTS
            rows.append(
                {
                    "tidspunkt": when(entry.occurred_at),
                    "handling": entry.action,
                    "objekt": entry.object_type,
                    "objektets id": entry.object_id if shown_id else _("[skjult]"),
                    "udført af": self._audit_actor(entry),
                    "ip-adresse": entry.ip_address if mine else None,
                    "browser": entry.user_agent if mine else None,
                    "detaljer": self._scrub(entry.details),
                }
            )
        return rows

    def _audit_actor(self, entry: AuditEntry) -> str:
        if entry.actor_id is None:
            if entry.actor_label == "anonymous":
                return _("en person, der ikke var logget ind")
            return _("portalen (automatisk)")
        try:
            return self.who(uuid.UUID(entry.actor_id))
        except ValueError:
            return _("en anden bruger")

    def _scrub(self, value: Any) -> Any:
        """Audit details without anyone else: other e-mail addresses and the ids of rows that
        are not the person's are hidden."""
        if isinstance(value, dict):
            return {
                key: self._scrub(item) for key, item in value.items() if key not in _DROPPED_DETAILS
            }
        if isinstance(value, list):
            return [self._scrub(item) for item in value]
        if isinstance(value, str):
            hidden = _("[skjult]")
            value = _EMAIL.sub(lambda m: m[0] if m[0].lower() == self.email else hidden, value)
            return _UUID.sub(lambda m: m[0] if m[0].lower() in self.shown_ids else hidden, value)
        return value


def collect(user: User) -> dict[str, list[dict[str, Any]]]:
    """Every part of the person's data (see ``PARTS``)."""
    return Reader(user).collect()
