"""The public directory: what an approved organisation chooses to show would-be volunteers."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String, cast, or_, select

from portal import audit, db
from portal.models import (
    Institution,
    Municipality,
    Organisation,
    OrganisationState,
    User,
)
from portal.services import membership

DIRECTORY_FIELDS = (
    "directory_listed",
    "directory_summary",
    "directory_how_to_volunteer",
    "directory_email",
    "directory_phone",
    "effort_kinds",
)


# --- the public directory -------------------------------------------------------------------


def update_directory_entry(
    organisation: Organisation, user: User, values: dict[str, Any], institution_ids: list[uuid.UUID]
) -> None:
    membership.require_admin(organisation, user)
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


def listed(region: str = "", effort: str = "", text: str = "") -> Any:
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
