"""deploy/alertmanager/alertmanager.yml: valid, each severity reaches its receiver, tickets
only in London office hours, no secret in the file."""

import shutil
import subprocess

import pytest
import yaml

from tests.conftest import REPO

CONFIG = REPO / "deploy" / "alertmanager" / "alertmanager.yml"


def amtool(*args: str) -> subprocess.CompletedProcess:
    found = shutil.which("amtool")
    assert found, "amtool is missing: run deploy/install-system-deps"
    return subprocess.run([found, *args], capture_output=True, text=True, timeout=60)


def config() -> dict:
    return yaml.safe_load(CONFIG.read_text())


def test_amtool_accepts_the_configuration() -> None:
    result = amtool("check-config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        (["alertname=EmergencyIncidentAboutToBreach", "severity=page", "grade=1"], "pager"),
        (["alertname=CallServiceLevelBurning", "severity=page", "channel=999"], "pager"),
        (["alertname=CcmWorkerDown", "severity=page", "kind=pipeline"], "pager"),
        (["alertname=CcmDeadLettersArriving", "severity=ticket", "reason=orphan"], "ticket"),
        (["alertname=IncidentDowngradedAfterBreach", "severity=ticket"], "ticket"),
    ],
)
def test_each_severity_reaches_its_receiver(labels: list[str], receiver: str) -> None:
    result = amtool("config", "routes", "test", f"--config.file={CONFIG}", *labels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def test_tickets_wait_for_london_office_hours_and_pages_do_not() -> None:
    spec = config()
    routes = {tuple(r["matchers"]): r for r in spec["route"]["routes"]}
    assert routes[('severity="ticket"',)]["active_time_intervals"] == ["office-hours"]
    assert "active_time_intervals" not in routes[('severity="page"',)]
    assert "mute_time_intervals" not in routes[('severity="page"',)]
    (hours,) = [t for t in spec["time_intervals"] if t["name"] == "office-hours"]
    assert hours["time_intervals"] == [
        {
            "weekdays": ["monday:friday"],
            "times": [{"start_time": "08:00", "end_time": "18:00"}],
            "location": "Europe/London",
        }
    ]


def test_grouped_by_every_dimension_an_alert_carries() -> None:
    assert config()["route"]["group_by"] == [
        "alertname", "severity", "channel", "queue", "policy", "response", "grade",
        "category", "family", "reason",
    ]  # fmt: skip


def test_inhibitions_page_over_ticket_and_broken_pipeline_over_kpis() -> None:
    rules = config()["inhibit_rules"]
    assert rules[0]["source_matchers"] == ['severity="page"']
    assert rules[0]["target_matchers"] == ['severity="ticket"']
    assert "alertname" in rules[0]["equal"] and "severity" not in rules[0]["equal"]
    assert rules[1] == {
        "source_matchers": ['alertname=~"CcmWorkerDown|CcmWorkersAbsent"'],
        "target_matchers": ['kind="kpi"'],
    }
    assert rules[2] == {
        "source_matchers": ['alertname=~"CcmEventsStale|CcmConsumerStalled"'],
        "target_matchers": ['kind="kpi"'],
        "equal": ["family"],
    }


def test_receiver_secrets_are_files_the_deployment_provides() -> None:
    receivers = {r["name"]: r for r in config()["receivers"]}
    (pager,) = receivers["pager"]["pagerduty_configs"]
    (ticket,) = receivers["ticket"]["slack_configs"]
    assert pager["routing_key_file"] == "/run/secrets/pagerduty_routing_key"
    assert ticket["api_url_file"] == "/run/secrets/ticket_webhook_url"
    secret_keys = {"routing_key", "service_key", "api_url", "api_key", "auth_password"}
    for receiver in receivers.values():
        for kind, configs in receiver.items():
            if kind == "name":
                continue
            for one in configs:
                assert not secret_keys & set(one), (receiver["name"], kind)
    assert "global" not in config()


def test_the_page_carries_the_grade_and_the_runbook_link() -> None:
    (pager,) = {r["name"]: r for r in config()["receivers"]}["pager"]["pagerduty_configs"]
    assert pager["details"]["grade"] == "{{ .CommonLabels.grade }}"
    assert pager["links"] == [
        {"href": "{{ (index .Alerts 0).Annotations.runbook_url }}", "text": "Runbook"}
    ]


def _alertmanager(tmp_path):
    """A real Alertmanager on this configuration (its receivers are never reached: the
    test only asks which alerts are inhibited)."""
    import socket

    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    assert binary, "Alertmanager is missing: run deploy/install-system-deps"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={CONFIG}",
            f"--storage.path={tmp_path}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, port


def _inhibited(tmp_path, alerts: list[dict[str, str]]) -> dict[str, list[str]]:
    """Post ``alerts`` (label sets) and return, by alert, the alerts inhibiting it."""
    import json
    import time
    import urllib.request

    process, port = _alertmanager(tmp_path)
    base = f"http://127.0.0.1:{port}/api/v2"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
        body = json.dumps([{"labels": a} for a in alerts]).encode()
        request = urllib.request.Request(
            f"{base}/alerts", body, {"Content-Type": "application/json"}, method="POST"
        )
        urllib.request.urlopen(request, timeout=5)

        def read() -> dict[str, list[str]]:
            with urllib.request.urlopen(f"{base}/alerts", timeout=5) as response:
                found = json.load(response)
            by_fingerprint = {a["fingerprint"]: _name(a["labels"]) for a in found}
            return {
                _name(a["labels"]): sorted(by_fingerprint[f] for f in a["status"]["inhibitedBy"])
                for a in found
            }

        # The inhibitor takes posted alerts in on a goroutine of its own: read at once on a
        # loaded machine, no source alert is known yet and nothing shows inhibited. Every
        # case here inhibits something, so wait for that, then read the whole answer.
        deadline = time.monotonic() + 10
        while not any(read().values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)
        return read()
    finally:
        process.terminate()
        process.wait(timeout=20)


def _name(labels: dict[str, str]) -> str:
    extra = [labels[k] for k in ("severity", "family", "channel", "queue") if k in labels]
    return " ".join([labels["alertname"], *extra])


def test_a_stopped_worker_silences_every_kpi_alert_but_not_the_incidents(tmp_path) -> None:
    inhibited = _inhibited(
        tmp_path,
        [
            {"alertname": "CcmWorkerDown", "severity": "page", "kind": "pipeline"},
            {"alertname": "CallServiceLevelBurning", "severity": "page", "kind": "kpi",
             "family": "calls", "channel": "999", "queue": "fcr", "window": "1h"},
            {"alertname": "IncidentAttendanceBurning", "severity": "ticket", "kind": "kpi",
             "family": "incidents", "response": "emergency", "window": "24h"},
            {"alertname": "EmergencyIncidentBreachedUnattended", "severity": "page",
             "kind": "incident", "family": "incidents", "grade": "1"},
        ],
    )  # fmt: skip
    assert inhibited == {
        "CcmWorkerDown page": [],
        "CallServiceLevelBurning page calls 999 fcr": ["CcmWorkerDown page"],
        "IncidentAttendanceBurning ticket incidents": ["CcmWorkerDown page"],
        "EmergencyIncidentBreachedUnattended page incidents": [],
    }


def test_a_stale_family_silences_its_own_kpi_alerts_only(tmp_path) -> None:
    inhibited = _inhibited(
        tmp_path,
        [
            {"alertname": "CcmEventsStale", "severity": "ticket", "kind": "pipeline",
             "family": "chats"},
            {"alertname": "ChatServiceLevelBurning", "severity": "page", "kind": "kpi",
             "family": "chats", "window": "1h"},
            {"alertname": "CallServiceLevelBurning", "severity": "page", "kind": "kpi",
             "family": "calls", "channel": "101", "queue": "switchboard", "window": "1h"},
        ],
    )  # fmt: skip
    assert inhibited == {
        "CcmEventsStale ticket chats": [],
        "ChatServiceLevelBurning page chats": ["CcmEventsStale ticket chats"],
        "CallServiceLevelBurning page calls 101 switchboard": [],
    }


def test_a_page_silences_the_ticket_for_the_same_queue_only(tmp_path) -> None:
    def burning(severity: str, queue: str, window: str) -> dict[str, str]:
        return {"alertname": "CallServiceLevelBurning", "severity": severity, "kind": "kpi",
                "family": "calls", "channel": "101", "queue": queue, "window": window}  # fmt: skip

    inhibited = _inhibited(
        tmp_path,
        [
            burning("page", "fcr", "1h"),
            burning("ticket", "fcr", "24h"),
            burning("ticket", "switchboard", "24h"),
        ],
    )
    assert inhibited == {
        "CallServiceLevelBurning page calls 101 fcr": [],
        "CallServiceLevelBurning ticket calls 101 fcr": [
            "CallServiceLevelBurning page calls 101 fcr"
        ],
        "CallServiceLevelBurning ticket calls 101 switchboard": [],
    }
