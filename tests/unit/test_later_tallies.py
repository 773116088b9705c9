"""Counts added after 0.1.0 (each call's first leg, `FirstLegCount`, and call-backs owed)
sit in tallies of their own, kept beside the two every release reads: a checkpoint holds them under
``later`` (and a lifecycle's held-back minutes under ``min_later``), which 0.1.0 passes
over. Restored from a checkpoint 0.1.0 wrote, without them, the later tally is counted
again from the lifecycles held, so the figures of every month still open are those of a
worker that never stopped; a month that closed meanwhile keeps only what was counted
before (docs/operating.md, "Upgrades and rollbacks")."""

import zlib
from datetime import UTC, datetime

import orjson

from schemas import Family
from streams.checkpoints import Chain, change_key, read, write
from streams.core.monthly import monthly_pack
from streams.core.partition import PartitionState
from streams.core.timebase import TimeRules
from tests import monthly_data as data
from tests.unit.test_checkpoints import store

TARGETS = data.targets()
RULES = TimeRules()
KEY = b"calls-0"
WALL_US = 1_900_000_000_000_000


def call_lines() -> list[tuple[datetime, bytes]]:
    """The generated log's call events, in the order they arrive, with their instants."""
    out = []
    for line in data.generate(seed=9).lines:
        event = orjson.loads(line)
        if event["event_type"].startswith("call."):
            out.append((datetime.fromisoformat(event["occurred_at"]).astimezone(UTC), line))
    return out


LINES = call_lines()


def apply(state: PartitionState, lines: list[bytes], start: int) -> PartitionState:
    for offset, line in enumerate(lines, start):
        state.process(line, offset, WALL_US)
    return state


def first_legs(state: PartitionState) -> dict:
    pack = monthly_pack([state], TARGETS, (2026, 3), (2026, 11))
    return {(r.month, r.channel): (r.answered, r.answer_us_sum) for r in pack.first_legs}


def later_figures(state: PartitionState) -> tuple:
    """Every figure the later tallies give: first legs, and call-backs owed."""
    pack = monthly_pack([state], TARGETS, (2026, 3), (2026, 11))
    later = (pack.first_legs, pack.callbacks, pack.callback_outcomes, pack.callbacks_not_owed)
    assert sum(r.owed for r in pack.callbacks) > 20  # something to lose
    return later


def as_written_by_0_1_0(record: bytes) -> bytes:
    """The record without what 0.1.0 does not write."""
    head, _, blob = record.partition(b"\n")
    content = orjson.loads(zlib.decompress(blob))
    ledger = content["ledger"] if "ledger" in content else content["changes"]
    assert len(ledger["tallies"]) == 2 and len(ledger.pop("later")) == 4
    for item in ledger["lifecycles"].values():
        if item is not None:
            item.pop("min_later", None)
    return head + b"\n" + zlib.compress(orjson.dumps(content))


def split_at(when: datetime) -> int:
    return next(i for i, (at, _) in enumerate(LINES) if at >= when)


def restored(table: dict[bytes, bytes]) -> PartitionState:
    state, _ = read(table[KEY], lambda n: table.get(change_key(KEY, n)), TARGETS, RULES)
    return state


def test_a_checkpoint_keeps_the_later_tally_apart_and_restores_it_whole() -> None:
    lines = [line for _, line in LINES]
    whole = apply(PartitionState(Family.CALLS, TARGETS, RULES), lines, 0)
    assert first_legs(whole)[("2026-03", "101")][0] > 20  # something to lose
    table: dict[bytes, bytes] = {}
    store(table, write(whole, Chain(), KEY))
    assert later_figures(restored(table)) == later_figures(whole)


def test_restored_from_0_1_0_the_open_months_are_counted_again_from_the_calls_held() -> None:
    lines = [line for _, line in LINES]
    whole = apply(PartitionState(Family.CALLS, TARGETS, RULES), lines, 0)
    # Early April: March is still open (to late events until 7 days after it ends).
    k = split_at(datetime(2026, 4, 3, tzinfo=UTC))
    before = apply(PartitionState(Family.CALLS, TARGETS, RULES), lines[:k], 0)
    table: dict[bytes, bytes] = {}
    store(table, write(before, Chain(), KEY))
    table[KEY] = as_written_by_0_1_0(table[KEY])
    after = apply(restored(table), lines[k:], k)
    assert later_figures(after) == later_figures(whole)


def test_changes_from_0_1_0_move_the_later_tally_with_the_calls_they_change() -> None:
    lines = [line for _, line in LINES]
    whole = apply(PartitionState(Family.CALLS, TARGETS, RULES), lines, 0)
    k1, k2 = split_at(datetime(2026, 3, 20, tzinfo=UTC)), split_at(datetime(2026, 4, 2, tzinfo=UTC))
    state = apply(PartitionState(Family.CALLS, TARGETS, RULES), lines[:k1], 0)
    chain, table = Chain(), {}
    store(table, write(state, chain, KEY))  # whole, by this release
    apply(state, lines[k1:k2], k1)
    changes = write(state, chain, KEY)
    assert [k for k, _ in changes] == [change_key(KEY, 2)]
    store(table, [(k, as_written_by_0_1_0(v)) for k, v in changes])  # as 0.1.0 writes them
    after = apply(restored(table), lines[k2:], k2)
    assert later_figures(after) == later_figures(whole)


def test_a_month_closed_while_0_1_0_held_the_partition_keeps_what_was_counted() -> None:
    lines = [line for _, line in LINES]
    whole = apply(PartitionState(Family.CALLS, TARGETS, RULES), lines, 0)
    k = split_at(datetime(2026, 11, 10, tzinfo=UTC))  # October closed on 7 November
    before = apply(PartitionState(Family.CALLS, TARGETS, RULES), lines[:k], 0)
    table: dict[bytes, bytes] = {}
    store(table, write(before, Chain(), KEY))
    table[KEY] = as_written_by_0_1_0(table[KEY])
    after = first_legs(apply(restored(table), lines[k:], k))
    expected = first_legs(whole)
    assert after[("2026-11", "101")] == expected[("2026-11", "101")] != (0, 0)
    assert after[("2026-10", "101")] == (0, 0) != expected[("2026-10", "101")]
