"""Everything one worker knows about one partition of one topic, and how it moves.

`PartitionState.process` takes the raw bytes of one message and its offset and
returns what must go to the dead-letter topic. It is the whole per-event path:
decode, check the family and lateness, apply to the ledger. Offsets already
applied are skipped, which is what makes a restart from a checkpoint exact.
"""

import traceback
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson

from schemas import Envelope, Family, RejectReason, Source, decode
from streams.core.families import FAMILIES
from streams.core.layout import (
    FORMAT_4,
    LayoutMismatch,
    Layouts,
    digest,
    layouts,
    move_ledger,
)
from streams.core.layout import from_json as layouts_from_json
from streams.core.layout import to_json as layouts_to_json
from streams.core.ledger import Conflict, DeadLetter, Duplicate, Ledger
from streams.core.targets import Targets
from streams.core.timebase import LiveClock, TimeRules, from_us, london_month_end_us, to_us

SNAPSHOT_VERSION = 4
"""The format a checkpoint is written in unless the worker is told otherwise
(`CCM_CHECKPOINT_FORMAT`): the newest that the previous release reads too, so that a
partition handed to a worker of that release during a rolling upgrade is never one it
cannot read (docs/operating.md, "Upgrades and rollbacks")."""
WRITABLE_VERSIONS = (4, 5)
"""5 is 4 naming the release that wrote it, so that a worker that cannot read a
checkpoint can say which release to run, and each tally's counts by name
(`streams.core.layout`), so that a release that adds a count reads it with no migration."""
RESTORABLE_VERSIONS = (2, 3, 4, 5)
"""Version 2 kept one leg per queue of a call, and versions 2 and 3 the ids of events
where 4 keeps their digests; both are read into the shape of 4."""


class UnreadableCheckpoint(ValueError):
    """A checkpoint this ccm cannot read (a newer release's format, or damaged): never
    guessed at, so no figure is misread or counted from a hole."""


def _where_raised(error: Exception) -> str:
    """File and line of the innermost frame: enough to find the fault, and unlike the
    exception's text it cannot hold a value from the event."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "unknown"
    frame = frames[-1]
    return f"{Path(frame.filename).name}:{frame.lineno}"


LAYOUTS: dict[str, Layouts] = {f.value: layouts(spec.rows) for f, spec in FAMILIES.items()}
"""Each family's tallies as this release keeps them."""


def make_ledger(family: Family, targets: Targets, rules: TimeRules) -> Ledger:
    return FAMILIES[family].make_ledger(targets, rules)


