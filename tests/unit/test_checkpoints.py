"""Checkpoints as a chain of changes (`streams.checkpoints`): wherever the checkpoints
fell, a state read back from the records is the state that wrote them, and goes on to
the same monthly pack as a worker that never stopped; a fork stops the chain where it
forks; a whole snapshot deletes the changes it replaces; a change costs what changed."""

import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import Envelope, Family, decode
from streams.checkpoints import Chain, change_key, read, write
from streams.core.monthly import monthly_pack
from streams.core.partition import SNAPSHOT_VERSION, PartitionState
from streams.core.timebase import TimeRules
from streams.runtime import CONSUMED_FAMILIES, Message, Runtime, checkpoint_key
from tests import monthly_data as data

TARGETS = data.targets()
RULES = TimeRules()


@pytest.fixture(scope="module")
def messages() -> dict[Family, list[Message]]:
    """The monthly log (late events, duplicates, month ends, garbage), one partition
    per family in log order; what decodes to nothing goes with the calls."""
    by_family: dict[Family, list[Message]] = {f: [] for f in CONSUMED_FAMILIES}
    for line in data.generate().lines:
        event = decode(line)
        family = event.family if isinstance(event, Envelope) else Family.CALLS
        by_family[family].append(Message(0, len(by_family[family]), line))
    return by_family


def key(family: Family) -> bytes:
    return checkpoint_key(f"contact.{family.value}", 0)


def store(table: dict[bytes, bytes], records: list) -> None:
    for k, value in records:
        if value is None:
            table.pop(k, None)
        else:
            table[k] = value


def read_back(table: dict[bytes, bytes], family: Family) -> tuple[PartitionState, Chain]:
    return read(table[key(family)], lambda n: table.get(change_key(key(family), n)), TARGETS, RULES)


def normalised(state: PartitionState) -> dict:
    """The state's snapshot with order left out: a state read from changes has its
    lifecycles and buckets in another order, and the same content."""
    body = json.loads(zlib.decompress(state.snapshot()))
    for tally in body["ledger"]["tallies"] + body["ledger"].get("later", []):
        for name in ("minutes", "days", "live_days", "waits"):
            tally[name] = {
                json.dumps(dim): {b: sorted(v) if name == "waits" else v for b, v in rows}
                for dim, rows in tally[name]
            }
        tally["day_waits"] = {
            json.dumps(dim): {day: dict(samples) for day, samples in rows}
            for dim, rows in tally["day_waits"]
        }
    return body


def run_with_checkpoints(
    messages: dict[Family, list[Message]], every: list[int]
) -> tuple[Runtime, dict[bytes, bytes], dict[Family, int]]:
    """Apply each family's messages, writing a checkpoint after the ``every``-th
    message of every family; returns how far the last checkpoint of each came."""
    runtime = Runtime(TARGETS, RULES)
    table: dict[bytes, bytes] = {}
    covered: dict[Family, int] = {}
    for family, family_messages in messages.items():
        runtime.hold(family, {0: None}, {0: 0})
        done = 0
        for upto in [*every, len(family_messages)]:
            upto = min(upto, len(family_messages))
            if upto > done:
                runtime.process(family, family_messages[done:upto], 0, {})
                done = upto
                store(table, runtime.checkpoint_records(family, 0, key(family)))
                covered[family] = done
    return runtime, table, covered


@settings(max_examples=12, deadline=None)
@given(st.lists(st.integers(1, 2_000), max_size=40).map(lambda xs: sorted(set(xs))))
def test_a_state_read_back_from_its_chain_is_the_state_that_wrote_it(messages, every) -> None:
    runtime, table, _ = run_with_checkpoints(messages, every)
    for family in CONSUMED_FAMILIES:
        state, _ = read_back(table, family)
        assert normalised(state) == normalised(runtime.states[(family, 0)])
        # The sweeps' indexes too: what waits for a partner, and what is forgotten when.
        assert sweeps_of(state) == sweeps_of(runtime.states[(family, 0)])


def sweeps_of(state: PartitionState) -> tuple[set[str], dict[int, set[str]]]:
    """What the sweeps will act on: `_closing` keeps entries the sweep passes over (a
    lifecycle filed to close at another instant since, or forgotten)."""
    ledger = state.ledger
    closing = {
        at: {k for k in keys if getattr(ledger.lifecycles.get(k), "closes_at", None) == at}
        for at, keys in ledger._closing.items()
    }
    return ledger._due, {at: keys for at, keys in closing.items() if keys}


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(1, 2_000), min_size=1, max_size=20), st.integers(0, 19))
def test_a_worker_restarted_from_its_chain_ends_with_the_pack_of_one_that_never_stopped(
    messages, points, stop
) -> None:
    every = sorted(set(points))
    uninterrupted = Runtime(TARGETS, RULES)
    for family, family_messages in messages.items():
        uninterrupted.hold(family, {0: None}, {0: 0})
        uninterrupted.process(family, family_messages, 0, {})
    # Stopped after one of its checkpoints; the next worker reads the chain and goes on
    # from the offset after it, as the committed offsets would have it.
    _, table, _ = run_with_checkpoints(messages, every[: 1 + stop % len(every)])
    restarted = Runtime(TARGETS, RULES)
    for family, family_messages in messages.items():
        restarted.hold(
            family,
            {0: table.get(key(family))},
            {},
            lambda partition, n, f=family: table.get(change_key(key(f), n)),
        )
        state = restarted.states[(family, 0)]
        restarted.process(family, family_messages[state.offset + 1 :], 0, {})
    first, last = (2026, 3), (2026, 11)
    assert (
        monthly_pack(restarted.all_states(), TARGETS, first, last).to_json()
        == monthly_pack(uninterrupted.all_states(), TARGETS, first, last).to_json()
    )
    for family in CONSUMED_FAMILIES:
        assert normalised(restarted.states[(family, 0)]) == normalised(
            uninterrupted.states[(family, 0)]
        )


