"""What a family's declaration is made of: its tallies' counts and where each shows."""

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from schemas import Family
from streams.core.ledger import Ledger
from streams.core.tally import Dim
from streams.core.targets import Targets

if TYPE_CHECKING:
    from streams.core.timebase import TimeRules

Labels = tuple[str, ...]
Combine = Literal["sum", "max"]


@dataclass(frozen=True)
class MetricSpec:
    """One metric: name, type, labels (all from closed sets), help, and how one worker
    folds its partitions' values together (and PromQL should fold workers')."""

    name: str
    kind: Literal["gauge", "counter", "histogram", "info"]
    labels: tuple[str, ...]
    help: str
    combine: Combine = "sum"


def gauge(name: str, labels: tuple[str, ...], text: str, combine: Combine = "sum") -> MetricSpec:
    return MetricSpec(name, "gauge", labels, text, combine)


@dataclass(frozen=True)
class Count:
    """One count of a tally row, and where it shows."""

    count: IntEnum
    metric: str | None = None
    """The gauge holding it for each window; None: the monthly pack only."""
    help: str = ""
    labels: Labels = ()
    pack: str | None = None
    """The monthly pack row's field (and so the CSV column) it fills; None: none."""
    scale: int = 1
    """What it is divided by to show: ``US`` for sums of µs shown as seconds."""
    combine: Combine = "sum"
    shown_where: Callable[[Dim, Targets], bool] | None = None
    """Shown only for the dimensions where this holds (else: everywhere)."""

    @property
    def spec(self) -> MetricSpec:
        assert self.metric is not None
        return gauge(self.metric, self.labels, self.help, self.combine)


@dataclass(frozen=True)
class Distribution:
    """A row's bucket counts over every day held, shown as a histogram."""

    spec: MetricSpec
    timed: IntEnum
    """How many have a time, so are in the buckets."""
    sum_us: IntEnum


@dataclass(frozen=True)
class Row:
    """One tally of a family: a count vector per dimension, by minute and London day."""

    name: str
    counts: tuple[Count, ...]
    """Every count of the row's enum: those shown in the catalog's order, those in the
    pack in the order of its row's fields."""
    labels: Callable[[Dim, Targets], Labels]
    """A dimension's label values, the window aside."""
    key: Callable[[Dim], Hashable]
    """A dimension as the monthly pack groups it."""
    standard: Callable[[Targets, date], Iterable[Dim]]
    """Dimensions always shown, at zero when quiet."""
    buckets: tuple[int, ...] = ()
    """Upper bounds (s, inclusive) of the bucket counts after the named ones."""
    bucket_fields: tuple[tuple[str, int], ...] = ()
    """Monthly pack fields read off a bucket: (field, bound in seconds)."""
    longest_wait: MetricSpec | None = None
    """The longest wait of the window, from the row's wait samples."""
    histogram: Distribution | None = None
    gauges: tuple[MetricSpec, ...] = ()
    """Figures of "now" over the row's dimensions, at zero for every standard dimension:
    their labels are the leading ones of the dimension's."""

    @cached_property
    def first_bucket(self) -> int:
        return len(type(self.counts[0].count))

    @property
    def width(self) -> int:
        return self.first_bucket + len(self.buckets)

    def bucket(self, bound_s: int) -> int:
        """The index of the bucket counting those at most ``bound_s`` seconds."""
        return self.first_bucket + self.buckets.index(bound_s)

    def metric(self, count: IntEnum) -> str:
        """The gauge ``count`` shows as for each window."""
        name = next(c.metric for c in self.counts if c.count is count)
        if name is None:
            raise ValueError(f"{self.name}: {count.name} is not a live figure")
        return name

    def specs(self) -> tuple[MetricSpec, ...]:
        return tuple(c.spec for c in self.counts if c.metric is not None)

    def shown(self, dim: Dim, targets: Targets) -> tuple[Count, ...]:
        return tuple(
            c
            for c in self.counts
            if c.metric is not None and (c.shown_where is None or c.shown_where(dim, targets))
        )

    @cached_property
    def pack_fields(self) -> tuple[str, ...]:
        """The monthly pack row's count fields, in the order of the declaration."""
        named = (c.pack for c in self.counts if c.pack is not None)
        return (*named, *(name for name, _ in self.bucket_fields))

    def pack(self, vector: list[int]) -> dict[str, int]:
        """The monthly pack row's fields this vector fills."""
        fields = {c.pack: vector[c.count] for c in self.counts if c.pack is not None}
        for name, bound_s in self.bucket_fields:
            fields[name] = vector[self.bucket(bound_s)]
        return fields


