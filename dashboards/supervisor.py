"""The Force Control Room supervisor's wallboard: made for a wall screen across a room,
refreshing every 10 seconds. Per queue, calls waiting now, the oldest wait, service level
and abandonment for 15 min, 1 h and today against target, ASA, the live service level
with legs already past target, and the handlers needed now; then Live Chat, incidents
awaiting attendance and about to breach by grade, and today's channel mix; and the
call-backs owed on abandoned calls now, the oldest, and those not attempted in time."""

from dashboards import promql, thresholds
from dashboards.objectives import Objectives
from dashboards.panels import Query, bar_panel, dashboard, pie_panel, stat_panel
from dashboards.promql import sel
from schemas import Channel, Queue
from streams.core.families import STANDARD_QUEUES
from streams.core.families.calls import (
    CALLBACKS_BREACHED,
    CALLBACKS_OLDEST,
    CALLBACKS_OPEN,
    LEGS_WAITING,
    LEGS_WAITING_OVER_TARGET,
    OLDEST_CALL_WAIT,
    POSITIONS_NEEDED,
)
from streams.core.families.chats import CHATS_WAITING, OLDEST_CHAT_WAIT
from streams.core.families.incidents import ABOUT_TO_BREACH, AWAITING_ATTENDANCE
from streams.export.xlsx import QUEUE_LABELS

UID = "ccm-supervisor-wallboard"
WINDOWS = (("15m", "15 min"), ("1h", "1 h"), ("today", "today"))


def queue_title(channel: Channel, queue: Queue) -> str:
    return f"{channel.value} {QUEUE_LABELS[queue.value]}"


def _queue_panels(objectives: Objectives, channel: Channel, queue: Queue) -> list:
    target = objectives.queue(channel, queue)
    target_s = target.answer_within_us / 1_000_000
    q = {"channel": channel.value, "queue": queue.value}
    now = sel(**q)
    name = queue_title(channel, queue)
    panels = [
        stat_panel(
            f"{name}: waiting now",
            "Calls waiting to be answered at this queue now.",
            "short",
            [Query(f"sum({LEGS_WAITING.name}{now})", "waiting")],
            w=2,
        ),
        stat_panel(
            f"{name}: oldest wait",
            f"How long the oldest waiting call has waited; red at the {target_s:g} s target.",
            "s",
            [Query(f"max({OLDEST_CALL_WAIT.name}{now})", "oldest")],
            thresholds.wait_within(target_s),
        ),
        stat_panel(
            f"{name}: service level",
            f"Answered within {target_s:g} s ({target.formula.value}); "
            f"target {target.service_level_objective:.0%}.",
            "percentunit",
            [
                Query(promql.leg_service_level(target.formula, sel(**q, window=w)), label)
                for w, label in WINDOWS
            ],
            thresholds.at_least(target.service_level_objective),
            w=5,
            decimals=1,
        ),
        stat_panel(
            f"{name}: abandonment",
            "Calls abandoned before answer, of those with an outcome"
            + (
                f"; target under {target.abandonment_objective:.0%}."
                if target.abandonment_objective is not None
                else " (no target set for this queue)."
            ),
            "percentunit",
            [Query(promql.leg_abandonment(sel(**q, window=w)), label) for w, label in WINDOWS],
            thresholds.at_most(target.abandonment_objective)
            if target.abandonment_objective is not None
            else None,
            w=5,
            decimals=1,
        ),
        stat_panel(
            f"{name}: ASA (1 h)",
            "Average speed of answer over the last hour.",
            "s",
            [Query(promql.leg_asa(sel(**q, window="1h")), "ASA")],
            thresholds.wait_within(target_s),
            w=2,
            decimals=0,
        ),
        stat_panel(
            f"{name}: live service level",
            "The last 15 minutes, with calls still waiting past the target already counted "
            "as misses; and how many are waiting past it.",
            "percentunit",
            [Query(promql.live_service_level(sel(**q, window="15m"), now), "live")],
            thresholds.at_least(target.service_level_objective),
            w=3,
            decimals=0,
        ),
        stat_panel(
            f"{name}: past target",
            f"Calls waiting longer than {target_s:g} s now.",
            "short",
            [Query(f"sum({LEGS_WAITING_OVER_TARGET.name}{now})", "past target")],
            thresholds.none_wanted(),
            w=2,
        ),
        stat_panel(
            f"{name}: handlers needed",
            "Call handlers needed now to meet the target (Erlang C, demand of the last "
            "15 minutes).",
            "short",
            [Query(f"sum({POSITIONS_NEEDED.name}{now})", "handlers")],
            w=2,
        ),
    ]
    return panels


