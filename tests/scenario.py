"""Run events through one partition's state and read figures back, for core tests."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import Any

import yaml

from schemas import Family
from streams.core.figures import Figures, compute
from streams.core.ledger import DeadLetter
from streams.core.partition import PartitionState
from streams.core.targets import Targets, parse_targets
from streams.core.timebase import TimeRules
from tests.events import event, raw

REPO = Path(__file__).resolve().parents[1]
TARGETS = parse_targets(yaml.safe_load((REPO / "deploy/config/targets.yaml").read_text()))


def targets_with(**call_handling: Any) -> Targets:
    """The shipped targets with fields of the call-handling set replaced."""
    data = yaml.safe_load((REPO / "deploy/config/targets.yaml").read_text())
    data["call_handling"][0].update(call_handling)
    return parse_targets(data)


def named(counts: type[IntEnum], row: Sequence[int]) -> dict[str, int]:
    """A tally row by the names of its counts (``LegCount.OFFERED`` -> "offered"), its
    buckets aside, so that a test says which count it expects, not where it sits."""
    return {count.name.lower(): row[count] for count in counts}


def at(base: str, seconds: float = 0) -> str:
    moment = datetime.fromisoformat(base) + timedelta(seconds=seconds)
    return moment.isoformat()


class Run:
    def __init__(
        self,
        family: Family = Family.CALLS,
        targets: Targets = TARGETS,
        rules: TimeRules | None = None,
    ) -> None:
        self.targets = targets
        self.state = PartitionState(family, targets, rules or TimeRules())
        self.dead: list[DeadLetter] = []
        self._offset = 0
        self.wall_us = 0
        """The wall clock events arrive at (and figures are read at)."""

    def send(self, *bodies: dict) -> "Run":
        for body in bodies:
            self.send_raw(raw(body))
        return self

    def send_raw(self, message: bytes) -> "Run":
        self.dead += self.state.process(message, self._offset, wall_us=self.wall_us)
        self._offset += 1
        return self

    def figures(self) -> Figures:
        return compute([self.state], self.targets, wall_us=self.wall_us)

    def value(self, name: str, *labels: str) -> float:
        return self.figures().values[name].get(tuple(labels), 0)


def ev(event_type: str, when: str, **fields: Any) -> dict:
    return event(event_type, occurred_at=when, **fields)


T0 = "2026-03-10T10:00:00+00:00"
