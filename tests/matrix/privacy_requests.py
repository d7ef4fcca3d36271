"""Data-subject requests: every logged-in person's own "Mine data", and the DPO's pages.

The world is an access request made by the demo volunteer. "Mine data" answers every logged-in
role; the volunteer's own request page answers only the volunteer (404 for everyone else, the
DPO too: the DPO reads it on the DPO's own URL). The DPO's pages are 403 for every other role.
A POST with an empty body is an invalid form (400).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import SubjectRequestKind, User
from tests.matrix import LOGIN_REDIRECT, Route, logged_in, only
from tests.roles import ANONYMOUS, ROLE_ACCOUNTS

DPO = {"dpo"}


def world(session: Session) -> dict[str, Any]:
    from portal.services import subject_requests

    volunteer = session.scalar(select(User).where(User.email == "volunteer@example.org"))
    assert volunteer is not None
    request = subject_requests.create_request(
        SubjectRequestKind.ACCESS, "", user=volunteer, actor=volunteer
    )
    session.commit()
    return {"volunteer_request": request.id}


def _own_only(role: str) -> dict[str, int]:
    return {
        ANONYMOUS: LOGIN_REDIRECT,
        **{r: 200 if r == role else 404 for r in ROLE_ACCOUNTS},
    }


ROUTES: list[Route] = [
    Route("GET", "privacy.my_data", lambda _w: "/profil/mine-data", logged_in(200)),
    Route("POST", "privacy.my_data_post", lambda _w: "/profil/mine-data", logged_in(400)),
    Route(
        "GET",
        "privacy.my_request",
        lambda w: f"/profil/mine-data/{w['volunteer_request']}",
        _own_only("volunteer"),
    ),
    Route("GET", "privacy.requests", lambda _w: "/databeskyttelse/anmodninger", only(DPO, 200)),
    Route(
        "GET", "privacy.new_request", lambda _w: "/databeskyttelse/anmodninger/ny", only(DPO, 200)
    ),
    Route(
        "POST", "privacy.new_request", lambda _w: "/databeskyttelse/anmodninger/ny", only(DPO, 400)
    ),
    Route(
        "GET",
        "privacy.request",
        lambda w: f"/databeskyttelse/anmodninger/{w['volunteer_request']}",
        only(DPO, 200),
    ),
    Route(
        "POST",
        "privacy.request_act",
        lambda w: f"/databeskyttelse/anmodninger/{w['volunteer_request']}/check_identity",
        only(DPO, 400),
    ),
    Route(
        "POST",
        "privacy.request_export",
        lambda w: f"/databeskyttelse/anmodninger/{w['volunteer_request']}/udtraek",
        only(DPO, 400),
    ),
    Route(
        "POST",
        "privacy.request_erase",
        lambda w: f"/databeskyttelse/anmodninger/{w['volunteer_request']}/slet",
        only(DPO, 400),
    ),
]
