"""Lifecycles (a call, a chat, a report, an incident) and how their events build figures.

A ledger keeps each lifecycle, applies its events in any order, and keeps its
day buckets equal to the sum of every lifecycle's contribution. The live windows'
minute buckets take only events within the grace period: an event later than
that changes the day (and month) figures alone, and the minute buckets catch up
with the lifecycle at its next timely event. So do the live gauges (waiting now,
awaiting now, breached now): until then they read the lifecycle as it was before
its first late event (`Ledger.live`). A lifecycle is forgotten once it is
complete, quiet for the grace period, and its month is closed: any event of it
that could still come would be too late. Events waiting for a partner longer
than the grace period are handed back as orphans.
"""

import base64
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from hashlib import blake2b
from typing import Any

import orjson

from schemas import Envelope, RejectReason
from streams.core.refusals import Conflict, Duplicate
from streams.core.tally import NOTHING, Contribution, MonthFold, Tally
from streams.core.targets import Targets
from streams.core.timebase import HOUR_US, london_day, london_month_end_us


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message to put on the dead-letter topic: reason, a safe detail, the original bytes."""

    reason: RejectReason
    detail: str
    raw: bytes


# Slots, and the ids in a tuple (a lifecycle has a handful): a worker holds a month of
# lifecycles, and a dict per object and a set of ids each were half their memory.
@dataclass(slots=True)
class Lifecycle:
    event_ids: bytes = b""
    """The digests of its events' ids (`event_digest`), end to end."""
    last_event_us: int = 0
    in_minutes: "tuple[Contribution, ...] | None" = None
    """What the minute buckets hold for it, when a late event left them behind."""
    closes_at: int | None = None
    """Settled: when its month closes and it may be forgotten; None while unsettled."""
    live_as: "Lifecycle | None" = None
    """The lifecycle as the live view knows it, while late events are kept from it."""
    late_by_us: int = 0
    """How far behind stream time its latest event arrived, when later than the grace
    period (0 once a timely one comes): a part of it is then waited for from when it
    arrived, not from when it happened, or a lifecycle told hours late would be taken
    for orphans between two of its own events."""

    # The per-event classes of the core write their __init__ out: compiled, the one a
    # dataclass makes would be interpreted Python, run for every event. A lifecycle is
    # made with its own fields only; these start as below.
    def __init__(self) -> None:
        self.event_ids = b""
        self.last_event_us = 0
        self.in_minutes = None
        self.closes_at = None
        self.live_as = None
        self.late_by_us = 0


DIGEST_BYTES = 8


def event_digest(event_id: str) -> bytes:
    """What a lifecycle keeps of an event's id to know it again: 8 bytes, not the id
    (some 70 bytes as a string, and a call has four). Ids are told apart only within
    their lifecycle, so two of a handful sharing 64 bits of BLAKE2b is beyond reckoning."""
    return blake2b(event_id.encode(), digest_size=DIGEST_BYTES).digest()


def holds_digest(digests: bytes, digest: bytes) -> bool:
    at = digests.find(digest)
    while at > 0 and at % DIGEST_BYTES:  # a match across two digests is not one
        at = digests.find(digest, at + 1)
    return at >= 0


def _digests(digests: bytes) -> list[bytes]:
    return [digests[i : i + DIGEST_BYTES] for i in range(0, len(digests), DIGEST_BYTES)]


