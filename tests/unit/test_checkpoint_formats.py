"""Checkpoint formats across releases: a worker writes the format it is told, a chain is
all of one format, and a checkpoint it cannot read is never guessed at: its partition is
held with no state, counted nowhere here, and shown (docs/operating.md, "Upgrades and
rollbacks")."""

import json
import zlib

import orjson
import pytest

from schemas import Family
from streams.checkpoints import Chain, change_key, read, write
from streams.core.partition import PartitionState, UnreadableCheckpoint
from streams.core.timebase import TimeRules
from streams.delivery import Delivery
from streams.runtime import Message, Runtime, checkpoint_key
from tests import monthly_data as data
from tests.events import event, raw
from tests.unit.test_checkpoints import store

TARGETS = data.targets()
RULES = TimeRules()
KEY = checkpoint_key("contact.calls", 0)


def calls(n: int) -> list[bytes]:
    """``n`` answered 999 calls, two events each, a minute apart."""
    lines = []
    for i in range(n):
        at = f"2026-03-10T{8 + i // 60:02d}:{i % 60:02d}:00+00:00"
        answered = f"2026-03-10T{8 + i // 60:02d}:{i % 60:02d}:07+00:00"
        lines.append(raw(event("call.queued", call_id=f"c{i}", channel="999", queue="fcr",
                               occurred_at=at, event_id=f"q{i}")))  # fmt: skip
        lines.append(raw(event("call.answered", call_id=f"c{i}", queue="fcr",
                               occurred_at=answered, event_id=f"a{i}")))  # fmt: skip
    return lines


def applied(lines: list[bytes]) -> PartitionState:
    state = PartitionState(Family.CALLS, TARGETS, RULES)
    for offset, line in enumerate(lines):
        state.process(line, offset, 1_800_000_000_000_000)
    return state


def body(record: bytes) -> dict:
    """A record's JSON, its header line left out."""
    return orjson.loads(zlib.decompress(record.partition(b"\n")[2]))


def read_table(table: dict[bytes, bytes]) -> tuple[PartitionState, Chain]:
    return read(table[KEY], lambda n: table.get(change_key(KEY, n)), TARGETS, RULES)


def test_format_4_is_written_unless_told_and_format_5_names_its_writer() -> None:
    state = applied(calls(3))
    four = write(state, Chain(), KEY)
    five = write(state, Chain(), KEY, 5, "0.2.0")
    assert body(four[0][1])["v"] == 4 and "writer" not in body(four[0][1])
    assert (body(five[0][1])["v"], body(five[0][1])["writer"]) == (5, "0.2.0")
    for records in (four, five):
        restored, chain = read_table(dict(records))
        assert (restored.offset, restored.consumed) == (5, 6)
        assert chain.version == body(records[0][1])["v"]
    with pytest.raises(ValueError, match="checkpoint format 6 is not one of"):
        write(state, Chain(), KEY, 6)


def test_a_chain_switches_format_only_with_a_whole_snapshot() -> None:
    lines = calls(6)
    state = applied(lines[:4])
    chain, table = Chain(), {}
    store(table, write(state, chain, KEY))  # record 1: whole, format 4
    for offset in (4, 5):
        state.process(lines[offset], offset, 1_800_000_000_000_000)
    store(table, write(state, chain, KEY))  # record 2: changes, format 4
    assert sorted(table) == [KEY, change_key(KEY, 2)]
    assert body(table[change_key(KEY, 2)])["v"] == 4
    for offset in (6, 7):
        state.process(lines[offset], offset, 1_800_000_000_000_000)
    switched = write(state, chain, KEY, 5, "0.2.0")
    # Record 3 is whole, in format 5, and record 2 (format 4 changes) is deleted.
    assert [(k, v is None) for k, v in switched] == [(KEY, False), (change_key(KEY, 2), True)]
    assert json.loads(switched[0][1].partition(b"\n")[0])["seq"] == 3
    assert (body(switched[0][1])["v"], chain.version, chain.full_seq) == (5, 5, 3)
    store(table, switched)
    restored, _ = read_table(table)
    assert (restored.offset, restored.consumed) == (7, 8)
    # And back: format 4 again starts with a whole snapshot too (a rollback's first step).
    back = write(state, chain, KEY, 4)
    assert [k for k, _ in back] == [KEY] and body(back[0][1])["v"] == 4


