"""The worker's HTTP server behind TLS and basic auth (a Prometheus web-config file):
refused without the login, served with it, to `ccm export` and to a real Prometheus
scraping with the documented scrape configuration."""

import json
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import bcrypt
import pytest
import yaml

from streams.settings import Settings
from tests.conftest import REPO, settings_env
from tests.integration.worker import WorkerProcess, free_port
from tests.tls_helpers import make_ca, make_server_cert

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"


def web_config(directory: Path) -> Path:
    ca = make_ca(directory)
    make_server_cert(directory)
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=6)).decode()
    config = directory / "web-config.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "tls_server_config": {"cert_file": "server.pem", "key_file": "server.key"},
                "basic_auth_users": {"prometheus": hashed},
            }
        )
    )
    assert ca.is_file()
    return config


def status(url: str, context: ssl.SSLContext | None, login: str | None = None) -> int:
    request = urllib.request.Request(url)
    if login is not None:
        import base64

        request.add_header("Authorization", "Basic " + base64.b64encode(login.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status
    except urllib.error.HTTPError as error:
        assert error.headers["WWW-Authenticate"] == 'Basic realm="ccm", charset="UTF-8"'
        return error.code


def without(env: dict[str, str], *keys: str) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in keys}


def export(env: dict[str, str], out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "streams", "export", "monthly", "--from", "2026-11", "--to",
         "2026-11", "--format", "csv", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


def prometheus_scrapes(worker: WorkerProcess, tls: Path, tmp_path: Path) -> dict:
    """The documented scrape configuration, pointed at this worker: its target's state."""
    config = yaml.safe_load((REPO / "deploy/prometheus/scrape-tls.example.yml").read_text())
    job = config["scrape_configs"][0]
    job["tls_config"]["ca_file"] = str(tls / "ca.pem")
    (tmp_path / "password").write_text(PASSWORD)
    job["basic_auth"]["password_file"] = str(tmp_path / "password")
    job["static_configs"] = [{"targets": [f"127.0.0.1:{worker.port}"]}]
    config["global"] = {"scrape_interval": "1s"}
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        target: dict = {}
        while time.monotonic() < deadline:
            try:
                url = f"http://127.0.0.1:{port}/api/v1/targets"
                with urllib.request.urlopen(url, timeout=5) as response:
                    active = json.load(response)["data"]["activeTargets"]
                if active and active[0]["health"] != "unknown":
                    target = active[0]
                    break
            except OSError:
                pass
            time.sleep(0.5)
        return target
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_metrics_and_export_need_tls_and_the_login(
    kafka_settings: Settings, worker: WorkerProcess, tmp_path: Path
) -> None:
    tls = tmp_path / "tls"
    worker.env["CCM_WEB_CONFIG_FILE"] = str(web_config(tls))
    worker.web_tls = ssl.create_default_context(cafile=str(tls / "ca.pem"))
    worker.web_login = ("prometheus", PASSWORD)
    worker.start()
    https = f"https://127.0.0.1:{worker.port}"

    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/metrics", timeout=10)
    context = worker.web_tls
    for path in ("/metrics", "/export/monthly?from=2026-11&to=2026-11", "/healthz"):
        assert status(https + path, context) == 401
        assert status(https + path, context, "prometheus:wrong") == 401
        assert status(https + path, context, "someone:" + PASSWORD) == 401
        assert status(https + path, context, "prometheus:" + PASSWORD) == 200
    assert worker.value("ccm_partitions_assigned", family="calls") == 3

    env = {**settings_env(kafka_settings), "CCM_EXPORT_URL": https}
    logged_in = {
        **env,
        "CCM_EXPORT_CAFILE": str(tls / "ca.pem"),
        "CCM_EXPORT_USERNAME": "prometheus",
        "CCM_EXPORT_PASSWORD": PASSWORD,
    }
    done = export(logged_in, tmp_path / "pack")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "pack").iterdir()) == [
        "call_handling.csv",
        "channel_share.csv",
        "chat.csv",
        "incident_attendance.csv",
        "kpis.csv",
        "online_reports.csv",
    ]
    no_login = export(
        without(logged_in, "CCM_EXPORT_USERNAME", "CCM_EXPORT_PASSWORD"), tmp_path / "x"
    )
    assert (no_login.returncode, no_login.stderr.strip().splitlines()[-1]) == (
        2,
        "ccm export: the worker asks for a login: set CCM_EXPORT_USERNAME and "
        "CCM_EXPORT_PASSWORD to a user of its web-config file's basic_auth_users",
    )
    wrong = export({**logged_in, "CCM_EXPORT_PASSWORD": "wrong"}, tmp_path / "y")
    assert (wrong.returncode, wrong.stderr.strip().splitlines()[-1]) == (
        2,
        "ccm export: the worker refused the login of user 'prometheus': check "
        "CCM_EXPORT_PASSWORD (and CCM_EXPORT_USERNAME)",
    )
    untrusted = export(without(logged_in, "CCM_EXPORT_CAFILE"), tmp_path / "z")
    assert (untrusted.returncode, untrusted.stderr.strip().splitlines()[-1]) == (
        2,
        "ccm export: the worker's certificate is not signed by the system's CAs "
        "(CCM_EXPORT_CAFILE is unset) (unable to get local issuer certificate): set "
        "CCM_EXPORT_CAFILE to the PEM file of the CA that signed it",
    )
    for output in (done, no_login, wrong, untrusted):
        assert PASSWORD not in output.stdout + output.stderr

    target = prometheus_scrapes(worker, tls, tmp_path)
    assert (target.get("health"), target.get("lastError")) == ("up", "")
    assert target["scrapeUrl"] == f"https://127.0.0.1:{worker.port}/metrics"
    assert PASSWORD not in worker.log(1)
