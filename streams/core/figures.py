"""The figures a worker exposes, computed from its partitions' state at one instant.

Pure: takes partition states, the targets and the wall clock, returns numbers by
metric name and label values (see `streams.core.catalog`). Each partition's live
windows end at that partition's own reference time. What each family's tallies
count, and which figure each count shows as, is its declaration's
(`streams.core.families`); this module applies them all alike.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import add

from schemas import Channel, Queue, RejectReason
from streams.core import erlang
from streams.core.buckets import ANSWER_BUCKETS_S
from streams.core.catalog import (
    BY_NAME,
    EVENTS_CONSUMED,
    EVENTS_DUPLICATE,
    EVENTS_LATE,
    EVENTS_LOST,
    EVENTS_REJECTED,
    NEWEST_EVENT,
    PARTITIONS_ASSIGNED,
    PARTITIONS_LIVE,
    STREAM_TIME,
)
from streams.core.families import CONTACTS, FAMILIES, STANDARD_QUEUES, FamilySpec, Row
from streams.core.families.declare import Added, Count, Labels, Staffing
from streams.core.ledger import Ledger
from streams.core.partition import PartitionState
from streams.core.tally import Dim, Tally
from streams.core.targets import ResolvedQueueTarget, Targets
from streams.core.timebase import (
    ROLLING_MINUTES,
    US,
    Window,
    days_in_window,
    london_day,
    london_midnight_us,
    minute_of,
    minutes_in_window,
)

__all__ = ["STANDARD_QUEUES", "Figures", "Histogram", "compute", "positions_needed"]


@dataclass
class Histogram:
    bounds_s: tuple[int, ...] = ANSWER_BUCKETS_S
    buckets: list[int] = field(default_factory=list)
    count: int = 0
    sum_s: float = 0.0

    def __post_init__(self) -> None:
        if not self.buckets:
            self.buckets = [0] * len(self.bounds_s)


@dataclass
class Figures:
    values: dict[str, dict[Labels, float]] = field(default_factory=lambda: defaultdict(dict))
    histograms: dict[str, dict[Labels, Histogram]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    def put(self, name: str, labels: Labels, value: float) -> None:
        """Fold a partition's value in: added, or the larger kept (per the catalog)."""
        series = self.values[name]
        if BY_NAME[name].combine == "max":
            if labels not in series or value > series[labels]:
                series[labels] = value
        else:
            series[labels] = series.get(labels, 0) + value

    def zero(self, name: str, labels: Labels) -> None:
        self.values[name].setdefault(labels, 0)


def _window_vector(tally: Tally, dim: Dim, window: Window, ref_us: int) -> list[int]:
    days = days_in_window(window, ref_us)
    if days is not None:
        return tally.sum_live_days(dim, days)
    return tally.sum_minutes(dim, minutes_in_window(window, ref_us))


MINUTE_WINDOWS = tuple(w for w in Window if w is not Window.MONTH)
"""Windows whose wait samples are kept (per minute): the month's longest wait is not."""


def compute(
    states: Iterable[PartitionState],
    targets: Targets,
    wall_us: int,
    readings: "Readings | None" = None,
) -> Figures:
    """Every figure at ``wall_us``; ``readings`` keeps tally readings for the next call."""
    readings = readings or Readings()
    today = london_day(wall_us)
    figures = _zeros(targets, today)
    for family in FAMILIES.values():
        for spec, labels, value in family.targets(targets, today):
            figures.put(spec.name, labels, value)
    demand: dict[Staffing, dict[tuple[Channel, Queue], Demand]] = {}
    windows: Windows = {}
    for state in states:
        _pipeline(figures, state)
        ref_us = state.reference_us(wall_us)
        if ref_us is None:
            continue
        family = FAMILIES[state.family]
        read = _family(figures, windows, readings, family, state.ledger, ref_us, state.clock.live)
        if family.staffing is not None:
            staffing = family.staffing
            _add_demand(demand.setdefault(staffing, {}), staffing, read[staffing.row], ref_us)
    put_windows(figures, windows, targets)
    _positions(figures, demand, targets)
    readings.done()
    return figures


Windows = dict[tuple[int, Dim], tuple[FamilySpec, Row, dict[Window, list[int]]]]
"""Each row's counts by dimension and window, added up over the partitions before they
become series: a family's partitions share their dimensions, and one series written
once, not once a partition, is most of a scrape's time saved. So a row's counts must add
up (a largest-of figure is a gauge of its own, as the longest waits are)."""

