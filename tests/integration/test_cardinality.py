"""Labels that cannot explode: a producer sending 10,000 distinct call ids, queue names
and grades leaves the set of series on /metrics as it was, and every bad value is
dead-lettered and counted."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from streams.kafka_io import EventProducer
from streams.settings import Settings
from tests.events import event
from tests.integration.worker import WorkerProcess
from tests.kafka_helpers import read_records

pytestmark = pytest.mark.integration

N = 10_000


def series(worker: WorkerProcess) -> set[tuple[str, tuple]]:
    return {(name, labels) for name, found in worker.samples().items() for labels in found}


def test_ten_thousand_distinct_values_add_no_series(
    kafka_settings: Settings, worker: WorkerProcess
) -> None:
    # Event times just behind the wall clock, so that the live windows hold them.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)

    def when(i: int) -> str:
        return (start + timedelta(milliseconds=i)).isoformat()

    def call(i: int, queue: str) -> bytes:
        body = event("call.queued", when(i), call_id=f"call-{i}", channel="101", queue=queue)
        return json.dumps(body).encode()

    def incident(i: int, grade: object) -> bytes:
        body = event("incident.created", when(i), incident_id=f"inc-{i}", grade=grade)
        return json.dumps(body).encode()

    def send_calls(raw: bytes) -> None:
        producer.send(kafka_settings.topic_calls, b"k", raw)

    def send_incidents(raw: bytes) -> None:
        producer.send(kafka_settings.topic_incidents, b"k", raw)

    producer = EventProducer(kafka_settings)
    # One of each kind first, so that every series the flood could touch already exists.
    send_calls(call(0, "switchboard"))
    send_calls(call(1, "queue-0"))
    send_incidents(incident(0, 1))
    send_incidents(incident(1, 7))
    producer.close()
    worker.start()
    worker.wait_for_consumed(4)
    # ...and checkpointed: the time of the last acknowledged checkpoint shows per family
    # from the first one on (a closed set: one series per family).
    deadline = time.monotonic() + 60
    acknowledged: dict = {}
    while time.monotonic() < deadline:
        acknowledged = worker.samples().get("ccm_checkpoint_acknowledged_timestamp_seconds", {})
        if {(("family", "calls"),), (("family", "incidents"),)} <= set(acknowledged):
            break
        time.sleep(0.5)
    assert len(acknowledged) >= 2, acknowledged
    before = series(worker)

    producer = EventProducer(kafka_settings)
    for i in range(2, N + 2):
        # A distinct call id on every call, a distinct queue name on every bad one.
        send_calls(call(N + i, "switchboard"))
        send_calls(call(i, f"queue-{i}"))
        # Distinct grades: out-of-range numbers and strings alike.
        send_incidents(incident(i, 7 + i if i % 2 else f"grade-{i}"))
    producer.close()
    assert producer.failures == 0, producer.first_failure
    worker.wait_for_consumed(4 + 3 * N, timeout_s=240)

    assert series(worker) == before
    assert worker.value("ccm_events_rejected_total", family="calls", reason="invalid_field") == (
        N + 1
    )
    assert worker.value(
        "ccm_events_rejected_total", family="incidents", reason="invalid_field"
    ) == (N + 1)
    assert sum(worker.metric("ccm_events_rejected_total").values()) == 2 * (N + 1)
    assert worker.value("ccm_call_legs_waiting", channel="101", queue="switchboard") == N + 1
    letters = read_records(kafka_settings, kafka_settings.topic_deadletter, expected=2 * (N + 1))
    assert len(letters) == 2 * (N + 1)
    assert {dict(r.headers)["ccm-reason"] for r in letters} == {b"invalid_field"}
