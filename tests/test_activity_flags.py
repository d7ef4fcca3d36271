"""Participants of approved activities who may no longer take part: revoked access, withdrawn
consent, access that runs out (the daily job) and a new declaration version each block the
person (history, audit, e-mail to both sides); new access or a new signature lifts it; the
daily job never tells anything twice and leaves activities that are over alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask

from portal import db
from portal.models import (
    AccessEndReason,
    AccessGrant,
    Activity,
    ActivityParticipant,
    ActivityState,
    DeclarationKind,
    IdentityMethod,
    Volunteer,
)
from portal.services import (
    activity_flags,
    activity_workflow,
    clearance,
    declaration_texts,
    reminders,
    signing,
)
from portal.services.activity_flags import BlockReason
from tests.activity_data import (
    VESTRE,
    activity_mails,
    approve,
    audited,
    events,
    give_access,
    in_days,
    institution,
    proposal,
    recipients_of,
    send,
    unique_title,
    user,
    volunteer,
)


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context outside any request: mail is delivered at once (to ``outbox``)."""
    with app.app_context():
        yield


def noon(day: date) -> datetime:
    """A moment on ``day`` in Copenhagen (noon UTC is the same date there)."""
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def approved_at_vestre(title: str) -> Activity:
    """Mette Hansen every week for four weeks from four weeks ahead, approved."""
    return approve(send(proposal(VESTRE, title=title)))


def mette() -> Volunteer:
    return volunteer("Mette Hansen")


def mettes(activity: Activity) -> ActivityParticipant:
    return next(p for p in activity.participants if p.volunteer_id == mette().id)


def vestre_grant() -> AccessGrant:
    return next(
        g
        for g in mette().access_grants
        if g.institution_id == institution(VESTRE).id and g.ended_at is None
    )


def flag_events(activity: Activity) -> list[tuple[str, str]]:
    return [
        (e.action, e.text)
        for e in activity_workflow.history(activity)
        if e.action.startswith("participant_")
    ]


def test_revoked_access_blocks_the_participant_and_tells_both_sides(
    ctx: None, outbox: list[Any]
) -> None:
    title = unique_title()
    activity = approved_at_vestre(title)
    outbox.clear()
    clearance.revoke_access(vestre_grant(), user("caseworker_ost"), "Sikkerhedsmæssig vurdering")
    participant = mettes(activity)
    assert participant.blocked_at is not None
    assert participant.blocked_reason == BlockReason.NO_ACCESS
    assert flag_events(activity) == [("participant_blocked", "Mette Hansen")]
    assert activity_workflow.history(activity)[-1].actor_id is None  # the system
    assert audited(activity, "activity.participant_blocked") == ["activity.participant_blocked"]
    # The organisation (its admin, the author) and the deciding side (Vestre Fængsel has no
    # contact in the portal: the area office's caseworker, who revoked it, is told as well).
    assert recipients_of(outbox, title) == [
        "caseworker.ost@example.org",
        "ngo-a.admin@example.org",
    ]
    mail = activity_mails(outbox, title)[0]
    assert mail.subject == f"En deltager må ikke længere deltage: {title}"
    assert "Mette Hansen" in mail.body
    # The activity itself stays approved (the person may not come; the others may).
    assert activity.state == ActivityState.APPROVED


def test_new_access_lifts_the_block(ctx: None, outbox: list[Any]) -> None:
    title = unique_title()
    activity = approved_at_vestre(title)
    clearance.revoke_access(vestre_grant(), user("caseworker_ost"), "Fejl")
    assert mettes(activity).blocked_at is not None
    outbox.clear()
    give_access(mette(), VESTRE)
    participant = mettes(activity)
    assert participant.blocked_at is None
    assert participant.blocked_reason == ""
    assert flag_events(activity) == [
        ("participant_blocked", "Mette Hansen"),
        ("participant_unblocked", "Mette Hansen"),
    ]
    assert audited(activity, "activity.participant_unblocked") == ["activity.participant_unblocked"]
    assert activity_mails(outbox, title) == []


