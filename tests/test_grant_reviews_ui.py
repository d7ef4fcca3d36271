"""The review pages through the test client: the officer ticks who reviews what (the admin
and the DPO only read it), the reviewer lists and reads their applications (the frozen copy,
the budget, the attachments to download), scores them and marks the review done, or declares
a conflict, after which the page shows nothing of the application and nothing they post is
saved. The officer's score table shows the scores side by side, the totals, the mean, the
spread (a large one flagged) and the conflicts with their reasons. Errors and conflicts keep
what was typed.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import db
from portal.models import (
    AuditEntry,
    GrantApplication,
    GrantRound,
    ReviewAssignment,
    ReviewScore,
    Role,
    RoundReviewer,
    RubricCriterion,
)
from portal.services import grant_review_board, grant_reviews
from tests.activity_data import new_user, user
from tests.grant_data import in_review, open_round


def _html(response: Any) -> str:
    return response.get_data(as_text=True)


def _checked(html: str, criterion_id: uuid.UUID, value: int) -> bool:
    """Whether the radio for ``value`` of the criterion is ticked in the page."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="score_{criterion_id.hex}"' in tag and f'value="{value}"' in tag:
            return " checked" in tag
    raise AssertionError(f"no radio {value} for {criterion_id}")


def _rubric() -> list[RubricCriterion]:
    return [
        RubricCriterion(
            position=1,
            name_da="Relevans",
            description_da="Passer projektet til puljens formål?",
            weight=50,
            scale_max=5,
        ),
        RubricCriterion(position=2, name_da="Frivillige", weight=30, scale_max=10),
        RubricCriterion(position=3, name_da="Økonomi", weight=20, scale_max=4),
    ]


def _setup(
    app: Flask, *, assign: bool = True, reviewers: bool = True, attachments: bool = False
) -> dict[str, Any]:
    """A round in assessment (the demo reviewer on it), A's application in review, and, if
    ``assign``, the demo reviewer's assignment to it. Committed (the test rolls it back)."""
    with app.app_context():
        grant_round = open_round(
            criteria=_rubric(),
            required_attachments=("budget_notes",) if attachments else (),
        )
        if reviewers:
            grant_round.reviewers.append(RoundReviewer(user_id=user("reviewer").id))
        db.session.flush()
        application = in_review(grant_round, title="Mentorer efter løsladelse")
        ids: dict[str, Any] = {
            "round": grant_round.id,
            "application": application.id,
            "criteria": [c.id for c in grant_round.criteria],
            "documents": [a.document_id for a in application.attachments],
        }
        if assign:
            assignment = grant_reviews.assign(application, user("reviewer"), user("grant_officer"))
            db.session.flush()
            ids["assignment"] = assignment.id
        db.session.commit()
        return ids


def _other_reviewer(app: Flask, round_id: uuid.UUID, name: str = "Bodil Berg") -> uuid.UUID:
    with app.app_context():
        person = new_user(f"reviewer-{uuid.uuid4().hex[:6]}@example.test", name, Role.REVIEWER)
        db.session.add(RoundReviewer(round_id=round_id, user_id=person.id))
        db.session.commit()
        return person.id


def _assignment(app: Flask, assignment_id: uuid.UUID) -> ReviewAssignment:
    with app.app_context():
        found = db.session.get(ReviewAssignment, assignment_id)
        assert found is not None
        found.scores  # noqa: B018 (loaded before the session closes)
        db.session.expunge(found)
        return found


def _score_form(ids: dict[str, Any], version: int, *scores: int | None, **extra: str) -> dict:
    data: dict[str, Any] = {"version": str(version), **extra}
    for criterion_id, value in zip(ids["criteria"], scores, strict=False):
        if value is not None:
            data[f"score_{criterion_id.hex}"] = str(value)
    return data


# --- the officer: who reviews what -----------------------------------------------------------


