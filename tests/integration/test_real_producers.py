"""Input as real producers send it: compressed batches from kcat (librdkafka), the
transactions of an exactly-once producer, and a log whose start retention moved past
what the worker still needed."""

import subprocess
import time

import pytest
from kafka import KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

from streams.settings import Settings
from tests.integration.test_worker_failures import calls_day, committed, settle
from tests.integration.worker import WorkerProcess
from tests.kafka_helpers import read_topics

pytestmark = pytest.mark.integration

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")


def kcat_produce(
    settings: Settings, topic: str, messages: list[tuple[bytes, bytes]], codec: str
) -> None:
    """Each message as ``key<TAB>value`` on one line, sent by kcat with ``codec``."""
    lines = b"".join(key + b"\t" + value + b"\n" for key, value in messages)
    sent = subprocess.run(
        ["kcat", "-P", "-b", settings.kafka_bootstrap, "-t", topic, "-K", "\t", "-z", codec],
        input=lines,
        capture_output=True,
        timeout=60,
    )
    assert sent.returncode == 0, sent.stderr.decode()


def test_batches_in_every_codec_and_garbage_all_count(
    kafka_settings: Settings, worker: WorkerProcess
) -> None:
    calls = 1_000
    messages, within, wait_sum = calls_day(calls)
    # A fifth of the stream in each codec, garbage between every codec's share.
    share = len(messages) // len(CODECS) + 1
    garbage = 0
    for i, codec in enumerate(CODECS):
        part = messages[i * share : (i + 1) * share]
        junk = [
            (b"g%d-%d" % (i, n), b"not json from %s %d" % (codec.encode(), n)) for n in range(7)
        ]
        garbage += len(junk)
        kcat_produce(
            kafka_settings, kafka_settings.topic_calls, part[:50] + junk + part[50:], codec
        )
    total = len(messages) + garbage

    worker.start()
    assert settle(worker, "ccm_events_consumed_total", total) == total
    assert worker.alive()
    q = {"channel": "999", "queue": "fcr", "window": "today"}
    assert worker.value("ccm_call_legs_offered", **q) == calls
    assert worker.value("ccm_call_legs_answered_within_target", **q) == within
    assert worker.value("ccm_call_legs_answered_wait_seconds", **q) == wait_sum
    assert worker.value("ccm_events_rejected_total", family="calls", reason="malformed_json") == (
        garbage
    )
    assert sum(worker.metric("ccm_events_rejected_total").values()) == garbage
    assert worker.value("ccm_deadletters_total", family="calls", reason="malformed_json") == garbage
    letters = read_topics(kafka_settings, [kafka_settings.topic_deadletter], garbage)
    assert sorted(v for _, v in letters[kafka_settings.topic_deadletter]) == sorted(
        b"not json from %s %d" % (codec.encode(), n) for codec in CODECS for n in range(7)
    )


def _transactional_producer(settings: Settings, name: str) -> KafkaProducer:
    producer = KafkaProducer(
        **settings.kafka_python_config(), transactional_id=name, enable_idempotence=True
    )
    producer.init_transactions()
    return producer


def test_transactions_committed_count_aborted_never_and_the_markers_stall_nothing(
    kafka_settings: Settings, worker: WorkerProcess
) -> None:
    messages, _, _ = calls_day(600)
    committed_part, aborted_part = messages[:1200], messages[1200:]
    producer = _transactional_producer(kafka_settings, f"{kafka_settings.topic_calls}-tx")
    # Committed in transactions of 100 (a control record after each), an aborted one in
    # the middle of them: every partition's offsets have gaps that hold no event.
    for start in range(0, len(committed_part), 100):
        if start == 600:
            producer.begin_transaction()
            for key, value in aborted_part:
                producer.send(kafka_settings.topic_calls, key=key, value=value)
            producer.abort_transaction()
        producer.begin_transaction()
        for key, value in committed_part[start : start + 100]:
            producer.send(kafka_settings.topic_calls, key=key, value=value)
        producer.commit_transaction()
    producer.close()

    whole = {key for key, _ in committed_part}  # 400 calls, each with its three events
    worker.env["CCM_STALL_SECONDS"] = "5"
    worker.start()
    assert settle(worker, "ccm_events_consumed_total", len(committed_part)) == len(committed_part)
    assert worker.value("ccm_call_legs_offered", channel="999", queue="fcr", window="today") == (
        len(whole)
    )
    assert sum(worker.metric("ccm_events_rejected_total").values()) == 0

    # Every offset passed, the markers and the aborted records included: the group's
    # commits reach the log ends, nothing lags and nothing is stalled.
    admin = KafkaAdminClient(**kafka_settings.kafka_python_config())
    ends = _end_offsets(kafka_settings, kafka_settings.topic_calls)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and committed(admin, worker, kafka_settings) < sum(
        ends.values()
    ):
        time.sleep(0.5)
    assert committed(admin, worker, kafka_settings) == sum(ends.values())
    admin.close()
    time.sleep(6)  # past the stall time: a partition waiting on a marker would show
    assert worker.value("ccm_consumer_lag_messages", family="calls") == 0
    assert worker.value("ccm_consumer_stalled", family="calls") == 0


def _end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(**settings.kafka_python_config())
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def test_offsets_deleted_by_retention_while_down_are_counted_lost_and_the_rest_count(
    kafka_settings: Settings, worker: WorkerProcess
) -> None:
    topic = kafka_settings.topic_calls
    first, _, _ = calls_day(100)
    produce_to(kafka_settings, topic, 0, first)
    worker.start()
    assert settle(worker, "ccm_events_consumed_total", len(first)) == len(first)
    admin = KafkaAdminClient(**kafka_settings.kafka_python_config())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and committed(admin, worker, kafka_settings) < len(first):
        time.sleep(0.5)
    assert committed(admin, worker, kafka_settings) == len(first)
    worker.stop()

    # While the worker is down: 90 more events, of which retention deletes the first 60.
    later = calls_day(130)[0][300:390]
    produce_to(kafka_settings, topic, 0, later)
    admin.delete_records({TopicPartition(topic, 0): len(first) + 60})
    admin.close()

    worker.start()
    assert settle(worker, "ccm_events_consumed_total", len(first) + 30) == len(first) + 30
    assert worker.value("ccm_events_lost_total", family="calls") == 60
    assert "were deleted from the topic (retention)" in worker.log(2)


def produce_to(
    settings: Settings, topic: str, partition: int, messages: list[tuple[bytes, bytes]]
) -> None:
    producer = KafkaProducer(**settings.kafka_python_config(), acks="all")
    for key, value in messages:
        producer.send(topic, key=key, value=value, partition=partition)
    producer.flush()
    producer.close()