class PartitionState:
    def __init__(
        self, family: Family, targets: Targets, rules: TimeRules, live: bool = True
    ) -> None:
        """``live``: keep the live windows as well as the period figures (a worker);
        without them (an export from the log), a year is applied in a third less time."""
        self.family = family
        self.rules = rules
        self.ledger = make_ledger(family, targets, rules)
        self.ledger.live_windows = live
        self.clock = LiveClock(rules.grace_us)
        self.offset = -1
        """The last offset applied; anything at or below it was already counted."""
        self.consumed = 0
        self.duplicates = 0
        self.late = 0
        """Events beyond the grace period taken into the day and month figures only."""
        self.rejected: Counter[RejectReason] = Counter()
        self.lost = 0
        """Offsets deleted from the topic (retention) before they could be applied."""
        self.newest_by_source: dict[Source, int] = {}
        self._last_sweep_us: int | None = None
        self.restored_from = 0
        self.held: Layouts = LAYOUTS[family.value]
        """The layouts of the snapshot this state was restored from, which the records
        of changes after it share (this release's, for a state not restored)."""
        """The format of the checkpoint this state was restored from; 0: none."""

    def process(
        self, raw: bytes, offset: int, wall_us: int, decoded: Envelope | None = None
    ) -> list[DeadLetter]:
        """``decoded``: the event ``raw`` decodes to, when the caller had to decode it
        already (to route it), so that it is not decoded twice."""
        if offset <= self.offset:
            return []
        self.offset = offset
        self.consumed += 1
        try:
            rejected = self._apply(raw, wall_us, decoded)
        except (MemoryError, RecursionError):
            raise  # the worker's trouble, not this event's
        except Exception as error:
            # A fault in ccm, not in the message. The ledger put things back as they were;
            # keeping the message (its offset is in the dead letter's headers) and going
            # on beats a worker that dies on the same message at every restart.
            return self._reject(
                DeadLetter(
                    RejectReason.UNPROCESSABLE,
                    f"ccm could not apply this event ({type(error).__name__} at "
                    f"{_where_raised(error)}); it is kept here: report it to the ccm "
                    "maintainers with this dead letter",
                    raw,
                )
            )
        if rejected is not None:
            return rejected
        # Outside the guard: a fault in a sweep is not this event's, which is applied.
        return self._maybe_sweep()

    def skip(self, last: int, letter: DeadLetter | None) -> DeadLetter | None:
        """The offsets up to ``last`` hold no event (a transaction's control record, an
        aborted transaction's records) or one that cannot be read (``letter``): pass
        them, so that they are neither waited for nor taken for a loss."""
        if last <= self.offset:
            return None  # passed already, before the checkpoint this state came from
        self.offset = last
        return self._reject(letter)[0] if letter is not None else None

    def lose_up_to(self, start: int) -> int:
        """The log now starts at ``start``: what this state still needed before it is
        gone. Returns how many offsets were lost."""
        lost = start - (self.offset + 1)
        if lost <= 0:
            return 0
        self.lost += lost
        self.offset = start - 1
        return lost

    def _apply(self, raw: bytes, wall_us: int, decoded: Envelope | None) -> list[DeadLetter] | None:
        """The event's dead letter, [] for a repeat, or None once it is applied."""
        read = decode(raw) if decoded is None else decoded
        if not isinstance(read, Envelope):
            return self._reject(DeadLetter(read.reason, read.detail, raw))
        event = read
        if event.family is not self.family:
            return self._reject(
                DeadLetter(
                    RejectReason.WRONG_TOPIC,
                    f"{event.event_type} belongs on the {event.family.value} topic",  # type: ignore[attr-defined]
                    raw,
                )
            )
        event_us = to_us(event.occurred_at)
        skew_us = self.rules.future_skew_us
        if skew_us is not None and event_us > wall_us + skew_us:
            return self._reject(
                DeadLetter(
                    RejectReason.FUTURE,
                    f"occurred {(event_us - wall_us) // 1_000_000} s ahead of ccm's clock, "
                    f"more than the {skew_us // 1_000_000} s allowed: set the producer's "
                    "clock right (NTP) and send the event again with its true time",
                    raw,
                )
            )
        stream_us = self.clock.stream_us
        late_by_us = 0  # behind stream time by more than the grace period: late
        if stream_us is not None and event_us < stream_us - self.rules.grace_us:
            late_by_us = stream_us - event_us
        if late_by_us and event_us + late_by_us > (
            london_month_end_us(event_us) + self.rules.close_after_us
        ):
            return self._reject(
                DeadLetter(
                    RejectReason.TOO_LATE,
                    f"occurred {late_by_us // 1_000_000} s before the newest event "
                    f"on its partition, after its month closed "
                    f"({self.rules.close_after_us // 86_400_000_000} days after it ended)",
                    raw,
                )
            )
        try:
            self.ledger.apply(event, event_us, raw, late_by_us=late_by_us)
        except Duplicate:
            self.duplicates += 1
            return []
        except Conflict as conflict:
            return self._reject(DeadLetter(RejectReason.CONFLICT, str(conflict), raw))
        if late_by_us:
            self.late += 1
        self.clock.observe(event_us, wall_us)
        source = Source.label(event.source)
        if event_us > self.newest_by_source.get(source, -(2**63)):
            self.newest_by_source[source] = event_us
        return None

    def _reject(self, dead: DeadLetter) -> list[DeadLetter]:
        self.rejected[dead.reason] += 1
        return [dead]

    def _maybe_sweep(self) -> list[DeadLetter]:
        stream_us = self.clock.stream_us
        if stream_us is None:
            return []
        if (
            self._last_sweep_us is not None
            and stream_us - self._last_sweep_us < self.rules.sweep_every_us
        ):
            return []
        self._last_sweep_us = stream_us
        dead = self.ledger.sweep(stream_us)
        for letter in dead:
            self.rejected[letter.reason] += 1
        return dead

    def reference_us(self, wall_us: int) -> int | None:
        return self.clock.reference(wall_us)

    # --- checkpoints -----------------------------------------------------------------

    def snapshot(
        self, head: bytes = b"", version: int = SNAPSHOT_VERSION, writer: str = ""
    ) -> bytes:
        """The whole state, for a checkpoint that needs nothing before it, after ``head``
        (a record's header: written in place, the blob is not copied to put it there), in
        format ``version`` (one of `WRITABLE_VERSIONS`; 5 names its ``writer``)."""
        parts = self._in_layout(version, self.ledger.to_json_parts())
        counts = self._counts(version, writer)
        if version >= 5:
            counts["layout"] = layouts_to_json(LAYOUTS[self.family.value])
        return _compressed(_with_counts(counts, b"ledger", parts), head)

    def track_changes(self) -> None:
        """From now on remember what changes, so that `changes` can say it: a worker's
        checkpoints then cost what changed, not what the month holds."""
        self.ledger.track_changes()

    def changes(
        self, head: bytes = b"", version: int = SNAPSHOT_VERSION, writer: str = ""
    ) -> bytes:
        """What changed since `track_changes` or the last `changes`: a state restored
        from a snapshot taken then, and brought forward by `apply_changes` of this, is
        this state now."""
        if self.ledger.changed is None:
            raise RuntimeError("changes asked of a state that does not track them")
        parts = self._in_layout(version, self.ledger.changes_parts())
        counts = self._counts(version, writer)
        if version >= 5:  # the snapshot they follow holds it whole (`written_layout`)
            counts["layout_digest"] = digest(LAYOUTS[self.family.value])
        return _compressed(_with_counts(counts, b"changes", parts), head)

    def written_layout(self, version: int) -> str:
        """The digest of the layouts a checkpoint in format ``version`` holds: a chain
        whose snapshot holds other layouts starts again with a whole snapshot, so that
        records of changes always share their snapshot's."""
        family = self.family.value
        return digest(LAYOUTS[family] if version >= 5 else FORMAT_4[family])

    def _in_layout(self, version: int, parts: Iterator[bytes]) -> Iterator[bytes]:
        """The ledger's JSON in the layout format ``version`` holds: format 4 by the
        positions of `FORMAT_4`, whatever this release counts."""
        family = self.family.value
        if version >= 5 or LAYOUTS[family] == FORMAT_4[family]:
            return parts
        data = orjson.loads(b"".join(parts))
        move_ledger(data, LAYOUTS[family], FORMAT_4[family], dropping=True)
        return iter((orjson.dumps(data),))

    def apply_changes(self, blob: bytes) -> None:
        body = orjson.loads(zlib.decompress(blob))
        _check_version(body)
        if Family(body["family"]) is not self.family:
            raise ValueError(f"changes of {body['family']} given to a {self.family.value} state")
        self._load_counts(body)
        if "layout_digest" in body and body["layout_digest"] != digest(self.held):
            raise UnreadableCheckpoint(
                "a record of changes in other layouts than the snapshot it follows "
                f"(written by ccm {body.get('writer')}): run that release for this partition"
            )
        self.ledger.apply_changes(_in_this_layout(body, "changes", self.held))

    def _counts(self, version: int, writer: str) -> dict:
        if version not in WRITABLE_VERSIONS:
            raise ValueError(f"checkpoint format {version} is not one of {WRITABLE_VERSIONS}")
        counts = {
            "v": version,
            "family": self.family.value,
            "offset": self.offset,
            "consumed": self.consumed,
            "duplicates": self.duplicates,
            "late": self.late,
            "rejected": {r.value: n for r, n in self.rejected.items()},
            "lost": self.lost,
            "newest": {s.value: us for s, us in self.newest_by_source.items()},
            "clock": self.clock.to_json(),
            "last_sweep": self._last_sweep_us,
        }
        if version >= 5:
            counts["writer"] = writer
        return counts

    def _load_counts(self, body: dict) -> None:
        self.offset = body["offset"]
        self.consumed = body["consumed"]
        self.duplicates = body["duplicates"]
        self.late = body["late"]
        self.rejected = Counter({RejectReason(r): n for r, n in body["rejected"].items()})
        self.lost = body.get("lost", 0)  # absent from checkpoints written before it was kept
        self.newest_by_source = {Source(s): us for s, us in body["newest"].items()}
        self.clock.load_json(body["clock"])
        self._last_sweep_us = body["last_sweep"]

    @classmethod
    def restore(
        cls, blob: bytes, targets: Targets, rules: TimeRules, live: bool = True
    ) -> "PartitionState":
        body = orjson.loads(zlib.decompress(blob))
        _check_version(body)
        state = cls(Family(body["family"]), targets, rules, live)
        state._load_counts(body)
        family = body["family"]
        held = layouts_from_json(body["layout"]) if "layout" in body else FORMAT_4[family]
        state.ledger.load_json(_in_this_layout(body, "ledger", held))
        state.restored_from, state.held = body["v"], held
        return state

    def describe(self) -> str:
        stream = self.clock.stream_us
        when = from_us(stream).isoformat() if stream is not None else "no events yet"
        return f"{self.family.value} offset {self.offset}, stream time {when}"