def test_the_officer_ticks_reviewers_and_they_are_told(
    app: Flask, client: FlaskClient, login_as: Any, outbox: list[Any]
) -> None:
    ids = _setup(app, assign=False)
    other = _other_reviewer(app, ids["round"])
    login_as("grant_officer")
    page = client.get(f"/tilskud/runder/{ids['round']}/bedoemmere")
    assert page.status_code == 200
    html = _html(page)
    assert "Mentorer efter løsladelse" in html and "Rasmus Riis" in html and "Bodil Berg" in html
    assert html.count('data-cell="editable"') == 2
    fingerprint = re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]+)"', html)
    assert fingerprint is not None, html
    mine = grant_review_board.pair_key(ids["application"], user_by(app, "reviewer"))
    theirs = grant_review_board.pair_key(ids["application"], other)
    response = client.post(
        f"/tilskud/runder/{ids['round']}/bedoemmere",
        data={"pairs": [mine, theirs], "fingerprint": fingerprint.group(1)},
    )
    assert response.status_code == 302, _html(response)
    told = [m for m in outbox if m.subject.startswith("Ny ansøgning til bedømmelse")]
    assert sorted(m.to for m in told)[-1] == "reviewer@example.org"
    assert len(told) == 2
    page = _html(client.get(f"/tilskud/runder/{ids['round']}/bedoemmere"))
    assert "Fordelingen er gemt" in page
    table = page.split("data-round-reviewers")[0]  # the round's own reviewer list follows
    assert table.count(" checked") == 2


def user_by(app: Flask, role: str) -> uuid.UUID:
    with app.app_context():
        return user(role).id


def test_a_stale_assignment_page_saves_nothing_and_keeps_the_ticks(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    ids = _setup(app, assign=False)
    other = _other_reviewer(app, ids["round"])
    login_as("grant_officer")
    html = _html(client.get(f"/tilskud/runder/{ids['round']}/bedoemmere"))
    fingerprint = re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]+)"', html)
    assert fingerprint is not None
    with app.app_context():  # another officer gives it to the demo reviewer meanwhile
        application = db.session.get(GrantApplication, ids["application"])
        grant_reviews.assign(application, user("reviewer"), user("grant_officer"))
        db.session.commit()
    theirs = grant_review_board.pair_key(ids["application"], other)
    response = client.post(
        f"/tilskud/runder/{ids['round']}/bedoemmere",
        data={"pairs": [theirs], "fingerprint": fingerprint.group(1)},
    )
    assert response.status_code == 409
    html = _html(response)
    assert "ændret af en anden" in html
    assert f'value="{theirs}" checked' in html
    with app.app_context():
        assert (
            db.session.scalars(
                select(ReviewAssignment).where(ReviewAssignment.reviewer_id == other)
            ).all()
            == []
        )


