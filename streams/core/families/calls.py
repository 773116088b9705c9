"""Calls: legs per queue, and the call around them (`streams.core.calls`)."""

from datetime import date
from typing import Any

from schemas import CallbackOutcome, Channel, Family, Queue
from streams.core.buckets import ANSWER_BUCKETS_S, CALLBACK_BUCKETS_S
from streams.core.callbacks import NotOwed
from streams.core.calls import (
    CallbackAttemptCount,
    CallbackCount,
    CallCount,
    CallLedger,
    FirstLegCount,
    LegCount,
    NotOwedCount,
)
from streams.core.families.declare import (
    CONTACTS,
    Contacts,
    Count,
    Distribution,
    FamilySpec,
    MetricSpec,
    Now,
    Quiet,
    Row,
    Staffing,
    TargetFigures,
    first_label,
    gauge,
)
from streams.core.targets import Targets
from streams.core.timebase import US

STANDARD_QUEUES: tuple[tuple[Channel, Queue], ...] = (
    (Channel.EMERGENCY, Queue.FCR),
    (Channel.NON_EMERGENCY, Queue.SWITCHBOARD),
    (Channel.NON_EMERGENCY, Queue.FCR),
    (Channel.NON_EMERGENCY, Queue.RESOLUTION_CENTRE),
)
"""Where calls go in this force; always exposed, at zero when quiet."""

LEG = ("channel", "queue", "window")
QUEUE = ("channel", "queue")


def _leg(count: LegCount, metric: str | None, text: str = "", **kw: Any) -> Count:
    return Count(count, metric, text, LEG, **kw)


POSITIONS_NEEDED = gauge(
    "ccm_call_positions_needed",
    QUEUE,
    "Call handlers needed now to meet the queue's target (Erlang C on the last 15 "
    "minutes' legs offered and the last 24 hours' handling time).",
)
LEGS_WAITING = gauge("ccm_call_legs_waiting", QUEUE, "Legs waiting in the queue now.")
LEGS_WAITING_OVER_TARGET = gauge(
    "ccm_call_legs_waiting_over_target",
    QUEUE,
    "Legs waiting now for longer than the queue's target: already misses.",
)
OLDEST_CALL_WAIT = gauge(
    "ccm_call_oldest_wait_seconds",
    QUEUE,
    "How long the longest-waiting call in the queue has waited now.",
    "max",
)
LEG_ROW = Row(
    "legs",
    counts=(
        _leg(
            LegCount.OFFERED,
            "ccm_call_legs_offered",
            "Call legs offered (queued) in the window.",
            pack="offered",
        ),
        _leg(
            LegCount.ANSWERED,
            "ccm_call_legs_answered",
            "Legs offered in the window and answered.",
            pack="answered",
        ),
        _leg(
            LegCount.ANSWERED_WITHIN_TARGET,
            "ccm_call_legs_answered_within_target",
            "Answered legs whose answer time was at most the queue's target.",
            pack="answered_within_target",
        ),
        _leg(
            LegCount.ANSWERED_UNDER_10S,
            "ccm_call_legs_answered_under_10s",
            "Answered legs answered in strictly less than 10 s (Home Office 999 measure).",
            pack="answered_under_10s",
        ),
        _leg(LegCount.ANSWERED_UNDER_60S, None, pack="answered_under_60s"),
        _leg(
            LegCount.ABANDONED,
            "ccm_call_legs_abandoned",
            "Legs abandoned (caller hung up, or the call ended unanswered), short abandons "
            "excluded.",
            pack="abandoned",
        ),
        _leg(
            LegCount.ABANDONED_WITHIN_TARGET,
            "ccm_call_legs_abandoned_within_target",
            "Abandoned legs (short ones excluded) that waited at most the target.",
            pack="abandoned_within_target",
        ),
        _leg(
            LegCount.SHORT_ABANDONED,
            "ccm_call_legs_short_abandoned",
            "Legs abandoned before the short-abandon threshold: in neither side of service level.",
            pack="short_abandoned",
        ),
        _leg(
            LegCount.ANSWER_US_SUM,
            "ccm_call_legs_answered_wait_seconds",
            "Sum of answer times of answered legs: ASA = this / ccm_call_legs_answered.",
            pack="answer_us_sum",
            scale=US,
        ),
        _leg(
            LegCount.HANDLED,
            "ccm_call_legs_handled",
            "Answered legs whose handling is over (the call was transferred or ended).",
        ),
        _leg(
            LegCount.HANDLE_US_SUM,
            "ccm_call_legs_handle_seconds",
            "Sum of handling times (answer to transfer or end): AHT = this / "
            "ccm_call_legs_handled.",
            scale=US,
        ),
    ),
    labels=lambda dim, _targets: (str(dim[0]), str(dim[1])),
    key=lambda dim: (str(dim[0]), str(dim[1])),
    standard=lambda _targets, _day: STANDARD_QUEUES,
    buckets=ANSWER_BUCKETS_S,
    longest_wait=gauge(
        "ccm_call_longest_wait_seconds",
        LEG,
        "Longest wait (to answer or abandon) of a leg offered in the window.",
        "max",
    ),
    histogram=Distribution(
        MetricSpec("ccm_call_answer_seconds", "histogram", QUEUE, "Answer time of answered legs."),
        timed=LegCount.ANSWERED,
        sum_us=LegCount.ANSWER_US_SUM,
    ),
    gauges=(
        POSITIONS_NEEDED,
        LEGS_WAITING,
        LEGS_WAITING_OVER_TARGET,
        OLDEST_CALL_WAIT,
    ),
)

