"""The admin's rules: the security levels' profiles and an institution's own tightening.

Only the admin passes the admin blueprint's gate. A POST with an empty body is refused (400):
the profile's numbers are required, and an institution's empty form would drop the
declarations its level requires, which is a loosening.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Institution, SecurityLevel
from tests.matrix import ADMIN, Route, fixed, only

ROUTES: list[Route] = [
    Route("GET", "admin.rule_profiles", fixed("/admin/regler"), only(ADMIN, 200)),
    Route(
        "GET",
        "admin.rule_profile",
        lambda w: f"/admin/regler/{w['rule_level']}",
        only(ADMIN, 200),
    ),
    Route(
        "POST",
        "admin.rule_profile",
        lambda w: f"/admin/regler/{w['rule_level']}",
        only(ADMIN, 400),
    ),
    Route(
        "GET",
        "admin.institution_rules",
        lambda w: f"/admin/institutioner/{w['rule_institution']}/regler",
        only(ADMIN, 200),
    ),
    Route(
        "POST",
        "admin.institution_rules",
        lambda w: f"/admin/institutioner/{w['rule_institution']}/regler",
        only(ADMIN, 400),
    ),
]


def world(session: Session) -> dict[str, Any]:
    return {
        "rule_level": session.scalar(
            select(SecurityLevel.id).where(SecurityLevel.code == "lukket")
        ),
        "rule_institution": session.scalar(
            select(Institution.id).where(Institution.name == "Storstrøm Fængsel")
        ),
    }