def pack(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode("ascii")


def unpack(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


class Ledger:
    """Lifecycles of one family on one partition, and the tallies they add up to.

    Each family's ledger subclasses this and defines the methods that raise
    NotImplementedError here, taking its own kind of lifecycle (typed Any here, so that
    each may name its own). No ABC or Generic base: the core is compiled (setup.py), and
    a compiled class with a Python base gets a weak-reference slot that mypyc frees
    wrongly, so a weak reference to a ledger would crash the worker once it went."""

    tally_widths: tuple[int, ...]
    shared_tallies: int = 0
    """How many of its tallies (the first ones) every release since 0.1.0 reads; 0: all.
    A checkpoint holds those under ``tallies`` and the rest under ``later``, which an
    older release passes over. Restored from one without ``later`` (an older release
    wrote it), the later tallies are counted again from the lifecycles held, which are
    every lifecycle of every month still open (see `_recount_later`); so are those of a
    checkpoint that holds fewer later tallies than this release keeps."""

    def __init__(
        self, targets: Targets, grace_us: int, stale_us: int, close_after_us: int = 0
    ) -> None:
        self.targets = targets
        self.grace_us = grace_us
        self.stale_us = stale_us
        self.close_after_us = close_after_us
        """How long after its month ends a lifecycle's figures still take late events."""
        self._target_starts = tuple(
            sorted(
                {s.effective_from.toordinal() for s in targets.call_handling}
                | {s.effective_from.toordinal() for s in targets.chat}
                | {
                    p.effective_from.toordinal()
                    for p in targets.adopted_policies()
                    if p.effective_from is not None
                }
            )
        )
        self.lifecycles: dict[str, Any] = {}
        self.tallies = tuple(Tally(width) for width in self.tally_widths)
        # Sweeps look only at lifecycles whose deadline has passed: a partition holds a
        # month of open incidents, and testing each one every minute of stream time cost
        # more than applying the events. Settled ones wait, grouped by when their month
        # closes, to be forgotten together.
        self._due: dict[str, int | None] = {}
        """Unsettled lifecycles, and the stream instant after which each is overdue (None:
        not until an event changes it)."""
        self._deadlines: list[tuple[int, str]] = []
        """A heap of (due, key); entries whose due no longer matches `_due` are stale."""
        self._closing: dict[int, list[str]] = {}
        """Settled lifecycles by the instant their month closes. A list, not a set (a set
        cost four times the memory): an entry stays when its lifecycle is filed again
        elsewhere, and the sweep passes over those whose `closes_at` is no longer its."""
        self._held_back: set[str] = set()
        """Lifecycles whose live view is held back from a late event (`live_as`)."""
        self._fold: tuple[int, MonthFold] | None = None
        """The month fold of the hour the last sweep's closing instant fell in."""
        self._recent: dict[str, tuple[Contribution, ...]] = {}
        """What lifecycles applied to lately contribute now: most events belong to a
        lifecycle that had one moments before, and working a contribution out is most of
        applying an event. Entries go whenever their lifecycle changes otherwise."""
        self.version = 0
        """Moves whenever the tallies may have changed: what a scrape read of them at
        one version still holds (`figures.Readings`)."""
        self.live_windows = True
        """Whether the live windows (minute buckets, the live view of lifecycles told
        late) are kept; an export, which reads only the period figures, goes without."""
        self.changed: set[str] | None = None
        """Keys of lifecycles applied to, expired or forgotten since the last checkpoint,
        while checkpoints are taken as changes (`changes_parts`); None: not tracked."""

    # --- what each family defines ----------------------------------------------------

    def new(self) -> Lifecycle:
        raise NotImplementedError

    def update(self, lifecycle: Any, event: Envelope, event_us: int, raw: bytes) -> None:
        """Apply one event; raise Conflict without changing anything if it contradicts."""
        raise NotImplementedError

    def contributions(self, lifecycle: Any) -> tuple[Contribution, ...]:
        """What the lifecycle adds to each tally now."""
        raise NotImplementedError

    def overdue_after(self, lifecycle: Any) -> int | None:
        """The instant of its own clock after which `expire` has something to do: the
        earliest of its parts' deadlines; None while nothing in it has one."""
        raise NotImplementedError

    def overdue(self, lifecycle: Any, stream_us: int) -> bool:
        after = self.overdue_after(lifecycle)
        return after is not None and after < stream_us

    def expire(self, lifecycle: Any, stream_us: int) -> list[DeadLetter]:
        """Drop parts waiting too long for a partner, returning them as dead letters."""
        raise NotImplementedError

    def is_settled(self, lifecycle: Any) -> bool:
        """Nothing in it is waiting: it may be forgotten once quiet for the grace period."""
        raise NotImplementedError

    def lifecycle_to_json(self, lifecycle: Any) -> dict:
        raise NotImplementedError

    def lifecycle_from_json(self, data: dict) -> Lifecycle:
        raise NotImplementedError

    def lifecycle_copy(self, lifecycle: Any) -> Lifecycle:
        """What `lifecycle_from_json` of `lifecycle_to_json` gives (its own parts, none
        of the ledger's bookkeeping), sharing nothing an event may change. A ledger
        whose lifecycles come often makes it directly: taken for every event."""
        return self.lifecycle_from_json(self.lifecycle_to_json(lifecycle))

    # --- shared mechanics ------------------------------------------------------------

    def apply(self, event: Envelope, event_us: int, raw: bytes, late_by_us: int = 0) -> None:
        """Apply one event; one ``late_by_us`` behind stream time (later than the grace
        period; 0: timely) leaves the live windows alone."""
        late = late_by_us > 0
        key = event.key
        digest = event_digest(event.event_id)
        lifecycle: Lifecycle | None = self.lifecycles.get(key)
        if lifecycle is None:
            lifecycle = self.new()
        elif holds_digest(lifecycle.event_ids, digest):
            raise Duplicate
        before = self._recent.pop(key, None)
        if before is None:
            before = self.contributions(lifecycle)
        # All or nothing: should ccm fail while applying the event, the lifecycle is put
        # back as it was, so the figures stay those of the events before it.
        saved = self.lifecycle_copy(lifecycle) if key in self.lifecycles else None
        last_event_us = lifecycle.last_event_us
        live_as = lifecycle.live_as
        if late and live_as is None and self.live_windows:
            live_as = self.lifecycle_copy(saved) if saved is not None else self.new()
            live_as.last_event_us = last_event_us
        try:
            self.update(lifecycle, event, event_us, raw)
            lifecycle.event_ids += digest
            lifecycle.last_event_us = max(last_event_us, event_us)
            after = self.contributions(lifecycle)
        except Conflict:
            raise  # update() changes nothing before it refuses
        except Exception:
            if saved is not None:
                restored = saved
                restored.event_ids = b"".join(
                    d for d in _digests(lifecycle.event_ids) if d != digest
                )
                restored.last_event_us = last_event_us
                restored.in_minutes, restored.closes_at = lifecycle.in_minutes, lifecycle.closes_at
                restored.live_as = lifecycle.live_as
                restored.late_by_us = lifecycle.late_by_us
                self.lifecycles[key] = restored
            raise
        self.lifecycles[key] = lifecycle
        self.version += 1
        self._replace(lifecycle, before, after, late)
        if len(self._recent) >= RECENT_LIFECYCLES:
            self._recent.clear()
        self._recent[key] = after
        lifecycle.live_as = live_as if late else None
        lifecycle.late_by_us = late_by_us
        self._file(key, lifecycle)
        if self.changed is not None:
            self.changed.add(key)

    def unsettled_live(self) -> Iterator[Any]:
        """As the live view knows them, every lifecycle that may be waiting for something
        there: the unsettled ones, and those whose view is held back from a late event.
        A gauge of "waiting now" reads these, not the month of settled ones."""
        for key in self._due:
            yield self.live(self.lifecycles[key])
        for key in self._held_back:
            if key not in self._due:
                yield self.live(self.lifecycles[key])

    def unsettled(self) -> Iterator[Any]:
        """Every lifecycle still waiting for something, as it is."""
        for key in self._due:
            yield self.lifecycles[key]

    def live(self, lifecycle: Any) -> Any:
        """The lifecycle as the live view knows it: without events later than the grace
        period, until a timely one catches it up."""
        return lifecycle.live_as if lifecycle.live_as is not None else lifecycle

    def _file(self, key: str, lifecycle: Lifecycle) -> None:
        if lifecycle.live_as is None:
            self._held_back.discard(key)
        else:
            self._held_back.add(key)
        closes_at = self.closes_us(lifecycle) if self.is_settled(lifecycle) else None
        if closes_at != lifecycle.closes_at:
            if closes_at is not None:
                self._closing.setdefault(closes_at, []).append(key)
            lifecycle.closes_at = closes_at
        if closes_at is not None:
            self._due.pop(key, None)
            return
        after = self.overdue_after(lifecycle)
        # On its own clock: a lifecycle told late waits from when it arrived.
        due = None if after is None else after + lifecycle.late_by_us
        if key in self._due and self._due[key] == due:
            return
        self._due[key] = due
        if due is not None:
            heapq.heappush(self._deadlines, (due, key))
            if len(self._deadlines) > 2 * len(self._due) + 1024:
                self._deadlines = [(d, k) for k, d in self._due.items() if d is not None]
                heapq.heapify(self._deadlines)

    def _unfile(self, key: str) -> None:
        self._due.pop(key, None)
        self._held_back.discard(key)

    def _replace(
        self,
        lifecycle: Lifecycle,
        before: tuple[Contribution, ...],
        after: tuple[Contribution, ...],
        late: bool = False,
    ) -> None:
        if not self.live_windows:
            for tally, old, new in zip(self.tallies, before, after, strict=True):
                tally.replace_days(old, new)
            return
        if late:
            for tally, old, new in zip(self.tallies, before, after, strict=True):
                tally.replace_days(old, new)
            if lifecycle.in_minutes is None and before != after:
                lifecycle.in_minutes = before
            return
        if lifecycle.in_minutes is None:
            for tally, old, new in zip(self.tallies, before, after, strict=True):
                tally.replace(old, new)
        else:
            for tally, old, shown, new in zip(
                self.tallies, before, lifecycle.in_minutes, after, strict=True
            ):
                tally.replace_days(old, new)
                tally.replace_minutes(shown, new)
        lifecycle.in_minutes = None
        lifecycle.live_as = None

    def closes_us(self, lifecycle: Lifecycle) -> int:
        """When the month of its newest event closes to late events."""
        return _closes_after_hour(lifecycle.last_event_us // HOUR_US, self.close_after_us)

    def sweep(self, stream_us: int) -> list[DeadLetter]:
        """Hand back orphans and forget settled, quiet lifecycles."""
        self.version += 1
        dead: list[DeadLetter] = []
        due_now = []
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] < stream_us:
            due, key = heapq.heappop(deadlines)
            if key in self._due and self._due[key] == due:
                del self._due[key]  # filed again below, whatever expire leaves
                due_now.append(key)
        for key in due_now:
            lifecycle: Lifecycle = self.lifecycles[key]
            # Its own clock: stream time as it stood for it when it arrived.
            now_us = stream_us - lifecycle.late_by_us
            if not self.overdue(lifecycle, now_us):
                self._file(key, lifecycle)
            else:
                self._recent.pop(key, None)
                before = self.contributions(lifecycle)
                dead.extend(self.expire(lifecycle, now_us))
                self._replace(lifecycle, before, self.contributions(lifecycle))
                self._file(key, lifecycle)
                if self.changed is not None:
                    self.changed.add(key)
        for closes_at in [c for c in self._closing if c < stream_us]:
            keep: dict[str, None] = {}
            for key in self._closing.pop(closes_at):
                closing: Lifecycle | None = self.lifecycles.get(key)
                if closing is None or closing.closes_at != closes_at:
                    continue  # forgotten already, or no longer settled to close then
                if closing.last_event_us + self.grace_us < stream_us:
                    del self.lifecycles[key]
                    self._recent.pop(key, None)
                    self._held_back.discard(key)
                    if self.changed is not None:
                        self.changed.add(key)
                else:
                    keep[key] = None
            if keep:
                self._closing[closes_at] = list(keep)
        # London days start on whole UTC hours: one fold serves a whole hour.
        hour = (stream_us - self.close_after_us) // HOUR_US
        if self._fold is None or self._fold[0] != hour:
            open_from = london_day(stream_us - self.close_after_us).replace(day=1).toordinal()
            self._fold = (hour, MonthFold(open_from, self._target_starts))
        fold = self._fold[1]
        for tally in self.tallies:
            tally.prune(stream_us, fold)
        return dead

    def __iter__(self) -> Iterator[Any]:
        return iter(self.lifecycles.values())

    def to_json_parts(self) -> Iterator[bytes]:
        """The ledger as JSON that `load_json` reads back, in pieces to compress one by
        one (see `_record_parts`)."""
        yield b'{"lifecycles":'
        yield from self._record_parts(list(self.lifecycles))
        shared = self._shared()
        yield b',"tallies":'
        yield orjson.dumps([t.to_json() for t in self.tallies[:shared]])
        if shared < len(self.tallies):
            yield b',"later":'
            yield orjson.dumps([t.to_json() for t in self.tallies[shared:]])
        yield b"}"

    def _shared(self) -> int:
        return self.shared_tallies or len(self.tallies)

    def _record_parts(self, keys: list[str]) -> Iterator[bytes]:
        """A JSON object of the records of ``keys`` (null: forgotten), LIFECYCLES_A_PART
        at a time. Slices of a list, not a generator handed on: compiled, a generator
        expression was drawn to its end first, holding every record of a month of calls
        at once (13 MiB a partition, at the worker's peak)."""
        lifecycles = self.lifecycles
        yield b"{"
        for start in range(0, len(keys), LIFECYCLES_A_PART):
            chunk: dict[str, dict | None] = {}
            for key in keys[start : start + LIFECYCLES_A_PART]:
                lifecycle = lifecycles.get(key)
                chunk[key] = None if lifecycle is None else self._record(lifecycle)
            yield (b"," if start else b"") + orjson.dumps(chunk)[1:-1]
        yield b"}"

    def _record(self, lifecycle: Lifecycle) -> dict:
        shared = self._shared()
        in_minutes = lifecycle.in_minutes
        return {
            **self.lifecycle_to_json(lifecycle),
            "idh": b"".join(sorted(_digests(lifecycle.event_ids))).hex(),
            "last": lifecycle.last_event_us,
            **({"min": _contributions_to_json(in_minutes[:shared])} if in_minutes else {}),
            **(
                {"min_later": _contributions_to_json(in_minutes[shared:])}
                if in_minutes and shared < len(in_minutes)
                else {}
            ),
            **({"live": self._live_to_json(lifecycle.live_as)} if lifecycle.live_as else {}),
            **({"late_by": lifecycle.late_by_us} if lifecycle.late_by_us else {}),
        }

    def _from_record(self, item: dict) -> Lifecycle:
        lifecycle = self.lifecycle_from_json(item)
        if "ids" in item:  # checkpoints before version 4 kept the ids themselves
            lifecycle.event_ids = b"".join(event_digest(i) for i in item["ids"])
        else:
            lifecycle.event_ids = bytes.fromhex(item["idh"])
        lifecycle.last_event_us = item["last"]
        if "min" in item:
            in_minutes = _contributions_from_json(item["min"])
            # Without the later tallies' part (an older release wrote it), the minute
            # buckets hold nothing of it there: that release never counted them.
            later = _contributions_from_json(item.get("min_later", []))
            missing = len(self.tallies) - len(in_minutes) - len(later)
            lifecycle.in_minutes = in_minutes + later + (NOTHING,) * missing
        if "live" in item:
            lifecycle.live_as = self.lifecycle_from_json(item["live"])
            lifecycle.live_as.last_event_us = item["live"]["last"]
        lifecycle.late_by_us = item.get("late_by", 0)
        return lifecycle

    def _live_to_json(self, lifecycle: Lifecycle) -> dict:
        return {**self.lifecycle_to_json(lifecycle), "last": lifecycle.last_event_us}  # type: ignore[arg-type]

    def load_json(self, data: dict) -> None:
        self.version += 1
        self.lifecycles, self._recent = {}, {}
        self._due, self._deadlines, self._closing, self._held_back = {}, [], {}, set()
        for key, item in data["lifecycles"].items():
            self.lifecycles[key] = lifecycle = self._from_record(item)
            self._file(key, lifecycle)
        shared, later = self._shared(), data.get("later", [])
        for tally, tally_data in zip(self.tallies[:shared], data["tallies"], strict=True):
            tally.load_json(tally_data)
        # Fewer than this release keeps: recounted below. More: a later release's, which
        # this one passes over, as 0.1.0 passes over them all.
        for tally, tally_data in zip(self.tallies[shared:], later, strict=False):
            tally.load_json(tally_data)
        if shared + len(later) < len(self.tallies):
            for lifecycle in self.lifecycles.values():
                self._recount_later(None, lifecycle, shared + len(later))

    def track_changes(self) -> None:
        """From now on, remember what changes, for `changes_parts`."""
        self.changed = set()
        for tally in self.tallies:
            tally.track_changes()

    def changes_parts(self) -> Iterator[bytes]:
        """What changed since the last time (or `track_changes`), as JSON that
        `apply_changes` reads, in pieces as `to_json_parts`: each such lifecycle as it is
        now (None: forgotten), and each changed tally bucket. Taking them starts the next
        changes."""
        changed, self.changed = self.changed or set(), set()
        yield b'{"lifecycles":'
        yield from self._record_parts(list(changed))
        shared = self._shared()
        yield b',"tallies":'
        yield orjson.dumps([t.changes_to_json() for t in self.tallies[:shared]])
        if shared < len(self.tallies):
            yield b',"later":'
            yield orjson.dumps([t.changes_to_json() for t in self.tallies[shared:]])
        yield b"}"

    def apply_changes(self, data: dict) -> None:
        """Bring a ledger loaded from a checkpoint forward by `changes_parts`."""
        self.version += 1
        self._recent.clear()
        shared, later = self._shared(), data.get("later", [])
        recount_from = shared + len(later)
        for key, item in data["lifecycles"].items():
            old = self.lifecycles.pop(key, None)
            if old is not None:  # out of the sweeps' indexes, as `_file` keeps them
                self._unfile(key)
            if item is not None:
                self.lifecycles[key] = lifecycle = self._from_record(item)
                if old is not None:  # where `_closing` still has it
                    lifecycle.closes_at = old.closes_at
                self._file(key, lifecycle)
                if recount_from < len(self.tallies):
                    self._recount_later(old, lifecycle, recount_from)
        for tally, rows in zip(self.tallies[:shared], data["tallies"], strict=True):
            tally.apply_changes(rows)
        for tally, rows in zip(self.tallies[shared:], later, strict=False):
            tally.apply_changes(rows)

    def _recount_later(self, old: Lifecycle | None, new: Lifecycle, start: int) -> None:
        """Move the later tallies from ``start`` on from ``old`` (None: nothing) to
        ``new``, as applying the events between them would have: for a checkpoint an older
        release wrote, which holds the lifecycles but not these tallies (each release
        since 0.1.0 keeps the later tallies it knows, in the order added). A forgotten
        lifecycle (its month closed) is not here to count, so a month that closed while
        an older release held the partition keeps only what this release counted
        before."""
        before = NOTHING_EVERYWHERE if old is None else self.contributions(old)
        after = self.contributions(new)
        for i in range(start, len(self.tallies)):
            tally = self.tallies[i]
            tally.replace_days(_part(before, i), after[i])
            if self.live_windows:
                held = old.in_minutes if old is not None else None
                was = _part(held, i) if held else _part(before, i)
                now = new.in_minutes[i] if new.in_minutes else after[i]
                tally.replace_minutes(was, now)


RECENT_LIFECYCLES = 128
"""How many lifecycles' contributions `Ledger` remembers: about two hours of a
partition's calls at a force's volume. Over a week of every family, 512 spared 0.4 % of
the calls' contributions and 7 % of the incidents' (2 % of the events' work) for some
9 MiB more at a worker's peak; 4,096 held 30 MiB more than 512."""


LIFECYCLES_A_PART = 1_000
"""Lifecycles serialized at a time for a checkpoint. A month of calls serialized at once
built a tree of dicts and a string each some 20 MiB, held at the worker's peak."""


@lru_cache(maxsize=256)
def _closes_after_hour(hour: int, close_after_us: int) -> int:
    """London months start on whole UTC hours, so one hour never spans two months.
    Cached, so that the month's settled lifecycles share one int, not one each."""
    return london_month_end_us(hour * HOUR_US) + close_after_us


NOTHING_EVERYWHERE: tuple[Contribution, ...] = ()


def _part(contributions: tuple[Contribution, ...] | None, i: int) -> Contribution:
    if contributions is None or i >= len(contributions):
        return NOTHING
    return contributions[i]


def _contributions_to_json(contributions: tuple[Contribution, ...]) -> list:
    return [
        [
            [[list(dim), at, list(vector)] for dim, at, vector in c.counts],
            [[list(dim), at, wait] for dim, at, wait in c.waits],
        ]
        for c in contributions
    ]


def _contributions_from_json(data: list) -> tuple[Contribution, ...]:
    return tuple(
        Contribution(
            tuple((tuple(dim), at, tuple(vector)) for dim, at, vector in counts),
            tuple((tuple(dim), at, wait) for dim, at, wait in waits),
        )
        for counts, waits in data
    )
