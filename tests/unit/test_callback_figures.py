"""Call-backs owed, through the calls ledger: the figures a supervisor, a duty officer and
the monthly pack read, values worked out by hand from the force's defaults (999 owes a
call-back; first attempt within 10 minutes, resolved within 60, open for 24 hours)."""

import json
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import CallbackOutcome, Family, RejectReason
from streams.checkpoints import Chain, read, write
from streams.core.calls import CallbackCount, CallLedger
from streams.core.figures import compute
from streams.core.monthly import monthly_pack
from streams.core.partition import PartitionState
from streams.core.timebase import US, TimeRules, to_us
from tests.scenario import TARGETS, Run, at, ev, named
from tests.unit.test_checkpoints import store

T0 = "2026-03-10T10:00:00+00:00"
T0_US = to_us(datetime.fromisoformat(T0))
MIN = 60


def queued(call: str, s: float, channel: str = "999", queue: str = "fcr") -> dict:
    return ev("call.queued", at(T0, s), call_id=call, channel=channel, queue=queue)


def abandoned(call: str, s: float, queue: str = "fcr") -> dict:
    return ev("call.abandoned", at(T0, s), call_id=call, queue=queue)


def answered(call: str, s: float, queue: str = "fcr") -> dict:
    return ev("call.answered", at(T0, s), call_id=call, queue=queue)


def callback(call: str, s: float, outcome: str) -> dict:
    return ev("call.callback", at(T0, s), call_id=call, outcome=outcome)


def live_run() -> Run:
    """Events arrive as they happen: the live gauges follow the wall clock."""
    run = Run()
    run.wall_us = T0_US
    return run


def send_at(run: Run, s: float, *bodies: dict) -> Run:
    run.wall_us = T0_US + round(s * US)
    return run.send(*bodies)


def counts(run: Run, channel: str = "999") -> dict[str, int]:
    ledger = run.state.ledger
    assert isinstance(ledger, CallLedger)
    day = next(iter(ledger.tallies[3].days[(channel,)]))
    return named(CallbackCount, ledger.tallies[3].days[(channel,)][day])


def gauges(run: Run, s: float) -> tuple[float, float, float, float]:
    run.wall_us = T0_US + round(s * US)
    values = run.figures().values
    key = ("999",)
    return (
        values["ccm_callbacks_open"][key],
        values["ccm_callbacks_oldest_seconds"][key],
        values["ccm_callbacks_about_to_breach"][key],
        values["ccm_callbacks_breached"][key],
    )


@pytest.mark.parametrize(
    ("at_s", "expected"),
    [
        # open, oldest (s since the abandon at 20 s), about to breach (>= 8 min), breached
        (20 + 60, (1, 60, 0, 0)),
        (20 + 8 * MIN - 1, (1, 8 * MIN - 1, 0, 0)),
        (20 + 8 * MIN, (1, 8 * MIN, 1, 0)),
        (20 + 10 * MIN, (1, 10 * MIN, 1, 0)),
        (20 + 10 * MIN + 1, (1, 10 * MIN + 1, 0, 1)),
        (20 + 23 * 3600, (1, 23 * 3600, 0, 1)),
    ],
)
def test_an_owed_call_back_follows_the_wall_clock_on_a_quiet_night(at_s, expected) -> None:
    run = live_run()
    send_at(run, 0, queued("a", 0))
    send_at(run, 20, abandoned("a", 20))
    assert gauges(run, at_s) == expected


