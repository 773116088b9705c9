"""The README's first command exactly as written: `make run`, with no setting in the
environment, so on the default ports a newcomer's machine uses. (test_demo.py runs the
same demo on free ports, to check its figures; this one checks that the defaults work.)"""

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import CONTROLLER_PORT_OFFSET, REPO
from tests.integration.test_demo import at_a_terminal, ctrl_c, results

pytestmark = pytest.mark.integration

DEFAULT_PORTS = {  # what each default port is for, as deploy/run-local documents them
    9092: "Kafka (CCM_KAFKA_PORT)",
    9092 + CONTROLLER_PORT_OFFSET: "Kafka's controller (CCM_KAFKA_CONTROLLER_PORT)",
    6066: "the worker (CCM_WEB_PORT)",
    9090: "Prometheus (CCM_PROMETHEUS_PORT)",
    9093: "Alertmanager (CCM_ALERTMANAGER_PORT)",
}
SHOWN_WITHIN_S = 120
SERVICE_LEVEL = 'channel_queue_window:ccm_call_service_level:ratio{window="1h"}'
WITH_OUTCOME = 'channel_queue_window:ccm_call_legs_with_outcome:sum{window="1h"} > 0'


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def queues(promql: str) -> set[tuple[str, str]]:
    return {(r["metric"]["channel"], r["metric"]["queue"]) for r in results(9090, promql)}


def alertmanager_ready() -> bool:
    try:
        with urllib.request.urlopen("http://127.0.0.1:9093/-/ready", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_make_run_as_written_shows_service_level_on_the_default_ports(tmp_path: Path) -> None:
    taken = [f"{port} ({what})" for port, what in DEFAULT_PORTS.items() if listening(port)]
    assert not taken, (
        f"a default port of the demo is already in use on this machine: {', '.join(taken)}; "
        "stop what holds it, then run the suite again"
    )
    jars_cached = any((REPO / ".cache" / "kafka").glob("lib-*/.complete"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCM_")}
    env["TMPDIR"] = str(tmp_path)  # where run-local keeps its state, to check it is removed
    log_path = tmp_path / "make-run.log"
    with log_path.open("wb") as log:
        demo = subprocess.Popen(
            ["make", "run"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=at_a_terminal,
        )  # fmt: skip
    launched = time.monotonic()
    shown: set[tuple[str, str]] = set()
    with_calls: set[tuple[str, str]] = set()
    try:
        # The first start on a machine fetches Kafka's jars with Maven: not counted.
        deadline = launched + SHOWN_WITHIN_S + (0 if jars_cached else 300)
        while not (b"Press Ctrl-C" in log_path.read_bytes() and alertmanager_ready()):
            assert demo.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        # Every queue that has had calls in the last hour of event time shows its
        # service level (the demo starts from now, so at night some queues are quiet).
        while not (with_calls and shown == with_calls):
            assert demo.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, (
                f"after {SHOWN_WITHIN_S} s, service level shows for {sorted(shown)}, "
                f"queues with calls are {sorted(with_calls)}"
            )
            time.sleep(2)
            with_calls, shown = queues(WITH_OUTCOME), queues(SERVICE_LEVEL)
        values = [float(r["value"][1]) for r in results(9090, SERVICE_LEVEL)]
    finally:
        left = ctrl_c(demo)
    assert ("999", "fcr") in shown, shown  # 999 calls come at every hour of the day
    assert all(0.0 <= v <= 1.0 for v in values), values
    assert not left, f"left running after Ctrl-C: {left}"
    still = [f"{port} ({what})" for port, what in DEFAULT_PORTS.items() if listening(port)]
    assert not still, f"still listening after Ctrl-C: {', '.join(still)}"
    assert not list(tmp_path.glob("ccm-demo.*")), "the demo's state folder was not removed"
