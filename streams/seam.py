"""Every place ccm reaches below the public API of Faust (with mode, its base), aiokafka
and kafka-python, and nowhere else: `tests/unit/test_seam.py` fails on a private name of
theirs used in any other module of `streams/`.

Each touch point is in `TOUCH_POINTS`: what it is, why ccm needs it, what breaks
without it, and a fingerprint of the library code it depends on. The contract tests
(`tests/unit/test_seam.py`) check each against the installed library and name the touch
point whose code changed, so that a new release of any of the three is tried touch point
by touch point (`make upgrade-check`, and "Upgrading Faust, aiokafka or kafka-python" in
`docs/operating.md`). The version pins in `pyproject.toml` keep the suite on the releases
the fingerprints were taken from.

How the worker reads its input topics, and why it needs these:

- **Read committed, every offset accounted for.** Real producers leave offsets that hold
  no event: the control records that close each transaction, the batches of aborted
  transactions, and (rarely) a batch that cannot be decoded. The worker's exactly-once
  argument needs each partition's offsets without a hole, so that an offset missing from
  delivery (Faust drops messages fetched across a rebalance) is told apart from one that
  never held an event. aiokafka passes over the first two silently and stops the whole
  consumer on the third, so the worker reads through `SkippingPartitionRecords`, which
  hands on, in offset order, a `Skipped` value for every stretch of offsets it passes
  over. aiokafka takes its isolation level only from Faust, which asks for read committed
  only under Faust's own transactions (exactly_once); the worker counts exactly once
  without them, so the level is set here.
- **Batches, not messages.** Faust's per-message delivery cost more than ccm's own work
  (`streams.batches`): `ReadingConsumer` hands each fetch's records of the input topics
  to the worker's buffers whole.
- **Commits of the offsets a checkpoint covers**, not of Faust's own acknowledgements, and
  the set of partitions Faust holds paused (a stalled partition held paused by a
  rebalance that never finished makes the worker not live).
"""

import hashlib
import importlib
import inspect
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka.consumer import fetcher as aiokafka_fetcher
from aiokafka.structs import ConsumerRecord
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from kafka.net.transport import KafkaSSLTransport, KafkaTCPTransport

from streams.runtime import Message, Skipped

log = logging.getLogger("ccm.kafka")


@dataclass(frozen=True)
class TouchPoint:
    """One private part of a library that ccm uses."""

    name: str
    """``module:Owner.member``: where it lives in the library."""
    how: str
    """``calls``, ``reads``, ``sets``, ``overrides``, ``wraps``, ``copies`` or ``patches``."""
    why: str
    breaks: str
    """What goes wrong in ccm if the library changes it."""
    fingerprint: str
    """`fingerprint` of the library's code it depends on, when it was last checked."""
    depends_on: tuple[str, ...] = ()
    """More ``module:Owner.member`` names the same code depends on (fingerprinted too)."""


_ORIGINALS: dict[str, Any] = {
    "aiokafka.consumer.fetcher:PartitionRecords": aiokafka_fetcher.PartitionRecords,
    "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread._create_worker_consumer": (
        faust_aiokafka.AIOKafkaConsumerThread._create_worker_consumer
    ),
    "kafka.net.transport:KafkaTCPTransport._sock_recv": KafkaTCPTransport._sock_recv,
    "kafka.net.transport:KafkaSSLTransport._sock_recv": KafkaSSLTransport._sock_recv,
}
"""What the worker replaces, as the library made it: taken when this module is imported,
before any of it is replaced, so that fingerprints are always of the library's code."""


def _resolve(name: str) -> tuple[Any, str, Any]:
    """The owner, the member's name and the member itself of ``module:Owner.member``, as
    the library made them."""
    module_name, _, path = name.partition(":")
    owner: Any = importlib.import_module(module_name)
    *owners, member = path.split(".")
    for n, part in enumerate(owners):
        key = f"{module_name}:{'.'.join(owners[: n + 1])}"
        owner = _ORIGINALS[key] if key in _ORIGINALS else getattr(owner, part)
    found = _ORIGINALS.get(name, inspect.getattr_static(owner, member, None))
    return owner, member, found


def _code_of(name: str) -> str:
    """The library's source that ``name`` stands for: a function's own source, or, for an
    attribute, every line of its owner's source that names it."""
    owner, member, found = _resolve(name)
    target = getattr(found, "__func__", found)
    if inspect.isfunction(target):
        return inspect.getsource(target)
    lines = [line.strip() for line in inspect.getsource(owner).splitlines() if member in line]
    if not lines:
        raise LookupError(f"{name}: not found in the library's source")
    return "\n".join(lines)


def fingerprint(point: "TouchPoint | str") -> str:
    """A short digest of the library code a touch point depends on, as installed now."""
    names = (point,) if isinstance(point, str) else (point.name, *point.depends_on)
    digest = hashlib.sha256()
    for name in names:
        digest.update(_code_of(name).encode())
    return digest.hexdigest()[:16]


