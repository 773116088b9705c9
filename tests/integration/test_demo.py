"""The README's first command, `make run` (deploy/run-local), end to end: a local Kafka,
the worker, Prometheus scraping it and the simulator at high speed. Prometheus's HTTP
API must show service level, abandonment and ASA per queue within the simulator's
calibrated ranges, and Ctrl-C must leave no process behind."""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import yaml

from tests.conftest import CONTROLLER_PORT_OFFSET, REPO

pytestmark = pytest.mark.integration

RUN_LOCAL = REPO / "deploy" / "run-local"
SPEED = 2400  # 24 h of event time in 36 s of wall time
MAX_WAIT_SECONDS = 240

# Ranges for one day of a normal-day simulation begun at any hour. Over 40 such days
# (seed 1, starts spread over the week) ASA ran 999 2.7-8.6 s, switchboard 5.7-11.9 s,
# FCR 101 102-257 s and Resolution Centre 91-391 s; abandonment 0.1-1.5 %, 2.1-4.8 %,
# 2.2-7.2 % and 2.4-9.3 %; service level 0.88-0.95, 0.82-0.90, 0.62-0.85 and 0.47-0.87.
# The bounds add a margin. They fail if the queue model breaks: no waits or no hang-ups
# at all, or the waits and abandonment of a collapsed roster.
LEGS = {
    # (channel, queue): ASA s, abandonment, service level (each low, high)
    ("999", "fcr"): ((1.0, 15.0), (0.0, 0.04), (0.75, 1.0)),
    ("101", "switchboard"): ((3.0, 18.0), (0.005, 0.08), (0.7, 0.97)),
    ("101", "fcr"): ((50.0, 400.0), (0.005, 0.15), (0.45, 0.95)),
    ("101", "resolution_centre"): ((40.0, 480.0), (0.005, 0.15), (0.35, 0.95)),
}
W = '{window="24h"}'
QUERIES = {  # the PromQL of docs/kpis.md, over the last 24 hours
    "asa": f"sum by (channel, queue) (ccm_call_legs_answered_wait_seconds{W}) "
    f"/ sum by (channel, queue) (ccm_call_legs_answered{W})",
    "abandonment": f"sum by (channel, queue) (ccm_call_legs_abandoned{W}) "
    f"/ sum by (channel, queue) (ccm_call_legs_answered{W} + ccm_call_legs_abandoned{W})",
    "service_level": f"sum by (channel, queue) (ccm_call_legs_answered_within_target{W}) "
    f"/ sum by (channel, queue) (ccm_call_legs_answered{W} + ccm_call_legs_abandoned{W})",
    "answered": f"sum by (channel, queue) (ccm_call_legs_answered{W})",
    "positions": "sum by (channel, queue) (ccm_call_positions_needed)",
    "offered_15m": 'sum by (channel, queue) (ccm_call_legs_offered{window="15m"})',
}
INCIDENTS = f"sum by (response) (ccm_incidents_met{W} + ccm_incidents_missed{W})"


def documented_queries() -> list[str]:
    """Every PromQL in the last column of docs/kpis.md's tables."""
    found = []
    for line in (REPO / "docs" / "kpis.md").read_text().splitlines():
        if line.startswith("|") and "ccm_" in line:
            last_column = line.rstrip(" |").rsplit(" | ", 1)[-1]
            found += [code for code in re.findall(r"`([^`]+)`", last_column) if "ccm_" in code]
    return found


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports() -> tuple[int, int, int, int]:
    """Kafka's port (with its controller's free too), the worker's, Prometheus's,
    Alertmanager's."""
    found: list[int] = []
    while len(found) < 4:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port in found or (not found and not _free(port + CONTROLLER_PORT_OFFSET)):
            continue
        found.append(port)
    return found[0], found[1], found[2], found[3]


def results(prom_port: int, promql: str) -> list[dict]:
    """An instant query through Prometheus's HTTP API."""
    url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return body["data"]["result"]


