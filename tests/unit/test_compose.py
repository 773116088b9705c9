"""docker-compose.yml is a valid Compose file and wires the stack together.

With the compose plugin installed, `docker compose config` must accept it too; the
Compose Specification's JSON Schema (tests/data) checks it everywhere."""

import json
import shutil
import subprocess
from pathlib import Path

import yaml
from jsonschema import Draft7Validator

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
SCHEMA = REPO / "tests" / "data" / "compose-spec.schema.json"


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    errors = [
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(compose())
    ]
    assert errors == []


def test_schema_rejects_what_compose_rejects() -> None:
    # The validator is not vacuous: an unknown service key and an unknown condition fail.
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    broken = compose()
    broken["services"]["worker"]["helthcheck"] = {}
    broken["services"]["simulator"]["depends_on"]["kafka"]["condition"] = "whenever"
    assert len(list(validator.iter_errors(broken))) == 2


def test_docker_compose_config_accepts_it_where_the_plugin_exists() -> None:
    docker = shutil.which("docker")
    has_plugin = (
        docker is not None
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    )
    if not has_plugin:
        # No compose plugin on this machine: the JSON Schema test above is the check.
        return
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_stack_has_the_five_services_with_healthchecks_and_named_volumes() -> None:
    spec = compose()
    services = spec["services"]
    assert set(services) == {"kafka", "worker", "simulator", "prometheus", "alertmanager"}
    assert services["kafka"]["image"] == "apache/kafka:3.9.1"  # as deploy/kafka/pom.xml
    for name in ("kafka", "worker", "prometheus", "alertmanager"):
        assert services[name]["healthcheck"]["test"], name
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], (name, dependency)
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO / source).is_file(), (name, source)
            else:
                assert source in spec["volumes"], (name, source)
    assert services["simulator"]["command"][0] == "simulate"
    assert services["worker"]["command"][0] == "worker"


def test_each_named_volume_is_where_its_service_keeps_its_state() -> None:
    services = compose()["services"]

    def mounted(service: str) -> str:
        (volume,) = [v for v in services[service]["volumes"] if not v.startswith("./")]
        return volume.split(":")[1]

    assert mounted("kafka") == services["kafka"]["environment"]["KAFKA_LOG_DIRS"]
    dockerfile = (REPO / "Dockerfile").read_text()
    assert f"CCM_DATA_DIR={mounted('worker')} " in dockerfile
    assert f"--storage.tsdb.path={mounted('prometheus')}" in services["prometheus"]["command"]
    assert f"--storage.path={mounted('alertmanager')}" in services["alertmanager"]["command"]


def test_prometheus_finds_the_rules_and_alertmanager_where_its_config_says() -> None:
    spec = compose()
    prometheus = spec["services"]["prometheus"]
    config = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text())
    mounts = dict(v.split(":")[:2][::-1] for v in prometheus["volumes"] if v.startswith("./"))
    for rule_file in config["rule_files"]:
        assert mounts[f"/etc/prometheus/{rule_file}"] == f"./deploy/prometheus/{rule_file}"
    (am,) = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert am == "alertmanager:9093"
    assert "9093:9093" in spec["services"]["alertmanager"]["ports"]
    assert prometheus["depends_on"]["alertmanager"]["condition"] == "service_healthy"


def test_alertmanager_secrets_come_from_the_environment_where_its_config_reads_them() -> None:
    spec = compose()
    am = spec["services"]["alertmanager"]
    assert (
        "./deploy/alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro"
        in (am["volumes"])
    )
    assert "--config.file=/etc/alertmanager/alertmanager.yml" in am["command"]
    assert spec["secrets"] == {
        "pagerduty_routing_key": {"environment": "CCM_PAGERDUTY_ROUTING_KEY"},
        "ticket_webhook_url": {"environment": "CCM_TICKET_WEBHOOK_URL"},
    }
    receivers = yaml.safe_load((REPO / "deploy" / "alertmanager" / "alertmanager.yml").read_text())
    files = sorted(
        value
        for receiver in receivers["receivers"]
        for kind, configs in receiver.items()
        if kind != "name"
        for one in configs
        for key, value in one.items()
        if key.endswith("_file")
    )
    assert files == sorted(f"/run/secrets/{name}" for name in am["secrets"])


def test_prometheus_scrapes_the_worker_and_its_config_passes_promtool() -> None:
    config_path = REPO / "deploy" / "prometheus" / "prometheus.yml"
    config = yaml.safe_load(config_path.read_text())
    targets = [
        t for job in config["scrape_configs"] for s in job["static_configs"] for t in s["targets"]
    ]
    assert targets == ["worker:6066"]
    assert "6066:6066" in compose()["services"]["worker"]["ports"]
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run deploy/install-system-deps"
    result = subprocess.run(
        [promtool, "check", "config", str(config_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_installs_the_package_and_its_targets_file() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "COPY deploy/config ./deploy/config" in dockerfile
    assert "CCM_TARGETS_FILE=/app/deploy/config/targets.yaml" in dockerfile
    assert (REPO / "deploy" / "config" / "targets.yaml").is_file()