@dataclass(frozen=True)
class Contacts:
    """How a family's contacts count towards channel share."""

    row: str
    count: IntEnum
    channel: Callable[[Dim], str]
    channels: tuple[str, ...]
    """Every channel it can name, in the order they are shown."""


@dataclass(frozen=True)
class Staffing:
    """The row's counts Erlang C staffing is worked out from, and where it shows."""

    row: str
    spec: MetricSpec
    offered: IntEnum
    """Offered in the last 15 minutes: the demand."""
    handled: IntEnum
    handle_us: IntEnum
    """Handled, and their handling time, in the last 24 hours: how long each takes."""


Added = list[tuple[Dim, int, tuple[int, ...]]]
"""Counts to add to a row: (dimension, the instant they are attributed to, counts)."""


@dataclass
class Now:
    """What a ledger shows at a reference time beyond its tallies."""

    added: dict[str, Added] = field(default_factory=dict)
    """By row name: what has happened since the lifecycles' newest events (an open
    incident's deadline passing)."""
    gauges: list[tuple[MetricSpec, Labels, float]] = field(default_factory=list)


TargetFigures = Iterable[tuple[MetricSpec, Labels, float]]


@dataclass(frozen=True)
class Quiet:
    """How long the family's events may stop before its feed is taken to be broken, and
    who is told: a page, or a ticket for the working day."""

    minutes: int
    severity: Literal["page", "ticket"]
    why: str
    """Why that long, in the alert's words."""
    hours: "Callable[[Targets], tuple[int, int]] | None" = None
    """UTC hours [start, end) within which alone it is checked; None: around the clock."""
    within: str = ""
    """What those hours are, in the alert's words."""


@dataclass(frozen=True)
class FamilySpec:
    """One family of lifecycles: how its ledger is made, and everything it shows."""

    family: Family
    ledger: type[Ledger]
    stale: "Callable[[TimeRules], int]"
    """How long a part of a lifecycle may wait for its partner (the ledger's stale rule)."""
    topic_setting: str
    """The settings field naming the family's input topic."""
    rows: tuple[Row, ...]
    """In the order the ledger keeps its tallies."""
    metrics: tuple[MetricSpec, ...]
    """The family's figures in the catalog's order, histograms aside."""
    now: Callable[[Any, int, bool], Now]
    """(ledger, reference µs, live): what waits or is overdue now."""
    targets: Callable[[Targets, date], TargetFigures]
    """The targets in force on a day, as figures."""
    contacts: Contacts | None = None
    """None: not contacts from the public."""
    as_of: Callable[[Any, int], dict[str, Added]] | None = None
    """(ledger, stream µs): what the monthly pack adds to the tallies as of the
    partition's newest event, never the wall clock."""
    staffing: Staffing | None = None
    quiet: Quiet | None = None
    """None: never alerted on for want of events."""

    def make_ledger(self, targets: Targets, rules: "TimeRules") -> Ledger:
        return self.ledger(targets, rules.grace_us, self.stale(rules), rules.close_after_us)

    def row(self, name: str) -> Row:
        return next(row for row in self.rows if row.name == name)

    def histograms(self) -> tuple[MetricSpec, ...]:
        return tuple(row.histogram.spec for row in self.rows if row.histogram is not None)


# --- what the families share ---------------------------------------------------------

CONTACTS = gauge(
    "ccm_contacts",
    ("channel", "window"),
    "Contacts by channel (999, 101, chat, online): the base of channel share.",
)


def first_label(dim: Dim, _targets: Targets) -> Labels:
    return (str(dim[0]),)
