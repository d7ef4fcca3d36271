"""The admin's declaration texts: the list, one version, and the form for a new version.

Only the admin passes the admin blueprint's gate; everyone else logged in gets 403 before the
version is looked up. A POST with an empty body is an invalid form (400) and publishes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import DeclarationKind, DeclarationVersion
from tests.matrix import ADMIN, Route, fixed, only

NEW = "/admin/erklaeringer/confidentiality/ny"

ROUTES: list[Route] = [
    Route("GET", "admin.declarations", fixed("/admin/erklaeringer"), only(ADMIN, 200)),
    Route(
        "GET",
        "admin.declaration_version",
        lambda w: f"/admin/erklaeringer/{w['declaration_version']}",
        only(ADMIN, 200),
    ),
    Route("GET", "admin.declaration_new", fixed(NEW), only(ADMIN, 200)),
    Route("POST", "admin.declaration_new", fixed(NEW), only(ADMIN, 400)),
]


def world(session: Session) -> dict[str, Any]:
    return {
        "declaration_version": session.scalar(
            select(DeclarationVersion.id)
            .where(DeclarationVersion.kind == DeclarationKind.CONFIDENTIALITY)
            .order_by(DeclarationVersion.version)
            .limit(1)
        )
    }
