"""A producer clock running fast: events dated too far ahead of the wall clock."""

from datetime import datetime, timedelta

from schemas import RejectReason
from streams.core.monthly import monthly_pack
from streams.core.timebase import US, TimeRules, to_us
from streams.export.from_log import run_lines
from tests.events import raw
from tests.scenario import T0, TARGETS, Run, ev

SKEW = TimeRules(future_skew_us=300 * US)
DAY_S = 86_400


def at(seconds: float) -> str:
    return (datetime.fromisoformat(T0) + timedelta(seconds=seconds)).isoformat()


def wall(seconds: float) -> int:
    return to_us(datetime.fromisoformat(T0)) + int(seconds * US)


def queued(call: str, s: float) -> dict:
    return ev("call.queued", at(s), call_id=call, channel="999", queue="fcr")


def answered(call: str, s: float) -> dict:
    return ev("call.answered", at(s), call_id=call, queue="fcr")


def march_offered(run: Run) -> dict[str, int]:
    (row,) = [
        r
        for r in monthly_pack([run.state], TARGETS, (2026, 3), (2026, 3)).calls
        if (r.channel, r.queue) == ("999", "fcr")
    ]
    return {"offered": row.offered, "answered": row.answered}


def ordinary_march(run: Run, read_after_s: float = 6) -> Run:
    """21 legs, one a day from 10 March, each read ``read_after_s`` after it was queued."""
    for day in range(21):
        start = day * DAY_S
        run.wall_us = wall(start + read_after_s)
        run.send(queued(f"c{day}", start), answered(f"c{day}", start + 5))
    return run


def test_an_event_dated_40_days_ahead_is_refused_and_every_leg_counts_in_its_month() -> None:
    fast = queued("fast", 40 * DAY_S)
    run = Run(rules=SKEW)
    run.wall_us = wall(0)
    run.send(fast)
    assert [(d.reason, d.raw) for d in run.dead] == [(RejectReason.FUTURE, raw(fast))]
    assert run.state.clock.stream_us is None  # it moved nothing
    ordinary_march(run)
    assert march_offered(run) == {"offered": 21, "answered": 21}
    assert run.state.late == 0
    assert run.state.rejected == {RejectReason.FUTURE: 1}
    assert run.value("ccm_events_rejected", "calls", "future") == 1
    assert run.state.clock.stream_us == wall(20 * DAY_S + 5)


def test_without_the_check_the_same_event_would_lose_the_month() -> None:
    # What the check prevents: stream time jumps to 19 April, after March closed (7 April).
    run = Run()
    run.wall_us = wall(0)
    run.send(queued("fast", 40 * DAY_S))
    ordinary_march(run)
    assert march_offered(run) == {"offered": 0, "answered": 0}
    assert run.state.rejected == {RejectReason.TOO_LATE: 42}


def test_the_skew_is_inclusive_and_the_reason_is_counted_from_zero() -> None:
    run = Run(rules=SKEW)
    run.wall_us = wall(0)
    assert run.send(queued("edge", 300)).dead == []  # exactly 5 minutes ahead: taken
    over = queued("over", 300.000001)
    assert [d.reason for d in run.send(over).dead] == [RejectReason.FUTURE]
    assert run.dead[0].detail == (
        "occurred 300 s ahead of ccm's clock, more than the 300 s allowed: set the "
        "producer's clock right (NTP) and send the event again with its true time"
    )
    quiet = Run(rules=SKEW)
    quiet.wall_us = wall(0)
    quiet.send(queued("a", 0))
    assert quiet.figures().values["ccm_events_rejected"][("calls", "future")] == 0


def test_replaying_history_is_never_refused_as_future() -> None:
    run = ordinary_march(Run(rules=SKEW), read_after_s=365 * DAY_S)
    assert run.dead == []
    assert march_offered(run) == {"offered": 21, "answered": 21}


def test_from_the_log_every_line_is_judged_against_one_instant() -> None:
    lines = [queued("fast", 40 * DAY_S), queued("a", 0), answered("a", 5)]
    numbered = [(n, raw(body)) for n, body in enumerate(lines, 1)]
    run = run_lines(numbered, TARGETS, partitions=1, rules=SKEW, wall_us=wall(10))
    assert run.rejected == {RejectReason.FUTURE: 1}
    assert "  future: dated more than the allowed skew after 2026-03-10 10:00:10+00:00" in (
        run.summary().splitlines()
    )
    # Read 40 days on, the same line is no longer ahead of the clock and does the harm the
    # worker was spared (docs/exports.md: take such lines out before re-scoring a log).
    later = run_lines(numbered, TARGETS, partitions=1, rules=SKEW, wall_us=wall(40 * DAY_S))
    assert later.rejected == {RejectReason.TOO_LATE: 2}
