"""Events sent before any worker has run: `ccm replay` and `ccm simulate` create the input
topics as the worker would (CCM_TOPIC_PARTITIONS), whatever the broker's own default
layout, and whether or not it creates topics on first use.

Each broker here is new and no worker ever joins it, as on a newcomer's first day. The
layouts are read back with kcat, a client this project did not write."""

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from tests.conftest import LOCAL_KAFKA, REPO
from tests.integration.test_local_kafka import broker_port

pytestmark = pytest.mark.integration

INPUTS = {  # the default topic of each input family, and the setting that names it
    "contact.calls": "CCM_TOPIC_CALLS",
    "contact.chats": "CCM_TOPIC_CHATS",
    "contact.reports": "CCM_TOPIC_REPORTS",
    "incidents": "CCM_TOPIC_INCIDENTS",
}


@pytest.fixture(
    scope="module",
    params=[
        {"CCM_KAFKA_NUM_PARTITIONS": "4", "CCM_KAFKA_AUTO_CREATE_TOPICS": "true"},
        {"CCM_KAFKA_NUM_PARTITIONS": "1", "CCM_KAFKA_AUTO_CREATE_TOPICS": "false"},
    ],
    ids=["auto-create-4-partitions", "auto-create-off"],
)
def fresh_broker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = broker_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCM_")}
    env |= {
        "CCM_KAFKA_PORT": str(port),
        "CCM_KAFKA_STATE": str(tmp_path_factory.mktemp("fresh-kafka")),
        **request.param,
    }
    started = subprocess.run(
        [str(LOCAL_KAFKA), "start"], env=env, capture_output=True, text=True, timeout=300
    )
    assert started.returncode == 0, started.stderr
    properties = (Path(env["CCM_KAFKA_STATE"]) / "server.properties").read_text()
    assert f"num.partitions={request.param['CCM_KAFKA_NUM_PARTITIONS']}\n" in properties
    assert f"auto.create.topics.enable={request.param['CCM_KAFKA_AUTO_CREATE_TOPICS']}\n" in (
        properties
    )
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(LOCAL_KAFKA), "stop"], env=env, capture_output=True, timeout=120)


def ccm(bootstrap: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """A ccm command as a user types it: no CCM_* setting but the broker and ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CCM_")}
    return subprocess.run(
        [sys.executable, "-m", "streams", *args],
        env={**clean, "CCM_KAFKA_BOOTSTRAP": bootstrap, **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def layout(bootstrap: str) -> dict[str, int]:
    """Each topic's partition count, as kcat reads the broker's metadata."""
    listed = subprocess.run(
        ["kcat", "-b", bootstrap, "-L", "-J"], capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    return {t["topic"]: len(t["partitions"]) for t in json.loads(listed.stdout)["topics"]}


def said(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "created topic" in line or "warning" in line]


def created(command: str, names: dict[str, str]) -> list[str]:
    return [
        f"ccm {command}: created topic {topic} ({setting}) with 6 partitions"
        for topic, setting in names.items()
    ]


def test_replay_on_a_fresh_broker_creates_every_topic_with_the_configured_partitions(
    fresh_broker: str,
) -> None:
    done = ccm(fresh_broker, "replay", "examples/events.jsonl")
    assert done.returncode == 0, done.stderr
    names = {**INPUTS, "contact.deadletter": "CCM_TOPIC_DEADLETTER"}
    assert said(done.stderr) == created("replay", names)
    found = layout(fresh_broker)
    assert {t: found.get(t) for t in names} == dict.fromkeys(names, 6)
    # The file has events of every family, so every input topic was written to.
    assert sent_to(fresh_broker, list(INPUTS)) == {
        "contact.calls": 5,
        "contact.chats": 4,
        "contact.reports": 2,
        "incidents": 4,
    }


def test_simulate_on_a_fresh_broker_creates_every_topic_with_the_configured_partitions(
    fresh_broker: str,
) -> None:
    # Topic names of their own, so that this broker is fresh for them too.
    names = {
        f"sim.{t}": s for t, s in {**INPUTS, "contact.deadletter": "CCM_TOPIC_DEADLETTER"}.items()
    }
    env = {setting: topic for topic, setting in names.items()}
    done = ccm(fresh_broker, "simulate", "--speed", "max", "--duration", "2h", **env)
    assert done.returncode == 0, done.stderr
    assert said(done.stderr) == created("simulate", names)
    found = layout(fresh_broker)
    assert {t: found.get(t) for t in names} == dict.fromkeys(names, 6)
    counts = sent_to(fresh_broker, [t for t in names if "deadletter" not in t])
    reported = {
        topic: int(n)
        for topic, n in (
            line.strip().split(": ")
            for line in done.stderr.splitlines()
            if line.startswith("  sim.")
        )
    }
    assert counts == reported and sum(counts.values()) > 0, (counts, done.stderr)


def test_an_existing_topic_of_another_layout_is_named_once_with_what_to_do(
    kafka_bootstrap: str,
) -> None:
    prefix = f"odd{uuid.uuid4().hex[:8]}"
    names = {
        f"{prefix}.{t}": s
        for t, s in {**INPUTS, "contact.deadletter": "CCM_TOPIC_DEADLETTER"}.items()
    }
    env = {setting: topic for topic, setting in names.items()}
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(f"{prefix}.contact.chats", 2, 1)])
        done = ccm(kafka_bootstrap, "replay", "examples/events.jsonl", **env)
    finally:
        admin.delete_topics(list(names))
        admin.close()
    assert done.returncode == 0, done.stderr
    chats = f"{prefix}.contact.chats"
    warning = (
        f"ccm replay: warning: topic {chats} (CCM_TOPIC_CHATS) has 2 partitions, but "
        "CCM_TOPIC_PARTITIONS is 6. It is used as it is, since keys and checkpoints follow "
        "its partitions. To move it to 6, create new topics and replay into them "
        "(docs/scaling.md, 'Partitions and workers'); to keep it, set CCM_TOPIC_PARTITIONS=2."
    )
    others = {t: s for t, s in names.items() if t != chats}
    assert said(done.stderr) == [*created("replay", others), warning]


def test_simulate_to_a_file_needs_no_broker(tmp_path: Path) -> None:
    out = tmp_path / "day.jsonl"
    done = ccm(f"127.0.0.1:{broker_port()}", "simulate", "--duration", "1h", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert said(done.stderr) == []
    assert out.read_bytes().count(b"\n") > 0


def sent_to(bootstrap: str, topics: list[str]) -> dict[str, int]:
    """How many records each topic holds, read back with kcat."""
    counts = {}
    for topic in topics:
        read = subprocess.run(
            ["kcat", "-b", bootstrap, "-C", "-t", topic, "-e", "-q", "-f", "%p\n"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert read.returncode == 0, read.stderr
        counts[topic] = len(read.stdout.splitlines())
    return counts