def test_an_attempt_takes_it_off_breach_and_resolving_takes_it_off_the_owed() -> None:
    run = live_run()
    send_at(run, 0, queued("a", 0))
    send_at(run, 20, abandoned("a", 20))
    send_at(run, 20 + 12 * MIN, callback("a", 20 + 12 * MIN, "no_answer"))
    assert gauges(run, 20 + 13 * MIN) == (1, 13 * MIN, 0, 0)  # attempted, late, still owed
    send_at(run, 20 + 30 * MIN, callback("a", 20 + 30 * MIN, "reached"))
    assert gauges(run, 20 + 31 * MIN) == (0, 0, 0, 0)
    assert counts(run) == {
        "owed": 1,
        "first_attempted": 1,
        "first_attempt_within_target": 0,
        "first_attempt_us_sum": 12 * MIN * US,
        "resolved": 1,
        "resolved_within_target": 1,
        "attempts": 2,
    }
    values = run.figures().values
    assert values["ccm_callback_attempts"][("999", "no_answer", "today")] == 1
    assert values["ccm_callback_attempts"][("999", "reached", "today")] == 1
    assert values["ccm_callbacks_resolved"][("999", "reached", "today")] == 1
    assert values["ccm_callbacks_resolved"][("999", "no_answer", "today")] == 0
    assert values["ccm_callbacks_first_attempt_wait_seconds"][("999", "today")] == 12 * MIN
    histogram = run.figures().histograms["ccm_callback_first_attempt_seconds"][("999",)]
    assert histogram.count == 1


def test_a_call_back_owed_lapses_after_24_hours_and_counts_unresolved() -> None:
    run = live_run()
    send_at(run, 0, queued("a", 0))
    send_at(run, 20, abandoned("a", 20))
    # Another call's event moves stream time a day on, and the sweep lets it lapse.
    day = 20 + 24 * 3600
    send_at(run, day + 1, queued("b", day + 1, channel="101", queue="switchboard"))
    assert run.state.ledger.lifecycles["a"].lapsed
    assert gauges(run, day + 2) == (0, 0, 0, 0)
    assert counts(run)["owed"] == 1 and counts(run)["resolved"] == 0
    # A resolution made after the limit counts as nothing.
    send_at(run, day + 3, callback("a", day + 2, "reached"))
    assert counts(run)["resolved"] == 0 and counts(run)["first_attempted"] == 1


def test_a_lone_call_back_is_held_then_dead_lettered_as_an_orphan() -> None:
    run = live_run()
    send_at(run, 0, callback("x", 0, "reached"))
    assert run.dead == []
    send_at(run, 3601, queued("b", 3601, channel="101", queue="switchboard"))
    assert [d.reason for d in run.dead] == [RejectReason.ORPHAN]
    assert "call.callback" in run.dead[0].detail
    assert json.loads(run.dead[0].raw)["call_id"] == "x"


def test_a_call_back_arriving_before_its_abandon_counts_once_the_abandon_comes() -> None:
    run = live_run()
    send_at(run, 5 * MIN, callback("a", 5 * MIN, "reached"))
    send_at(run, 5 * MIN, queued("a", 0), abandoned("a", 20))
    assert run.dead == []
    assert counts(run)["first_attempt_within_target"] == 1
    assert counts(run)["resolved_within_target"] == 1


@pytest.mark.parametrize(
    ("events", "reason"),
    [
        ([queued("a", 0), answered("a", 5)], "not_abandoned"),
        (
            [queued("a", 0, "101", "switchboard"), abandoned("a", 30, "switchboard")],
            "channel",
        ),
        ([queued("a", 0), abandoned("a", 20), queued("a", 60), answered("a", 65)], "answered"),
    ],
)
def test_a_call_back_on_a_call_that_owes_none_changes_no_figure_and_is_counted(
    events, reason
) -> None:
    run = live_run()
    send_at(run, 70, *events)
    before = run.figures().values
    send_at(run, 120, callback("a", 120, "reached"))
    after = run.figures().values
    assert run.dead == []
    assert after["ccm_callbacks_not_owed"][("999" if reason != "channel" else "101", reason,
                                           "today")] == 1  # fmt: skip
    changed = {
        name
        for name, series in after.items()
        if name.startswith("ccm_call") and series != before.get(name)
    }
    assert changed == {"ccm_callbacks_not_owed"}


def test_an_abandon_at_23_55_called_back_after_midnight_counts_on_its_own_day() -> None:
    # 25 October 2026, the clock change: London midnight after it is 00:00 GMT.
    start = "2026-10-25T23:55:00+00:00"
    run = Run()
    run.send(
        ev("call.queued", start, call_id="n", channel="999", queue="fcr"),
        ev("call.abandoned", at(start, 10), call_id="n", queue="fcr"),
        ev("call.callback", at(start, 10 + 9 * MIN), call_id="n", outcome="reached"),
    )
    ledger = run.state.ledger
    days = ledger.tallies[3].days[("999",)]
    assert [datetime.fromordinal(d).date().isoformat() for d in days] == ["2026-10-25"]
    assert named(CallbackCount, next(iter(days.values())))["first_attempt_within_target"] == 1


