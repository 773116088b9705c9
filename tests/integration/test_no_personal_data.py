"""No personal data leaves ccm: a unique marker in every id, handler id, free-text value
and unknown extra field, valid and malformed alike, never shows on /metrics, in the
worker's log, in a dead letter's headers, in ccm replay's report or in any export. The
original bytes in a dead letter's value are the one place it may be (docs/operating.md)."""

import json
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from kafka import KafkaProducer

from streams.settings import Settings
from tests.conftest import settings_env
from tests.events import event
from tests.integration.worker import WorkerProcess
from tests.kafka_helpers import read_records

pytestmark = pytest.mark.integration

MARK = f"CANARY{uuid.uuid4().hex.upper()}"
DAY = "2026-11-10"


def at(clock: str) -> str:
    return f"{DAY}T{clock}+00:00"


def marked(kind: str, clock: str, n: int, /, **fields: object) -> dict:
    """An event whose id, source and extra fields all carry the marker."""
    body = event(
        kind,
        at(clock),
        event_id=f"{MARK}-event-{n}",
        source=f"{MARK}-source",
        caller_name=f"{MARK} Smith",
        location={"street": f"{MARK} Road", "phone": [MARK]},
    )
    body.update(fields)
    return body


def valid_events() -> list[dict]:
    call, chat = f"{MARK}-call", f"{MARK}-chat"
    report, incident = f"{MARK}-report", f"{MARK}-incident"
    handler = f"{MARK}-handler"
    return [
        marked("call.queued", "08:00:00", 1, call_id=call, channel="999", queue="fcr"),
        marked("call.answered", "08:00:07", 2, call_id=call, queue="fcr", handler_id=handler),
        marked("call.ended", "08:03:00", 3, call_id=call),
        marked("chat.requested", "09:00:00", 4, chat_id=chat),
        marked("chat.accepted", "09:00:40", 5, chat_id=chat, handler_id=handler),
        marked("chat.ended", "09:10:00", 6, chat_id=chat),
        marked("report.submitted", "10:00:00", 7, report_id=report, report_type="crime"),
        marked("report.triaged", "10:30:00", 8, report_id=report),
        marked(
            "incident.created",
            "11:00:00",
            9,
            incident_id=incident,
            grade=1,
            area="urban",
            category="robbery",
            contact_id=call,
        ),
        marked("incident.attended", "11:09:00", 10, incident_id=incident),
        marked("incident.closed", "12:00:00", 11, incident_id=incident, attended=True),
        # The same event again: a duplicate, counted as such and nothing else.
        marked("call.ended", "08:03:00", 3, call_id=call),
    ]


def malformed_events() -> list[tuple[str, bytes, str]]:
    """(topic family, bytes, reason it is dead-lettered with)."""
    call = {"call_id": f"{MARK}-bad-call"}
    incident = {"incident_id": MARK, "category": "robbery"}
    serial = iter(range(100, 200))

    def body(kind: str, /, **fields: object) -> bytes:
        return json.dumps(marked(kind, "08:30:00", next(serial), **fields)).encode()

    truncated = f'{{"event_id": "{MARK}", "event_type": "call.queued", '.encode()
    naive = f"{DAY}T08:30:00"
    return [
        ("calls", truncated, "malformed_json"),
        ("calls", MARK.encode() + b"\xff\xfe", "malformed_json"),
        ("calls", json.dumps([MARK, {"call_id": MARK}]).encode(), "not_an_object"),
        ("calls", body("call.ended", **call, event_type=f"call.{MARK}"), "unknown_type"),
        ("calls", body("call.queued", **call, channel=MARK, queue="fcr"), "invalid_field"),
        ("calls", body("call.queued", **call, channel="999", queue=MARK), "invalid_field"),
        ("calls", body("call.answered", call_id={"name": MARK}, queue="fcr"), "invalid_field"),
        ("calls", body("call.queued", **call, occurred_at=naive), "naive_timestamp"),
        ("calls", body("call.queued", **call, event_id=MARK * 4), "invalid_field"),
        ("calls", body("call.queued", **call, schema_version=MARK), "unsupported_version"),
        ("calls", json.dumps({"event_id": MARK, "call_id": MARK}).encode(), "missing_field"),
        ("calls", (MARK * 3000).encode(), "too_large"),
        ("calls", body("chat.requested", chat_id=MARK), "wrong_topic"),
        ("incidents", body("incident.created", **incident, grade=MARK), "invalid_field"),
        ("incidents", body("incident.created", **incident, area=MARK), "invalid_field"),
        ("reports", body("report.submitted", report_id=MARK, report_type=None), "invalid_field"),
        # An answer whose call.queued never comes: an orphan once stream time is past grace.
        ("orphan", body("call.answered", call_id=f"{MARK}-o", handler_id=MARK), "orphan"),
    ]


