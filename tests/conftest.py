"""Shared fixtures: one real Kafka broker per test session, unique topics per test."""

import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from schemas import Family
from streams.settings import Settings

REPO = Path(__file__).resolve().parents[1]
LOCAL_KAFKA = REPO / "deploy" / "kafka" / "local-kafka"
TEST_KAFKA_PORT = os.environ.get("CCM_TEST_KAFKA_PORT", "19092")
CONTROLLER_PORT_OFFSET = 1000
"""local-kafka's controller listens on the client port + this, unless told otherwise."""

_broker_description: list[str] = []


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real broker: CCM_KAFKA_BOOTSTRAP if set, else a fresh local KRaft broker.

    Never skips: a Kafka test that cannot get a broker fails and says why.
    """
    external = os.environ.get("CCM_KAFKA_BOOTSTRAP")
    if external:
        _broker_description.append(
            f"external broker at {external} (CCM_KAFKA_BOOTSTRAP), "
            f"{_protocol_level(Settings(kafka_bootstrap=external))}"
        )
        yield external
        return
    state = tmp_path_factory.mktemp("kafka-state")
    env = {**os.environ, "CCM_KAFKA_PORT": TEST_KAFKA_PORT, "CCM_KAFKA_STATE": str(state)}
    started = subprocess.run(
        [str(LOCAL_KAFKA), "start"], env=env, capture_output=True, text=True, timeout=600
    )
    if started.returncode != 0:
        pytest.fail(f"could not start the test Kafka broker:\n{started.stderr}", pytrace=False)
    bootstrap = started.stdout.strip().splitlines()[-1]
    # The broker's own word for its version (its start-up log), not the pinned one.
    said = re.search(r"Kafka version: (\S+)", (state / "logs" / "server.log").read_text())
    version = said.group(1) if said else "of unknown version"
    _broker_description.append(
        f"Apache Kafka {version} (KRaft, single node) at {bootstrap}, "
        f"{_protocol_level(Settings(kafka_bootstrap=bootstrap))}, "
        "started by deploy/kafka/local-kafka"
    )
    try:
        yield bootstrap
    finally:
        subprocess.run([str(LOCAL_KAFKA), "stop"], env=env, capture_output=True, timeout=120)


def _protocol_level(settings: Settings) -> str:
    """What the broker itself reports: its finalized KRaft metadata.version feature level."""
    admin = KafkaAdminClient(**settings.kafka_python_config())
    try:
        features = admin.describe_features()
    finally:
        admin.close()
    level = features.get("metadata.version", {}).get("finalized")
    return f"metadata.version {level[1]}" if level else "no KRaft metadata.version reported"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _broker_description:
        terminalreporter.write_line(f"Kafka broker used by the integration tests: {line}")


def own_topics(kafka_bootstrap: str, partitions: int) -> Settings:
    """Settings with topics no other test uses, of ``partitions`` partitions when ccm
    creates them."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    return Settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_partitions=partitions,
        topic_calls=f"{prefix}.contact.calls",
        topic_chats=f"{prefix}.contact.chats",
        topic_reports=f"{prefix}.contact.reports",
        topic_incidents=f"{prefix}.incidents",
        topic_deadletter=f"{prefix}.contact.deadletter",
    )


@pytest.fixture
def kafka_settings(kafka_bootstrap: str) -> Iterator[Settings]:
    """Settings pointing at the test broker, with topics no other test uses.

    The topics are created (three partitions, as a force would run them) and deleted after.
    """
    settings = own_topics(kafka_bootstrap, partitions=3)
    topics = [settings.topic_for(family) for family in Family] + [settings.topic_deadletter]
    admin = KafkaAdminClient(**settings.kafka_python_config())
    try:
        admin.create_topics(
            [
                NewTopic(t, num_partitions=settings.topic_partitions, replication_factor=1)
                for t in topics
            ]
        )
        yield settings
    finally:
        admin.delete_topics(topics)
        admin.close()


def settings_env(settings: Settings) -> dict[str, str]:
    """The CCM_* environment that reproduces ``settings`` in a child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCM_")}
    for name, value in settings.model_dump(exclude_none=True).items():
        env[f"CCM_{name.upper()}"] = str(value)
    return env
