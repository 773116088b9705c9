"""A real Prometheus scraping test workers, with the job of deploy/prometheus/prometheus.yml,
and instant and range queries through its HTTP API."""

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

from tests.conftest import REPO
from tests.integration.worker import free_port

CONFIG = REPO / "deploy" / "prometheus" / "prometheus.yml"


class PrometheusProcess:
    def __init__(self, workdir: Path, worker_urls: list[str], scrape_s: int = 1) -> None:
        self.workdir = workdir
        self.port = free_port()
        config = yaml.safe_load(CONFIG.read_text())
        config["global"] = {
            "scrape_interval": f"{scrape_s}s",
            "evaluation_interval": f"{scrape_s}s",
        }
        (job,) = config["scrape_configs"]
        job["static_configs"] = [{"targets": [u.removeprefix("http://") for u in worker_urls]}]
        self.job = job["job_name"]
        self.config = workdir / "prometheus.yml"
        self.config.write_text(yaml.safe_dump(config))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60) -> "PrometheusProcess":
        binary = shutil.which("prometheus")
        assert binary, "Prometheus is missing: run deploy/install-system-deps"
        log = (self.workdir / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={self.config}",
                f"--storage.tsdb.path={self.workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.workdir / "prometheus.log").read_text()
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2):
                    return self
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"Prometheus not ready within {timeout_s} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)

    def api(self, path: str, **params: str) -> dict:
        """A query API call; a query Prometheus refuses comes back as its error body."""
        url = f"{self.url}/api/v1/{path}?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            return json.load(error)

    def query(self, promql: str) -> list[dict]:
        body = self.api("query", query=promql)
        assert body["status"] == "success", (promql, body)
        return body["data"]["result"]
