"""Live Chat: requested -> accepted | abandoned, by when the chat was requested.

The same figures as a call leg (wait to accept, abandonment, waiting now), plus
chats requested outside the opening hours in force that day.
"""

from dataclasses import dataclass
from enum import IntEnum

from schemas import ChatAbandoned, ChatAccepted, ChatEnded, ChatRequested, Envelope, RejectReason
from streams.core.ledger import Conflict, DeadLetter, Ledger, Lifecycle, pack, unpack
from streams.core.tally import Contribution
from streams.core.targets import ChatTargets
from streams.core.timebase import london_day, london_time_of_day

DIM = ("chat",)


class ChatCount(IntEnum):
    REQUESTED = 0
    ACCEPTED = 1
    ACCEPTED_WITHIN_TARGET = 2
    ABANDONED = 3
    ABANDONED_WITHIN_TARGET = 4
    OUTSIDE_HOURS = 5
    ACCEPT_US_SUM = 6


@dataclass(slots=True)
class Chat(Lifecycle):
    requested_us: int | None = None
    accepted: bool | None = None
    outcome_us: int | None = None
    ended_us: int | None = None
    unmatched_raw: bytes | None = None
    ended_raw: bytes | None = None
    """The chat.ended's bytes while no chat.requested goes with it."""

    def __init__(
        self,
        requested_us: int | None = None,
        accepted: bool | None = None,
        outcome_us: int | None = None,
        ended_us: int | None = None,
        unmatched_raw: bytes | None = None,
        ended_raw: bytes | None = None,
    ) -> None:
        Lifecycle.__init__(self)
        self.requested_us = requested_us
        self.accepted = accepted
        self.outcome_us = outcome_us
        self.ended_us = ended_us
        self.unmatched_raw = unmatched_raw
        self.ended_raw = ended_raw


def _close(chat: Chat) -> tuple[bool, int] | None:
    if chat.accepted is not None and chat.outcome_us is not None:
        return chat.accepted, chat.outcome_us
    if chat.ended_us is not None and chat.requested_us is not None:
        return False, max(chat.ended_us, chat.requested_us)
    return None


class ChatLedger(Ledger):
    tally_widths: tuple[int, ...] = (len(ChatCount),)

    def new(self) -> Chat:
        return Chat()

    def rules(self, requested_us: int) -> ChatTargets:
        return self.targets.chat_on(london_day(requested_us))

    def update(self, chat: Chat, event: Envelope, event_us: int, raw: bytes) -> None:
        if isinstance(event, ChatRequested):
            if chat.requested_us is not None:
                raise Conflict("the chat was already requested")
            chat.requested_us = event_us
            chat.unmatched_raw = None if chat.accepted is not None else raw
            chat.ended_raw = None
        elif isinstance(event, ChatAccepted | ChatAbandoned):
            if chat.accepted is not None:
                raise Conflict("the chat already has an outcome")
            chat.accepted = isinstance(event, ChatAccepted)
            chat.outcome_us = event_us
            chat.unmatched_raw = None if chat.requested_us is not None else raw
        elif isinstance(event, ChatEnded):
            if chat.ended_us is not None:
                raise Conflict("the chat already ended")
            chat.ended_us = event_us
            chat.ended_raw = None if chat.requested_us is not None else raw

    def contributions(self, chat: Chat) -> tuple[Contribution, ...]:
        if chat.requested_us is None:
            return (Contribution(),)
        rules = self.rules(chat.requested_us)
        vector = [0] * len(ChatCount)
        vector[ChatCount.REQUESTED] = 1
        vector[ChatCount.OUTSIDE_HOURS] = int(
            not rules.is_open_at(london_time_of_day(chat.requested_us))
        )
        waits: tuple = ()
        closed = _close(chat)
        if closed is not None:
            accepted, outcome_us = closed
            wait = max(0, outcome_us - chat.requested_us)
            within = int(wait <= rules.accept_within_seconds * 1_000_000)
            waits = ((DIM, chat.requested_us, wait),)
            if accepted:
                vector[ChatCount.ACCEPTED] = 1
                vector[ChatCount.ACCEPTED_WITHIN_TARGET] = within
                vector[ChatCount.ACCEPT_US_SUM] = wait
            else:
                vector[ChatCount.ABANDONED] = 1
                vector[ChatCount.ABANDONED_WITHIN_TARGET] = within
        return (Contribution(((DIM, chat.requested_us, tuple(vector)),), waits),)

    def overdue_after(self, chat: Chat) -> int | None:
        deadlines = [
            d for d in (self._end_deadline(chat), self._part_deadline(chat)) if d is not None
        ]
        return min(deadlines, default=None)

    def _end_deadline(self, chat: Chat) -> int | None:
        """Until when a chat.ended with no chat.requested waits for it."""
        if chat.ended_raw is None or chat.ended_us is None:
            return None
        return chat.ended_us + self.grace_us

    def _part_deadline(self, chat: Chat) -> int | None:
        """Until when a request, or an outcome, with no partner yet waits for it."""
        if chat.unmatched_raw is None:
            return None
        if chat.requested_us is None:
            return None if chat.outcome_us is None else chat.outcome_us + self.grace_us
        return chat.requested_us + self.stale_us if _close(chat) is None else None

    def _lone_end(self, chat: Chat, stream_us: int) -> bool:
        deadline = self._end_deadline(chat)
        return deadline is not None and deadline < stream_us

    def _lone_part(self, chat: Chat, stream_us: int) -> bool:
        deadline = self._part_deadline(chat)
        return deadline is not None and deadline < stream_us

    def expire(self, chat: Chat, stream_us: int) -> list[DeadLetter]:
        dead = []
        if self._lone_end(chat, stream_us):
            raw, chat.ended_raw, chat.ended_us = chat.ended_raw or b"", None, None
            dead.append(
                DeadLetter(
                    RejectReason.ORPHAN,
                    "chat.ended with no chat.requested within the grace period",
                    raw,
                )
            )
        if not self._lone_part(chat, stream_us):
            return dead
        raw, chat.unmatched_raw = chat.unmatched_raw or b"", None
        if chat.requested_us is None:
            chat.accepted = chat.outcome_us = None
            detail = "chat outcome with no chat.requested within the grace period"
        else:
            chat.requested_us = None
            detail = "chat requested with no outcome or chat.ended within the longest credible wait"
        dead.append(DeadLetter(RejectReason.ORPHAN, detail, raw))
        return dead

    def is_settled(self, chat: Chat) -> bool:
        return (
            chat.unmatched_raw is None
            and chat.ended_raw is None
            and (chat.requested_us is None or _close(chat) is not None)
        )

    def waiting(self) -> list[int]:
        """Request instants of chats waiting now, as the live view knows them."""
        return [
            chat.requested_us
            for chat in self.unsettled_live()
            if chat.requested_us is not None and chat.accepted is None and chat.ended_us is None
        ]

    def lifecycle_to_json(self, chat: Chat) -> dict:
        return {
            "c": [chat.requested_us, chat.accepted, chat.outcome_us, chat.ended_us],
            "raw": pack(chat.unmatched_raw),
            **({"e": pack(chat.ended_raw)} if chat.ended_raw is not None else {}),
        }

    def lifecycle_from_json(self, data: dict) -> Chat:
        requested, accepted, outcome, ended = data["c"]
        return Chat(
            requested_us=requested,
            accepted=accepted,
            outcome_us=outcome,
            ended_us=ended,
            unmatched_raw=unpack(data["raw"]),
            ended_raw=unpack(data.get("e")),
        )