def unreadable_snapshot(version: int, writer: str | None) -> bytes:
    state = applied(calls(1))
    record = write(state, Chain(), KEY, 5, "0.2.0")[0][1]
    head, _, blob = record.partition(b"\n")
    content = orjson.loads(zlib.decompress(blob)) | {"v": version, "writer": writer}
    if writer is None:
        del content["writer"]
    return head + b"\n" + zlib.compress(orjson.dumps(content))


@pytest.mark.parametrize(
    ("snapshot", "said"),
    [
        (
            lambda: unreadable_snapshot(6, "0.3.0"),
            "checkpoint format 6, written by ccm 0.3.0, is not one this ccm reads (2, 3, 4, 5)",
        ),
        (
            lambda: unreadable_snapshot(7, None),
            "checkpoint format 7, written by a newer ccm, is not one this ccm reads",
        ),
        (lambda: b'{"seq":1,"id":"ab"}\nnot zlib', "the checkpoint cannot be read (error:"),
    ],
    ids=["newer-format", "newer-format-unnamed", "damaged"],
)
def test_a_checkpoint_this_ccm_cannot_read_is_refused_with_what_to_run(snapshot, said) -> None:
    with pytest.raises(UnreadableCheckpoint) as refused:
        read(snapshot(), lambda n: None, TARGETS, RULES)
    assert said in str(refused.value)


def test_changes_of_a_newer_format_after_a_readable_snapshot_are_refused_too() -> None:
    lines = calls(3)
    state = applied(lines[:4])
    chain, table = Chain(), {}
    store(table, write(state, chain, KEY, 5, "0.2.0"))
    state.process(lines[4], 4, 1_800_000_000_000_000)
    records = write(state, chain, KEY, 5, "0.2.0")
    head, _, blob = records[0][1].partition(b"\n")
    newer = orjson.loads(zlib.decompress(blob)) | {"v": 6, "writer": "0.3.0"}
    table[change_key(KEY, 2)] = head + b"\n" + zlib.compress(orjson.dumps(newer))
    with pytest.raises(UnreadableCheckpoint, match=r"format 6, written by ccm 0\.3\.0"):
        read_table(table)


def test_a_worker_holds_an_unreadable_partition_without_a_state_and_counts_nothing_of_it() -> None:
    runtime = Runtime(TARGETS, RULES, checkpoint_version=5, writer="0.2.0")
    delivery: Delivery[object] = Delivery(runtime, Family.CALLS, "contact.calls", 2.0, 60.0, 0.0)
    readable = write(applied(calls(2)), Chain(), checkpoint_key("contact.calls", 1))[0][1]
    rewrite = runtime.hold(
        Family.CALLS, {0: unreadable_snapshot(6, "0.3.0"), 1: readable, 2: None}, {2: 0}
    )
    # Partition 1's checkpoint is format 4: written again, whole, in this worker's 5.
    assert rewrite == {1}
    assert sorted(p for _, p in runtime.states) == [1, 2]
    assert list(runtime.unreadable) == [(Family.CALLS, 0)]
    line = raw(event("call.queued", call_id="x", channel="999", queue="fcr",
                     occurred_at="2026-03-10T09:00:00+00:00"))  # fmt: skip
    delivery.apply([Message(0, 0, line), Message(2, 0, line)], 1_800_000_000_000_000)
    assert runtime.states[(Family.CALLS, 2)].consumed == 1
    assert (Family.CALLS, 0) not in runtime.states  # nothing counted from a hole
    figures = delivery.figures()
    assert figures["ccm_checkpoints_unreadable"] == {("calls",): 1}
    assert figures["ccm_checkpoints_format"] == {("calls", "4"): 1, ("calls", "5"): 0}
    delivery.rewrite(rewrite)
    checkpoint = delivery.start_checkpoint(1.0)
    assert checkpoint is not None and checkpoint.due == (1, 2)
    written = delivery.take(checkpoint, 1, {0, 1, 2})
    assert [body(v)["v"] for _, (_, v) in written] == [5]
    assert delivery.figures()["ccm_checkpoints_format"] == {("calls", "4"): 0, ("calls", "5"): 1}
    # Handed to another worker: no longer this worker's to show.
    runtime.keep_only(Family.CALLS, [1, 2])
    assert delivery.figures()["ccm_checkpoints_unreadable"] == {("calls",): 0}
