"""The duty officer's alerts end to end: a real broker and worker, a real Prometheus
evaluating the generated rules, a real Alertmanager delivering to a small webhook
receiver standing in for PagerDuty and the ticket channel.

The rules are the committed ones; only Prometheus's intervals (1 s), the alerts' `for:`
(a quarter of each; `promtool test rules` checks them whole, tests/unit/test_alert_rules.py)
and Alertmanager's waits (seconds) are shortened, and its configuration comes from the
same generator with the receiver's address, a secrets folder and office hours all week."""

import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from kafka import KafkaProducer

from streams.alerting.alertmanager import Delivery, OfficeHours, alertmanager_config
from streams.alerting.build import ALERTS_FILE, RECORDING_FILE, dump
from streams.settings import Settings
from tests.conftest import REPO
from tests.events import event
from tests.integration.worker import WorkerProcess, free_port, replay

pytestmark = pytest.mark.integration

ROUTING_KEY = "test-routing-key"


class Receiver:
    """An HTTP server keeping every JSON body posted to it, by path."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, json.loads(body)))
                self.send_response(202 if self.path == "/pager" else 200)
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def pages(self) -> list[dict]:
        return [body for path, body in self.received if path == "/pager"]

    def tickets(self) -> list[dict]:
        return [body for path, body in self.received if path == "/ticket"]

    def close(self) -> None:
        self.server.shutdown()


def _wait_ready(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} not ready within {timeout_s} s:\n{log.read_text()}")


def _start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    try:
        yield found
    finally:
        found.close()


@pytest.fixture
def alertmanager(receiver: Receiver, tmp_path: Path) -> Iterator[int]:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    assert binary, "Alertmanager is missing: run deploy/install-system-deps"
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "pagerduty_routing_key").write_text(ROUTING_KEY)
    (secrets / "ticket_webhook_url").write_text(f"http://127.0.0.1:{receiver.port}/ticket")
    delivery = Delivery(
        secrets_dir=str(secrets),
        pagerduty_url=f"http://127.0.0.1:{receiver.port}/pager",
        page_group_wait="1s",
        ticket_group_wait="1s",
        group_interval="2s",
        office_hours=OfficeHours(weekdays=("sunday:saturday",), start="00:00", end="24:00"),
    )
    config = tmp_path / "alertmanager.yml"
    config.write_text(dump(alertmanager_config(delivery)))
    port = free_port()
    log = tmp_path / "alertmanager.log"
    process = _start(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'alertmanager'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        log,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}/-/ready", process, log)
        yield port
    finally:
        _stop(process)


FOR_SCALE = 4
"""How much shorter each alert's `for:` is here than in the committed rules."""


def seconds(duration: str) -> float:
    """A Prometheus duration of whole units (``30s``, ``2m``, ``1h``) in seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    return float(duration[:-1]) * units[duration[-1]]


def _prometheus(
    worker: WorkerProcess, alertmanager_port: int, tmp_path: Path
) -> tuple[subprocess.Popen, int]:
    binary = shutil.which("prometheus")
    assert binary, "Prometheus is missing: run deploy/install-system-deps"
    production = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text())
    alerts = yaml.safe_load((REPO / ALERTS_FILE).read_text())
    for group in alerts["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = f"{round(1000 * seconds(rule['for']) / FOR_SCALE)}ms"
    alerts_file = tmp_path / "alerts.rules.yml"
    alerts_file.write_text(yaml.safe_dump(alerts))
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(REPO / RECORDING_FILE), str(alerts_file)],
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]
        },
        "scrape_configs": [
            {
                "job_name": production["scrape_configs"][0]["job_name"],
                "static_configs": [{"targets": [f"127.0.0.1:{worker.port}"]}],
            }
        ],
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    port = free_port()
    log = tmp_path / "prometheus.log"
    process = _start(
        [
            binary,
            f"--config.file={path}",
            f"--storage.tsdb.path={tmp_path / 'prometheus'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        log,
    )
    _wait_ready(f"http://127.0.0.1:{port}/-/ready", process, log)
    return process, port


def _query(port: int, promql: str) -> list[dict]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)["data"]["result"]


def _alerts(port: int) -> list[dict]:
    """Prometheus's alerts, pending and firing."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/alerts", timeout=10) as answer:
        return json.load(answer)["data"]["alerts"]


def _wait_for(
    what: str, found, timeout_s: float, logs: list[Path], receiver: Receiver, more=lambda: ""
):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = found()
        if result:
            return result
        time.sleep(0.5)
    tails = "\n".join(f"{p.name}:\n" + "\n".join(p.read_text().splitlines()[-15:]) for p in logs)
    raise AssertionError(
        f"no {what} within {timeout_s} s; {more()}; received: "
        f"{json.dumps(receiver.received)}\n{tails}"
    )


def _page(receiver: Receiver, alertname: str) -> list[dict]:
    return [
        p
        for p in receiver.pages()
        if p["event_action"] == "trigger"
        and p["payload"]["custom_details"]["alertname"] == alertname
    ]


