"""The worker's input path without a broker: a family's buffer is bounded and keeps each
partition's order, `Skipped` offsets pass through it, the consumer waits for room and
drops what Faust would drop, and a family's agent applies a lone event at once.

The same path against a real broker: tests/integration/test_worker_*.py, test_chaos.py."""

import asyncio
import json
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP

from schemas import Family
from streams.batches import BatchConsumer, RecordBuffer
from streams.core.timebase import TimeRules
from streams.runtime import Message, Runtime, Skipped
from streams.settings import Settings
from streams.worker import FamilyPipe
from tests.scenario import T0, TARGETS, at, ev


def record(partition: int, offset: int, value: bytes) -> Message:
    """What the consumer hands over for an input topic (`streams.seam`)."""
    return Message(partition, offset, value)


def queued(n: int) -> bytes:
    return json.dumps(
        ev("call.queued", at(T0, n), call_id=f"c{n}", channel="999", queue="fcr")
    ).encode()


def test_a_buffer_hands_on_messages_oldest_first_in_batches_of_at_most_the_size_asked() -> None:
    buffer = RecordBuffer(10)
    buffer.extend([record(0, 5, b"a"), record(0, 6, b"b")])
    buffer.extend([record(1, 0, b"c")])
    buffer.extend([record(0, 7, b"d")])
    assert buffer.take(3) == [Message(0, 5, b"a"), Message(0, 6, b"b"), Message(1, 0, b"c")]
    assert buffer.take(3) == [Message(0, 7, b"d")]
    assert buffer.take(3) == []


def test_messages_read_as_messages_go_into_a_buffer_as_they_are() -> None:
    read = [Message(0, 5, b"a"), Message(0, 6, Skipped(b"", "control", 6))]
    buffer = RecordBuffer(10)
    buffer.extend(read)
    taken = buffer.take(10)
    assert taken == read
    assert all(t is r for t, r in zip(taken, read, strict=True))  # not copied


def test_skipped_offsets_pass_through_a_buffer_as_they_came() -> None:
    marker = Skipped(b"", "control", 3)
    undecodable = Skipped(b"\x00batch", "undecodable", 9, "offsets 4-9 could not be decoded")
    buffer = RecordBuffer(10)
    buffer.extend([record(0, 2, b""), record(0, 3, marker), record(0, 4, undecodable)])
    taken = buffer.take(10)
    assert taken[0] == Message(0, 2, b"")
    assert taken[1].value is marker  # empty, so falsy: still the Skipped
    assert taken[2].value is undecodable
    assert (taken[2].value.kind, taken[2].value.last_offset) == ("undecodable", 9)


def test_a_buffer_never_holds_more_than_its_capacity() -> None:
    buffer = RecordBuffer(3)
    buffer.extend([record(0, n, b"x") for n in range(3)])
    assert buffer.room() == 0
    with pytest.raises(OverflowError):
        buffer.extend([record(0, 3, b"x")])
    buffer.take(2)
    assert buffer.room() == 2
    buffer.clear()
    assert (len(buffer), buffer.room()) == (0, 3)


class FakeConsumer:
    """The parts of Faust's consumer that `BatchConsumer.deliver` uses."""

    deliver = BatchConsumer.deliver
    may_deliver = BatchConsumer.may_deliver

    def __init__(self, buffers: dict[str, RecordBuffer]) -> None:
        self.ccm_buffers = buffers
        self.flow_active = True
        self.should_stop = False
        self.suspend_flow = asyncio.Event()
        self.read_offsets: dict[TP, int | None] = defaultdict(lambda: None)
        self.buffered_partitions: set[TP] = set()
        self.ends: dict[TP, int] = {}

        async def nothing() -> None:
            return None

        self.app = SimpleNamespace(
            consumer_generation_id=1,
            producer=SimpleNamespace(buffer=SimpleNamespace(wait_until_ebb=nothing)),
            flow_control=SimpleNamespace(acquire=nothing),
            monitor=SimpleNamespace(track_tp_end_offset=self.ends.__setitem__),
        )

    def highwater(self, tp: TP) -> int:
        return 100

    def stop_flow(self) -> None:
        """What Faust does as a rebalance starts."""
        self.flow_active = False
        self.suspend_flow.set()

    async def wait_first(self, *waits: Any) -> None:
        tasks = [asyncio.ensure_future(w) for w in waits]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()


