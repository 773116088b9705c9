import io
from datetime import UTC, datetime

import pytest

from schemas import RejectReason
from streams.replay import Pacer, RejectedLine, replay_stream
from tests.events import event, raw


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def at(second: int) -> datetime:
    return datetime(2026, 3, 29, 0, 0, second, tzinfo=UTC)


def test_pacer_spaces_events_by_event_time_over_speed() -> None:
    fake = FakeClock()
    pacer = Pacer(10, clock=fake.clock, sleep=fake.sleep)
    pacer.wait_for(at(0))
    pacer.wait_for(at(20))  # due 2 s after the first
    fake.now += 0.5  # sending took half a second
    pacer.wait_for(at(30))  # due 3 s after the first: 0.5 s left
    pacer.wait_for(at(10))  # earlier than one already sent: at once
    assert fake.sleeps == [2.0, 0.5]


def test_pacer_refuses_a_speed_of_zero() -> None:
    with pytest.raises(ValueError, match="greater than 0"):
        Pacer(0)


def test_replay_sends_valid_lines_to_their_topics_and_lists_rejected_ones() -> None:
    lines = [
        raw(event("call.queued", call_id="c-9")),
        b"not json",
        b"",
        raw(event("incident.created", incident_id="i-4")),
        raw(event("call.ended", occurred_at="2026-03-29T01:00:00", call_id="c-9")),
    ]
    sent: list[tuple[str, bytes, bytes]] = []
    summary = replay_stream(
        io.BytesIO(b"\n".join(lines) + b"\n"),
        lambda topic, key, value: sent.append((topic, key, value)),
        lambda e: f"topic-{e.family.value}",
    )
    assert sent == [
        ("topic-calls", b"c-9", lines[0]),
        ("topic-incidents", b"i-4", lines[3]),
    ]
    assert summary.sent_by_topic == {"topic-calls": 1, "topic-incidents": 1}
    assert [(r.line_no, r.reason) for r in summary.rejected] == [
        (2, RejectReason.MALFORMED_JSON),
        (5, RejectReason.NAIVE_TIMESTAMP),
    ]


def test_summary_lists_rejections_by_line_and_counts_by_reason() -> None:
    summary = replay_stream(io.BytesIO(b"[]\n{}\n[]\n"), lambda *_: None, lambda e: "t")
    assert summary.render(max_listed=2) == "\n".join(
        [
            "sent 0 events",
            "rejected 3 lines (missing_field 1, not_an_object 2); not sent:",
            "  line 1: not_an_object: message: Input should be an object",
            "  line 2: missing_field: event_type: field required",
            "  ... and 1 more",
        ]
    )
    assert summary.rejected[1] == RejectedLine(
        2, RejectReason.MISSING_FIELD, "event_type: field required"
    )
