"""The public directory: only approved organisations that chose to be listed, searchable and
filtered, and nothing of their case, their volunteers, their members or their documents."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import db
from portal.models import (
    EventKind,
    Municipality,
    Organisation,
    OrganisationEvent,
    OrganisationState,
)

ORG_A = "Foreningen Nyt Netværk"  # approved, listed, København (Region Hovedstaden)
ORG_B = "Vestjyske Besøgsvenner"  # approved, listed, Aarhus (Region Midtjylland)
ORG_C = "Gældsrådgivning Sjælland"  # submitted, not listed
ALL_DEMO = (ORG_A, ORG_B, ORG_C, "Fynske Mentorer", "Kreativt Fællesskab")


def _org_id(app: Flask, name: str) -> uuid.UUID:
    with app.app_context():
        found = db.session.scalar(select(Organisation.id).where(Organisation.name == name))
        assert found is not None, name
        return found


def _change(app: Flask, name: str, **values: Any) -> None:
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.name == name))
        assert organisation is not None
        for key, value in values.items():
            setattr(organisation, key, value)
        db.session.commit()


def _listed(client: FlaskClient, query: str = "") -> set[str]:
    response = client.get(f"/katalog{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return {name for name in ALL_DEMO if name in page}


def test_only_approved_and_listed_organisations_appear(app: Flask, client: FlaskClient) -> None:
    assert _listed(client) == {ORG_A, ORG_B}
    # A submitted organisation that has filled in and ticked its entry is still not shown.
    _change(app, ORG_C, directory_listed=True, directory_summary="Gratis gældsrådgivning.")
    _change(app, ORG_B, directory_listed=False)
    assert _listed(client) == {ORG_A}
    _change(app, ORG_A, state=OrganisationState.SUSPENDED, suspension_reason="Pause")
    assert _listed(client) == set()
    assert "Der er ingen organisationer i kataloget endnu." in client.get("/katalog").get_data(
        as_text=True
    )


def test_logged_in_users_see_the_same_directory(login_as: Any) -> None:
    assert _listed(login_as("ngo_b_admin")) == {ORG_A, ORG_B}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?region=Region+Hovedstaden", {ORG_A}),
        ("?region=Region+Midtjylland", {ORG_B}),
        ("?region=Region+Nordjylland", set()),
        ("?effort=network", {ORG_A}),
        ("?effort=visiting_friend", {ORG_A, ORG_B}),
        ("?effort=mentor", set()),
        ("?q=besøgsven", {ORG_B}),  # in B's name
        ("?q=Fællesskab", {ORG_A}),  # in A's summary, whatever the case
        ("?q=netværk&region=Region+Midtjylland", set()),
        ("?effort=visiting_friend&region=Region+Midtjylland&q=jylland", {ORG_B}),
    ],
)
def test_search_and_filters(client: FlaskClient, query: str, expected: set[str]) -> None:
    assert _listed(client, query) == expected


@pytest.mark.postgres_only
def test_search_folds_danish_capitals(client: FlaskClient) -> None:
    # SQLite's lower() folds only ASCII letters, so this holds on PostgreSQL (production) only.
    assert _listed(client, "?q=FÆLLESSKAB") == {ORG_A}
    assert _listed(client, "?q=BESØGSVEN") == {ORG_B}


def test_the_filters_offer_the_five_regions_and_every_kind_of_effort(
    client: FlaskClient,
) -> None:
    page = client.get("/katalog").get_data(as_text=True)
    for region in (
        "Region Hovedstaden",
        "Region Midtjylland",
        "Region Nordjylland",
        "Region Sjælland",
        "Region Syddanmark",
    ):
        assert f'<option value="{region}">' in page
    for kind in ("Besøgsven", "Mentor", "Gældsrådgivning", "Aktiviteter for pårørende"):
        assert kind in page


def test_an_unknown_filter_value_is_ignored_and_said(client: FlaskClient) -> None:
    response = client.get("/katalog?region=Mars&effort=hacking")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Vælg en af mulighederne." in page
    assert {ORG_A, ORG_B} <= {name for name in ALL_DEMO if name in page}


def test_no_match_says_what_to_try(client: FlaskClient) -> None:
    page = client.get("/katalog?q=findes-ikke").get_data(as_text=True)
    assert "Ingen organisationer matcher søgningen." in page
    assert "Nulstil søgningen" in page


def test_pagination_keeps_the_filters(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        aarhus = db.session.scalar(select(Municipality).where(Municipality.name == "Aarhus"))
        assert aarhus is not None
        for n in range(12):
            db.session.add(
                Organisation(
                    name=f"Mentornetværk {n:02d}",
                    cvr=f"7{n:07d}",
                    municipality_id=aarhus.id,
                    area_office_id=aarhus.area_office_id,
                    state=OrganisationState.APPROVED,
                    directory_listed=True,
                    directory_summary="Mentorer for unge.",
                    effort_kinds=["mentor"],
                )
            )
        db.session.commit()
    first = client.get("/katalog?effort=mentor").get_data(as_text=True)
    assert "12 organisationer" in first
    assert "Mentornetværk 00" in first and "Mentornetværk 10" not in first
    assert "effort=mentor&amp;page=2" in first or "page=2&amp;effort=mentor" in first
    second = client.get("/katalog?effort=mentor&page=2").get_data(as_text=True)
    assert "Mentornetværk 10" in second and "Mentornetværk 11" in second
    assert "Mentornetværk 00" not in second


def test_entry_page_shows_what_a_volunteer_needs(app: Flask, client: FlaskClient) -> None:
    response = client.get(f"/katalog/{_org_id(app, ORG_A)}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for shown in (
        ORG_A,
        "Vi skaber netværk og fællesskab",  # what they do
        "Region Hovedstaden",
        "København",
        "Vestre Fængsel",
        "Storstrøm Fængsel",
        "Besøgsven",
        "Skriv til os, så inviterer vi dig til en introaften.",  # how to volunteer
        "frivillig@10000009.example.org",  # contact
    ):
        assert shown in page, shown


@pytest.mark.parametrize(
    "change",
    [
        {"directory_listed": False},
        {"state": OrganisationState.SUSPENDED},
        {"state": OrganisationState.IN_REVIEW},
    ],
)
def test_entry_is_404_unless_approved_and_listed(
    app: Flask, client: FlaskClient, change: dict[str, Any]
) -> None:
    org = _org_id(app, ORG_A)
    assert client.get(f"/katalog/{org}").status_code == 200
    _change(app, ORG_A, **change)
    assert client.get(f"/katalog/{org}").status_code == 404


def test_entry_is_404_for_unapproved_and_unknown(app: Flask, client: FlaskClient) -> None:
    _change(app, ORG_C, directory_listed=True)
    assert client.get(f"/katalog/{_org_id(app, ORG_C)}").status_code == 404
    assert client.get(f"/katalog/{uuid.uuid4()}").status_code == 404
    assert client.get("/katalog/ikke-et-id").status_code == 404


def test_nothing_of_volunteers_cases_members_or_documents_is_shown(
    app: Flask, client: FlaskClient
) -> None:
    org = _org_id(app, ORG_A)
    _change(
        app,
        ORG_A,
        decision_reason="INTERN-BEGRUNDELSE",
        cooperation_intent="INTERN-HENSIGT",
        pending_name="VENTENDE-NAVN",
        pending_cvr="60000018",
    )
    with app.app_context():
        db.session.add(
            OrganisationEvent(
                organisation_id=org, kind=EventKind.MESSAGE, action="message", text="INTERN-BESKED"
            )
        )
        db.session.commit()
    pages = [
        client.get("/katalog").get_data(as_text=True),
        client.get(f"/katalog/{org}").get_data(as_text=True),
    ]
    for page in pages:
        for secret in (
            "Mette Hansen",  # the volunteer
            "volunteer@example.org",
            "Amalie Andersen",  # the admin
            "ngo-a.admin@example.org",
            "Mads Madsen",  # the member
            "ny.kollega@example.org",  # an invitation
            ">10000009<",  # the CVR number (the demo's contact address contains it)
            "CVR",
            "/dokumenter",
            "Nørrebrogade",  # the address
            "Vedtægter",  # documents
            "Årsregnskab",
            "Godkendt",  # the case's state
            "INTERN-BEGRUNDELSE",
            "INTERN-HENSIGT",
            "INTERN-BESKED",
            "VENTENDE-NAVN",
            "60000018",
        ):
            assert secret not in page, secret
