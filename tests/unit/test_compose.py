"""docker-compose.yml is a valid Compose file and wires the stack together.

The Compose Specification's JSON Schema (tests/data) checks it everywhere; where the
compose plugin is installed, `docker compose config` must accept it too and resolve it
to the same stack."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
SCHEMA = REPO / "tests" / "data" / "compose-spec.schema.json"


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def schema_errors(spec: dict) -> list[str]:
    """Where ``spec`` breaks the Compose Specification's JSON Schema, one line each."""
    validator = Draft7Validator(json.loads(SCHEMA.read_text()))
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(spec)]


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    assert schema_errors(compose()) == []


def test_schema_rejects_what_compose_rejects() -> None:
    # The validator is not vacuous: an unknown service key and an unknown condition fail.
    broken = compose()
    broken["services"]["worker"]["helthcheck"] = {}
    broken["services"]["simulator"]["depends_on"]["kafka"]["condition"] = "whenever"
    assert len(schema_errors(broken)) == 2


STACK = {
    # service: (published host:container ports, the port its healthcheck probes)
    "kafka": (["29092:29092"], 9092),
    "worker": (["6066:6066"], 6066),
    "simulator": ([], None),
    "prometheus": (["9090:9090"], 9090),
    "alertmanager": (["9093:9093"], 9093),
    "grafana": (["3000:3000"], 3000),
}
READY = {
    # Who waits for whom to be healthy.
    "worker": {"kafka"},
    "simulator": {"kafka", "worker"},
    "prometheus": {"worker", "alertmanager"},
    "grafana": {"prometheus"},
}


def _port(port: str | dict) -> str:
    """A port mapping as host:container, from the short form or the long one that
    `docker compose config` writes."""
    if isinstance(port, dict):
        return f"{port['published']}:{port['target']}"
    return port


def check_stack(spec: dict) -> None:
    """The stack ``spec`` describes: its services, the ports they publish, the health
    checks the others wait for, and the worker's and simulator's environment."""
    services = spec["services"]
    assert set(services) == set(STACK)
    for name, (ports, probed) in STACK.items():
        service = services[name]
        assert [_port(p) for p in service.get("ports", [])] == ports, name
        if probed is None:
            assert "healthcheck" not in service, name
        else:
            probe = " ".join(service.get("healthcheck", {}).get("test", []))
            assert f":{probed}" in probe, name
        waits_for = {
            dependency
            for dependency, rule in service.get("depends_on", {}).items()
            if rule["condition"] == "service_healthy"
        }
        assert waits_for == READY.get(name, set()), name
    env = {name: {k: str(v) for k, v in s.get("environment", {}).items()} for name, s in
           services.items()}  # fmt: skip
    # The simulator takes its Kafka from the x-ccm defaults; the worker sets its
    # own and accepts the simulator's 60x event time, a year ahead of the clock.
    assert env["simulator"] == {"CCM_KAFKA_BOOTSTRAP": "kafka:9092"}
    assert env["worker"] == {
        "CCM_KAFKA_BOOTSTRAP": "kafka:9092",
        "CCM_FUTURE_SKEW_SECONDS": str(365 * 86_400),
    }
    assert "PLAINTEXT://kafka:9092" in env["kafka"]["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert "HOST://localhost:29092" in env["kafka"]["KAFKA_ADVERTISED_LISTENERS"].split(",")
    for name in ("worker", "simulator"):
        assert services[name]["image"] == "ccm:local", name
        assert services[name]["restart"] == "unless-stopped", name


def test_the_stack_compose_would_run() -> None:
    # Checked from the YAML itself on every machine, a valid Compose file ...
    spec = compose()
    assert schema_errors(spec) == []
    check_stack(spec)
    docker = shutil.which("docker")
    has_plugin = (
        docker is not None
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    )
    if not has_plugin:
        return
    # ... and, where the compose plugin is installed, as `docker compose config` resolves it.
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    check_stack(json.loads(result.stdout))


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s["services"]["worker"].update(ports=["6067:6066"]),
        lambda s: s["services"]["grafana"].pop("healthcheck"),
        lambda s: s["services"]["prometheus"]["depends_on"].pop("alertmanager"),
        lambda s: s["services"]["simulator"].pop("environment"),
        lambda s: s["services"]["worker"]["environment"].pop("CCM_FUTURE_SKEW_SECONDS"),
        lambda s: s["services"]["kafka"]["healthcheck"].update(test=["CMD", "true"]),
    ],
    ids=["port", "healthcheck", "depends_on", "inherited-env", "env", "probe"],
)
def test_the_stack_check_catches_a_broken_stack(change) -> None:
    broken = compose()
    change(broken)
    with pytest.raises(AssertionError):
        check_stack(broken)


def test_stack_has_its_services_with_healthchecks_and_named_volumes() -> None:
    spec = compose()
    services = spec["services"]
    assert set(services) == {
        "kafka",
        "worker",
        "simulator",
        "prometheus",
        "alertmanager",
        "grafana",
    }
    assert services["kafka"]["image"] == "apache/kafka:3.9.1"  # as deploy/kafka/pom.xml
    for name in ("kafka", "worker", "prometheus", "alertmanager", "grafana"):
        assert services[name]["healthcheck"]["test"], name
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], (name, dependency)
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), (name, source)
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
    assert mounted("grafana") == "/var/lib/grafana"  # the image's GF_PATHS_DATA


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


def _binds(service: str) -> dict[str, str]:
    """A service's bind mounts: where each repository path appears in the container."""
    binds = {}
    for volume in compose()["services"][service]["volumes"]:
        source, target = volume.split(":")[:2]
        if source.startswith("./"):
            binds[source[2:]] = target
    return binds


def test_grafana_is_the_oss_image_of_the_version_the_dashboards_are_built_for() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    (pin,) = re.findall(r'"grafana-foundation-sdk==\d+!(\d+\.\d+)\.\d+"', pyproject)
    image = compose()["services"]["grafana"]["image"]
    assert image.startswith(f"grafana/grafana-oss:{pin}."), (image, pin)


def test_grafana_is_provisioned_with_prometheus_and_the_built_dashboards() -> None:
    from dashboards.build import BOARDS, BUILT_DIR

    grafana = compose()["services"]["grafana"]
    binds = _binds("grafana")
    provisioning = REPO / "deploy" / "grafana" / "provisioning"
    assert binds["deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    (datasource,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())[
        "datasources"
    ]
    assert (datasource["type"], datasource["url"], datasource["isDefault"]) == (
        "prometheus",
        "http://prometheus:9090",
        True,
    )
    scrape = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text())
    assert datasource["jsonData"]["timeInterval"] == scrape["global"]["scrape_interval"]
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "ccm.yml").read_text())["providers"]
    assert provider["type"] == "file"
    assert binds[str(BUILT_DIR.relative_to(REPO))] == provider["options"]["path"]
    assert provider["folderUid"] == "ccm"  # as `ccm dashboards push` names the folder
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{provider['options']['path']}/supervisor-wallboard.json"
    assert "supervisor-wallboard" in BOARDS
    assert grafana["depends_on"]["prometheus"]["condition"] == "service_healthy"


def test_the_image_carries_the_dashboards_package() -> None:
    assert "COPY dashboards ./dashboards" in (REPO / "Dockerfile").read_text()
