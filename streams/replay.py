"""Replay a JSON-lines event file into Kafka, each event to its topic and key.

The file is read line by line (a year of force events does not fit comfortably
in memory as objects), every line is decoded with the contract's decoder, and
the original bytes of valid lines are sent unchanged. Invalid lines are never
sent; they are listed with their line numbers so the file can be fixed. Sending
a file twice is safe: the worker ignores event ids it has already processed.
"""

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from schemas import Envelope, RejectReason, decode

Send = Callable[[str, bytes, bytes], None]
"""send(topic, key, value): hands one message to the producer."""


@dataclass(frozen=True, slots=True)
class RejectedLine:
    line_no: int
    reason: RejectReason
    detail: str


@dataclass
class ReplaySummary:
    sent_by_topic: Counter[str] = field(default_factory=Counter)
    rejected: list[RejectedLine] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(self.sent_by_topic.values())

    def render(self, max_listed: int = 50) -> str:
        lines = [f"sent {self.sent} events"]
        lines += [f"  {topic}: {n}" for topic, n in sorted(self.sent_by_topic.items())]
        if self.rejected:
            by_reason = Counter(r.reason.value for r in self.rejected)
            reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(by_reason.items()))
            lines.append(f"rejected {len(self.rejected)} lines ({reasons}); not sent:")
            lines += [
                f"  line {r.line_no}: {r.reason.value}: {r.detail}"
                for r in self.rejected[:max_listed]
            ]
            if len(self.rejected) > max_listed:
                lines.append(f"  ... and {len(self.rejected) - max_listed} more")
        return "\n".join(lines)


class Pacer:
    """Sends events at ``speed`` times the pace of their event time.

    Events earlier than one already sent (out of order in the file) go at once.
    """

    def __init__(
        self,
        speed: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be greater than 0")
        self._speed = speed
        self._clock = clock
        self._sleep = sleep
        self._origin: tuple[float, float] | None = None  # (event seconds, clock seconds)

    def wait_for(self, occurred_at: datetime) -> None:
        event_s = occurred_at.timestamp()
        if self._origin is None:
            self._origin = (event_s, self._clock())
            return
        first_event_s, first_clock_s = self._origin
        due = first_clock_s + (event_s - first_event_s) / self._speed
        delay = due - self._clock()
        if delay > 0:
            self._sleep(delay)


def read_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Numbered non-blank lines, without their line endings."""
    for line_no, line in enumerate(stream, start=1):
        raw = line.rstrip(b"\r\n")
        if raw.strip():
            yield line_no, raw


def replay_stream(
    stream: BinaryIO,
    send: Send,
    topic_for: Callable[[Envelope], str],
    pacer: Pacer | None = None,
    progress: Callable[[int], None] = lambda _bytes: None,
) -> ReplaySummary:
    summary = ReplaySummary()
    for line_no, raw in read_lines(stream):
        progress(len(raw) + 1)
        decoded = decode(raw)
        if not isinstance(decoded, Envelope):
            summary.rejected.append(RejectedLine(line_no, decoded.reason, decoded.detail))
            continue
        if pacer is not None:
            pacer.wait_for(decoded.occurred_at)
        topic = topic_for(decoded)
        send(topic, decoded.key.encode(), raw)
        summary.sent_by_topic[topic] += 1
    return summary


def replay_file(
    path: Path,
    send: Send,
    topic_for: Callable[[Envelope], str],
    pacer: Pacer | None = None,
    progress: Callable[[int], None] = lambda _bytes: None,
) -> ReplaySummary:
    with path.open("rb") as stream:
        return replay_stream(stream, send, topic_for, pacer, progress)
