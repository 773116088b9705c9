"""Call legs: queued -> answered | abandoned, per queue, and the call around them.

A leg is one pass of a call through a queue; a transfer (switchboard -> fcr) is a
new leg, and so is a return to a queue it has visited (switchboard -> fcr ->
switchboard). Every figure is attributed to the instant the leg was offered
(queued), so a leg offered at 23:59:50 and answered after midnight counts on the
day it was offered. A leg still open when its call ends was abandoned at the end.

The call keeps its events; its legs are worked out from them (`legs_of`), in
event time, so they are the same whatever order the events arrived in: at each
queue, an outcome closes the latest leg queued there before it and still open.
"""

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from enum import IntEnum

from schemas import (
    CallAbandoned,
    CallAnswered,
    CallbackOutcome,
    CallCallback,
    CallEnded,
    CallQueued,
    Channel,
    Envelope,
    Queue,
    RejectReason,
)
from streams.core.buckets import ANSWER_BUCKETS_S, CALLBACK_BUCKETS_S
from streams.core.callbacks import Attempt, CallbackRules, LegSeen, NotOwed, Owed
from streams.core.callbacks import owed_callback as _owed_callback
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
_BUCKET_BOUNDS_US = tuple(bound_s * 1_000_000 for bound_s in ANSWER_BUCKETS_S)
_BUCKETS_FROM = tuple(
    (0,) * i + (1,) * (len(ANSWER_BUCKETS_S) - i) for i in range(len(ANSWER_BUCKETS_S) + 1)
)
"""The answer-time counts of a wait that first fits under bound ``i``: a leg's vector
is built from these whole, as it is worked out for every event of its call."""


def _leg_vector(**counts: int) -> tuple[int, ...]:
    vector = [0] * LEG_WIDTH
    for name, value in counts.items():
        vector[LegCount[name.upper()]] = value
    return tuple(vector)


_OFFERED_ONLY = _leg_vector(offered=1)
_SHORT_ABANDONED = _leg_vector(offered=1, short_abandoned=1)
_ABANDONED_WITHIN = _leg_vector(offered=1, abandoned=1, abandoned_within_target=1)
_ABANDONED_OVER = _leg_vector(offered=1, abandoned=1)


class CallCount(IntEnum):
    """Per channel, by when the call was first offered."""

    CONTACTS = 0
    """Calls offered (once per call, whatever its transfers): channel share."""
    SETTLED = 1
    """Calls whose every leg has an outcome."""
    COMBINED_WAIT_US_SUM = 2
    """Sum over settled calls of their legs' waits: the caller's experience."""


class FirstLegCount(IntEnum):
    """Per channel, by when the call was first offered: its first leg, the caller's first
    wait (the national 101 working group's mean speed of answer). Kept in a tally of its
    own, after the two every release reads (`Ledger.shared_tallies`)."""

    ANSWERED = 0
    """Calls whose first leg was answered."""
    ANSWER_US_SUM = 1
    """Their first legs' waits, summed."""


_FIRST_UNANSWERED = (0, 0)
_NO_CALLBACK = (NOTHING, NOTHING, NOTHING)


class CallbackCount(IntEnum):
    """Per channel, by when the abandoned leg was offered: call-backs owed, and how they
    went (`streams.core.callbacks`). After these come one count per time-to-first-attempt
    bucket: call-backs first attempted within ``CALLBACK_BUCKETS_S[i]`` seconds."""

    OWED = 0
    FIRST_ATTEMPTED = 1
    FIRST_ATTEMPT_WITHIN_TARGET = 2
    FIRST_ATTEMPT_US_SUM = 3
    """Abandon to first attempt, summed over those attempted."""
    RESOLVED = 4
    RESOLVED_WITHIN_TARGET = 5
    ATTEMPTS = 6
    """Attempts up to and including the resolving one."""


CALLBACK_WIDTH = len(CallbackCount) + len(CALLBACK_BUCKETS_S)
_CALLBACK_BOUNDS_US = tuple(bound_s * 1_000_000 for bound_s in CALLBACK_BUCKETS_S)
_CALLBACK_BUCKETS_FROM = tuple(
    (0,) * i + (1,) * (len(CALLBACK_BUCKETS_S) - i) for i in range(len(CALLBACK_BUCKETS_S) + 1)
)


class CallbackAttemptCount(IntEnum):
    """Per (channel, outcome), by when the abandoned leg was offered."""

    ATTEMPTS = 0
    """Attempts with this outcome, up to and including the resolving one."""
    RESOLVED = 1
    """Call-backs resolved by an attempt with this outcome."""


