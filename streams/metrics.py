"""Prometheus exposition of the worker's figures (the only module that knows prometheus_client).

Figures are computed at scrape time from partition state, so the per-event path
never touches a metric object.
"""

import time
from collections.abc import Callable, Iterator
from functools import lru_cache

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from streams.core.catalog import CATALOG, PIPELINE, MetricSpec
from streams.core.figures import Figures, Readings, compute
from streams.core.partition import PartitionState
from streams.core.targets import Targets
from streams.core.timebase import US


class FiguresCollector(Collector):
    def __init__(
        self,
        states: Callable[[], list[PartitionState]],
        targets: Targets,
        wall_us: Callable[[], int] = lambda: time.time_ns() // 1000,
        pipeline: Callable[[], dict[str, dict[tuple[str, ...], float]]] = dict,
    ) -> None:
        self._states = states
        self._targets = targets
        self._wall_us = wall_us
        self._pipeline = pipeline
        self._readings = Readings()
        """The worker's readings of its consumer and producer (catalog.PIPELINE)."""

    def figures(self) -> Figures:
        figures = compute(self._states(), self._targets, self._wall_us(), self._readings)
        figures.values.update(self._pipeline())
        return figures

    def collect(self) -> Iterator[Metric]:
        figures = self.figures()
        for spec in (*CATALOG, *PIPELINE):
            labels = list(spec.labels)
            if spec.kind == "histogram":
                yield _histogram(spec, figures)
                continue
            series = sorted(figures.values.get(spec.name, {}).items())
            if spec.kind == "counter":
                family = CounterMetricFamily(spec.name, spec.help, labels=labels)
            elif spec.kind == "info":
                family = InfoMetricFamily(spec.name, spec.help, labels=labels)
                for values, _ in series:
                    family.add_metric(list(values), {})
                yield family
                continue
            else:
                family = GaugeMetricFamily(spec.name, spec.help, labels=labels)
            for values, value in series:
                family.add_metric(list(values), value)
            yield family


def _histogram(spec: MetricSpec, figures: Figures) -> HistogramMetricFamily:
    family = HistogramMetricFamily(spec.name, spec.help, labels=list(spec.labels))
    for values, histogram in sorted(figures.histograms.get(spec.name, {}).items()):
        buckets = [
            (str(float(b)), n) for b, n in zip(histogram.bounds_s, histogram.buckets, strict=True)
        ]
        buckets.append(("+Inf", histogram.count))
        family.add_metric(list(values), buckets, histogram.sum_s)
    return family


def process_registry() -> CollectorRegistry:
    """process_resident_memory_bytes and the rest: the pipeline dashboard's worker memory."""
    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)
    return registry


def exposition(collector: FiguresCollector, process: CollectorRegistry | None = None) -> bytes:
    """The scrape: the figures (see `_text`), then the process's own metrics."""
    text = _text(collector.figures())
    if process is not None:
        text += generate_latest(process).decode()
    return text.encode()


def _text(figures: Figures) -> str:
    """The figures in Prometheus' text format, byte for byte what `generate_latest` of
    a `FiguresCollector` gives (a test compares them). With a month of state a
    scrape has some 4,000 series, and prometheus_client took longer to write them
    than ccm took to compute them: it checks and escapes every label name of every
    sample, where these names are the catalog's, checked once."""
    out: list[str] = []
    for spec in (*CATALOG, *PIPELINE):
        if spec.kind == "histogram":
            _histogram_text(out, spec, figures)
            continue
        name, help_text = spec.name, spec.help.replace("\\", r"\\").replace("\n", r"\n")
        kind, value_of = spec.kind, floatToGoString
        if kind == "counter":
            name = name.removesuffix("_total") + "_total"
        elif kind == "info":
            name, kind = name + "_info", "gauge"
        out.append(f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n")
        for values, value in sorted(figures.values.get(spec.name, {}).items()):
            shown = "1.0" if spec.kind == "info" else value_of(value)
            out.append(f"{_series(name, spec.labels, values)} {shown}\n")
    return "".join(out)


def _histogram_text(out: list[str], spec: MetricSpec, figures: Figures) -> None:
    """As `_histogram` gives it to `generate_latest`: buckets, count, then sum."""
    name, value_of = spec.name, floatToGoString
    help_text = spec.help.replace("\\", r"\\").replace("\n", r"\n")
    out.append(f"# HELP {name} {help_text}\n# TYPE {name} histogram\n")
    bucket_labels = (*spec.labels, "le")
    for values, histogram in sorted(figures.histograms.get(spec.name, {}).items()):
        for bound, n in zip(histogram.bounds_s, histogram.buckets, strict=True):
            at = _series(f"{name}_bucket", bucket_labels, (*values, str(float(bound))))
            out.append(f"{at} {value_of(n)}\n")
        count = value_of(histogram.count)
        out.append(f"{_series(f'{name}_bucket', bucket_labels, (*values, '+Inf'))} {count}\n")
        out.append(f"{_series(f'{name}_count', spec.labels, values)} {count}\n")
        out.append(f"{_series(f'{name}_sum', spec.labels, values)} {value_of(histogram.sum_s)}\n")


@lru_cache(maxsize=65_536)
def _series(name: str, labels: tuple[str, ...], values: tuple[str, ...]) -> str:
    """A series' name and labels as the text format writes them. Its labels come from
    closed sets, so the same few thousand are written at every scrape."""
    if not labels:
        return name
    pairs = sorted(zip(labels, values, strict=True))
    return name + "{" + ",".join(f'{label}="{_escape(value)}"' for label, value in pairs) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


__all__ = ["US", "FiguresCollector", "exposition", "process_registry"]