def test_access_too_short_for_the_last_dates_does_not_lift_it(ctx: None) -> None:
    activity = approved_at_vestre(unique_title())
    clearance.revoke_access(vestre_grant(), user("caseworker_ost"), "Fejl")
    give_access(mette(), VESTRE, valid_until=in_days(40))  # the dates run to day 49
    assert mettes(activity).blocked_reason == BlockReason.NO_ACCESS
    assert [a for a, _t in flag_events(activity)] == ["participant_blocked"]


def test_withdrawn_consent_blocks_the_participant(ctx: None, outbox: list[Any]) -> None:
    title = unique_title()
    activity = approved_at_vestre(title)
    outbox.clear()
    clearance.withdraw_consent(mette(), user("volunteer"))
    participant = mettes(activity)
    assert participant.blocked_at is not None
    assert participant.blocked_reason == BlockReason.NOT_CLEARED
    assert flag_events(activity) == [("participant_blocked", "Mette Hansen")]
    assert recipients_of(outbox, title) == [
        "caseworker.ost@example.org",
        "ngo-a.admin@example.org",
    ]


def test_a_blocked_participant_keeps_the_reason_that_holds_now(
    ctx: None, outbox: list[Any]
) -> None:
    title = unique_title()
    activity = approved_at_vestre(title)
    clearance.revoke_access(vestre_grant(), user("caseworker_ost"), "Fejl")
    assert mettes(activity).blocked_reason == BlockReason.NO_ACCESS
    outbox.clear()
    clearance.withdraw_consent(mette(), user("volunteer"))
    assert mettes(activity).blocked_reason == BlockReason.NOT_CLEARED
    # Still the one flag: nobody is told again.
    assert [a for a, _t in flag_events(activity)] == ["participant_blocked"]
    assert activity_mails(outbox, title) == []


def test_the_daily_job_blocks_when_access_runs_out_before_the_last_dates(
    ctx: None, outbox: list[Any]
) -> None:
    title = unique_title()
    activity = approved_at_vestre(title)
    # The grant ends during the series (e.g. an old grant): the dates are days 28 to 49.
    grant = vestre_grant()
    grant.valid_until = in_days(40)
    db.session.flush()
    outbox.clear()
    counts = reminders.run(now=noon(in_days(41)))
    assert grant.ended_at is not None and grant.end_reason == AccessEndReason.EXPIRED
    assert counts["participants_blocked"] >= 1
    assert mettes(activity).blocked_reason == BlockReason.NO_ACCESS
    assert recipients_of(outbox, title) == [
        "caseworker.ost@example.org",
        "ngo-a.admin@example.org",
    ]


def test_the_daily_job_flags_access_that_will_run_out_as_soon_as_it_is_known(
    ctx: None,
) -> None:
    activity = approved_at_vestre(unique_title())
    vestre_grant().valid_until = in_days(40)
    db.session.flush()
    counts = reminders.run(now=noon(in_days(0)))
    assert counts["participants_blocked"] >= 1
    assert mettes(activity).blocked_reason == BlockReason.NO_ACCESS


def test_running_the_daily_job_twice_tells_nothing_twice(ctx: None, outbox: list[Any]) -> None:
    title = unique_title()
    activity = approved_at_vestre(title)
    vestre_grant().valid_until = in_days(40)
    db.session.flush()
    outbox.clear()
    first = reminders.run(now=noon(in_days(1)))
    assert first["participants_blocked"] >= 1
    told = len(activity_mails(outbox, title))
    assert told == 2
    history = events(activity)
    second = reminders.run(now=noon(in_days(1)))
    assert second["participants_blocked"] == 0
    assert second["participants_unblocked"] == 0
    assert len(activity_mails(outbox, title)) == told
    assert events(activity) == history
    # Nor the next day.
    reminders.run(now=noon(in_days(2)))
    assert len(activity_mails(outbox, title)) == told
    assert events(activity) == history


