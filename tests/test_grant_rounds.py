"""A grant round by the clock: its phase and whether it takes applications one second before,
at and after its opening and its deadline (the server decides, to the second), also when the
deadline falls on the days Europe/Copenhagen changes to and from summer time (28 March and
31 October 2027); Copenhagen wall-clock times as UTC instants; what must be in place before a
round is published; publishing, and two people changing the round at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from portal import db
from portal.models import AuditEntry, GrantRound, RoundState, RubricCriterion
from portal.services import grant_rounds
from portal.services.grant_rounds import Phase, RoundError, copenhagen_instant
from tests.activity_data import user
from tests.grant_data import DEADLINE, DURING, OPENS, SECOND, make_round, open_round

SPRING = date(2027, 3, 28)  # a Sunday: 02:00 becomes 03:00 (UTC+1 to UTC+2 at 01:00 UTC)
AUTUMN = date(2027, 10, 31)  # a Sunday: 03:00 becomes 02:00 (UTC+2 to UTC+1 at 01:00 UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def transient_round(**changes: Any) -> GrantRound:
    """A complete round that is never stored (so the database's checks do not stop the
    incomplete ones the tests need)."""
    values: dict[str, Any] = {
        "name_da": "Civilsamfundspuljen 2027, 1. runde",
        "description_da": "Tilskud til frivilligt arbejde med indsatte.",
        "criteria_da": "Projektet skal styrke indsattes netværk.",
        "pool_ore": 550_000_000,
        "max_per_application_ore": 40_000_000,
        "opens_at": OPENS,
        "deadline_at": DEADLINE,
        "reporting_deadline": date(2028, 3, 31),
        "state": RoundState.DRAFT,
        "criteria": [RubricCriterion(position=1, name_da="Relevans", weight=50, scale_max=5)],
    }
    values.update(changes)
    return GrantRound(**values)


# --- the phase by the clock ------------------------------------------------------------------


def edges(instant: datetime) -> tuple[datetime, datetime, datetime]:
    return instant - SECOND, instant, instant + SECOND


def published(opens_at: datetime = OPENS, deadline_at: datetime = DEADLINE) -> GrantRound:
    return transient_round(state=RoundState.PUBLISHED, opens_at=opens_at, deadline_at=deadline_at)


def test_one_second_around_the_opening() -> None:
    grant_round = published()
    before, at, after = edges(OPENS)
    assert grant_rounds.phase(grant_round, before) == Phase.ANNOUNCED
    assert not grant_rounds.accepting(grant_round, before)
    assert grant_rounds.phase(grant_round, at) == Phase.OPEN
    assert grant_rounds.accepting(grant_round, at)
    assert grant_rounds.phase(grant_round, after) == Phase.OPEN


def test_one_second_around_the_deadline() -> None:
    """1 March 2027 kl. 12.00 Copenhagen (winter time) is 11:00:00 UTC: on time through
    12:00:00, late from 12:00:01."""
    grant_round = published()
    assert copenhagen_instant(date(2027, 3, 1), time(12, 0)) == DEADLINE
    before, at, after = edges(DEADLINE)
    assert grant_rounds.accepting(grant_round, before)
    assert grant_rounds.accepting(grant_round, at)
    assert grant_rounds.phase(grant_round, at) == Phase.OPEN
    assert not grant_rounds.accepting(grant_round, after)
    assert grant_rounds.phase(grant_round, after) == Phase.CLOSED


def test_to_the_second_the_fraction_does_not_count() -> None:
    """12:00:00.999 is still 12:00:00; a second later it is late."""
    grant_round = published()
    assert grant_rounds.accepting(grant_round, DEADLINE + timedelta(microseconds=999_999))
    assert not grant_rounds.accepting(grant_round, DEADLINE + timedelta(seconds=1))
    assert not grant_rounds.accepting(grant_round, OPENS - timedelta(microseconds=1))


@pytest.mark.parametrize(
    ("day", "at", "deadline_utc"),
    [
        # Spring: noon is summer time already (UTC+2), an hour earlier in UTC than the day before.
        (SPRING, time(12, 0), utc(2027, 3, 28, 10, 0)),
        (SPRING - timedelta(days=1), time(12, 0), utc(2027, 3, 27, 11, 0)),
        # Right after the skipped hour, and right before it.
        (SPRING, time(3, 0), utc(2027, 3, 28, 1, 0)),
        (SPRING, time(1, 59, 59), utc(2027, 3, 28, 0, 59, 59)),
        # Autumn: noon is winter time again (UTC+1).
        (AUTUMN, time(12, 0), utc(2027, 10, 31, 11, 0)),
        (AUTUMN - timedelta(days=1), time(12, 0), utc(2027, 10, 30, 10, 0)),
        # The repeated hour: 02:30 is its first occurrence (summer time), 03:00 winter time.
        (AUTUMN, time(2, 30), utc(2027, 10, 31, 0, 30)),
        (AUTUMN, time(3, 0), utc(2027, 10, 31, 2, 0)),
    ],
)
def test_deadlines_on_the_days_of_the_clock_changes(
    day: date, at: time, deadline_utc: datetime
) -> None:
    deadline = copenhagen_instant(day, at)
    assert deadline == deadline_utc
    assert grant_rounds.local(deadline).replace(tzinfo=None) == datetime.combine(day, at)
    grant_round = published(opens_at=deadline - timedelta(days=30), deadline_at=deadline)
    before, on_time, late = edges(deadline)
    assert grant_rounds.phase(grant_round, before) == Phase.OPEN
    assert grant_rounds.phase(grant_round, on_time) == Phase.OPEN
    assert grant_rounds.phase(grant_round, late) == Phase.CLOSED


def test_a_spring_deadline_is_not_an_hour_late() -> None:
    """Kl. 12.00 on 28 March 2027 is 10:00 UTC; 11:00 UTC (noon by the winter clock) is late."""
    grant_round = published(
        opens_at=utc(2027, 3, 1, 8), deadline_at=copenhagen_instant(SPRING, time(12, 0))
    )
    assert not grant_rounds.accepting(grant_round, utc(2027, 3, 28, 10, 0, 1))
    assert not grant_rounds.accepting(grant_round, utc(2027, 3, 28, 11, 0))


def test_an_autumn_deadline_in_the_repeated_hour_ends_at_its_first_occurrence() -> None:
    """Kl. 02.30 on 31 October 2027 happens twice; the deadline is the first (00:30 UTC), so
    the second 02:30 (01:30 UTC) is an hour late."""
    grant_round = published(
        opens_at=utc(2027, 10, 1, 8), deadline_at=copenhagen_instant(AUTUMN, time(2, 30))
    )
    assert grant_rounds.accepting(grant_round, utc(2027, 10, 31, 0, 30))
    assert not grant_rounds.accepting(grant_round, utc(2027, 10, 31, 0, 30, 1))
    second_half_past_two = datetime(2027, 10, 31, 2, 30, fold=1, tzinfo=grant_rounds.COPENHAGEN)
    assert not grant_rounds.accepting(grant_round, second_half_past_two.astimezone(UTC))


def test_openings_on_the_days_of_the_clock_changes() -> None:
    for day, opening_utc in ((SPRING, utc(2027, 3, 28, 7)), (AUTUMN, utc(2027, 10, 31, 8))):
        opens_at = copenhagen_instant(day, time(9, 0))
        assert opens_at == opening_utc
        grant_round = published(opens_at=opens_at, deadline_at=opens_at + timedelta(days=20))
        before, at, after = edges(opens_at)
        assert grant_rounds.phase(grant_round, before) == Phase.ANNOUNCED
        assert grant_rounds.phase(grant_round, at) == Phase.OPEN
        assert grant_rounds.phase(grant_round, after) == Phase.OPEN


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (RoundState.DRAFT, Phase.DRAFT),
        (RoundState.IN_ASSESSMENT, Phase.IN_ASSESSMENT),
        (RoundState.DECIDED, Phase.DECIDED),
        (RoundState.FINISHED, Phase.FINISHED),
    ],
)
def test_stored_states_do_not_follow_the_clock(state: RoundState, expected: Phase) -> None:
    """Only a published round opens and closes by the clock; the others never take
    applications, even between the opening and the deadline."""
    grant_round = transient_round(state=state)
    for now in (OPENS - SECOND, DURING, DEADLINE, DEADLINE + SECOND):
        assert grant_rounds.phase(grant_round, now) == expected
        assert not grant_rounds.accepting(grant_round, now)


def test_phase_without_a_time_is_now() -> None:
    now = datetime.now(UTC)
    grant_round = published(opens_at=now - timedelta(hours=1), deadline_at=now + timedelta(hours=1))
    assert grant_rounds.phase(grant_round) == Phase.OPEN
    past = published(opens_at=now - timedelta(hours=2), deadline_at=now - timedelta(hours=1))
    assert grant_rounds.phase(past) == Phase.CLOSED


# --- Copenhagen wall-clock times -------------------------------------------------------------


@pytest.mark.parametrize("at", [time(2, 0), time(2, 30), time(2, 59, 59)])
def test_the_skipped_spring_hour_is_refused(app: Flask, at: time) -> None:
    with pytest.raises(RoundError) as caught:
        copenhagen_instant(SPRING, at)
    with app.test_request_context():
        message = str(caught.value.message)
    assert at.strftime("%H:%M") in message
    assert "sommertid" in message
    assert caught.value.field is None


def test_the_same_time_a_day_apart_is_fine_in_spring() -> None:
    assert copenhagen_instant(SPRING - timedelta(days=1), time(2, 30)) == utc(2027, 3, 27, 1, 30)
    assert copenhagen_instant(SPRING + timedelta(days=1), time(2, 30)) == utc(2027, 3, 29, 0, 30)


def test_the_repeated_autumn_hour_is_its_first_occurrence() -> None:
    first = copenhagen_instant(AUTUMN, time(2, 30))
    assert first == utc(2027, 10, 31, 0, 30)
    # Asking for the second occurrence (fold=1) still gives the first.
    assert copenhagen_instant(AUTUMN, time(2, 30, fold=1)) == first
    assert copenhagen_instant(AUTUMN, time(2, 0)) == utc(2027, 10, 31, 0, 0)
    assert copenhagen_instant(AUTUMN, time(2, 59, 59)) == utc(2027, 10, 31, 0, 59, 59)


def test_copenhagen_instants_are_utc() -> None:
    winter = copenhagen_instant(date(2027, 3, 1), time(12, 0))
    summer = copenhagen_instant(date(2027, 6, 1), time(12, 0))
    assert winter == utc(2027, 3, 1, 11) and winter.tzinfo == UTC
    assert summer == utc(2027, 6, 1, 10) and summer.tzinfo == UTC
    assert copenhagen_instant(date(2027, 1, 1), time(0, 30)) == utc(2026, 12, 31, 23, 30)


def test_local_is_copenhagen_time() -> None:
    shown = grant_rounds.local(utc(2027, 3, 1, 11))
    assert (shown.hour, shown.minute) == (12, 0)
    assert shown.utcoffset() == timedelta(hours=1)
    assert grant_rounds.local(utc(2027, 6, 1, 10)).hour == 12


# --- publishing problems ---------------------------------------------------------------------


def problem_texts(app: Flask, grant_round: GrantRound) -> list[str]:
    """The problems before the opening (when an officer publishes a round)."""
    with app.test_request_context():
        return [str(p) for p in grant_rounds.publishing_problems(grant_round, OPENS - SECOND)]


def test_a_complete_round_has_no_publishing_problems(app: Flask) -> None:
    assert problem_texts(app, transient_round()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name_da": "  "}, "Giv runden et navn."),
        ({"description_da": ""}, "Beskriv runden."),
        ({"criteria_da": "\n"}, "Skriv kriterierne for at få tilskud."),
        ({"criteria": []}, "Læg mindst ét kriterium ind i bedømmelsesskemaet."),
        (
            {"max_per_application_ore": 550_000_001},
            "Det højeste beløb pr. ansøgning kan ikke være større end puljen.",
        ),
        ({"deadline_at": OPENS}, "Ansøgningsfristen skal ligge efter åbningen."),
        ({"deadline_at": OPENS - SECOND}, "Ansøgningsfristen skal ligge efter åbningen."),
        (
            {"reporting_deadline": date(2027, 3, 1)},
            "Fristen for afrapportering skal ligge efter ansøgningsfristen.",
        ),
    ],
)
def test_each_publishing_problem_alone(app: Flask, changes: dict[str, Any], expected: str) -> None:
    assert problem_texts(app, transient_round(**changes)) == [expected]


def test_the_reporting_deadline_is_compared_with_the_copenhagen_date(app: Flask) -> None:
    """A deadline at 00:30 on 2 March Copenhagen time is 23:30 UTC on 1 March: a reporting
    deadline of 2 March is not after it."""
    deadline = copenhagen_instant(date(2027, 3, 2), time(0, 30))
    assert deadline.date() == date(2027, 3, 1)
    round_ = transient_round(deadline_at=deadline, reporting_deadline=date(2027, 3, 2))
    assert problem_texts(app, round_) == [
        "Fristen for afrapportering skal ligge efter ansøgningsfristen."
    ]
    assert problem_texts(app, transient_round(deadline_at=deadline)) == []


def test_a_deadline_already_passed_is_a_publishing_problem(app: Flask) -> None:
    grant_round = transient_round()
    with app.test_request_context():
        assert grant_rounds.publishing_problems(grant_round, DEADLINE) == []
        late = grant_rounds.publishing_problems(grant_round, DEADLINE + SECOND)
        assert [str(p) for p in late] == [
            "Ansøgningsfristen er passeret. Vælg en frist i fremtiden."
        ]


def test_every_problem_at_once(app: Flask) -> None:
    grant_round = transient_round(
        name_da="", description_da="", criteria_da="", criteria=[], deadline_at=OPENS
    )
    assert len(problem_texts(app, grant_round)) == 5


# --- publishing ------------------------------------------------------------------------------


def test_publish_a_draft(app_ctx: Flask) -> None:
    grant_round = make_round()
    officer = user("grant_officer")
    version = grant_round.version
    grant_rounds.publish(grant_round, officer, expected_version=version, now=DURING)
    db.session.flush()
    assert grant_round.state == RoundState.PUBLISHED
    assert grant_round.published_at == DURING
    assert grant_round.version == version + 1
    assert grant_rounds.phase(grant_round, DURING) == Phase.OPEN
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "grant_round.publish", AuditEntry.object_id == str(grant_round.id)
        )
    )
    assert entry is not None
    assert entry.actor_id == str(officer.id)
    assert entry.details["pool_ore"] == grant_round.pool_ore


def test_publish_refuses_a_round_with_problems(app_ctx: Flask) -> None:
    grant_round = make_round(description_da="")
    with pytest.raises(RoundError) as caught:
        grant_rounds.publish(grant_round, user("grant_officer"), now=DURING)
    assert str(caught.value.message) == "Beskriv runden."
    assert grant_round.state == RoundState.DRAFT
    assert grant_round.published_at is None


def test_publish_refuses_a_deadline_in_the_past(app_ctx: Flask) -> None:
    grant_round = make_round()
    with pytest.raises(RoundError):
        grant_rounds.publish(grant_round, user("grant_officer"), now=DEADLINE + SECOND)
    assert grant_round.state == RoundState.DRAFT


@pytest.mark.parametrize(
    "state", [RoundState.PUBLISHED, RoundState.IN_ASSESSMENT, RoundState.FINISHED]
)
def test_publish_only_a_draft(app_ctx: Flask, state: RoundState) -> None:
    grant_round = make_round(state=state)
    with pytest.raises(RoundError) as caught:
        grant_rounds.publish(grant_round, user("grant_officer"), now=DURING)
    assert "allerede" in str(caught.value.message)
    assert grant_round.state == state


def test_publish_with_a_stale_version_is_a_conflict(app_ctx: Flask) -> None:
    """The officer's form was loaded before someone else saved the round."""
    grant_round = make_round()
    seen = grant_round.version
    grant_round.description_da = "Ændret af en kollega"
    db.session.flush()
    with pytest.raises(RoundError) as caught:
        grant_rounds.publish(grant_round, user("grant_officer"), expected_version=seen, now=DURING)
    assert "ændret af en anden" in str(caught.value.message)
    assert grant_round.state == RoundState.DRAFT


