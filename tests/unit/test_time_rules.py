"""Europe/London days and DST: 23- and 25-hour days, targets across the change."""

from datetime import date

import pytest

from streams.core.timebase import Window, london_day, london_midnight_us, minutes_in_window, to_us
from tests.scenario import Run, ev


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
