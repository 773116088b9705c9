"""Input topics: make sure they exist and learn how many partitions they have."""

import contextlib
import logging

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from streams.kafka_io import KafkaUnavailable, unreachable_message
from streams.settings import Settings

log = logging.getLogger("ccm.topics")


def ensure_topics(settings: Settings, topics: list[str]) -> dict[str, int]:
    """Create missing topics with ``CCM_TOPIC_PARTITIONS`` partitions; return every
    topic's partition count (checkpoint tables must match their input topics)."""
    try:
        admin = KafkaAdminClient(**settings.kafka_python_config(), request_timeout_ms=20_000)
    except KafkaError as error:
        raise KafkaUnavailable(unreachable_message(settings)) from error
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            log.info("creating topics %s with %d partitions", missing, settings.topic_partitions)
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [
                        NewTopic(t, settings.topic_partitions, 1 if _single_node(admin) else 3)
                        for t in missing
                    ]
                )
        counts = {}
        for description in admin.describe_topics(topics):
            counts[description["name"]] = len(description["partitions"])
        return counts
    finally:
        admin.close()


def _single_node(admin: KafkaAdminClient) -> bool:
    return len(admin.describe_cluster().get("brokers", [])) < 3
