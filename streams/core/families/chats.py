"""Live Chat: one wait per chat, as a call leg's (`streams.core.chats`)."""

from datetime import date

from schemas import Family
from streams.core.chats import DIM as CHAT_DIM
from streams.core.chats import ChatCount, ChatLedger
from streams.core.families.declare import (
    Contacts,
    Count,
    FamilySpec,
    Now,
    Quiet,
    Row,
    TargetFigures,
    gauge,
)
from streams.core.targets import Targets
from streams.core.timebase import US


def _chat(count: ChatCount, metric: str, text: str, pack: str, scale: int = 1) -> Count:
    return Count(count, metric, text, ("window",), pack=pack, scale=scale)


CHATS_WAITING = gauge("ccm_chats_waiting", (), "Chats waiting to be accepted now.")
OLDEST_CHAT_WAIT = gauge(
    "ccm_chat_oldest_wait_seconds",
    (),
    "How long the longest-waiting chat has waited now.",
    "max",
)
CHAT_ROW = Row(
    "chats",
    counts=(
        _chat(
            ChatCount.REQUESTED,
            "ccm_chats_requested",
            "Chats requested in the window.",
            "requested",
        ),
        _chat(
            ChatCount.ACCEPTED,
            "ccm_chats_accepted",
            "Chats requested in the window and accepted.",
            "accepted",
        ),
        _chat(
            ChatCount.ACCEPTED_WITHIN_TARGET,
            "ccm_chats_accepted_within_target",
            "Accepted chats whose wait was at most the chat target.",
            "accepted_within_target",
        ),
        _chat(
            ChatCount.ABANDONED,
            "ccm_chats_abandoned",
            "Chats abandoned, or ended before acceptance.",
            "abandoned",
        ),
        _chat(
            ChatCount.ABANDONED_WITHIN_TARGET,
            "ccm_chats_abandoned_within_target",
            "Abandoned chats that waited at most the target.",
            "abandoned_within_target",
        ),
        _chat(
            ChatCount.OUTSIDE_HOURS,
            "ccm_chats_requested_while_closed",
            "Chats requested outside the opening hours (07:00-23:00 Europe/London).",
            "outside_hours",
        ),
        _chat(
            ChatCount.ACCEPT_US_SUM,
            "ccm_chats_accepted_wait_seconds",
            "Sum of waits of accepted chats: average = this / ccm_chats_accepted.",
            "accept_us_sum",
            scale=US,
        ),
    ),
    labels=lambda _dim, _targets: (),
    key=lambda _dim: (),
    standard=lambda _targets, _day: (CHAT_DIM,),
    longest_wait=gauge(
        "ccm_chat_longest_wait_seconds",
        ("window",),
        "Longest wait of a chat requested in the window.",
        "max",
    ),
    gauges=(
        CHATS_WAITING,
        OLDEST_CHAT_WAIT,
    ),
)

ACCEPT_TARGET = gauge(
    "ccm_chat_accept_target_seconds", (), "Chat acceptance target in force today.", "max"
)
CHAT_SERVICE_LEVEL_OBJECTIVE = gauge(
    "ccm_chat_service_level_objective_ratio",
    (),
    "Share of chats to accept within target (objective).",
    "max",
)


def _chats_now(ledger: ChatLedger, ref_us: int, _live: bool) -> Now:
    now = Now()
    for requested_us in ledger.waiting():
        now.gauges += [
            (CHATS_WAITING, (), 1),
            (OLDEST_CHAT_WAIT, (), max(0, ref_us - requested_us) / US),
        ]
    return now


def _chat_targets(targets: Targets, day: date) -> TargetFigures:
    chat = targets.chat_on(day)
    yield ACCEPT_TARGET, (), chat.accept_within_seconds
    yield CHAT_SERVICE_LEVEL_OBJECTIVE, (), chat.service_level_objective


CHATS_QUIET_MINUTES = 60


def chat_open_utc_hours(targets: Targets) -> tuple[int, int]:
    """UTC hours [start, end) inside Live Chat's opening hours in GMT and BST alike, less
    the allowance for quiet after opening. Prometheus has no time zones: London is UTC
    or UTC+1, so an hour is open in both when it is open in London's later offset too."""
    opens = max(c.opens.hour + (c.opens.minute > 0) for c in targets.chat)
    closes = min(c.closes.hour for c in targets.chat)
    return opens + CHATS_QUIET_MINUTES // 60, closes - 1


CHATS = FamilySpec(
    Family.CHATS,
    ledger=ChatLedger,
    stale=lambda rules: rules.stale_us,
    topic_setting="topic_chats",
    rows=(CHAT_ROW,),
    metrics=(
        *CHAT_ROW.specs(),
        CHAT_ROW.longest_wait,
        CHATS_WAITING,
        OLDEST_CHAT_WAIT,
        ACCEPT_TARGET,
        CHAT_SERVICE_LEVEL_OBJECTIVE,
    ),
    now=_chats_now,
    targets=_chat_targets,
    contacts=Contacts("chats", ChatCount.REQUESTED, lambda _dim: "chat", ("chat",)),
    quiet=Quiet(
        CHATS_QUIET_MINUTES,
        "ticket",
        "chats arrive every hour while Live Chat is open",
        hours=chat_open_utc_hours,
        within="Live Chat's opening hours",
    ),
)