if any(c.combine != "sum" for f in FAMILIES.values() for r in f.rows for c in r.counts):
    raise TypeError("a row's counts are added up over partitions: declare them combine='sum'")


def put_windows(figures: Figures, windows: Windows, targets: Targets) -> None:
    for (_, dim), (family, row, by_window) in windows.items():
        labels, shown_counts = _layout(row, dim, targets)
        shown = [(figures.values[c.metric], c.count, c.scale) for c in shown_counts]
        contacts = family.contacts if family.contacts and family.contacts.row == row.name else None
        for window, vector in by_window.items():
            at = (*labels, window.value)
            for series, index, scale in shown:
                series[at] = series.get(at, 0) + vector[index] / scale
            if contacts is not None:
                channel = contacts.channel(dim)
                figures.put(CONTACTS.name, (channel, window.value), vector[contacts.count])


def _zeros(targets: Targets, today: date) -> Figures:
    """Figures holding every series a dashboard or rule reads, at 0, so that a quiet
    queue shows 0, not nothing. The same for a day and targets, so written once and
    copied: some 4,000 series, a tenth of a scrape written afresh."""
    kept = _ZEROS.get(id(targets))
    if kept is None or kept[0] is not targets or kept[1] != today:
        zeros = Figures()
        _write_zeros(zeros, targets, today)
        _ZEROS.clear()
        _ZEROS[id(targets)] = kept = (targets, today, zeros)
    zeros = kept[2]
    figures = Figures()
    for name, series in zeros.values.items():
        figures.values[name] = dict(series)
    for name, histograms in zeros.histograms.items():
        figures.histograms[name] = {
            labels: Histogram(h.bounds_s, list(h.buckets), h.count, h.sum_s)
            for labels, h in histograms.items()
        }
    return figures


_ZEROS: dict[int, tuple[Targets, date, Figures]] = {}


def _write_zeros(figures: Figures, targets: Targets, today: date) -> None:
    for family in FAMILIES.values():
        for row in family.rows:
            for dim in row.standard(targets, today):
                labels = row.labels(dim, targets)
                shown = row.shown(dim, targets)
                for window in Window:
                    for count in shown:
                        figures.zero(count.metric, (*labels, window.value))
                for spec in row.gauges:
                    figures.zero(spec.name, labels[: len(spec.labels)])
                if row.histogram is not None:
                    spec = row.histogram.spec
                    figures.histograms[spec.name].setdefault(
                        labels[: len(spec.labels)], Histogram(row.buckets)
                    )
        if family.contacts is not None:
            for channel in family.contacts.channels:
                for window in Window:
                    figures.zero(CONTACTS.name, (channel, window.value))
        figures.zero(PARTITIONS_ASSIGNED.name, (family.family.value,))
        figures.zero(PARTITIONS_LIVE.name, (family.family.value,))


def _layout(row: Row, dim: Dim, targets: Targets) -> tuple[Labels, tuple[Count, ...]]:
    """A dimension's labels and shown counts under ``targets``: the same at every scrape
    for the dimensions a worker holds, so kept (per targets, which a worker keeps)."""
    kept = _LAYOUTS.get(id(targets))
    if kept is None or kept[0] is not targets:
        _LAYOUTS.clear()
        _LAYOUTS[id(targets)] = kept = (targets, {})
    layouts = kept[1]
    layout = layouts.get((id(row), dim))
    if layout is None:
        layout = layouts[(id(row), dim)] = (row.labels(dim, targets), row.shown(dim, targets))
    return layout


_LAYOUTS: dict[int, tuple[Targets, dict[tuple[int, Dim], tuple[Labels, tuple[Count, ...]]]]] = {}


def _pipeline(figures: Figures, state: PartitionState) -> None:
    family = state.family.value
    # The counters are the partitions' totals, restored from their checkpoints: shown
    # only once a partition is held (a worker that has not restored one yet shows none,
    # rather than a 0 that rules would read as a reset), then from 0 for every reason,
    # so that the first dead letter is an increase.
    for reason in RejectReason:
        figures.zero(EVENTS_REJECTED.name, (family, reason.value))
    figures.put(PARTITIONS_ASSIGNED.name, (family,), 1)
    figures.put(PARTITIONS_LIVE.name, (family,), int(state.clock.live))
    figures.put(EVENTS_CONSUMED.name, (family,), state.consumed)
    figures.put(EVENTS_DUPLICATE.name, (family,), state.duplicates)
    figures.put(EVENTS_LATE.name, (family,), state.late)
    figures.put(EVENTS_LOST.name, (family,), state.lost)
    for reason, count in state.rejected.items():
        figures.put(EVENTS_REJECTED.name, (family, reason.value), count)
    for source, newest_us in state.newest_by_source.items():
        figures.put(NEWEST_EVENT.name, (source.value,), newest_us / US)
    if state.clock.stream_us is not None:
        figures.put(STREAM_TIME.name, (family,), state.clock.stream_us / US)


