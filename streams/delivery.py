"""One family's delivery bookkeeping: what decides that each message counts exactly once.

Which partitions changed since the last checkpoint, which offsets a checkpoint
covers, which dead letters and checkpoint records Kafka has not acknowledged yet,
which partitions have messages missing from delivery, and how far each partition is
behind its log. The worker (`streams.worker.FamilyPipe`) asks it what to write, what
to commit and where to seek, and makes the Faust and Kafka calls itself; the order of
the steps, and why it makes the counts exact, is in `streams.worker`.

Free of Faust and Kafka, so that the argument is tested with plain numbers: partitions
and offsets in, records, offsets and dead letters out. Kafka's acknowledgements are
opaque handles (the producer's futures, in the worker) that the caller resolves.
"""

import logging
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Generic, TypeVar

from schemas import Family, RejectReason
from streams.checkpoints import Record
from streams.core.catalog import (
    CHECKPOINT_ACKNOWLEDGED,
    CHECKPOINT_DURATION,
    CHECKPOINTS_FORMAT,
    CHECKPOINTS_UNREADABLE,
    CONSUMER_LAG,
    CONSUMER_STALLED,
    DEADLETTERS,
)
from streams.core.partition import WRITABLE_VERSIONS, PartitionState
from streams.progress import ProgressWatch
from streams.runtime import Message, Rejected, Runtime, checkpoint_key

# The worker's own lines, whichever module decides them: one logger for an operator to
# follow a worker by.
log = logging.getLogger("ccm.worker")

ACK_WAIT_SECONDS = 10
"""How long a checkpoint waits for Kafka to acknowledge its records before it leaves
the commit to the next one, so that a slow broker delays commits, not the figures."""

REREAD_SECONDS = 1.0
"""A gap is sought again at most this often (see `Delivery.reread_due`)."""

Handle = TypeVar("Handle")
"""Kafka's acknowledgement of one send, as the caller holds it (a future)."""


@dataclass(frozen=True, slots=True)
class Letter:
    """A dead letter to send: the message's bytes and the headers that say why."""

    value: bytes
    headers: dict[str, bytes]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One checkpoint under way."""

    records: list[tuple[int, Record]]
    """Each checkpoint table partition with a record to write to it, in order."""
    covered: dict[int, int]
    """The offset each partition's record covers: where its committed offset may go."""
    started: float
    due: tuple[int, ...] = ()
    """The partitions touched since the last checkpoint, to take records of (`take`)."""