_CALL = ("channel", "window")
CALL_ROW = Row(
    "calls",
    counts=(
        Count(
            CallCount.SETTLED,
            "ccm_calls_settled",
            "Calls first offered in the window whose every leg has an outcome.",
            _CALL,
            pack="settled",
        ),
        Count(
            CallCount.COMBINED_WAIT_US_SUM,
            "ccm_calls_combined_wait_seconds",
            "Sum over settled calls of all their legs' waits (the caller's wait across transfers).",
            _CALL,
            pack="combined_wait_us_sum",
            scale=US,
        ),
        Count(CallCount.CONTACTS),
    ),
    labels=first_label,
    key=lambda dim: str(dim[0]),
    standard=lambda _targets, _day: ((Channel.EMERGENCY,), (Channel.NON_EMERGENCY,)),
)

FIRST_LEG_ROW = Row(
    "first_legs",
    counts=(
        Count(FirstLegCount.ANSWERED, pack="answered"),
        Count(FirstLegCount.ANSWER_US_SUM, pack="answer_us_sum"),
    ),
    labels=first_label,
    key=lambda dim: str(dim[0]),
    standard=lambda _targets, _day: ((Channel.EMERGENCY,), (Channel.NON_EMERGENCY,)),
)
"""Each call's first leg, for the public page's 101 mean answer time: the monthly pack
only, no live metric."""

_CALLBACK = ("channel", "window")
_BY_OUTCOME = ("channel", "outcome", "window")
CHANNEL = ("channel",)


def _owing(targets: Targets, day: date) -> tuple[tuple[Channel], ...]:
    return tuple((channel,) for channel in targets.callbacks_on(day).channels)


CALLBACKS_OPEN = gauge(
    "ccm_callbacks_open",
    CHANNEL,
    "Abandoned calls owed a call-back now: not yet resolved, within the staleness limit.",
)
CALLBACKS_OLDEST = gauge(
    "ccm_callbacks_oldest_seconds",
    CHANNEL,
    "How long the longest-owed call-back has been owed now (since the abandon).",
    "max",
)
CALLBACKS_ABOUT_TO_BREACH = gauge(
    "ccm_callbacks_about_to_breach",
    CHANNEL,
    "Call-backs owed now with no attempt and at least 80 % of the first-attempt target gone.",
)
CALLBACKS_BREACHED = gauge(
    "ccm_callbacks_breached",
    CHANNEL,
    "Call-backs owed now with no attempt past the first-attempt target.",
)
CALLBACK_ROW = Row(
    "callbacks",
    counts=(
        Count(
            CallbackCount.OWED,
            "ccm_callbacks_owed",
            "Abandoned calls owed a call-back, by when the abandoned leg was offered.",
            _CALLBACK,
            pack="owed",
        ),
        Count(
            CallbackCount.FIRST_ATTEMPTED,
            "ccm_callbacks_first_attempted",
            "Owed call-backs with at least one attempt.",
            _CALLBACK,
            pack="first_attempted",
        ),
        Count(
            CallbackCount.FIRST_ATTEMPT_WITHIN_TARGET,
            "ccm_callbacks_first_attempt_within_target",
            "Owed call-backs first attempted no later than the abandon plus the target.",
            _CALLBACK,
            pack="first_attempt_within_target",
        ),
        Count(
            CallbackCount.FIRST_ATTEMPT_US_SUM,
            "ccm_callbacks_first_attempt_wait_seconds",
            "Sum of abandon-to-first-attempt times: mean = this / ccm_callbacks_first_attempted.",
            _CALLBACK,
            pack="first_attempt_us_sum",
            scale=US,
        ),
        Count(CallbackCount.RESOLVED, pack="resolved"),
        Count(
            CallbackCount.RESOLVED_WITHIN_TARGET,
            "ccm_callbacks_resolved_within_target",
            "Owed call-backs resolved (reached, recontacted, referred) within the target.",
            _CALLBACK,
            pack="resolved_within_target",
        ),
        Count(CallbackCount.ATTEMPTS, pack="attempts"),
    ),
    labels=first_label,
    key=lambda dim: str(dim[0]),
    standard=_owing,
    buckets=CALLBACK_BUCKETS_S,
    histogram=Distribution(
        MetricSpec(
            "ccm_callback_first_attempt_seconds",
            "histogram",
            CHANNEL,
            "Time from an abandon to its first call-back attempt.",
        ),
        timed=CallbackCount.FIRST_ATTEMPTED,
        sum_us=CallbackCount.FIRST_ATTEMPT_US_SUM,
    ),
    gauges=(CALLBACKS_OPEN, CALLBACKS_OLDEST, CALLBACKS_ABOUT_TO_BREACH, CALLBACKS_BREACHED),
)

