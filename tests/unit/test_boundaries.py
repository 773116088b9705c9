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
    # A grading policy id from the targets file: set by the force, never by a producer.
    "policy",
}


@pytest.mark.parametrize("module", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_module_imports_no_io_framework(module: Path) -> None:
    tree = ast.parse(module.read_text())
    imported = {
        (node.module or "").split(".")[0]
        if isinstance(node, ast.ImportFrom)
        else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported.isdisjoint(FORBIDDEN), f"{module.name} imports {imported & FORBIDDEN}"


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
