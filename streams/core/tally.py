"""Additive counts in event-time buckets: per dimension, per minute and per London day.

A lifecycle (a call, a chat, a report) contributes a small vector of counts to
the bucket of the instant it is attributed to. When the lifecycle changes, its
old contribution is taken away and the new one added, so every figure is a pure
function of the lifecycles seen, whatever order their events arrived in.
Wait samples are kept per minute bucket so that a maximum can also be taken
back exactly.
"""

import bisect
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import sub
from typing import Any

from streams.core.timebase import (
    HOUR_US,
    MINUTE_US,
    RETAINED_MINUTES,
    london_day,
    london_day_ordinal,
    minute_of,
)

Dim = tuple[Hashable, ...]


@dataclass(slots=True)
class Contribution:
    """What one lifecycle adds: counts by (dimension, instant), and wait samples. Never
    changed once made (it is compared and shared, not copied)."""

    counts: tuple[tuple[Dim, int, tuple[int, ...]], ...] = ()
    waits: tuple[tuple[Dim, int, int], ...] = ()

    # Written out, as in the lifecycles' classes: compiled, the dataclass's own __init__
    # and __eq__ would be interpreted Python, run for every event.
    def __init__(
        self,
        counts: tuple[tuple[Dim, int, tuple[int, ...]], ...] = (),
        waits: tuple[tuple[Dim, int, int], ...] = (),
    ) -> None:
        self.counts = counts
        self.waits = waits

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Contribution):
            return NotImplemented
        return self.counts == other.counts and self.waits == other.waits

    def __hash__(self) -> int:
        return hash((self.counts, self.waits))


NOTHING = Contribution()


