"""Recompute the worker's partition states from a JSON-lines event file, without Kafka.

Each line goes where `ccm replay` would send it: the topic of its family, the
partition Kafka's default partitioner picks for its key (murmur2 of the key's
UTF-8 bytes), at the next offset of that partition in file order. Each
(family, partition) state then runs `PartitionState.process` exactly as the
worker does, so the monthly pack made from these states is the worker's; without the
live windows, which no pack reads (a third of applying a year, kept by a worker only).
Lines that are not valid events are counted with their reason and line number;
they never stop the run (the worker dead-letters them).

The wall clock is one instant for the whole run, by default when the export runs: the
file is read as a worker reading it then would read it (docs/exports.md says why).
"""

import gc
import multiprocessing
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import orjson

from schemas import EVENT_MODELS, Envelope, Family, RejectReason, decode
from streams.core.partition import PartitionState
from streams.core.placement import partition_for
from streams.core.targets import Targets
from streams.core.timebase import TimeRules, from_us
from streams.replay import RejectedLine, read_lines

DEFAULT_PARTITIONS = 6
"""As `Settings.topic_partitions`: what the worker creates topics with."""

REPLAY_WALL_US = 2**62
"""A wall clock far after any event, when none is given: no partition counts as live and
no event as dated in the future."""


class Partitioner:
    """`partition_for`, remembering the keys of the last few lifecycles: a call's events
    come close together, and a dict lookup beats even the compiled murmur2 (routing four
    months of a force's log: 0.28 µs a line, against 0.40)."""

    def __init__(self, partitions: int, remembered: int = 4096) -> None:
        self.partitions = partitions
        self.remembered = remembered
        self._known: dict[str, int] = {}

    def __call__(self, key: str) -> int:
        found = self._known.get(key)
        if found is None:
            if len(self._known) >= self.remembered:
                self._known.clear()
            found = self._known[key] = partition_for(key, self.partitions)
        return found


@dataclass
class LogRun:
    """The states a worker would hold after consuming the file, and what was refused."""

    states: dict[tuple[Family, int], PartitionState] = field(default_factory=dict)
    wall_us: int = REPLAY_WALL_US
    """The instant events were judged against for being dated in the future."""
    lines: int = 0
    undecodable: list[RejectedLine] = field(default_factory=list)
    """Lines that are not events: never sent by `ccm replay`, dead-lettered by a worker."""

    @property
    def rejected(self) -> Counter[RejectReason]:
        """Every refusal by reason: undecodable lines and what the states dead-lettered
        (too late, conflicts, orphans)."""
        total: Counter[RejectReason] = Counter(r.reason for r in self.undecodable)
        for state in self.states.values():
            total.update(state.rejected)
        return total

    @property
    def duplicates(self) -> int:
        return sum(state.duplicates for state in self.states.values())

    def summary(self, max_listed: int = 20) -> str:
        lines = [f"read {self.lines} events into {len(self.states)} partition states"]
        if self.duplicates:
            lines.append(f"duplicates ignored: {self.duplicates}")
        rejected = self.rejected
        if rejected:
            reasons = ", ".join(f"{r.value} {n}" for r, n in sorted(rejected.items()))
            lines.append(f"not counted: {sum(rejected.values())} ({reasons})")
            if rejected[RejectReason.FUTURE]:
                lines.append(
                    f"  future: dated more than the allowed skew after {from_us(self.wall_us)}"
                )
            lines += [
                f"  line {r.line_no}: {r.reason.value}: {r.detail}"
                for r in self.undecodable[:max_listed]
            ]
            if len(self.undecodable) > max_listed:
                lines.append(f"  ... and {len(self.undecodable) - max_listed} more")
        return "\n".join(lines)


def run_lines(
    lines: Iterable[tuple[int, bytes]],
    targets: Targets,
    partitions: int = DEFAULT_PARTITIONS,
    rules: TimeRules | None = None,
    progress: Callable[[int], None] = lambda _bytes: None,
    wall_us: int = REPLAY_WALL_US,
    jobs: int = 1,
) -> LogRun:
    """Apply numbered raw lines in order, each to its (family, partition) state; with
    ``jobs`` above 1, the states are shared out to that many processes (`_shared`)."""
    rules = rules or TimeRules()
    if jobs > 1:
        return _shared(lines, targets, partitions, rules, progress, wall_us, jobs)
    run = LogRun(wall_us=wall_us)
    for where, offset, raw, decoded in _routed(lines, partitions, run, progress):
        state = run.states.get(where)
        if state is None:
            state = run.states[where] = PartitionState(decoded.family, targets, rules, live=False)
        state.process(raw, offset, wall_us=wall_us, decoded=decoded)
    return run


def _routed(
    lines: Iterable[tuple[int, bytes]],
    partitions: int,
    run: LogRun,
    progress: Callable[[int], None],
) -> Iterator[tuple[tuple[Family, int], int, bytes, Envelope]]:
    """Each event of the lines with its (family, partition) and offset there, as
    `ccm replay` would send it; lines that are not events are noted in ``run``."""
    if partitions < 1:
        raise ValueError("partitions must be at least 1")
    offsets: Counter[tuple[Family, int]] = Counter()
    partition_of = Partitioner(partitions)
    for line_no, raw in lines:
        progress(len(raw) + 1)
        run.lines += 1
        decoded = decode(raw)
        if not isinstance(decoded, Envelope):
            run.undecodable.append(RejectedLine(line_no, decoded.reason, decoded.detail))
            continue
        where = (decoded.family, partition_of(decoded.key))
        offset = offsets[where]
        offsets[where] = offset + 1
        yield where, offset, raw, decoded