def test_call_backs_survive_a_checkpoint_and_lapse_after_it() -> None:
    run = live_run()
    send_at(run, 0, queued("a", 0))
    send_at(run, 20, abandoned("a", 20))
    send_at(run, 60, callback("a", 60, "no_answer"))
    table: dict[bytes, bytes] = {}
    store(table, write(run.state, Chain(), b"calls-0"))
    state, _ = read(table[b"calls-0"], table.get, TARGETS, TimeRules())
    assert state.ledger.lifecycles["a"].callbacks == run.state.ledger.lifecycles["a"].callbacks
    assert compute([state], TARGETS, wall_us=run.wall_us).values == run.figures().values
    restored = Run()
    restored.state, restored._offset = state, run._offset  # read on after the checkpoint
    send_at(restored, 24 * 3600 + 60, queued("b", 24 * 3600 + 60, "101", "switchboard"))
    assert restored.state.ledger.lifecycles["a"].lapsed


def test_the_monthly_pack_has_the_call_backs_of_the_month() -> None:
    state = PartitionState(Family.CALLS, TARGETS, TimeRules())
    run = Run()
    run.state = state
    run.send(
        queued("a", 0), abandoned("a", 20), callback("a", 20 + 9 * MIN, "engaged"),
        callback("a", 20 + 50 * MIN, "referred"),
        queued("b", 100), abandoned("b", 101), callback("b", 101 + 11 * MIN, "reached"),
        queued("c", 200), abandoned("c", 230),
    )  # fmt: skip
    pack = monthly_pack([state], TARGETS, (2026, 3), (2026, 3))
    row = next(r for r in pack.callbacks if r.channel == "999")
    assert (row.owed, row.first_attempted, row.first_attempt_within_target) == (3, 2, 1)
    assert (row.resolved, row.resolved_within_target, row.attempts) == (2, 2, 3)
    assert row.first_attempt_us_sum == (9 + 11) * MIN * US
    assert str(row.first_attempt_within_pct) == "33.3"
    assert str(row.resolved_within_pct) == "66.7"
    assert str(row.mean_first_attempt_seconds) == "600.0"
    outcomes = {(r.outcome): (r.attempts, r.resolved) for r in pack.callback_outcomes
                if r.channel == "999" and (r.attempts or r.resolved)}  # fmt: skip
    assert outcomes == {"engaged": (1, 0), "referred": (1, 1), "reached": (1, 1)}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3000), st.sampled_from(list(CallbackOutcome))),
             max_size=5, unique_by=lambda t: t[0]),
    st.booleans(),
    st.randoms(use_true_random=False),
)  # fmt: skip
def test_arrival_order_within_the_grace_and_duplicates_change_no_figure(
    attempts, answered_later, rng
) -> None:
    events = [queued("a", 0), abandoned("a", 20)]
    if answered_later:
        events += [queued("a", 100), answered("a", 160)]
    events += [callback("a", 20 + s, outcome.value) for s, outcome in attempts]
    events += [queued("b", 3600 + 60, "101", "switchboard")]  # moves stream time on
    in_order = Run().send(*events)
    shuffled = events[:-1] + [rng.choice(events[:-1]) for _ in range(3)]  # with repeats
    rng.shuffle(shuffled)
    arrived = Run().send(*shuffled, events[-1])
    assert arrived.dead == in_order.dead == []
    for mine, theirs in zip(arrived.state.ledger.tallies[3:], in_order.state.ledger.tallies[3:],
                            strict=True):  # fmt: skip
        assert counted(mine.days) == counted(theirs.days)


def counted(days: dict) -> dict:
    """A tally's day rows without the all-zero ones a contribution taken back leaves."""
    return {
        (dim, day): list(vector)
        for dim, by_day in days.items()
        for day, vector in by_day.items()
        if any(vector)
    }
