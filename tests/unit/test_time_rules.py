"""Europe/London days and DST: 23- and 25-hour days, targets across the change."""

from datetime import date

import pytest

from streams.core.timebase import (
    Window,
    days_in_window,
    london_day,
    london_midnight_us,
    minutes_in_window,
    to_us,
)
from tests.scenario import Run, at, ev


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (date(2026, 3, 29), 23),
        (date(2026, 10, 25), 25),
        (date(2026, 6, 1), 24),
        (date(2026, 1, 1), 24),
    ],
)
def test_london_day_length(day: date, hours: int) -> None:
    next_day = date.fromordinal(day.toordinal() + 1)
    assert (london_midnight_us(next_day) - london_midnight_us(day)) // 3_600_000_000 == hours


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        ("2026-10-24T22:59:59+00:00", date(2026, 10, 24)),  # 23:59:59 BST
        ("2026-10-24T23:00:00+00:00", date(2026, 10, 25)),  # midnight BST
        ("2026-10-25T00:30:00+00:00", date(2026, 10, 25)),  # 01:30 BST, first time
        ("2026-10-25T01:30:00+00:00", date(2026, 10, 25)),  # 01:30 GMT, second time
        ("2026-10-25T23:59:59+00:00", date(2026, 10, 25)),
        ("2026-03-29T00:59:59+00:00", date(2026, 3, 29)),  # 00:59:59 GMT
        ("2026-03-29T01:00:00+00:00", date(2026, 3, 29)),  # 02:00 BST
        ("2026-03-28T23:59:59+00:00", date(2026, 3, 28)),
    ],
)
def test_instant_to_london_day(instant: str, day: date) -> None:
    from datetime import datetime

    assert london_day(to_us(datetime.fromisoformat(instant))) == day


def test_today_window_on_the_25_hour_day_covers_1500_minutes() -> None:
    end = to_us(__import__("datetime").datetime.fromisoformat("2026-10-25T23:59:00+00:00"))
    assert len(minutes_in_window(Window.TODAY, end)) == 25 * 60


@pytest.mark.parametrize(
    ("instant", "window", "first", "last"),
    [
        # 00:30 BST on 1 October is still 30 September in UTC: London's day and month.
        ("2026-09-30T23:30:00+00:00", Window.TODAY, date(2026, 10, 1), date(2026, 10, 1)),
        ("2026-09-30T23:30:00+00:00", Window.MONTH, date(2026, 10, 1), date(2026, 10, 1)),
        ("2026-10-25T23:59:00+00:00", Window.MONTH, date(2026, 10, 1), date(2026, 10, 25)),
        ("2026-10-25T23:59:00+00:00", Window.TODAY, date(2026, 10, 25), date(2026, 10, 25)),
    ],
)
def test_the_day_windows_are_london_days(instant, window, first, last) -> None:
    from datetime import datetime

    days = days_in_window(window, to_us(datetime.fromisoformat(instant)))
    assert days == range(first.toordinal(), last.toordinal() + 1)


@pytest.mark.parametrize("window", [Window.LAST_15M, Window.LAST_1H, Window.LAST_24H])
def test_the_rolling_windows_are_counted_by_minute(window) -> None:
    assert days_in_window(window, 0) is None


def test_target_across_the_october_change_is_measured_in_real_seconds() -> None:
    # Queued 01:59:55 BST, answered 01:00:04 GMT: 9 real seconds, though the clock went back.
    run = Run().send(
        ev("call.queued", "2026-10-25T01:59:55+01:00", call_id="x", channel="999", queue="fcr"),
        ev("call.answered", "2026-10-25T01:00:04+00:00", call_id="x", queue="fcr"),
    )
    assert run.value("ccm_call_legs_answered_within_target", "999", "fcr", "today") == 1
    assert run.value("ccm_call_legs_answered_wait_seconds", "999", "fcr", "today") == 9


def test_both_repeated_hours_count_today_and_the_evening_before_does_not() -> None:
    run = Run().send(
        ev("call.queued", "2026-10-24T23:59:59+01:00", call_id="eve", channel="999", queue="fcr"),
        ev("call.queued", "2026-10-25T01:30:00+01:00", call_id="first", channel="999", queue="fcr"),
        ev(
            "call.queued", "2026-10-25T01:30:00+00:00", call_id="second", channel="999", queue="fcr"
        ),
    )
    assert run.value("ccm_call_legs_offered", "999", "fcr", "today") == 2
    assert run.value("ccm_call_legs_offered", "999", "fcr", "24h") == 3


def _answered_call(call_id: str, queued: str) -> tuple[dict, ...]:
    """A 999 call answered at the fcr 4 s after it was queued, then ended."""
    return (
        ev("call.queued", queued, call_id=call_id, channel="999", queue="fcr"),
        ev("call.answered", at(queued, 4), call_id=call_id, queue="fcr"),
        ev("call.ended", at(queued, 60), call_id=call_id),
    )


def test_month_window_starts_at_london_midnight_on_the_first_in_summer_time() -> None:
    # April starts at 00:00 BST, 23:00 UTC on 31 March: the second before is March's.
    run = Run().send(
        *_answered_call("march", "2026-03-31T22:59:59+00:00"),
        *_answered_call("april-first-second", "2026-03-31T23:00:00+00:00"),
        *_answered_call("april-1", "2026-04-01T10:00:00+01:00"),
        *_answered_call("april-2", "2026-04-02T12:00:00+01:00"),
        *_answered_call("april-3", "2026-04-03T08:00:00+01:00"),
    )
    assert run.value("ccm_call_legs_offered", "999", "fcr", "month") == 4
    assert run.value("ccm_call_legs_offered", "999", "fcr", "today") == 1


def test_month_window_after_the_october_change_starts_at_midnight_gmt() -> None:
    # 1 November 2026 starts at 00:00 GMT; the 25-hour 25 October is October's.
    run = Run().send(
        *_answered_call("october-25", "2026-10-25T01:30:00+00:00"),
        *_answered_call("october-31", "2026-10-31T23:59:00+00:00"),
        *_answered_call("november", "2026-11-01T00:00:00+00:00"),
    )
    assert run.value("ccm_call_legs_offered", "999", "fcr", "month") == 1
    assert run.value("ccm_call_legs_offered", "999", "fcr", "24h") == 2


def test_month_window_has_no_longest_wait() -> None:
    # Wait samples are kept per minute for 25 hours only, too short for a month.
    run = Run().send(
        *_answered_call("x", "2026-04-01T10:00:00+01:00"),
    )
    assert run.value("ccm_call_longest_wait_seconds", "999", "fcr", "today") == 4
    assert ("999", "fcr", "month") not in run.figures().values["ccm_call_longest_wait_seconds"]
    assert run.value("ccm_call_legs_answered_wait_seconds", "999", "fcr", "month") == 4
