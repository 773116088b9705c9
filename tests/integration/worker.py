"""A real `ccm worker` process for integration tests, and reading its /metrics."""

import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from streams.settings import Settings
from tests.conftest import settings_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WorkerProcess:
    def __init__(
        self,
        settings: Settings,
        workdir: Path,
        extra_env: dict[str, str] | None = None,
        python: Path | None = None,
    ) -> None:
        """``python``: the interpreter of another release's virtualenv, to run that
        release's worker (from ``workdir``, so that this checkout is not imported)."""
        self.python = python
        self.port = free_port()
        self.workdir = workdir
        self.env = {
            **settings_env(settings),
            "CCM_WEB_PORT": str(self.port),
            "CCM_WEB_BIND": "127.0.0.1",
            "CCM_DATA_DIR": str(workdir / "faust"),
            **(extra_env or {}),
        }
        # Its own consumer group and checkpoint topics, as a separate deployment would have.
        self.env["CCM_APP_ID"] = f"ccm-test-{uuid.uuid4().hex[:8]}"
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.web_tls: ssl.SSLContext | None = None
        """How to reach a worker whose web-config file asks for TLS, and a login."""
        self.web_login: tuple[str, str] | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.web_tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 90, require_calls: bool = True) -> "WorkerProcess":
        """Start it and wait for its partitions (one of the calls topic, unless
        ``require_calls`` is false: a second worker in a group may get none)."""
        self.starts += 1
        log = (self.workdir / f"worker-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [str(self.python or sys.executable), "-m", "streams", "worker", "--loglevel", "info"],
            env=self.env,
            cwd=self.workdir if self.python else None,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}; see {log.name}")
            try:
                assigned = self.metric("ccm_partitions_assigned")
                calls = assigned.get((("family", "calls"),), 0)
                if (calls >= 1 or not require_calls) and sum(assigned.values()) >= 3:
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(
            f"worker did not get its partitions within {timeout_s} s; see {log.name}"
        )

    def log(self, start: int) -> str:
        """What the worker printed in its ``start``-th run."""
        return (self.workdir / f"worker-{start}.log").read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final commit, no flush."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def scrape(self) -> str:
        request = urllib.request.Request(f"{self.url}/metrics")
        if self.web_login:
            login = base64.b64encode(":".join(self.web_login).encode()).decode()
            request.add_header("Authorization", f"Basic {login}")
        with urllib.request.urlopen(request, timeout=10, context=self.web_tls) as response:
            return response.read().decode()

    def samples(self) -> dict[str, dict[tuple, float]]:
        """Every sample by name, keyed by its sorted label pairs."""
        found: dict[str, dict[tuple, float]] = {}
        for family in text_string_to_metric_families(self.scrape()):
            for sample in family.samples:
                found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = (
                    sample.value
                )
        return found

    def metric(self, name: str) -> dict[tuple, float]:
        """Every series of ``name``; a name the worker does not expose fails the test."""
        samples = self.samples()
        if name not in samples:
            raise AssertionError(f"/metrics has no {name}")
        return samples[name]

    def value(self, name: str, **labels: str) -> float:
        """One series' value; a missing series fails the test rather than reading as 0."""
        series = self.metric(name)
        key = tuple(sorted(labels.items()))
        if key not in series:
            raise AssertionError(f"/metrics has no {name}{dict(key)}")
        return series[key]

    def wait_for_consumed(self, total: int, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        consumed = 0.0
        while time.monotonic() < deadline:
            consumed = sum(self.metric("ccm_events_consumed_total").values())
            if consumed >= total:
                return
            time.sleep(0.5)
        tail = "\n".join(self.log(self.starts).splitlines()[-25:])
        raise AssertionError(
            f"worker consumed {consumed} of {total} events within {timeout_s} s; "
            f"the end of its log:\n{tail}"
        )


def replay(settings: Settings, events: list[dict], path: Path) -> None:
    """Send ``events`` through ``ccm replay`` (a real producer) to the test's topics."""
    path.write_bytes(b"".join(json.dumps(e).encode() + b"\n" for e in events))
    sent = subprocess.run(
        [sys.executable, "-m", "streams", "replay", str(path)],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert sent.returncode == 0, sent.stderr
