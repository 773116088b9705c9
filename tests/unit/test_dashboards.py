"""The dashboards: built files current, linted by grafana/dashboard-linter's rules, every
query parsed by promtool, and colours taken from the targets file."""

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from dashboards import thresholds
from dashboards.build import BOARDS, BUILT_DIR, build_all, to_json
from dashboards.lint import panels, problems, rate_problems
from dashboards.queries import panel_queries, widened
from dashboards.thresholds import Step
from streams.core.targets import parse_targets
from tests.scenario import REPO, TARGETS

BUILT = build_all(TARGETS)


def _panel(board: str, title: str) -> dict:
    (found,) = [p for p in panels(BUILT[board]) if p.get("title") == title]
    return found


def _steps(panel: dict) -> list[tuple]:
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    return [(s["value"], s["color"]) for s in steps]


def test_committed_files_are_what_the_build_writes() -> None:
    # Grafana's provisioning reads these files: edit the code, then `ccm dashboards build`.
    assert sorted(p.name for p in BUILT_DIR.glob("*.json")) == sorted(f"{n}.json" for n in BOARDS)
    for name, data in BUILT.items():
        committed = (BUILT_DIR / f"{name}.json").read_text(encoding="utf-8")
        assert committed == to_json(data), f"{name}.json is stale: run `ccm dashboards build`"


def test_the_build_is_deterministic(tmp_path: Path) -> None:
    from streams.cli import main

    assert main(["dashboards", "build", "--out", str(tmp_path / "a")]) == 0
    assert main(["dashboards", "build", "--out", str(tmp_path / "b")]) == 0
    for name in BOARDS:
        first = (tmp_path / "a" / f"{name}.json").read_bytes()
        assert first == (tmp_path / "b" / f"{name}.json").read_bytes()
        assert first == (BUILT_DIR / f"{name}.json").read_bytes()


def test_uids_and_titles_are_stable() -> None:
    assert {n: (d["uid"], d["title"]) for n, d in BUILT.items()} == {
        "supervisor-wallboard": ("ccm-supervisor-wallboard", "Supervisor wallboard"),
        "duty-officer": ("ccm-duty-officer", "Duty officer"),
        "command-team": ("ccm-command-team", "Command team"),
        "pipeline-health": ("ccm-pipeline-health", "Pipeline health"),
    }


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_dashboard_passes_the_lint_rules(name: str) -> None:
    assert problems(BUILT[name]) == []


def _broken(change) -> dict:
    data = copy.deepcopy(BUILT["duty-officer"])
    change(data)
    return data


def _first_stat(data: dict) -> dict:
    return next(p for p in data["panels"] if p["type"] == "stat")


def _set(path: list, value):
    def change(data: dict) -> None:
        target = _first_stat(data)
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


STAT = "panel 4 'Emergency incidents about to breach'"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (_set(["title"], ""), "panel 4 '': no title"),
        (_set(["description"], ""), f"{STAT}: no description"),
        (_set(["fieldConfig", "defaults", "unit"], ""), f"{STAT}: no unit"),
        (
            _set(["datasource"], {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}),
            f"{STAT}: datasource is not ${{datasource}}",
        ),
        (
            _set(["targets", 0, "datasource"], {"type": "prometheus", "uid": "abc"}),
            f"{STAT}: query A: datasource is not ${{datasource}}",
        ),
        (
            _set(["targets", 0, "expr"], "sum(rate(ccm_events_consumed_total[5m]))"),
            f"{STAT}: query A: rate() without [$__rate_interval]",
        ),
        (
            _set(["id"], 1),
            "panel 1 'Emergency incidents about to breach': panel id missing or not unique",
        ),
        (_set(["targets"], []), f"{STAT}: no queries"),
        (
            lambda d: d["templating"].update(list=[]),
            "no 'datasource' template variable of Prometheus data sources",
        ),
        (
            lambda d: d["panels"].insert(0, {"type": "row", "id": 99, "title": "Empty"}),
            "row 'Empty' is empty",
        ),
        (
            lambda d: d.update(uid="Duty Officer"),
            "dashboard uid 'Duty Officer': want 1-40 of [a-z0-9-], fixed in the code",
        ),
        (
            lambda d: _first_stat(d).update(title="Alerts firing now"),
            "panel 4 'Alerts firing now': title used by another panel",
        ),
    ],
)
def test_each_lint_rule_catches_its_fault(change, problem: str) -> None:
    assert problem in problems(_broken(change))


@pytest.mark.parametrize(
    ("expr", "found"),
    [
        ("rate(x_total[$__rate_interval])", []),
        ('sum by (a) (increase(x_total{a=~"$a"}[$__rate_interval]))', []),
        ("irate(x_total[1m])", ["irate() without [$__rate_interval]"]),
        ("rate(x_total[$__interval])", ["rate() without [$__rate_interval]"]),
        ('ccm_call_legs_offered{window="1h"}', []),
    ],
)
def test_rate_rule(expr: str, found: list[str]) -> None:
    assert rate_problems(expr) == found


def test_template_variables_widened_for_prometheus() -> None:
    data = BUILT["pipeline-health"]
    expr = 'sum by (family) (rate(ccm_events_consumed_total{family=~"$family"}[$__rate_interval]))'
    assert widened(data, expr) == (
        'sum by (family) (rate(ccm_events_consumed_total{family=~".*"}[1m]))'
    )