def test_admin_and_dpo_read_the_assignments_without_checkboxes(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    ids = _setup(app)
    for role in ("admin", "dpo"):
        login_as(role)
        html = _html(client.get(f"/tilskud/runder/{ids['round']}/bedoemmere"))
        assert "Mentorer efter løsladelse" in html
        assert 'data-cell="assigned"' in html
        assert 'type="checkbox"' not in html
        assert "Gem fordelingen" not in html


def test_a_round_without_reviewers_says_how_to_add_them(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    ids = _setup(app, assign=False, reviewers=False)
    login_as("grant_officer")
    html = _html(client.get(f"/tilskud/runder/{ids['round']}/bedoemmere"))
    assert "Runden har ingen bedømmere" in html
    assert "Vælg rundens bedømmere herunder" in html
    assert "data-round-reviewers" in html


def test_a_conflict_is_shown_locked(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app)
    with app.app_context():
        assignment = db.session.get(ReviewAssignment, ids["assignment"])
        grant_reviews.declare_conflict(
            assignment, user("reviewer"), "Jeg er kasserer i foreningen."
        )
        db.session.commit()
    login_as("grant_officer")
    html = _html(client.get(f"/tilskud/runder/{ids['round']}/bedoemmere"))
    assert 'data-cell="conflict"' in html and "Inhabil" in html
    assert "Jeg er kasserer i foreningen." in html
    assert 'data-cell="editable"' not in html


# --- the reviewer's pages --------------------------------------------------------------------


def test_the_reviewer_lists_and_reads_the_application(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    ids = _setup(app, attachments=True)
    login_as("reviewer")
    html = _html(client.get("/tilskud/bedoemmelser"))
    assert "Mentorer efter løsladelse" in html and "Foreningen Nyt Netværk" in html
    assert 'data-group="todo"' in html
    page = client.get(f"/tilskud/bedoemmelser/{ids['assignment']}")
    assert page.status_code == 200
    html = _html(page)
    assert "Frivillige mentorer følger indsatte" in html  # the summary
    assert "Koordinator, timer" in html  # a budget line
    assert "35.000,00 kr." in html  # requested from the pool
    assert "Vestre Fængsel" in html
    assert "Passer projektet til puljens formål?" in html  # the criterion's description
    assert "Projektet skal styrke indsattes netværk." in html  # the round's criteria
    assert "Jeg er inhabil" in html
    assert html.count('type="radio"') == 5 + 10 + 4
    [document_id] = ids["documents"]
    assert f"/dokumenter/{document_id}" in html
    assert client.get(f"/dokumenter/{document_id}").status_code == 200


def test_another_reviewers_assignment_and_attachments_are_404(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    ids = _setup(app, assign=False, attachments=True)
    other = _other_reviewer(app, ids["round"])
    with app.app_context():
        application = db.session.get(GrantApplication, ids["application"])
        person = db.session.get(type(user("reviewer")), other)
        theirs = grant_reviews.assign(application, person, user("grant_officer"))
        db.session.commit()
        theirs_id = theirs.id
    login_as("reviewer")
    assert client.get(f"/tilskud/bedoemmelser/{theirs_id}").status_code == 404
    assert client.post(f"/tilskud/bedoemmelser/{theirs_id}", data={}).status_code == 404
    assert client.post(f"/tilskud/bedoemmelser/{theirs_id}/inhabil").status_code == 404
    assert client.get(f"/dokumenter/{ids['documents'][0]}").status_code == 404
    listing = _html(client.get("/tilskud/bedoemmelser"))
    assert str(theirs_id) not in listing and "Mentorer efter løsladelse" not in listing
    # An officer is not a reviewer: the role gate.
    login_as("grant_officer")
    assert client.get(f"/tilskud/bedoemmelser/{theirs_id}").status_code == 403


def test_scores_are_saved_then_marked_done(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app)
    login_as("reviewer")
    url = f"/tilskud/bedoemmelser/{ids['assignment']}"
    first = ids["criteria"][0]
    response = client.post(
        url,
        data=_score_form(ids, 1, 4, **{f"comment_{first.hex}": "Klart formål.", "save": "Gem"}),
    )
    assert response.status_code == 302, _html(response)
    html = _html(client.get(url))
    assert "Bedømmelsen er gemt." in html
    assert _checked(html, first, 4) and not _checked(html, first, 3)
    assert "Klart formål." in html
    response = client.post(
        url, data=_score_form(ids, 2, 4, 7, 2, complete="Gem og markér som færdig")
    )
    assert response.status_code == 302, _html(response)
    assert response.headers["Location"].endswith("/tilskud/bedoemmelser")
    assignment = _assignment(app, ids["assignment"])
    assert assignment.completed_at is not None
    assert sorted(s.score for s in assignment.scores) == [2, 4, 7]
    assert 'data-group="done"' in _html(client.get("/tilskud/bedoemmelser"))


def test_errors_keep_what_was_typed(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app)
    login_as("reviewer")
    url = f"/tilskud/bedoemmelser/{ids['assignment']}"
    first, second, third = ids["criteria"]
    response = client.post(
        url,
        data=_score_form(
            ids,
            1,
            4,
            None,
            2,
            **{
                f"comment_{first.hex}": "Stærk idé, svag plan.",
                f"comment_{third.hex}": "x" * 2001,
                "complete": "Gem og markér som færdig",
            },
        ),
    )
    assert response.status_code == 400
    html = _html(response)
    assert "Der er problemer" in html
    assert "Stærk idé, svag plan." in html
    assert "Skriv højst 2000 tegn." in html
    assert _checked(html, first, 4) and _checked(html, third, 2)
    with app.app_context():
        assert db.session.scalars(select(ReviewScore)).all() == []
    # Comments fine, the second criterion still missing: the service says which.
    response = client.post(
        url,
        data=_score_form(
            ids,
            1,
            4,
            None,
            2,
            **{f"comment_{first.hex}": "Stærk idé.", "complete": "Gem og markér som færdig"},
        ),
    )
    assert response.status_code == 400
    html = _html(response)
    assert "før bedømmelsen markeres som færdig" in html
    assert "Stærk idé." in html
    assert f'href="#score_{second.hex}"' in html  # the summary links to the missing one


def test_a_stale_version_keeps_the_scores_in_the_form(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    ids = _setup(app)
    login_as("reviewer")
    url = f"/tilskud/bedoemmelser/{ids['assignment']}"
    assert client.post(url, data=_score_form(ids, 1, 3, save="Gem")).status_code == 302
    response = client.post(url, data=_score_form(ids, 1, 5, 9, save="Gem"))  # an old window
    assert response.status_code == 409
    html = _html(response)
    assert "gemt et andet sted" in html
    first, second, _third = ids["criteria"]
    assert _checked(html, first, 5) and _checked(html, second, 9)
    assert 'name="version" type="hidden" value="2"' in html
    assert [s.score for s in _assignment(app, ids["assignment"]).scores] == [3]


def test_declaring_a_conflict(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app, attachments=True)
    login_as("reviewer")
    url = f"/tilskud/bedoemmelser/{ids['assignment']}"
    assert client.post(url, data=_score_form(ids, 1, 5, save="Gem")).status_code == 302
    # No reason, no confirmation: the details open with the errors; the reason is kept.
    response = client.post(f"{url}/inhabil", data={"version": "2"})
    assert response.status_code == 400
    html = _html(response)
    assert "Skriv, hvorfor du er inhabil." in html
    assert re.search(r"<details[^>]* open[^>]*data-conflict-section", html)
    response = client.post(
        f"{url}/inhabil", data={"version": "2", "reason": "Min bror er formand."}
    )
    assert response.status_code == 400
    html = _html(response)
    assert "Sæt kryds" in html and "Min bror er formand." in html
    response = client.post(
        f"{url}/inhabil", data={"version": "2", "reason": "Min bror er formand.", "confirm": "y"}
    )
    assert response.status_code == 302, _html(response)
    # From now on: nothing of the application, and nothing saved whatever is posted.
    html = _html(client.get(url))
    assert "Du har erklæret dig inhabil" in html and "Min bror er formand." in html
    assert "Frivillige mentorer følger indsatte" not in html
    assert "Koordinator" not in html and 'type="radio"' not in html
    response = client.post(url, data=_score_form(ids, 3, 1, 1, 1, complete="x"))
    assert response.status_code == 403
    assert "Koordinator" not in _html(response)
    assert [s.score for s in _assignment(app, ids["assignment"]).scores] == [5]
    assert client.get(f"/dokumenter/{ids['documents'][0]}").status_code == 404
    again = client.post(f"{url}/inhabil", data={"version": "3", "reason": "x", "confirm": "y"})
    assert again.status_code == 409
    assert 'data-group="conflict"' in _html(client.get("/tilskud/bedoemmelser"))
    with app.app_context():
        assert db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "grant_review.conflict",
                AuditEntry.object_id == str(ids["application"]),
            )
        )


# --- the officer's score table ---------------------------------------------------------------


def test_the_score_table(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app)
    other = _other_reviewer(app, ids["round"], "Bodil Berg")
    conflicted = _other_reviewer(app, ids["round"], "Carl Cold")
    with app.app_context():
        application = db.session.get(GrantApplication, ids["application"])
        people = {p: db.session.get(type(user("reviewer")), p) for p in (other, conflicted)}
        mine = db.session.get(ReviewAssignment, ids["assignment"])
        criteria = application.round.criteria

        def save(
            assignment: ReviewAssignment, reviewer: Any, *scores: int, comment: str = ""
        ) -> None:
            grant_reviews.save_scores(
                assignment,
                reviewer,
                {c.id: (s, comment) for c, s in zip(criteria, scores, strict=True)},
                complete=True,
            )

        save(mine, user("reviewer"), 4, 7, 2, comment="Solidt.")  # 71.0
        theirs = grant_reviews.assign(application, people[other], user("grant_officer"))
        save(theirs, people[other], 2, 3, 1)  # 34.0
        carl = grant_reviews.assign(application, people[conflicted], user("grant_officer"))
        save(carl, people[conflicted], 5, 10, 4)
        grant_reviews.declare_conflict(carl, people[conflicted], "Jeg har rådgivet organisationen.")
        db.session.commit()
    for role in ("grant_officer", "admin", "dpo"):
        login_as(role)
        response = client.get(f"/tilskud/ansoegninger/{ids['application']}/point")
        assert response.status_code == 200
        html = _html(response)
        assert "Rasmus Riis" in html and "Bodil Berg" in html
        assert "71,0 %" in html and "34,0 %" in html
        assert "52,5 %" in html  # the mean
        assert "37,0 procentpoint" in html  # the spread
        assert "data-large-spread" in html
        assert "Solidt." in html
        assert "Vægt 50 · skala 1-5" in html
        # Carl is listed with his reason, and his scores are not in the table.
        assert "Carl Cold" in html and "Jeg har rådgivet organisationen." in html
        table = html.split("data-scores")[1].split("</table>")[0]
        assert "Carl Cold" not in table
        assert ("Fordel ansøgninger til bedømmere" in html) == (role == "grant_officer")


def test_the_score_table_before_any_score(app: Flask, client: FlaskClient, login_as: Any) -> None:
    ids = _setup(app)
    login_as("grant_officer")
    html = _html(client.get(f"/tilskud/ansoegninger/{ids['application']}/point"))
    assert "Ingen bedømmer har givet point endnu." in html
    assert "Rasmus Riis" in html  # waiting
    assert "data-large-spread" not in html


def test_the_score_table_of_a_draft_is_404(app: Flask, client: FlaskClient, login_as: Any) -> None:
    with app.app_context():
        from tests.grant_data import draft

        application = draft(open_round())
        db.session.commit()
        application_id = application.id
    for role in ("grant_officer", "admin", "dpo"):
        login_as(role)
        assert client.get(f"/tilskud/ansoegninger/{application_id}/point").status_code == 404


# --- the round's reviewers while it runs ------------------------------------------------------


def _round_version(app: Flask, round_id: uuid.UUID) -> int:
    with app.app_context():
        found = db.session.get(GrantRound, round_id)
        assert found is not None
        return found.version


def _round_reviewer_ids(app: Flask, round_id: uuid.UUID) -> set[uuid.UUID]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(RoundReviewer.user_id).where(RoundReviewer.round_id == round_id)
            )
        )


def test_an_officer_adds_reviewers_to_a_running_round(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    ids = _setup(app, assign=False, reviewers=False)
    reviewer = user_by(app, "reviewer")
    login_as("grant_officer")
    url = f"/tilskud/runder/{ids['round']}/bedoemmere/runde"
    response = client.post(
        url,
        data={"reviewers": [str(reviewer)], "version": _round_version(app, ids["round"])},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Rundens bedømmere er gemt." in _html(response)
    assert _round_reviewer_ids(app, ids["round"]) == {reviewer}
    # The assignment table now offers the reviewer.
    assert 'data-cell="editable"' in _html(client.get(f"/tilskud/runder/{ids['round']}/bedoemmere"))

    stale = client.post(url, data={"reviewers": [], "version": 1})
    assert stale.status_code == 400
    assert "ændret af en anden" in _html(stale)
    assert _round_reviewer_ids(app, ids["round"]) == {reviewer}


def test_a_reviewer_with_applications_stays_on_the_round(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    ids = _setup(app)  # the demo reviewer has A's application
    login_as("grant_officer")
    response = client.post(
        f"/tilskud/runder/{ids['round']}/bedoemmere/runde",
        data={"reviewers": [], "version": _round_version(app, ids["round"])},
    )
    assert response.status_code == 400
    assert "kan ikke fjernes" in _html(response)
    assert _round_reviewer_ids(app, ids["round"]) == {user_by(app, "reviewer")}


def test_only_grant_officers_change_the_rounds_reviewers(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    ids = _setup(app, assign=False, reviewers=False)
    for role in ("admin", "dpo", "reviewer"):
        login_as(role)
        response = client.post(
            f"/tilskud/runder/{ids['round']}/bedoemmere/runde",
            data={"reviewers": [str(user_by(app, "reviewer"))], "version": 1},
        )
        assert response.status_code == 403
    assert _round_reviewer_ids(app, ids["round"]) == set()
