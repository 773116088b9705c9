"""Input topics: make sure they exist and learn how many partitions they have."""

import contextlib
import logging

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.kafka_check import explained
from streams.kafka_io import BOOTSTRAP_TIMEOUT_MS
from streams.settings import Settings

log = logging.getLogger("ccm.topics")


def ensure_topics(settings: Settings, topics: list[str]) -> dict[str, int]:
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
            request_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
            bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
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


def _ensure_topics(settings: Settings, topics: list[str]) -> dict[str, int]:
    admin = KafkaAdminClient(
        **settings.kafka_python_config(),
        request_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
    )
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            log.info(
                "creating topics %s with %d partitions, %d replicas",
                missing,
                settings.topic_partitions,
                settings.topic_replication_factor,
            )
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [
                        NewTopic(t, settings.topic_partitions, settings.topic_replication_factor)
                        for t in missing
                    ]
                )
        counts = {}
        for description in admin.describe_topics(topics):
            counts[description["name"]] = len(description["partitions"])
        return counts
    finally:
        admin.close()