def test_every_panel_query_parses_with_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run deploy/install-system-deps"
    rules = []
    for data in BUILT.values():
        for query in panel_queries(data):
            rules.append({"record": f"ccm:panel:q{len(rules)}", "expr": widened(data, query.expr)})
    assert len(rules) == 117
    path = tmp_path / "panels.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    checked = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules)} rules found" in checked.stdout


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (thresholds.at_least(0.9), [(None, "red"), (0.85, "orange"), (0.9, "green")]),
        (thresholds.at_least(0.84), [(None, "red"), (0.76, "orange"), (0.84, "green")]),
        (thresholds.at_most(0.02), [(None, "green"), (0.02, "orange"), (0.03, "red")]),
        (thresholds.at_most(0.05), [(None, "green"), (0.05, "orange"), (0.075, "red")]),
        (thresholds.wait_within(10), [(None, "green"), (8, "orange"), (10, "red")]),
        (thresholds.wait_within(300), [(None, "green"), (240, "orange"), (300, "red")]),
    ],
)
def test_threshold_steps(steps: tuple[Step, ...], expected: list[tuple]) -> None:
    assert [(s.value, s.color) for s in steps] == expected


def test_colours_come_from_the_targets_file() -> None:
    assert _steps(_panel("supervisor-wallboard", "999 FCR: service level")) == [
        (None, "red"), (0.85, "orange"), (0.9, "green"),
    ]  # fmt: skip
    assert _steps(_panel("supervisor-wallboard", "101 Switchboard: oldest wait")) == [
        (None, "green"), (24, "orange"), (30, "red"),
    ]  # fmt: skip
    data = yaml.safe_load((REPO / "deploy/config/targets.yaml").read_text())
    newer = copy.deepcopy(data["call_handling"][0])
    newer["effective_from"] = "2027-04-01"
    newer["queues"][0].update(answer_within_seconds=15, service_level_objective=0.8)
    data["call_handling"].append(newer)
    policy = data["incident_grading"][0]
    policy["objectives"]["emergency"] = 0.95
    policy["category_targets"][0]["attend_within_minutes"] = 45
    rebuilt = build_all(parse_targets(data))

    def steps(board: str, title: str) -> list[tuple]:
        (panel,) = [p for p in panels(rebuilt[board]) if p.get("title") == title]
        return _steps(panel)

    # The newest dated set colours the boards.
    assert steps("supervisor-wallboard", "999 FCR: service level") == [
        (None, "red"), (0.7, "orange"), (0.8, "green"),
    ]  # fmt: skip
    assert steps("supervisor-wallboard", "999 FCR: oldest wait") == [
        (None, "green"), (12, "orange"), (15, "red"),
    ]  # fmt: skip
    assert steps("duty-officer", "Emergency incidents met today") == [
        (None, "red"), (0.925, "orange"), (0.95, "green"),
    ]  # fmt: skip
    titles = [p.get("title") for p in panels(rebuilt["command-team"])]
    assert "Residential burglary attended within 45 min, month to date" in titles


def test_callback_colours_come_from_the_targets_file() -> None:
    assert _steps(_panel("supervisor-wallboard", "Oldest 999 call-back owed")) == [
        (None, "green"), (2880, "orange"), (3600, "red"),
    ]  # fmt: skip
    data = yaml.safe_load((REPO / "deploy/config/targets.yaml").read_text())
    newer = copy.deepcopy(data["callbacks"][0])
    newer.update(effective_from="2027-04-01", first_attempt_within_minutes=5,
                 resolve_within_minutes=30, first_attempt_objective=0.8)  # fmt: skip
    data["callbacks"].append(newer)
    rebuilt = build_all(parse_targets(data))

    def steps(board: str, title: str) -> list[tuple]:
        (panel,) = [p for p in panels(rebuilt[board]) if p.get("title") == title]
        return _steps(panel)

    # The oldest owed is unresolved, so held to the resolution target; the mean time to
    # first attempt to the first-attempt target.
    assert steps("supervisor-wallboard", "Oldest 999 call-back owed") == [
        (None, "green"), (1440, "orange"), (1800, "red"),
    ]  # fmt: skip
    assert steps("command-team", "999 mean time to first call-back attempt, month to date") == [
        (None, "green"), (240, "orange"), (300, "red"),
    ]  # fmt: skip
    assert steps("command-team", "999 call-backs first attempted within 5 min, month to date") == [
        (None, "red"), (0.7, "orange"), (0.8, "green"),
    ]  # fmt: skip


def test_target_lines_are_the_exported_target_series() -> None:
    panel = _panel("duty-officer", "999 service level, against objective")
    assert [t["expr"] for t in panel["targets"]][1] == (
        'max(ccm_call_service_level_objective_ratio{channel="999",queue="fcr"})'
    )


def test_no_datasource_uid_is_written_in() -> None:
    text = json.dumps(BUILT)
    uids = {
        ds["uid"]
        for data in BUILT.values()
        for p in panels(data)
        for ds in [p.get("datasource", {}), *(t["datasource"] for t in p.get("targets", []))]
        if ds
    }
    assert uids == {"${datasource}"}
    assert text.count('"uid": "${datasource}"') == len(
        [1 for d in BUILT.values() for p in panels(d) if p.get("datasource")]
    ) + sum(len(p.get("targets", [])) for d in BUILT.values() for p in panels(d))
