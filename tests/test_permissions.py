"""Tenant scoping: another tenant's record is a 404, and the attempt is audited (SECURITY.md 2)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from portal import db
from portal.auth.permissions import (
    get_institution_or_404,
    get_organisation_or_404,
    visible_organisations,
)
from portal.models import AuditEntry, Institution, Organisation
from tests.roles import ROLE_ACCOUNTS


def _as(app: Flask, role: str) -> Any:
    """A request context logged in as ``role`` (through the real login)."""
    client = app.test_client()
    client.post("/log-ind", data={"email": ROLE_ACCOUNTS[role], "password": "demo-password-1"})
    cookie = client.get_cookie("portal_session")
    assert cookie is not None
    return app.test_request_context(headers={"Cookie": f"portal_session={cookie.value}"})


def _organisation(name: str) -> Organisation:
    found = db.session.scalar(select(Organisation).where(Organisation.name == name))
    assert found is not None
    return found


ORG_A, ORG_B = "Foreningen Nyt Netværk", "Vestjyske Besøgsvenner"
ORG_C_OST, ORG_D_VEST = "Gældsrådgivning Sjælland", "Fynske Mentorer"


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        ("ngo_a_admin", [ORG_A], [ORG_B, ORG_C_OST]),
        ("ngo_a_member", [ORG_A], [ORG_B]),
        ("ngo_b_admin", [ORG_B], [ORG_A, ORG_D_VEST]),
        ("caseworker_ost", [ORG_A, ORG_C_OST], [ORG_B, ORG_D_VEST]),
        ("caseworker_vest", [ORG_B, ORG_D_VEST], [ORG_A, ORG_C_OST]),
        ("volunteer", [], [ORG_A, ORG_B]),
        ("reviewer", [], [ORG_A]),
        ("grant_officer", [ORG_A, ORG_B], []),
    ],
)
def test_organisation_scope(app: Flask, role: str, allowed: list[str], denied: list[str]) -> None:
    with _as(app, role):
        visible = {o.name for o in db.session.scalars(visible_organisations(_current()))}
        for name in allowed:
            assert get_organisation_or_404(_organisation(name).id).name == name
            assert name in visible
        for name in denied:
            target = _organisation(name)
            with pytest.raises(NotFound):
                get_organisation_or_404(target.id)
            assert name not in visible
            logged = db.session.scalar(
                select(AuditEntry).where(
                    AuditEntry.action == "access.denied", AuditEntry.object_id == str(target.id)
                )
            )
            assert logged is not None and logged.actor_label == ROLE_ACCOUNTS[role]


def _current() -> Any:
    from flask_login import current_user

    return current_user._get_current_object()


@pytest.mark.parametrize("raw", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "1"])
def test_unknown_or_malformed_ids_are_404(app: Flask, raw: str) -> None:
    with _as(app, "admin"), pytest.raises(NotFound):
        get_organisation_or_404(raw)


@pytest.mark.parametrize(
    ("role", "institution", "allowed"),
    [
        ("institution", "Storstrøm Fængsel", True),
        ("institution", "Vestre Fængsel", False),
        ("caseworker_ost", "Vestre Fængsel", True),
        ("caseworker_vest", "Vestre Fængsel", False),
        ("caseworker_vest", "Enner Mark Fængsel", True),
        ("ngo_a_admin", "Storstrøm Fængsel", False),
    ],
)
def test_institution_scope(app: Flask, role: str, institution: str, allowed: bool) -> None:
    with _as(app, role):
        target = db.session.scalar(select(Institution).where(Institution.name == institution))
        assert target is not None
        if allowed:
            assert get_institution_or_404(target.id) is target
        else:
            with pytest.raises(NotFound):
                get_institution_or_404(target.id)