def test_publish_when_the_row_changed_underneath_is_a_conflict(app_ctx: Flask) -> None:
    """Another transaction raised the version after this one read the round: the versioned
    UPDATE finds no row, and the round is not published."""
    grant_round = make_round()
    db.session.commit()  # the round exists (the test's transaction is still rolled back)
    round_id, seen = grant_round.id, grant_round.version
    db.session.execute(
        update(GrantRound)
        .where(GrantRound.id == round_id)
        .values(version=seen + 1, description_da="Ændret samtidig")
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(RoundError) as caught:
        grant_rounds.publish(grant_round, user("grant_officer"), expected_version=seen, now=DURING)
    assert "ændret af en anden" in str(caught.value.message)
    stored = db.session.get(GrantRound, round_id)
    assert stored is not None and stored.state == RoundState.DRAFT
    publishes = db.session.scalars(
        select(AuditEntry.id).where(
            AuditEntry.action == "grant_round.publish", AuditEntry.object_id == str(round_id)
        )
    )
    assert list(publishes) == []


# --- the rounds NGO staff see ----------------------------------------------------------------


def test_open_rounds_are_the_announced_and_open_ones_by_deadline(app_ctx: Flask) -> None:
    later = open_round(deadline_at=DEADLINE + timedelta(days=10))
    sooner = open_round()
    announced = open_round(
        opens_at=DURING + timedelta(days=1), deadline_at=DEADLINE + timedelta(days=5)
    )
    closed = open_round(opens_at=OPENS - timedelta(days=30), deadline_at=DURING - SECOND)
    draft = make_round()
    mine = {r.id for r in (later, sooner, announced, closed, draft)}
    shown = [r.id for r in grant_rounds.open_rounds(DURING) if r.id in mine]
    assert shown == [sooner.id, announced.id, later.id]
    # At the deadline to the second it is still listed, a second later not.
    at_deadline = [r.id for r in grant_rounds.open_rounds(DEADLINE) if r.id in mine]
    assert sooner.id in at_deadline
    after = [r.id for r in grant_rounds.open_rounds(DEADLINE + SECOND) if r.id in mine]
    assert sooner.id not in after and later.id in after
