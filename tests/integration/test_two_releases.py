"""Two releases in one consumer group, as a rolling upgrade or a rollback has them: the
previous release (built from the commit CHANGELOG.md records) and this checkout share the
partitions while a stream is replayed, each is SIGKILLed once, and the release left alone
must export what the log gives, byte for byte, having consumed every offset.

Then the switch of checkpoint format, once only this release runs: every partition is
written again in the new format, read back after a SIGKILL, and a checkpoint this release
cannot read leaves its partition uncounted and shown, with no crash (docs/operating.md,
"Upgrades and rollbacks")."""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kafka import KafkaProducer

from schemas import Family
from streams.settings import Settings
from tests.conftest import settings_env
from tests.integration.release import Release, build_previous
from tests.integration.test_chaos import PARTITIONS, ccm, committed, end_offsets
from tests.integration.test_frozen_worker import chain_records, exports_equal
from tests.integration.worker import WorkerProcess

pytestmark = pytest.mark.integration

START = "2026-03-01T00:00:00+00:00"
DAYS = 2
REPLAY_SECONDS = 20
EVERYTHING = len(Family) * PARTITIONS


@pytest.fixture(scope="module")
def previous() -> Release:
    return build_previous()


@dataclass
class Group:
    """One consumer group on the test's topics: a worker of this checkout (``new``, not
    started) and one of the previous release (``old``), a stream to replay and what its
    log gives (in tmp_path/log)."""

    env: dict[str, str]
    events: Path
    lines: int
    app_id: str
    new: WorkerProcess
    old: WorkerProcess


@pytest.fixture
def group(
    kafka_settings: Settings, worker: WorkerProcess, previous: Release, tmp_path: Path
) -> Iterator[Group]:
    env = settings_env(kafka_settings)
    events, lines = stream(env, tmp_path)
    app_id = worker.env["CCM_APP_ID"]
    old = of_release(previous, kafka_settings, tmp_path / "old", app_id)
    try:
        yield Group(env, events, lines, app_id, worker, old)
    finally:
        old.stop()


def stream(env: dict[str, str], tmp_path: Path) -> tuple[Path, int]:
    """A simulated stream to replay, and the monthly CSVs the log gives (in tmp_path/log)."""
    events = tmp_path / "events.jsonl"
    # No call.callback: 0.1.0 does not know it, so a force sends call-backs only once
    # every worker runs 0.2.0 (docs/operating.md). The call-backs owed on abandoned calls
    # are counted all the same, and cross the upgrade in the later tallies.
    made = ccm(env, "simulate", "--seed", "11", "--start", START, "--duration", f"{DAYS}d",
               "--callbacks", "off", "--out", str(events))  # fmt: skip
    assert made.returncode == 0, made.stderr
    from_log = ccm(env, "export", "monthly", "--from", START[:7], "--to", START[:7],
                   "--format", "csv", "--out", str(tmp_path / "log"), "--from-log",
                   str(events), "--partitions", str(PARTITIONS))  # fmt: skip
    assert from_log.returncode == 0, from_log.stderr
    return events, sum(1 for _ in events.open("rb"))


def of_release(release: Release, settings: Settings, workdir: Path, app_id: str) -> WorkerProcess:
    workdir.mkdir()
    worker = WorkerProcess(settings, workdir, python=release.python)
    worker.env |= {"CCM_APP_ID": app_id, "CCM_TARGETS_FILE": str(release.targets_file)}
    return worker


