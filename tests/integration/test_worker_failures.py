"""The worker under failure: SIGKILL mid-stream, and poison input."""

import re
import threading
import time
from collections import Counter

import kafka.errors
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.structs import OffsetAndMetadata

from schemas import RejectReason
from streams.settings import Settings
from tests.events import event, raw
from tests.integration.worker import WorkerProcess
from tests.scenario import T0, at

pytestmark = pytest.mark.integration


def produce(settings: Settings, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
    producer = KafkaProducer(**settings.kafka_python_config(), acks="all", linger_ms=20)
    for key, value in messages:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def produce_paced(
    settings: Settings, topic: str, messages: list[tuple[bytes | None, bytes]]
) -> None:
    """``messages`` sent 1,000 at a time, 0.1 s apart: a live stream, not a backlog."""
    producer = KafkaProducer(**settings.kafka_python_config(), acks="all", linger_ms=20)
    for start in range(0, len(messages), 1000):
        for key, value in messages[start : start + 1000]:
            producer.send(topic, key=key, value=value)
        producer.flush()
        time.sleep(0.1)
    producer.close()


def calls_day(n: int) -> tuple[list[tuple[bytes, bytes]], int, float]:
    """n 999 calls, 0.1 s apart, answered after i % 21 s; returns messages, how many
    were answered within 10 s, and the sum of answer times."""
    messages = []
    for i in range(n):
        call_id = f"k{i}"
        start = i / 10
        wait = i % 21
        for body in (
            event(
                "call.queued",
                occurred_at=at(T0, start),
                call_id=call_id,
                channel="999",
                queue="fcr",
            ),
            event("call.answered", occurred_at=at(T0, start + wait), call_id=call_id, queue="fcr"),
            event("call.ended", occurred_at=at(T0, start + wait + 30), call_id=call_id),
        ):
            messages.append((call_id.encode(), raw(body)))
    within = sum(1 for i in range(n) if i % 21 <= 10)
    return messages, within, float(sum(i % 21 for i in range(n)))


def committed(admin: KafkaAdminClient, worker: WorkerProcess, settings: Settings) -> int:
    """Messages of the calls topic below the worker group's committed offsets."""
    group = worker.env["CCM_APP_ID"]
    offsets = admin.list_group_offsets(group).get(group, {})
    return sum(
        meta.offset
        for tp, meta in offsets.items()
        if tp.topic == settings.topic_calls and meta.offset > 0
    )


def settle(worker: WorkerProcess, name: str, expected: float, timeout_s: float = 120) -> float:
    deadline = time.monotonic() + timeout_s
    value = 0.0
    while time.monotonic() < deadline:
        value = sum(worker.metric(name).values())
        if value >= expected:
            break
        time.sleep(0.5)
    time.sleep(2)  # anything still to come would push it past the expected value
    return sum(worker.metric(name).values())


def test_sigkill_mid_stream_then_restart_counts_every_event_exactly_once(
    kafka_settings: Settings, worker: WorkerProcess
) -> None:
    calls = 20_000
    messages, within, wait_sum = calls_day(calls)
    # Producer retries (every 97th message again, right after itself) and garbage (every
    # 1,000th place) all through the stream: their counts must come out exact too.
    stream: list[tuple[bytes | None, bytes]] = []
    for i, message in enumerate(messages):
        stream += [message, message] if i % 97 == 0 else [message]
        if i % 1000 == 0:
            stream.append((message[0], b"not json %d" % i))
    repeats, garbage = len(range(0, len(messages), 97)), len(range(0, len(messages), 1000))
    messages = stream
    # Sent while the worker runs, a chunk at a time, so that it is mid-stream when it is
    # killed: it reads faster than its first commit comes (a checkpoint acknowledged by
    # Kafka, some 3 s after it starts), and a stream sent whole was at times all read,
    # and all committed, by then.
    sending = threading.Thread(
        target=produce_paced, args=(kafka_settings, kafka_settings.topic_calls, messages)
    )
    worker.env["CCM_BATCH_MAX"] = "500"
    # Checkpoints (and so commits) every 0.2 s.
    worker.env["CCM_CHECKPOINT_SECONDS"] = "0.2"
    worker.start()
    sending.start()

    # Kill once a third is consumed and some of it is checkpointed and committed, so the
    # restart must resume from a checkpoint and skip what Kafka delivers again.
    admin = KafkaAdminClient(**kafka_settings.kafka_python_config())
    deadline = time.monotonic() + 120
    consumed = 0.0
    while time.monotonic() < deadline:
        consumed = sum(worker.metric("ccm_events_consumed_total").values())
        if consumed >= len(messages) // 3 and committed(admin, worker, kafka_settings) > 0:
            break
        time.sleep(0.05)
    worker.kill()
    at_kill = committed(admin, worker, kafka_settings)
    admin.close()
    assert 0 < at_kill < len(messages), "kill before any commit, or after the last event"
    assert consumed < len(messages), "the kill came after the last event"

    sending.join(timeout=120)
    worker.start()
    assert settle(worker, "ccm_events_consumed_total", len(messages)) == len(messages)
    assert (
        worker.value("ccm_call_legs_offered", channel="999", queue="fcr", window="today") == calls
    )
    assert (
        worker.value("ccm_call_legs_answered", channel="999", queue="fcr", window="today") == calls
    )
    assert (
        worker.value(
            "ccm_call_legs_answered_within_target", channel="999", queue="fcr", window="today"
        )
        == within
    )
    assert (
        worker.value(
            "ccm_call_legs_answered_wait_seconds", channel="999", queue="fcr", window="today"
        )
        == wait_sum
    )
    assert worker.value("ccm_calls_settled", channel="999", window="today") == calls
    restored = re.findall(r"restored calls partition \d+: calls offset (\d+)", worker.log(2))
    assert sum(int(offset) + 1 for offset in restored) >= at_kill, "did not resume"
    assert worker.value("ccm_events_duplicate_total", family="calls") == repeats
    assert worker.value("ccm_events_rejected_total", family="calls", reason="malformed_json") == (
        garbage
    )
    assert sum(worker.metric("ccm_events_rejected_total").values()) == garbage


def test_offsets_committed_past_the_checkpoint_are_read_again_from_the_checkpoint(
    kafka_settings: Settings, worker: WorkerProcess
) -> None:
    """Should the group's offsets ever run ahead of the checkpoints (a fault, or an
    operator resetting them), the worker reads from where its state stops, not from
    the commit: nothing between the two is lost."""
    calls = 4_000
    messages, within, wait_sum = calls_day(calls)
    first, then = messages[: len(messages) // 2], messages[len(messages) // 2 :]
    produce(kafka_settings, kafka_settings.topic_calls, first)
    worker.start()
    worker.wait_for_consumed(len(first))
    time.sleep(3 * float(kafka_settings.checkpoint_seconds))  # checkpointed and committed
    worker.kill()
    produce(kafka_settings, kafka_settings.topic_calls, then)

    # Commit nearly to the end of every partition, far past what the checkpoints hold.
    consumer = KafkaConsumer(**kafka_settings.kafka_python_config(), group_id=None)
    partitions = [TopicPartition(kafka_settings.topic_calls, p) for p in range(3)]
    ends = consumer.end_offsets(partitions)
    consumer.close()
    ahead = {tp: OffsetAndMetadata(end - 50, "", -1) for tp, end in ends.items()}
    admin = KafkaAdminClient(**kafka_settings.kafka_python_config())
    deadline = time.monotonic() + 60
    while True:  # the killed member must leave the group first (its session times out)
        try:
            result = admin.alter_group_offsets(worker.env["CCM_APP_ID"], ahead)
            if all(error is kafka.errors.NoError for error in result.values()):
                break
        except kafka.errors.KafkaError:
            pass
        assert time.monotonic() < deadline, "could not move the group's offsets"
        time.sleep(1)
    admin.close()

    worker.start()
    assert settle(worker, "ccm_events_consumed_total", len(messages)) == len(messages)
    fcr = {"channel": "999", "queue": "fcr", "window": "today"}
    assert worker.value("ccm_call_legs_offered", **fcr) == calls
    assert worker.value("ccm_call_legs_answered_within_target", **fcr) == within
    assert worker.value("ccm_call_legs_answered_wait_seconds", **fcr) == wait_sum
    assert worker.value("ccm_calls_settled", channel="999", window="today") == calls
    # Sought to where each state stops as soon as the partitions were assigned, not
    # when a message past the gap happened to arrive.
    assert "calls: resuming partitions at" in worker.log(2)


def test_poison_messages_are_dead_lettered_and_counted_while_valid_events_flow(
    kafka_settings: Settings, worker: WorkerProcess
) -> None:
    worker.start()
    garbage = [b"\x00garbage %d" % i for i in range(10_000)]
    bad: dict[str, list[bytes]] = {
        "malformed_json": [b"{", b'{"event_id": "x",', b"\xff\xfe", *garbage],
        "invalid_field": [
            raw(event("call.queued", call_id="w1", channel=999)),
            raw(event("call.queued", call_id="w2", queue=["fcr"])),
            raw(event("call.queued", call_id="w3", occurred_at="0001-01-01T00:00:00+00:00")),
            raw(event("call.ended", call_id="w4", occurred_at="9999-12-31T23:30:00-01:00")),
        ],
        "unknown_type": [raw({**event("call.ended"), "event_type": "call.parked"})] * 2,
        "naive_timestamp": [
            raw(event("call.queued", occurred_at="2026-03-10T10:00:00", call_id="n1")),
            raw(event("call.ended", occurred_at="2026-03-10 10:00:05", call_id="n2")),
        ],
        "not_an_object": [b"[]", b"42"],
        "wrong_topic": [raw(event("chat.requested", occurred_at=at(T0, 1)))],
    }
    valid: list[tuple[bytes | None, bytes]] = []
    for i in range(100):
        call_id = f"v{i}"
        queued = event(
            "call.queued", occurred_at=at(T0, i), call_id=call_id, channel="999", queue="fcr"
        )
        answered = event("call.answered", occurred_at=at(T0, i + 3), call_id=call_id, queue="fcr")
        # Keyed like a real producer, so both events of a call share a partition.
        valid += [(call_id.encode(), raw(queued)), (call_id.encode(), raw(answered))]
    poison = [m for messages in bad.values() for m in messages]
    # The 10,000 garbage messages share a key: one partition gets them all in a row,
    # between valid calls; the rest of the poison is unkeyed and spread.
    in_a_row = [(b"v7", m) for m in garbage]
    others = [(None, m) for m in poison if not m.startswith(b"\x00garbage")]
    stream = valid[:50] + in_a_row + valid[50:120] + others + valid[120:]
    produce(kafka_settings, kafka_settings.topic_calls, stream)

    assert settle(worker, "ccm_events_consumed_total", len(stream)) == len(stream)
    assert worker.alive()
    rejected = {
        dict(labels)["reason"]: v
        for labels, v in worker.metric("ccm_events_rejected_total").items()
        if dict(labels)["family"] == "calls"
    }
    expected = {reason.value: 0 for reason in RejectReason}
    expected.update({reason: len(messages) for reason, messages in bad.items()})
    assert rejected == expected
    assert worker.value("ccm_call_legs_answered", channel="999", queue="fcr", window="today") == 100

    dead = read_deadletters(kafka_settings, len(poison))
    assert Counter(reason for reason, _ in dead) == {r: len(m) for r, m in bad.items()}
    assert Counter(value for _, value in dead) == Counter(poison)


def read_deadletters(
    settings: Settings, expected: int, timeout_s: float = 60
) -> list[tuple[str, bytes]]:
    consumer = KafkaConsumer(
        **settings.kafka_python_config(), enable_auto_commit=False, group_id=None
    )
    partitions = consumer.partitions_for_topic(settings.topic_deadletter) or {0}
    consumer.assign([TopicPartition(settings.topic_deadletter, p) for p in partitions])
    consumer.seek_to_beginning()
    found: list[tuple[str, bytes]] = []
    deadline = time.monotonic() + timeout_s
    while len(found) < expected and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                headers = dict(record.headers)
                found.append((headers["ccm-reason"].decode(), record.value))
    consumer.close()
    return found
