"""Every panel of every dashboard against a real stack: a real broker, a real worker, a
real Prometheus scraping it, and three simulated hours of a force ending now. Each panel
query, with its template variables widened to all values, runs through Prometheus's
HTTP API: none fails, and each returns a number, unless it is named below; a time
series' query also returns a line over the last seconds as a range query."""

import math
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dashboards.build import build_all
from dashboards.duty_officer import FIRING
from dashboards.queries import panel_queries, widened
from streams.settings import Settings
from tests.conftest import settings_env
from tests.integration.prometheus import PrometheusProcess
from tests.integration.worker import WorkerProcess
from tests.scenario import TARGETS

pytestmark = pytest.mark.integration

FED_HOURS = 3
EMPTY_ALLOWED = {FIRING: "no alert is firing (nor are rules loaded: Prometheus here has none)"}


def _simulate(settings: Settings, start: datetime) -> int:
    sent = subprocess.run(
        [sys.executable, "-m", "streams", "simulate", "--speed", "max",
         "--start", start.isoformat(), "--duration", f"{FED_HOURS}h"],
        env=settings_env(settings), capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    (total,) = [
        int(line.split()[3])
        for line in sent.stderr.splitlines()
        if line.startswith("ccm simulate: sent ")
    ]
    return total


def _denominator(expr: str) -> str | None:
    """What a ratio divides by (after its first top-level ``/``), if it is one."""
    depth = 0
    for i, char in enumerate(expr):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "/" and depth == 0:
            return expr[i + 1 :].strip()
    return None


def _wait_for_scrapes(prometheus: PrometheusProcess, since: float, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        window = max(1, math.ceil(time.time() - since))
        found = prometheus.api("query", query=f"count_over_time(up[{window}s])")
        if _numbers(found["data"]["result"]) and _numbers(found["data"]["result"])[0] >= count:
            return
        time.sleep(0.5)
    raise AssertionError(f"Prometheus did not scrape the worker {count} times within 60 s")


def _numbers(result: list[dict]) -> list[float]:
    return [v for r in result if not math.isnan(v := float(r["value"][1]))]


def test_every_panel_query_returns_data(
    kafka_settings: Settings, worker: WorkerProcess, tmp_path: Path
) -> None:
    worker.start()
    prometheus = PrometheusProcess(tmp_path, [worker.url]).start()
    try:
        end = datetime.now(UTC).replace(microsecond=0)
        total = _simulate(kafka_settings, end - timedelta(hours=FED_HOURS))
        worker.wait_for_consumed(total, timeout_s=180)
        # Scrapes of the fed figures, enough for a rate over the widened $__rate_interval.
        # Counted, not slept for: Prometheus starts scraping only seconds after it starts,
        # and a worker may be fed before then.
        _wait_for_scrapes(prometheus, since=time.time(), count=5)
        boards = build_all(TARGETS)
        answers = {}
        ranged = {}
        quiet: dict[str, str] = {}
        now = time.time()
        for board in boards.values():
            for query in panel_queries(board):
                expr = widened(board, query.expr)
                answers[query.name] = (query.expr, prometheus.api("query", query=expr))
                denominator = _denominator(expr)
                if denominator and not _numbers(answers[query.name][1]["data"]["result"]):
                    # A ratio over a window with nothing in it (a quiet queue at night,
                    # 0/0) is legitimately empty: allowed only when its denominator is 0.
                    divided_by = prometheus.api("query", query=denominator)["data"]["result"]
                    if _numbers(divided_by) and not any(_numbers(divided_by)):
                        quiet[query.name] = query.expr
                if not query.instant:  # Grafana draws time series from range queries
                    ranged[query.name] = prometheus.api(
                        "query_range", query=expr, start=str(now - 20), end=str(now), step="2"
                    )
    finally:
        prometheus.stop()

    failed = {n: body for n, (_, body) in answers.items() if body["status"] != "success"}
    failed |= {n: body for n, body in ranged.items() if body["status"] != "success"}
    assert not failed, failed
    no_line = [n for n, body in ranged.items() if not body["data"]["result"]]
    assert no_line == [], no_line
    empty = {
        name: expr for name, (expr, body) in answers.items() if not _numbers(body["data"]["result"])
    }
    allowed = {name: expr for name, expr in empty.items() if expr in EMPTY_ALLOWED or name in quiet}
    assert set(empty) - set(allowed) == set(), {n: empty[n] for n in set(empty) - set(allowed)}
    assert len(answers) == 117  # every panel query of the four dashboards
    print(f"{len(answers)} panel queries, {len(allowed)} allowed empty: {sorted(allowed)}")