class NotOwedCount(IntEnum):
    """Per (channel, why nothing is owed), by when the call was first offered."""

    CALLBACKS = 0
    """Call-backs on calls that owe none: valid, and changing no other figure."""


class Outcome(IntEnum):
    ANSWERED = 1
    ABANDONED = 2


@dataclass(slots=True)
class Queued:
    queue: Queue
    at_us: int
    channel: Channel
    raw: bytes | None
    """Its bytes, kept while the call is unsettled, in case it has to be dead-lettered."""

    def __init__(self, queue: Queue, at_us: int, channel: Channel, raw: bytes | None) -> None:
        self.queue = queue
        self.at_us = at_us
        self.channel = channel
        self.raw = raw


@dataclass(slots=True)
class LegOutcome:
    queue: Queue
    at_us: int
    outcome: Outcome
    raw: bytes | None

    def __init__(self, queue: Queue, at_us: int, outcome: Outcome, raw: bytes | None) -> None:
        self.queue = queue
        self.at_us = at_us
        self.outcome = outcome
        self.raw = raw


@dataclass(slots=True)
class Call(Lifecycle):
    # Flat tuples in arrival order, not a list per queue: a worker holds a month of
    # calls, nearly all of one or two legs, and a dict and lists each cost more than
    # the call's own figures.
    queued: tuple[Queued, ...] = ()
    outcomes: tuple[LegOutcome, ...] = ()
    ended_us: int | None = None
    ended_raw: bytes | None = None
    callbacks: tuple["CallbackMade", ...] = ()
    lapsed: bool = False
    """Its call-back went unresolved past the staleness limit: owed no longer, live."""

    def __init__(
        self,
        queued: tuple[Queued, ...] = (),
        outcomes: tuple[LegOutcome, ...] = (),
        ended_us: int | None = None,
        ended_raw: bytes | None = None,
        callbacks: tuple["CallbackMade", ...] = (),
        lapsed: bool = False,
    ) -> None:
        Lifecycle.__init__(self)
        self.queued = queued
        self.outcomes = outcomes
        self.ended_us = ended_us
        self.ended_raw = ended_raw
        self.callbacks = callbacks
        self.lapsed = lapsed


@dataclass(slots=True)
class CallbackMade:
    """One `call.callback`: an attempt to call the caller back."""

    at_us: int
    outcome: CallbackOutcome
    raw: bytes | None

    def __init__(self, at_us: int, outcome: CallbackOutcome, raw: bytes | None) -> None:
        self.at_us = at_us
        self.outcome = outcome
        self.raw = raw


@dataclass(slots=True)
class Leg:
    queue: Queue
    queued: Queued
    outcome: LegOutcome | None = None

    def __init__(self, queue: Queue, queued: Queued, outcome: LegOutcome | None = None) -> None:
        self.queue = queue
        self.queued = queued
        self.outcome = outcome


Legs = tuple[list["Leg"], list[tuple[Queue, LegOutcome]]]

_QUEUES = tuple(Queue)


def legs_of(call: Call) -> Legs:
    """The call's legs in the order offered, and the outcomes with no leg to close (yet)."""
    legs: list[Leg] = []
    lone: list[tuple[Queue, LegOutcome]] = []
    all_queued, all_outcomes = call.queued, call.outcomes
    if len(all_queued) == 1 and len(all_outcomes) <= 1:  # nearly every call: no sorting
        only = all_queued[0]
        queue = only.queue
        if not all_outcomes or all_outcomes[0].queue is queue:
            leg = Leg(queue, only)
            if all_outcomes:
                if all_outcomes[0].at_us >= only.at_us:
                    leg.outcome = all_outcomes[0]
                else:
                    lone.append((queue, all_outcomes[0]))
            return [leg], lone
    for queue in _QUEUES:
        queued = [q for q in all_queued if q.queue is queue]
        outcomes = [o for o in all_outcomes if o.queue is queue]
        if not queued and not outcomes:
            continue
        steps = [(q.at_us, 0, i) for i, q in enumerate(queued)]
        steps += [(o.at_us, 1, i) for i, o in enumerate(outcomes)]
        open_legs: list[Leg] = []
        for _, kind, i in sorted(steps):  # queued before an outcome at the same instant
            if kind == 0:
                leg = Leg(queue, queued[i])
                legs.append(leg)
                open_legs.append(leg)
            elif open_legs:
                open_legs.pop().outcome = outcomes[i]
            else:
                lone.append((queue, outcomes[i]))
    if len(legs) > 1:
        legs.sort(key=lambda leg: leg.queued.at_us)
    return legs, lone