@dataclass
class Tally:
    width: int
    minutes: dict[Dim, dict[int, list[int]]] = field(default_factory=dict)
    days: dict[Dim, dict[int, list[int]]] = field(default_factory=dict)
    """The period figures: every event until its month closes."""
    live_days: dict[Dim, dict[int, list[int]]] = field(default_factory=dict)
    """The "today" and "month" windows: like the minutes, only events within the grace
    period."""
    waits: dict[Dim, dict[int, list[int]]] = field(default_factory=dict)
    day_waits: dict[Dim, dict[int, dict[int, int]]] = field(default_factory=dict)
    """Wait samples by London day, as a count per wait, so that a month's longest wait
    can be taken back exactly while late events may still change it; a closed month
    keeps only its longest."""
    # How far prune() has gone: no bucket is below these unless the flag after them says
    # so. Not kept in checkpoints: a restored tally is pruned through once.
    _pruned_below: int = field(default=-(2**63), repr=False, compare=False)
    _live_pruned_below: int = field(default=-(2**63), repr=False, compare=False)
    _unpruned: bool = field(default=True, repr=False, compare=False)
    _folded_below: int = field(default=-(2**63), repr=False, compare=False)
    _last_fold: "MonthFold | None" = field(default=None, repr=False, compare=False)
    _unfolded: bool = field(default=True, repr=False, compare=False)
    _pruned_hour: int | None = field(default=None, repr=False, compare=False)
    changed: "set[tuple[str, Dim, int]] | None" = field(default=None, repr=False, compare=False)
    _held_top: int = field(default=-(2**63), repr=False, compare=False)
    """The latest minute bucket held (of minutes or waits) when `changed` last started:
    the last checkpoint holds none above it."""
    versions: dict[Dim, int] = field(default_factory=dict, repr=False, compare=False)
    """Moves for a dimension whenever an event changes its counts or samples: what a
    scrape read of it at one version (and `epoch`) still holds (`figures.Readings`)."""
    epoch: int = field(default=0, repr=False, compare=False)
    """Moves when buckets go at once, by a prune, a fold or a load, for every dimension."""
    _hours: dict[Dim, dict[int, list[int]]] = field(default_factory=dict, repr=False, compare=False)
    """Whole UTC hours of minute buckets added up, each dropped when a bucket in it
    changes: a scrape of a backlog read at many times real time meets a new minute each
    time, and adding up a day of minutes anew was most of it."""
    _hour_waits: dict[Dim, dict[int, int]] = field(default_factory=dict, repr=False, compare=False)
    """Whole UTC hours' longest waits (-1: none), kept as `_hours` are."""
    """Buckets written or dropped since the last checkpoint, (table, dimension, bucket),
    while checkpoints are taken as changes (`changes_to_json`); None: not tracked."""

    def replace(
        self, old: Contribution, new: Contribution, days: bool = True, minutes: bool = True
    ) -> None:
        """Take ``old`` away and add ``new``: in the period figures (``days``, and so
        months) and in the live windows' minute buckets and wait samples (``minutes``),
        from one comparison of the two."""
        if old == new:
            return
        for sign, entries in _count_changes(old.counts, new.counts):
            self._count(entries, sign, days, minutes)
        for sign, entries in _changes(old.waits, new.waits):
            self._sample(entries, sign, days, minutes)

    def replace_days(self, old: Contribution, new: Contribution) -> None:
        self.replace(old, new, minutes=False)

    def replace_minutes(self, old: Contribution, new: Contribution) -> None:
        self.replace(old, new, days=False)

    def _count(
        self,
        entries: Sequence[tuple[Dim, int, tuple[int, ...]]],
        sign: int,
        days: bool,
        minutes: bool,
    ) -> None:
        versions = self.versions
        for dim, at_us, vector in entries:
            versions[dim] = versions.get(dim, 0) + 1
            day = london_day_ordinal(at_us)
            if days:
                if day < self._folded_below:
                    self._unfolded = True
                self._add(self.days, "days", dim, day, vector, sign)
            if minutes:
                minute = at_us // MINUTE_US
                if minute < self._pruned_below or day < self._live_pruned_below:
                    self._unpruned = True
                hours = self._hours.get(dim)
                if hours:
                    hours.pop(minute // 60, None)
                self._add(self.minutes, "minutes", dim, minute, vector, sign)
                self._add(self.live_days, "live_days", dim, day, vector, sign)

    def _sample(
        self, entries: Sequence[tuple[Dim, int, int]], sign: int, days: bool, minutes: bool
    ) -> None:
        versions = self.versions
        for dim, at_us, wait_us in entries:
            versions[dim] = versions.get(dim, 0) + 1
            if days:
                day = london_day_ordinal(at_us)
                if day < self._folded_below:
                    self._unfolded = True
                by_wait = self.day_waits.setdefault(dim, {}).setdefault(day, {})
                if self.changed is not None:
                    self.changed.add(("day_waits", dim, day))
                left = by_wait.get(wait_us, 0) + sign
                if left > 0:
                    by_wait[wait_us] = left
                else:  # absent once its month is folded to its longest wait
                    by_wait.pop(wait_us, None)
            if minutes:
                minute = at_us // MINUTE_US
                if minute < self._pruned_below:
                    self._unpruned = True
                hours = self._hour_waits.get(dim)
                if hours:
                    hours.pop(minute // 60, None)
                samples = self.waits.setdefault(dim, {}).setdefault(minute, [])
                if self.changed is not None:
                    self.changed.add(("waits", dim, minute))
                if sign > 0:
                    samples.append(wait_us)
                elif wait_us in samples:  # absent once its minute is past every window
                    samples.remove(wait_us)

    def _add(
        self,
        table: dict[Dim, dict[int, list[int]]],
        name: str,
        dim: Dim,
        bucket: int,
        vector: tuple[int, ...],
        sign: int,
    ) -> None:
        if self.changed is not None:
            self.changed.add((name, dim, bucket))
        by_bucket = table.get(dim)
        if by_bucket is None:
            by_bucket = table[dim] = {}
        row = by_bucket.get(bucket)
        if row is None:
            by_bucket[bucket] = list(vector) if sign > 0 else [-v for v in vector]
        else:
            # Compiled (setup.py), a loop over the row's counts that skips the zeros
            # (most of a vector) beats one pass of map in C.
            for i, count in enumerate(vector):
                if count:
                    row[i] += count * sign

    def steady_until(self, dim: Dim, minute: int, widths: tuple[int, ...]) -> int:
        """The first minute after ``minute`` at which rolling windows of ``widths``
        minutes, ending at the reference minute, may read differently with no event
        applied: when a bucket leaves the narrowest window holding it, or a later bucket
        comes in (`NEVER` if none will). The next minute for a dimension of many buckets,
        which changes at nearly every minute; a quiet one, most of a month's, holds for
        hours."""
        until = NEVER
        for table in (self.minutes, self.waits):
            by_minute = table.get(dim)
            if not by_minute:
                continue
            if len(by_minute) >= SPLIT_ABOVE:
                return minute + 1
            for bucket in by_minute:
                age = minute - bucket
                if age < 0:
                    change = bucket
                else:
                    for width in widths:
                        if age < width:
                            change = bucket + width
                            break
                    else:
                        continue
                if change < until:
                    until = change
        return until

    def sum_minutes(self, dim: Dim, minutes: range) -> list[int]:
        by_minute = self.minutes.get(dim)
        if not by_minute or len(by_minute) < SPLIT_ABOVE or len(minutes) < SPLIT_ABOVE:
            return self._sum(by_minute, minutes)
        head, whole, tail = _split(minutes)
        hours = self._hours.setdefault(dim, {})
        rows = [row for minute in head if (row := by_minute.get(minute)) is not None]
        for hour in whole:
            row = hours.get(hour)
            if row is None:
                row = hours[hour] = self._sum(by_minute, range(hour * 60, hour * 60 + 60))
            rows.append(row)
        rows += [row for minute in tail if (row := by_minute.get(minute)) is not None]
        if not rows:
            return [0] * self.width
        return [sum(column) for column in zip(*rows, strict=True)]

    def _sum(self, by_bucket: dict[int, list[int]] | None, buckets: range) -> list[int]:
        """The rows of ``buckets`` added up: a scrape adds up a day of minutes for every
        dimension, so the columns are summed in C."""
        if not by_bucket:
            return [0] * self.width
        if len(by_bucket) < len(buckets):
            rows = [row for bucket, row in by_bucket.items() if bucket in buckets]
        else:
            rows = [row for bucket in buckets if (row := by_bucket.get(bucket)) is not None]
        if not rows:
            return [0] * self.width
        return [sum(column) for column in zip(*rows, strict=True)]

    def day(self, dim: Dim, day_ordinal: int) -> list[int]:
        """A day's period figures, late events included."""
        return list(self.days.get(dim, {}).get(day_ordinal, [0] * self.width))

    def live_day(self, dim: Dim, day_ordinal: int) -> list[int]:
        """A day as the live "today" window counts it."""
        return list(self.live_days.get(dim, {}).get(day_ordinal, [0] * self.width))

    def sum_live_days(self, dim: Dim, days: range) -> list[int]:
        """Days as the live windows count them, added up (the "month" window)."""
        return self._sum(self.live_days.get(dim), days)

    def longest_day_wait(self, dim: Dim, day_ordinal: int) -> int | None:
        """A day's longest wait (µs), late events included; a closed month's on its
        folded row."""
        samples = self.day_waits.get(dim, {}).get(day_ordinal)
        return max(samples) if samples else None

    def longest_wait(self, dim: Dim, minutes: range) -> int | None:
        by_minute = self.waits.get(dim, {})
        if len(by_minute) < SPLIT_ABOVE or len(minutes) < SPLIT_ABOVE:
            longest = _longest(by_minute, minutes)
            return longest if longest >= 0 else None
        head, whole, tail = _split(minutes)
        hours = self._hour_waits.setdefault(dim, {})
        found = [_longest(by_minute, head), _longest(by_minute, tail)]
        for hour in whole:
            in_hour = hours.get(hour)
            if in_hour is None:
                in_hour = hours[hour] = _longest(by_minute, range(hour * 60, hour * 60 + 60))
            found.append(in_hour)
        overall = max(found)
        return overall if overall >= 0 else None

    def dims(self) -> Iterator[Dim]:
        yield from self.days

    def day_rows(self, dim: Dim) -> Iterable[list[int]]:
        """Every day's period figures held for the dimension (a closed month's on its
        folded rows), to read and not to change."""
        return self.days.get(dim, {}).values()

    def days_held(self) -> Iterator[tuple[Dim, int, list[int]]]:
        """(dimension, London day ordinal, period figures) of every day held, to read."""
        for dim, by_day in self.days.items():
            for ordinal, row in by_day.items():
                yield dim, ordinal, row

    def longest_day_waits(self) -> Iterator[tuple[Dim, int, int]]:
        """(dimension, London day ordinal, longest wait µs) of every day with a wait."""
        for dim, by_day in self.day_waits.items():
            for ordinal, samples in by_day.items():
                if samples:
                    yield dim, ordinal, max(samples)

    def prune(self, ref_us: int, fold: "MonthFold | None" = None) -> None:
        """Forget minute buckets older than any live window can reach, and fold the days
        of closed months (see `MonthFold`).

        Run once a minute of stream time by every partition, so it does only what the
        minute moved: the buckets that fell out of reach since the last prune, the days
        when the day moves, the fold when a month closes. A bucket written below what
        was pruned (a lifecycle taking back an old contribution) sends the next prune
        through every bucket again."""
        # Nothing moves within a UTC hour of stream time: the minute buckets go an hour
        # at a time, and London days (so months) start on whole UTC hours.
        hour = ref_us // HOUR_US
        if hour == self._pruned_hour and fold == self._last_fold:
            if not (self._unpruned or self._unfolded):
                return
        self._pruned_hour = hour
        # What goes below is out of every window's reach at this reference time, so
        # readings kept by dimension (`versions`) still hold; a fold moves days about.
        if fold is not None and (fold != self._last_fold or self._unfolded):
            self.epoch += 1
            self._fold_days(fold)
            self._last_fold, self._unfolded = fold, False
            self._folded_below = fold.open_from
        oldest = minute_of(ref_us) - RETAINED_MINUTES
        # An hour's buckets at a time, on the hour: a prune each minute walked every
        # dimension to drop one bucket from each. On the hour, so that a tally restored
        # from a checkpoint keeps the same buckets as one that never stopped.
        oldest -= oldest % 60
        everything = self._unpruned
        if oldest > self._pruned_below or everything:
            for name, by_hour in (("minutes", self._hours), ("waits", self._hour_waits)):
                for dim, by_minute in getattr(self, name).items():
                    gone = _forget_below(by_minute, oldest, self._pruned_below, everything)
                    self._mark_dropped(name, dim, gone)
                    hours = by_hour.get(dim)
                    if hours:
                        for hour_gone in {m // 60 for m in gone} | {
                            h for h in hours if h < oldest // 60
                        }:
                            hours.pop(hour_gone, None)
            self._pruned_below = max(oldest, self._pruned_below)
        # The month window reads every day of the London month; yesterday stays too, for
        # a reference time that is still on it at another partition.
        today = london_day(ref_us)
        oldest_day = min(today.replace(day=1).toordinal(), today.toordinal() - 1)
        if oldest_day > self._live_pruned_below or everything:
            for dim, by_day in self.live_days.items():
                gone = _forget_below(by_day, oldest_day, self._live_pruned_below, everything)
                self._mark("live_days", dim, gone)
            self._live_pruned_below = max(oldest_day, self._live_pruned_below)
        self._unpruned = False

    def _fold_days(self, fold: "MonthFold") -> None:
        for dim, by_day in self.days.items():
            for ordinal in [d for d in by_day if d < fold.open_from]:
                into = fold.into(ordinal)
                if into != ordinal:
                    self._add(self.days, "days", dim, into, tuple(by_day.pop(ordinal)), 1)
                    self._mark("days", dim, (ordinal,))
        for dim, waits_by_day in self.day_waits.items():
            for ordinal in sorted(d for d in waits_by_day if d < fold.open_from):
                # Ascending, so a row folded into an earlier day finds it already folded.
                samples = waits_by_day.pop(ordinal)
                longest = max([*samples, *waits_by_day.get(fold.into(ordinal), {})], default=None)
                if longest is not None:
                    waits_by_day[fold.into(ordinal)] = {longest: 1}
                self._mark("day_waits", dim, (ordinal, fold.into(ordinal)))

    def _mark(self, name: str, dim: Dim, buckets: Iterable[int]) -> None:
        if self.changed is not None:
            self.changed.update((name, dim, bucket) for bucket in buckets)

    def _mark_dropped(self, name: str, dim: Dim, minutes: list[int]) -> None:
        """Minute buckets a prune dropped: a change for those the last checkpoint may
        hold, none for one made and dropped since. A backlog read at many times real
        time makes and drops tens of thousands of minutes between two checkpoints; kept
        as changes, they took a worker reading a year 50 MiB and a calls checkpoint
        about 150 ms a partition, all to say that buckets it never held are absent."""
        changed = self.changed
        if changed is None:
            return
        top = self._held_top
        for minute in minutes:
            if minute > top:
                changed.discard((name, dim, minute))
            else:
                changed.add((name, dim, minute))

    def track_changes(self) -> None:
        """From now on remember the buckets that change, for `changes_to_json`."""
        self.changed = set()
        self._held_top = max(
            (
                max(by_minute)
                for table in (self.minutes, self.waits)
                for by_minute in table.values()
                if by_minute
            ),
            default=-(2**63),
        )

    def to_json(self) -> dict:
        def rows(table: dict[Dim, dict[int, list[int]]]) -> list:
            return [[list(dim), list(by.items())] for dim, by in table.items() if by]

        return {
            "minutes": rows(self.minutes),
            "days": rows(self.days),
            "live_days": rows(self.live_days),
            "waits": rows(self.waits),
            "day_waits": [
                [list(dim), [[day, list(found.items())] for day, found in by.items() if found]]
                for dim, by in self.day_waits.items()
                if by
            ],
        }

    def changes_to_json(self) -> list:
        """Every bucket changed since the last call, as it is now (None: dropped)."""
        rows = []
        for name, dim, bucket in self.changed or ():
            value = getattr(self, name).get(dim, {}).get(bucket)
            if name == "day_waits" and value is not None:
                value = list(value.items())
            rows.append([name, list(dim), bucket, value])
        self.track_changes()
        return rows

    def apply_changes(self, rows: list) -> None:
        """Bring a tally loaded from a checkpoint forward by `changes_to_json` rows."""
        for name, dim, bucket, value in rows:
            by_bucket = getattr(self, name).setdefault(tuple(dim), {})
            if value is None:
                by_bucket.pop(bucket, None)
            elif name == "day_waits":
                by_bucket[bucket] = {int(w): n for w, n in value}
            elif name == "waits":
                by_bucket[bucket] = value
            else:
                by_bucket[bucket] = self._vector(value)
        self._unpruned = self._unfolded = True
        self._hours, self._hour_waits = {}, {}
        self.epoch += 1

    def _vector(self, vector: list[int]) -> list[int]:
        """A count vector read from a checkpoint, refused unless it is this tally's width:
        one of another layout would put every count after the first it lacks in the
        wrong place (`streams.core.layout` moves layouts by name before this)."""
        if len(vector) != self.width:
            raise ValueError(f"a count vector of {len(vector)} where the tally keeps {self.width}")
        return vector

    def load_json(self, data: dict) -> None:
        def table(rows: Iterable) -> dict[Dim, dict[int, list[int]]]:
            return {tuple(dim): {int(k): self._vector(v) for k, v in by} for dim, by in rows}

        self.minutes = table(data["minutes"])
        self.days = table(data["days"])
        self.live_days = table(data["live_days"])
        self.waits = {tuple(dim): {int(k): v for k, v in by} for dim, by in data["waits"]}
        # Absent from checkpoints written before months kept their longest wait.
        self.day_waits = {
            tuple(dim): {int(day): {int(w): n for w, n in samples} for day, samples in by}
            for dim, by in data.get("day_waits", [])
        }
        self._pruned_below = self._live_pruned_below = self._folded_below = -(2**63)
        self._last_fold, self._unpruned, self._unfolded = None, True, True
        self._pruned_hour = None
        self._hours, self._hour_waits = {}, {}
        self.epoch += 1


SPLIT_ABOVE = 120
"""Minute buckets or a window's minutes from which a window is added up by whole hours."""
NEVER = 2**62


def _split(minutes: range) -> tuple[range, range, range]:
    """The minutes before the first whole UTC hour, the whole hours, the minutes after."""
    first, stop = minutes.start, minutes.stop
    head_end = min(stop, -(-first // 60) * 60)
    tail_start = max(head_end, stop - stop % 60)
    return range(first, head_end), range(head_end // 60, tail_start // 60), range(tail_start, stop)


def _longest(by_minute: dict[int, list[int]], minutes: range) -> int:
    """The longest wait in ``minutes``, or -1: waits are never negative."""
    if len(by_minute) < len(minutes):
        found = [max(s) for m, s in by_minute.items() if s and m in minutes]
    else:
        found = [max(s) for m in minutes if (s := by_minute.get(m))]
    return max(found) if found else -1


def _changes(old: tuple, new: tuple) -> tuple[tuple[int, Sequence[Any]], ...]:
    """What to take away (-1) and add (+1) to go from ``old`` entries to ``new``: only
    those that differ, as multisets, so a lifecycle's unchanged legs cost nothing."""
    if not old:
        return ((1, new),)
    if not new:
        return ((-1, old),)
    removed = list(old)
    added = []
    for entry in new:
        # Found by index, not removed and the ValueError caught: compiled, an exception
        # costs a traceback built in C, and an entry not found is most events'.
        for i, was in enumerate(removed):
            if was == entry:
                del removed[i]
                break
        else:
            added.append(entry)
    return ((-1, removed), (1, added))


def _count_changes(old: tuple, new: tuple) -> tuple[tuple[int, Sequence[Any]], ...]:
    """`_changes` of counts; one entry changed in place (a leg answered, a call settled:
    the same dimension and instant) becomes the difference, added once."""
    changes = _changes(old, new)
    if len(changes) == 2:
        (_, removed), (_, added) = changes
        if len(removed) == 1 == len(added):
            (dim, at_us, was), (now_dim, now_us, now) = removed[0], added[0]
            if dim == now_dim and at_us == now_us:
                return ((1, ((dim, at_us, tuple(map(sub, now, was))),)),)
    return changes


def _forget_below(buckets: dict[int, Any], below: int, done_below: int, scan: bool) -> list[int]:
    """Drop the buckets before ``below``, returning them; those before ``done_below`` are
    gone already unless ``scan``. Walks the keys, or only the buckets between, whichever
    is fewer."""
    if scan or below - done_below > len(buckets):
        gone = [b for b in buckets if b < below]
    else:
        gone = [b for b in range(done_below, below) if b in buckets]
    for bucket in gone:
        del buckets[bucket]
    return gone


@dataclass(frozen=True)
class MonthFold:
    """How the days of closed months are folded so that state stays small.

    A closed month is only ever read whole, so its days can share one row per
    dimension, on the first day of the month, or of the stretch of it under one set
    of targets (``starts``: the days a targets set or grading policy took effect),
    because the monthly pack looks up the targets in force by day.
    """

    open_from: int
    """Day ordinal: the first day of the oldest month still open to late events."""
    starts: tuple[int, ...] = ()
    """Day ordinals on which some target took effect, ascending."""

    def into(self, ordinal: int) -> int:
        first = date.fromordinal(ordinal).replace(day=1).toordinal()
        i = bisect.bisect_right(self.starts, ordinal)
        return max(first, self.starts[i - 1]) if i else first
