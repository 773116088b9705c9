"""ccm replay against a real broker: every valid line lands on its topic with its key."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from schemas import EVENT_TYPE_NAMES
from streams.settings import Settings
from tests.conftest import settings_env
from tests.events import event, raw
from tests.kafka_helpers import read_topics

pytestmark = pytest.mark.integration


def test_replay_routes_every_event_type_and_skips_invalid_lines(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    valid = [
        event(
            event_type,
            **{
                k: f"{k}-{n}"
                for k in ("call_id", "chat_id", "report_id", "incident_id")
                if k in event(event_type)
            },
        )
        for n, event_type in enumerate(sorted(EVENT_TYPE_NAMES))
    ]
    invalid = [
        b"{not json",
        raw({**event("call.queued"), "event_type": "call.transferred"}),
        raw(event("incident.attended", occurred_at="2026-03-29T01:30:00")),
        raw(event("call.queued", channel=999)),
    ]
    lines = [raw(v) for v in valid[:7]] + invalid[:2] + [raw(v) for v in valid[7:]] + invalid[2:]
    events_file = tmp_path / "events.jsonl"
    events_file.write_bytes(b"\n".join(lines) + b"\n")

    result = subprocess.run(
        [sys.executable, "-m", "streams", "replay", str(events_file), "--skip-invalid"],
        env=settings_env(kafka_settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "line 8: malformed_json" in result.stderr
    assert "line 9: unknown_type" in result.stderr
    after = len(valid) + 2  # the two invalid lines after the first seven valid ones
    assert f"line {after + 1}: naive_timestamp" in result.stderr
    assert f"line {after + 2}: invalid_field: channel" in result.stderr
    assert "rejected 4 lines" in result.stderr

    topic_by_prefix = {
        "call": kafka_settings.topic_calls,
        "chat": kafka_settings.topic_chats,
        "report": kafka_settings.topic_reports,
        "incident": kafka_settings.topic_incidents,
    }
    key_by_prefix = {
        "call": "call_id",
        "chat": "chat_id",
        "report": "report_id",
        "incident": "incident_id",
    }
    expected: dict[str, list[tuple[bytes, bytes]]] = {t: [] for t in topic_by_prefix.values()}
    for body in valid:
        prefix = body["event_type"].split(".")[0]
        expected[topic_by_prefix[prefix]].append((body[key_by_prefix[prefix]].encode(), raw(body)))

    got = read_topics(
        kafka_settings, [*expected, kafka_settings.topic_deadletter], expected=len(valid)
    )
    assert got.pop(kafka_settings.topic_deadletter) == []
    assert {t: sorted(v) for t, v in got.items()} == {t: sorted(v) for t, v in expected.items()}
    assert sum(len(v) for v in got.values()) == len(valid) == len(EVENT_TYPE_NAMES)
    assert all(json.loads(v)["event_id"] for values in got.values() for _, v in values)


def test_replay_exits_non_zero_when_lines_are_rejected(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    events_file = tmp_path / "events.jsonl"
    ended = raw(event("call.ended"))
    events_file.write_bytes(ended + b"\n[]\n")
    result = subprocess.run(
        [sys.executable, "-m", "streams", "replay", str(events_file)],
        env=settings_env(kafka_settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "line 2: not_an_object" in result.stderr
    assert "pass --skip-invalid" in result.stderr
    got = read_topics(kafka_settings, [kafka_settings.topic_calls], expected=1)
    assert got[kafka_settings.topic_calls] == [(b"c-1", ended)]
