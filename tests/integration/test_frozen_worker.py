"""A worker frozen past its session timeout (a VM paused, a long stop-the-world) and then
thawed, while it shares the group with another: the survivor takes its partitions from
their checkpoints and must be whole again at once, even on an idle partition whose
checkpoint chain had forked behind the committed offset.

A frozen worker that thaws still believes it owns its partitions and may write into their
chains, which leaves a fork some of the time. So that every round has one, the test also
writes a stale record into the chain of every partition before it freezes the worker, as
such a zombie would: the next owner then restores a state behind the committed offset.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from schemas import Family
from streams.settings import Settings
from tests.conftest import settings_env
from tests.integration.test_chaos import PARTITIONS, ccm, committed, end_offsets
from tests.integration.worker import WorkerProcess

pytestmark = pytest.mark.integration

START = "2026-03-01T00:00:00+00:00"
DAYS = 2
SESSION_TIMEOUT_S = 6
WHOLE_WITHIN_S = 10
FORKED = "does not follow the one before"
Record = tuple[bytes, bytes]


def chain_records(
    settings: Settings, app_id: str, family: Family
) -> list[tuple[bytes, bytes | None]]:
    """Every record of a family's checkpoint changelog, in log order per partition."""
    topic = f"{app_id}-checkpoints-{family.value}-changelog"
    consumer = KafkaConsumer(**settings.kafka_python_config(), enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        records: list[tuple[bytes, bytes | None]] = []
        for tp in tps:
            while consumer.position(tp) < ends[tp]:
                for batch in consumer.poll(timeout_ms=1000, max_records=5000).values():
                    records += [(r.key, r.value) for r in batch]
        return records
    finally:
        consumer.close()


def stale_records(
    settings: Settings, app_id: str, family: Family, ends: dict[tuple[str, int], int]
) -> dict[int, list[Record]]:
    """For each partition of ``family``, the records a zombie with an old state would
    write: its oldest whole snapshot again, and after it a record of changes that follows
    a record which never was (the head of another chain). A restore then meets the fork
    and goes on from that old snapshot, behind the committed offset (every partition is
    read to its log end, ``ends``)."""
    topic = settings.topic_for(family)
    snapshots: dict[int, list[bytes]] = {}
    for key, value in chain_records(settings, app_id, family):
        name, _, partition = key.decode().rpartition("/")
        if name == topic and value and value[:1] == b"{":
            snapshots.setdefault(int(partition), []).append(value)
    stale = {}
    for partition, values in snapshots.items():
        oldest = values[0]
        if offset_of(oldest) + 1 >= ends[topic, partition]:
            continue  # nothing happened on this partition since: no state to be behind
        seq = json.loads(oldest.partition(b"\n")[0])["seq"]
        fork = {"seq": seq + 1, "id": "f" * 16, "after": "0" * 16}
        stale[partition] = [
            (f"{topic}/{partition}".encode(), oldest),
            (f"{topic}/{partition}/{seq + 1}".encode(), json.dumps(fork).encode() + b"\n"),
        ]
    return stale


def offset_of(snapshot: bytes) -> int:
    """The offset a whole snapshot holds the partition to (its header line, then zlib
    JSON)."""
    return json.loads(zlib.decompress(snapshot.partition(b"\n")[2]))["offset"]


def write_stale(settings: Settings, app_id: str, family: Family) -> list[int]:
    records = stale_records(settings, app_id, family, end_offsets(settings))
    producer = KafkaProducer(**settings.kafka_python_config(), acks="all")
    try:
        for partition, written in records.items():
            for key, value in written:
                producer.send(
                    f"{app_id}-checkpoints-{family.value}-changelog",
                    key=key,
                    value=value,
                    partition=partition,
                )
        producer.flush()
    finally:
        producer.close()
    return sorted(records)


def forks(worker: WorkerProcess) -> int:
    return sum(worker.log(n).count(FORKED) for n in range(1, worker.starts + 1))


def exports_equal(env: dict[str, str], worker: WorkerProcess, log_dir: Path, out: Path) -> bool:
    month = START[:7]
    live = ccm({**env, "CCM_EXPORT_URL": worker.url}, "export", "monthly", "--from", month,
               "--to", month, "--format", "csv", "--out", str(out))  # fmt: skip
    if live.returncode != 0:
        return False
    names = sorted(p.name for p in log_dir.iterdir())
    return names == sorted(p.name for p in out.iterdir()) and all(
        (out / n).read_bytes() == (log_dir / n).read_bytes() for n in names
    )


def test_a_worker_frozen_past_its_session_leaves_the_survivor_whole_within_seconds(
    kafka_settings: Settings, worker: WorkerProcess, tmp_path: Path
) -> None:
    env = settings_env(kafka_settings)
    events = tmp_path / "events.jsonl"
    made = ccm(env, "simulate", "--seed", "7", "--start", START, "--duration", f"{DAYS}d",
               "--out", str(events))  # fmt: skip
    assert made.returncode == 0, made.stderr
    lines = sum(1 for _ in events.open("rb"))
    from_log = ccm(env, "export", "monthly", "--from", START[:7], "--to", START[:7],
                   "--format", "csv", "--out", str(tmp_path / "log"), "--from-log",
                   str(events), "--partitions", str(PARTITIONS))  # fmt: skip
    assert from_log.returncode == 0, from_log.stderr

    frozen = WorkerProcess(kafka_settings, tmp_path / "frozen")
    (tmp_path / "frozen").mkdir()
    app_id = worker.env["CCM_APP_ID"]
    frozen.env["CCM_APP_ID"] = app_id
    for each in (worker, frozen):
        each.env["CCM_KAFKA_SESSION_TIMEOUT_SECONDS"] = str(SESSION_TIMEOUT_S)
        each.env["CCM_CHECKPOINT_SECONDS"] = "1"  # chains of many records
    # The thawed worker's own rejoin is Faust's to get right, and now and then it leaves
    # a partition paused by a recovery that never ends; the worker then says it is no
    # longer live, and is restarted as Kubernetes' liveness probe would have it.
    frozen.env["CCM_STALL_SECONDS"] = "15"
    worker.start()
    frozen.start(require_calls=False)
    everything = len(Family) * PARTITIONS

    def held(w: WorkerProcess) -> float:
        return sum(w.metric("ccm_partitions_assigned").values())

    def supervise() -> None:
        """Restart the thawed worker if it says it is not live."""
        try:
            urllib.request.urlopen(f"{frozen.url}/healthz", timeout=5).close()
        except urllib.error.HTTPError as error:
            if error.code == 503:
                print(f"the thawed worker is stuck ({error.read()!r}): restarted")
                frozen.kill()
                frozen.start(require_calls=False)
        except OSError:
            pass

    def settle_both() -> None:
        """Both workers hold partitions again. Faust's assignor may leave the thawed
        worker without any (alive, not ready): it is then restarted, as a rollout or an
        operator would, so that the next freeze moves partitions again."""
        for attempt in range(2):
            deadline = time.monotonic() + 30 + 30 * attempt
            while time.monotonic() < deadline:
                supervise()
                try:
                    if held(worker) + held(frozen) == everything and held(frozen) > 0:
                        return
                except (OSError, AssertionError):
                    pass
                time.sleep(0.5)
            if attempt == 0:
                print("the thawed worker holds no partition: restarted")
                frozen.kill()
                frozen.start(require_calls=False)
        raise AssertionError("the thawed worker did not get partitions back")

    def consumed_by_both() -> float:
        try:
            return sum(worker.metric("ccm_events_consumed_total").values()) + sum(
                frozen.metric("ccm_events_consumed_total").values()
            )
        except (OSError, AssertionError):  # restarting, or between assignments
            return 0

    def freeze_and_thaw(check_whole: bool) -> None:
        assert frozen.process is not None
        os.killpg(frozen.process.pid, signal.SIGSTOP)
        try:
            deadline = time.monotonic() + 60
            while held(worker) < everything:
                assert time.monotonic() < deadline, "the survivor never took every partition"
                time.sleep(0.2)
            rebalanced = time.monotonic()
            if check_whole:
                # Whole again: every event counted (nothing waits behind a committed
                # offset) and the figures those of the log, within seconds.
                while not (
                    sum(worker.metric("ccm_events_consumed_total").values()) == lines
                    and exports_equal(env, worker, tmp_path / "log", tmp_path / "live")
                ):
                    waited = time.monotonic() - rebalanced
                    assert waited < WHOLE_WITHIN_S, (
                        f"the survivor was not whole {waited:.1f} s after the rebalance: "
                        f"{sum(worker.metric('ccm_events_consumed_total').values())} of "
                        f"{lines} events counted"
                    )
                    time.sleep(0.2)
            # Still past the session timeout, so the thaw makes a zombie.
            time.sleep(max(0.0, SESSION_TIMEOUT_S + 2 - (time.monotonic() - rebalanced)))
        finally:
            os.killpg(frozen.process.pid, signal.SIGCONT)
        settle_both()

    replaying = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streams",
            "replay",
            "--speed",
            str(DAYS * 86_400 / 20),
            str(events),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(6)
        freeze_and_thaw(check_whole=False)  # mid-replay: a zombie among live writes
        assert replaying.wait(timeout=300) == 0, replaying.stderr.read() if replaying.stderr else ""
        deadline = time.monotonic() + 120
        while consumed_by_both() < lines:
            assert time.monotonic() < deadline, "the pair did not consume every event"
            supervise()
            time.sleep(0.5)
        settle_both()
        time.sleep(3)  # a checkpoint or two after the last event: the partitions idle
        for _ in range(2):
            forks_before = forks(worker)
            # Every partition of every family, so that the frozen worker holds some.
            stale = {f: write_stale(kafka_settings, app_id, f) for f in Family}
            assert stale[Family.CALLS] == list(range(PARTITIONS)), stale
            freeze_and_thaw(check_whole=True)
            # A fork was met: the survivor took at least one forked partition from the
            # frozen worker and restored it from behind the committed offset.
            assert forks(worker) > forks_before, stale
        assert sum(worker.metric("ccm_consumer_stalled").values()) == 0
        assert "have stopped" not in "".join(worker.log(n) for n in range(1, worker.starts + 1))

        frozen.stop()  # the survivor takes every partition for the last word
        ends = end_offsets(kafka_settings)
        deadline = time.monotonic() + 60
        while True:
            done = committed(kafka_settings, app_id)
            behind = {tp: end for tp, end in ends.items() if done.get(tp, 0) < end}
            if not behind and held(worker) == everything:
                break
            assert time.monotonic() < deadline, f"offsets not consumed to the log end: {behind}"
            time.sleep(1)
        assert sum(worker.metric("ccm_events_consumed_total").values()) == lines
        assert exports_equal(env, worker, tmp_path / "log", tmp_path / "final")
    finally:
        if replaying.poll() is None:
            replaying.kill()
        if frozen.process is not None and frozen.alive():
            os.killpg(frozen.process.pid, signal.SIGCONT)
        frozen.stop()
