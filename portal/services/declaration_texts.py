"""The admin's editing of declaration texts: every change is a new version, never an edit.

Publishing version n+1 of a declaration makes every signature of an earlier version of that
kind outdated (``volunteer_status.outdated_kinds``); ``notify_resign`` then asks the
volunteers concerned to sign again, and tells their organisations.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import audit, db, mail
from portal.db import utcnow
from portal.models import (
    DeclarationKind,
    DeclarationVersion,
    Organisation,
    OrganisationState,
    Role,
    RoleAssignment,
    Signature,
    User,
    Volunteer,
    VolunteerState,
)
from portal.services import volunteer_status

# The placeholders a text may hold, filled in for each volunteer (volunteer_status.render_text).
PLACEHOLDERS: tuple[str, ...] = (
    "navn",
    "organisation",
    "omraadekontor",
    "institutioner",
    "gyldighed",
)
PLACEHOLDER_HELP: dict[str, Any] = {
    "navn": _l("den frivilliges navn"),
    "organisation": _l("navnet på organisationen, den frivillige er registreret hos"),
    "omraadekontor": _l("organisationens områdekontor"),
    "institutioner": _l("områdekontorets aktive institutioner, adskilt af komma"),
    "gyldighed": _l("hvor længe adgangen højst gælder, fx “1 år”"),
}
# Volunteers who have signed and whose signatures still count: asked to sign a new version.
RESIGN_STATES = (VolunteerState.AWAITING_CHECK, VolunteerState.CLEARED)


class DeclarationTextError(Exception):
    """A refused new version, with a message for the admin."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class AlreadyPublished(DeclarationTextError):
    """The same new version was just published (a form sent twice): nothing more to do."""

    def __init__(self, version: DeclarationVersion) -> None:
        super().__init__(_l("Versionen er allerede udgivet."))
        self.version = version


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise(text: str) -> str:
    """Browsers send CR LF from a textarea; the stored text uses LF and no outer blank space."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def placeholder_problem(text: str) -> str | None:
    """Why ``text`` cannot be filled in for a volunteer, or None when it can.

    The text is filled in with ``str.format_map``, so besides unknown names a stray brace or a
    format specification (``{navn:>9}``, ``{navn.upper}``) would break or leak; all are refused.
    """
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        return _(
            "Teksten har en { eller } uden sin partner. Skriv {{ eller }} for at vise en tuborgklamme."
        )
    unknown = []
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            if shown not in unknown:
                unknown.append(shown)
    if unknown:
        return _(
            "Ukendte pladsholdere: %(unknown)s. Brug kun %(known)s.",
            unknown=", ".join(unknown),
            known=", ".join("{" + name + "}" for name in PLACEHOLDERS),
        )
    return None


def current_version(kind: DeclarationKind) -> DeclarationVersion | None:
    return volunteer_status.current_versions().get(kind)


def versions_of(kind: DeclarationKind) -> list[DeclarationVersion]:
    """Every published version of ``kind``, newest first."""
    return list(
        db.session.scalars(
            select(DeclarationVersion)
            .where(DeclarationVersion.kind == kind)
            .order_by(DeclarationVersion.version.desc())
        )
    )


def publish_version(
    kind: DeclarationKind,
    *,
    title_da: str,
    title_en: str,
    text_da: str,
    text_en: str,
    change_note: str,
    actor: User | None,
    based_on: int | None = None,
) -> DeclarationVersion:
    """Publish the next version (highest + 1) of ``kind``; a published version is never edited.

    Refuses unknown placeholders, an empty change note, a text identical to the current version,
    and (with ``based_on``, the version the admin started from) a version published by someone
    else in the meantime. Writes the audit entry "declaration.published" with the SHA-256 of both
    texts. Call ``notify_resign`` afterwards to ask the volunteers to sign again.
    """
    values = {
        "title_da": title_da.strip(),
        "title_en": title_en.strip(),
        "text_da": normalise(text_da),
        "text_en": normalise(text_en),
    }
    note = normalise(change_note)
    for field, message in (
        ("title_da", _l("Skriv titlen på dansk.")),
        ("title_en", _l("Skriv titlen på engelsk.")),
        ("text_da", _l("Skriv teksten på dansk.")),
        ("text_en", _l("Skriv teksten på engelsk.")),
    ):
        if not values[field]:
            raise DeclarationTextError(message, field)
    if not note:
        raise DeclarationTextError(_l("Skriv kort, hvad der er ændret."), "change_note")
    for field in ("title_da", "title_en"):
        # Titles are shown as they are, never filled in.
        if "{" in values[field] or "}" in values[field]:
            raise DeclarationTextError(
                _l("Titlen kan ikke indeholde pladsholdere eller tuborgklammer."), field
            )
    for field in ("text_da", "text_en"):
        problem = placeholder_problem(values[field])
        if problem:
            raise DeclarationTextError(problem, field)

    current = current_version(kind)
    if based_on is not None and (current.version if current else 0) != based_on:
        if (
            current is not None
            and current.change_note == note
            and all(getattr(current, f) == v for f, v in values.items())
        ):
            raise AlreadyPublished(current)
        raise DeclarationTextError(
            _l(
                "En anden har udgivet en ny version, mens du redigerede. Se den nyeste version, og lav dine ændringer i den."
            )
        )
    if current is not None and all(getattr(current, f) == v for f, v in values.items()):
        raise DeclarationTextError(
            _l("Intet er ændret: teksterne og titlerne er de samme som i den gældende version.")
        )

    version = DeclarationVersion(
        kind=kind,
        version=(current.version if current else 0) + 1,
        change_note=note,
        published_at=utcnow(),
        published_by_id=actor.id if actor is not None else None,
        **values,
    )
    db.session.add(version)
    try:
        db.session.flush()
    except IntegrityError:
        # Only the unique (kind, version) can refuse this: another admin published at once.
        db.session.rollback()
        raise DeclarationTextError(
            _l(
                "En anden har udgivet en ny version i samme øjeblik. Se den nyeste version, og lav dine ændringer i den."
            )
        ) from None
    audit.record(
        "declaration.published",
        object_type="declaration_version",
        object_id=version.id,
        details={
            "kind": kind.value,
            "version": version.version,
            "text_da_sha256": sha256(version.text_da),
            "text_en_sha256": sha256(version.text_en),
        },
    )
    return version


# --- who must sign again ----------------------------------------------------------------------


def affected_volunteers(kind: DeclarationKind) -> list[Volunteer]:
    """Volunteers who must sign ``kind`` again: signed (awaiting check or cleared), with an
    account to sign from, and required to sign that kind."""
    candidates = db.session.scalars(
        select(Volunteer)
        .where(Volunteer.state.in_(RESIGN_STATES), Volunteer.user_id.is_not(None))
        .order_by(Volunteer.organisation_id, Volunteer.name)
    )
    return [v for v in candidates if kind in volunteer_status.required_kinds(v)]


def _resign_link(volunteer: Volunteer) -> str:
    # signing.reconfirm belongs to the signing blueprint; until it exists, the login leads there.
    if "signing.reconfirm" in current_app.view_functions:
        return mail.external_url("signing.reconfirm", volunteer_id=volunteer.id)
    return mail.external_url("auth.login")


def _organisation_link(organisation: Organisation) -> str:
    if "volunteers.index" in current_app.view_functions:
        return mail.external_url(
            "volunteers.index", status="resign_needed", organisation=str(organisation.id)
        )
    return mail.external_url("main.dashboard")


def _organisation_admins(organisation_id: Any) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                User.active,
                RoleAssignment.role == Role.NGO_ADMIN,
                RoleAssignment.organisation_id == organisation_id,
            )
            .distinct()
            .order_by(User.name)
        )
    )


def notify_resign(version: DeclarationVersion) -> dict[str, int]:
    """Ask each affected volunteer (once) to sign ``version`` again, and tell each of their
    organisations' admins (one e-mail per organisation, listing the names).

    Returns the counts {"volunteers": n, "organisations": n, "admin_mails": n}.
    """
    affected = affected_volunteers(version.kind)
    by_organisation: dict[Any, list[Volunteer]] = {}
    for volunteer in affected:
        mail.send_template(
            volunteer.email,
            "declaration_resign",
            language=volunteer.language,
            name=volunteer.name,
            title=version.title_for(volunteer.language),
            change_note=version.change_note,
            link=_resign_link(volunteer),
            for_staff=False,
        )
        by_organisation.setdefault(volunteer.organisation_id, []).append(volunteer)
    admin_mails = 0
    for organisation_id, volunteers in by_organisation.items():
        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None:
            continue
        for admin in _organisation_admins(organisation_id):
            mail.send_template(
                admin.email,
                "declaration_resign",
                language=admin.language,
                name=admin.name,
                title=version.title_for(admin.language),
                change_note=version.change_note,
                organisation=organisation.name,
                volunteers=[v.name for v in volunteers],
                link=_organisation_link(organisation),
                for_staff=True,
            )
            admin_mails += 1
    counts = {
        "volunteers": len(affected),
        "organisations": len(by_organisation),
        "admin_mails": admin_mails,
    }
    audit.record(
        "declaration.resign_requested",
        object_type="declaration_version",
        object_id=version.id,
        details={"kind": version.kind.value, "version": version.version, **counts},
    )
    return counts


# --- for the admin's pages --------------------------------------------------------------------


@dataclass(frozen=True)
class KindSummary:
    kind: DeclarationKind
    current: DeclarationVersion | None
    signed_current: int
    signed_older: int


def summary(kind: DeclarationKind) -> KindSummary:
    """The current version of ``kind`` and how many volunteers signed it / only an older one."""
    current = current_version(kind)
    if current is None:
        return KindSummary(kind, None, 0, 0)
    on_current = select(Signature.volunteer_id).where(
        Signature.declaration_version_id == current.id
    )
    signed_current = db.session.scalar(
        select(func.count(func.distinct(Signature.volunteer_id))).where(
            Signature.declaration_version_id == current.id
        )
    )
    signed_older = db.session.scalar(
        select(func.count(func.distinct(Signature.volunteer_id)))
        .join(DeclarationVersion, DeclarationVersion.id == Signature.declaration_version_id)
        .where(
            DeclarationVersion.kind == kind,
            DeclarationVersion.version < current.version,
            Signature.volunteer_id.not_in(on_current),
        )
    )
    return KindSummary(kind, current, signed_current or 0, signed_older or 0)


class _KeepUnknown(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def example_context(language: str) -> dict[str, str]:
    """Placeholder values for a made-up volunteer of the first approved organisation."""
    organisation = db.session.scalar(
        select(Organisation)
        .where(Organisation.state == OrganisationState.APPROVED)
        .order_by(Organisation.name)
        .limit(1)
    )
    name = "Mette Eksempel"
    if organisation is None:
        return {
            "navn": name,
            "organisation": _("Eksempelforeningen"),
            "omraadekontor": _("Områdekontoret"),
            "institutioner": _("Institutionerne i området"),
            "gyldighed": "1 år" if language != "en" else "1 year",
        }
    # declaration_context only reads the name and the organisation: a stand-in will do, and
    # nothing is added to the session.
    example = SimpleNamespace(name=name, organisation=organisation)
    return volunteer_status.declaration_context(example, language)  # type: ignore[arg-type]


def preview(text: str, language: str) -> str:
    """``text`` filled in for the example volunteer, as a volunteer would see it."""
    if placeholder_problem(text):
        return text
    return text.format_map(_KeepUnknown(example_context(language)))
