"""SPEC section 9: when the broker restarts mid-stream, every count still comes out exact.

The test runs its own broker (deploy/kafka/local-kafka on a port of its own), so that
stopping it disturbs no other test."""

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.settings import Settings
from tests.conftest import LOCAL_KAFKA
from tests.integration.test_local_kafka import broker_port
from tests.integration.test_worker_failures import calls_day, produce, settle
from tests.integration.worker import WorkerProcess

pytestmark = pytest.mark.integration


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[dict[str, str]]:
    port = broker_port()
    env = {**os.environ, "CCM_KAFKA_PORT": str(port), "CCM_KAFKA_STATE": str(tmp_path / "kafka")}
    broker(env, "start")
    try:
        yield env
    finally:
        broker(env, "stop")


def broker(env: dict[str, str], command: str) -> None:
    done = subprocess.run(
        [str(LOCAL_KAFKA), command], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr


def test_broker_restart_mid_stream_loses_and_repeats_nothing(
    own_broker: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings(kafka_bootstrap=f"127.0.0.1:{own_broker['CCM_KAFKA_PORT']}")
    (tmp_path / "worker").mkdir()
    worker = WorkerProcess(settings, tmp_path / "worker", {"CCM_TOPIC_PARTITIONS": "3"})
    calls = 6_000
    messages, within, wait_sum = calls_day(calls)
    half = len(messages) // 2
    try:
        worker.start()
        produce(settings, settings.topic_calls, messages[:half])
        # Some applied, not all: the broker goes away in the middle of the stream.
        deadline = time.monotonic() + 60
        while sum(worker.metric("ccm_events_consumed_total").values()) == 0:
            assert time.monotonic() < deadline, "the worker consumed nothing"
            time.sleep(0.05)
        broker(own_broker, "stop")
        time.sleep(3)
        broker(own_broker, "start")
        produce(settings, settings.topic_calls, messages[half:])
        assert settle(worker, "ccm_events_consumed_total", len(messages), 180) == len(messages)
        assert worker.alive()
        fcr = {"channel": "999", "queue": "fcr", "window": "today"}
        assert worker.value("ccm_call_legs_offered", **fcr) == calls
        assert worker.value("ccm_call_legs_answered_within_target", **fcr) == within
        assert worker.value("ccm_call_legs_answered_wait_seconds", **fcr) == wait_sum
        assert worker.value("ccm_calls_settled", channel="999", window="today") == calls
        assert worker.value("ccm_events_duplicate_total", family="calls") == 0
    finally:
        worker.stop()
