"""The grant round pages through the test client: the grant officer creates a draft round
(money in kroner as typed, opening and deadline on the Copenhagen clock, rubric rows added and
removed without JavaScript, reviewers), is refused with everything typed kept, edits it (a
stale page is a conflict), sees what stands in the way of publishing and publishes it; NGO
staff read the published rounds on /tilskud with the deadline in Copenhagen time."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal import db
from portal.models import AuditEntry, GrantRound, RoundState, RubricCriterion, User
from portal.services import grant_round_admin, grant_rounds
from portal.services.grant_round_admin import CriterionValues, RoundValues
from tests.roles import ROLE_ACCOUNTS

NEW = "/tilskud/runder/ny"


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


def _user(role: str) -> User:
    user = db.session.scalar(select(User).where(User.email == ROLE_ACCOUNTS[role]))
    assert user is not None
    return user


def _form(**overrides: Any) -> dict[str, Any]:
    """A complete round form: deadline Monday 1 March 2027 at 12:00 Copenhagen (winter time,
    11:00 UTC)."""
    data: dict[str, Any] = {
        "name_da": "Civilsamfundspuljen (testrunde)",
        "name_en": "Civil society pool 2027, round 1",
        "description_da": "Tilskud til projekter med frivillige.",
        "description_en": "Grants for projects with volunteers.",
        "criteria_da": "Projektet skal have frivillige.",
        "criteria_en": "",
        "pool": "5.500.000",
        "maximum": "400.000",
        "audit_threshold": "100.000",
        "voucher_share_percent": "20",
        "opens_on": "2027-01-04",
        "opens_time": "09:00",
        "deadline_on": "2027-03-01",
        "deadline_time": "12:00",
        "reporting_deadline": "2028-06-30",
        "required_attachments": ["budget_notes", "statutes"],
        "criteria-0-name_da": "Relevans for de indsatte",
        "criteria-0-name_en": "Relevance",
        "criteria-0-description_da": "",
        "criteria-0-description_en": "",
        "criteria-0-weight": "3",
        "criteria-0-scale_max": "5",
        "criteria-1-name_da": "Frivilliges rolle",
        "criteria-1-name_en": "",
        "criteria-1-description_da": "Hvor meget bærer de frivillige?",
        "criteria-1-description_en": "",
        "criteria-1-weight": "2",
        "criteria-1-scale_max": "4",
        "save": "1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _values(**overrides: Any) -> RoundValues:
    base: dict[str, Any] = {
        "name_da": "Runde",
        "description_da": "Beskrivelse",
        "criteria_da": "Kriterier",
        "pool_ore": 100_000_000,
        "max_per_application_ore": 10_000_000,
        "opens_on": date(2026, 1, 5),
        "opens_time": datetime(2026, 1, 1, 9).time(),
        "deadline_on": date(2030, 3, 1),
        "deadline_time": datetime(2026, 1, 1, 12).time(),
        "reporting_deadline": date(2031, 6, 30),
        "criteria": (CriterionValues(name_da="Relevans", weight=1, scale_max=5),),
    }
    base.update(overrides)
    return RoundValues(**base)


def _round(app: Flask, publish: bool = False, **overrides: Any) -> uuid.UUID:
    with app.app_context():
        grant_round = grant_round_admin.create(_values(**overrides), _user("grant_officer"))
        if publish:
            grant_rounds.publish(grant_round, _user("grant_officer"))
        db.session.commit()
        return grant_round.id


def _reviewer_id(app: Flask) -> str:
    with app.app_context():
        return str(_user("reviewer").id)


# --- creating a round ------------------------------------------------------------------------


def test_officer_creates_a_draft_round(app: Flask, client: FlaskClient, login_as: Any) -> None:
    login_as("grant_officer")
    assert client.get(NEW).status_code == 200
    reviewer = _reviewer_id(app)
    response = client.post(NEW, data=_form(reviewers=[reviewer]))
    assert response.status_code == 302, _html(response)
    with app.app_context():
        grant_round = db.session.scalar(
            select(GrantRound).where(GrantRound.name_da == "Civilsamfundspuljen (testrunde)")
        )
        assert grant_round is not None
        assert response.headers["Location"].endswith(f"/tilskud/runder/{grant_round.id}")
        assert grant_round.state == RoundState.DRAFT
        assert grant_round.pool_ore == 550_000_000
        assert grant_round.max_per_application_ore == 40_000_000
        assert grant_round.audit_threshold_ore == 10_000_000
        assert grant_round.voucher_share_percent == 20
        # Copenhagen wall clock in, UTC instants stored (winter time: UTC+1).
        assert grant_round.opens_at == datetime(2027, 1, 4, 8, tzinfo=UTC)
        assert grant_round.deadline_at == datetime(2027, 3, 1, 11, tzinfo=UTC)
        assert grant_round.reporting_deadline == date(2028, 6, 30)
        assert grant_round.required_attachments == ["budget_notes", "statutes"]
        assert [(c.position, c.name_da, c.weight, c.scale_max) for c in grant_round.criteria] == [
            (0, "Relevans for de indsatte", 3, 5),
            (1, "Frivilliges rolle", 2, 4),
        ]
        assert [str(r.user_id) for r in grant_round.reviewers] == [reviewer]
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "grant_round.create",
                AuditEntry.object_id == str(grant_round.id),
            )
        )
        assert entry is not None
    page = _html(client.get(response.headers["Location"]))
    assert "Fristen er mandag den 1. marts 2027 kl. 12.00" in page
    assert "5.500.000,00 kr." in page
    assert "Rasmus Riis" in page
    assert "Budgetnoter" in page


def test_deadline_in_summer_time_is_stored_two_hours_earlier_in_utc(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    login_as("grant_officer")
    response = client.post(
        NEW,
        data=_form(
            name_da="Sommerrunde", deadline_on="2027-09-01", reporting_deadline="2028-09-01"
        ),
    )
    assert response.status_code == 302, _html(response)
    with app.app_context():
        grant_round = db.session.scalar(
            select(GrantRound).where(GrantRound.name_da == "Sommerrunde")
        )
        assert grant_round is not None
        assert grant_round.deadline_at == datetime(2027, 9, 1, 10, tzinfo=UTC)


def _count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(GrantRound)) or 0


def test_refused_round_keeps_what_was_typed(app: Flask, client: FlaskClient, login_as: Any) -> None:
    login_as("grant_officer")
    before = _count(app)
    response = client.post(NEW, data=_form(pool="300.000", maximum="400.000"))
    assert response.status_code == 400
    page = _html(response)
    assert "data-error-summary" in page
    assert 'href="#maximum"' in page
    assert "kan ikke være større end puljen" in page
    assert 'value="Civilsamfundspuljen (testrunde)"' in page
    assert 'value="Frivilliges rolle"' in page
    assert 'value="300.000"' in page
    assert _count(app) == before


def test_amount_typed_wrongly_is_refused_on_its_field(client: FlaskClient, login_as: Any) -> None:
    login_as("grant_officer")
    response = client.post(NEW, data=_form(pool="5,5,0", maximum=""))
    assert response.status_code == 400
    page = _html(response)
    assert 'href="#pool"' in page
    assert "Skriv tallet som fx 1.234,50." in page
    assert "Skriv det højeste beløb, der kan søges." in page


def test_deadline_in_the_skipped_spring_hour_is_refused(client: FlaskClient, login_as: Any) -> None:
    login_as("grant_officer")
    # 28 March 2027: the clocks go from 02:00 to 03:00 in Copenhagen.
    response = client.post(NEW, data=_form(deadline_on="2027-03-28", deadline_time="02:30"))
    assert response.status_code == 400
    page = _html(response)
    assert 'href="#deadline_time"' in page
    assert "sommertid" in page


def test_deadline_before_opening_and_reporting_before_deadline_are_refused(
    client: FlaskClient, login_as: Any
) -> None:
    login_as("grant_officer")
    response = client.post(
        NEW, data=_form(deadline_on="2027-01-01", reporting_deadline="2026-12-31")
    )
    assert response.status_code == 400
    page = _html(response)
    assert "Ansøgningsfristen skal ligge efter åbningen." in page
    assert "Fristen for afrapportering skal ligge efter ansøgningsfristen." in page


def test_criterion_without_name_or_with_a_bad_weight_is_refused_on_its_row(
    client: FlaskClient, login_as: Any
) -> None:
    login_as("grant_officer")
    response = client.post(
        NEW, data=_form(**{"criteria-1-name_da": "", "criteria-0-weight": "101"})
    )
    assert response.status_code == 400
    page = _html(response)
    assert 'href="#criteria-0-weight"' in page
    assert 'href="#criteria-1-name_da"' in page
    assert "Giv kriteriet et navn." in page


def test_rubric_rows_are_added_and_removed_without_saving(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    login_as("grant_officer")
    before = _count(app)
    data = _form(add_criterion="1")
    del data["save"]
    response = client.post(NEW, data=data)
    assert response.status_code == 200
    page = _html(response)
    assert 'id="criteria-2-name_da"' in page
    assert 'value="Frivilliges rolle"' in page
    data = _form(remove_criterion="0")
    del data["save"]
    page = _html(client.post(NEW, data=data))
    assert 'value="Relevans for de indsatte"' not in page
    assert 'value="Frivilliges rolle"' in page
    assert _count(app) == before


def test_empty_rubric_rows_are_not_saved(app: Flask, client: FlaskClient, login_as: Any) -> None:
    login_as("grant_officer")
    data = _form(
        name_da="Med tom række",
        **{"criteria-2-name_da": "", "criteria-2-weight": "1", "criteria-2-scale_max": "5"},
    )
    assert client.post(NEW, data=data).status_code == 302
    with app.app_context():
        grant_round = db.session.scalar(
            select(GrantRound).where(GrantRound.name_da == "Med tom række")
        )
        assert grant_round is not None and len(grant_round.criteria) == 2


def test_only_reviewers_can_be_chosen_as_reviewers(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    login_as("grant_officer")
    with app.app_context():
        admin_id = str(_user("admin").id)
    response = client.post(NEW, data=_form(reviewers=[admin_id]))
    assert response.status_code == 400
    assert 'href="#reviewers"' in _html(response)


# --- editing ---------------------------------------------------------------------------------


def _edit_form(app: Flask, round_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    with app.app_context():
        grant_round = db.session.get(GrantRound, round_id)
        assert grant_round is not None
        version = grant_round.version
    return _form(version=str(version), **overrides)


def test_officer_edits_a_draft(app: Flask, client: FlaskClient, login_as: Any) -> None:
    round_id = _round(app)
    login_as("grant_officer")
    page = _html(client.get(f"/tilskud/runder/{round_id}/ret"))
    assert 'value="1.000.000"' in page  # the pool, as it is typed
    assert 'value="Relevans"' in page
    data = _edit_form(app, round_id, pool="2.000.000,50", reviewers=[_reviewer_id(app)])
    response = client.post(f"/tilskud/runder/{round_id}/ret", data=data)
    assert response.status_code == 302, _html(response)
    with app.app_context():
        grant_round = db.session.get(GrantRound, round_id)
        assert grant_round is not None
        assert grant_round.pool_ore == 200_000_050
        assert [c.name_da for c in grant_round.criteria] == [
            "Relevans for de indsatte",
            "Frivilliges rolle",
        ]
        assert len(grant_round.reviewers) == 1
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "grant_round.update",
                AuditEntry.object_id == str(round_id),
            )
        )
        assert entry is not None
        assert "pool_ore" in entry.details["changed"]
        assert "criteria" in entry.details["changed"]
        assert "reviewers" in entry.details["changed"]


def test_removing_criteria_and_reviewers_on_edit(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    login_as("grant_officer")
    data = _edit_form(app, round_id, reviewers=[_reviewer_id(app)])
    assert client.post(f"/tilskud/runder/{round_id}/ret", data=data).status_code == 302
    data = _edit_form(app, round_id, **{"criteria-1-name_da": None})
    data = {k: v for k, v in data.items() if not k.startswith("criteria-1-")}
    assert client.post(f"/tilskud/runder/{round_id}/ret", data=data).status_code == 302
    with app.app_context():
        grant_round = db.session.get(GrantRound, round_id)
        assert grant_round is not None
        assert [c.name_da for c in grant_round.criteria] == ["Relevans for de indsatte"]
        assert grant_round.reviewers == []
        count = db.session.scalar(
            select(func.count())
            .select_from(RubricCriterion)
            .where(RubricCriterion.round_id == round_id)
        )
        assert count == 1


def test_stale_edit_is_a_conflict_and_keeps_what_was_typed(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    login_as("grant_officer")
    stale = _edit_form(app, round_id, name_da="Min udgave")
    # Someone else saves first.
    assert (
        client.post(f"/tilskud/runder/{round_id}/ret", data=_edit_form(app, round_id)).status_code
        == 302
    )
    response = client.post(f"/tilskud/runder/{round_id}/ret", data=stale)
    assert response.status_code == 409
    page = _html(response)
    assert "data-conflict" in page
    assert 'value="Min udgave"' in page
    with app.app_context():
        grant_round = db.session.get(GrantRound, round_id)
        assert grant_round is not None
        assert grant_round.name_da == "Civilsamfundspuljen (testrunde)"
        version = grant_round.version
    # The page now carries the current version: saving again works.
    assert f'value="{version}"' in page
    again = dict(stale, version=str(version))
    assert client.post(f"/tilskud/runder/{round_id}/ret", data=again).status_code == 302


def test_a_published_round_cannot_be_edited(app: Flask, client: FlaskClient, login_as: Any) -> None:
    round_id = _round(app, publish=True)
    login_as("grant_officer")
    response = client.post(f"/tilskud/runder/{round_id}/ret", data=_edit_form(app, round_id))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tilskud/runder/{round_id}")
    with app.app_context():
        grant_round = db.session.get(GrantRound, round_id)
        assert grant_round is not None and grant_round.name_da == "Runde"


def test_service_refuses_to_update_a_published_round(app: Flask) -> None:
    round_id = _round(app, publish=True)
    with app.app_context():
        grant_round = db.session.get(GrantRound, round_id)
        assert grant_round is not None
        try:
            grant_round_admin.update(grant_round, _values(name_da="Ny"), _user("grant_officer"))
        except grant_rounds.RoundError as error:
            assert "kan ikke længere ændres" in str(error.message)
        else:
            raise AssertionError("a published round was changed")


# --- publishing ------------------------------------------------------------------------------


def test_round_page_lists_what_stands_in_the_way_of_publishing(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app, description_da="", criteria=())
    login_as("grant_officer")
    page = _html(client.get(f"/tilskud/runder/{round_id}"))
    assert "data-publishing-problems" in page
    assert "Beskriv runden." in page
    assert "Læg mindst ét kriterium ind i bedømmelsesskemaet." in page
    with app.app_context():
        version = db.session.get(GrantRound, round_id).version  # type: ignore[union-attr]
    response = client.post(f"/tilskud/runder/{round_id}/offentliggoer", data={"version": version})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(GrantRound, round_id).state == RoundState.DRAFT  # type: ignore[union-attr]


def test_officer_publishes_a_round(app: Flask, client: FlaskClient, login_as: Any) -> None:
    round_id = _round(app)
    login_as("grant_officer")
    page = _html(client.get(f"/tilskud/runder/{round_id}"))
    assert "data-publishing-problems" not in page
    assert "Offentliggør runden" in page
    with app.app_context():
        version = db.session.get(GrantRound, round_id).version  # type: ignore[union-attr]
    response = client.post(f"/tilskud/runder/{round_id}/offentliggoer", data={"version": version})
    assert response.status_code == 302
    page = _html(client.get(response.headers["Location"]))
    assert "Runden er offentliggjort" in page
    assert 'data-phase="open"' in page
    with app.app_context():
        grant_round = db.session.get(GrantRound, round_id)
        assert grant_round is not None and grant_round.state == RoundState.PUBLISHED
        assert db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "grant_round.publish",
                AuditEntry.object_id == str(round_id),
            )
        )


def test_publishing_from_a_stale_page_is_a_conflict(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    login_as("grant_officer")
    with app.app_context():
        stale = db.session.get(GrantRound, round_id).version  # type: ignore[union-attr]
    assert (
        client.post(f"/tilskud/runder/{round_id}/ret", data=_edit_form(app, round_id)).status_code
        == 302
    )
    response = client.post(f"/tilskud/runder/{round_id}/offentliggoer", data={"version": stale})
    assert response.status_code == 409
    assert "ændret af en anden" in _html(response)
    with app.app_context():
        assert db.session.get(GrantRound, round_id).state == RoundState.DRAFT  # type: ignore[union-attr]


def test_admin_reads_a_round_but_cannot_publish_or_edit(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app)
    login_as("admin")
    page = _html(client.get(f"/tilskud/runder/{round_id}"))
    assert "Relevans" in page
    assert "Offentliggør runden" not in page
    assert client.get(f"/tilskud/runder/{round_id}/ret").status_code == 403
    listing = _html(client.get("/tilskud/runder"))
    assert "Opret en ny runde" not in listing


# --- the list and the published rounds ---------------------------------------------------------


def test_officer_list_shows_each_round_with_its_phase(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    draft = _round(app, name_da="Kladderunden")
    open_round = _round(app, publish=True, name_da="Den åbne runde")
    login_as("grant_officer")
    page = _html(client.get("/tilskud/runder"))
    assert "Kladderunden" in page and "Den åbne runde" in page
    assert f'data-round="{draft}"' in page
    assert "Åben for ansøgninger" in page
    assert "Kladde" in page
    assert f'href="/tilskud/runder/{open_round}"' in page


def test_ngo_staff_read_the_open_round_with_the_deadline_in_copenhagen_time(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    # Friday 1 March 2030 at 12:00 in Copenhagen.
    _round(app, publish=True, name_da="Puljen 2030", required_attachments=("budget_notes",))
    _round(app, name_da="Hemmelig kladde")
    login_as("ngo_a_admin")
    response = client.get("/tilskud")
    assert response.status_code == 200
    page = _html(response)
    assert "Puljen 2030" in page
    assert "Fristen er fredag den 1. marts 2030 kl. 12.00" in page
    assert "1.000.000,00 kr." in page  # the pool
    assert "100.000,00 kr." in page  # the maximum
    assert "Budgetnoter" in page
    assert "Relevans" in page
    assert "Hemmelig kladde" not in page
    if "grant_applications.start" in app.view_functions:
        assert "data-apply" in page
        assert "/ansoeg" in page


def test_announced_round_shows_when_it_opens_and_no_apply_button(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    opens = date.today() + timedelta(days=30)
    _round(app, publish=True, name_da="Kommende runde", opens_on=opens)
    login_as("ngo_a_member")
    page = _html(client.get("/tilskud"))
    section = page.split("Kommende runde", 1)[1].split("</section>", 1)[0]
    assert "Runden åbner" in section
    assert "data-apply" not in section


def test_closed_round_is_not_on_the_published_page(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    round_id = _round(app, publish=True, name_da="Lukket runde")
    with app.app_context():
        grant_round = db.session.get(GrantRound, round_id)
        assert grant_round is not None
        grant_round.opens_at = datetime(2025, 1, 1, tzinfo=UTC)
        grant_round.deadline_at = datetime(2025, 3, 1, 11, tzinfo=UTC)
        db.session.commit()
    login_as("ngo_a_admin")
    assert "Lukket runde" not in _html(client.get("/tilskud"))


def test_english_reader_sees_the_english_name(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    _round(app, publish=True, name_da="Dansk navn", name_en="English name")
    login_as("ngo_a_admin")
    client.post("/sprog", data={"language": "en"})
    page = _html(client.get("/tilskud"))
    assert "English name" in page


def test_navigation_has_tilskud_for_ngo_staff_and_officers(
    client: FlaskClient, login_as: Any
) -> None:
    login_as("ngo_a_member")
    assert 'href="/tilskud"' in _html(client.get("/overblik"))
    login_as("grant_officer")
    assert 'href="/tilskud/runder"' in _html(client.get("/overblik"))
