"""Every route x every role gives the expected status (SECURITY.md item 1).

The matrix lists every endpoint and method of the app. A route that is added without a row
here fails ``test_every_route_is_in_the_matrix``; a view without a permission decorator fails
``test_every_view_declares_its_access``.
"""

from __future__ import annotations

import importlib
import pkgutil
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

import tests.matrix
from portal import db
from portal.auth.permissions import access_of
from portal.models import (
    AccountToken,
    AreaOffice,
    Document,
    Institution,
    Municipality,
    Organisation,
    TokenPurpose,
    User,
)
from tests.matrix import (
    ADMIN,
    LOGIN_REDIRECT,
    SEES_ORG_A,
    UPLOADS_FOR_ORG_A,
    Route,
    anonymous_only,
    everyone,
    fixed,
    logged_in,
    only,
    tenant,
)
from tests.roles import ALL_ROLES, ANONYMOUS

CORE_ROUTES: list[Route] = [
    # public pages and assets
    Route("GET", "main.index", fixed("/"), anonymous_only(200)),
    Route("GET", "main.contact", fixed("/kontakt"), everyone(200)),
    Route("GET", "main.privacy", fixed("/privatlivspolitik"), everyone(200)),
    Route("GET", "main.accessibility", fixed("/tilgaengelighed"), everyone(200)),
    Route("GET", "main.health", fixed("/healthz"), everyone(200)),
    Route("POST", "main.set_language", fixed("/sprog"), everyone(302)),
    Route("GET", "static", fixed("/static/js/portal.js"), everyone(200)),
    Route("GET", "dkfds", fixed("/static/dkfds/css/dkfds-virkdk.min.css"), everyone(200)),
    # dashboard
    Route("GET", "main.dashboard", fixed("/overblik"), logged_in(200)),
    # login, logout, reset, invitations, profile
    Route("GET", "auth.login", fixed("/log-ind"), anonymous_only(200)),
    Route("POST", "auth.login_post", fixed("/log-ind"), everyone(400)),
    Route("POST", "auth.logout", fixed("/log-ud"), everyone(302)),
    Route("POST", "auth.keepalive", fixed("/session/forlaeng"), logged_in(200)),
    Route("GET", "auth.forgot_password", fixed("/glemt-adgangskode"), everyone(200)),
    Route("POST", "auth.forgot_password_post", fixed("/glemt-adgangskode"), everyone(400)),
    Route("GET", "auth.reset_password", fixed("/nulstil/not-a-token"), everyone(404)),
    Route("POST", "auth.reset_password_post", fixed("/nulstil/not-a-token"), everyone(404)),
    Route("GET", "auth.accept_invitation", fixed("/invitation/not-a-token"), everyone(404)),
    Route("POST", "auth.accept_invitation_post", fixed("/invitation/not-a-token"), everyone(404)),
    Route("GET", "auth.profile", fixed("/profil"), logged_in(200)),
    Route("POST", "auth.change_password", fixed("/profil/adgangskode"), logged_in(400)),
    Route("POST", "auth.preferences", fixed("/profil/indstillinger"), logged_in(400)),
    # OpenID Connect: the default app has no providers, so every provider name is unknown
    Route("GET", "auth.oidc_login", fixed("/log-ind/ukendt"), everyone(404)),
    Route("GET", "auth.oidc_callback", fixed("/log-ind/ukendt/callback"), everyone(404)),
    Route("GET", "auth.oidc_identity_confirmed", fixed("/identitet/bekraeftet"), everyone(302)),
    # documents of organisation A
    Route(
        "GET",
        "documents.organisation_documents",
        lambda w: f"/organisationer/{w['org_a']}/dokumenter",
        tenant(SEES_ORG_A, 200),
    ),
    Route(
        "POST",
        "documents.organisation_upload",
        lambda w: f"/organisationer/{w['org_a']}/dokumenter",
        tenant(SEES_ORG_A, 400, others_seeing=403, uploads=UPLOADS_FOR_ORG_A),
    ),
    Route(
        "GET", "documents.download", lambda w: f"/dokumenter/{w['doc_a']}", tenant(SEES_ORG_A, 200)
    ),
    # admin: users and invitations
    Route("GET", "admin.users", fixed("/admin/brugere"), only(ADMIN, 200)),
    Route("GET", "admin.users_csv", fixed("/admin/brugere.csv"), only(ADMIN, 200)),
    Route("GET", "admin.user", lambda w: f"/admin/brugere/{w['user']}", only(ADMIN, 200)),
    Route(
        "POST",
        "admin.user_grant_role",
        lambda w: f"/admin/brugere/{w['user']}/roller",
        only(ADMIN, 400),
    ),
    Route(
        "POST",
        "admin.user_revoke_role",
        lambda w: f"/admin/brugere/{w['user']}/roller/{uuid.uuid4()}/fjern",
        only(ADMIN, 404),
    ),
    Route(
        "POST",
        "admin.user_set_active",
        lambda w: f"/admin/brugere/{w['user']}/aktiv",
        only(ADMIN, 302),
    ),
    Route("GET", "admin.invitations", fixed("/admin/invitationer"), only(ADMIN, 200)),
    Route("GET", "admin.invite", fixed("/admin/invitationer/ny"), only(ADMIN, 200)),
    Route("POST", "admin.invite_post", fixed("/admin/invitationer/ny"), only(ADMIN, 400)),
    Route(
        "POST",
        "admin.invitation_revoke",
        lambda w: f"/admin/invitationer/{w['invitation']}/tilbagekald",
        only(ADMIN, 302),
    ),
    # admin: reference data
    Route("GET", "admin.institutions", fixed("/admin/institutioner"), only(ADMIN, 200)),
    Route("GET", "admin.institution_new", fixed("/admin/institutioner/ny"), only(ADMIN, 200)),
    Route("POST", "admin.institution_create", fixed("/admin/institutioner/ny"), only(ADMIN, 400)),
    Route(
        "GET",
        "admin.institution",
        lambda w: f"/admin/institutioner/{w['institution']}",
        only(ADMIN, 200),
    ),
    Route(
        "POST",
        "admin.institution_update",
        lambda w: f"/admin/institutioner/{w['institution']}",
        only(ADMIN, 400),
    ),
    Route("GET", "admin.municipalities", fixed("/admin/kommuner"), only(ADMIN, 200)),
    Route(
        "POST",
        "admin.municipality_update",
        lambda w: f"/admin/kommuner/{w['municipality']}",
        only(ADMIN, 400),
    ),
    Route("GET", "admin.area_offices", fixed("/admin/omraadekontorer"), only(ADMIN, 200)),
    Route(
        "GET",
        "admin.area_office",
        lambda w: f"/admin/omraadekontorer/{w['office']}",
        only(ADMIN, 200),
    ),
    Route(
        "POST",
        "admin.area_office_update",
        lambda w: f"/admin/omraadekontorer/{w['office']}",
        only(ADMIN, 400),
    ),
]


