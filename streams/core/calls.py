"""Call legs: queued -> answered | abandoned, per queue, and the call around them.

A leg is one pass of a call through a queue; a transfer (switchboard -> fcr) is a
new leg. Every figure is attributed to the instant the leg was offered (queued),
so a leg offered at 23:59:50 and answered after midnight counts on the day it
was offered. A leg still open when its call ends was abandoned at the end.
"""

from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum

from schemas import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallQueued,
    Channel,
    Envelope,
    Queue,
    RejectReason,
)
from streams.core.buckets import ANSWER_BUCKETS_S
from streams.core.ledger import Conflict, DeadLetter, Ledger, Lifecycle, pack, unpack
from streams.core.tally import NOTHING, Contribution
from streams.core.targets import ResolvedQueueTarget, Targets
from streams.core.timebase import london_day

HOME_OFFICE_THRESHOLD_US = 10_000_000
"""The Home Office's published 999 measure: answered strictly under 10 seconds."""


class LegCount(IntEnum):
    """Counts per (channel, queue), by the minute and day a leg was offered.

    After these come one count per answer-time bucket: answered legs whose
    wait was at most ``ANSWER_BUCKETS_S[i]`` seconds.
    """

    OFFERED = 0
    ANSWERED = 1
    ANSWERED_WITHIN_TARGET = 2
    ANSWERED_UNDER_10S = 3
    ABANDONED = 4
    """Abandons at or over the short-abandon threshold (short ones are not here)."""
    ABANDONED_WITHIN_TARGET = 5
    SHORT_ABANDONED = 6
    ANSWER_US_SUM = 7
    HANDLED = 8
    """Answered legs whose handling is over: the call moved to another queue or ended."""
    HANDLE_US_SUM = 9
    """Answer to transfer or end, summed over handled legs: the handling time workforce
    planning (Erlang) needs."""
    ANSWERED_UNDER_60S = 10
    """Answered in strictly less than 60 s: the Home Office's second 999 band ends here."""


FIRST_BUCKET = len(LegCount)
LEG_WIDTH = FIRST_BUCKET + len(ANSWER_BUCKETS_S)
_BUCKET_BOUNDS_US = tuple(
    (FIRST_BUCKET + i, bound_s * 1_000_000) for i, bound_s in enumerate(ANSWER_BUCKETS_S)
)


class CallCount(IntEnum):
    """Per channel, by when the call was first offered."""

    CONTACTS = 0
    """Calls offered (once per call, whatever its transfers): channel share."""
    SETTLED = 1
    """Calls whose every leg has an outcome."""
    COMBINED_WAIT_US_SUM = 2
    """Sum over settled calls of their legs' waits: the caller's experience."""


class Outcome(IntEnum):
    ANSWERED = 1
    ABANDONED = 2


@dataclass
class Leg:
    queued_us: int | None = None
    channel: Channel | None = None
    outcome: Outcome | None = None
    outcome_us: int | None = None
    unmatched_raw: bytes | None = None
    """The bytes of the one event the leg has while it waits for its partner."""


@dataclass
class Call(Lifecycle):
    legs: dict[Queue, Leg] = field(default_factory=dict)
    ended_us: int | None = None


def _close(leg: Leg, call: Call) -> tuple[Outcome, int] | None:
    """The leg's outcome: its own, or abandoned when the call ended without one."""
    if leg.outcome is not None and leg.outcome_us is not None:
        return leg.outcome, leg.outcome_us
    if call.ended_us is not None and leg.queued_us is not None:
        return Outcome.ABANDONED, max(call.ended_us, leg.queued_us)
    return None


def _handled_until(call: Call, queue: Queue, answered_us: int) -> int | None:
    """When the handler let the call go: its next leg queued (a transfer) or its end."""
    later = [
        leg.queued_us
        for other, leg in call.legs.items()
        if other is not queue and leg.queued_us is not None and leg.queued_us >= answered_us
    ]
    if later:
        return min(later)
    if call.ended_us is not None:
        return max(call.ended_us, answered_us)
    return None


