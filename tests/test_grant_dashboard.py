"""The grant pool's tasks on the dashboard: what waits for the grant officers (a closed round
to start, applications to screen and decide, reports and change requests), for a reviewer
(their assignments), and for the organisation (a grant to answer, a report due or overdue).
Each task counts only its own user's things."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from flask import Flask

from portal import db
from portal.models import (
    ApplicationState,
    ChangeKind,
    GrantChangeRequest,
    GrantDecision,
    GrantReport,
    ReportKind,
    ReportState,
    ReviewAssignment,
    Role,
    User,
)
from portal.services import grant_dashboard
from tests.activity_data import ORG_B, user
from tests.grant_data import AFTER_DEADLINE, in_review, open_round, submitted


def _keys(tasks: list) -> dict[str, int]:
    return {task.key: task.count for task in tasks}


def test_a_closed_round_waits_for_the_assessment_to_start(app_ctx: Flask) -> None:
    grant_round = open_round()
    submitted(grant_round)

    def mine(now: datetime) -> list:
        tasks = grant_dashboard.officer_tasks(now=now)
        return [t for t in tasks if grant_round.name_da in t.text]

    assert mine(AFTER_DEADLINE - timedelta(days=2)) == []
    closed = mine(AFTER_DEADLINE)
    assert _keys(closed) == {"grant_round_closed": 1}


def test_screening_and_review_queues_per_round(app_ctx: Flask) -> None:
    grant_round = open_round()
    submitted_b = submitted(grant_round, organisation_name=ORG_B, actor="ngo_b_admin")
    in_review(grant_round)  # A's, screened; B's still waits for screening
    assert submitted_b.state == ApplicationState.SUBMITTED
    tasks = [t for t in grant_dashboard.officer_tasks() if grant_round.name_da in t.text]
    assert _keys(tasks) == {"grant_submitted": 1, "grant_in_review": 1}
    assert all(t.url and str(grant_round.id) in t.url for t in tasks)


def test_reports_and_change_requests_wait_for_the_officer(app_ctx: Flask) -> None:
    application = in_review(open_round())
    db.session.add_all(
        [
            GrantReport(
                application_id=application.id,
                kind=ReportKind.INTERIM,
                state=ReportState.SUBMITTED,
            ),
            GrantChangeRequest(
                application_id=application.id, kind=ChangeKind.ACTIVITY, text="Nyt sted"
            ),
        ]
    )
    db.session.flush()
    keys = _keys(grant_dashboard.officer_tasks())
    assert keys["grant_reports"] >= 1
    assert keys["grant_changes"] >= 1


def _reviewer(email: str) -> User:
    person = User(email=email, name="Anden Bedømmer", language="da")
    person.role_assignments.append(_assignment(Role.REVIEWER))
    db.session.add(person)
    db.session.flush()
    return person


def _assignment(role: Role):  # type: ignore[no-untyped-def]
    from portal.models import RoleAssignment

    return RoleAssignment(role=role)


def test_a_reviewer_sees_only_their_own_assignments(app_ctx: Flask) -> None:
    application = in_review(open_round())
    reviewer = user("reviewer")
    other = _reviewer(f"other-{uuid.uuid4().hex[:6]}@example.org")
    db.session.add(ReviewAssignment(application_id=application.id, reviewer_id=reviewer.id))
    db.session.flush()
    assert _keys(grant_dashboard.reviewer_tasks(reviewer))["grant_reviews"] >= 1
    assert grant_dashboard.reviewer_tasks(other) == []


def test_the_organisation_answers_a_grant_and_sees_its_report_due(app_ctx: Flask) -> None:
    application = in_review(open_round(), title="Prøve på overblikket")
    application.state = ApplicationState.DECIDED
    application.decision = GrantDecision.GRANTED
    application.granted_ore = application.requested_ore
    db.session.flush()
    admin, member = user("ngo_a_admin"), user("ngo_a_member")
    answer = [t for t in grant_dashboard.organisation_tasks(admin, Role.NGO_ADMIN)]
    assert any(t.key == "grant_answer" and application.title in t.text for t in answer)
    member_tasks = grant_dashboard.organisation_tasks(member, Role.NGO_MEMBER)
    assert any("administrator" in t.text for t in member_tasks if t.key == "grant_answer")
    assert not any(
        application.title in t.text
        for t in grant_dashboard.organisation_tasks(user("ngo_b_admin"), Role.NGO_ADMIN)
    )

    application.state = ApplicationState.ACCEPTED
    application.report_due_on = date(2028, 6, 1)
    db.session.flush()
    far = grant_dashboard.organisation_tasks(admin, Role.NGO_ADMIN, today=date(2028, 3, 1))
    assert not any(application.title in t.text for t in far)
    soon = grant_dashboard.organisation_tasks(admin, Role.NGO_ADMIN, today=date(2028, 5, 20))
    assert any("senest 01.06.2028" in t.text for t in soon if t.key == "grant_report_due")
    late = grant_dashboard.organisation_tasks(admin, Role.NGO_ADMIN, today=date(2028, 6, 2))
    assert any("skulle være sendt" in t.text for t in late if t.key == "grant_report_due")

    db.session.add(
        GrantReport(
            application_id=application.id, kind=ReportKind.FINAL, state=ReportState.APPROVED
        )
    )
    db.session.flush()
    done = grant_dashboard.organisation_tasks(admin, Role.NGO_ADMIN, today=date(2028, 6, 2))
    assert not any(application.title in t.text for t in done)