FAUST_CONSUMER = "faust.transport.consumer:Consumer"
FAUST_KAFKA_CONSUMER = "faust.transport.drivers.aiokafka:Consumer"
FAUST_CONSUMER_THREAD = "faust.transport.drivers.aiokafka:AIOKafkaConsumerThread"
AIOKAFKA_CONSUMER = "aiokafka.consumer.consumer:AIOKafkaConsumer"
AIOKAFKA_RECORDS = "aiokafka.consumer.fetcher:PartitionRecords"


_input_topics: frozenset[str] = frozenset()
"""Topics whose records are read as the `Message`s the worker's pipes apply (partition,
offset and value only), not as aiokafka's `ConsumerRecord`s: an object of eleven fields
made for each record, then copied into a `Message`, cost the worker some 4 % of its time
reading a backlog. Faust's own topics (the checkpoint tables) stay as they were."""


def _skipped_record(tp: Any, first: int, skipped: Skipped) -> ConsumerRecord | Message:
    if tp.topic in _input_topics:
        return Message(tp.partition, first, skipped)
    return ConsumerRecord(tp.topic, tp.partition, first, -1, 0, None, skipped, None, -1, -1, ())


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
        # No bytes: aiokafka's compiled record reader does not hand a batch's bytes out.
        yield _skipped_record(tp, first, Skipped(b"", "undecodable", last, detail))


class ReadingConsumer(faust_aiokafka.Consumer):
    """Faust's Kafka consumer, with each fetch's records of the ``taken_topics`` handed to
    `deliver` (see `streams.batches`); the rest (the checkpoint tables' changelogs while
    they recover) goes on through Faust as before."""

    taken_topics: Collection[str] = frozenset()

    async def _wait_next_records(self, timeout: float) -> tuple[Any, Any]:
        taken = self.taken_topics
        while True:
            records, active_partitions = await super()._wait_next_records(timeout)
            if not records or not taken:
                return records, active_partitions
            ours = [(tp, batch) for tp, batch in records.items() if tp.topic in taken]
            if not ours:
                return records, active_partitions
            # Faust's `getmany` goes on with the rest; with none left it still seeks back
            # to the committed offsets if the flow stopped meanwhile (a rebalance started).
            rest = {tp: batch for tp, batch in records.items() if tp.topic not in taken}
            generation = self.app.consumer_generation_id
            await self.deliver(ours, active_partitions)
            if rest or not self.may_deliver(generation):
                return rest, active_partitions
            # Ask the consumer's thread for the next records now, before the agents take
            # the event loop to apply these: back through Faust's loop, the request waited
            # for an agent's batch or two, and a partition with a backlog was read in
            # fits, its next fetch sent only once the request came.

    async def deliver(self, fetched: list[tuple[Any, list[Any]]], active: Any) -> None:
        """Take the records of one fetch, partition by partition."""
        raise NotImplementedError

    def may_deliver(self, generation: int) -> bool:
        """Whether records fetched in consumer generation ``generation`` may still go on."""
        return (
            self.flow_active
            and not self.should_stop
            and self.app.consumer_generation_id == generation
        )

    @property
    def read_offsets(self) -> dict[TP, int | None]:
        """The offset last delivered of each partition: records before it are stale (a
        seek moved past them), as Faust's own drain treats them."""
        return self._read_offset

    @property
    def buffered_partitions(self) -> set[TP]:
        """Partitions whose records Faust still delivers though no longer active."""
        return self._buffered_partitions


COMMIT = "_commit"
PAUSED_PARTITIONS = "_paused_partitions"
"""The names of Faust's consumer's members that `commit` and `paused_partitions` use: a
stand-in consumer in a test provides them under these names."""


def commit(consumer: Any, offsets: Mapping[TP, int]) -> Any:
    """Commit these offsets (an awaitable). Faust's public `commit` commits the offsets
    of the messages its streams acknowledged, which the worker's pipes never do."""
    return getattr(consumer, COMMIT)(offsets)


def paused_partitions(consumer: Any) -> set[TP]:
    """The partitions Faust holds paused, its own pauses (a rebalance's recovery) too."""
    return set(getattr(consumer, PAUSED_PARTITIONS))


def mended(transport: type) -> bool:
    """Whether kafka-python's ``transport`` reads through `mend_read_before_close`."""
    return bool(getattr(transport._sock_recv, "ccm_mended", False))


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


