"""A CPR number appears in no response but the caseworker's reveal (SECURITY.md 4).

Every GET route of the route x role matrix is fetched by each role that can see volunteers,
while a volunteer awaiting the check has a CPR number stored; neither form of the number may
be in any body. The reveal itself is the one place it shows, and it is audited.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal import db
from portal.models import AuditEntry, Volunteer
from tests.test_route_matrix import ROUTES
from tests.test_route_matrix import world as world

DEMO_CPR = "1503851237"  # Ali Hassan, demo volunteer of organisation A, awaiting the check
FORMS = (DEMO_CPR, f"{DEMO_CPR[:6]}-{DEMO_CPR[6:]}")
ROLES = ("volunteer", "ngo_a_admin", "ngo_a_member", "caseworker_ost", "dpo", "admin")
GET_ROUTES = [route for route in ROUTES if route.method == "GET"]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_shows_a_cpr_number(
    role: str, app: Flask, world: dict[str, Any], client: Any, login_as: Any
) -> None:
    login_as(role)
    leaking = []
    for route in GET_ROUTES:
        response = client.get(route.url(world))
        body = response.get_data(as_text=True) if not response.is_streamed else ""
        response.close()
        if any(form in body for form in FORMS):
            leaking.append(route.endpoint)
    assert not leaking, f"CPR number shown to {role} on {leaking}"


def test_only_the_reveal_shows_it_and_the_reveal_is_audited(
    app: Flask, client: Any, login_as: Any
) -> None:
    with app.app_context():
        ali = db.session.scalar(select(Volunteer).where(Volunteer.name == "Ali Hassan"))
        assert ali is not None and ali.cpr_ciphertext is not None
        volunteer_id = ali.id
    login_as("caseworker_ost")
    page = client.get(f"/tjek/frivillige/{volunteer_id}").get_data(as_text=True)
    assert not any(form in page for form in FORMS)
    revealed = client.post(f"/tjek/frivillige/{volunteer_id}/cpr")
    assert FORMS[1] in revealed.get_data(as_text=True)
    assert "no-store" in revealed.headers["Cache-Control"]
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "volunteer.cpr_revealed")
        ).all()
        assert [str(e.object_id) for e in entries][-1] == str(volunteer_id)
        assert not any(any(f in str(e.details) for f in FORMS) for e in entries)