AREA_MODULES = [
    importlib.import_module(f"tests.matrix.{info.name}")
    for info in pkgutil.iter_modules(tests.matrix.__path__)
]
ROUTES: list[Route] = CORE_ROUTES + [route for module in AREA_MODULES for route in module.ROUTES]
# Which area module lists each route: a case builds only its own module's world (rounds,
# applications, decisions with their letters...), not every module's, before it is rolled back.
ROUTE_MODULE = {id(route): module for module in AREA_MODULES for route in module.ROUTES}


@pytest.fixture
def world(app: Flask, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Ids of real objects for the URLs: the core's, and the route's own area module's."""
    callspec = getattr(request.node, "callspec", None)
    route = callspec.params.get("route") if callspec else None
    if route is not None:
        own = ROUTE_MODULE.get(id(route))
        modules = [own] if own is not None else []
    else:
        modules = AREA_MODULES
    with app.app_context():
        ids = _core_world()
        for module in modules:
            if hasattr(module, "world"):
                ids.update(module.world(db.session))
        return ids


def _core_world() -> dict[str, Any]:
    return {
        "user": db.session.scalar(select(User.id).where(User.email == "volunteer@example.org")),
        "invitation": db.session.scalar(
            select(AccountToken.id).where(AccountToken.purpose == TokenPurpose.INVITATION)
        ),
        "institution": db.session.scalar(
            select(Institution.id).where(Institution.name == "Storstrøm Fængsel")
        ),
        "municipality": db.session.scalar(
            select(Municipality.id).where(Municipality.name == "København")
        ),
        "office": db.session.scalar(select(AreaOffice.id).where(AreaOffice.code == "ost")),
        "org_a": db.session.scalar(
            select(Organisation.id).where(Organisation.name == "Foreningen Nyt Netværk")
        ),
        "doc_a": db.session.scalar(
            select(Document.id)
            .join(Organisation, Organisation.id == Document.owner_id)
            .where(Organisation.name == "Foreningen Nyt Netværk")
        ),
    }


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    listed = {(r.method, r.endpoint) for r in ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (method, rule.endpoint) not in listed:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes missing from the route x role matrix: " + ", ".join(missing)
    registered = {
        (m, rule.endpoint) for rule in app.url_map.iter_rules() for m in rule.methods or ()
    }
    stale = [f"{m} {e}" for m, e in listed if (m, e) not in registered]
    assert not stale, "matrix rows for routes that no longer exist: " + ", ".join(stale)


def test_every_view_declares_its_access(app: Flask) -> None:
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and access_of(view) is None
    ]
    assert not undeclared, f"views without public/login_required/roles_required: {undeclared}"


CASES = [
    pytest.param(route, role, id=f"{route.method} {route.endpoint} as {role}")
    for route in ROUTES
    for role in ALL_ROLES
]


@pytest.mark.parametrize(("route", "role"), CASES)
def test_route_answers_role(
    route: Route, role: str, world: dict[str, Any], client: Any, login_as: Any
) -> None:
    if role != ANONYMOUS:
        login_as(role)
    response = client.open(route.url(world), method=route.method)
    response.close()  # static files are streamed
    assert response.status_code == route.expected[role], response.get_data(as_text=True)[:500]
    redirects_to_login = role == ANONYMOUS and route.expected[role] == LOGIN_REDIRECT
    if redirects_to_login and route.endpoint not in {"main.set_language", "auth.logout"}:
        assert "/log-ind" in response.headers["Location"]
