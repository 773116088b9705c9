"""Every metric ccm exposes: name, type, labels (all from closed sets), help.

Windowed figures are gauges holding additive counts and sums for the window,
so several workers' series add up; ratios are left to PromQL. ``combine`` says
how one worker folds its partitions together (and how PromQL should fold
workers): add them, or take the largest.
"""

from streams.core.families import FAMILIES, MetricSpec, gauge

# Pipeline health, named: the worker's figures and readings set them by these.
EVENTS_CONSUMED = MetricSpec(
    "ccm_events_consumed", "counter", ("family",), "Messages consumed from the input topics."
)
EVENTS_REJECTED = MetricSpec(
    "ccm_events_rejected", "counter", ("family", "reason"), "Messages dead-lettered, by reason."
)
EVENTS_LATE = MetricSpec(
    "ccm_events_late",
    "counter",
    ("family",),
    "Events beyond the grace period taken into the day and month figures only.",
)
EVENTS_DUPLICATE = MetricSpec(
    "ccm_events_duplicate",
    "counter",
    ("family",),
    "Events whose event_id was already applied: ignored.",
)
EVENTS_LOST = MetricSpec(
    "ccm_events_lost",
    "counter",
    ("family",),
    "Offsets deleted from the topic by retention before they were counted: lost.",
)
NEWEST_EVENT = gauge(
    "ccm_newest_event_timestamp_seconds",
    ("source",),
    "Event time of the newest event seen from each source.",
    "max",
)
STREAM_TIME = gauge(
    "ccm_stream_time_seconds",
    ("family",),
    "Newest event time seen on the family's partitions.",
    "max",
)
PARTITIONS_ASSIGNED = gauge(
    "ccm_partitions_assigned", ("family",), "Input partitions this worker holds."
)
PARTITIONS_LIVE = gauge(
    "ccm_partitions_live",
    ("family",),
    "Partitions whose newest event was current when it arrived (not replaying history).",
)
CONSUMER_LAG = gauge(
    "ccm_consumer_lag_messages",
    ("family",),
    "Offsets on the log end (committed transactions) not yet applied, over the partitions "
    "this worker holds.",
)
CONSUMER_STALLED = gauge(
    "ccm_consumer_stalled",
    ("family",),
    "1 while some partition of the family is behind its log end and has not moved for "
    "CCM_STALL_SECONDS: consumption has stopped.",
    "max",
)
DEADLETTERS = MetricSpec(
    "ccm_deadletters",
    "counter",
    ("family", "reason"),
    "Dead letters this worker process has sent since it started (every reason from 0).",
)
CHECKPOINT_ACKNOWLEDGED = gauge(
    "ccm_checkpoint_acknowledged_timestamp_seconds",
    ("family",),
    "Wall time of the last checkpoint Kafka acknowledged, after which offsets were committed.",
    "max",
)
CHECKPOINTS_UNREADABLE = gauge(
    "ccm_checkpoints_unreadable",
    ("family",),
    "Partitions this worker holds whose checkpoint it cannot read (a newer release's "
    "format): not counted here, and the worker is not ready.",
)
CHECKPOINTS_FORMAT = gauge(
    "ccm_checkpoints_format",
    ("family", "format"),
    "Partitions this worker holds, by the format of their latest checkpoint.",
)
CHECKPOINT_DURATION = gauge(
    "ccm_checkpoint_duration_seconds",
    ("family",),
    "How long the last checkpoint took, snapshots and Kafka's acknowledgement.",
    "max",
)


CATALOG: tuple[MetricSpec, ...] = (
    # Each family's figures (`streams.core.families`): calls per leg, attributed to when
    # the leg was offered (queued); chats to when requested; reports to when submitted;
    # incidents to when created, scored by the policy in force that day, under the grade
    # they had when they met or missed their target (or have now).
    *(spec for family in FAMILIES.values() for spec in family.metrics),
    # Histograms over all time, buckets at every target.
    *(spec for family in FAMILIES.values() for spec in family.histograms()),
    # Pipeline health.
    EVENTS_CONSUMED,
    EVENTS_REJECTED,
    EVENTS_LATE,
    EVENTS_DUPLICATE,
    EVENTS_LOST,
    NEWEST_EVENT,
    STREAM_TIME,
    PARTITIONS_ASSIGNED,
    PARTITIONS_LIVE,
)

# The worker's own readings of its consumer and producer, not partition state: each
# worker process shows its own, from when it starts.
PIPELINE: tuple[MetricSpec, ...] = (
    CONSUMER_LAG,
    CONSUMER_STALLED,
    DEADLETTERS,
    CHECKPOINT_ACKNOWLEDGED,
    CHECKPOINTS_UNREADABLE,
    CHECKPOINTS_FORMAT,
    CHECKPOINT_DURATION,
)

BY_NAME = {spec.name: spec for spec in (*CATALOG, *PIPELINE)}