def test_the_consumer_waits_for_room_and_each_partition_arrives_whole_and_in_order() -> None:
    buffer = RecordBuffer(4)
    consumer = FakeConsumer({"calls": buffer})
    fetched = [
        (TP("calls", 0), [record(0, n, b"x") for n in range(10)]),
        (TP("calls", 1), [record(1, n, b"y") for n in range(5)]),
    ]
    applied: list[Message] = []
    most_held = 0

    async def agent() -> None:
        nonlocal most_held
        while len(applied) < 15:
            await buffer.wait_for_messages()
            most_held = max(most_held, len(buffer))
            applied.extend(buffer.take(3))
            await asyncio.sleep(0)

    async def main() -> None:
        taking = asyncio.ensure_future(agent())
        await consumer.deliver(fetched, {TP("calls", 0), TP("calls", 1)})
        await asyncio.wait_for(taking, 5)

    asyncio.run(main())
    assert most_held <= 4
    assert [(m.partition, m.offset) for m in applied if m.partition == 0] == [
        (0, n) for n in range(10)
    ]
    assert [(m.partition, m.offset) for m in applied if m.partition == 1] == [
        (1, n) for n in range(5)
    ]
    assert consumer.read_offsets == {TP("calls", 0): 9, TP("calls", 1): 4}
    assert consumer.ends == {TP("calls", 0): 100, TP("calls", 1): 100}


def test_the_consumer_drops_what_faust_would_drop() -> None:
    buffer = RecordBuffer(100)
    consumer = FakeConsumer({"calls": buffer})
    consumer.read_offsets[TP("calls", 0)] = 3  # sought to 3 after these were fetched
    fetched = [
        (TP("calls", 0), [record(0, n, b"x") for n in range(6)]),
        (TP("calls", 1), [record(1, n, b"y") for n in range(2)]),  # paused meanwhile
    ]
    asyncio.run(consumer.deliver(fetched, {TP("calls", 0)}))
    assert [(m.partition, m.offset) for m in buffer.take(100)] == [(0, 3), (0, 4), (0, 5)]


def test_a_rebalance_while_the_consumer_waits_for_room_drops_the_rest_of_the_fetch() -> None:
    buffer = RecordBuffer(2)
    consumer = FakeConsumer({"calls": buffer})
    fetched = [(TP("calls", 0), [record(0, n, b"x") for n in range(5)])]

    async def main() -> None:
        delivering = asyncio.ensure_future(consumer.deliver(fetched, None))
        await asyncio.sleep(0.01)
        assert not delivering.done()  # waiting for room
        consumer.stop_flow()
        buffer.clear()  # Faust's flow control empties the buffers
        await asyncio.wait_for(delivering, 5)

    asyncio.run(main())
    assert len(buffer) == 0


def test_an_agent_applies_a_lone_event_at_once_and_ignores_partitions_not_held() -> None:
    runtime = Runtime(TARGETS, TimeRules())
    runtime.hold(Family.CALLS, {0: None}, {0: 0})
    app = SimpleNamespace(crash=None)
    pipe = FamilyPipe(app, Settings(), runtime, Family.CALLS, "calls", None, None)  # type: ignore[arg-type]
    buffer = RecordBuffer(10)
    state = runtime.states[(Family.CALLS, 0)]

    async def main() -> None:
        agent = asyncio.ensure_future(pipe.run(buffer))
        await asyncio.sleep(0)
        buffer.extend([record(0, 0, queued(0)), record(1, 0, queued(1))])
        for _ in range(3):  # no waiting for a batch to fill: a few turns of the loop
            await asyncio.sleep(0)
        assert (state.offset, state.consumed) == (0, 1)
        assert (Family.CALLS, 1) not in runtime.states  # held by another worker
        assert len(buffer) == 0
        agent.cancel()

    asyncio.run(main())
