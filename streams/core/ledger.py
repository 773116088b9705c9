"""Lifecycles (a call, a chat, a report) and how their events build figures.

A ledger keeps each open lifecycle, applies its events in any order, and keeps
its tallies equal to the sum of every lifecycle's contribution. It forgets a
lifecycle once it is complete and nothing has happened to it for the grace
period: any event of it that could still come would be too late anyway. Its
events that wait for a partner longer than that are handed back as orphans.
"""

import base64
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from schemas import Envelope, RejectReason
from streams.core.tally import Contribution, Tally
from streams.core.targets import Targets


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message to put on the dead-letter topic: reason, a safe detail, the original bytes."""

    reason: RejectReason
    detail: str
    raw: bytes


class Duplicate(Exception):
    """The event's id was already applied to its lifecycle; it changes nothing."""


class Conflict(Exception):
    """A different event for a step the lifecycle already has."""


@dataclass
class Lifecycle:
    event_ids: set[str] = field(default_factory=set)
    last_event_us: int = 0


L = TypeVar("L", bound=Lifecycle)


def pack(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode("ascii")


def unpack(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


class Ledger(ABC, Generic[L]):
    """Lifecycles of one family on one partition, and the tallies they add up to."""

    tally_widths: tuple[int, ...]

    def __init__(self, targets: Targets, grace_us: int, stale_us: int) -> None:
        self.targets = targets
        self.grace_us = grace_us
        self.stale_us = stale_us
        self.lifecycles: dict[str, L] = {}
        self.tallies = tuple(Tally(width) for width in self.tally_widths)

    # --- what each family defines ----------------------------------------------------

    @abstractmethod
    def new(self) -> L: ...

    @abstractmethod
    def update(self, lifecycle: L, event: Envelope, event_us: int, raw: bytes) -> None:
        """Apply one event; raise Conflict without changing anything if it contradicts."""

    @abstractmethod
    def contributions(self, lifecycle: L) -> tuple[Contribution, ...]:
        """What the lifecycle adds to each tally now."""

    @abstractmethod
    def overdue(self, lifecycle: L, stream_us: int) -> bool:
        """Whether `expire` has anything to do: a cheap test, run on every lifecycle."""

    @abstractmethod
    def expire(self, lifecycle: L, stream_us: int) -> list[DeadLetter]:
        """Drop parts waiting too long for a partner, returning them as dead letters."""

    @abstractmethod
    def is_settled(self, lifecycle: L) -> bool:
        """Nothing in it is waiting: it may be forgotten once quiet for the grace period."""

    @abstractmethod
    def lifecycle_to_json(self, lifecycle: L) -> dict: ...

    @abstractmethod
    def lifecycle_from_json(self, data: dict) -> L: ...

    # --- shared mechanics ------------------------------------------------------------

    def apply(self, event: Envelope, event_us: int, raw: bytes) -> None:
        key = event.key
        lifecycle = self.lifecycles.get(key)
        if lifecycle is None:
            lifecycle = self.new()
        elif event.event_id in lifecycle.event_ids:
            raise Duplicate
        before = self.contributions(lifecycle)
        self.update(lifecycle, event, event_us, raw)
        lifecycle.event_ids.add(event.event_id)
        lifecycle.last_event_us = max(lifecycle.last_event_us, event_us)
        self.lifecycles[key] = lifecycle
        self._replace(before, self.contributions(lifecycle))

    def _replace(self, before: tuple[Contribution, ...], after: tuple[Contribution, ...]) -> None:
        for tally, old, new in zip(self.tallies, before, after, strict=True):
            tally.replace(old, new)

    def sweep(self, stream_us: int) -> list[DeadLetter]:
        """Hand back orphans and forget settled, quiet lifecycles."""
        dead: list[DeadLetter] = []
        for key in list(self.lifecycles):
            lifecycle = self.lifecycles[key]
            if self.overdue(lifecycle, stream_us):
                before = self.contributions(lifecycle)
                dead.extend(self.expire(lifecycle, stream_us))
                self._replace(before, self.contributions(lifecycle))
            if self.is_settled(lifecycle) and lifecycle.last_event_us + self.grace_us < stream_us:
                del self.lifecycles[key]
        for tally in self.tallies:
            tally.prune(stream_us)
        return dead

    def __iter__(self) -> Iterator[L]:
        return iter(self.lifecycles.values())

    def to_json(self) -> dict:
        return {
            "lifecycles": {
                key: {
                    **self.lifecycle_to_json(lc),
                    "ids": sorted(lc.event_ids),
                    "last": lc.last_event_us,
                }
                for key, lc in self.lifecycles.items()
            },
            "tallies": [t.to_json() for t in self.tallies],
        }

    def load_json(self, data: dict) -> None:
        self.lifecycles = {}
        for key, item in data["lifecycles"].items():
            lifecycle = self.lifecycle_from_json(item)
            lifecycle.event_ids = set(item["ids"])
            lifecycle.last_event_us = item["last"]
            self.lifecycles[key] = lifecycle
        for tally, tally_data in zip(self.tallies, data["tallies"], strict=True):
            tally.load_json(tally_data)