def test_pages_and_tickets_reach_their_receivers_and_a_stopped_worker_pages_no_kpi(
    kafka_settings: Settings,
    worker: WorkerProcess,
    receiver: Receiver,
    alertmanager: int,
    tmp_path: Path,
) -> None:
    worker.start()
    prometheus, prometheus_port = _prometheus(worker, alertmanager, tmp_path)
    logs = [tmp_path / "prometheus.log", tmp_path / "alertmanager.log"]
    try:
        # Dead letters are counted from 0 by each worker process; the alert needs a reading
        # before the first one (Prometheus takes up new targets every few seconds).
        _wait_for(
            "first scrape of the dead-letter counts",
            lambda: _query(prometheus_port, 'ccm_deadletters_total{reason="malformed_json"}'),
            30,
            logs,
            receiver,
        )
        # An urban grade 1 emergency created 13 minutes ago: 13 of its 15 minutes gone.
        created = datetime.now(UTC) - timedelta(minutes=13)
        incident = event(
            "incident.created",
            occurred_at=created.isoformat(timespec="seconds"),
            incident_id="i-13",
            grade=1,
            area="urban",
            category="robbery",
            source="storm",
        )
        # Two abandoned 999 calls: "cb-late" 12 min ago (its 10-minute first-attempt target
        # passed 2 minutes ago), "cb-kept" 7 min ago, called back below while in time.
        now = datetime.now(UTC)

        def call(event_type: str, call_id: str, ago: timedelta, **fields) -> dict:
            when = (now - ago).isoformat(timespec="seconds")
            return event(event_type, occurred_at=when, call_id=call_id, **fields)

        calls = [
            call("call.queued", "cb-late", timedelta(minutes=12, seconds=20), channel="999"),
            call("call.abandoned", "cb-late", timedelta(minutes=12)),
            call("call.queued", "cb-kept", timedelta(minutes=7, seconds=20), channel="999"),
            call("call.abandoned", "cb-kept", timedelta(minutes=7)),
        ]
        replay(kafka_settings, [incident, *calls], tmp_path / "incident.jsonl")
        producer = KafkaProducer(**kafka_settings.kafka_python_config())
        producer.send(kafka_settings.topic_calls, key=b"x", value=b"{not json")
        producer.flush()
        producer.close()

        # No call-back has been seen on 999: the breached one must not page. Once its
        # breach is in Prometheus and the rules have run over it, the alert is not even
        # pending (its expression is empty, so its `for:` never starts).
        _wait_for(
            "the breached call-back in Prometheus",
            lambda: _query(prometheus_port, 'sum(ccm_callbacks_breached{channel="999"}) == 1'),
            60,
            logs,
            receiver,
        )
        time.sleep(5)  # five rule evaluations over it
        assert not [a for a in _alerts(prometheus_port) if a["labels"]["alertname"].startswith(
            "CallbackFirstAttempt")]  # fmt: skip
        # A call-back made in time on the other call: call-backs are now in use on 999.
        replay(
            kafka_settings,
            [call("call.callback", "cb-kept", timedelta(seconds=10), outcome="reached")],
            tmp_path / "callback.jsonl",
        )
        (page,) = _wait_for(
            "about-to-breach page",
            lambda: _page(receiver, "EmergencyIncidentAboutToBreach"),
            120,
            logs,
            receiver,
        )
        assert page["routing_key"] == ROUTING_KEY  # read from the secrets folder
        assert page["payload"]["summary"] == (
            "1 grade 1 emergency incident(s) unattended with 80 % of the attendance target "
            "gone (essex grading)"
        )
        details = page["payload"]["custom_details"]
        assert (details["grade"], details["response"]) == ("1", "emergency")
        assert details["runbook_url"] == "docs/runbook.md#emergencyincidentabouttobreach"
        assert page["links"] == [
            {"href": "docs/runbook.md#emergencyincidentabouttobreach", "text": "Runbook"}
        ]

        (ticket,) = _wait_for(
            "dead-letter ticket",
            lambda: [
                t
                for t in receiver.tickets()
                if t["attachments"][0]["title"] == "FIRING: CcmDeadLettersArriving"
            ],
            90,
            logs,
            receiver,
            lambda: _query(prometheus_port, 'ccm_deadletters_total{reason="malformed_json"}[5m]'),
        )
        assert ticket["attachments"][0]["text"].splitlines()[0] == (
            "1 calls messages dead-lettered as malformed_json in the last 10 minutes"
        )
        assert ticket["attachments"][0]["text"].splitlines()[-1] == (
            "Runbook: docs/runbook.md#ccmdeadlettersarriving"
        )

        (missed,) = _wait_for(
            "missed call-back page",
            lambda: _page(receiver, "CallbackFirstAttemptBreached"),
            180,
            logs,
            receiver,
        )
        assert missed["payload"]["summary"] == (
            "1 abandoned 999 call(s) with no call-back attempted within 10 min"
        )
        assert missed["links"] == [
            {"href": "docs/runbook.md#callbackfirstattemptbreached", "text": "Runbook"}
        ]

        worker.stop()
        (down,) = _wait_for(
            "worker-down page", lambda: _page(receiver, "CcmWorkerDown"), 120, logs, receiver
        )
        assert down["payload"]["summary"] == (
            "1 ccm worker(s) not answering Prometheus: KPIs and incident alerts are blind"
        )
        assert down["links"] == [{"href": "docs/runbook.md#ccmworkerdown", "text": "Runbook"}]
        time.sleep(5)  # a few more evaluations and notifications with the worker gone
    finally:
        _stop(prometheus)

    kpi = {
        rule["alert"]
        for group in yaml.safe_load((REPO / ALERTS_FILE).read_text())["groups"]
        for rule in group["rules"]
        if rule["labels"].get("kind") == "kpi"
    }
    paged = {p["payload"]["custom_details"]["alertname"] for p in receiver.pages()}
    assert not paged & kpi, paged
    assert paged <= {
        "CallbackFirstAttemptBreached",
        "EmergencyIncidentAboutToBreach",
        "EmergencyIncidentBreachedUnattended",
        "CcmWorkerDown",
    }, paged