CALLBACK_ATTEMPT_ROW = Row(
    "callback_attempts",
    counts=(
        Count(
            CallbackAttemptCount.ATTEMPTS,
            "ccm_callback_attempts",
            "Call-back attempts on owed call-backs (up to the resolving one), by outcome.",
            _BY_OUTCOME,
            pack="attempts",
        ),
        Count(
            CallbackAttemptCount.RESOLVED,
            "ccm_callbacks_resolved",
            "Owed call-backs resolved, by the outcome that resolved them.",
            _BY_OUTCOME,
            pack="resolved",
        ),
    ),
    labels=lambda dim, _targets: (str(dim[0]), str(dim[1])),
    key=lambda dim: (str(dim[0]), str(dim[1])),
    standard=lambda targets, day: tuple(
        (channel, outcome) for (channel,) in _owing(targets, day) for outcome in CallbackOutcome
    ),
)

CALLBACKS_NOT_OWED_ROW = Row(
    "callbacks_not_owed",
    counts=(
        Count(
            NotOwedCount.CALLBACKS,
            "ccm_callbacks_not_owed",
            "Call-backs on calls that owe none (valid input, changing no other figure), by why.",
            ("channel", "reason", "window"),
            pack="callbacks",
        ),
    ),
    labels=lambda dim, _targets: (str(dim[0]), str(dim[1])),
    key=lambda dim: (str(dim[0]), str(dim[1])),
    standard=lambda _targets, _day: tuple(
        (channel, reason) for channel in Channel for reason in NotOwed
    ),
)

CALLBACK_FIRST_ATTEMPT_TARGET = gauge(
    "ccm_callback_first_attempt_target_seconds",
    CHANNEL,
    "First call-back attempt target in force today, on channels that owe call-backs.",
    "max",
)
CALLBACK_RESOLVE_TARGET = gauge(
    "ccm_callback_resolve_target_seconds",
    CHANNEL,
    "Call-back resolution target in force today, on channels that owe call-backs.",
    "max",
)

ANSWER_TARGET = gauge(
    "ccm_call_answer_target_seconds",
    QUEUE,
    "Answer-time target of the queue in force today.",
    "max",
)
CALL_SERVICE_LEVEL_OBJECTIVE = gauge(
    "ccm_call_service_level_objective_ratio",
    QUEUE,
    "Share of legs to answer within target (objective).",
    "max",
)
ABANDONMENT_OBJECTIVE = gauge(
    "ccm_call_abandonment_objective_ratio",
    QUEUE,
    "Abandonment rate to stay below (objective).",
    "max",
)
SERVICE_LEVEL_FORMULA = MetricSpec(
    "ccm_call_service_level_formula",
    "info",
    ("channel", "queue", "formula"),
    "The service-level formula the force reports for the queue.",
    "max",
)