def test_activities_that_are_over_are_not_touched(ctx: None, outbox: list[Any]) -> None:
    title = unique_title()
    activity = approved_at_vestre(title)
    # As it stands when its four dates have passed.
    activity.first_date, activity.until_date = in_days(-28), in_days(-7)
    db.session.flush()
    history = events(activity)
    outbox.clear()
    clearance.revoke_access(vestre_grant(), user("caseworker_ost"), "Efter aktiviteten")
    assert reminders.run(now=noon(in_days(0)))["participants_blocked"] == 0
    assert mettes(activity).blocked_at is None
    assert events(activity) == history
    assert activity_mails(outbox, title) == []
    assert activity_flags.recheck(activity) == {"blocked": 0, "unblocked": 0}


def test_only_the_dates_left_count(ctx: None) -> None:
    """A series begun three weeks ago, whose access ended after the first dates: the dates
    that took place do not block anyone."""
    activity = approved_at_vestre(unique_title())
    activity.first_date, activity.until_date = in_days(-21), in_days(21)
    db.session.flush()
    grant = vestre_grant()
    grant.valid_from = in_days(-7)  # no access on the first two dates, which are over
    db.session.flush()
    assert activity_flags.recheck(activity) == {"blocked": 0, "unblocked": 0}
    assert mettes(activity).blocked_at is None


def test_activities_that_are_not_approved_are_not_flagged(ctx: None) -> None:
    activity = send(proposal(VESTRE, title=unique_title()))
    clearance.revoke_access(vestre_grant(), user("caseworker_ost"), "Før afgørelsen")
    assert mettes(activity).blocked_at is None
    assert activity_flags.recheck(activity) == {"blocked": 0, "unblocked": 0}
    # Its decision checks the rules instead (test_activity_workflow).


def _publish_confidentiality() -> None:
    current = declaration_texts.current_version(DeclarationKind.CONFIDENTIALITY)
    assert current is not None
    declaration_texts.publish_version(
        DeclarationKind.CONFIDENTIALITY,
        title_da=current.title_da,
        title_en=current.title_en,
        text_da=current.text_da + "\n\nTavshedspligten gælder også efter aktiviteten.",
        text_en=current.text_en + "\n\nThe duty of confidentiality also applies afterwards.",
        change_note="Tavshedspligten efter aktiviteten er tilføjet.",
        actor=user("admin"),
    )
    db.session.flush()


def test_a_new_declaration_version_blocks_at_the_daily_job(ctx: None, outbox: list[Any]) -> None:
    title = unique_title()
    activity = approved_at_vestre(title)
    _publish_confidentiality()
    assert mettes(activity).blocked_at is None  # until the job runs
    outbox.clear()
    counts = reminders.run(now=noon(in_days(0)))
    assert counts["participants_blocked"] >= 1
    assert mettes(activity).blocked_reason == BlockReason.DECLARATIONS
    assert recipients_of(outbox, title) == [
        "caseworker.ost@example.org",
        "ngo-a.admin@example.org",
    ]
    # Mette signs the new version: she may take part again at once (not at the next run).
    person = mette()
    now = datetime.now(UTC)
    pending = signing.pending_declarations(person, "da")
    assert [item.version.kind for item in pending] == [DeclarationKind.CONFIDENTIALITY]
    signing.sign_declarations(
        person,
        user("volunteer"),
        signing.Proof(person.id, IdentityMethod.LINK_BIRTH_DATE, now),
        language="da",
        act="Jeg underskriver",
        shown=signing.shown_digest(pending),
        ip_address="127.0.0.1",
        user_agent="test",
        now=now,
    )
    db.session.flush()
    assert mettes(activity).blocked_at is None
    assert reminders.run(now=noon(in_days(0)))["participants_unblocked"] == 0


def test_a_flag_agrees_with_the_rules(ctx: None) -> None:
    """What blocks a participant is what the rule check would say on the same dates."""
    from portal.services import activities

    activity = approved_at_vestre(unique_title())
    assert activities.problems_now(activity) == []
    _publish_confidentiality()
    activity_flags.recheck(activity)
    assert mettes(activity).blocked_reason == BlockReason.DECLARATIONS
    assert {p.rule for p in activities.problems_now(activity)} == {"declarations_current"}
    assert timedelta(0) <= datetime.now(UTC) - mettes(activity).blocked_at  # type: ignore[operator]
