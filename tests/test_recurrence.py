"""An activity's dates and times: weekly and every-other-week series with exceptions, their
limits and errors, and Copenhagen wall-clock times across both daylight-saving changes of 2027
(28 March: 02:00 becomes 03:00; 31 October: 03:00 becomes 02:00)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import force_locale

from portal.services import recurrence
from portal.services.recurrence import (
    Recurrence,
    RecurrenceError,
    instants,
    occurrences,
    schedule,
)

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
SPRING = date(2027, 3, 28)  # a Sunday: clocks go forward at 02:00
AUTUMN = date(2027, 10, 31)  # a Sunday: clocks go back at 03:00


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def error_of(app: Flask, rec: Recurrence) -> str:
    with pytest.raises(RecurrenceError) as caught, app.test_request_context():
        occurrences(rec)
    with app.test_request_context():
        return str(caught.value)


# --- dates -----------------------------------------------------------------------------------


def test_once_is_its_one_date() -> None:
    assert occurrences(Recurrence("once", date(2027, 5, 4))) == [date(2027, 5, 4)]
    assert occurrences(Recurrence("once", date(2027, 5, 4), date(2027, 5, 4))) == [date(2027, 5, 4)]


def test_weekly_from_first_through_until_inclusive() -> None:
    rec = Recurrence("weekly", date(2027, 3, 1), date(2027, 3, 29))
    assert occurrences(rec) == [
        date(2027, 3, 1),
        date(2027, 3, 8),
        date(2027, 3, 15),
        date(2027, 3, 22),
        date(2027, 3, 29),
    ]


def test_until_between_two_dates_ends_at_the_date_before() -> None:
    rec = Recurrence("weekly", date(2027, 3, 1), date(2027, 3, 20))
    assert occurrences(rec)[-1] == date(2027, 3, 15)


def test_until_on_first_gives_one_date() -> None:
    assert occurrences(Recurrence("weekly", date(2027, 3, 1), date(2027, 3, 1))) == [
        date(2027, 3, 1)
    ]


def test_every_other_week() -> None:
    rec = Recurrence("biweekly", date(2027, 3, 1), date(2027, 4, 12))
    assert occurrences(rec) == [
        date(2027, 3, 1),
        date(2027, 3, 15),
        date(2027, 3, 29),
        date(2027, 4, 12),
    ]


def test_exceptions_are_left_out() -> None:
    rec = Recurrence(
        "weekly",
        date(2027, 3, 1),
        date(2027, 3, 29),
        frozenset({date(2027, 3, 8), date(2027, 3, 29)}),
    )
    assert occurrences(rec) == [date(2027, 3, 1), date(2027, 3, 15), date(2027, 3, 22)]


def test_the_series_runs_through_both_changes_of_daylight_saving_time() -> None:
    rec = Recurrence("weekly", date(2027, 3, 21), date(2027, 11, 7))
    days = occurrences(rec)
    assert SPRING in days and AUTUMN in days
    assert all(day.weekday() == 6 for day in days)  # every one a Sunday
    assert len(days) == 34


def test_two_years_is_the_longest_series() -> None:
    first = date(2027, 1, 4)
    assert occurrences(Recurrence("weekly", first, date(2029, 1, 4)))[-1] == date(2029, 1, 1)
    assert occurrences(Recurrence("biweekly", first, date(2029, 1, 4)))


def test_more_than_two_years_is_refused(app: Flask) -> None:
    message = error_of(app, Recurrence("weekly", date(2027, 1, 4), date(2029, 1, 5)))
    assert message == "En gentagelse kan højst vare 2 år: vælg en slutdato senest 4. januar 2029."


def test_two_years_from_29_february(app: Flask) -> None:
    message = error_of(app, Recurrence("weekly", date(2028, 2, 29), date(2030, 3, 1)))
    assert message.endswith("senest 28. februar 2030.")


def test_too_many_dates_are_refused(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recurrence, "MAX_OCCURRENCES", 4)
    assert len(occurrences(Recurrence("weekly", date(2027, 3, 1), date(2027, 3, 22)))) == 4
    message = error_of(app, Recurrence("weekly", date(2027, 3, 1), date(2027, 3, 29)))
    assert message == (
        "En aktivitet kan højst have 4 datoer; denne gentagelse giver 5. Vælg en tidligere slutdato."
    )


def test_until_before_first_is_refused(app: Flask) -> None:
    message = error_of(app, Recurrence("weekly", date(2027, 3, 8), date(2027, 3, 1)))
    assert message == "Slutdatoen 1. marts 2027 ligger før den første dato, 8. marts 2027."


def test_a_repetition_needs_an_end(app: Flask) -> None:
    assert error_of(app, Recurrence("biweekly", date(2027, 3, 8))) == (
        "Vælg, hvornår gentagelsen slutter."
    )


def test_once_with_another_end_date_is_refused(app: Flask) -> None:
    assert error_of(app, Recurrence("once", date(2027, 3, 8), date(2027, 3, 15))) == (
        "En aktivitet, der kun er én gang, kan ikke have en slutdato."
    )


def test_an_unknown_kind_is_refused(app: Flask) -> None:
    assert error_of(app, Recurrence("daily", date(2027, 3, 8), date(2027, 3, 15))) == (
        "Vælg, om aktiviteten er én gang, hver uge eller hver anden uge."
    )


@pytest.mark.parametrize(
    ("exception", "shown"),
    [
        (date(2027, 3, 9), "9. marts 2027"),  # inside the period, not a date of the series
        (date(2027, 4, 5), "5. april 2027"),  # after until
        (date(2027, 2, 22), "22. februar 2027"),  # before first
    ],
)
def test_an_exception_outside_the_series_is_refused(
    app: Flask, exception: date, shown: str
) -> None:
    rec = Recurrence("weekly", date(2027, 3, 1), date(2027, 3, 29), frozenset({exception}))
    assert error_of(app, rec) == f"Undtagelsen {shown} er ikke en af aktivitetens datoer."


def test_an_exception_of_the_off_week_is_refused(app: Flask) -> None:
    rec = Recurrence("biweekly", date(2027, 3, 1), date(2027, 3, 29), frozenset({date(2027, 3, 8)}))
    assert error_of(app, rec) == "Undtagelsen 8. marts 2027 er ikke en af aktivitetens datoer."


def test_every_date_excepted_is_refused(app: Flask) -> None:
    rec = Recurrence(
        "weekly",
        date(2027, 3, 1),
        date(2027, 3, 8),
        frozenset({date(2027, 3, 1), date(2027, 3, 8)}),
    )
    assert error_of(app, rec) == "Alle aktivitetens datoer er undtaget; der er ingen tilbage."
    once = Recurrence("once", date(2027, 3, 1), exceptions=frozenset({date(2027, 3, 1)}))
    assert error_of(app, once) == "Alle aktivitetens datoer er undtaget; der er ingen tilbage."


def test_the_message_is_rendered_when_shown(app: Flask) -> None:
    # Raised outside any request; the date is formatted in the locale of whoever reads it.
    with pytest.raises(RecurrenceError) as caught:
        occurrences(Recurrence("weekly", date(2027, 3, 8), date(2027, 3, 1)))
    with app.test_request_context(), force_locale("en"):
        assert "1. March 2027" in str(caught.value)
    with app.test_request_context():
        assert "1. marts 2027" in str(caught.value)


# --- times -----------------------------------------------------------------------------------


def test_winter_and_summer_time() -> None:
    assert instants(date(2027, 1, 12), time(18), time(20)) == (
        utc(2027, 1, 12, 17),
        utc(2027, 1, 12, 19),
    )
    assert instants(date(2027, 7, 12), time(18), time(20)) == (
        utc(2027, 7, 12, 16),
        utc(2027, 7, 12, 18),
    )


def test_an_evening_activity_stays_at_18_across_the_spring_change() -> None:
    rec = Recurrence("weekly", date(2027, 3, 21), date(2027, 4, 4))
    assert schedule(rec, time(18), time(19, 30)) == [
        (utc(2027, 3, 21, 17), utc(2027, 3, 21, 18, 30)),
        (utc(2027, 3, 28, 16), utc(2027, 3, 28, 17, 30)),
        (utc(2027, 4, 4, 16), utc(2027, 4, 4, 17, 30)),
    ]


def test_an_evening_activity_stays_at_18_across_the_autumn_change() -> None:
    rec = Recurrence("weekly", date(2027, 10, 24), date(2027, 11, 7))
    sessions = schedule(rec, time(18), time(19, 30))
    assert sessions == [
        (utc(2027, 10, 24, 16), utc(2027, 10, 24, 17, 30)),
        (utc(2027, 10, 31, 17), utc(2027, 10, 31, 18, 30)),
        (utc(2027, 11, 7, 17), utc(2027, 11, 7, 18, 30)),
    ]
    for start, end in sessions:
        assert start.astimezone(COPENHAGEN).time() == time(18)
        assert end - start == timedelta(hours=1, minutes=30)


def test_every_other_week_across_both_changes_keeps_the_wall_clock() -> None:
    rec = Recurrence("biweekly", date(2027, 3, 14), date(2027, 11, 7))
    sessions = schedule(rec, time(10), time(12))
    assert len(sessions) == 18
    assert {start.astimezone(COPENHAGEN).time() for start, _ in sessions} == {time(10)}
    offsets = {start.astimezone(COPENHAGEN).utcoffset() for start, _ in sessions}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}


def test_the_morning_of_the_spring_change() -> None:
    # 01:00 CET is 00:00 UTC; 04:00 CEST is 02:00 UTC: three hours on the clock, two in life.
    start, end = instants(SPRING, time(1), time(4))
    assert (start, end) == (utc(2027, 3, 28, 0), utc(2027, 3, 28, 2))
    assert instants(SPRING, time(3), time(4)) == (utc(2027, 3, 28, 1), utc(2027, 3, 28, 2))


@pytest.mark.parametrize(
    ("start", "end"),
    [(time(2, 30), time(4)), (time(1), time(2, 30)), (time(2), time(3))],
)
def test_the_hour_skipped_in_spring_is_refused(app: Flask, start: time, end: time) -> None:
    with pytest.raises(RecurrenceError) as caught:
        instants(SPRING, start, end)
    missing = start if start.hour == 2 else end
    with app.test_request_context():
        assert str(caught.value) == (
            f"Klokken {missing:%H.%M} findes ikke den 28. marts 2027, fordi uret stilles en time frem til sommertid. Vælg et andet tidspunkt."
        )


def test_a_weekly_series_at_the_skipped_hour_fails_only_for_that_sunday(app: Flask) -> None:
    assert schedule(
        Recurrence("weekly", date(2027, 3, 21), date(2027, 3, 21)), time(2, 30), time(4)
    )
    with pytest.raises(RecurrenceError):
        schedule(Recurrence("weekly", date(2027, 3, 21), date(2027, 4, 4)), time(2, 30), time(4))
    rec = Recurrence("weekly", date(2027, 3, 21), date(2027, 4, 4), frozenset({SPRING}))
    assert len(schedule(rec, time(2, 30), time(4))) == 2


def test_the_hour_repeated_in_autumn_is_its_first_occurrence() -> None:
    # fold=0: 02:30 is read as 02:30 summer time (00:30 UTC), not 02:30 winter time (01:30 UTC).
    start, end = instants(AUTUMN, time(2, 30), time(3, 30))
    assert start == utc(2027, 10, 31, 0, 30)
    assert end == utc(2027, 10, 31, 2, 30)  # 03:30 winter time: two hours really pass
    assert start.astimezone(COPENHAGEN).utcoffset() == timedelta(hours=2)
    assert start.astimezone(COPENHAGEN).time() == time(2, 30)


def test_the_night_of_the_autumn_change() -> None:
    # 01:00 CEST is 23:00 UTC the day before; 04:00 CET is 03:00 UTC: four hours in life.
    start, end = instants(AUTUMN, time(1), time(4))
    assert (start, end) == (utc(2027, 10, 30, 23), utc(2027, 10, 31, 3))


@pytest.mark.parametrize("end", [time(18), time(17, 59)])
def test_end_not_after_start_is_refused(app: Flask, end: time) -> None:
    with pytest.raises(RecurrenceError) as caught:
        instants(date(2027, 5, 4), time(18), end)
    with app.test_request_context():
        assert str(caught.value) == "Sluttidspunktet skal ligge efter starttidspunktet."


def test_times_must_be_wall_clock_times() -> None:
    with pytest.raises(ValueError, match="wall-clock"):
        instants(date(2027, 5, 4), time(18, tzinfo=UTC), time(19))


def test_results_are_utc() -> None:
    start, end = instants(date(2027, 5, 4), time(9), time(10))
    assert start.tzinfo is UTC and end.tzinfo is UTC
