"""Reading topics back from the real broker in tests."""

import time

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from streams.settings import Settings


def read_topics(
    settings: Settings, topics: list[str], expected: int, timeout_s: float = 30.0
) -> dict[str, list[tuple[bytes | None, bytes]]]:
    """Every (key, value) on ``topics`` from the beginning, stopping once ``expected``
    messages have arrived and a further second brings nothing new."""
    consumer = KafkaConsumer(
        **settings.kafka_python_config(),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        group_id=None,
    )
    try:
        consumer.assign([TopicPartition(t, p) for t in topics for p in _partitions(consumer, t)])
        got: dict[str, list[tuple[bytes | None, bytes]]] = {t: [] for t in topics}
        deadline = time.monotonic() + timeout_s
        quiet_since = None
        while time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=250)
            for records in batch.values():
                for record in records:
                    got[record.topic].append((record.key, record.value))
            total = sum(len(v) for v in got.values())
            if batch:
                quiet_since = None
            elif total >= expected:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= 1.0:
                    break
        return got
    finally:
        consumer.close()


def read_records(
    settings: Settings, topic: str, expected: int, timeout_s: float = 30.0
) -> list[ConsumerRecord]:
    """Every record on ``topic``, headers included, stopping as `read_topics` does."""
    consumer = KafkaConsumer(
        **settings.kafka_python_config(),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        group_id=None,
    )
    try:
        consumer.assign([TopicPartition(topic, p) for p in _partitions(consumer, topic)])
        got: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout_s
        quiet_since = None
        while time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=250)
            for records in batch.values():
                got.extend(records)
            if batch:
                quiet_since = None
            elif len(got) >= expected:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= 1.0:
                    break
        return got
    finally:
        consumer.close()


def _partitions(consumer: KafkaConsumer, topic: str, timeout_s: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            return sorted(partitions)
        time.sleep(0.2)
    return [0]