def _close(leg: Leg, call: Call) -> tuple[Outcome, int] | None:
    """The leg's outcome: its own, or abandoned when the call ended without one."""
    if leg.outcome is not None:
        return leg.outcome.outcome, leg.outcome.at_us
    if call.ended_us is not None:
        return Outcome.ABANDONED, max(call.ended_us, leg.queued.at_us)
    return None


def _handled_until(call: Call, legs: list[Leg], leg: Leg, answered_us: int) -> int | None:
    """When the handler let the call go: its next leg queued (a transfer) or its end."""
    later = [
        other.queued.at_us
        for other in legs
        if other is not leg and other.queued.at_us >= answered_us
    ]
    if later:
        return min(later)
    if call.ended_us is not None:
        return max(call.ended_us, answered_us)
    return None


def _settled(call: Call, legs: list[Leg], lone: list) -> bool:
    if lone or (call.ended_us is not None and not legs) or (call.callbacks and not legs):
        return False
    return all(_close(leg, call) is not None for leg in legs)


def _has_abandon(call: Call, legs: list[Leg]) -> bool:
    """Whether a leg was abandoned: cheaper to ask than what the call owes."""
    for leg in legs:
        outcome = leg.outcome
        if (call.ended_us is not None) if outcome is None else outcome.outcome is Outcome.ABANDONED:
            return True
    return False


def legs_seen(call: Call, legs: list[Leg]) -> list[LegSeen]:
    """The call's legs as the call-back rules read them."""
    seen = []
    for leg in legs:
        closed = _close(leg, call)
        queued = leg.queued
        if closed is None:
            seen.append(LegSeen(queued.channel, queued.at_us))
        elif closed[0] is Outcome.ANSWERED:
            seen.append(LegSeen(queued.channel, queued.at_us, answered_us=closed[1]))
        else:
            seen.append(LegSeen(queued.channel, queued.at_us, abandoned_us=closed[1]))
    return seen


def _let_go_of_bytes(call: Call) -> None:
    """A settled call has nothing left to dead-letter: keeping its bytes would only grow
    the state. Should a later event unsettle it and the partner never come, the dead
    letter says so, without the bytes."""
    for queued in call.queued:
        queued.raw = None
    for outcome in call.outcomes:
        outcome.raw = None
    for callback in call.callbacks:
        callback.raw = None
    call.ended_raw = None


def _orphan(call: Call, part: "LegOutcome | Queued | CallbackMade | None") -> DeadLetter:
    """The dead letter of a part that waited too long for its partner."""
    if isinstance(part, CallbackMade):
        detail = "call.callback with no call.queued of its call within the grace period"
        raw = part.raw
    elif isinstance(part, LegOutcome):
        detail = (f"call outcome at {part.queue.value} with no call.queued there before it "
                  "within the grace period")  # fmt: skip
        raw = part.raw
    elif isinstance(part, Queued):
        detail = (f"call queued at {part.queue.value} with no outcome or call.ended within "
                  "the longest credible wait")  # fmt: skip
        raw = part.raw
    else:
        detail, raw = "call.ended with no call.queued within the grace period", call.ended_raw
    if raw is None:
        return DeadLetter(
            RejectReason.ORPHAN, f"{detail} (its bytes were let go when the call settled)", b""
        )
    return DeadLetter(RejectReason.ORPHAN, detail, raw)


