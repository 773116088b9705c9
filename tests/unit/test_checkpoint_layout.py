"""Checkpoints read by the counts' names (`streams.core.layout`): format 5 records each
tally's layout, a layout other than this release's is moved into it by name, and one
holding a count this release does not know is refused with what to run, never misread."""

import zlib

import orjson
import pytest

from streams.checkpoints import Chain, read, write
from streams.core.families import FAMILIES
from streams.core.layout import FORMAT_4, digest, layouts, moves
from streams.core.partition import LAYOUTS, PartitionState, UnreadableCheckpoint
from tests.unit.test_checkpoint_formats import KEY, RULES, TARGETS, applied, body, calls

LEGS = 0
UNDER_60S = "answered_under_60s"


def tally_rows(state: PartitionState, index: int) -> dict:
    tally = state.ledger.tallies[index]
    return {"days": tally.days, "live_days": tally.live_days, "minutes": tally.minutes}


def record(blob: dict) -> bytes:
    return zlib.compress(orjson.dumps(blob))


def test_this_release_reads_format_4_by_name_and_writes_it_by_its_positions() -> None:
    assert {f.value: layouts(spec.rows) for f, spec in FAMILIES.items()} == LAYOUTS
    for family, held in FORMAT_4.items():
        # Every count format 4 holds is one this release keeps (it may keep more).
        assert moves(held, LAYOUTS[family]) is not None
        kept = [name for name, _ in LAYOUTS[family]]
        assert [name for name, _ in held] == kept[: len(held)]


def test_format_5_records_every_tallys_counts_by_name() -> None:
    state = applied(calls(2))
    five = body(write(state, Chain(), KEY, 5, "0.2.0")[0][1])
    assert [name for name, _ in five["layout"]] == [
        "legs", "calls", "first_legs", "callbacks", "callback_attempts", "callbacks_not_owed"
    ]  # fmt: skip
    legs = five["layout"][0][1]
    assert legs[:4] == ["offered", "answered", "answered_within_target", "answered_under_10s"]
    assert legs[11:13] == ["le_1", "le_2"] and len(legs) == 11 + 18
    assert "layout" not in body(write(state, Chain(), KEY)[0][1])  # format 4: by position


def without_a_count(snapshot: dict, name: str) -> dict:
    """The snapshot as a release that did not count ``name`` in the legs tally wrote it."""
    layout = snapshot["layout"][LEGS][1]
    gone = layout.index(name)
    snapshot["layout"][LEGS][1] = layout[:gone] + layout[gone + 1 :]
    for table in ("minutes", "days", "live_days"):
        for _dim, by_bucket in snapshot["ledger"]["tallies"][LEGS][table]:
            for entry in by_bucket:
                del entry[1][gone]
    for item in snapshot["ledger"]["lifecycles"].values():
        for counts, _waits in item.get("min", [])[LEGS : LEGS + 1]:
            for entry in counts:
                del entry[2][gone]
    return snapshot


def test_a_count_the_checkpoint_did_not_keep_starts_at_zero_and_the_rest_keep_their_values() -> (
    None
):
    # Ten 999 calls answered in 7 s: each counts under 10 s, under 60 s and in the buckets
    # of 10 s and above.
    state = applied(calls(10))
    older = without_a_count(body(write(state, Chain(), KEY, 5, "0.2.0")[0][1]), UNDER_60S)
    restored = PartitionState.restore(record(older), TARGETS, RULES)
    at = LAYOUTS["calls"][LEGS][1].index(UNDER_60S)
    day = next(iter(restored.ledger.tallies[LEGS].days.values()))
    (vector,) = day.values()
    assert vector[:5] == [10, 10, 10, 10, 0] and vector[at] == 0
    assert vector[at + 1 :] == [0, 0, 0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10]
    # Taken from where they were, not shifted by one.
    before = next(iter(state.ledger.tallies[LEGS].days.values()))
    (whole,) = before.values()
    assert [v for i, v in enumerate(vector) if i != at] == [
        v for i, v in enumerate(whole) if i != at
    ]


def test_a_count_this_release_does_not_know_is_refused_with_what_to_run() -> None:
    state = applied(calls(1))
    newer = body(write(state, Chain(), KEY, 5, "0.3.0")[0][1])
    newer["layout"][LEGS][1][0] = "transferred_out"
    with pytest.raises(UnreadableCheckpoint, match=r"transferred_out.*0\.3\.0"):
        PartitionState.restore(record(newer), TARGETS, RULES)


def test_tallies_in_another_order_are_refused() -> None:
    state = applied(calls(1))
    other = body(write(state, Chain(), KEY, 5, "0.3.0")[0][1])
    other["layout"][0][0], other["layout"][1][0] = "calls", "legs"
    with pytest.raises(UnreadableCheckpoint, match="'calls' where this release keeps 'legs'"):
        PartitionState.restore(record(other), TARGETS, RULES)


def test_a_count_vector_of_another_width_is_refused_not_misread() -> None:
    # Format 4 holds counts by position: a vector one short would shift every count
    # after the gap onto its neighbour's place.
    state = applied(calls(2))
    four = body(write(state, Chain(), KEY)[0][1])
    _dim, by_day = four["ledger"]["tallies"][LEGS]["days"][0]
    by_day[0][1].pop(3)
    with pytest.raises(UnreadableCheckpoint, match="a count vector of 28 where the tally keeps 29"):
        read(b"{}\n" + record(four), lambda n: None, TARGETS, RULES)


def test_records_of_changes_carry_only_the_layouts_digest_which_must_be_their_snapshots() -> None:
    state = applied(calls(2))
    chain = Chain()
    snapshot = write(state, chain, KEY, 5, "0.2.0")[0][1]
    changes = write(state, chain, KEY, 5, "0.2.0")[0][1]
    assert "layout" in body(snapshot) and "layout_digest" not in body(snapshot)
    assert body(changes)["layout_digest"] == digest(LAYOUTS["calls"])
    assert "layout" not in body(changes)
    # A snapshot of other layouts (a release counting one count fewer), and after it
    # changes claiming this release's: refused, never moved by the wrong names.
    older = without_a_count(body(snapshot), UNDER_60S)
    restored = PartitionState.restore(record(older), TARGETS, RULES)
    with pytest.raises(UnreadableCheckpoint, match="other layouts than the snapshot"):
        restored.apply_changes(changes.partition(b"\n")[2])


def test_a_writer_of_other_layouts_than_its_chains_snapshot_starts_a_whole_snapshot() -> None:
    state = applied(calls(2))
    older = without_a_count(body(write(state, Chain(), KEY, 5, "0.1.9")[0][1]), UNDER_60S)
    restored = PartitionState.restore(record(older), TARGETS, RULES)
    chain = Chain(seq=1, last_id="x", full_seq=1, full_bytes=10**9, version=5,
                  layout=digest(restored.held))  # fmt: skip
    (written,) = write(restored, chain, KEY, 5, "0.2.0")
    assert written[0] == KEY  # the snapshot's key, not a record of changes
    assert chain.layout == digest(LAYOUTS["calls"])
    # The same chain in this release's layouts goes on with changes.
    (then,) = write(restored, chain, KEY, 5, "0.2.0")
    assert then[0] == KEY + b"/3"