def replaying(env: dict[str, str], events: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "streams", "replay", "--speed",
         str(DAYS * 86_400 / REPLAY_SECONDS), str(events)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def drained(settings: Settings, worker: WorkerProcess, app_id: str, lines: int) -> None:
    """``worker``, alone in the group, has every partition, every offset committed to the
    log end and every event counted."""
    ends = end_offsets(settings)
    deadline = time.monotonic() + 90
    while True:
        done = committed(settings, app_id)
        behind = {tp: end for tp, end in ends.items() if done.get(tp, 0) < end}
        try:
            counted = sum(worker.metric("ccm_events_consumed_total").values())
            held = sum(worker.metric("ccm_partitions_assigned").values())
        except OSError:
            counted = held = 0
        if not behind and counted == lines and held == EVERYTHING:
            return
        assert time.monotonic() < deadline, (
            f"not drained: offsets behind {behind}, {counted} of {lines} counted, "
            f"{held} of {EVERYTHING} partitions held"
        )
        time.sleep(1)


def formats(worker: WorkerProcess) -> dict[str, float]:
    by_format: dict[str, float] = {}
    for labels, n in worker.metric("ccm_checkpoints_format").items():
        by_format[dict(labels)["format"]] = by_format.get(dict(labels)["format"], 0) + n
    return by_format


def sharing(first: WorkerProcess, second: WorkerProcess) -> None:
    """Both releases hold partitions of the group at once, every partition held."""
    deadline = time.monotonic() + 60
    while True:
        try:
            held = [sum(w.metric("ccm_partitions_assigned").values()) for w in (first, second)]
        except OSError:
            held = [0, 0]
        if all(held) and sum(held) == EVERYTHING:
            return
        assert time.monotonic() < deadline, f"the releases never shared the group: {held}"
        time.sleep(0.5)


def ran_whole(worker: WorkerProcess, starts: int) -> None:
    """Alive, started exactly ``starts`` times by the test: never crashed, never looped."""
    assert worker.alive() and worker.starts == starts, worker.log(worker.starts)[-3000:]


def side_by_side(
    env: dict[str, str], events: Path, running: WorkerProcess, joining: WorkerProcess
) -> None:
    """``running`` alone, then ``joining`` in its group too, while ``events`` are replayed;
    each SIGKILLed and restarted once, the running one first."""
    running.start()
    sending = replaying(env, events)
    try:
        time.sleep(4)
        joining.start(require_calls=False)
        sharing(running, joining)
        time.sleep(3)
        for each in (running, joining):
            each.kill()
            each.start(require_calls=False)
            time.sleep(5)
        assert sending.wait(timeout=300) == 0, sending.stderr.read() if sending.stderr else ""
    finally:
        if sending.poll() is None:
            sending.kill()
    ran_whole(running, 2)
    ran_whole(joining, 2)


def test_a_rolling_upgrade_then_the_switch_of_checkpoint_format(
    kafka_settings: Settings, group: Group, tmp_path: Path
) -> None:
    new, old, env = group.new, group.old, group.env
    # The deployment as it runs today; the rollout's first new pod joins it.
    side_by_side(env, group.events, running=old, joining=new)
    old.stop()  # the rollout replaces the last pod of the previous release
    drained(kafka_settings, new, group.app_id, group.lines)
    assert exports_equal(env, new, tmp_path / "log", tmp_path / "upgraded")
    # Counts the previous release never kept (the first legs, for the public page) are
    # whole too: counted again from the calls held where it wrote the checkpoint.
    assert public_equal(env, new, group.events, tmp_path / "public-upgraded")
    assert sum(new.metric("ccm_checkpoints_unreadable").values()) == 0
    assert formats(new).get("5", 0) == 0  # nothing the previous release cannot read

    # The switch: this release alone, told to write format 5.
    new.stop()
    new.env["CCM_CHECKPOINT_FORMAT"] = "5"
    new.start()
    deadline = time.monotonic() + 60
    while formats(new) != {"4": 0, "5": EVERYTHING}:
        assert time.monotonic() < deadline, formats(new)  # idle partitions included
        time.sleep(0.5)
    new.kill()
    new.start()  # restored from format 5
    drained(kafka_settings, new, group.app_id, group.lines)
    assert exports_equal(env, new, tmp_path / "log", tmp_path / "switched")
    assert public_equal(env, new, group.events, tmp_path / "public-switched")

    # A checkpoint of a format this release does not read (a later release's),
    # stored for calls partition 0: never misread, never a crash loop.
    write_newer_format(kafka_settings, group.app_id, Family.CALLS, 0)
    new.kill()
    new.start()
    deadline = time.monotonic() + 30
    while new.value("ccm_checkpoints_unreadable", family="calls") != 1:
        assert time.monotonic() < deadline, new.log(new.starts)[-3000:]
        time.sleep(0.5)
    assert new.value("ccm_partitions_assigned", family="calls") == PARTITIONS - 1
    assert "calls partition 0 is not counted here: checkpoint format 6, written by ccm 9.9.9" in (
        new.log(new.starts)
    )
    with pytest.raises(urllib.error.HTTPError) as not_ready:
        urllib.request.urlopen(f"{new.url}/readyz", timeout=5)
    assert not_ready.value.code == 503
    assert json.loads(not_ready.value.read()) == {
        "ready": False,
        "partitions": EVERYTHING - 1,
        "unreadable": 1,
    }
    time.sleep(3)
    ran_whole(new, 5)


def test_a_rollback_before_the_switch_leaves_the_previous_release_exact(
    kafka_settings: Settings, group: Group, tmp_path: Path
) -> None:
    new, old, env = group.new, group.old, group.env
    # The new release runs, writing the format both read; the rollback's first pod of
    # the previous release joins it.
    side_by_side(env, group.events, running=new, joining=old)
    new.stop()  # the rollback replaces the last pod of the new release
    drained(kafka_settings, old, group.app_id, group.lines)
    # 0.1.0 counts no call-backs: its pack gives every file but kpis.csv's call-back rows.
    log = without_call_backs(tmp_path / "log", tmp_path / "log-0.1.0")
    assert exports_equal(env, old, log, tmp_path / "rolled-back")
    ran_whole(old, 2)


def without_call_backs(log_dir: Path, out: Path) -> Path:
    """The log's monthly files with kpis.csv's call-back rows taken out."""
    out.mkdir()
    for path in log_dir.iterdir():
        lines = path.read_bytes().splitlines(keepends=True)
        kept = [line for line in lines if b",callback" not in line]
        assert (len(kept) < len(lines)) == (path.name == "kpis.csv"), path.name
        (out / path.name).write_bytes(b"".join(kept))
    return out


def public_equal(env: dict[str, str], worker: WorkerProcess, events: Path, out: Path) -> bool:
    """The public dataset from ``worker`` is, byte for byte, what the log gives."""
    month = ["--from", START[:7], "--to", START[:7]]
    live = ccm({**env, "CCM_EXPORT_URL": worker.url}, "export", "public", *month,
               "--out", str(out / "live"))  # fmt: skip
    logged = ccm(env, "export", "public", *month, "--out", str(out / "log"), "--from-log",
                 str(events), "--partitions", str(PARTITIONS))  # fmt: skip
    assert live.returncode == logged.returncode == 0, live.stderr + logged.stderr
    names = sorted(p.name for p in (out / "log").iterdir())
    assert "101_calls.csv" in names
    return names == sorted(p.name for p in (out / "live").iterdir()) and all(
        (out / "live" / n).read_bytes() == (out / "log" / n).read_bytes() for n in names
    )


def write_newer_format(settings: Settings, app_id: str, family: Family, partition: int) -> None:
    """Store, as ``partition``'s latest whole snapshot, its snapshot in a format 6 that a
    release 9.9.9 might write."""
    topic = settings.topic_for(family)
    key = f"{topic}/{partition}".encode()
    latest = [v for k, v in chain_records(settings, app_id, family) if k == key][-1]
    assert latest is not None
    head, _, blob = latest.partition(b"\n")
    content = json.loads(zlib.decompress(blob)) | {"v": 6, "writer": "9.9.9"}
    producer = KafkaProducer(**settings.kafka_python_config(), acks="all")
    try:
        producer.send(
            f"{app_id}-checkpoints-{family.value}-changelog",
            key=key,
            value=head + b"\n" + zlib.compress(json.dumps(content).encode()),
            partition=partition,
        )
        producer.flush()
    finally:
        producer.close()