def run_file(
    path: Path,
    targets: Targets,
    partitions: int = DEFAULT_PARTITIONS,
    rules: TimeRules | None = None,
    progress: Callable[[int], None] = lambda _bytes: None,
    wall_us: int = REPLAY_WALL_US,
    jobs: int = 1,
) -> LogRun:
    """`run_lines` over a file."""
    with path.open("rb") as stream:
        lines = read_lines(stream)
        return run_lines(lines, targets, partitions, rules, progress, wall_us, jobs)


BATCH_LINES = 2000
"""Lines handed to a process at a time: enough that the pipe costs little per line."""

_ROUTE_BY_TYPE: dict[str, tuple[Family, str]] = {
    name: (model.family, model.key_field) for name, model in EVENT_MODELS.items()
}
"""Each event type's family and the field that holds its lifecycle's id (its key)."""


def _route_of(raw: bytes) -> tuple[Family, str] | None:
    """The family and key of a line that names a known event type and a lifecycle id,
    read without validating the rest (the process that applies it does that); None when
    it does not, and only the full decoder can say why."""
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if type(parsed) is not dict:
        return None
    event_type = parsed.get("event_type")
    route = _ROUTE_BY_TYPE.get(event_type) if type(event_type) is str else None
    if route is None:
        return None
    key = parsed.get(route[1])
    return (route[0], key) if type(key) is str else None


def _shared(
    lines: Iterable[tuple[int, bytes]],
    targets: Targets,
    partitions: int,
    rules: TimeRules,
    progress: Callable[[int], None],
    wall_us: int,
    jobs: int,
) -> LogRun:
    """`run_lines`, with the (family, partition) states shared out to ``jobs`` processes.

    The states never meet: each applies its own events, in file order, exactly as
    `run_lines` would, so the run ends with the same states whichever process held
    them. This process only routes: it reads each line's event type and lifecycle id
    with orjson, which is all the partitioner needs, and leaves decoding to the process
    applying the line, so that no line is decoded twice (decoding was a fifth of a
    year's export, and this process, doing it for every line, held the others back). A
    line it cannot route is decoded here, to refuse it as the worker would. Each process
    numbers its partitions' offsets itself, as `_routed` does: only events take one.
    """
    if partitions < 1:
        raise ValueError("partitions must be at least 1")  # before any process starts
    context = multiprocessing.get_context("fork")
    connections = []
    processes = []
    for _ in range(jobs):
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_apply_share, args=(theirs, targets, rules, wall_us), daemon=True
        )
        process.start()
        theirs.close()
        connections.append(ours)
        processes.append(process)
    run = LogRun(wall_us=wall_us)
    job_of: dict[tuple[Family, int], int] = {}
    batches: list[list[tuple[Family, int, int, bytes]]] = [[] for _ in range(jobs)]
    partition_of = Partitioner(partitions)
    try:
        for line_no, raw in lines:
            progress(len(raw) + 1)
            run.lines += 1
            route = _route_of(raw)
            if route is None:
                decoded = decode(raw)
                if not isinstance(decoded, Envelope):
                    run.undecodable.append(RejectedLine(line_no, decoded.reason, decoded.detail))
                    continue
                route = decoded.family, decoded.key
            where = (route[0], partition_of(route[1]))
            job = job_of.get(where)
            if job is None:
                job = job_of[where] = len(job_of) % jobs
            batch = batches[job]
            batch.append((*where, line_no, raw))
            if len(batch) >= BATCH_LINES:
                connections[job].send(batch)
                batches[job] = []
        for connection, batch in zip(connections, batches, strict=True):
            connection.send(batch)
            connection.send(None)
        held: list[tuple[int, tuple[Family, int], PartitionState]] = []
        for connection in connections:
            outcome = connection.recv()
            if isinstance(outcome, str):
                raise RuntimeError(f"a process applying the log failed:\n{outcome}")
            states, refused = outcome
            for family, partition, first_line, snapshot in states:
                state = PartitionState.restore(snapshot, targets, rules, live=False)
                held.append((first_line, (family, partition), state))
            run.undecodable += refused
        # As `run_lines` keeps them: each state in the order of its first event, and what
        # was refused in the order of the file.
        run.states = {where: state for _, where, state in sorted(held, key=lambda h: h[0])}
        run.undecodable.sort(key=lambda r: r.line_no)
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    return run


def _apply_share(connection: Connection, targets: Targets, rules: TimeRules, wall_us: int) -> None:
    """One process's share of `_shared`: decode and apply what comes, then send back
    the states, each with the line of its first event, and the lines refused (or what
    went wrong)."""
    # A process that lives for one export: the cycle collector only walks the growing
    # states over and over. Applying a million events leaves some 700 objects in cycles
    # (what it would have found), for 5 % of the time.
    gc.disable()
    states: dict[tuple[Family, int], tuple[int, PartitionState]] = {}
    offsets: Counter[tuple[Family, int]] = Counter()
    refused: list[RejectedLine] = []
    try:
        while (batch := connection.recv()) is not None:
            for family, partition, line_no, raw in batch:
                decoded = decode(raw)
                if not isinstance(decoded, Envelope):
                    refused.append(RejectedLine(line_no, decoded.reason, decoded.detail))
                    continue
                where = (family, partition)
                held = states.get(where)
                if held is None:
                    held = states[where] = (
                        line_no,
                        PartitionState(family, targets, rules, live=False),
                    )
                offset = offsets[where]
                offsets[where] = offset + 1
                held[1].process(raw, offset, wall_us=wall_us, decoded=decoded)
        connection.send(
            (
                [(f, p, first, state.snapshot()) for (f, p), (first, state) in states.items()],
                refused,
            )
        )
    except BaseException:
        connection.send(traceback.format_exc())
    finally:
        connection.close()