def _family(
    figures: Figures,
    windows: Windows,
    readings: "Readings",
    family: FamilySpec,
    ledger: Ledger,
    ref_us: int,
    live: bool,
) -> "dict[str, TallyReading]":
    """The family's figures from one partition, and what its tallies read, by row."""
    now = family.now(ledger, ref_us, live)
    read = {}
    for row, tally in zip(family.rows, ledger.tallies, strict=True):
        added = now.added.get(row.name, [])
        read[row.name] = reading = readings.read(tally, row, ref_us)
        _row(figures, windows, family, row, reading, tally.width, ledger.targets, ref_us, added)
    for spec, labels, value in now.gauges:
        figures.put(spec.name, labels, value)
    return read


@dataclass(slots=True)
class DimReading:
    """What one dimension of a tally gives a scrape at one minute of its reference time:
    its windows' counts, its longest waits, and its days added up."""

    windows: dict[Window, list[int]]
    longest: dict[Window, int] = field(default_factory=dict)
    days: list[int] | None = None


TallyReading = dict[Dim, DimReading]


class Readings:
    """Tally readings kept from one scrape to the next, by dimension: a dimension no event
    has changed since reads the same until a bucket leaves one of its windows or the
    London day turns (live gauges are read afresh). With a month of state, reading
    every dimension was most of a scrape's time, and between two scrapes most
    dimensions see no event; a backlog read at many times real time moves the minute
    at every scrape, and most dimensions have a bucket or two in a day."""

    def __init__(self) -> None:
        self._kept: dict[int, tuple[Tally, dict[Dim, _Held]]] = {}
        self._seen: dict[int, tuple[Tally, dict[Dim, _Held]]] = {}

    def read(self, tally: Tally, row: Row, ref_us: int) -> TallyReading:
        minute = minute_of(ref_us)
        kept = self._kept.get(id(tally))
        before = kept[1] if kept is not None and kept[0] is tally else {}
        now: dict[Dim, _Held] = {}
        reading = {}
        versions, epoch = tally.versions, tally.epoch
        next_day: int | None = None
        for dim in tally.dims():
            version = versions.get(dim, 0)
            held = before.get(dim)
            if (
                held is None
                or held[0] != epoch
                or held[1] != version
                or not held[2] <= minute < held[3]
            ):
                if next_day is None:
                    next_day = minute_of(london_midnight_us(london_day(ref_us) + DAY))
                until = min(tally.steady_until(dim, minute, ROLLING_WIDTHS), next_day)
                held = (epoch, version, minute, until, _read(tally, row, dim, ref_us))
            now[dim] = held
            reading[dim] = held[4]
        self._seen[id(tally)] = (tally, now)
        return reading

    def done(self) -> None:
        """Keep only what this scrape read: partitions handed away are let go."""
        self._kept, self._seen = self._seen, {}


_Held = tuple[int, int, int, int, DimReading]
"""A dimension's reading with the tally's epoch and the dimension's version it was read
at, and the minutes it holds for: from, and until (not included)."""

ROLLING_WIDTHS = tuple(sorted(ROLLING_MINUTES.values()))
DAY = timedelta(days=1)


def _read(tally: Tally, row: Row, dim: Dim, ref_us: int) -> DimReading:
    reading = DimReading({w: _window_vector(tally, dim, w, ref_us) for w in Window})
    if row.longest_wait is not None:
        for window in MINUTE_WINDOWS:
            found = tally.longest_wait(dim, minutes_in_window(window, ref_us))
            if found is not None:
                reading.longest[window] = found
    if row.histogram is not None:
        rows = list(tally.day_rows(dim))
        if rows:  # every day held, added up column by column in C
            reading.days = [sum(column) for column in zip(*rows, strict=True)]
    return reading