class CallLedger(Ledger):
    tally_widths: tuple[int, ...] = (
        LEG_WIDTH,
        len(CallCount),
        len(FirstLegCount),
        CALLBACK_WIDTH,
        len(CallbackAttemptCount),
        len(NotOwedCount),
    )
    shared_tallies: int = 2

    def __init__(
        self, targets: Targets, grace_us: int, stale_us: int, close_after_us: int = 0
    ) -> None:
        super().__init__(targets, grace_us, stale_us, close_after_us)
        self._targets_by_day: dict[tuple[date, Channel, Queue], ResolvedQueueTarget] = {}
        self._callback_rules: dict[date, CallbackRules] = {}
        self._known: tuple[Call, Legs] | None = None
        self._owed: tuple[Call, Owed | NotOwed] | None = None
        """What that same call owes, asked as often (settled? overdue? what counts?)."""
        """The legs of the call an event is being applied to, asked for several times an
        event: one call's only, so a month of calls does not each keep its legs."""

    def _legs(self, call: Call) -> Legs:
        known = self._known
        if known is None or known[0] is not call:
            known = self._known = (call, legs_of(call))
        return known[1]

    def new(self) -> Call:
        return Call()

    def update(self, call: Call, event: Envelope, event_us: int, raw: bytes) -> None:
        self._known = self._owed = None  # the call is about to change
        if isinstance(event, CallQueued):
            queue = event.queue
            if any(q.queue is queue and q.at_us == event_us for q in call.queued):
                raise Conflict("the call was already queued at this queue at that instant")
            call.queued += (Queued(queue, event_us, event.channel, raw),)
        elif isinstance(event, CallAnswered | CallAbandoned):
            queue = event.queue
            if any(o.queue is queue and o.at_us == event_us for o in call.outcomes):
                raise Conflict("the call already has an outcome at this queue at that instant")
            answered = isinstance(event, CallAnswered)
            outcome = Outcome.ANSWERED if answered else Outcome.ABANDONED
            call.outcomes += (LegOutcome(queue, event_us, outcome, raw),)
        elif isinstance(event, CallEnded):
            if call.ended_us is not None:
                raise Conflict("the call already ended")
            call.ended_us, call.ended_raw = event_us, raw
        elif isinstance(event, CallCallback):
            if any(c.at_us == event_us for c in call.callbacks):
                raise Conflict("the call already has a call-back attempt at that instant")
            call.callbacks += (CallbackMade(event_us, event.outcome, raw),)
        if self.is_settled(call):
            _let_go_of_bytes(call)

    def contributions(self, call: Call) -> tuple[Contribution, ...]:
        leg_counts = []
        waits = []
        offered = []
        settled = True
        combined_us = 0
        first_vector = _FIRST_UNANSWERED
        abandons = False
        legs, lone = self._legs(call)
        if lone:
            settled = False
        for leg in legs:
            queued_us, channel, queue = leg.queued.at_us, leg.queued.channel, leg.queue
            offered.append((queued_us, channel))
            dim = (channel, queue)
            closed = _close(leg, call)
            if closed is None:
                settled = False
                vector = _OFFERED_ONLY
            else:
                outcome, outcome_us = closed
                wait = max(0, outcome_us - queued_us)
                combined_us += wait
                waits.append((dim, queued_us, wait))
                target = self.target(channel, queue, queued_us)
                within = int(wait <= target.answer_within_us)
                if outcome is Outcome.ANSWERED:
                    if leg is legs[0]:  # legs come in the order offered
                        first_vector = (1, wait)
                    handled_until = _handled_until(call, legs, leg, outcome_us)
                    handled, handle_us = (
                        (0, 0) if handled_until is None else (1, handled_until - outcome_us)
                    )
                    vector = (  # in LegCount's order
                        1,
                        1,
                        within,
                        int(wait < HOME_OFFICE_THRESHOLD_US),
                        0,
                        0,
                        0,
                        wait,
                        handled,
                        handle_us,
                        int(wait < 60_000_000),
                    ) + _BUCKETS_FROM[bisect_left(_BUCKET_BOUNDS_US, wait)]
                elif wait < target.short_abandon_us:
                    abandons = True
                    vector = _SHORT_ABANDONED
                else:
                    abandons = True
                    vector = _ABANDONED_WITHIN if within else _ABANDONED_OVER
            leg_counts.append((dim, queued_us, vector))
        if not offered:
            return (Contribution(tuple(leg_counts), tuple(waits)), NOTHING, NOTHING, *_NO_CALLBACK)
        first_us, channel = min(offered)
        call_vector = (1, int(settled), combined_us if settled else 0)
        return (
            Contribution(tuple(leg_counts), tuple(waits)),
            Contribution((((channel,), first_us, call_vector),)),
            Contribution((((channel,), first_us, first_vector),)),
            *(self._callback_counts(call, channel, first_us) if abandons or call.callbacks
              else _NO_CALLBACK),
        )  # fmt: skip

    def callback_rules(self, offered_us: int) -> CallbackRules:
        """The call-back rules for a call first offered at ``offered_us``."""
        day = london_day(offered_us)
        rules = self._callback_rules.get(day)
        if rules is None:
            found = self.targets.callbacks_on(day)
            rules = CallbackRules(
                frozenset(found.channels), found.first_attempt_us, found.resolve_us, found.stale_us
            )
            self._callback_rules[day] = rules
        return rules

    def owed(self, call: Call) -> Owed | NotOwed:
        """What the call owes by way of a call-back (`streams.core.callbacks`)."""
        known = self._owed
        if known is not None and known[0] is call:
            return known[1]
        legs = self._legs(call)[0]
        owed: Owed | NotOwed = NotOwed.NOT_ABANDONED
        if legs:
            rules = self.callback_rules(legs[0].queued.at_us)
            attempts = [Attempt(c.at_us, c.outcome) for c in call.callbacks]
            owed = _owed_callback(legs_seen(call, legs), attempts, rules)
        self._owed = (call, owed)
        return owed

    def _callback_counts(
        self, call: Call, channel: Channel, first_us: int
    ) -> tuple[Contribution, Contribution, Contribution]:
        owed = self.owed(call)
        if isinstance(owed, NotOwed):
            if not call.callbacks:
                return NOTHING, NOTHING, NOTHING
            not_owed = (len(call.callbacks),)
            return NOTHING, NOTHING, Contribution((((channel, owed), first_us, not_owed),))
        offered_us, dim = owed.offered_us, (owed.channel,)
        attempted = owed.first_attempt_us is not None
        waited = owed.first_attempt_us - owed.owed_us if owed.first_attempt_us is not None else 0
        vector = (  # in CallbackCount's order
            1,
            int(attempted),
            int(owed.first_attempt_within),
            waited,
            int(owed.resolved_us is not None),
            int(owed.resolved_within),
            owed.attempts,
        ) + _CALLBACK_BUCKETS_FROM[bisect_left(_CALLBACK_BOUNDS_US, waited) if attempted else -1]
        by_outcome: dict[CallbackOutcome, list[int]] = {}
        for outcome in owed.outcomes:
            by_outcome.setdefault(outcome, [0, 0])[0] += 1
        if owed.resolution is not None:
            by_outcome[owed.resolution][1] = 1
        attempts = tuple(
            ((owed.channel, outcome), offered_us, (tried, resolved))
            for outcome, (tried, resolved) in sorted(by_outcome.items())
        )
        return (Contribution(((dim, offered_us, vector),)), Contribution(attempts), NOTHING)

    def callback_open(self, call: Call) -> Owed | None:
        """The call's call-back while it is owed: unresolved and not lapsed."""
        if call.lapsed or not _has_abandon(call, self._legs(call)[0]):
            return None
        owed = self.owed(call)
        if isinstance(owed, NotOwed) or owed.resolved_us is not None:
            return None
        return owed

    def _waiting(self, call: Call) -> list[tuple[int, "LegOutcome | Queued | CallbackMade | None"]]:
        """Each part of the call waiting for a partner, with the instant after which it
        waits no longer: a lone outcome, a leg's `Queued`, the call's end (``None``), or a
        call-back on a call with no leg. Asked on every event of the call, so no dead
        letter's text is made here."""
        legs, lone = self._legs(call)
        parts: list[tuple[int, LegOutcome | Queued | CallbackMade | None]] = [
            (outcome.at_us + self.grace_us, outcome) for _, outcome in lone
        ]
        if call.ended_us is not None and not call.queued:
            parts.append((call.ended_us + self.grace_us, None))
        if call.ended_us is None:
            parts += [
                (leg.queued.at_us + self.stale_us, leg.queued) for leg in legs if not leg.outcome
            ]
        if call.callbacks and not call.queued:
            parts += [(callback.at_us + self.grace_us, callback) for callback in call.callbacks]
        return parts

    def _lapses_at(self, call: Call) -> int | None:
        """When its owed call-back, unresolved, stops being owed live (None: none is)."""
        owed = self.callback_open(call)
        return None if owed is None else owed.stale_us

    def overdue_after(self, call: Call) -> int | None:
        deadlines = [deadline for deadline, _ in self._waiting(call)]
        lapses_at = self._lapses_at(call)
        if lapses_at is not None:
            deadlines.append(lapses_at)
        return min(deadlines, default=None)

    def expire(self, call: Call, stream_us: int) -> list[DeadLetter]:
        lapses_at = self._lapses_at(call)
        if lapses_at is not None and lapses_at < stream_us:
            call.lapsed = True
        gone = [part for deadline, part in self._waiting(call) if deadline < stream_us]
        dead = [_orphan(call, part) for part in gone]
        if any(part is None for part in gone):
            call.ended_us = call.ended_raw = None
        call.outcomes = tuple(o for o in call.outcomes if all(o is not g for g in gone))
        call.queued = tuple(q for q in call.queued if all(q is not g for g in gone))
        call.callbacks = tuple(c for c in call.callbacks if all(c is not g for g in gone))
        self._known = self._owed = None
        if self.is_settled(call):
            _let_go_of_bytes(call)
        return dead

    def is_settled(self, call: Call) -> bool:
        legs, lone = self._legs(call)
        return _settled(call, legs, lone) and self.callback_open(call) is None

    def waiting(self) -> list[tuple[Channel, Queue, int]]:
        """Legs waiting now, as the live view knows the calls: (channel, queue, queued µs)."""
        live = self.unsettled_live()
        return [
            (leg.queued.channel, leg.queue, leg.queued.at_us)
            for call in live
            if call.ended_us is None
            for leg in legs_of(call)[0]
            if leg.outcome is None
        ]

    def callbacks_owed(self) -> list[Owed]:
        """Call-backs owed, as the live view knows the calls (lapsed ones aside)."""
        owed = (self.callback_open(call) for call in self.unsettled_live())
        return [callback for callback in owed if callback is not None]

    def target(self, channel: Channel, queue: Queue, offered_us: int) -> ResolvedQueueTarget:
        """The target in force on the day the leg was offered."""
        key = (london_day(offered_us), channel, queue)
        found = self._targets_by_day.get(key)
        if found is None:
            found = self.targets.calls_on(key[0]).resolve(channel, queue)
            self._targets_by_day[key] = found
        return found

    def lifecycle_to_json(self, call: Call) -> dict:
        queued: dict[str, list] = {}
        for q in call.queued:
            queued.setdefault(q.queue.value, []).append([q.at_us, q.channel.value, pack(q.raw)])
        outcomes: dict[str, list] = {}
        for o in call.outcomes:
            outcomes.setdefault(o.queue.value, []).append([o.at_us, int(o.outcome), pack(o.raw)])
        data: dict[str, object] = {
            "ended": [call.ended_us, pack(call.ended_raw)],
            "q": queued,
            "o": outcomes,
        }
        if call.callbacks:
            data["cb"] = [[c.at_us, c.outcome.value, pack(c.raw)] for c in call.callbacks]
        if call.lapsed:
            data["lapsed"] = True
        return data

    def lifecycle_copy(self, call: Call) -> Call:
        return Call(
            tuple(Queued(q.queue, q.at_us, q.channel, q.raw) for q in call.queued),
            tuple(LegOutcome(o.queue, o.at_us, o.outcome, o.raw) for o in call.outcomes),
            call.ended_us,
            call.ended_raw,
            tuple(CallbackMade(c.at_us, c.outcome, c.raw) for c in call.callbacks),
            call.lapsed,
        )

    def lifecycle_from_json(self, data: dict) -> Call:
        if "legs" in data:
            return _from_one_leg_per_queue(data)
        ended_us, ended_raw = data["ended"]
        return Call(
            queued=tuple(
                Queued(Queue(queue), at, Channel(channel), unpack(raw))
                for queue, rows in data["q"].items()
                for at, channel, raw in rows
            ),
            outcomes=tuple(
                LegOutcome(Queue(queue), at, Outcome(outcome), unpack(raw))
                for queue, rows in data["o"].items()
                for at, outcome, raw in rows
            ),
            ended_us=ended_us,
            ended_raw=unpack(ended_raw),
            callbacks=tuple(
                CallbackMade(at, CallbackOutcome(outcome), unpack(raw))
                for at, outcome, raw in data.get("cb", ())
            ),
            lapsed=data.get("lapsed", False),
        )


def _from_one_leg_per_queue(data: dict) -> Call:
    """A call as checkpoints of version 2 kept it: at most one leg per queue."""
    call = Call(ended_us=data["ended"])
    for queue, (queued, channel, outcome, outcome_us, raw) in data["legs"].items():
        # The bytes were kept for a leg's lone half only.
        if queued is not None:
            kept = unpack(raw) if outcome is None else None
            call.queued += (Queued(Queue(queue), queued, Channel(channel), kept),)
        if outcome is not None:
            kept = unpack(raw) if queued is None else None
            call.outcomes += (LegOutcome(Queue(queue), outcome_us, Outcome(outcome), kept),)
    return call