def _callback_panels(objectives: Objectives) -> list:
    callbacks = objectives.callbacks
    # Owed means unresolved, attempted or not, so the oldest is held to the resolution
    # target: held to the first-attempt one it would turn red while a call-back already
    # tried is still in time. The first-attempt target has a tile of its own instead.
    resolve_s = callbacks.resolve_within_minutes * 60
    panels = []
    for channel in callbacks.channels:
        now = sel(channel=channel.value)
        panels += [
            stat_panel(
                f"{channel.value} call-backs owed",
                f"Abandoned {channel.value} calls owed a call-back now: not yet reached, "
                f"recontacted or referred, and abandoned within {callbacks.open_for_hours} h.",
                "short",
                [Query(f"sum({CALLBACKS_OPEN.name}{now})", "owed")],
                w=3,
            ),
            stat_panel(
                f"Oldest {channel.value} call-back owed",
                f"How long since the abandon the longest-owed call-back has waited; red at "
                f"the {callbacks.resolve_within_minutes} min resolution target.",
                "s",
                [Query(f"max({CALLBACKS_OLDEST.name}{now})", "oldest")],
                thresholds.wait_within(resolve_s),
                w=3,
            ),
            stat_panel(
                f"{channel.value} call-backs not attempted in time",
                f"Call-backs owed with no attempt yet, past the "
                f"{callbacks.first_attempt_within_minutes} min first-attempt target.",
                "short",
                [Query(f"sum({CALLBACKS_BREACHED.name}{now})", "breached")],
                thresholds.none_wanted(),
                w=3,
            ),
        ]
    return panels


def build(objectives: Objectives):
    chat_target = objectives.chat.accept_within_seconds
    rows = [
        (queue_title(channel, queue), _queue_panels(objectives, channel, queue))
        for channel, queue in STANDARD_QUEUES
    ]
    rows.append(
        (
            "Live Chat and incidents",
            [
                stat_panel(
                    "Chats waiting",
                    "Live Chat requests not yet accepted.",
                    "short",
                    [Query(f"sum({CHATS_WAITING.name})", "waiting")],
                ),
                stat_panel(
                    "Oldest chat wait",
                    f"The oldest waiting chat; red at the {chat_target} s target.",
                    "s",
                    [Query(f"max({OLDEST_CHAT_WAIT.name})", "oldest")],
                    thresholds.wait_within(chat_target),
                ),
                bar_panel(
                    "Incidents awaiting attendance, by grade",
                    "Incidents with no resource at scene yet, by grade.",
                    "short",
                    [
                        Query(
                            f"sum by (grade, response) ({AWAITING_ATTENDANCE.name})",
                            "grade {{grade}} {{response}}",
                        )
                    ],
                ),
                bar_panel(
                    "About to breach, by grade",
                    "Unattended incidents with 80 % or more of their attendance target gone.",
                    "short",
                    [
                        Query(
                            f"sum by (grade, response) ({ABOUT_TO_BREACH.name})",
                            "grade {{grade}} {{response}}",
                        )
                    ],
                    thresholds.none_wanted(),
                ),
                pie_panel(
                    "Today's channel mix",
                    "Share of today's contact by channel (999, 101, Live Chat, online).",
                    "percentunit",
                    [Query(promql.channel_share("today"), "{{channel}}")],
                ),
            ],
        )
    )
    rows.append(("Call-backs", _callback_panels(objectives)))
    return dashboard(
        UID,
        "Supervisor wallboard",
        __doc__.split(":", 1)[0] + ", live.",
        refresh="10s",
        time_from="now-3h",
        rows=rows,
    )