def api(prom_port: int, path: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/api/v1/{path}", timeout=10) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]


def query(prom_port: int, promql: str) -> dict[tuple[str, str], float]:
    return {
        (r["metric"]["channel"], r["metric"]["queue"]): float(r["value"][1])
        for r in results(prom_port, promql)
    }


def stream_time(prom_port: int) -> float:
    """The newest call event time the worker has applied, as Prometheus last scraped it."""
    found = results(prom_port, 'max(ccm_stream_time_seconds{family="calls"})')
    return float(found[0]["value"][1]) if found else 0.0


def query_by(prom_port: int, promql: str, label: str) -> dict[str, float]:
    return {r["metric"].get(label, ""): float(r["value"][1]) for r in results(prom_port, promql)}


def session_processes(sid: int) -> list[str]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # fields after the name: state, ppid, pgrp, session
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
            found.append(cmdline.decode(errors="replace"))
    return found


def at_a_terminal() -> None:
    """Ctrl-C as a user's terminal delivers it: a suite started in the background (SIGINT
    ignored, which children inherit and a shell cannot trap) must not change how the demo
    takes it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def ctrl_c(demo: subprocess.Popen) -> list[str]:
    """Ctrl-C to the demo's session; what is left running of it after (then killed)."""
    with contextlib.suppress(ProcessLookupError):  # it may have stopped by itself
        os.killpg(demo.pid, signal.SIGINT)
    try:
        demo.wait(timeout=90)
    finally:
        left = session_processes(demo.pid)
        if left:
            os.killpg(demo.pid, signal.SIGKILL)
    return left


def test_make_run_demo_shows_calibrated_kpis_and_stops_cleanly(tmp_path: Path) -> None:
    kafka_port, web_port, prom_port, am_port = free_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCM_")}
    env |= {
        "CCM_KAFKA_PORT": str(kafka_port),
        "CCM_WEB_PORT": str(web_port),
        "CCM_PROMETHEUS_PORT": str(prom_port),
        "CCM_ALERTMANAGER_PORT": str(am_port),
        "CCM_DEMO_SPEED": str(SPEED),
        "TMPDIR": str(tmp_path),
    }
    log_path = tmp_path / "run-local.log"
    with log_path.open("wb") as log:
        demo = subprocess.Popen(
            [str(RUN_LOCAL)], env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=at_a_terminal,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 300  # the first run may fetch Kafka's jars
        while b"Press Ctrl-C" not in log_path.read_bytes():
            assert demo.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        started = time.time()
        text = log_path.read_text()
        assert f"http://127.0.0.1:{web_port}/metrics" in text
        assert f"http://127.0.0.1:{prom_port}/graph" in text
        # A full simulated day through the worker (about 36 s at 2400 times real time;
        # longer on a busy machine): the ranges below are for a whole day.
        day_done = started + 24 * 3600 + 120
        deadline = time.monotonic() + MAX_WAIT_SECONDS
        while stream_time(prom_port) < day_done:
            assert demo.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, (
                f"the worker got through {(stream_time(prom_port) - started) / 3600:.1f} h "
                f"of the simulated day in {MAX_WAIT_SECONDS} s"
            )
            time.sleep(2)
        time.sleep(5)  # a scrape after the day is in
        assert demo.poll() is None, log_path.read_text()
        figures = {name: query(prom_port, promql) for name, promql in QUERIES.items()}
        scored = query_by(prom_port, INCIDENTS, "response")
        documented = {promql: results(prom_port, promql) for promql in documented_queries()}
        rule_groups = api(prom_port, "rules")["groups"]
        alertmanagers = api(prom_port, "alertmanagers")["activeAlertmanagers"]
        # The banner's export command, as printed, against the running worker.
        export = re.search(r"monthly pack: +(.+)", text)
        assert export, text
        exported = subprocess.run(
            export.group(1), shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert exported.returncode == 0, exported.stderr
        sheets = openpyxl.load_workbook(tmp_path / "pack.xlsx").sheetnames
        page = re.search(r"public page: +(.+?) +\(open", text)
        assert page, text
        published = subprocess.run(
            page.group(1), shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert published.returncode == 0, published.stderr
        index = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    finally:
        left = ctrl_c(demo)
    assert not left, f"left running after Ctrl-C: {left}"
    assert demo.returncode == 130, log_path.read_text()
    assert not list(tmp_path.glob("ccm-demo.*")), "the demo's state folder was not removed"

    # The generated rules are loaded and evaluated, and alerts go to the demo's Alertmanager.
    assert sorted(g["name"] for g in rule_groups) == sorted(
        g["name"]
        for f in ("ccm-recording.rules.yml", "ccm-alerts.rules.yml")
        for g in yaml.safe_load((REPO / "deploy" / "prometheus" / "rules" / f).read_text())[
            "groups"
        ]
    )
    assert all(r["health"] == "ok" for g in rule_groups for r in g["rules"]), rule_groups
    assert [a["url"] for a in alertmanagers] == [f"http://127.0.0.1:{am_port}/api/v2/alerts"]
    print(
        "demo figures over the last 24 h of event time:",
        json.dumps(
            {k: {"/".join(leg): round(v, 4) for leg, v in f.items()} for k, f in figures.items()}
        ),
    )
    for leg, (asa, abandonment, service_level) in LEGS.items():
        # A day of a force's calls: hundreds of answered legs on each queue.
        assert figures["answered"].get(leg, 0) >= 300, (leg, figures["answered"])
        assert asa[0] <= figures["asa"][leg] <= asa[1], (leg, figures)
        assert abandonment[0] <= figures["abandonment"][leg] <= abandonment[1], (leg, figures)
        assert service_level[0] <= figures["service_level"][leg] <= service_level[1], (leg, figures)
        # Erlang C staffing for the last 15 minutes: a control room's numbers, none only
        # when no call came in those minutes (the demo's day can end in the small hours).
        positions = figures["positions"][leg]
        offered = figures["offered_15m"].get(leg, 0)
        assert (1 <= positions <= 100) if offered else positions == 0, (leg, positions, offered)
    assert sheets == [
        "Incidents (essex)",
        "Grades (essex)",
        "Incident measures",
        "Calls 999 FCR",
        "Calls 101 Switchboard",
        "Calls 101 FCR",
        "Calls 101 Resolution Centre",
        "Call-backs",
        "Live Chat and online",
        "Notes",
    ]
    # The public page of the demo's month: its 999 row shows the calls answered (not
    # blanked as too few: the simulated day starts in it).
    this_month = datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).strftime("%B %Y")
    answered_999 = re.search(rf'<th scope="row">{this_month}</th><td class="n">([0-9,]+)<', index)
    assert answered_999 and int(answered_999.group(1).replace(",", "")) >= 10, index[:2000]
    # docs/kpis.md tells supervisors and analysts what to type: all of it must work.
    assert len(documented) == 46, sorted(documented)  # every table row of docs/kpis.md
    empty = [promql for promql, found in documented.items() if not found]
    assert not empty, f"documented PromQL with no data: {empty}"
    # Incidents flow too: a day's emergency and priority incidents scored against target.
    assert scored.get("emergency", 0) >= 20 and scored.get("priority", 0) >= 20, scored
