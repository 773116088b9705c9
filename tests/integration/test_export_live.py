"""The monthly export from a real worker (through its HTTP endpoint) equals the export
recomputed from the event log, and both equal the figures worked out independently
from the generated lifecycles, cell for cell.

The log (tests/monthly_data.py) spans a year, December 2025 to November 2026: both
clock changes, lifecycles just after London midnight on the 1st, a policy and a
formula change, duplicates, reordering within the grace period, lifecycles delivered
three days late (counted: their month is still open) and calls delivered after their
month closed (refused as too_late)."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from streams.settings import Settings
from tests import monthly_data as data
from tests.conftest import settings_env
from tests.integration.worker import WorkerProcess
from tests.unit import test_kpis
from tests.unit import test_monthly as independent

pytestmark = pytest.mark.integration

PARTITIONS = 3  # as the kafka_settings fixture creates the topics
MONTHS = [f"{year}-{month:02d}" for year, month in data.YEAR]
TABLES = {
    "incident_attendance": lambda log: independent.expected_incidents(log, PARTITIONS, MONTHS),
    "call_handling": lambda log: independent.expected_calls(log, MONTHS),
    "chat": lambda log: independent.expected_chats(log, MONTHS),
    "online_reports": lambda log: independent.expected_reports(log, MONTHS),
    "channel_share": lambda log: independent.expected_shares(log, MONTHS),
    "kpis": lambda log: test_kpis.expected_kpis(log, PARTITIONS, MONTHS),
}


def export(env: dict[str, str], out: Path, *extra: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "streams", "export", "monthly", "--from", MONTHS[0], "--to",
         MONTHS[-1], "--format", "csv", "--out", str(out), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_live_export_equals_the_log_export_and_the_independent_figures(
    kafka_settings: Settings, worker: WorkerProcess, tmp_path: Path
) -> None:
    log = data.generate(full_year=True)
    events = data.write(log, tmp_path / "events.jsonl")
    worker.env["CCM_TARGETS_FILE"] = str(data.write_targets(tmp_path / "targets.yaml"))
    worker.start()
    sent = subprocess.run(
        [sys.executable, "-m", "streams", "replay", str(events)],
        env=settings_env(kafka_settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert sent.returncode == 0, sent.stderr
    worker.wait_for_consumed(len(log.lines), timeout_s=180)

    env = {**settings_env(kafka_settings), "CCM_EXPORT_URL": worker.url}
    env["CCM_TARGETS_FILE"] = worker.env["CCM_TARGETS_FILE"]
    export(env, tmp_path / "live")
    export(env, tmp_path / "log", "--from-log", str(events), "--partitions", str(PARTITIONS))

    for table, expected in TABLES.items():
        live = (tmp_path / "live" / f"{table}.csv").read_bytes()
        assert live == (tmp_path / "log" / f"{table}.csv").read_bytes(), table
        with (tmp_path / "live" / f"{table}.csv").open(newline="") as handle:
            assert list(csv.DictReader(handle)) == expected(log), table
    too_late = worker.value("ccm_events_rejected_total", family="calls", reason="too_late")
    # Each line of a call refused as too late, a line sent twice counted twice: 3 a call.
    too_late_ids = {call.call_id for call in log.too_late}
    sent = sum(json.loads(line).get("call_id") in too_late_ids for line in log.lines)
    assert too_late == sent >= 3 * len(log.too_late)
    assert sum(worker.metric("ccm_events_late_total").values()) >= len(log.late_ids)

    # The year's day and month figures live in the checkpoints: after a SIGKILL the next
    # worker exports the same bytes, whatever Kafka delivers to it again.
    worker.kill()
    worker.start()
    worker.wait_for_consumed(len(log.lines), timeout_s=180)
    export(env, tmp_path / "restarted")
    for table in TABLES:
        restarted = (tmp_path / "restarted" / f"{table}.csv").read_bytes()
        assert restarted == (tmp_path / "live" / f"{table}.csv").read_bytes(), table


def test_export_endpoint_says_what_to_fix(kafka_settings: Settings, worker: WorkerProcess) -> None:
    import json
    import urllib.error
    import urllib.request

    worker.start()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{worker.url}/export/monthly?from=2026-13&to=2026-11", timeout=30)
    assert refused.value.code == 400
    assert json.loads(refused.value.read()) == {
        "error": "'2026-13' is not a month: write it as YYYY-MM, e.g. 2026-03"
    }
