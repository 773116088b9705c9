"""Two workers in one group share the partitions: their figures add up to one worker's."""

import time
from pathlib import Path

import pytest

from streams.settings import Settings
from tests.integration.test_worker_failures import calls_day, produce
from tests.integration.worker import WorkerProcess


@pytest.mark.integration
def test_two_workers_sum_to_the_figures_of_one(
    kafka_settings: Settings, worker: WorkerProcess, tmp_path: Path
) -> None:
    calls = 3_000
    messages, within, wait_sum = calls_day(calls)
    (tmp_path / "second").mkdir()
    second = WorkerProcess(kafka_settings, tmp_path / "second")
    second.env["CCM_APP_ID"] = worker.env["CCM_APP_ID"]  # the same deployment
    worker.start()
    produce(kafka_settings, kafka_settings.topic_calls, messages[: len(messages) // 2])
    worker.wait_for_consumed(len(messages) // 2)  # state the second must take over
    try:
        # Joins mid-stream: partitions move from the first worker, with their state.
        second.start(require_calls=False)
        produce(kafka_settings, kafka_settings.topic_calls, messages[len(messages) // 2 :])

        def total(name: str, **labels: str) -> float:
            return sum(w.value(name, **labels) for w in (worker, second))

        def consumed() -> float:
            return sum(
                sum(w.metric("ccm_events_consumed_total").values()) for w in (worker, second)
            )

        wait_until(lambda: consumed() == len(messages) and held(worker, second) == 3)
        fcr = {"channel": "999", "queue": "fcr", "window": "today"}
        assert total("ccm_call_legs_offered", **fcr) == calls
        assert total("ccm_call_legs_answered", **fcr) == calls
        assert total("ccm_call_legs_answered_within_target", **fcr) == within
        assert total("ccm_call_legs_answered_wait_seconds", **fcr) == wait_sum
        assert total("ccm_calls_settled", channel="999", window="today") == calls
        assert total("ccm_events_duplicate_total", family="calls") == 0
        # The calls topic's three partitions are shared out, none held twice.
        shares = sorted(
            w.value("ccm_partitions_assigned", family="calls") for w in (worker, second)
        )
        assert shares == [1.0, 2.0]
    finally:
        second.stop()


def held(*workers: WorkerProcess) -> float:
    return sum(w.value("ccm_partitions_assigned", family="calls") for w in workers)


def wait_until(condition, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if condition():
                time.sleep(3)  # anything still to come would show by now
                if condition():
                    return
        except AssertionError:
            pass  # a worker between assignments exposes no series yet
        time.sleep(0.5)
    raise AssertionError(f"not settled within {timeout_s} s")
