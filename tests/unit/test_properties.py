"""Properties of the contact core: arrival order within grace and duplicates change
nothing, and the figures equal an independent count over the generated calls."""

import json
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import Family
from streams.core.partition import PartitionState
from streams.core.timebase import TimeRules
from streams.runtime import Message, Runtime
from tests.scenario import T0, TARGETS, Run, at, ev

TARGET_S = {
    ("999", "fcr"): 10,
    ("101", "switchboard"): 30,
    ("101", "fcr"): 300,
    ("101", "resolution_centre"): 300,
}


@st.composite
def calls(draw: st.DrawFn) -> tuple[list[dict], Counter]:
    """Consistent call lifecycles within 50 minutes, and the expected leg counts."""
    events: list[dict] = []
    expected: Counter = Counter()
    for n in range(draw(st.integers(1, 12))):
        call = f"call-{n}"
        channel = draw(st.sampled_from(["999", "101"]))
        route = (
            ["fcr"]
            if channel == "999"
            else [
                "switchboard",
                *draw(
                    st.sampled_from([[], ["fcr"], ["resolution_centre"], ["fcr", "switchboard"]])
                ),
            ]
        )
        clock = draw(st.integers(0, 600)) + draw(st.sampled_from([0, 0.25, 0.5]))
        for i, queue in enumerate(route):
            last = i == len(route) - 1
            wait = draw(st.integers(0, 400)) + draw(st.sampled_from([0, 0.5]))
            outcome = (
                draw(st.sampled_from(["answered", "abandoned", "ended"])) if last else "answered"
            )
            events.append(
                ev("call.queued", at(T0, clock), call_id=call, channel=channel, queue=queue)
            )
            key = (channel, queue)
            target = TARGET_S[key]
            expected[(*key, "offered")] += 1
            if outcome == "answered":
                events.append(ev("call.answered", at(T0, clock + wait), call_id=call, queue=queue))
                expected[(*key, "answered")] += 1
                expected[(*key, "answered_within_target")] += wait <= target
                expected[(*key, "answered_under_10s")] += wait < 10
            else:
                if outcome == "abandoned":
                    events.append(
                        ev("call.abandoned", at(T0, clock + wait), call_id=call, queue=queue)
                    )
                expected[(*key, "abandoned")] += 1
                expected[(*key, "abandoned_within_target")] += wait <= target
            clock += wait
            if outcome == "ended" or last:
                events.append(
                    ev("call.ended", at(T0, clock + 30 * (outcome != "ended")), call_id=call)
                )
            clock += draw(st.integers(1, 60))
    return events, expected


def figures_of(run: Run) -> dict:
    """Every KPI figure; pipeline counters (consumed, duplicates) rightly differ."""
    return {
        name: dict(series)
        for name, series in run.figures().values.items()
        if not name.startswith("ccm_events_")
    }


@settings(max_examples=150, deadline=None)
@given(calls(), st.data())
def test_any_arrival_order_with_duplicates_gives_the_same_exact_figures(generated, data) -> None:
    events, expected = generated
    shuffled = data.draw(st.permutations(events))
    repeats = data.draw(st.lists(st.sampled_from(events), max_size=5))
    in_order = Run().send(*sorted(events, key=lambda e: e["occurred_at"]))
    any_order = Run().send(*shuffled, *repeats)
    assert in_order.dead == [] and any_order.dead == []
    assert figures_of(any_order) == figures_of(in_order)
    assert any_order.state.duplicates == len(repeats)
    for (channel, queue, field), count in expected.items():
        assert in_order.value(f"ccm_call_legs_{field}", channel, queue, "today") == count