def contains_mark(data: bytes) -> bool:
    return MARK.encode() in data or MARK.lower().encode() in data


def test_the_marker_never_leaves_ccm_but_in_dead_letter_values(
    kafka_settings: Settings, worker: WorkerProcess, tmp_path: Path
) -> None:
    worker.start()
    valid = tmp_path / "valid.jsonl"
    valid.write_bytes(b"".join(json.dumps(e).encode() + b"\n" for e in valid_events()))
    env = settings_env(kafka_settings)
    replayed = subprocess.run(
        [sys.executable, "-m", "streams", "replay", str(valid)],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert replayed.returncode == 0, replayed.stderr

    bad = malformed_events()
    # ccm replay refuses malformed lines itself, listing them; its listing is clean too.
    refused_file = tmp_path / "malformed.jsonl"
    refusable = [raw for _, raw, reason in bad if reason not in ("orphan", "wrong_topic")]
    refused_file.write_bytes(b"".join(raw + b"\n" for raw in refusable))
    refused = subprocess.run(
        [sys.executable, "-m", "streams", "replay", "--skip-invalid", str(refused_file)],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert refused.returncode == 0, refused.stderr
    assert b"sent 0 events" in refused.stderr, refused.stderr
    assert f"rejected {len(refusable)} lines".encode() in refused.stderr, refused.stderr

    producer = KafkaProducer(**kafka_settings.kafka_python_config(), acks="all")
    topics = {
        "calls": kafka_settings.topic_calls,
        "incidents": kafka_settings.topic_incidents,
        "reports": kafka_settings.topic_reports,
    }
    for family, raw, _ in bad:
        if family == "orphan":
            # Partition 0, then a call two hours later on the same partition moves its
            # stream time past the grace period.
            producer.send(kafka_settings.topic_calls, raw, key=MARK.encode(), partition=0)
            for n, (kind, clock) in enumerate(
                [("call.queued", "10:40:00"), ("call.abandoned", "10:41:00")]
            ):
                later = event(
                    kind, at(clock), event_id=f"{MARK}-later-{n}", call_id=f"{MARK}-later"
                )
                producer.send(kafka_settings.topic_calls, json.dumps(later).encode(), partition=0)
        else:
            producer.send(topics[family], raw, key=MARK.encode())
    producer.flush()
    producer.close()

    worker.wait_for_consumed(len(valid_events()) + len(bad) + 2)
    letters = read_records(kafka_settings, kafka_settings.topic_deadletter, expected=len(bad))

    reasons = sorted(dict(r.headers)["ccm-reason"].decode() for r in letters)
    assert reasons == sorted(reason for _, _, reason in bad)
    assert sorted(r.value for r in letters) == sorted(raw for _, raw, _ in bad)
    for record in letters:
        assert record.key is None
        for name, value in record.headers:
            assert not contains_mark(name.encode() + value), (name, value)

    rejected = worker.metric("ccm_events_rejected_total")
    assert sum(rejected.values()) == len(bad)
    assert worker.value("ccm_events_duplicate_total", family="calls") == 1
    assert not contains_mark(worker.scrape().encode())

    exports = tmp_path / "exports"
    export_env = {**env, "CCM_EXPORT_URL": worker.url}
    commands = [
        ["monthly", "--format", "csv", "--out", str(exports / "csv")],
        ["monthly", "--format", "xlsx", "--out", str(exports / "pack.xlsx")],
        ["public", "--out", str(exports / "public")],
        ["public", "--format", "html", "--out", str(exports / "site")],
        ["monthly", "--format", "csv", "--out", str(exports / "log"), "--from-log", str(valid)],
    ]
    for command in commands:
        done = subprocess.run(
            [
                *(sys.executable, "-m", "streams", "export", command[0]),
                *("--from", "2026-11", "--to", "2026-11", *command[1:]),
            ],
            env=export_env,
            capture_output=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert not contains_mark(done.stdout + done.stderr)
    files = sorted(p for p in exports.rglob("*") if p.is_file())
    # The six CSVs (kpis.csv too) live and from the log, the workbook, the public dataset's
    # five CSVs, and the public page with them.
    assert len(files) == 6 + 1 + 5 + (2 + 5) + 6
    for path in files:
        assert not contains_mark(path.read_bytes()), path
    with zipfile.ZipFile(exports / "pack.xlsx") as workbook:
        for member in workbook.namelist():
            assert not contains_mark(workbook.read(member)), member
    # The export holds the lifecycles: the marker was removed, not the data.
    with (exports / "csv" / "call_handling.csv").open() as handle:
        assert any(line.startswith("2026-11,") for line in handle)

    worker.stop()
    assert not contains_mark(worker.log(1).encode())
    assert not contains_mark(replayed.stdout + replayed.stderr + refused.stdout + refused.stderr)
