"""The area office's queue and case pages: caseworkers only, and only their own office's cases.

Organisation C ("Gældsrådgivning Sjælland", submitted) belongs to Øst, organisation D ("Fynske
Mentorer", in review) to Vest. Everyone but a caseworker is stopped by the role gate (403)
before the case is looked up; the other office's caseworker gets 404. A POST with an empty body
is an invalid form (400).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Organisation
from tests.matrix import LOGIN_REDIRECT, Route, fixed, only
from tests.roles import ALL_ROLES, ANONYMOUS

CASEWORKERS = {"caseworker_ost", "caseworker_vest"}


def own_office(office: str, status: int) -> dict[str, int]:
    """``status`` for the caseworker of ``office``, 404 for the other office, 403 for the rest."""
    expected = {role: 403 for role in ALL_ROLES}
    expected[ANONYMOUS] = LOGIN_REDIRECT
    for caseworker in CASEWORKERS:
        expected[caseworker] = status if caseworker == f"caseworker_{office}" else 404
    return expected


def _case(key: str, suffix: str = "") -> Any:
    return lambda w: f"/sager/{w[key]}{suffix}"


ROUTES: list[Route] = [
    Route("GET", "cases.queue", fixed("/sager"), only(CASEWORKERS, 200)),
    Route("GET", "cases.queue_csv", fixed("/sager.csv"), only(CASEWORKERS, 200)),
    Route("GET", "cases.case", _case("cases_org_c"), own_office("ost", 200)),
    Route("GET", "cases.case", _case("cases_org_d"), own_office("vest", 200)),
    Route("POST", "cases.act", _case("cases_org_c", "/handling"), own_office("ost", 400)),
    Route("POST", "cases.act", _case("cases_org_d", "/handling"), own_office("vest", 400)),
    Route("POST", "cases.message", _case("cases_org_c", "/besked"), own_office("ost", 400)),
    Route(
        "POST",
        "cases.profile_change",
        _case("cases_org_c", "/profilaendring"),
        own_office("ost", 400),
    ),
]


def world(session: Session) -> dict[str, Any]:
    def organisation(name: str) -> Any:
        return session.scalar(select(Organisation.id).where(Organisation.name == name))

    return {
        "cases_org_c": organisation("Gældsrådgivning Sjælland"),
        "cases_org_d": organisation("Fynske Mentorer"),
    }