@settings(max_examples=60, deadline=None)
@given(calls(), st.data())
def test_restart_from_any_checkpoint_with_redelivery_is_exact(generated, data) -> None:
    """A worker killed after checkpointing offset c, restarted from a committed offset
    at or before c, ends with exactly the figures of an uninterrupted run."""
    events, _ = generated
    messages = [Message(0, offset, json.dumps(e).encode()) for offset, e in enumerate(events)]
    rules = TimeRules()
    uninterrupted = Runtime(TARGETS, rules)
    uninterrupted.process(Family.CALLS, messages, 0, {})

    crash_after = data.draw(st.integers(0, len(messages)))
    committed = data.draw(st.integers(0, crash_after))
    first = Runtime(TARGETS, rules)
    first.process(Family.CALLS, messages[:crash_after], 0, {})
    checkpoint = first.checkpoint(Family.CALLS, 0) if crash_after else None

    restarted = Runtime(TARGETS, rules)
    applied = restarted.process(Family.CALLS, messages[committed:], 0, {0: checkpoint})
    assert applied.holes == set()
    before = uninterrupted.states[(Family.CALLS, 0)]
    after = restarted.state_for(Family.CALLS, 0, checkpoint)
    assert after.snapshot() == before.snapshot()
    assert after.consumed == len(messages)


def test_a_message_after_a_hole_is_not_applied_until_the_hole_is_filled() -> None:
    events = [
        ev("call.queued", at(T0, n), call_id=f"h{n}", channel="999", queue="fcr") for n in range(4)
    ]
    messages = [Message(0, offset, json.dumps(e).encode()) for offset, e in enumerate(events)]
    runtime = Runtime(TARGETS, TimeRules())
    runtime.process(Family.CALLS, messages[:1], 0, {})
    skipped = runtime.process(Family.CALLS, messages[2:], 0, {})
    assert skipped.holes == {0}
    assert skipped.touched == set()
    refilled = runtime.process(Family.CALLS, messages[1:], 0, {})
    assert refilled.holes == set()
    assert runtime.states[(Family.CALLS, 0)].offset == 3
    assert runtime.states[(Family.CALLS, 0)].consumed == 4


def test_a_state_restored_from_its_snapshot_goes_on_exactly_as_the_original() -> None:
    # Checkpointed with "b" waiting at the switchboard and "a" answered but not ended.
    before = [
        ev("call.queued", at(T0, 0), call_id="a", channel="999", queue="fcr"),
        ev("call.answered", at(T0, 7), call_id="a", queue="fcr"),
        ev("call.queued", at(T0, 9), call_id="b", channel="101", queue="switchboard"),
    ]
    after = [
        ev("call.answered", at(T0, 49), call_id="b", queue="switchboard"),  # 40 s: over 30 s
        ev("call.queued", at(T0, 55), call_id="b", channel="101", queue="fcr"),
        ev("call.ended", at(T0, 97), call_id="a"),
        before[1],  # redelivered after the restart: a duplicate still
        ev("call.abandoned", at(T0, 70), call_id="b", queue="fcr"),
        ev("call.ended", at(T0, 71), call_id="b"),
    ]
    original = Run().send(*before)
    restored = Run()
    restored.state = PartitionState.restore(original.state.snapshot(), TARGETS, TimeRules())
    restored._offset = len(before)
    assert restored.figures().values == original.figures().values
    original.send(*after)
    restored.send(*after)
    assert restored.dead == original.dead == []
    assert restored.figures().values == original.figures().values
    assert restored.figures().histograms == original.figures().histograms
    # The figures are the calls': worked out by hand, not read from either state.
    value = restored.value
    assert value("ccm_call_legs_answered_within_target", "999", "fcr", "today") == 1
    assert value("ccm_call_legs_answered", "101", "switchboard", "today") == 1
    assert value("ccm_call_legs_answered_within_target", "101", "switchboard", "today") == 0
    assert value("ccm_call_legs_answered_wait_seconds", "101", "switchboard", "today") == 40
    assert value("ccm_call_legs_abandoned", "101", "fcr", "today") == 1
    assert value("ccm_call_legs_handle_seconds", "999", "fcr", "today") == 90
    assert value("ccm_call_legs_handle_seconds", "101", "switchboard", "today") == 6
    assert value("ccm_calls_settled", "101", "today") == 1
    assert value("ccm_calls_combined_wait_seconds", "101", "today") == 40 + 15
    assert value("ccm_contacts", "999", "today") == value("ccm_contacts", "101", "today") == 1
    assert restored.state.duplicates == 1
    assert restored.state.consumed == len(before) + len(after)
