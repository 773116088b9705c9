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
