"""deploy/kafka/local-kafka: start and stop are idempotent and say what they did."""

import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CONTROLLER_PORT_OFFSET, LOCAL_KAFKA
from tests.integration.worker import free_port

pytestmark = pytest.mark.integration


def local_kafka(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LOCAL_KAFKA), command], env=env, capture_output=True, text=True, timeout=300
    )


def broker_port() -> int:
    """A free port whose controller's port is free too."""
    while True:
        port = free_port()
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + CONTROLLER_PORT_OFFSET))
            return port
        except OSError:
            continue


def test_start_and_stop_twice_each_leave_one_broker_then_none(tmp_path: Path) -> None:
    port = broker_port()
    env = {**os.environ, "CCM_KAFKA_PORT": str(port), "CCM_KAFKA_STATE": str(tmp_path)}
    first, again = local_kafka("start", env), local_kafka("start", env)
    try:
        assert (first.returncode, first.stdout) == (0, f"127.0.0.1:{port}\n"), first.stderr
        assert "started (pid" in first.stderr
        assert (again.returncode, again.stdout) == (0, f"127.0.0.1:{port}\n"), again.stderr
        assert "already running" in again.stderr
        assert local_kafka("status", env).returncode == 0
    finally:
        stopped = local_kafka("stop", env)
    assert stopped.returncode == 0 and "stopped (pid" in stopped.stderr, stopped.stderr
    twice = local_kafka("stop", env)
    assert twice.returncode == 0 and "not running" in twice.stderr, twice.stderr
    status = local_kafka("status", env)
    assert status.returncode == 3 and "not running" in status.stdout