def _row(
    figures: Figures,
    windows: Windows,
    family: FamilySpec,
    row: Row,
    reading: TallyReading,
    width: int,
    targets: Targets,
    ref_us: int,
    added: Added,
) -> None:
    extra = _by_window(added, ref_us)
    for dim in reading.keys() | {dim for dim, _ in extra}:
        labels = _layout(row, dim, targets)[0]
        # By the row's identity: hashing the declarations is dearer than the sums.
        by_window = windows.setdefault((id(row), dim), (family, row, {}))[2]
        read = reading.get(dim)
        for window in Window:
            vector = read.windows[window] if read is not None else [0] * width
            more = extra.get((dim, window))
            if more:
                vector = [a + b for a, b in zip(vector, more, strict=True)]
            held = by_window.get(window)
            # Never changed in place, so a reading's own vector can be held as it is.
            by_window[window] = vector if held is None else list(map(add, held, vector))
        if row.longest_wait is not None and read is not None:
            for window, longest in read.longest.items():
                figures.put(row.longest_wait.name, (*labels, window.value), longest / US)
        if row.histogram is not None:
            spread = row.histogram
            histogram = figures.histograms[spread.spec.name].setdefault(
                labels[: len(spread.spec.labels)], Histogram(row.buckets)
            )
            total = read.days if read is not None else None
            if total is not None:
                histogram.count += total[spread.timed]
                histogram.sum_s += total[spread.sum_us] / US
                first = row.first_bucket
                for i in range(len(row.buckets)):
                    histogram.buckets[i] += total[first + i]


def _by_window(added: Added, ref_us: int) -> dict[tuple[Dim, Window], list[int]]:
    """Counts to add, summed by the live windows their instants fall in."""
    by_window: dict[tuple[Dim, Window], list[int]] = {}
    spans = [(w, days_in_window(w, ref_us)) for w in Window]
    minutes = {w: minutes_in_window(w, ref_us) for w, days in spans if days is None}
    for dim, at_us, counts in added:
        day, minute = london_day(at_us).toordinal(), minute_of(at_us)
        for window, days in spans:
            inside = day in days if days is not None else minute in minutes[window]
            if inside:
                row = by_window.setdefault((dim, window), [0] * len(counts))
                for i, n in enumerate(counts):
                    row[i] += n
    return by_window


@dataclass
class Demand:
    """What Erlang C needs of one queue, pooled over every partition held: the sums add up
    across partitions, the staffing they imply does not (a larger team answers the same
    calls with proportionally fewer handlers)."""

    offered_15m: int = 0
    handled_24h: int = 0
    handle_us_24h: int = 0
    ref_us: int = 0
    """The newest reference time among the partitions: the day whose target applies."""


def _add_demand(
    demand: dict[tuple[Channel, Queue], Demand],
    staffing: Staffing,
    reading: TallyReading,
    ref_us: int,
) -> None:
    for dim, read in reading.items():
        queue = demand.setdefault((Channel(str(dim[0])), Queue(str(dim[1]))), Demand())
        last_15m = read.windows[Window.LAST_15M]
        queue.offered_15m += last_15m[staffing.offered]
        last_24h = read.windows[Window.LAST_24H]
        queue.handled_24h += last_24h[staffing.handled]
        queue.handle_us_24h += last_24h[staffing.handle_us]
        queue.ref_us = max(queue.ref_us, ref_us)


def _positions(
    figures: Figures,
    demand: dict[Staffing, dict[tuple[Channel, Queue], Demand]],
    targets: Targets,
) -> None:
    for staffing, queues in demand.items():
        for (channel, queue), pooled in queues.items():
            target = targets.calls_on(london_day(pooled.ref_us)).resolve(channel, queue)
            positions = positions_needed(pooled, target)
            if positions is not None:
                figures.put(staffing.spec.name, (channel.value, queue.value), positions)


def positions_needed(demand: Demand, target: ResolvedQueueTarget) -> int | None:
    """Erlang C staffing for the demand of the last 15 minutes; none without a handling
    time to go on (nothing handled in the last 24 hours)."""
    if demand.handled_24h == 0 or demand.handle_us_24h == 0:
        return None
    return erlang.agents_needed(
        calls=demand.offered_15m,
        period_seconds=ROLLING_MINUTES[Window.LAST_15M] * 60,
        handle_seconds=demand.handle_us_24h / US / demand.handled_24h,
        target_seconds=target.answer_within_us / US,
        service_level_target=min(target.service_level_objective, 0.999),
    )