def test_changes_are_written_between_whole_snapshots_and_cost_what_changed(messages) -> None:
    calls = messages[Family.CALLS]
    state = PartitionState(Family.CALLS, TARGETS, RULES)
    chain = Chain()
    table: dict[bytes, bytes] = {}
    for offset, message in enumerate(calls[:1_000]):
        state.process(message.value, offset, 0)
    store(table, write(state, chain, key(Family.CALLS)))
    assert list(table) == [key(Family.CALLS)]  # the first checkpoint is whole
    whole = chain.full_bytes
    for offset in range(1_000, 1_010):
        state.process(calls[offset].value, offset, 0)
    store(table, write(state, chain, key(Family.CALLS)))
    change = table[change_key(key(Family.CALLS), 2)]
    assert chain.seq == 2 and chain.full_seq == 1
    assert len(change) < whole / 5  # ten events' worth, not a thousand
    # Changes go on until they add up to the snapshot's size; then a whole snapshot
    # again, and the changes it replaces are deleted.
    offset = 1_010
    while chain.full_seq == 1:
        state.process(calls[offset].value, offset, 0)
        offset += 1
        store(table, write(state, chain, key(Family.CALLS)))
    assert chain.full_seq == chain.seq > 3
    assert list(table) == [key(Family.CALLS)]
    restored, _ = read_back(table, Family.CALLS)
    assert normalised(restored) == normalised(state)


def test_a_fork_in_the_chain_stops_the_state_at_the_last_record_before_it(messages) -> None:
    calls = messages[Family.CALLS]
    state = PartitionState(Family.CALLS, TARGETS, RULES)
    chain, table = Chain(), {}
    snapshots = {}
    for n, upto in enumerate((500, 510, 520, 530), 1):
        for offset in range(state.offset + 1, upto):
            state.process(calls[offset].value, offset, 0)
        store(table, write(state, chain, key(Family.CALLS)))
        snapshots[n] = normalised(state)
    # Another worker, for a moment the partition's writer too, wrote its own record 3.
    other = PartitionState.restore(state.snapshot(), TARGETS, RULES)
    other.track_changes()
    other_chain = Chain(
        seq=2,
        last_id="not-record-2",
        full_seq=1,
        full_bytes=10**9,
        version=SNAPSHOT_VERSION,
        layout=other.written_layout(SNAPSHOT_VERSION),
    )
    store(table, write(other, other_chain, key(Family.CALLS)))
    restored, restored_chain = read_back(table, Family.CALLS)
    assert restored_chain.seq == 2
    assert normalised(restored) == snapshots[2]
    assert restored.offset == 509


def test_a_snapshot_written_before_checkpoints_were_chained_is_read(messages) -> None:
    state = PartitionState(Family.CALLS, TARGETS, RULES)
    for message in messages[Family.CALLS][:300]:
        state.process(message.value, message.offset, 0)
    restored, chain = read(state.snapshot(), lambda n: None, TARGETS, RULES)
    assert normalised(restored) == normalised(state)
    assert (chain.seq, chain.full_seq) == (0, 0)


def test_changes_are_not_asked_of_a_state_that_does_not_track_them() -> None:
    with pytest.raises(RuntimeError, match="does not track"):
        PartitionState(Family.CALLS, TARGETS, RULES).changes()


@pytest.mark.parametrize("family", CONSUMED_FAMILIES)
def test_records_are_the_standard_librarys_compact_json_byte_for_byte(messages, family) -> None:
    """Written with orjson for speed, read by any ccm: the bytes are those `json.dumps`
    gives the same body (no key, float or escape written otherwise)."""
    state = PartitionState(family, TARGETS, RULES)
    half = len(messages[family]) // 2
    for message in messages[family][:half]:
        state.process(message.value, message.offset, 0)
    state.track_changes()
    for message in messages[family][half:]:
        state.process(message.value, message.offset, 0)
    for blob in (state.snapshot(), state.changes()):
        text = zlib.decompress(blob)
        assert text == json.dumps(json.loads(text), separators=(",", ":")).encode()
