"""The volunteer's own page lists the approved activities they take part in, and says when
they may not come."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from portal import db
from portal.models import Activity, ActivityState
from portal.services import clearance
from tests.activity_data import VESTRE, institution, user, volunteer

DEMO_TITLE = "Besøgsvenner i Vestre Fængsel"  # the demo's approved weekly activity


def test_the_volunteer_sees_the_activities_they_take_part_in(app: Flask, login_as: Any) -> None:
    with app.app_context():
        demo = db.session.scalar(select(Activity).where(Activity.title == DEMO_TITLE))
        assert demo is not None and demo.state == ActivityState.APPROVED
    page = login_as("volunteer").get("/mig/frivillig").get_data(as_text=True)
    assert "Dine aktiviteter" in page
    assert DEMO_TITLE in page and "Næste gang:" in page
    assert "Du må ikke deltage lige nu" not in page


def test_the_page_says_when_the_volunteer_may_not_come(app: Flask, login_as: Any) -> None:
    with app.app_context():
        mette = volunteer("Mette Hansen")
        grant = next(g for g in mette.access_grants if g.institution_id == institution(VESTRE).id)
        clearance.revoke_access(grant, user("caseworker_ost"), "Sikkerhedsmæssig vurdering")
        db.session.commit()
    page = login_as("volunteer").get("/mig/frivillig").get_data(as_text=True)
    assert DEMO_TITLE in page
    assert "Du må ikke deltage lige nu" in page
    assert "Ingen gyldig adgang til institutionen." in page
