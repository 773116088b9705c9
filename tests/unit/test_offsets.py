"""Every offset of a partition accounted for: transaction markers and aborted records
passed, an undecodable batch dead-lettered, offsets deleted by retention counted lost;
and the stall signal, from plain numbers."""

import json

from schemas import Family, RejectReason
from streams.core.timebase import TimeRules
from streams.progress import ProgressWatch
from streams.runtime import Message, Runtime, Skipped
from tests.scenario import T0, TARGETS, at, ev


def queued(n: int) -> bytes:
    return json.dumps(
        ev("call.queued", at(T0, n), call_id=f"c{n}", channel="999", queue="fcr")
    ).encode()


def test_a_transactions_markers_and_aborted_records_are_passed_not_taken_for_a_hole() -> None:
    # Offsets 0-1 events, 2 a commit marker, 3-5 an aborted transaction and 6 its abort
    # marker (read as one stretch), 7 an event.
    messages = [
        Message(0, 0, queued(0)),
        Message(0, 1, queued(1)),
        Message(0, 2, Skipped(b"", "control", 2)),
        Message(0, 3, Skipped(b"", "aborted", 5)),
        Message(0, 6, Skipped(b"", "control", 6)),
        Message(0, 7, queued(7)),
    ]
    runtime = Runtime(TARGETS, TimeRules())
    applied = runtime.process(Family.CALLS, messages, 0, {})
    state = runtime.states[(Family.CALLS, 0)]
    assert applied.holes == set()
    assert applied.rejected == []
    assert (state.offset, state.consumed) == (7, 3)
    assert sum(state.rejected.values()) == 0


def test_a_marker_after_a_hole_waits_like_any_message() -> None:
    runtime = Runtime(TARGETS, TimeRules())
    runtime.process(Family.CALLS, [Message(0, 0, queued(0))], 0, {})
    applied = runtime.process(Family.CALLS, [Message(0, 2, Skipped(b"", "control", 2))], 0, {})
    assert applied.holes == {0}
    assert runtime.states[(Family.CALLS, 0)].offset == 0


def test_an_undecodable_batch_is_one_dead_letter_with_its_bytes_and_offsets_passed() -> None:
    batch = Skipped(b"\x00batch", "undecodable", 9, "offsets 1-9 could not be decoded")
    messages = [Message(0, 0, queued(0)), Message(0, 1, batch), Message(0, 10, queued(10))]
    runtime = Runtime(TARGETS, TimeRules())
    applied = runtime.process(Family.CALLS, messages, 0, {})
    state = runtime.states[(Family.CALLS, 0)]
    assert [(r.letter.reason, r.letter.raw, r.partition, r.offset) for r in applied.rejected] == [
        (RejectReason.UNDECODABLE, b"\x00batch", 0, 1)
    ]
    assert type(applied.rejected[0].letter.raw) is bytes  # a plain value for the producer
    assert applied.rejected[0].letter.detail == "offsets 1-9 could not be decoded"
    assert (state.offset, state.consumed) == (10, 2)
    assert state.rejected == {RejectReason.UNDECODABLE: 1}
    # Delivered again after a restart from a checkpoint that holds it: not counted twice.
    again = runtime.process(Family.CALLS, [Message(0, 1, batch)], 0, {})
    assert again.rejected == []
    assert state.rejected == {RejectReason.UNDECODABLE: 1}


def test_offsets_deleted_before_they_were_applied_are_counted_lost_once() -> None:
    runtime = Runtime(TARGETS, TimeRules())
    runtime.process(Family.CALLS, [Message(0, n, queued(n)) for n in range(5)], 0, {})
    assert runtime.process(Family.CALLS, [Message(0, 12, queued(12))], 0, {}).holes == {0}
    assert runtime.log_starts(Family.CALLS, {0: 12}) == {0: 7}  # offsets 5-11
    assert runtime.log_starts(Family.CALLS, {0: 12}) == {}
    applied = runtime.process(Family.CALLS, [Message(0, 12, queued(12))], 0, {})
    state = runtime.states[(Family.CALLS, 0)]
    assert applied.holes == set()
    assert (state.offset, state.consumed, state.lost) == (12, 6, 7)
    restored = Runtime(TARGETS, TimeRules())
    assert restored.state_for(Family.CALLS, 0, runtime.checkpoint(Family.CALLS, 0)).lost == 7


def test_a_log_start_at_or_before_what_the_state_needs_loses_nothing() -> None:
    runtime = Runtime(TARGETS, TimeRules())
    runtime.process(Family.CALLS, [Message(0, n, queued(n)) for n in range(5)], 0, {})
    assert runtime.log_starts(Family.CALLS, {0: 5, 1: 40}) == {}  # partition 1 is not held
    assert runtime.states[(Family.CALLS, 0)].lost == 0


def test_a_partition_behind_and_unmoved_for_the_stall_time_is_stalled() -> None:
    watch = ProgressWatch(stall_seconds=60)
    # Partition 0 moves, 1 is behind and stuck, 2 is caught up and quiet.
    assert watch.read({0: (10, 50), 1: (7, 90), 2: (30, 30)}, now=0).stalled == ()
    assert watch.read({0: (20, 60), 1: (7, 95), 2: (30, 30)}, now=59.9).stalled == ()
    at_60 = watch.read({0: (30, 70), 1: (7, 95), 2: (30, 30)}, now=60)
    assert (at_60.stalled, at_60.newly_stalled) == ((1,), (1,))
    at_65 = watch.read({0: (40, 80), 1: (7, 99), 2: (30, 30)}, now=65)
    assert (at_65.stalled, at_65.newly_stalled) == ((1,), ())
    assert watch.lag({0: 40, 1: 7, 2: 30}) == 40 + 92 + 0
    assert watch.lag({0: 80, 1: 7}) == 92  # made up since the reading; 2 not asked for
    moved = watch.read({0: (80, 80), 1: (8, 99), 2: (30, 30)}, now=70)
    assert moved.stalled == ()


def test_a_partition_no_longer_held_is_forgotten() -> None:
    watch = ProgressWatch(stall_seconds=5)
    watch.read({0: (1, 9)}, now=0)
    assert watch.read({}, now=10).stalled == ()
    assert watch.read({0: (1, 9)}, now=11).stalled == ()  # its clock starts again
    assert watch.read({0: (1, 9)}, now=16).stalled == (0,)
