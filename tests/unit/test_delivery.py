"""The delivery bookkeeping behind exact counts, with plain numbers: what a checkpoint
writes and covers, what is committed and when, which gaps are read again, and the dead
letters' headers. Kafka's acknowledgements are stood in for by strings; the worker's
calls with them against a real broker are in tests/integration/test_worker_failures.py
and test_chaos.py."""

import asyncio
import json
from types import SimpleNamespace

from faust.types import TP

from schemas import Family, RejectReason
from streams import seam, worker
from streams.core.ledger import DeadLetter
from streams.core.timebase import TimeRules
from streams.delivery import Checkpoint, Delivery, Letter
from streams.runtime import Message, Rejected, Runtime, Skipped
from streams.settings import Settings
from tests.scenario import T0, TARGETS, at, ev


def queued(partition: int, offset: int) -> Message:
    body = ev("call.queued", at(T0, offset), call_id=f"c{partition}-{offset}", channel="999")
    return Message(partition, offset, json.dumps(body | {"queue": "fcr"}).encode())


def held(*partitions: int) -> tuple[Runtime, Delivery[str]]:
    """Calls partitions held from their log starts at 0, nothing applied yet."""
    runtime = Runtime(TARGETS, TimeRules())
    runtime.hold(Family.CALLS, dict.fromkeys(partitions), dict.fromkeys(partitions, 0))
    return runtime, Delivery(runtime, Family.CALLS, "calls", 2.0, 30.0, now=100.0)


def checkpoint_all(delivery: Delivery[str], assigned: set[int], now: float) -> Checkpoint | None:
    """Every due partition's records taken in one go, as the worker does with no event
    between two partitions."""
    checkpoint = delivery.start_checkpoint(now)
    if checkpoint is not None:
        for partition in checkpoint.due:
            delivery.take(checkpoint, partition, assigned)
    return checkpoint


def offset(runtime: Runtime, partition: int) -> int:
    return runtime.states[(Family.CALLS, partition)].offset


def test_a_hole_opens_a_gap_at_the_state_offset_which_closes_once_the_state_passes_it() -> None:
    runtime, delivery = held(0, 1)
    delivery.apply([queued(0, 0), queued(0, 1), queued(1, 0)], 0)
    assert delivery.gaps == {}

    delivery.apply([queued(0, 4), queued(0, 5)], 0)  # 2 and 3 went missing
    assert offset(runtime, 0) == 1  # nothing past the hole applied
    assert delivery.gaps == {0: 1}
    assert delivery.reread_from({0, 1}) == {0: 2}
    assert delivery.reread_from({1}) == {}  # not the consumer's to seek

    delivery.apply([queued(0, 1)], 0)  # a repeat: the state stays at 1
    assert delivery.gaps == {0: 1}
    delivery.apply([queued(0, 2)], 0)
    assert offset(runtime, 0) == 2
    assert delivery.gaps == {}
    assert delivery.reread_from({0, 1}) == {}


def test_a_gap_is_read_again_at_most_once_a_second() -> None:
    _, delivery = held(0)
    assert not delivery.reread_due(10.0)  # no gap
    delivery.apply([queued(0, 3)], 0)
    assert delivery.gaps == {0: -1}
    assert delivery.reread_due(10.0)
    assert not delivery.reread_due(10.9)
    assert delivery.reread_due(11.0)


def test_a_partition_not_assigned_is_not_checkpointed_and_stays_touched() -> None:
    _, delivery = held(0, 1)
    delivery.apply([queued(0, 0), queued(0, 1), queued(1, 0)], 0)

    checkpoint = checkpoint_all(delivery, {0}, 101.0)  # 1 is mid-rebalance
    assert checkpoint is not None
    assert checkpoint.covered == {0: 2}
    assert [(p, key) for p, (key, _) in checkpoint.records] == [(0, b"calls/0")]
    assert delivery.touched == {1}

    checkpoint = checkpoint_all(delivery, {0, 1}, 102.0)  # 1 stayed here
    assert checkpoint is not None
    assert checkpoint.covered == {1: 1}
    assert [(p, key) for p, (key, _) in checkpoint.records] == [(1, b"calls/1")]
    assert delivery.touched == set()
    assert checkpoint_all(delivery, {0, 1}, 103.0) is None


