"""Pipeline alerts for the engineer on call: a worker down, a family's events stale,
consumers stalled or lagging, dead letters arriving, checkpoints not acknowledged.

A dead or stale pipeline makes the KPIs wrong, not bad: Alertmanager's inhibitions
(``alertmanager.py``) silence the KPI alerts these would otherwise cause.
"""

from schemas import Family
from streams.alerting.recording import CONSUMER_LAG as LAG
from streams.alerting.rules import Alert
from streams.core.catalog import (
    CHECKPOINT_ACKNOWLEDGED,
    CHECKPOINTS_UNREADABLE,
    CONSUMER_STALLED,
    DEADLETTERS,
    EVENTS_CONSUMED,
    EVENTS_LOST,
    STREAM_TIME,
)
from streams.core.families import FAMILIES, Quiet
from streams.core.targets import Targets

JOB = "ccm-worker"
LABELS = {"kind": "pipeline"}

# Counters are exposed with ``_total``.
DEADLETTERS_TOTAL = f"{DEADLETTERS.name}_total"
EVENTS_LOST_TOTAL = f"{EVENTS_LOST.name}_total"
EVENTS_CONSUMED_TOTAL = f"{EVENTS_CONSUMED.name}_total"


def _stale(family: Family, rule: Quiet, targets: Targets) -> Alert:
    expr = (
        f'time() - max by (family) ({STREAM_TIME.name}{{family="{family.value}"}})'
        f" > {rule.minutes * 60}"
    )
    when = ""
    if rule.hours is not None:
        start, end = rule.hours(targets)
        expr += f"\nand on () hour() >= {start} and on () hour() < {end}"
        when = f" Checked only from {start}:00 to {end}:00 UTC, inside {rule.within}."
    return Alert(
        "CcmEventsStale",
        expr,
        "2m",
        rule.severity,
        f"No {family.value} events for {{{{ $value | humanizeDuration }}}}: the {family.value} "
        "KPIs are not current",
        f"The newest {family.value} event the workers hold is over {rule.minutes} minutes old, "
        f"and {rule.why}. The producer, its topic or the consumer has stopped.{when}",
        {**LABELS, "family": family.value},
    )


def pipeline_alerts(targets: Targets) -> list[Alert]:
    alerts = [
        Alert(
            "CcmWorkerDown",
            f'count (up{{job="{JOB}"}} == 0) > 0',
            "1m",
            "page",
            "{{ $value }} ccm worker(s) not answering Prometheus: KPIs and incident alerts "
            "are blind",
            "Prometheus cannot scrape a ccm worker. Its partitions move to the other workers "
            "within the session timeout if it died; if none is left, no KPI and no incident "
            "alert can fire. KPI alerts are silenced while this fires.",
            LABELS,
        ),
        Alert(
            "CcmWorkersAbsent",
            f'absent (up{{job="{JOB}"}})',
            "5m",
            "page",
            "No ccm worker is known to Prometheus: KPIs and incident alerts are blind",
            "Prometheus has no scrape target for the ccm workers at all (its configuration or "
            "service discovery lost them).",
            LABELS,
        ),
    ]
    alerts += [
        _stale(family, spec.quiet, targets)
        for family, spec in FAMILIES.items()
        if spec.quiet is not None
    ]
    alerts += [
        Alert(
            "CcmConsumerStalled",
            f"max by (family) ({CONSUMER_STALLED.name}) == 1",
            "2m",
            "page",
            "The {{ $labels.family }} consumer is behind and making no progress: those KPIs "
            "are frozen",
            "A worker holds a partition of the family with messages on the log end it has not "
            "applied, and has applied none for CCM_STALL_SECONDS. KPI alerts of the family "
            "are silenced while this fires.",
            {**LABELS},
        ),
        Alert(
            "CcmCheckpointUnreadable",
            f"sum by (family) ({CHECKPOINTS_UNREADABLE.name}) > 0",
            "5m",
            "page",
            "{{ $value }} {{ $labels.family }} partitions are held by a worker that cannot "
            "read their checkpoint: their events are not counted",
            "A worker holds partitions whose checkpoint is in a format its release does not "
            "read (a later release wrote it, as in a rollback past a switch of format): it "
            "counts none of their events and is not ready.",
            {**LABELS},
        ),
        Alert(
            "CcmConsumerLagHigh",
            f"{LAG} > 1000",
            "10m",
            "ticket",
            "{{ $value }} {{ $labels.family }} messages waiting to be applied",
            "The workers are more than 1000 messages behind the log end of the family's "
            "topic for 10 minutes: the live figures run late.",
            LABELS,
        ),
        Alert(
            "CcmConsumerLagGrowing",
            f"{LAG} > 100\nand deriv({LAG}[15m]) > 0",
            "15m",
            "ticket",
            "{{ $labels.family }} consumer lag growing: {{ $value }} messages behind",
            "The family's lag has grown for 15 minutes: the workers apply fewer messages than "
            "arrive.",
            LABELS,
        ),
        Alert(
            "CcmDeadLettersArriving",
            # Whole messages: increase() extrapolates to the window's edges (1 reads 1.02).
            f"round(sum by (family, reason) (increase({DEADLETTERS_TOTAL}[10m]))) > 0",
            "1m",
            "ticket",
            "{{ $value | humanize }} {{ $labels.family }} messages dead-lettered as "
            "{{ $labels.reason }} in the last 10 minutes",
            "Input was rejected and sent to the dead-letter topic with its reason and "
            "original bytes. It is not in the figures until its producer sends it again, "
            "corrected.",
            LABELS,
        ),
        Alert(
            "CcmEventsLost",
            # Totals restored from checkpoints and moved with partitions, so compare the
            # sum across workers with an hour ago rather than take a per-worker increase.
            f"sum by (family) ({EVENTS_LOST_TOTAL})\n"
            f"- sum by (family) ({EVENTS_LOST_TOTAL} offset 1h) > 0",
            "5m",
            "ticket",
            "{{ $value }} {{ $labels.family }} messages deleted by retention before they were "
            "counted, in the last hour",
            "Offsets were removed from the topic by its retention before a worker read them: "
            "those events are not in any figure. Usually the workers were down or behind for "
            "longer than the topic keeps messages.",
            LABELS,
        ),
        Alert(
            "CcmCheckpointsNotAcknowledged",
            # A worker checkpoints only what it has applied since the last checkpoint: on a
            # quiet family an old acknowledgement is normal, so ask for events applied too.
            f"time() - max by (family) ({CHECKPOINT_ACKNOWLEDGED.name}) > 120\n"
            "and on (family)\n"
            f"sum by (family) ({EVENTS_CONSUMED_TOTAL})\n"
            f"- sum by (family) ({EVENTS_CONSUMED_TOTAL} offset 10m) > 0",
            "2m",
            "ticket",
            "No {{ $labels.family }} checkpoint acknowledged by Kafka for "
            "{{ $value | humanizeDuration }} while events are being applied",
            "Workers checkpoint what they applied every few seconds, then commit their "
            "offsets. Events were applied in the last 10 minutes but no checkpoint has been "
            "acknowledged for over 2 minutes: no offset is committed, and a restart reapplies "
            "everything since the last one.",
            LABELS,
        ),
    ]
    return alerts