def _check_version(body: dict) -> None:
    version = body.get("v")
    if version not in RESTORABLE_VERSIONS:
        writer = body.get("writer")
        by = f" by ccm {writer}" if writer else " by a newer ccm"
        raise UnreadableCheckpoint(
            f"checkpoint format {version}, written{by}, is not one this ccm reads "
            f"({', '.join(map(str, RESTORABLE_VERSIONS))}): run that release or a later one "
            "for this partition (docs/operating.md, 'Upgrades and rollbacks')"
        )


def _in_this_layout(body: dict, part: str, held: Layouts) -> dict:
    """The checkpoint's ``part`` (the ledger, or its changes), in the ``held`` layouts,
    moved by name into those this release keeps."""
    family = body["family"]
    data: dict = body[part]
    try:
        move_ledger(data, held, LAYOUTS[family])
    except LayoutMismatch as error:
        writer = body.get("writer")
        raise UnreadableCheckpoint(
            f"{error} (checkpoint format {body.get('v')}"
            + (f", written by ccm {writer})" if writer else ")")
        ) from error
    return data


def _with_counts(counts: dict, name: bytes, parts: Iterator[bytes]) -> Iterator[bytes]:
    """The JSON object of ``counts`` with the one made of ``parts`` under ``name``."""
    yield orjson.dumps(counts)[:-1] + b',"' + name + b'":'
    yield from parts
    yield b"}"


def _compressed(parts: Iterator[bytes], head: bytes = b"") -> bytes:
    """``head``, then ``parts`` joined and compressed as one zlib stream, a part at a
    time: the whole text is never held (see `ledger.LIFECYCLES_A_PART`)."""
    compressor = zlib.compressobj(1)
    out = [head]
    out += [compressor.compress(part) for part in parts]
    out.append(compressor.flush())
    return b"".join(out)
