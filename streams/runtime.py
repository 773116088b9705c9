"""The worker's partition states between Kafka and the KPI core.

Holds one `PartitionState` per assigned input partition, runs batches of raw
messages through them, and turns them into checkpoints and back. Free of Faust
so that the exactly-once argument can be tested without a broker: a state
restored from a checkpoint skips every offset it already applied.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from schemas import Family, RejectReason
from streams import checkpoints
from streams.checkpoints import Chain, Record
from streams.core.families import FAMILIES
from streams.core.ledger import DeadLetter
from streams.core.partition import SNAPSHOT_VERSION, PartitionState, UnreadableCheckpoint
from streams.core.targets import Targets
from streams.core.timebase import TimeRules

log = logging.getLogger("ccm.runtime")

CONSUMED_FAMILIES = tuple(FAMILIES)


class Skipped(bytes):
    """Offsets ``offset`` .. ``last_offset`` of a partition hold no event for ccm (see
    `streams.seam`, which reads them so).

    A ``bytes`` so that it passes through Faust's stream as any record's value does,
    but never a plain ``bytes``: no message from Kafka can be mistaken for one. Its
    bytes are the undecodable batch as it came (for the dead-letter topic), else empty.
    """

    kind: str
    """``control`` (a transaction's commit or abort marker), ``aborted`` (records of an
    aborted transaction) or ``undecodable``."""
    last_offset: int
    detail: str

    def __new__(cls, raw: bytes, kind: str, last_offset: int, detail: str = "") -> "Skipped":
        skipped = super().__new__(cls, raw)
        skipped.kind = kind
        skipped.last_offset = last_offset
        skipped.detail = detail
        return skipped


@dataclass(frozen=True, slots=True)
class Message:
    partition: int
    offset: int
    value: bytes
    """The message's bytes, or `Skipped` for offsets that hold no event."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """A dead letter with where it came from, for the dead-letter topic's headers."""

    letter: DeadLetter
    partition: int
    offset: int | None


@dataclass(frozen=True, slots=True)
class Applied:
    rejected: list[Rejected]
    touched: set[int]
    """Partitions whose state changed."""
    holes: set[int]
    """Partitions where messages went missing before some that arrived."""


def _undecodable(skipped: Skipped) -> DeadLetter | None:
    if skipped.kind != "undecodable":
        return None  # a transaction's marker or aborted records: no event, nothing wrong
    return DeadLetter(RejectReason.UNDECODABLE, skipped.detail, bytes(skipped))


def _none(_seq: int) -> None:
    return None


def checkpoint_key(topic: str, partition: int) -> bytes:
    """Names the input topic too: a worker pointed at other topics under the same
    application id must not start from their checkpoints."""
    return f"{topic}/{partition}".encode()


class Runtime:
    def __init__(
        self,
        targets: Targets,
        rules: TimeRules,
        checkpoint_version: int = SNAPSHOT_VERSION,
        writer: str = "",
    ) -> None:
        """``checkpoint_version``: the format checkpoints are written in; ``writer``: this
        release, named in the formats that name it."""
        self.targets = targets
        self.rules = rules
        self.checkpoint_version = checkpoint_version
        self.writer = writer
        self.states: dict[tuple[Family, int], PartitionState] = {}
        self.chains: dict[tuple[Family, int], Chain] = {}
        """How each state's checkpoints stand (`streams.checkpoints`)."""
        self.unreadable: dict[tuple[Family, int], str] = {}
        """Partitions assigned here whose checkpoint this ccm cannot read, with why: held
        without a state, so that nothing is counted for them until a worker that can read
        it holds them."""

    def state_for(self, family: Family, partition: int, checkpoint: bytes | None) -> PartitionState:
        key = (family, partition)
        state = self.states.get(key)
        if state is None:
            if checkpoint:
                state, _ = checkpoints.read(checkpoint, _none, self.targets, self.rules)
                log.info("restored %s partition %d: %s", family.value, partition, state.describe())
            else:
                state = PartitionState(family, self.targets, self.rules)
            self._keep(key, state, Chain())
        return state

    def _keep(self, key: tuple[Family, int], state: PartitionState, chain: Chain) -> None:
        self.states[key] = state
        self.chains[key] = chain

    def hold(
        self,
        family: Family,
        snapshots: dict[int, bytes | None],
        log_starts: dict[int, int],
        changes: Callable[[int, int], bytes | None] = lambda partition, seq: None,
    ) -> set[int]:
        """After a rebalance: the partitions of ``family`` this worker now holds, each
        with its latest checkpoint (its snapshot, None: never checkpointed, and
        ``changes(partition, N)``, the N-th record of changes after it: see
        `streams.checkpoints`) and, for those with no state at all, where its log starts.

        A state kept in memory from an earlier assignment stays when it is at least as
        far on as the checkpoint (another worker may have moved the partition on since:
        then the checkpoint wins). Either is whole up to its offset, so the next offset
        it needs is where the partition resumes. A partition never checkpointed starts
        at its log start, so that a message delivered past it is a hole, not a start.

        A checkpoint this ccm cannot read leaves its partition with no state (see
        `unreadable`). Returns the partitions whose checkpoint is in another format than
        this worker writes: to be checkpointed again, whole, in its own.
        """
        self.keep_only(family, snapshots)
        rewrite = set()
        for partition, snapshot in sorted(snapshots.items()):
            key = (family, partition)
            held = self.states.get(key)
            self.unreadable.pop(key, None)
            if snapshot:
                try:
                    restored, chain = checkpoints.read(
                        snapshot, lambda seq, p=partition: changes(p, seq), self.targets, self.rules
                    )
                except UnreadableCheckpoint as error:
                    self.unreadable[key] = str(error)
                    self.states.pop(key, None)
                    self.chains.pop(key, None)
                    log.error(
                        "%s partition %d is not counted here: %s",
                        family.value,
                        partition,
                        error,
                    )
                    continue
                if chain.version != self.checkpoint_version:
                    rewrite.add(partition)
                if held is None or restored.offset > held.offset:
                    self._keep(key, restored, chain)
                    log.info(
                        "restored %s partition %d: %s", family.value, partition, restored.describe()
                    )
                else:
                    # Kept, but another worker may have written since: start a chain of
                    # its own, numbered past the one stored.
                    self.chains[key] = Chain(seq=max(chain.seq, self.chains.get(key, Chain()).seq))
            elif held is None:
                state = PartitionState(family, self.targets, self.rules)
                state.offset = log_starts.get(partition, 0) - 1
                self._keep(key, state, Chain())
        return rewrite

    def keep_only(self, family: Family, partitions: Iterable[int]) -> None:
        """Forget partitions handed to another worker, so no figure is counted twice."""
        keep = set(partitions)
        for key in [k for k in self.unreadable if k[0] is family and k[1] not in keep]:
            del self.unreadable[key]
        for key in [k for k in self.states if k[0] is family and k[1] not in keep]:
            log.info("released %s partition %d", family.value, key[1])
            del self.states[key]
            self.chains.pop(key, None)

    def process(
        self,
        family: Family,
        messages: Iterable[Message],
        wall_us: int,
        checkpoints: dict[int, bytes | None],
    ) -> Applied:
        """Apply a batch in offset order per partition.

        ``checkpoints`` gives, per partition, the stored checkpoint to start from
        when the partition is not loaded yet. A message beyond the next offset a
        partition expects is not applied: the consumer skipped some, and they must
        be read again first (see `Applied.holes`).
        """
        rejected: list[Rejected] = []
        touched: set[int] = set()
        holes: set[int] = set()
        for message in messages:
            state = self.state_for(family, message.partition, checkpoints.get(message.partition))
            if message.offset > state.offset + 1:
                holes.add(message.partition)
                continue
            value = message.value
            if type(value) is Skipped:
                letter = state.skip(value.last_offset, _undecodable(value))
                if letter is not None:
                    rejected.append(Rejected(letter, message.partition, message.offset))
                touched.add(message.partition)
                continue
            for letter in state.process(value, message.offset, wall_us):
                # Orphans found by a sweep are not the message at hand: no offset.
                own = letter.raw is message.value
                rejected.append(
                    Rejected(letter, message.partition, message.offset if own else None)
                )
            touched.add(message.partition)
        return Applied(rejected, touched, holes)

    def log_starts(self, family: Family, starts: dict[int, int]) -> dict[int, int]:
        """Given where each partition's log now starts, count as lost the offsets a
        state still needed that retention has deleted (after a long outage), so that
        the partition goes on from the log start instead of waiting for them for ever.
        Returns how many offsets each such partition lost."""
        lost: dict[int, int] = {}
        for partition, start in starts.items():
            state = self.states.get((family, partition))
            if state is not None and state.offset >= 0 and start > state.offset + 1:
                lost[partition] = state.lose_up_to(start)
                log.error(
                    "%s partition %d: offsets %d-%d were deleted from the topic (retention) "
                    "before this worker could count them; they are lost to the figures "
                    "(ccm_events_lost_total). Keep topic retention longer than the longest "
                    "outage you plan for",
                    family.value,
                    partition,
                    start - lost[partition],
                    start - 1,
                )
        return lost

    def checkpoint(self, family: Family, partition: int) -> bytes:
        """A whole snapshot of one partition's state."""
        return self.states[(family, partition)].snapshot()

    def checkpoint_records(self, family: Family, partition: int, key: bytes) -> list[Record]:
        """The records that checkpoint one partition's state now, under ``key``: what
        changed since its last checkpoint, or now and then a whole snapshot."""
        return checkpoints.write(
            self.states[(family, partition)],
            self.chains[(family, partition)],
            key,
            self.checkpoint_version,
            self.writer,
        )

    def all_states(self) -> list[PartitionState]:
        return list(self.states.values())
