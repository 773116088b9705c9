"""Pipeline health, for the engineer on call: events per second by family, consumer lag
and stalls, dead letters by reason, stream time and event age per family, the last event
per source, partitions assigned and live, checkpoint age and duration, workers up and
their memory.

The event counters are the totals of the partitions a worker holds (docs/kpis.md), so
rates are summed across workers before they are read."""

from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.models import dashboard as model

from dashboards.objectives import Objectives
from dashboards.panels import Query, dashboard, stat_panel, time_panel
from schemas import Family
from streams.core.catalog import (
    CHECKPOINT_ACKNOWLEDGED,
    CHECKPOINT_DURATION,
    CONSUMER_LAG,
    CONSUMER_STALLED,
    DEADLETTERS,
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
from streams.core.families import MetricSpec

UID = "ccm-pipeline-health"
JOB = 'job="ccm-worker"'
"""The scrape job of deploy/prometheus/prometheus.yml."""
F = '{family=~"$family"}'


def family_variable() -> board.CustomVariable:
    values = ",".join(f.value for f in Family)
    return (
        board.CustomVariable("family")
        .label("Family")
        .values(values)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(model.VariableOption(text="All", value="$__all", selected=True))
    )


def _rate(counter: MetricSpec, by: str) -> str:
    """Per second, summed across workers: a counter is exposed with ``_total``."""
    return f"sum by ({by}) (rate({counter.name}_total{F}[$__rate_interval]))"


def build(objectives: Objectives):
    flow = (
        "Flow",
        [
            time_panel(
                "Events consumed per second, by family",
                "Events read from each family's topic, every worker together.",
                "eps",
                [Query(_rate(EVENTS_CONSUMED, "family"), "{{family}}")],
                w=8,
            ),
            time_panel(
                "Consumer lag, by family",
                "Messages on the topics not yet read by the worker group.",
                "short",
                [Query(f"sum by (family) ({CONSUMER_LAG.name}{F})", "{{family}}")],
                w=8,
            ),
            time_panel(
                "Consumers stalled, by family",
                "1 while a family's consumer has lag but makes no progress.",
                "short",
                [Query(f"max by (family) ({CONSUMER_STALLED.name}{F})", "{{family}}")],
                w=8,
            ),
            time_panel(
                "Dead letters per second, by reason",
                "Input sent to the dead-letter topic, by reason code (docs/event-contract.md).",
                "eps",
                [Query(_rate(DEADLETTERS, "reason"), "{{reason}}")],
                w=8,
            ),
            time_panel(
                "Rejected, duplicate, late and lost events per second",
                "Rejected events (every dead letter), duplicates, late events taken, and "
                "offsets retention deleted before they were read (lost).",
                "eps",
                [
                    Query(_rate(EVENTS_REJECTED, "family"), "rejected {{family}}"),
                    Query(_rate(EVENTS_DUPLICATE, "family"), "duplicate {{family}}"),
                    Query(_rate(EVENTS_LATE, "family"), "late {{family}}"),
                    Query(_rate(EVENTS_LOST, "family"), "lost {{family}}"),
                ],
                w=8,
            ),
            time_panel(
                "Event age, by family",
                "Wall clock minus stream time (the newest event time seen): how far behind "
                "real time each family's figures are.",
                "s",
                [Query(f"time() - max by (family) ({STREAM_TIME.name}{F})", "{{family}}")],
                w=8,
            ),
        ],
    )
    sources = (
        "Sources and partitions",
        [
            stat_panel(
                "Stream time, by family",
                "The newest event time each family has seen.",
                "dateTimeAsIso",
                [Query(f"max by (family) ({STREAM_TIME.name}{F}) * 1000", "{{family}}")],
                w=8,
                h=6,
            ),
            stat_panel(
                "Since the last event, by source",
                "How long since each producing system's newest event: a source gone quiet "
                "is a pipeline gone stale.",
                "s",
                [
                    Query(
                        f"time() - max by (source) ({NEWEST_EVENT.name})",
                        "{{source}}",
                    )
                ],
                w=8,
                h=6,
            ),
            time_panel(
                "Partitions assigned and live, by family",
                "Partitions the workers hold, and those whose newest event is current.",
                "short",
                [
                    Query(
                        f"sum by (family) ({PARTITIONS_ASSIGNED.name}{F})", "assigned {{family}}"
                    ),
                    Query(f"sum by (family) ({PARTITIONS_LIVE.name}{F})", "live {{family}}"),
                ],
                w=8,
                h=6,
            ),
        ],
    )
    workers = (
        "Workers",
        [
            time_panel(
                "Since the last acknowledged checkpoint, by family",
                "How old the state a restarted worker would start from is.",
                "s",
                [
                    Query(
                        f"time() - min by (family) ({CHECKPOINT_ACKNOWLEDGED.name}{F})",
                        "{{family}}",
                    )
                ],
                w=6,
            ),
            time_panel(
                "Checkpoint duration, by family",
                "How long the last checkpoint took: snapshot and Kafka's acknowledgement. "
                "Checkpoints are spaced to spend at most a tenth of the time.",
                "s",
                [Query(f"max by (family) ({CHECKPOINT_DURATION.name}{F})", "{{family}}")],
                w=6,
            ),
            stat_panel(
                "Workers up",
                "Worker processes Prometheus scrapes successfully.",
                "short",
                [Query(f"sum(up{{{JOB}}})", "up")],
                w=4,
                h=8,
            ),
            time_panel(
                "Worker memory",
                "Resident memory of each worker process.",
                "bytes",
                [Query(f"process_resident_memory_bytes{{{JOB}}}", "{{instance}}")],
                w=8,
            ),
        ],
    )
    return dashboard(
        UID,
        "Pipeline health",
        __doc__.split(":", 1)[0] + ".",
        refresh="30s",
        time_from="now-3h",
        rows=[flow, sources, workers],
        variables=[family_variable()],
    )
