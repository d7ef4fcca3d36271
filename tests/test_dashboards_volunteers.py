"""The start page's volunteer lines ("what needs me now") for each role, counted only within
the user's own organisations or area offices, and the navigation entries of the volunteers flow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import select

from portal import db
from portal.db import utcnow
from portal.models import AccessGrant, DeclarationKind, Institution, Role, VolunteerState
from portal.navigation import navigation_for
from portal.services import accounts, declaration_texts, volunteer_status
from portal.services.dashboards import Panel, panels_for
from tests.test_declaration_texts import ORG_A, ORG_B, make_volunteer, organisation_id

S = VolunteerState


def _grant(volunteer: Any, institution: str, days_left: int) -> None:
    day = volunteer_status.today()
    db.session.add(
        AccessGrant(
            volunteer_id=volunteer.id,
            institution_id=db.session.scalar(
                select(Institution.id).where(Institution.name == institution)
            ),
            valid_from=day - timedelta(days=30),
            valid_until=day + timedelta(days=days_left),
        )
    )
    db.session.flush()
    db.session.refresh(volunteer)


def _world() -> None:
    """Organisation A (Øst) and B (Vest), each with volunteers in several states."""
    now = utcnow()
    make_volunteer(ORG_A, "A Udløbet", S.INVITED, invitation_expires_at=now - timedelta(days=1))
    make_volunteer(ORG_A, "A Inviteret", S.INVITED, invitation_expires_at=now + timedelta(days=5))
    make_volunteer(ORG_A, "A Venter 1", S.AWAITING_CHECK)
    make_volunteer(ORG_A, "A Venter 2", S.AWAITING_CHECK)
    _grant(make_volunteer(ORG_A, "A Snart", S.CLEARED), "Storstrøm Fængsel", 10)
    _grant(make_volunteer(ORG_A, "A Længe", S.CLEARED), "Storstrøm Fængsel", 200)
    make_volunteer(ORG_A, "A Trukket", S.WITHDRAWN)

    make_volunteer(ORG_B, "B Udløbet 1", S.INVITED, invitation_expires_at=now - timedelta(days=3))
    make_volunteer(ORG_B, "B Udløbet 2", S.INVITED, invitation_expires_at=now - timedelta(days=2))
    make_volunteer(ORG_B, "B Venter", S.AWAITING_CHECK)
    _grant(make_volunteer(ORG_B, "B Længe", S.CLEARED), "Østjyllands Fængsel", 100)


def _panel(email: str, role: Role) -> Panel:
    user = accounts.find_user_by_email(email)
    assert user is not None
    return next(p for p in panels_for(user) if p.role == role)


def _volunteer_account(email: str) -> str:
    """A fresh account with the volunteer role in organisation A and no volunteer rows of its
    own (the demo account volunteer@example.org has the demo's Mette Hansen)."""
    user = accounts.create_user(email, "Frede Frivillig", "en lang og god adgangskode")
    accounts.grant_role(user, Role.VOLUNTEER, organisation_id=organisation_id(ORG_A))
    db.session.flush()
    return email


def _counts(panel: Panel) -> dict[str, int]:
    return {task.key: task.count for task in panel.data["volunteer_tasks"]}


PANELS = {
    "ngo_a_admin": ("ngo-a.admin@example.org", Role.NGO_ADMIN),
    "ngo_a_member": ("ngo-a.member@example.org", Role.NGO_MEMBER),
    "ngo_b_admin": ("ngo-b.admin@example.org", Role.NGO_ADMIN),
    "caseworker_ost": ("caseworker.ost@example.org", Role.CASEWORKER),
    "caseworker_vest": ("caseworker.vest@example.org", Role.CASEWORKER),
    "admin": ("admin@example.org", Role.ADMIN),
}


def _added(baseline: dict[str, dict[str, int]], who: str) -> dict[str, int]:
    """What the test's volunteers added to ``who``'s counts (demo data may hold others)."""
    now = _counts(_panel(*PANELS[who]))
    return {key: count - baseline[who][key] for key, count in now.items()}


@pytest.fixture
def world(app: Flask) -> Any:
    with app.test_request_context():
        baseline = {who: _counts(_panel(*found)) for who, found in PANELS.items()}
        _world()
        yield baseline


def test_ngo_staff_count_only_their_own_organisations_volunteers(world: Any) -> None:
    a = _added(world, "ngo_a_admin")
    assert a == {"invitation_lapsed": 1, "expiring": 1, "awaiting_check": 2, "resign_needed": 0}
    assert _added(world, "ngo_a_member") == a
    b = _added(world, "ngo_b_admin")
    assert b == {"invitation_lapsed": 2, "expiring": 0, "awaiting_check": 1, "resign_needed": 0}


def test_caseworkers_count_only_their_area_office(world: Any) -> None:
    assert _added(world, "caseworker_ost") == {"awaiting_check": 2, "expiring": 1}
    assert _added(world, "caseworker_vest") == {"awaiting_check": 1, "expiring": 0}


def test_links_go_where_the_work_is_done_when_that_part_exists(app: Flask, world: Any) -> None:
    tasks = _panel("ngo-a.admin@example.org", Role.NGO_ADMIN).data["volunteer_tasks"]
    for task in tasks:
        if "volunteers.index" in app.view_functions:
            assert task.url == f"/frivillige?status={task.key}"
        else:
            assert task.url is None
    queue = _panel("caseworker.ost@example.org", Role.CASEWORKER).data["volunteer_tasks"][0]
    assert queue.url == ("/tjek" if "clearance.queue" in app.view_functions else None)


def test_staff_of_two_organisations_get_one_set_per_organisation(world: Any) -> None:
    user = accounts.find_user_by_email("ngo-a.admin@example.org")
    assert user is not None
    org_b = organisation_id(ORG_B)
    accounts.grant_role(user, Role.NGO_MEMBER, organisation_id=org_b)
    db.session.refresh(user)
    [admin_panel, member_panel] = [
        p for p in panels_for(user) if p.role in (Role.NGO_ADMIN, Role.NGO_MEMBER)
    ]
    b_tasks = member_panel.data["volunteer_tasks"]
    assert {t.key: t.count for t in b_tasks}["invitation_lapsed"] >= 2
    assert all(t.text.startswith(ORG_B + ": ") for t in b_tasks)
    if "volunteers.index" in current_app.view_functions:
        assert all(f"organisation={org_b}" in (t.url or "") for t in b_tasks)
    assert all(t.text.startswith(ORG_A + ": ") for t in admin_panel.data["volunteer_tasks"])


def test_a_new_version_shows_who_must_sign_again(world: Any) -> None:
    current = volunteer_status.current_versions()[DeclarationKind.SECURITY_RULES]
    declaration_texts.publish_version(
        DeclarationKind.SECURITY_RULES,
        title_da=current.title_da,
        title_en=current.title_en,
        text_da=current.text_da + "\n\nNy regel.",
        text_en=current.text_en + "\n\nNew rule.",
        change_note="Ny regel",
        actor=None,
    )
    # The two cleared volunteers of A (the withdrawn one is not asked), the one of B.
    assert _counts(_panel("ngo-a.admin@example.org", Role.NGO_ADMIN))["resign_needed"] >= 2
    assert _added(world, "ngo_b_admin")["resign_needed"] >= 1
    admin = _panel("admin@example.org", Role.ADMIN).data["volunteer_tasks"]
    assert [(t.key, t.url) for t in admin] == [("declarations", "/admin/erklaeringer")]
    assert admin[0].count >= 3


def test_the_volunteer_sees_their_status_and_is_asked_to_sign_again(app: Flask) -> None:
    with app.test_request_context():
        email = _volunteer_account("frede.frivillig@example.org")
        user = accounts.find_user_by_email(email)
        make_volunteer(ORG_A, "Frede Frivillig", S.CLEARED, user=user)
        make_volunteer(ORG_B, "Someone Else", S.CLEARED)  # not theirs
        panel = _panel(email, Role.VOLUNTEER)
        [record] = panel.data["volunteer_records"]
        assert record["status"] == volunteer_status.VolunteerStatus.CLEARED
        assert record["outdated"] == []
        [task] = panel.data["volunteer_tasks"]
        assert task.key == "cleared" and task.url is None

        current = volunteer_status.current_versions()[DeclarationKind.CONFIDENTIALITY]
        declaration_texts.publish_version(
            DeclarationKind.CONFIDENTIALITY,
            title_da=current.title_da,
            title_en=current.title_en,
            text_da="Ny tekst, {navn}.",
            text_en="New text, {navn}.",
            change_note="Kortere",
            actor=None,
        )
        [task] = _panel(email, Role.VOLUNTEER).data["volunteer_tasks"]
        assert task.key == "sign_again" and task.count == 1
        assert "Tavshedspligt" in task.text
        if "signing.my_page" in app.view_functions:
            assert task.url == "/mig/frivillig"


def test_no_volunteer_lines_without_volunteers_in_scope(app: Flask) -> None:
    with app.test_request_context():
        counts = _counts(_panel("ngo-b.admin@example.org", Role.NGO_ADMIN))
        assert set(counts.values()) == {0}
        email = _volunteer_account("frede.frivillig@example.org")
        assert _panel(email, Role.VOLUNTEER).data["volunteer_tasks"] == []
        assert _panel(email, Role.VOLUNTEER).data["volunteer_records"] == []


@pytest.mark.parametrize("role", ["ngo_a_admin", "caseworker_ost", "volunteer", "admin"])
def test_the_dashboard_still_renders(app: Flask, login_as: Any, role: str) -> None:
    with app.test_request_context():
        _world()
        db.session.commit()
    assert login_as(role).get("/overblik").status_code == 200


NAV = {
    "admin@example.org": ("Erklæringer", "admin.declarations"),
    "ngo-a.admin@example.org": ("Frivillige", "volunteers.index"),
    "caseworker.ost@example.org": ("Tjek af frivillige", "clearance.queue"),
    "volunteer@example.org": ("Min side", "signing.my_page"),
}


@pytest.mark.parametrize("email", NAV)
def test_navigation_has_the_volunteer_entries_that_exist(app: Flask, email: str) -> None:
    label, endpoint = NAV[email]
    with app.test_request_context():
        user = accounts.find_user_by_email(email)
        items = navigation_for(user, endpoint)
        labels = [item.label for item in items]
        others = {lbl for e, (lbl, _) in NAV.items() if e != email}
        if endpoint in app.view_functions:
            assert label in labels
            assert next(i for i in items if i.label == label).active
        else:
            assert label not in labels
        assert not others & set(labels)
