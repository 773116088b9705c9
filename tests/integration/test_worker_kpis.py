"""The real worker on the real broker: a crafted day gives exactly the hand-worked figures."""

import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from kafka.partitioner.default import murmur2

from streams.settings import Settings
from tests.events import event
from tests.integration.worker import WorkerProcess, replay
from tests.scenario import REPO

pytestmark = pytest.mark.integration

DAY = "2026-10-25"  # the October change: 01:00-02:00 happens twice; a 25-hour day


def call(kind: str, call_id: str, when: str, **fields: str) -> dict:
    return event(f"call.{kind}", occurred_at=when, call_id=call_id, source="cti", **fields)


PARTITIONS = 3  # as the kafka_settings fixture creates the topics


def partition_of(key: str) -> int:
    """Where the producer's default partitioner puts a key."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % PARTITIONS


def near_midnight_ids() -> tuple[str, str]:
    """Two call ids on c8's partition: its stream time is on the 25th, so "today" there
    starts at London midnight, 23:00 UTC on the 24th."""
    same = [f"m{n}" for n in range(200) if partition_of(f"m{n}") == partition_of("c8")]
    return same[0], same[1]


def crafted_day() -> list[dict]:
    after, before = near_midnight_ids()
    midnight = [
        # 00:30 BST on the 25th (23:30 UTC on the 24th): today. Sent first: on time.
        call("queued", after, "2026-10-24T23:30:00+00:00", channel="999", queue="fcr"),
        call("answered", after, "2026-10-24T23:30:05+00:00", queue="fcr"),
        # 23:59:59 BST on the 24th: yesterday, though the last 24 hours hold it.
        call("queued", before, "2026-10-24T22:59:59+00:00", channel="999", queue="fcr"),
        call("answered", before, "2026-10-24T23:00:04+00:00", queue="fcr"),
    ]
    c1_answer = call("answered", "c1", f"{DAY}T01:30:10+01:00", queue="fcr")
    c4_queued = call("queued", "c4", f"{DAY}T09:00:00+00:00", channel="101", queue="switchboard")
    events = [
        *midnight,
        # 999 at the FCR, target 10 s.
        call("queued", "c1", f"{DAY}T01:30:00+01:00", channel="999", queue="fcr"),  # first 01:30
        c1_answer,  # 10 s: met
        call("queued", "c2", f"{DAY}T01:30:00+00:00", channel="999", queue="fcr"),  # second 01:30
        call("answered", "c2", f"{DAY}T01:30:11+00:00", queue="fcr"),  # 11 s: missed
        call("queued", "c3", f"{DAY}T01:59:55+01:00", channel="999", queue="fcr"),
        call("answered", "c3", f"{DAY}T01:00:04+00:00", queue="fcr"),  # 9 s across the change
        c1_answer,  # a producer retry: same event_id, changes nothing
        # 101: switchboard (30 s), then a transfer to the FCR (300 s).
        c4_queued,
        call("answered", "c4", f"{DAY}T09:00:30+00:00", queue="switchboard"),  # 30 s: met
        c4_queued,  # and again
        call("queued", "c4", f"{DAY}T09:00:35+00:00", channel="101", queue="fcr"),
        call("answered", "c4", f"{DAY}T09:05:35+00:00", queue="fcr"),  # 300 s: met
        call("ended", "c4", f"{DAY}T09:10:00+00:00"),
        call("queued", "c5", f"{DAY}T09:01:00+00:00", channel="101", queue="switchboard"),
        call("abandoned", "c5", f"{DAY}T09:01:02+00:00", queue="switchboard"),  # 2 s: short
        call("queued", "c6", f"{DAY}T09:02:00+00:00", channel="101", queue="switchboard"),
        call("abandoned", "c6", f"{DAY}T09:02:45+00:00", queue="switchboard"),  # 45 s
        # The answer arrives before its queued event.
        call("answered", "c7", f"{DAY}T09:03:10+00:00", queue="resolution_centre"),
        call("queued", "c7", f"{DAY}T09:03:00+00:00", channel="101", queue="resolution_centre"),
        call("queued", "c8", f"{DAY}T09:04:00+00:00", channel="999", queue="fcr"),  # still waiting
        # Live Chat (opens 07:00) and online reports.
        event("chat.requested", occurred_at=f"{DAY}T06:30:00+00:00", chat_id="h1"),
        event("chat.accepted", occurred_at=f"{DAY}T06:30:20+00:00", chat_id="h1"),
        event("chat.requested", occurred_at=f"{DAY}T10:00:00+00:00", chat_id="h2"),
        event("chat.accepted", occurred_at=f"{DAY}T10:01:30+00:00", chat_id="h2"),
        event("chat.requested", occurred_at=f"{DAY}T10:05:00+00:00", chat_id="h3"),
        event("chat.abandoned", occurred_at=f"{DAY}T10:05:10+00:00", chat_id="h3"),
        event(
            "report.submitted",
            occurred_at=f"{DAY}T11:00:00+00:00",
            report_id="r1",
            report_type="asb",
        ),
        event("report.triaged", occurred_at=f"{DAY}T11:20:00+00:00", report_id="r1"),
        event(
            "report.submitted",
            occurred_at=f"{DAY}T11:05:00+00:00",
            report_id="r2",
            report_type="crime",
        ),
    ]
    return events


EXPECTED_LEGS = {
    # (channel, queue): offered, answered, within, under 10 s,
    #                  abandoned, abandoned within, short, wait sum
    ("999", "fcr"): (5, 4, 3, 2, 0, 0, 0, 35),  # with the call at 00:30 BST
    ("101", "switchboard"): (3, 1, 1, 0, 1, 0, 1, 30),
    ("101", "fcr"): (1, 1, 1, 0, 0, 0, 0, 300),
    ("101", "resolution_centre"): (1, 1, 1, 0, 0, 0, 0, 10),
}
LEG_METRICS = (
    "ccm_call_legs_offered",
    "ccm_call_legs_answered",
    "ccm_call_legs_answered_within_target",
    "ccm_call_legs_answered_under_10s",
    "ccm_call_legs_abandoned",
    "ccm_call_legs_abandoned_within_target",
    "ccm_call_legs_short_abandoned",
    "ccm_call_legs_answered_wait_seconds",
)


def test_crafted_day_gives_exact_figures(
    kafka_settings: Settings, worker: WorkerProcess, tmp_path: Path
) -> None:
    targets = yaml.safe_load((REPO / "deploy/config/targets.yaml").read_text())
    targets["call_handling"][0]["short_abandon_seconds"] = 3
    targets_file = tmp_path / "targets.yaml"
    targets_file.write_text(yaml.safe_dump(targets))
    worker.env["CCM_TARGETS_FILE"] = str(targets_file)
    worker.start()

    events = crafted_day()
    replay(kafka_settings, events, tmp_path / "day.jsonl")
    worker.wait_for_consumed(len(events))

    for (channel, queue), expected in EXPECTED_LEGS.items():
        got = tuple(
            worker.value(m, channel=channel, queue=queue, window="today") for m in LEG_METRICS
        )
        assert got == expected, (channel, queue)
    # The last 24 hours also hold the call at 23:59:59 BST on the 24th.
    assert tuple(
        worker.value(m, channel="999", queue="fcr", window="24h") for m in LEG_METRICS
    ) == (6, 5, 4, 3, 0, 0, 0, 40)
    assert worker.value("ccm_call_legs_waiting", channel="999", queue="fcr") == 1
    assert worker.value("ccm_contacts", channel="999", window="today") == 5
    assert worker.value("ccm_contacts", channel="101", window="today") == 4
    assert worker.value("ccm_calls_settled", channel="999", window="today") == 4
    assert worker.value("ccm_calls_combined_wait_seconds", channel="999", window="today") == 35
    assert worker.value("ccm_calls_settled", channel="101", window="today") == 4
    assert (
        worker.value("ccm_calls_combined_wait_seconds", channel="101", window="today")
        == 330 + 2 + 45 + 10
    )

    chats = {
        m: worker.value(f"ccm_chats_{m}", window="today")
        for m in (
            "requested",
            "accepted",
            "accepted_within_target",
            "abandoned",
            "abandoned_within_target",
            "requested_while_closed",
            "accepted_wait_seconds",
        )
    }
    assert chats == {
        "requested": 3,
        "accepted": 2,
        "accepted_within_target": 1,
        "abandoned": 1,
        "abandoned_within_target": 1,
        "requested_while_closed": 1,
        "accepted_wait_seconds": 110,
    }
    assert worker.value("ccm_contacts", channel="chat", window="today") == 3
    assert worker.value("ccm_reports_submitted", report_type="asb", window="today") == 1
    assert worker.value("ccm_reports_triaged", report_type="asb", window="today") == 1
    assert worker.value("ccm_reports_triage_seconds", report_type="asb", window="today") == 1200
    assert worker.value("ccm_reports_awaiting_triage", report_type="crime") == 1
    assert worker.value("ccm_contacts", channel="online", window="today") == 2

    histogram = worker.metric("ccm_call_answer_seconds_bucket")
    assert histogram[(("channel", "999"), ("le", "10.0"), ("queue", "fcr"))] == 4
    assert histogram[(("channel", "999"), ("le", "15.0"), ("queue", "fcr"))] == 5
    assert sum(worker.metric("ccm_events_duplicate_total").values()) == 2
    assert sum(worker.metric("ccm_events_rejected_total").values()) == 0
    assert (
        worker.value(
            "ccm_call_service_level_formula_info", channel="999", queue="fcr", formula="strict"
        )
        == 1
    )

    # The live exposition is lint-clean, and Faust's views of table contents are off.
    lint = subprocess.run(
        ["promtool", "check", "metrics"], input=worker.scrape(), capture_output=True, text=True
    )
    assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", "")
    for view in ("/table/", "/router/", "/graph/"):  # each served with CCM_WEB_DEBUG_VIEWS
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(worker.url + view, timeout=10)
        assert refused.value.code == 404, view
