"""How the worker reads its input topics: read committed, and every offset accounted for.

Real producers leave offsets that hold no event: the control records that close each
transaction, the batches of aborted transactions, and (rarely) a batch that cannot be
decoded. The worker's exactly-once argument needs each partition's offsets without a
hole, so that an offset missing from delivery (Faust drops messages fetched across a
rebalance) is told apart from one that never held an event. aiokafka passes over the
first two silently and stops the whole consumer on the third, so the worker reads
through `SkippingPartitionRecords` instead, which hands on, in offset order, a
`Skipped` value for every stretch of offsets it passes over.

aiokafka takes its isolation level only from Faust, which asks for read committed
only under Faust's own transactions (exactly_once); the worker counts exactly once
without them, so the level is set here.
"""

import logging
from collections.abc import Collection
from typing import Any

from aiokafka.consumer import fetcher as aiokafka_fetcher
from aiokafka.structs import ConsumerRecord
from faust.transport.drivers import aiokafka as faust_aiokafka

from streams.runtime import Message, Skipped

log = logging.getLogger("ccm.kafka")

_input_topics: frozenset[str] = frozenset()
"""Topics whose records are read as the `Message`s the worker's pipes apply (partition,
offset and value only), not as aiokafka's `ConsumerRecord`s: an object of eleven fields
made for each record, then copied into a `Message`, cost the worker some 4 % of its time
reading a backlog. Faust's own topics (the checkpoint tables) stay as they were."""


def _skipped_record(tp: Any, first: int, skipped: Skipped) -> ConsumerRecord | Message:
    if tp.topic in _input_topics:
        return Message(tp.partition, first, skipped)
    return ConsumerRecord(tp.topic, tp.partition, first, -1, 0, None, skipped, None, -1, -1, ())


def _batch_bytes(batch: Any) -> bytes:
    """The batch as it was fetched, when aiokafka's record batch still holds it."""
    buffer = getattr(batch, "_buffer", None)
    try:
        return bytes(buffer) if buffer is not None else b""
    except (TypeError, ValueError):
        return b""


class SkippingPartitionRecords(aiokafka_fetcher.PartitionRecords):
    """aiokafka 0.14's record iterator (`PartitionRecords._unpack_records`, same
    steps and order), with a `Skipped` record wherever it passes offsets over, and an
    undecodable batch skipped rather than raised out of the consumer."""

    def _unpack_records(self):  # type: ignore[no-untyped-def]
        tp = self._tp
        records = self._records
        as_message = tp.topic in _input_topics
        while records.has_next():
            batch = records.next_batch()
            first = max(batch.base_offset, self.next_fetch_offset)
            last = batch.next_offset - 1
            if self._check_crcs and not batch.validate_crc():
                yield from self._skip(tp, first, last, batch, "the batch's CRC does not match")
                continue
            if (
                self._isolation_level == aiokafka_fetcher.READ_COMMITTED
                and batch.producer_id is not None
            ):
                self._consume_aborted_up_to(batch.base_offset)
                if batch.is_control_batch and self._contains_abort_marker(batch):
                    self._aborted_producers.discard(batch.producer_id)
                if batch.is_transactional and batch.producer_id in self._aborted_producers:
                    self.next_fetch_offset = batch.next_offset
                    if first <= last:
                        yield _skipped_record(tp, first, Skipped(b"", "aborted", last))
                    continue
            if batch.is_control_batch:
                self.next_fetch_offset = batch.next_offset
                if first <= last:
                    yield _skipped_record(tp, first, Skipped(b"", "control", last))
                continue
            # A record at a time, as aiokafka does: held whole, every fetched partition's
            # current batch was some 25 MiB of a year's replay at its peak. A batch that
            # cannot be decompressed fails before its first record; one that fails part
            # way skips only the offsets not yet handed on.
            try:
                for record in batch:
                    if record.offset < self.next_fetch_offset:
                        continue
                    if as_message:
                        # Not `value or b""`: b"" is falsy too, and this is every record.
                        value = record.value
                        consumer_record = Message(
                            tp.partition, record.offset, b"" if value is None else value
                        )
                    else:
                        consumer_record = self._consumer_record(tp, record)
                    self.next_fetch_offset = record.offset + 1
                    yield consumer_record
            except Exception as error:
                failed_from = max(first, self.next_fetch_offset)
                yield from self._skip(tp, failed_from, last, batch, type(error).__name__)
                continue
            self.next_fetch_offset = batch.next_offset

    def _skip(self, tp: Any, first: int, last: int, batch: Any, why: str):  # type: ignore[no-untyped-def]
        self.next_fetch_offset = batch.next_offset
        if first > last:
            return
        codec = getattr(batch, "compression_type", "unknown")
        log.error(
            "%s partition %d offsets %d-%d: a record batch could not be decoded (%s, "
            "compression type %s); it is dead-lettered and the worker goes on",
            tp.topic,
            tp.partition,
            first,
            last,
            why,
            codec,
        )
        detail = (
            f"offsets {first}-{last} of partition {tp.partition} came in a record batch that "
            f"could not be decoded ({why}, compression type {codec}); the producer should "
            "send them again, with a codec Kafka supports (none, gzip, snappy, lz4, zstd)"
        )
        yield _skipped_record(tp, first, Skipped(_batch_bytes(batch), "undecodable", last, detail))


_original_create_worker_consumer = faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer


_fetch_max_bytes: int | None = None
_fetch_max_wait_ms: int | None = None


def _create_read_committed_consumer(self: Any, transport: Any) -> Any:
    consumer = _original_create_worker_consumer(self, transport)
    # Read by the fetcher aiokafka creates at start(), which is still to come.
    consumer._isolation_level = "read_committed"
    if _fetch_max_bytes is not None:  # Faust passes no fetch_max_bytes of its own
        consumer._fetch_max_bytes = _fetch_max_bytes
    if _fetch_max_wait_ms is not None:  # Faust's is fixed, at 1,500 ms
        consumer._fetch_max_wait_ms = _fetch_max_wait_ms
    return consumer


def install(
    fetch_max_bytes: int | None = None,
    fetch_max_wait_ms: int | None = None,
    input_topics: Collection[str] = (),
) -> None:
    """Read every topic committed, and through `SkippingPartitionRecords`, with at most
    ``fetch_max_bytes`` in one fetch's answer (aiokafka's default: 50 MiB), a fetch held
    by the broker at most ``fetch_max_wait_ms`` while it has nothing to answer with, and
    the records of ``input_topics`` read as `Message`s. For the worker's process; the
    command-line tools read no input topic."""
    global _fetch_max_bytes, _fetch_max_wait_ms, _input_topics
    _fetch_max_bytes = fetch_max_bytes
    _fetch_max_wait_ms = fetch_max_wait_ms
    _input_topics = frozenset(input_topics)
    aiokafka_fetcher.PartitionRecords = SkippingPartitionRecords  # type: ignore[misc]
    faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer = (  # type: ignore[method-assign]
        _create_read_committed_consumer
    )
