"""Prometheus exposition of the worker's figures (the only module that knows prometheus_client).

Figures are computed at scrape time from partition state, so the per-event path
never touches a metric object.
"""

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from streams.core.catalog import CATALOG, PIPELINE
from streams.core.figures import compute
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
        """The worker's readings of its consumer and producer (catalog.PIPELINE)."""

    def collect(self) -> Iterator[Metric]:
        figures = compute(self._states(), self._targets, self._wall_us())
        figures.values.update(self._pipeline())
        for spec in (*CATALOG, *PIPELINE):
            labels = list(spec.labels)
            if spec.kind == "histogram":
                family = HistogramMetricFamily(spec.name, spec.help, labels=labels)
                for values, histogram in sorted(figures.histograms.get(spec.name, {}).items()):
                    buckets = [
                        (str(float(b)), n)
                        for b, n in zip(histogram.bounds_s, histogram.buckets, strict=True)
                    ]
                    buckets.append(("+Inf", histogram.count))
                    family.add_metric(list(values), buckets, histogram.sum_s)
                yield family
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


def registry_for(collector: FiguresCollector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    # process_resident_memory_bytes and the rest: the pipeline dashboard's worker memory.
    ProcessCollector(registry=registry)
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


__all__ = ["US", "FiguresCollector", "exposition", "registry_for"]
