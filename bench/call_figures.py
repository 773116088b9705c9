"""The call figures of the month-of-calls job, as the Quix Streams peer computes them
(bench/peer_quix.py: its docstring says what they are and what it leaves out), written
apart from ccm's core: the benches check ccm's figures against these.

Import it after `bench/harness.py` (or with this checkout on sys.path): it reads ccm's
targets file with ccm's parser.
"""

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from schemas import Channel, Queue
from streams.core.targets import Targets, parse_targets

LONDON = ZoneInfo("Europe/London")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
HOUR_US = 3_600_000_000
ANSWERED, ABANDONED = 1, 2
FIGURES = ("offered", "answered", "answered_within_target", "abandoned", "answer_us_sum")
OFFERED, ANSWERED_N, WITHIN, ABANDONED_N, ANSWER_US = range(len(FIGURES))


def event_us(occurred_at: str) -> int:
    """RFC 3339 with an offset as exact µs since the epoch."""
    return (datetime.fromisoformat(occurred_at) - EPOCH) // ONE_US


class Scoring:
    """What a leg queued at an instant is scored by: its London month and day's targets."""

    def __init__(self, targets: Targets) -> None:
        self.targets = targets
        self.month_and_day = lru_cache(maxsize=None)(self._month_and_day)
        self.terms = lru_cache(maxsize=None)(self._terms)

    @staticmethod
    def _month_and_day(hour: int) -> tuple[str, date]:
        # London days start on whole UTC hours: one hour is never in two days.
        local = (EPOCH + timedelta(microseconds=hour * HOUR_US)).astimezone(LONDON)
        return f"{local.year:04d}-{local.month:02d}", local.date()

    def _terms(self, day: date, channel: str, queue: str) -> tuple[int, int]:
        """(answer within µs, short abandon under µs) in force that day at the queue."""
        resolved = self.targets.calls_on(day).resolve(Channel(channel), Queue(queue))
        return resolved.answer_within_us, resolved.short_abandon_us

    def contribution(self, call: dict) -> dict[tuple[str, str, str], list[int]]:
        """The call's figures per (month, channel, queue), from its legs."""
        out: dict[tuple[str, str, str], list[int]] = {}
        ended = call["end"]
        for queue, queued in call["q"].items():
            steps = sorted(
                [(at, 0, channel) for at, channel in queued]
                + [(at, 1, outcome) for at, outcome in call["o"].get(queue, ())]
            )  # queued before an outcome at the same instant
            open_legs: list[list] = []
            legs: list[list] = []
            for at, step, what in steps:
                if step == 0:
                    leg = [at, what, None, None]
                    legs.append(leg)
                    open_legs.append(leg)
                elif open_legs:
                    leg = open_legs.pop()
                    leg[2], leg[3] = at, what
            for queued_us, channel, outcome_us, outcome in legs:
                month, day = self.month_and_day(queued_us // HOUR_US)
                within_us, short_us = self.terms(day, channel, queue)
                figures = out.setdefault((month, channel, queue), [0] * len(FIGURES))
                figures[OFFERED] += 1
                if outcome is None and ended is not None:
                    outcome_us, outcome = max(ended, queued_us), ABANDONED
                if outcome is None:
                    continue
                wait = max(0, outcome_us - queued_us)
                if outcome == ANSWERED:
                    figures[ANSWERED_N] += 1
                    figures[WITHIN] += wait <= within_us
                    figures[ANSWER_US] += wait
                elif wait >= short_us:
                    figures[ABANDONED_N] += 1
        return out


def apply_event(call: dict, event: dict) -> str | None:
    """Add the event to the call; say why not when it changes nothing."""
    if event["event_id"] in call["ids"]:
        return "duplicate"
    kind = event["event_type"]
    at = event_us(event["occurred_at"])
    if kind == "call.queued":
        entries = call["q"].setdefault(event["queue"], [])
        if any(e[0] == at for e in entries):
            return "conflict"
        entries.append([at, event["channel"]])
    elif kind in ("call.answered", "call.abandoned"):
        entries = call["o"].setdefault(event["queue"], [])
        if any(e[0] == at for e in entries):
            return "conflict"
        entries.append([at, ANSWERED if kind == "call.answered" else ABANDONED])
    elif kind == "call.ended":
        if call["end"] is not None:
            return "conflict"
        call["end"] = at
    else:
        return "not_a_call_event"
    call["ids"].append(event["event_id"])
    return None


def load_targets(path: Path) -> Targets:
    return parse_targets(yaml.safe_load(path.read_text(encoding="utf-8")), origin=str(path))


def new_call() -> dict:
    """A call with no events: legs queued and outcomes per queue, the event ids applied."""
    return {"ids": [], "q": {}, "o": {}, "end": None}


def from_file(path: Path, targets: Targets) -> dict[tuple[str, str, str], list[int]]:
    """The totals of the file's call events, computed directly: each call's events in
    file order (which its partition keeps), then every call's contribution summed."""
    import json

    scoring = Scoring(targets)
    calls: dict[str, dict] = {}
    with path.open("rb") as lines:
        for line in lines:
            event = json.loads(line)
            if event["event_type"].startswith("call."):
                apply_event(calls.setdefault(event["call_id"], new_call()), event)
    totals: dict[tuple[str, str, str], list[int]] = {}
    for call in calls.values():
        for key, figures in scoring.contribution(call).items():
            total = totals.setdefault(key, [0] * len(FIGURES))
            totals[key] = [a + b for a, b in zip(total, figures, strict=True)]
    return totals
