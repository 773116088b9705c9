"""The KPI core stays pure; the metric catalogue stays within Prometheus conventions."""

import ast
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from schemas import Family, RejectReason
from streams.core.catalog import CATALOG
from streams.core.figures import compute
from streams.metrics import FiguresCollector, exposition, process_registry
from tests.scenario import T0, TARGETS, Run, at, ev

CORE = Path(__file__).resolve().parents[2] / "streams" / "core"
FORBIDDEN = {"faust", "aiokafka", "kafka", "prometheus_client", "mode", "aiohttp"}
CLOSED_LABELS = {
    "channel",
    "queue",
    "window",
    "family",
    "reason",
    "source",
    "report_type",
    "formula",
    "grade",
    "area",
    "category",
    "response",
    "outcome",
    # A grading policy id from the targets file: set by the force, never by a producer.
    "policy",
}


def core_modules(root: Path) -> list[Path]:
    """Every module of the core, in every folder under it (`families/` included)."""
    return sorted(root.rglob("*.py"))


def io_imports(module: Path) -> set[str]:
    """The I/O frameworks ``module`` imports, at any depth of its code."""
    tree = ast.parse(module.read_text())
    imported = {
        (node.module or "").split(".")[0]
        if isinstance(node, ast.ImportFrom)
        else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    return imported & FORBIDDEN


@pytest.mark.parametrize("module", core_modules(CORE), ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_no_io_framework(module: Path) -> None:
    assert not io_imports(module), f"{module.relative_to(CORE)} imports {io_imports(module)}"


def test_the_purity_check_reaches_the_families_and_fails_on_an_import_there(
    tmp_path: Path,
) -> None:
    assert any(p.parent.name == "families" for p in core_modules(CORE))
    core = tmp_path / "core"
    shutil.copytree(CORE, core, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    assert not [p for p in core_modules(core) if io_imports(p)]
    planted = core / "families" / "calls.py"
    planted.write_text(planted.read_text() + "\n\ndef _sneak():\n    import faust  # noqa\n")
    assert [p for p in core_modules(core) if io_imports(p)] == [planted]


def test_every_metric_uses_only_closed_label_sets_and_base_units() -> None:
    for spec in CATALOG:
        assert set(spec.labels) <= CLOSED_LABELS, spec.name
        assert re.fullmatch(r"ccm_[a-z0-9_]+", spec.name), spec.name
        assert not re.search(r"_(ms|minutes|hours|percent)$", spec.name), spec.name


def test_exposition_passes_promtool_check_metrics() -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run deploy/install-system-deps"
    run = (
        Run()
        .send(
            ev("call.queued", at(T0, 0), call_id="a", channel="999", queue="fcr"),
            ev("call.answered", at(T0, 4), call_id="a", queue="fcr"),
        )
        .send_raw(b"not json")
    )
    incidents = Run(Family.INCIDENTS).send(
        ev("incident.created", at(T0, 0), incident_id="i", grade=1, area="urban", category="rape"),
        ev("incident.attended", at(T0, 600), incident_id="i"),
    )
    states = [run.state, incidents.state]
    text = exposition(FiguresCollector(lambda: states, TARGETS, lambda: 0), process_registry())
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, timeout=30
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert b'ccm_events_rejected_total{family="calls",reason="malformed_json"} 1.0' in text
    assert b'ccm_call_answer_seconds_bucket{channel="999",le="5.0",queue="fcr"} 1.0' in text
    assert (
        b'ccm_incident_attendance_seconds_bucket{area="urban",grade="1",le="600.0",'
        b'policy="essex",response="emergency"} 1.0'
    ) in text


def test_event_counters_appear_with_the_partitions_that_hold_them() -> None:
    nothing = compute([], TARGETS, wall_us=0).values
    assert not nothing["ccm_events_consumed"] and not nothing["ccm_events_rejected"]
    assert nothing["ccm_partitions_assigned"][("calls",)] == 0
    run = Run().send_raw(b"not json")
    held = compute([run.state], TARGETS, wall_us=0).values
    assert held["ccm_events_consumed"] == {("calls",): 1}
    assert held["ccm_events_rejected"] == {
        ("calls", reason.value): int(reason is RejectReason.MALFORMED_JSON)
        for reason in RejectReason
    }


def test_the_exposition_is_what_prometheus_client_writes(tmp_path: Path) -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from streams.cli import main
    from streams.export.from_log import run_file

    events = tmp_path / "events.jsonl"
    start = "2026-03-28T00:00:00+00:00"  # the clock change, every family
    simulate = ["simulate", "--seed", "5", "--start", start, "--duration", "2d"]
    assert main([*simulate, "--out", str(events)]) == 0
    states = list(run_file(events, TARGETS, partitions=2).states.values())
    newest = max(state.clock.stream_us or 0 for state in states)
    for wall_us in (newest, newest + 3_600_000_000):
        collector = FiguresCollector(lambda: states, TARGETS, lambda wall_us=wall_us: wall_us)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(collector)
        text = exposition(collector)
        assert text.count(b"\n") > 2_000
        assert text == generate_latest(registry)


def test_readings_kept_between_scrapes_move_with_every_event_and_minute() -> None:
    from streams.core.figures import Readings
    from streams.core.timebase import to_us

    def legs(figures, window: str) -> tuple[float, float]:
        at = ("999", "fcr", window)
        return (
            figures.values["ccm_call_legs_offered"].get(at, 0),
            figures.values["ccm_call_legs_answered"].get(at, 0),
        )

    run = Run()
    wall = run.wall_us = to_us(datetime.fromisoformat(at(T0, 30)))  # read live
    run.send(ev("call.queued", at(T0, 0), call_id="a", channel="999", queue="fcr"))
    readings = Readings()
    assert legs(compute([run.state], TARGETS, wall, readings), "15m") == (1, 0)
    run.send(ev("call.answered", at(T0, 5), call_id="a", queue="fcr"))
    assert legs(compute([run.state], TARGETS, wall, readings), "15m") == (1, 1)
    # 15 minutes on with nothing new, the leg has left the 15-minute window, not the hour's.
    run.wall_us = wall + 15 * 60 * 1_000_000
    kept = compute([run.state], TARGETS, run.wall_us, readings)
    assert (legs(kept, "15m"), legs(kept, "1h")) == ((0, 0), (1, 1))
    run.send(ev("call.queued", at(T0, 15 * 60 + 30), call_id="b", channel="999", queue="fcr"))
    kept = compute([run.state], TARGETS, run.wall_us, readings)
    assert (legs(kept, "15m"), legs(kept, "1h")) == ((1, 0), (2, 1))
    assert kept.values == compute([run.state], TARGETS, run.wall_us).values


def module_imports(root: Path) -> dict[str, set[str]]:
    """Each module of the package at ``root`` -> the package's modules it imports, at any
    depth of its code: deferred imports and those for type checking only included, since
    they tie the modules together as much as the others."""
    modules = {}
    for path in root.rglob("*.py"):
        name = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                wanted = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, *([base] if base else [])])
                wanted = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in wanted:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import one another, round a loop (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_two_modules_import_each_other_round_a_loop() -> None:
    assert cycles(module_imports(CORE.parent)) == []


def test_the_loop_check_finds_a_loop_through_a_deferred_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import thing\n")
    (package / "b.py").write_text("def thing():\n    from pkg import a\n")
    (package / "c.py").write_text("from pkg import b\n")
    assert cycles(module_imports(package)) == [["pkg.a", "pkg.b"]]
