"""The topics ccm reads and writes: created when missing with the layout ccm chooses,
and their partition counts learned.

The worker, `ccm replay` and `ccm simulate` all come here before they touch a topic, so
whichever of them runs first decides the layout (`CCM_TOPIC_PARTITIONS`), never the
broker's auto-create default (one partition on Apache Kafka) nor its refusal when
auto-create is off.
"""

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.core.families import FAMILIES
from streams.kafka_check import KafkaUnavailable, explained
from streams.settings import Settings

log = logging.getLogger("ccm.topics")

LAYOUT_DOC = "docs/scaling.md, 'Partitions and workers'"


@dataclass(frozen=True)
class Layout:
    partitions: dict[str, int]
    """Every topic asked about, with its partition count."""
    created: tuple[str, ...]
    """The topics this call created."""


def named_topics(settings: Settings) -> dict[str, str]:
    """The input topics and the dead-letter topic, each with the setting that names it."""
    named = {
        settings.topic_for(f): f"CCM_{spec.topic_setting.upper()}" for f, spec in FAMILIES.items()
    }
    named[settings.topic_deadletter] = "CCM_TOPIC_DEADLETTER"
    return named


def layout_lines(settings: Settings, layout: Layout) -> tuple[list[str], list[str]]:
    """What to tell the user about ``layout``: a line per topic created, and a warning per
    input topic whose partition count is not ``CCM_TOPIC_PARTITIONS``."""
    named = named_topics(settings)
    wanted = settings.topic_partitions
    created = [
        f"created topic {topic} ({named[topic]}) with {layout.partitions[topic]} partitions"
        for topic in layout.created
    ]
    differ = [
        f"topic {topic} ({named[topic]}) has {count} partitions, but CCM_TOPIC_PARTITIONS is "
        f"{wanted}. It is used as it is, since keys and checkpoints follow its partitions. "
        f"To move it to {wanted}, create new topics and replay into them ({LAYOUT_DOC}); "
        f"to keep it, set CCM_TOPIC_PARTITIONS={count}."
        for topic, count in layout.partitions.items()
        if topic != settings.topic_deadletter and count != wanted
    ]
    return created, differ


def prepare_topics(
    settings: Settings, say: Callable[[str], None], warn: Callable[[str], None]
) -> dict[str, int]:
    """Create whichever of the worker's topics are missing, tell what was created and
    which input topic's layout differs from the setting, and return the partition counts."""
    layout = ensure_topics(settings, list(named_topics(settings)))
    created, differ = layout_lines(settings, layout)
    for line in created:
        say(line)
    for line in differ:
        warn(line)
    return layout.partitions


def ensure_topics(settings: Settings, topics: list[str]) -> Layout:
    """Create missing topics with ``CCM_TOPIC_PARTITIONS`` partitions; return every
    topic's partition count (checkpoint tables must match their input topics)."""
    with explained(settings):
        return _ensure_topics(settings, topics)


def ensure_checkpoint_topics(
    settings: Settings, partitions: dict[str, int], max_bytes: int
) -> None:
    """Create the compacted checkpoint topics (Faust's changelog names) before the
    worker joins its group. Left to Faust, they can still be missing from the cluster's
    metadata at the first assignment, and Faust then leaves those families unassigned."""
    from streams.runtime import CONSUMED_FAMILIES

    wanted = {
        f"{settings.app_id}-checkpoints-{family.value}-changelog": partitions[
            settings.topic_for(family)
        ]
        for family in CONSUMED_FAMILIES
    }
    with explained(settings):
        admin = KafkaAdminClient(
            **settings.kafka_python_config(),
            request_timeout_ms=settings.kafka_bootstrap_timeout_ms(),
            bootstrap_timeout_ms=settings.kafka_bootstrap_timeout_ms(),
        )
        try:
            existing = set(admin.list_topics())
            config = {"cleanup.policy": "compact", "max.message.bytes": str(max_bytes)}
            missing = [
                NewTopic(name, count, settings.topic_replication_factor, topic_configs=config)
                for name, count in wanted.items()
                if name not in existing
            ]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    admin.create_topics(missing)
        finally:
            admin.close()


def _ensure_topics(settings: Settings, topics: list[str]) -> Layout:
    admin = KafkaAdminClient(
        **settings.kafka_python_config(),
        request_timeout_ms=settings.kafka_bootstrap_timeout_ms(),
        bootstrap_timeout_ms=settings.kafka_bootstrap_timeout_ms(),
    )
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t not in existing]
        created = []
        for topic in missing:
            # A worker or tool started beside this one may create it first: its layout
            # comes from the same settings.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [NewTopic(topic, settings.topic_partitions, settings.topic_replication_factor)]
                )
                created.append(topic)
        return Layout(_partition_counts(admin, topics, settings), tuple(created))
    finally:
        admin.close()


def _partition_counts(
    admin: KafkaAdminClient, topics: list[str], settings: Settings
) -> dict[str, int]:
    """Each topic's partition count, once the broker answering knows every one of them: a
    topic just created can show no partitions until its metadata reaches that broker."""
    deadline = time.monotonic() + settings.kafka_bootstrap_timeout_seconds
    while True:
        counts = {d["name"]: len(d["partitions"]) for d in admin.describe_topics(topics)}
        unknown = sorted(t for t in topics if not counts.get(t))
        if not unknown:
            return counts
        if time.monotonic() > deadline:
            raise KafkaUnavailable(
                f"Kafka at {settings.kafka_bootstrap} still shows no partitions for "
                f"{', '.join(unknown)} {settings.kafka_bootstrap_timeout_seconds:g} s after "
                "creating them: "
                "check the brokers' logs, then run this again."
            )
        time.sleep(0.1)