class Delivery(Generic[Handle]):
    """The bookkeeping of one family's partitions between applying and committing.

    Times are the caller's monotonic clock, in seconds; the wall clock only dates the
    last acknowledged checkpoint.
    """

    def __init__(
        self,
        runtime: Runtime,
        family: Family,
        topic: str,
        checkpoint_seconds: float,
        stall_seconds: float,
        now: float,
    ) -> None:
        self.runtime = runtime
        self.family = family
        self.topic = topic
        self.checkpoint_seconds = checkpoint_seconds
        self.stall_seconds = stall_seconds
        self.ack_wait_seconds: float = ACK_WAIT_SECONDS
        self.touched: set[int] = set()
        self.last_checkpoint = now
        self.snapshot_seconds = 0.0
        """How long the last checkpoint took to write: checkpoints spend at most a tenth
        of the time, however large the state grows through a month."""
        self.last_reread = 0.0
        self.gaps: dict[int, int] = {}
        """Partitions with messages missing from delivery, and the offset their state had
        then: the gap is closed once the state moves past it."""
        self.progress = ProgressWatch(stall_seconds)
        self.stalled: tuple[int, ...] = ()
        self.deadletters: Counter[RejectReason] = Counter()
        """Dead letters this process sent: unlike the partitions' counts of rejections,
        which move with the partitions, this only grows while the process runs, so an
        alert can tell that dead letters are arriving."""
        self.acknowledged_at: float | None = None
        self.took_seconds = 0.0
        """How long the last acknowledged checkpoint took, from its start to its commit."""
        self.unconfirmed: list[Handle] = []
        """Dead letters and checkpoint records handed to the producer and not yet
        acknowledged by Kafka: no offset is committed past them until they are."""

    # Applying

    def apply(self, messages: list[Message], wall_us: int) -> list[Letter]:
        """Apply a batch; returns the dead letters to send, each of whose sends the
        caller hands back (`sending`)."""
        # Only partitions whose state was set up when they were assigned: a message
        # Faust still had from before a rebalance, for a partition not (or no longer)
        # held, is left to whoever holds it (it is read again from the checkpoint).
        held = self.runtime.states
        messages = [m for m in messages if (self.family, m.partition) in held]
        applied = self.runtime.process(self.family, messages, wall_us, {})
        letters: list[Letter] = []
        for item in applied.rejected:
            if item.letter.reason is RejectReason.UNPROCESSABLE:
                log.error(
                    "%s partition %d offset %s: %s",
                    self.family.value,
                    item.partition,
                    item.offset,
                    item.letter.detail,
                )
            letters.append(self.letter(item))
        self.touched |= applied.touched
        for partition, seen_at in list(self.gaps.items()):
            state = self.runtime.states.get((self.family, partition))
            if state is None or state.offset > seen_at:
                del self.gaps[partition]  # read again (or handed to another worker)
        for partition in applied.holes:
            state = self.runtime.states.get((self.family, partition))
            if state is not None:
                self.gaps.setdefault(partition, state.offset)
        return letters

    def letter(self, rejected: Rejected) -> Letter:
        """A dead letter to send, counted as sent. Its headers tell repeats after a crash
        apart by the source partition and offset (no offset for an orphan a sweep found:
        it is not the message at hand)."""
        headers = {
            "ccm-reason": rejected.letter.reason.value.encode(),
            "ccm-detail": rejected.letter.detail.encode(),
            "ccm-family": self.family.value.encode(),
            "ccm-source-partition": str(rejected.partition).encode(),
        }
        if rejected.offset is not None:
            headers["ccm-source-offset"] = str(rejected.offset).encode()
        self.deadletters[rejected.letter.reason] += 1
        return Letter(rejected.letter.raw, headers)

    def sending(self, handle: Handle) -> None:
        """A dead letter or checkpoint record handed to the producer: no commit passes it
        until Kafka has acknowledged it."""
        self.unconfirmed.append(handle)

    # Checkpointing and committing

    def checkpoint_due(self, now: float) -> bool:
        interval = max(self.checkpoint_seconds, 10 * self.snapshot_seconds)
        return now - self.last_checkpoint >= interval

    def start_checkpoint(self, now: float) -> Checkpoint | None:
        """A checkpoint of the partitions touched since the last (`Checkpoint.due`), with
        no records yet: `take` takes each partition's, one at a time. None when none
        was touched."""
        touched, self.touched = self.touched, set()
        if not touched:
            self.last_checkpoint = now
            return None
        return Checkpoint([], {}, now, tuple(sorted(touched)))

    def take(
        self, checkpoint: Checkpoint, partition: int, assigned: Collection[int]
    ) -> list[tuple[int, Record]]:
        """The records that checkpoint ``partition`` now, added to ``checkpoint`` with the
        offset they cover: the agent may apply more while they are on their way, or
        before the next partition's are taken. Nothing for a partition not in
        ``assigned`` (the consumer's partitions of the topic now)."""
        state = self.runtime.states.get((self.family, partition))
        if state is None:
            return []
        if partition not in assigned:
            # Mid-rebalance, or handed to another worker, which goes on from the last
            # checkpoint: one from here now could overwrite the newer one it writes.
            # Taken at the next checkpoint should the partition stay here.
            self.touched.add(partition)
            return []
        checkpoint.covered[partition] = state.offset + 1
        self.touched.discard(partition)  # what it applied since the start is in these
        records = [
            (partition, record)
            for record in self.runtime.checkpoint_records(
                self.family, partition, checkpoint_key(self.topic, partition)
            )
        ]
        checkpoint.records.extend(records)
        return records

    def written(self, checkpoint: Checkpoint, now: float) -> list[Handle]:
        """The checkpoint's records are handed to the producer (`sending`): the sends to
        wait for before anything is committed, every one not yet acknowledged."""
        self.snapshot_seconds = now - checkpoint.started
        waiting, self.unconfirmed = self.unconfirmed, []
        return waiting

    def settle(
        self, checkpoint: Checkpoint, pending: Collection[Handle], now: float
    ) -> dict[int, int] | None:
        """Kafka has acknowledged every send waited for but ``pending``: the offset to
        commit for each partition, or None to commit nothing yet."""
        if pending:
            # Not yet durable: commit nothing, keep applying, and try again with fresh
            # snapshots next time (these records are still awaited then).
            self.unconfirmed = [*pending, *self.unconfirmed]
            self.touched |= set(checkpoint.covered)
            self.last_checkpoint = now
            log.warning(
                "%s: Kafka has not acknowledged %d checkpoint records and dead letters "
                "within %d s; no offset is committed until it has",
                self.family.value,
                len(pending),
                self.ack_wait_seconds,
            )
            return None
        # Only now, with state and dead letters durable, move the group's offsets; not for
        # a partition handed to another worker meanwhile.
        return {
            partition: offset
            for partition, offset in checkpoint.covered.items()
            if (self.family, partition) in self.runtime.states
        }

    def committed(self, checkpoint: Checkpoint, now: float, wall: float) -> None:
        """The offsets `settle` gave are committed (at ``wall``, seconds since the epoch)."""
        self.last_checkpoint = now
        self.acknowledged_at = wall
        self.took_seconds = now - checkpoint.started

    # Messages missing from delivery

    def reread_due(self, now: float) -> bool:
        """Whether to read the gaps again now: once a second at most, as records fetched
        before a seek can still overtake it."""
        if not self.gaps or now - self.last_reread < REREAD_SECONDS:
            return False
        self.last_reread = now
        log.warning(
            "%s partitions %s: messages went missing in delivery; reading them again",
            self.family.value,
            sorted(self.gaps),
        )
        return True

    def gaps_held(self, assigned: Collection[int]) -> list[int]:
        """The partitions with a gap among ``assigned``, whose log starts to look up."""
        return [p for p in self.gaps if p in assigned]

    def log_starts(self, starts: dict[int, int | None]) -> None:
        """Where the logs of `gaps_held` start now. A gap that retention made (the log
        now starts past what the state needs) can never be read again: count it lost and
        go on from the log start."""
        lost = self.runtime.log_starts(
            self.family, {p: start for p, start in starts.items() if start is not None}
        )
        # Their gaps close as soon as the seek (`reread_from`) brings the log start.
        self.touched |= set(lost)

    def reread_from(self, assigned: Collection[int]) -> dict[int, int]:
        """Where to seek each partition with a gap among ``assigned``: the next offset its
        state needs (the checkpoint decides, not the committed offset)."""
        positions = {}
        for partition in self.gaps:
            state = self.runtime.states.get((self.family, partition))
            if state is not None and partition in assigned:
                positions[partition] = state.offset + 1
        return positions

    def formats(self) -> Counter[int]:
        """How many partitions of the family have their latest checkpoint in each format
        (every format this ccm writes, from 0)."""
        found: Counter[int] = Counter(dict.fromkeys(WRITABLE_VERSIONS, 0))
        for (family, _), chain in list(self.runtime.chains.items()):
            if family is self.family and chain.version is not None:
                found[chain.version] += 1
        return found

    def rewrite(self, partitions: Collection[int]) -> None:
        """Checkpoint ``partitions`` next time even if nothing changed: their latest
        checkpoint is in another format than this worker writes."""
        self.touched |= set(partitions)

    def resume_from(self, assigned: Collection[int]) -> dict[int, int]:
        """Where each of ``assigned`` resumes after a rebalance: the next offset its state
        needs, whatever offset is committed. Each is checkpointed next time, which
        commits that offset: a state restored ahead of the committed offset (a crash
        between a checkpoint and its commit) has no message read again to do it."""
        positions = {p: state.offset + 1 for p, state in self.held().items() if p in assigned}
        self.touched |= set(positions)
        return positions

    # Progress

    def held(self) -> dict[int, PartitionState]:
        """This family's states now, by partition: the ones `read_progress` reads."""
        return {
            partition: state
            for (family, partition), state in list(self.runtime.states.items())
            if family is self.family
        }

    def read_progress(
        self,
        held: dict[int, PartitionState],
        ends: dict[int, int | None],
        now: float,
        paused: Collection[int] = (),
    ) -> dict[int, int]:
        """Lag and the stall signal (`streams.progress`) from the log ends of the ``held``
        partitions the consumer is assigned (``ends``, as Kafka reports them now: not the
        consumer's last fetch, which a stalled consumer never updates); ``paused``, the
        partitions the consumer has paused, for the log. Returns where to seek the
        partitions that have just stalled: the offsets their states need."""
        positions = {
            partition: (held[partition].offset + 1, end)
            for partition, end in ends.items()
            if end is not None and partition in held
        }
        reading = self.progress.read(positions, now)
        self.stalled = reading.stalled
        if not reading.newly_stalled:
            return {}
        log.error(
            "%s partitions %s have stopped: behind the log end and unmoved for %d s "
            "(%s); seeking them to the offsets their states need. If this repeats, "
            "restart the worker: its partitions resume from their checkpoints",
            self.family.value,
            list(reading.newly_stalled),
            self.stall_seconds,
            ", ".join(
                f"partition {p} at {positions[p][0]} of {positions[p][1]}"
                f"{' (paused)' if p in paused else ''}"
                for p in reading.newly_stalled
            ),
        )
        return {p: positions[p][0] for p in reading.newly_stalled}

    def figures(self) -> dict[str, dict[tuple[str, ...], float]]:
        family = self.family.value
        lag = self.progress.lag(
            {
                partition: state.offset + 1
                for (f, partition), state in list(self.runtime.states.items())
                if f is self.family
            }
        )
        figures: dict[str, dict[tuple[str, ...], float]] = {
            CONSUMER_LAG.name: {(family,): lag},
            CONSUMER_STALLED.name: {(family,): int(bool(self.stalled))},
            DEADLETTERS.name: {
                (family, reason.value): self.deadletters[reason] for reason in RejectReason
            },
            CHECKPOINT_DURATION.name: {(family,): self.took_seconds},
            CHECKPOINTS_UNREADABLE.name: {
                (family,): sum(1 for f, _ in self.runtime.unreadable if f is self.family)
            },
            CHECKPOINTS_FORMAT.name: {
                (family, str(version)): n for version, n in self.formats().items()
            },
        }
        if self.acknowledged_at is not None:
            figures[CHECKPOINT_ACKNOWLEDGED.name] = {(family,): self.acknowledged_at}
        return figures
