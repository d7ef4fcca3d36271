"""The admin's editing of an institution: its details, its contact people and its sections.

Each change is audited. A contact person's audit entry names the fields that changed, never
their values: the log is kept longer than the person stays a contact (see the privacy
declaration on ``InstitutionContact``). A name that is taken (an institution's across the
country, a section's within its institution) is refused with a message for the admin; the
unique constraints catch a double submit that slips past the check.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import audit, db
from portal.models import Institution, InstitutionContact, InstitutionSection, SecurityLevel
from portal.services import reference

INSTITUTION_FIELDS = (
    "name",
    "kind",
    "security_level_id",
    "area_office_id",
    "municipality_id",
    "active",
    "address",
    "postal_code",
    "city",
    "phone",
    "email",
    "visiting_hours",
)
CONTACT_FIELDS = ("name", "title", "email", "phone")
SECTION_FIELDS = ("name", "security_level_id", "active")

INSTITUTION_NAME_TAKEN = _l("Der findes allerede en institution med det navn.")
SECTION_NAME_TAKEN = _l(
    "Institutionen har allerede en afdeling med det navn. Vælg et andet navn, eller ret den afdeling, der findes."
)


class InstitutionAdminError(Exception):
    """A refused change, with a message for the admin and the field it concerns."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


def _cleaned(values: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Only the known fields, text stripped (a phone often adds a space after autocomplete)."""
    return {
        key: value.strip() if isinstance(value, str) else value
        for key, value in values.items()
        if key in fields
    }


# --- the institution --------------------------------------------------------------------------


def _institution_name_taken(name: str, own_id: uuid.UUID | None) -> bool:
    existing = db.session.scalar(select(Institution.id).where(Institution.name == name))
    return existing is not None and existing != own_id


def save_institution(institution: Institution | None, values: dict[str, Any]) -> Institution:
    """Create an institution (``institution`` None) or change one, details included.

    Raises ``InstitutionAdminError`` on ``name`` when another institution has the name.
    Audits "institution.created" or "institution.updated" (each changed field as [old, new]).
    """
    values = _cleaned(values, INSTITUTION_FIELDS)
    own_id = institution.id if institution is not None else None
    if _institution_name_taken(values.get("name", ""), own_id):
        raise InstitutionAdminError(INSTITUTION_NAME_TAKEN, "name")
    try:
        with db.session.begin_nested():
            return reference.save_institution(institution, values)
    except IntegrityError:
        raise InstitutionAdminError(INSTITUTION_NAME_TAKEN, "name") from None


# --- contact people ---------------------------------------------------------------------------


def add_contact(institution: Institution, values: dict[str, Any]) -> InstitutionContact:
    """Add a contact person (name, title, email, phone). Audits "institution_contact.added"."""
    contact = InstitutionContact(institution_id=institution.id, **_cleaned(values, CONTACT_FIELDS))
    db.session.add(contact)
    db.session.flush()
    db.session.expire(institution, ["contacts"])
    audit.record(
        "institution_contact.added",
        object_type="institution_contact",
        object_id=contact.id,
        details={"institution": institution.name, "institution_id": str(institution.id)},
    )
    return contact


def update_contact(contact: InstitutionContact, values: dict[str, Any]) -> list[str]:
    """Change a contact person; returns the names of the changed fields (audited, without
    their values, as "institution_contact.updated")."""
    changed = []
    for key, value in _cleaned(values, CONTACT_FIELDS).items():
        if getattr(contact, key) != value:
            setattr(contact, key, value)
            changed.append(key)
    if changed:
        db.session.flush()
        audit.record(
            "institution_contact.updated",
            object_type="institution_contact",
            object_id=contact.id,
            details={
                "institution": contact.institution.name,
                "institution_id": str(contact.institution_id),
                "fields": changed,
            },
        )
    return changed


def remove_contact(contact: InstitutionContact) -> None:
    """Delete a contact person (nothing of them is kept). Audits "institution_contact.removed"."""
    institution = contact.institution
    contact_id = contact.id
    institution.contacts.remove(contact)  # delete-orphan: the row goes at the flush
    db.session.flush()
    audit.record(
        "institution_contact.removed",
        object_type="institution_contact",
        object_id=contact_id,
        details={"institution": institution.name, "institution_id": str(institution.id)},
    )


# --- sections ---------------------------------------------------------------------------------


def _section_name_taken(
    institution: Institution, name: str, own_id: uuid.UUID | None = None
) -> bool:
    """Case does not make two sections different to a reader ("Lukket afdeling"). An
    institution has a handful of sections, so they are compared here, with Unicode case
    folding on every database (SQLite's lower() knows only ASCII)."""
    rows = db.session.execute(
        select(InstitutionSection.id, InstitutionSection.name).where(
            InstitutionSection.institution_id == institution.id
        )
    )
    wanted = name.strip().casefold()
    return any(row.name.casefold() == wanted and row.id != own_id for row in rows)


def _level_code(level_id: Any) -> str:
    level = db.session.get(SecurityLevel, level_id)
    if level is None:
        raise InstitutionAdminError(_l("Vælg et sikkerhedsniveau fra listen."), "security_level_id")
    return level.code


def add_section(institution: Institution, values: dict[str, Any]) -> InstitutionSection:
    """Add a section with its own security level. Raises ``InstitutionAdminError`` on ``name``
    when the institution has a section of that name. Audits "institution_section.added"."""
    values = _cleaned(values, SECTION_FIELDS)
    level = _level_code(values.get("security_level_id"))
    if _section_name_taken(institution, values.get("name", "")):
        raise InstitutionAdminError(SECTION_NAME_TAKEN, "name")
    section = InstitutionSection(institution_id=institution.id, **values)
    try:
        with db.session.begin_nested():
            db.session.add(section)
            db.session.flush()
    except IntegrityError:
        raise InstitutionAdminError(SECTION_NAME_TAKEN, "name") from None
    db.session.expire(institution, ["sections"])
    audit.record(
        "institution_section.added",
        object_type="institution_section",
        object_id=section.id,
        details={
            "institution": institution.name,
            "institution_id": str(institution.id),
            "name": section.name,
            "security_level": level,
            "active": section.active,
        },
    )
    return section


def update_section(section: InstitutionSection, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Change a section's name, security level or whether it is active. Refuses a name the
    institution already has. Audits "institution_section.updated" with each changed field as
    [old, new] (the level by its code); returns those changes."""
    values = _cleaned(values, SECTION_FIELDS)
    institution = section.institution
    if "security_level_id" in values:
        _level_code(values["security_level_id"])
    if "name" in values and _section_name_taken(institution, values["name"], section.id):
        raise InstitutionAdminError(SECTION_NAME_TAKEN, "name")
    before = {
        "name": section.name,
        "security_level": section.security_level.code,
        "active": section.active,
    }
    try:
        # The savepoint flushes what came before it; the new values go in after it.
        with db.session.begin_nested():
            for key, value in values.items():
                setattr(section, key, value)
            db.session.flush()
    except IntegrityError:
        raise InstitutionAdminError(SECTION_NAME_TAKEN, "name") from None
    db.session.refresh(section, ["security_level"])
    after = {
        "name": section.name,
        "security_level": section.security_level.code,
        "active": section.active,
    }
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changes:
        audit.record(
            "institution_section.updated",
            object_type="institution_section",
            object_id=section.id,
            details={
                "institution": institution.name,
                "institution_id": str(institution.id),
                "changes": changes,
            },
        )
    return changes


def set_section_active(section: InstitutionSection, active: bool) -> bool:
    """Activate or deactivate a section (a deactivated one cannot be chosen for new activities;
    those already proposed keep it). Returns whether anything changed."""
    return bool(update_section(section, {"active": active}))
