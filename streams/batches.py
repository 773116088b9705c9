"""The worker's input path: record batches from Faust's consumer, handed to the pipes whole.

Faust stays the worker's framework: it subscribes the input topics, keeps the group's
membership, rebalances, recovers the checkpoint tables and serves the web pages. What
it no longer does for the four input topics is deliver their messages one at a time.

Why: Faust's per-message path cost more than ccm's own work. For every record,
`Consumer._drain_messages` races the delivery against two service events through
`Service.wait_first` (four tasks a message); the `Conductor` then takes a lock, builds
an `Event` and queues it, and the agent's `Stream` takes it off the queue again. A
trivial Faust agent, doing nothing with its messages, managed about 14,000 messages/s
on the project's 2-core machines, under the 30,000 events/s target before ccm did any
work; and `take(within=0.2)` held every quiet event back until its batch timed out.
Here the records of a partition in a fetch go into the family's `RecordBuffer` in one
step, as the `Message`s the core takes (about 1.5 us a message, profiled), and the
family's agent applies whatever has arrived as soon as it is free, up to ``batch_max``
at a time (`streams.worker.FamilyPipe.run`).

Measured on a 2-core machine, the two paths run in turn under the same load:
`bench/end_to_end.py --days 2 --probes 30` (25,900 events) went from 4,495 and 3,805
events/s end to end to 7,592 and 7,453, where the replay's producer alone now takes
2.6-3.0 s of the 3.4 s. A worker started after the same events were in Kafka read them
at 14,041 events/s instead of 6,352, the core's own work (decoding, ledger, tallies) now
taking nearly all of its time. From a probe event's send until it was applied (timed by
polling the states' `consumed` counts, not /metrics) p50 went from 150 ms to 8 ms and
p99 from 301 to 146 ms. The bench's own event-to-metric latency went only from p50
360 to 290-300 ms: each of its /metrics scrapes computes every figure, about 150 ms at
that volume, and that is now most of it.

What Faust did on the way and the worker still needs is done here once per batch:
records of a partition not being fetched (paused, revoked) and records fetched before a
rebalance are dropped, as Faust's `Consumer.getmany` drops them; records before the
consumer's read offset (a seek moved past them) are dropped, as `_drain_messages`
drops them; the producer's buffer and Faust's flow control hold delivery back, as the
`Conductor` does; and the buffers are emptied when a rebalance starts, as Faust empties
the streams' queues. Every such drop is safe: a state skips offsets it holds, notices a
hole where some are missing, and the pipe has the consumer read them again
(`streams.worker`). The `Skipped` records of `streams.seam` pass through as
any other value.
"""

import asyncio
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from streams import seam
from streams.runtime import Message


class RecordBuffer:
    """One family's messages fetched and not yet applied: in fetch order (so in offset
    order per partition), and at most ``capacity`` of them. The consumer waits for room
    when it is full, so that Kafka is read no faster than the family is applied."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a record buffer holds at least one message")
        self.capacity = capacity
        self._messages: deque[Message] = deque()
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    def __len__(self) -> int:
        return len(self._messages)

    def room(self) -> int:
        return self.capacity - len(self._messages)

    def extend(self, batch: Sequence[Message]) -> None:
        """Add a partition's messages, in their order (the input topics are read as
        `Message`s, see `streams.seam`). The caller leaves room for them (`room`)."""
        messages = self._messages
        if len(batch) > self.capacity - len(messages):
            raise OverflowError(f"{len(batch)} messages for the {self.room()} left in a buffer")
        messages.extend(batch)
        if messages:
            self._arrived.set()
        if len(messages) >= self.capacity:
            self._room.clear()

    def take(self, most: int) -> list[Message]:
        """Up to ``most`` of the oldest messages, removed from the buffer."""
        messages = self._messages
        if len(messages) <= most:
            batch = list(messages)
            messages.clear()
        else:
            popleft = messages.popleft
            batch = [popleft() for _ in range(most)]
        if not messages:
            self._arrived.clear()
        self._room.set()
        return batch

    def clear(self) -> None:
        """Drop every message (when a rebalance starts: the consumer then reads each
        partition again from its committed offset)."""
        self._messages.clear()
        self._arrived.clear()
        self._room.set()

    async def wait_for_messages(self) -> None:
        await self._arrived.wait()

    async def wait_for_room(self) -> None:
        await self._room.wait()


class BatchConsumer(seam.ReadingConsumer):
    """Faust's Kafka consumer, with the records of the topics in ``ccm_buffers`` taken
    off each fetch and put into their buffers, a partition at a time; the rest (the
    checkpoint tables' changelogs while they recover) goes on through Faust as before."""

    ccm_buffers: Mapping[str, RecordBuffer] = {}
    """Input topic name -> its family's buffer."""

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        # As Faust empties the streams' queues when a rebalance starts: after it, every
        # partition is read again from its committed offset. (Not when the flow resumes,
        # as Faust also does: records delivered after that seek would then be lost, and
        # read again only once their partition's state noticed the hole.)
        for buffer in self.ccm_buffers.values():
            buffer.clear()
        await super().on_partitions_revoked(revoked)

    async def deliver(self, fetched: list[tuple[Any, list[Any]]], active: Any) -> None:
        app = self.app
        generation = app.consumer_generation_id
        read_offset = self.read_offsets
        buffered = self.buffered_partitions
        # The Conductor's holds, once per fetch instead of once per message: dead letters
        # waiting in the producer's buffer, and a rebalance under way.
        await app.producer.buffer.wait_until_ebb()
        await app.flow_control.acquire()
        for tp, records in fetched:
            if not self.may_deliver(generation):
                return  # a rebalance started: Faust drops these too
            if active is not None and tp not in active and tp not in buffered:
                continue  # paused or revoked since the fetch began: as Faust's getmany
            first = read_offset.get(tp)
            if first is not None and records[0].offset < first:
                records = [r for r in records if r.offset >= first]
            buffer = self.ccm_buffers[tp.topic]
            start = 0
            while start < len(records):
                room = buffer.room()
                if room <= 0:
                    # Back-pressure: wait for the family's agent to take a batch, or give
                    # up when a rebalance starts (as Faust's drain gives up a message).
                    await self.wait_first(buffer.wait_for_room(), self.suspend_flow.wait())
                    if not self.may_deliver(generation):
                        return
                    continue
                chunk = records[start : start + room]
                buffer.extend(chunk)
                start += len(chunk)
                read_offset[tp] = chunk[-1].offset
            if records:
                app.monitor.track_tp_end_offset(tp, self.highwater(tp))


def take_batches(app: Any, buffers: Mapping[str, RecordBuffer]) -> None:
    """Have ``app``'s consumer put the records of these topics into their buffers. Call
    before the worker starts (its consumer is created then)."""
    transport = app.transport
    if not isinstance(transport, faust_aiokafka.Transport):
        raise TypeError(f"the worker needs Faust's aiokafka transport, not {transport!r}")
    consumer_class = type(
        "CcmBatchConsumer",
        (BatchConsumer,),
        {"ccm_buffers": dict(buffers), "taken_topics": frozenset(buffers)},
    )
    transport.Consumer = consumer_class
