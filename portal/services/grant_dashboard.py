"""What the grant pool asks of each user now, for the dashboard: the grant officers' queue
(rounds to start, applications to screen and decide, reports and change requests waiting),
the reviewer's assignments, and the organisation's answers and reports due.

Each task is a count, a sentence and a link (``dashboards.Task``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from portal import db
from portal.db import utcnow
from portal.models import (
    GRANTING,
    ApplicationState,
    GrantApplication,
    GrantChangeRequest,
    GrantReport,
    GrantRound,
    ReportKind,
    ReportState,
    RequestState,
    ReviewAssignment,
    Role,
    RoundState,
    User,
)
from portal.services.recurrence import COPENHAGEN

# An accepted grant's report shows on the organisation's dashboard this long before it is due.
REPORT_SOON = timedelta(days=30)


def _count(*conditions: Any) -> int:
    return int(
        db.session.scalar(select(func.count()).select_from(GrantApplication).where(*conditions))
        or 0
    )


def officer_tasks(now: datetime | None = None) -> list[Any]:
    from portal.services.dashboards import Task

    now = (now or utcnow()).replace(microsecond=0)
    tasks: list[Task] = []
    closed = db.session.scalars(
        select(GrantRound)
        .where(GrantRound.state == RoundState.PUBLISHED, GrantRound.deadline_at < now)
        .order_by(GrantRound.deadline_at)
    )
    for grant_round in closed:
        sent = _count(
            GrantApplication.round_id == grant_round.id,
            GrantApplication.state == ApplicationState.SUBMITTED,
        )
        tasks.append(
            Task(
                "grant_round_closed",
                sent,
                ngettext(
                    "%(round)s: fristen er udløbet, %(num)d ansøgning venter på, at bedømmelsen begynder",
                    "%(round)s: fristen er udløbet, %(num)d ansøgninger venter på, at bedømmelsen begynder",
                    sent,
                    round=grant_round.name_da,
                ),
                url_for("grant_assessment.round_applications", round_id=grant_round.id),
            )
        )
    assessed = db.session.scalars(
        select(GrantRound)
        .where(GrantRound.state == RoundState.IN_ASSESSMENT)
        .order_by(GrantRound.deadline_at)
    )
    for grant_round in assessed:
        for state, singular, plural in (
            (
                ApplicationState.SUBMITTED,
                "%(round)s: %(num)d ansøgning venter på screening",
                "%(round)s: %(num)d ansøgninger venter på screening",
            ),
            (
                ApplicationState.IN_REVIEW,
                "%(round)s: %(num)d ansøgning venter på bedømmelse og afgørelse",
                "%(round)s: %(num)d ansøgninger venter på bedømmelse og afgørelse",
            ),
        ):
            count = _count(
                GrantApplication.round_id == grant_round.id, GrantApplication.state == state
            )
            if count:
                tasks.append(
                    Task(
                        f"grant_{state.value}",
                        count,
                        ngettext(singular, plural, count, round=grant_round.name_da),
                        url_for(
                            "grant_assessment.round_applications",
                            round_id=grant_round.id,
                            state=state.value,
                        ),
                    )
                )
    reports = list(
        db.session.scalars(
            select(GrantReport)
            .where(GrantReport.state == ReportState.SUBMITTED)
            .order_by(GrantReport.submitted_at)
        )
    )
    if reports:
        tasks.append(
            Task(
                "grant_reports",
                len(reports),
                ngettext(
                    "%(num)d rapport om tilskud venter på godkendelse",
                    "%(num)d rapporter om tilskud venter på godkendelse",
                    len(reports),
                ),
                url_for("grant_followup.report", report_id=reports[0].id),
            )
        )
    changes = list(
        db.session.scalars(
            select(GrantChangeRequest)
            .where(GrantChangeRequest.state == RequestState.SUBMITTED)
            .order_by(GrantChangeRequest.requested_at)
        )
    )
    if changes:
        tasks.append(
            Task(
                "grant_changes",
                len(changes),
                ngettext(
                    "%(num)d ønske om ændring af et tilskud venter på afgørelse",
                    "%(num)d ønsker om ændring af tilskud venter på afgørelse",
                    len(changes),
                ),
                url_for("grant_followup.grant", application_id=changes[0].application_id),
            )
        )
    return tasks


def reviewer_tasks(user: User) -> list[Any]:
    from portal.services.dashboards import Task

    waiting = int(
        db.session.scalar(
            select(func.count())
            .select_from(ReviewAssignment)
            .join(GrantApplication, GrantApplication.id == ReviewAssignment.application_id)
            .where(
                ReviewAssignment.reviewer_id == user.id,
                ReviewAssignment.conflict_declared_at.is_(None),
                ReviewAssignment.completed_at.is_(None),
                GrantApplication.state == ApplicationState.IN_REVIEW,
            )
        )
        or 0
    )
    if not waiting:
        return []
    return [
        Task(
            "grant_reviews",
            waiting,
            ngettext(
                "%(num)d ansøgning venter på din bedømmelse",
                "%(num)d ansøgninger venter på din bedømmelse",
                waiting,
            ),
            url_for("grant_reviews.index"),
        )
    ]


def organisation_tasks(user: User, role: Role, today: date | None = None) -> list[Any]:
    """Grants waiting for the organisation's answer, and reports due soon or overdue."""
    from portal.services.dashboards import Task

    today = today or utcnow().astimezone(COPENHAGEN).date()
    mine = GrantApplication.organisation_id.in_(user.scopes(role))
    tasks: list[Task] = []
    answers = list(
        db.session.scalars(
            select(GrantApplication).where(
                mine,
                GrantApplication.state == ApplicationState.DECIDED,
                GrantApplication.decision.in_(tuple(GRANTING)),
            )
        )
    )
    for application in answers:
        tasks.append(
            Task(
                "grant_answer",
                1,
                _(
                    "I har fået tilskud til \u201d%(title)s\u201d. Tag imod det i portalen.",
                    title=application.title,
                )
                if role == Role.NGO_ADMIN
                else _(
                    "I har fået tilskud til \u201d%(title)s\u201d. En administrator skal tage imod det.",
                    title=application.title,
                ),
                url_for("grant_applications.application", application_id=application.id),
            )
        )
    final_approved = select(GrantReport.application_id).where(
        GrantReport.kind == ReportKind.FINAL, GrantReport.state == ReportState.APPROVED
    )
    due = db.session.scalars(
        select(GrantApplication)
        .where(
            mine,
            GrantApplication.state == ApplicationState.ACCEPTED,
            GrantApplication.report_due_on.is_not(None),
            GrantApplication.report_due_on <= today + REPORT_SOON,
            GrantApplication.id.not_in(final_approved),
        )
        .order_by(GrantApplication.report_due_on)
    )
    for application in due:
        assert application.report_due_on is not None
        overdue = application.report_due_on < today
        day = application.report_due_on.strftime("%d.%m.%Y")
        tasks.append(
            Task(
                "grant_report_due",
                1,
                _(
                    "Rapporten om \u201d%(title)s\u201d skulle være sendt %(day)s.",
                    title=application.title,
                    day=day,
                )
                if overdue
                else _(
                    "Rapporten om \u201d%(title)s\u201d skal sendes senest %(day)s.",
                    title=application.title,
                    day=day,
                ),
                url_for("grant_followup.grant", application_id=application.id),
            )
        )
    return tasks
