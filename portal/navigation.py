"""The navigation each user sees, from the roles they hold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from portal.models import Role


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: Any
    roles: frozenset[Role] | None = None  # None: every logged-in user
    section: str = ""  # endpoints starting with this prefix mark the entry active


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str
    active: bool


NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry("main.dashboard", _l("Overblik")),
    NavEntry("cases.queue", _l("Sager"), frozenset({Role.CASEWORKER}), "cases."),
    NavEntry(
        "volunteers.index",
        _l("Frivillige"),
        frozenset({Role.NGO_ADMIN, Role.NGO_MEMBER}),
        "volunteers.",
    ),
    NavEntry(
        "clearance.queue", _l("Tjek af frivillige"), frozenset({Role.CASEWORKER}), "clearance."
    ),
    NavEntry(
        "activities.index",
        _l("Aktiviteter"),
        frozenset({Role.NGO_ADMIN, Role.NGO_MEMBER}),
        "activities.",
    ),
    NavEntry(
        "activities.queue",
        _l("Aktiviteter til behandling"),
        frozenset({Role.INSTITUTION_CONTACT, Role.CASEWORKER}),
        "activities.",
    ),
    NavEntry(
        "calendar.index",
        _l("Kalender"),
        frozenset(
            {
                Role.NGO_ADMIN,
                Role.NGO_MEMBER,
                Role.CASEWORKER,
                Role.INSTITUTION_CONTACT,
                Role.DPO,
            }
        ),
        "calendar.",
    ),
    NavEntry(
        "institutions.index",
        _l("Institutioner"),
        frozenset(
            {Role.NGO_ADMIN, Role.NGO_MEMBER, Role.CASEWORKER, Role.INSTITUTION_CONTACT, Role.DPO}
        ),
        "institutions.",
    ),
    NavEntry(
        "grant_rounds.published",
        _l("Tilskud"),
        frozenset({Role.NGO_ADMIN, Role.NGO_MEMBER}),
        "grant_",  # the rounds and the organisation's applications
    ),
    NavEntry("grant_rounds.index", _l("Tilskud"), frozenset({Role.GRANT_OFFICER}), "grant_"),
    NavEntry(
        "grant_reviews.index", _l("Bedømmelser"), frozenset({Role.REVIEWER}), "grant_reviews."
    ),
    NavEntry("privacy.index", _l("Databeskyttelse"), frozenset({Role.DPO}), "privacy."),
    NavEntry("signing.my_page", _l("Min side"), frozenset({Role.VOLUNTEER}), "signing.my"),
    NavEntry("admin.users", _l("Brugere"), frozenset({Role.ADMIN}), "admin.user"),
    NavEntry(
        "admin.institutions", _l("Institutioner"), frozenset({Role.ADMIN}), "admin.institution"
    ),
    NavEntry("admin.municipalities", _l("Kommuner"), frozenset({Role.ADMIN}), "admin.municipalit"),
    NavEntry(
        "admin.area_offices", _l("Områdekontorer"), frozenset({Role.ADMIN}), "admin.area_office"
    ),
    NavEntry("admin.declarations", _l("Erklæringer"), frozenset({Role.ADMIN}), "admin.declaration"),
    NavEntry("admin.rule_profiles", _l("Regler"), frozenset({Role.ADMIN}), "admin.rule"),
    NavEntry("auth.profile", _l("Min profil"), None, "auth.profile"),
)


def navigation_for(user: Any, endpoint: str | None) -> list[NavItem]:
    if not user or not user.is_authenticated:
        return []
    items = []
    for entry in NAVIGATION:
        if entry.roles is not None and not user.has_role(*entry.roles):
            continue
        if entry.endpoint not in current_app.view_functions:
            continue  # a part of the portal that is not (yet) installed
        prefix = entry.section or entry.endpoint
        active = bool(endpoint) and (endpoint == entry.endpoint or endpoint.startswith(prefix))
        items.append(NavItem(url_for(entry.endpoint), str(entry.label), active))
    return items