class CallLedger(Ledger[Call]):
    tally_widths = (LEG_WIDTH, len(CallCount))

    def __init__(
        self, targets: Targets, grace_us: int, stale_us: int, close_after_us: int = 0
    ) -> None:
        super().__init__(targets, grace_us, stale_us, close_after_us)
        self._targets_by_day: dict[tuple[date, Channel, Queue], ResolvedQueueTarget] = {}

    def new(self) -> Call:
        return Call()

    def update(self, call: Call, event: Envelope, event_us: int, raw: bytes) -> None:
        if isinstance(event, CallQueued):
            leg = call.legs.get(event.queue) or Leg()
            if leg.queued_us is not None:
                raise Conflict("the call was already queued at this queue")
            leg.queued_us, leg.channel = event_us, event.channel
            leg.unmatched_raw = None if leg.outcome is not None else raw
            call.legs[event.queue] = leg
        elif isinstance(event, CallAnswered | CallAbandoned):
            leg = call.legs.get(event.queue) or Leg()
            if leg.outcome is not None:
                raise Conflict("the leg already has an outcome")
            answered = isinstance(event, CallAnswered)
            leg.outcome = Outcome.ANSWERED if answered else Outcome.ABANDONED
            leg.outcome_us = event_us
            leg.unmatched_raw = None if leg.queued_us is not None else raw
            call.legs[event.queue] = leg
        elif isinstance(event, CallEnded):
            if call.ended_us is not None:
                raise Conflict("the call already ended")
            call.ended_us = event_us

    def contributions(self, call: Call) -> tuple[Contribution, ...]:
        leg_counts = []
        waits = []
        offered = []
        settled = True
        combined_us = 0
        for queue, leg in call.legs.items():
            if leg.queued_us is None or leg.channel is None:
                settled = False
                continue
            offered.append((leg.queued_us, leg.channel))
            target = self.target(leg.channel, queue, leg.queued_us)
            dim = (leg.channel, queue)
            closed = _close(leg, call)
            vector = [0] * LEG_WIDTH
            vector[LegCount.OFFERED] = 1
            if closed is None:
                settled = False
            else:
                outcome, outcome_us = closed
                wait = max(0, outcome_us - leg.queued_us)
                combined_us += wait
                waits.append((dim, leg.queued_us, wait))
                within = int(wait <= target.answer_within_us)
                if outcome is Outcome.ANSWERED:
                    handled_until = _handled_until(call, queue, outcome_us)
                    if handled_until is not None:
                        vector[LegCount.HANDLED] = 1
                        vector[LegCount.HANDLE_US_SUM] = handled_until - outcome_us
                    vector[LegCount.ANSWERED] = 1
                    vector[LegCount.ANSWERED_WITHIN_TARGET] = within
                    vector[LegCount.ANSWERED_UNDER_10S] = int(wait < HOME_OFFICE_THRESHOLD_US)
                    vector[LegCount.ANSWERED_UNDER_60S] = int(
                        wait < 60 * HOME_OFFICE_THRESHOLD_US // 10
                    )
                    vector[LegCount.ANSWER_US_SUM] = wait
                    for index, bound_us in _BUCKET_BOUNDS_US:
                        vector[index] = int(wait <= bound_us)
                elif wait < target.short_abandon_us:
                    vector[LegCount.SHORT_ABANDONED] = 1
                else:
                    vector[LegCount.ABANDONED] = 1
                    vector[LegCount.ABANDONED_WITHIN_TARGET] = within
            leg_counts.append((dim, leg.queued_us, tuple(vector)))
        if not offered:
            return (Contribution(tuple(leg_counts), tuple(waits)), NOTHING)
        first_us, channel = min(offered)
        call_vector = (1, int(settled), combined_us if settled else 0)
        return (
            Contribution(tuple(leg_counts), tuple(waits)),
            Contribution((((channel,), first_us, call_vector),)),
        )

    def overdue(self, call: Call, stream_us: int) -> bool:
        for leg in call.legs.values():
            if leg.unmatched_raw is None:
                continue
            if leg.queued_us is None and leg.outcome_us is not None:
                if leg.outcome_us + self.grace_us < stream_us:
                    return True
            elif leg.queued_us is not None and leg.queued_us + self.stale_us < stream_us:
                return True
        return False

    def expire(self, call: Call, stream_us: int) -> list[DeadLetter]:
        dead = []
        for queue, leg in list(call.legs.items()):
            if leg.unmatched_raw is None:
                continue
            if leg.queued_us is None and leg.outcome_us is not None:
                if leg.outcome_us + self.grace_us < stream_us:
                    dead.append(
                        DeadLetter(
                            RejectReason.ORPHAN,
                            f"call outcome at {queue.value} with no call.queued "
                            "within the grace period",
                            leg.unmatched_raw,
                        )
                    )
                    del call.legs[queue]
            elif leg.queued_us is not None and _close(leg, call) is None:
                if leg.queued_us + self.stale_us < stream_us:
                    dead.append(
                        DeadLetter(
                            RejectReason.ORPHAN,
                            f"call queued at {queue.value} with no outcome or call.ended "
                            "within the longest credible wait",
                            leg.unmatched_raw,
                        )
                    )
                    del call.legs[queue]
        return dead

    def is_settled(self, call: Call) -> bool:
        return all(
            leg.queued_us is not None and _close(leg, call) is not None
            for leg in call.legs.values()
        )

    def waiting(self) -> list[tuple[Channel, Queue, int]]:
        """Legs waiting now: (channel, queue, queued µs)."""
        return [
            (leg.channel, queue, leg.queued_us)
            for call in self.lifecycles.values()
            if call.ended_us is None
            for queue, leg in call.legs.items()
            if leg.outcome is None and leg.queued_us is not None and leg.channel is not None
        ]

    def target(self, channel: Channel, queue: Queue, offered_us: int) -> ResolvedQueueTarget:
        """The target in force on the day the leg was offered."""
        key = (london_day(offered_us), channel, queue)
        found = self._targets_by_day.get(key)
        if found is None:
            found = self.targets.calls_on(key[0]).resolve(channel, queue)
            self._targets_by_day[key] = found
        return found

    def lifecycle_to_json(self, call: Call) -> dict:
        return {
            "ended": call.ended_us,
            "legs": {
                queue.value: [
                    leg.queued_us,
                    leg.channel.value if leg.channel else None,
                    int(leg.outcome) if leg.outcome else None,
                    leg.outcome_us,
                    pack(leg.unmatched_raw),
                ]
                for queue, leg in call.legs.items()
            },
        }

    def lifecycle_from_json(self, data: dict) -> Call:
        legs = {}
        for queue, (queued, channel, outcome, outcome_us, raw) in data["legs"].items():
            legs[Queue(queue)] = Leg(
                queued,
                Channel(channel) if channel else None,
                Outcome(outcome) if outcome else None,
                outcome_us,
                unpack(raw),
            )
        return Call(legs=legs, ended_us=data["ended"])