def test_partitions_taken_one_at_a_time_each_cover_what_was_applied_when_taken() -> None:
    _, delivery = held(0, 1)
    delivery.apply([queued(0, 0), queued(0, 1), queued(1, 0)], 0)
    checkpoint = delivery.start_checkpoint(101.0)
    assert checkpoint is not None
    assert checkpoint.due == (0, 1)
    assert [p for p, _ in delivery.take(checkpoint, 0, {0, 1})] == [0]
    # Applied between two partitions' records: partition 1's record holds its event,
    # partition 0's does not, so 0 is due again and covered only as far as taken.
    delivery.apply([queued(0, 2), queued(1, 1)], 0)
    assert [p for p, _ in delivery.take(checkpoint, 1, {0, 1})] == [1]
    assert checkpoint.covered == {0: 2, 1: 2}
    assert [p for p, _ in checkpoint.records] == [0, 1]
    assert delivery.touched == {0}
    follow = checkpoint_all(delivery, {0, 1}, 102.0)
    assert follow is not None and follow.covered == {0: 3}


def test_no_commit_while_a_send_is_unacknowledged_and_the_partitions_are_retried() -> None:
    _, delivery = held(0, 1)
    delivery.apply([queued(0, 0), queued(1, 0), queued(1, 1)], 0)
    delivery.sending("dead letter 1")
    checkpoint = checkpoint_all(delivery, {0, 1}, 101.0)
    assert checkpoint is not None
    delivery.sending("record 0")
    delivery.sending("record 1")
    assert delivery.written(checkpoint, 101.25) == ["dead letter 1", "record 0", "record 1"]
    delivery.sending("dead letter 2")  # applied while the records are on their way

    assert delivery.settle(checkpoint, {"record 1"}, 111.0) is None
    assert delivery.touched == {0, 1}
    assert delivery.unconfirmed == ["record 1", "dead letter 2"]
    assert delivery.last_checkpoint == 111.0
    assert delivery.acknowledged_at is None

    checkpoint = checkpoint_all(delivery, {0, 1}, 113.0)  # fresh records, both again
    assert checkpoint is not None
    assert checkpoint.covered == {0: 1, 1: 2}
    delivery.sending("record 0 again")
    delivery.sending("record 1 again")
    assert delivery.written(checkpoint, 113.5) == [
        "record 1",
        "dead letter 2",
        "record 0 again",
        "record 1 again",
    ]
    assert delivery.settle(checkpoint, set(), 114.0) == {0: 1, 1: 2}
    delivery.committed(checkpoint, 114.25, 1_773_136_800.0)
    assert delivery.unconfirmed == []
    figures = delivery.figures()
    assert figures["ccm_checkpoint_duration_seconds"] == {("calls",): 1.25}
    assert figures["ccm_checkpoint_acknowledged_timestamp_seconds"] == {("calls",): 1_773_136_800.0}


def test_commit_offsets_are_one_past_the_covered_state_offset_for_partitions_still_held() -> None:
    runtime, delivery = held(0, 1, 2)
    delivery.apply([queued(0, n) for n in range(3)] + [queued(1, n) for n in range(5)], 0)
    delivery.apply([queued(2, 0)], 0)
    checkpoint = checkpoint_all(delivery, {0, 1, 2}, 101.0)
    assert checkpoint is not None
    delivery.written(checkpoint, 101.0)

    delivery.apply([queued(0, 3)], 0)  # applied after the record was taken: not covered
    runtime.keep_only(Family.CALLS, [0, 2])  # 1 handed to another worker meanwhile
    assert delivery.settle(checkpoint, set(), 102.0) == {0: 3, 2: 1}
    assert delivery.touched == {0}


