"""Two workers share the partitions while a stream is replayed; one is killed with SIGKILL
at random moments and restarted (sometimes with its state directory gone); then the
other stops gracefully, and the survivor, now holding every partition, must export
exactly what an uninterrupted run computes from the same log, byte for byte, having
consumed every offset to the log end.

The moments are drawn from a seed, printed with every failure: rerun one with
``CCM_CHAOS_SEED=N``. ``CCM_CHAOS_DAYS`` (default 3) and ``CCM_CHAOS_KILLS`` (default
4) make it longer."""

import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient

from schemas import Family
from streams.settings import Settings
from tests.conftest import settings_env
from tests.integration.worker import WorkerProcess

pytestmark = pytest.mark.integration

PARTITIONS = 3  # as the kafka_settings fixture creates the topics
START = "2026-03-01T00:00:00+00:00"


def ccm(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "streams", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def end_offsets(settings: Settings) -> dict[tuple[str, int], int]:
    consumer = KafkaConsumer(**settings.kafka_python_config())
    try:
        tps = [
            TopicPartition(settings.topic_for(family), p)
            for family in Family
            for p in range(PARTITIONS)
        ]
        return {(tp.topic, tp.partition): n for tp, n in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def committed(settings: Settings, group: str) -> dict[tuple[str, int], int]:
    admin = KafkaAdminClient(**settings.kafka_python_config())
    try:
        offsets = admin.list_group_offsets(group).get(group, {})
    finally:
        admin.close()
    return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items()}


def test_a_pair_of_workers_under_sigkill_export_what_an_uninterrupted_run_does(
    kafka_settings: Settings, worker: WorkerProcess, tmp_path: Path
) -> None:
    seed = int(os.environ.get("CCM_CHAOS_SEED", random.randrange(1_000_000)))
    days = int(os.environ.get("CCM_CHAOS_DAYS", "3"))
    kills = int(os.environ.get("CCM_CHAOS_KILLS", "4"))
    rng = random.Random(seed)
    said = f"(CCM_CHAOS_SEED={seed})"
    print(f"chaos seed {seed}, {days} days, {kills} kills")

    env = settings_env(kafka_settings)
    events = tmp_path / "events.jsonl"
    made = ccm(env, "simulate", "--seed", str(seed % 1000), "--start", START,
               "--duration", f"{days}d", "--out", str(events))  # fmt: skip
    assert made.returncode == 0, made.stderr
    lines = sum(1 for _ in events.open("rb"))

    victim = WorkerProcess(kafka_settings, tmp_path / "victim")
    (tmp_path / "victim").mkdir()
    victim.env["CCM_APP_ID"] = worker.env["CCM_APP_ID"]  # the same deployment
    group = worker.env["CCM_APP_ID"]
    for each in (worker, victim):
        each.env["CCM_STALL_SECONDS"] = "10"
    worker.start()
    victim.start(require_calls=False)
    # Paced so that the stream lasts about a minute and the kills fall inside it.
    speed = str(days * 86_400 / 60)
    replaying = subprocess.Popen(
        [sys.executable, "-m", "streams", "replay", "--speed", speed, str(events)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for kill in range(kills):
            time.sleep(rng.uniform(3, 60 / kills))
            victim.kill()
            time.sleep(rng.uniform(0, 3))
            if kill % 2 == 1:
                shutil.rmtree(tmp_path / "victim" / "faust", ignore_errors=True)
            victim.start(require_calls=False)
        assert replaying.wait(timeout=600) == 0, replaying.stderr.read() if replaying.stderr else ""
        worker.stop()  # gracefully: the victim takes every partition

        ends = end_offsets(kafka_settings)
        deadline = time.monotonic() + 180
        behind: dict[tuple[str, int], int] = {}
        while time.monotonic() < deadline:
            done = committed(kafka_settings, group)
            behind = {
                tp: end - done.get(tp, 0) for tp, end in ends.items() if done.get(tp, 0) < end
            }
            if (
                not behind
                and sum(victim.metric("ccm_events_consumed_total").values()) == lines
                and sum(victim.metric("ccm_consumer_lag_messages").values()) == 0
            ):
                break
            time.sleep(1)
        tail = "\n".join(victim.log(victim.starts).splitlines()[-30:])
        assert not behind, f"{said} offsets not consumed to the log end: {behind}\n{tail}"
        assert sum(victim.metric("ccm_events_consumed_total").values()) == lines, said
        assert sum(victim.metric("ccm_consumer_stalled").values()) == 0, said
        assert sum(victim.metric("ccm_consumer_lag_messages").values()) == 0, said

        month = START[:7]
        live_env = {**env, "CCM_EXPORT_URL": victim.url}
        live = ccm(live_env, "export", "monthly", "--from", month, "--to", month,
                   "--format", "csv", "--out", str(tmp_path / "live"))  # fmt: skip
        assert live.returncode == 0, f"{said} {live.stderr}"
        replayed = ccm(env, "export", "monthly", "--from", month, "--to", month, "--format",
                       "csv", "--out", str(tmp_path / "log"), "--from-log", str(events),
                       "--partitions", str(PARTITIONS))  # fmt: skip
        assert replayed.returncode == 0, replayed.stderr
        files = sorted(p.name for p in (tmp_path / "live").iterdir())
        assert files == sorted(p.name for p in (tmp_path / "log").iterdir())
        assert "call_handling.csv" in files and "incident_attendance.csv" in files
        for name in files:
            got = (tmp_path / "live" / name).read_bytes()
            assert got == (tmp_path / "log" / name).read_bytes(), f"{said} {name}"
    finally:
        if replaying.poll() is None:
            replaying.kill()
        victim.stop()
