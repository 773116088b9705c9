"""Call-backs owed on abandoned calls (SPEC section 4).

A caller who hangs up on 999 may be unable to speak, so the call is called back. A
call owes a call-back when one of its legs is abandoned on a channel that owes them
(999 by default), short abandons included, since silent callers hang up fast. It owes
from the instant of its first such abandon, unless a later leg of the same call is
answered before any call-back attempt: the caller got through, and nothing more is
owed. Each `call.callback` is an attempt; ``reached``, ``recontacted`` and ``referred``
resolve the call-back, ``no_answer``, ``engaged`` and ``voicemail`` do not.

- **first attempt within target**: the first attempt made no later than the abandon
  plus the first-attempt target (to the microsecond, as attendance);
- **resolved within target**: the resolving attempt no later than the abandon plus the
  resolution target;
- an owed call-back stays **open** until resolved, or until the staleness limit after
  the abandon: it then leaves the live view and counts, for good, as unresolved;
- it counts in the day and month of the abandoned leg's offer (its queued instant), as
  every leg's figures do: an abandon at 23:55 called back after midnight is the first
  day's;
- attempts after the resolving one, and attempts on a call that owes nothing, change no
  figure (the latter are counted apart, by why nothing is owed).

All instants are integer µs of UTC, so a 10-minute target across the October change
is 10 real minutes.
"""

from dataclasses import dataclass
from enum import StrEnum

from schemas import CallbackOutcome, Channel

RESOLVING = frozenset(
    {CallbackOutcome.REACHED, CallbackOutcome.RECONTACTED, CallbackOutcome.REFERRED}
)
ABOUT_TO_BREACH = 0.8
"""Share of the first-attempt target elapsed, with no attempt, from which a call-back
is about to breach."""


@dataclass(frozen=True, slots=True)
class CallbackRules:
    """The force's call-back targets in force on the abandoned leg's day."""

    channels: frozenset[Channel]
    """Channels whose abandoned calls are owed a call-back."""
    first_attempt_us: int
    resolve_us: int
    stale_us: int


@dataclass(frozen=True, slots=True)
class LegSeen:
    """One leg of the call, as its events say."""

    channel: Channel
    queued_us: int
    abandoned_us: int | None = None
    answered_us: int | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    at_us: int
    outcome: CallbackOutcome


class NotOwed(StrEnum):
    """Why a call-back on a call changes no figure. Closed: it is a metric label."""

    NOT_ABANDONED = "not_abandoned"
    """No leg of the call was abandoned (answered, or still waiting)."""
    CHANNEL = "channel"
    """Its abandoned legs are on a channel that owes no call-backs."""
    ANSWERED = "answered"
    """A later leg of the call was answered before any call-back."""


@dataclass(frozen=True, slots=True)
class Owed:
    """A call-back owed, and what its attempts made of it."""

    channel: Channel
    offered_us: int
    """The abandoned leg's queued instant: the day and month it counts in."""
    owed_us: int
    """The abandon: the clock starts here."""
    first_attempt_us: int | None
    resolved_us: int | None
    resolution: CallbackOutcome | None
    attempts: int
    """Attempts up to and including the resolving one."""
    first_attempt_within: bool
    resolved_within: bool
    stale_us: int
    """When it stops being open if not resolved by then."""
    first_attempt_deadline_us: int
    outcomes: tuple[CallbackOutcome, ...] = ()
    """The outcomes of the attempts counted, in the order made."""

    def open_at(self, as_of_us: int) -> bool:
        """Owed and not resolved as of ``as_of_us``, and not yet stale."""
        resolved = self.resolved_us is not None and self.resolved_us <= as_of_us
        return self.owed_us <= as_of_us < self.stale_us and not resolved

    def waiting_for_first_attempt(self, as_of_us: int) -> bool:
        attempted = self.first_attempt_us is not None and self.first_attempt_us <= as_of_us
        return self.open_at(as_of_us) and not attempted

    def breached(self, as_of_us: int) -> bool:
        """Open with no attempt, past its first-attempt deadline."""
        return self.waiting_for_first_attempt(as_of_us) and (
            as_of_us > self.first_attempt_deadline_us
        )

    def about_to_breach(self, as_of_us: int, target_us: int) -> bool:
        """Open with no attempt, at least 80 % of the target gone, not yet past it."""
        return (
            self.waiting_for_first_attempt(as_of_us)
            and not self.breached(as_of_us)
            and as_of_us - self.owed_us >= ABOUT_TO_BREACH * target_us
        )


def owed_callback(
    legs: list[LegSeen], attempts: list[Attempt], rules: CallbackRules
) -> Owed | NotOwed:
    """What the call owes, from every leg and attempt seen (in any order)."""
    abandoned = sorted(
        (leg for leg in legs if leg.abandoned_us is not None),
        key=lambda leg: (leg.abandoned_us or 0, leg.queued_us),
    )
    if not abandoned:
        return NotOwed.NOT_ABANDONED
    owing = [leg for leg in abandoned if leg.channel in rules.channels]
    if not owing:
        return NotOwed.CHANNEL
    first = owing[0]
    owed_us = first.abandoned_us if first.abandoned_us is not None else first.queued_us
    tried = sorted((a for a in attempts if a.at_us >= owed_us), key=lambda a: (a.at_us, a.outcome))
    first_attempt_us = tried[0].at_us if tried else None
    answered_later = [
        leg.answered_us
        for leg in legs
        if leg.answered_us is not None and leg.queued_us >= first.queued_us
        and leg.answered_us >= owed_us
    ]  # fmt: skip
    if answered_later and (first_attempt_us is None or min(answered_later) < first_attempt_us):
        return NotOwed.ANSWERED
    resolved_us = resolution = None
    count = 0
    outcomes = []
    for attempt in tried:
        count += 1
        outcomes.append(attempt.outcome)
        if attempt.outcome in RESOLVING:
            resolved_us, resolution = attempt.at_us, attempt.outcome
            break
    stale_us = owed_us + rules.stale_us
    if resolved_us is not None and resolved_us >= stale_us:
        resolved_us = resolution = None  # resolved too late to count: stale, unresolved
    deadline = owed_us + rules.first_attempt_us
    return Owed(
        channel=first.channel,
        offered_us=first.queued_us,
        owed_us=owed_us,
        first_attempt_us=first_attempt_us,
        resolved_us=resolved_us,
        resolution=resolution,
        attempts=count,
        first_attempt_within=first_attempt_us is not None and first_attempt_us <= deadline,
        resolved_within=resolved_us is not None and resolved_us <= owed_us + rules.resolve_us,
        stale_us=stale_us,
        first_attempt_deadline_us=deadline,
        outcomes=tuple(outcomes),
    )
