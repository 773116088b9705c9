"""A single partition's backlog is read ahead: while the worker applies a batch of it, the
next fetch of that partition has already been asked of the broker.

The events go to one-partition topics through `ccm replay`, as a user loads a file, before
the worker starts, so that it meets a backlog. The worker runs with a recorder
(`tests/integration/recording/sitecustomize.py`) that writes down every fetch its Kafka
client sends and every batch its agents apply; only the order of those moments is
compared, never a duration."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, own_topics, settings_env
from tests.integration.worker import WorkerProcess

pytestmark = pytest.mark.integration

RECORDER = Path(__file__).parent / "recording"


def test_the_next_fetch_is_asked_for_while_a_batch_is_applied(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    settings = own_topics(kafka_bootstrap, partitions=1)  # created by ccm replay
    env = settings_env(settings)
    events = tmp_path / "events.jsonl"
    # Four days of a force's contact: some 40,000 calls' events, several fetches' worth.
    for args in (
        ["simulate", "--start", "2026-03-02T00:00:00+00:00", "--duration", "4d"],
        ["replay"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "streams", *args, *(["--out"] if "simulate" in args else []),
             str(events)],
            env=env, cwd=REPO, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    lines = events.read_bytes().splitlines()
    calls = sum(1 for line in lines if json.loads(line)["event_type"].startswith("call."))
    assert calls > 30_000

    recording = tmp_path / "recording.jsonl"
    worker = WorkerProcess(
        settings,
        tmp_path,
        {
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(RECORDER), os.environ.get("PYTHONPATH")])
            ),
            "CCM_TEST_RECORDING": str(recording),
        },
    )
    try:
        worker.start()
        worker.wait_for_consumed(len(lines))
    finally:
        worker.stop()

    topic = settings.topic_calls
    fetches: list[tuple[float, int]] = []  # (sent, offset asked for) of the calls partition
    batches: list[dict] = []
    for line in recording.read_text().splitlines():
        entry = json.loads(line)
        if "fetch" in entry:
            fetches += [(entry["sent"], o) for t, p, o in entry["fetch"] if (t, p) == (topic, 0)]
        elif entry["applied"] == "calls":
            batches.append(entry)
    assert batches, "the recorder saw no batch applied: is it loaded?"
    assert sum(b["last"] - b["first"] + 1 for b in batches) >= calls
    end = max(b["last"] for b in batches) + 1

    # Every batch with more of the log after it: a fetch beyond its last offset had been
    # sent before it was applied to the end. (Read a fetch at a time, the next fetch waited
    # until the partition's records had all been taken, and, behind the broker's hold on a
    # fetch of the idle partitions, often until the batch was applied.)
    waited = [
        f"offsets {b['first']}-{b['last']}"
        for b in batches
        if b["last"] + 1 < end
        and not any(offset > b["last"] and sent < b["ended"] for sent, offset in fetches)
    ]
    assert not waited, (
        f"{len(waited)} of {len(batches)} batches were applied with no fetch beyond them "
        f"asked for: {', '.join(waited[:10])}"
    )
    # More than one fetch was in play, or the test shows nothing.
    assert len({offset for _, offset in fetches}) >= 4, fetches