def test_dead_letters_carry_where_they_came_from_and_are_counted() -> None:
    runtime = Runtime(TARGETS, TimeRules())
    runtime.hold(Family.CALLS, {2: None}, {2: 7})
    delivery: Delivery[str] = Delivery(runtime, Family.CALLS, "calls", 2.0, 30.0, now=100.0)
    skipped = Skipped(b"\x00batch", "undecodable", last_offset=9, detail="CRC mismatch")

    letters = delivery.apply([Message(2, 7, skipped)], 0)
    assert letters == [
        Letter(
            b"\x00batch",
            {
                "ccm-reason": b"undecodable",
                "ccm-detail": b"CRC mismatch",
                "ccm-family": b"calls",
                "ccm-source-partition": b"2",
                "ccm-source-offset": b"7",
            },
        )
    ]
    assert delivery.touched == {2}

    orphan = DeadLetter(RejectReason.ORPHAN, "never queued", b"{}")
    assert delivery.letter(Rejected(orphan, 2, None)) == Letter(
        b"{}",
        {
            "ccm-reason": b"orphan",
            "ccm-detail": b"never queued",
            "ccm-family": b"calls",
            "ccm-source-partition": b"2",
        },
    )
    deadletters = delivery.figures()["ccm_deadletters"]
    assert deadletters[("calls", "undecodable")] == 1
    assert deadletters[("calls", "orphan")] == 1
    assert sum(deadletters.values()) == 2


class Kafka:
    """Stands in for the consumer, producer, checkpoint table and dead-letter topic of a
    worker holding partitions 0 and 1 of the calls topic. Checkpoint records are
    acknowledged as soon as they are sent, dead letters only once told (`acknowledge`)."""

    def __init__(self) -> None:
        self.sends: list[tuple[str, object]] = []
        self.held: list[asyncio.Future] = []
        self.commits: list[dict[TP, int]] = []
        self.data: dict[bytes, bytes] = {}

    def assignment(self) -> set[TP]:
        return {TP("contact.calls", 0), TP("contact.calls", 1), TP("contact.chats", 0)}

    async def commit(self, offsets: dict[TP, int]) -> None:
        self.commits.append(offsets)

    async def flush(self) -> None:
        pass

    def send_changelog(self, partition: int, key: bytes, value: bytes | None) -> asyncio.Future:
        self.sends.append(("checkpoint", key))
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    def send_soon(self, value: bytes, headers: dict[str, bytes]) -> asyncio.Future:
        self.sends.append(("dead letter", headers["ccm-source-offset"]))
        self.held.append(asyncio.get_running_loop().create_future())
        return self.held[-1]

    def acknowledge(self) -> None:
        for future in self.held:
            future.set_result(None)


setattr(Kafka, seam.COMMIT, Kafka.commit)  # what the worker calls, by the seam's name


def test_the_worker_commits_only_once_kafka_has_acknowledged_every_send() -> None:
    runtime = Runtime(TARGETS, TimeRules())
    runtime.hold(Family.CALLS, {0: None, 1: None}, {0: 0, 1: 0})
    kafka = Kafka()
    app = SimpleNamespace(consumer=kafka, producer=kafka)
    table = SimpleNamespace(data=kafka.data, send_changelog=kafka.send_changelog)
    pipe = worker.FamilyPipe(app, Settings(), runtime, Family.CALLS, "contact.calls", table, kafka)  # type: ignore[arg-type]
    pipe.delivery.ack_wait_seconds = 0.01
    broken = Skipped(b"?", "undecodable", last_offset=2, detail="CRC mismatch")

    async def main() -> None:
        pipe.apply([queued(0, 0), queued(0, 1), Message(0, 2, broken), queued(1, 0)])
        await pipe.checkpoint()
        assert kafka.sends == [
            ("dead letter", b"2"),
            ("checkpoint", b"contact.calls/0"),
            ("checkpoint", b"contact.calls/1"),
        ]
        assert set(kafka.data) == {b"contact.calls/0", b"contact.calls/1"}
        assert kafka.commits == []

        kafka.acknowledge()
        await pipe.checkpoint()  # both partitions again, as changes since the first
        assert kafka.sends[3:] == [
            ("checkpoint", b"contact.calls/0/2"),
            ("checkpoint", b"contact.calls/1/2"),
        ]
        assert kafka.commits == [{TP("contact.calls", 0): 3, TP("contact.calls", 1): 1}]

    asyncio.run(main())
    assert pipe.figures()["ccm_deadletters"][("calls", "undecodable")] == 1