def _calls_now(ledger: CallLedger, ref_us: int, live: bool) -> Now:
    now = Now()
    for channel, queue, queued_us in ledger.waiting():
        q = (channel.value, queue.value)
        wait = max(0, ref_us - queued_us)
        over = int(wait > ledger.target(channel, queue, queued_us).answer_within_us)
        now.gauges += [
            (LEGS_WAITING, q, 1),
            (LEGS_WAITING_OVER_TARGET, q, over),
            (OLDEST_CALL_WAIT, q, wait / US),
        ]
    if live:  # replaying history: a call-back owed then is no reason to call anyone now
        _callbacks_now(ledger, ref_us, now)
    return now


def _callbacks_now(ledger: CallLedger, ref_us: int, now: Now) -> None:
    for owed in ledger.callbacks_owed():
        if not owed.open_at(ref_us):
            continue
        rules = ledger.callback_rules(owed.offered_us)
        channel = (owed.channel.value,)
        now.gauges += [
            (CALLBACKS_OPEN, channel, 1),
            (CALLBACKS_OLDEST, channel, (ref_us - owed.owed_us) / US),
            (CALLBACKS_ABOUT_TO_BREACH, channel,
             int(owed.about_to_breach(ref_us, rules.first_attempt_us))),
            (CALLBACKS_BREACHED, channel, int(owed.breached(ref_us))),
        ]  # fmt: skip


def _call_targets(targets: Targets, day: date) -> TargetFigures:
    callbacks = targets.callbacks_on(day)
    for channel in callbacks.channels:
        yield CALLBACK_FIRST_ATTEMPT_TARGET, (channel.value,), callbacks.first_attempt_us / US
        yield CALLBACK_RESOLVE_TARGET, (channel.value,), callbacks.resolve_us / US
    calls = targets.calls_on(day)
    for channel, queue in STANDARD_QUEUES:
        target = calls.resolve(channel, queue)
        q = (channel.value, queue.value)
        yield ANSWER_TARGET, q, target.answer_within_us / US
        yield CALL_SERVICE_LEVEL_OBJECTIVE, q, target.service_level_objective
        if target.abandonment_objective is not None:
            yield ABANDONMENT_OBJECTIVE, q, target.abandonment_objective
        yield SERVICE_LEVEL_FORMULA, (*q, target.formula.value), 1


CALLS = FamilySpec(
    Family.CALLS,
    ledger=CallLedger,
    stale=lambda rules: rules.stale_us,
    topic_setting="topic_calls",
    rows=(
        LEG_ROW,
        CALL_ROW,
        FIRST_LEG_ROW,
        CALLBACK_ROW,
        CALLBACK_ATTEMPT_ROW,
        CALLBACKS_NOT_OWED_ROW,
    ),
    metrics=(
        *LEG_ROW.specs(),
        POSITIONS_NEEDED,
        LEG_ROW.longest_wait,
        LEGS_WAITING,
        LEGS_WAITING_OVER_TARGET,
        OLDEST_CALL_WAIT,
        *CALL_ROW.specs(),
        CONTACTS,
        *CALLBACK_ROW.specs(),
        *CALLBACK_ATTEMPT_ROW.specs(),
        *CALLBACKS_NOT_OWED_ROW.specs(),
        CALLBACKS_OPEN,
        CALLBACKS_OLDEST,
        CALLBACKS_ABOUT_TO_BREACH,
        CALLBACKS_BREACHED,
        # Targets in force, as series, so rules and dashboards compare against data.
        ANSWER_TARGET,
        CALL_SERVICE_LEVEL_OBJECTIVE,
        ABANDONMENT_OBJECTIVE,
        SERVICE_LEVEL_FORMULA,
        CALLBACK_FIRST_ATTEMPT_TARGET,
        CALLBACK_RESOLVE_TARGET,
    ),
    now=_calls_now,
    targets=_call_targets,
    contacts=Contacts(
        "calls",
        CallCount.CONTACTS,
        lambda dim: str(dim[0]),
        (Channel.EMERGENCY.value, Channel.NON_EMERGENCY.value),
    ),
    staffing=Staffing(
        "legs",
        POSITIONS_NEEDED,
        offered=LegCount.OFFERED,
        handled=LegCount.HANDLED,
        handle_us=LegCount.HANDLE_US_SUM,
    ),
    # A force's 999 and 101 lines are never ten minutes without a call, day or night.
    quiet=Quiet(10, "page", "calls arrive every few minutes even at night"),
)