def install_reading(
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


def _close_after_the_bytes(read: Any) -> Any:
    def sock_recv(transport: Any) -> tuple[Any, Any]:
        data, error = read(transport)
        return data, None if data else error

    sock_recv.ccm_mended = True  # type: ignore[attr-defined]
    return sock_recv


def mend_read_before_close() -> None:
    """kafka-python drops the bytes read in the same pass as the broker's close.

    A broker that refuses a SASL login answers with the reason and then closes the
    connection; when both reach the client in one read, kafka-python 3.0 discards the
    answer and reports only "socket disconnected", so a wrong password looked like an
    unreachable cluster. Here such a read hands its bytes on as usual and leaves the
    close to the next read (a closed socket stays readable and reads empty), by which
    time the answer has been acted on. Called once, before any client connects."""
    for transport in (KafkaTCPTransport, KafkaSSLTransport):
        if not mended(transport):
            transport._sock_recv = _close_after_the_bytes(transport._sock_recv)


TOUCH_POINTS: tuple[TouchPoint, ...] = (
    TouchPoint(
        f"{AIOKAFKA_RECORDS}._unpack_records",
        "copies",
        "`SkippingPartitionRecords` is aiokafka's record iterator with a `Skipped` value for "
        "every stretch of offsets it passes over, and an undecodable batch skipped",
        "a copy that no longer matches aiokafka's steps loses or repeats offsets, or skips "
        "aborted transactions wrongly: counts stop being exact",
        "b535100c635d5079",
        (
            f"{AIOKAFKA_RECORDS}.__init__",
            f"{AIOKAFKA_RECORDS}._consume_aborted_up_to",
            f"{AIOKAFKA_RECORDS}._contains_abort_marker",
            f"{AIOKAFKA_RECORDS}._consumer_record",
        ),
    ),
    TouchPoint(
        "aiokafka.consumer.fetcher:PartitionRecords",
        "patches",
        "aiokafka's fetcher makes its record iterators from this module attribute: the "
        "worker's reading replaces it with `SkippingPartitionRecords`",
        "aborted transactions' offsets and control records leave holes the worker waits on "
        "(a partition stalls), and one undecodable batch stops the consumer",
        "87d40671b3dbd8e0",
        ("aiokafka.consumer.fetcher:Fetcher._proc_fetch_request",),
    ),
    TouchPoint(
        f"{FAUST_CONSUMER_THREAD}._create_worker_consumer",
        "wraps",
        "the one place the aiokafka consumer exists before it starts: its isolation level, "
        "fetch size and fetch wait are set on it there",
        "the worker reads uncommitted records (aborted transactions counted) and Faust's "
        "1,500 ms fetch wait stalls a single partition's backlog",
        "c2701bfc3e6f6cad",
    ),
    TouchPoint(
        f"{AIOKAFKA_CONSUMER}._isolation_level",
        "sets",
        "read committed without Faust's exactly-once transactions",
        "aborted transactions' events are counted",
        "fc6842aeab89124b",
        (f"{AIOKAFKA_CONSUMER}.start",),
    ),
    TouchPoint(
        f"{AIOKAFKA_CONSUMER}._fetch_max_bytes",
        "sets",
        "Faust passes no fetch_max_bytes: one answer is held to FETCH_MAX_BYTES",
        "a year's backlog peaks higher (answers of up to 60 MiB)",
        "f0e7daa9426ee117",
    ),
    TouchPoint(
        f"{AIOKAFKA_CONSUMER}._fetch_max_wait_ms",
        "sets",
        "Faust fixes the broker's hold on a fetch at 1,500 ms; the worker's is FETCH_MAX_WAIT_MS",
        "a single partition's backlog is read at a fifth of the speed",
        "130adfef3f7c50a2",
    ),
    TouchPoint(
        f"{FAUST_CONSUMER}._wait_next_records",
        "overrides",
        "`ReadingConsumer` takes each fetch's records of the input topics whole, and asks "
        "for the next at once",
        "every message goes through Faust's per-message path (a third of the speed), or the "
        "records never reach the worker's buffers",
        "6218e1969a636b3f",
    ),
    TouchPoint(
        f"{FAUST_CONSUMER}._read_offset",
        "reads",
        "records before a partition's read offset are stale after a seek, and dropped",
        "records fetched before a seek are applied after it: holes and re-reads",
        "aff2c6fde3c4aeff",
    ),
    TouchPoint(
        f"{FAUST_CONSUMER}._buffered_partitions",
        "reads",
        "Faust still delivers these partitions' records though they are not active",
        "records Faust would deliver are dropped and read again later",
        "c095104a250f2044",
    ),
    TouchPoint(
        f"{FAUST_CONSUMER}._paused_partitions",
        "reads",
        "a stalled partition Faust holds paused makes the worker not live (`/healthz`)",
        "a worker stuck after a rebalance that never finished reports itself healthy",
        "2f739ce40789715d",
    ),
    TouchPoint(
        f"{FAUST_KAFKA_CONSUMER}._commit",
        "calls",
        "commits the offsets each checkpoint covers, once Kafka has acknowledged it",
        "no offset is committed: every restart reads from the start of the log",
        "a20eec84e4b2ed50",
    ),
    TouchPoint(
        "kafka.net.transport:KafkaTCPTransport._sock_recv",
        "patches",
        "a broker's answer read together with its close is handed on (`mend_read_before_close`)",
        "a refused SASL login reads as an unreachable cluster",
        "59588eb70044bcef",
        ("kafka.net.transport:KafkaSSLTransport._sock_recv",),
    ),
)
