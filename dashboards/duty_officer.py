"""The duty officer's view: the alerts firing now, emergency incidents about to breach and
breached, call-backs of abandoned calls about to breach and breached, emergency incidents
met today and the 999 service level against their objectives, and how fast each is
burning its error budget."""

from dashboards import promql, thresholds
from dashboards.objectives import Objectives
from dashboards.panels import Query, dashboard, stat_panel, table_panel, time_panel
from dashboards.promql import sel
from schemas import Channel, Queue
from streams.core.callbacks import ABOUT_TO_BREACH
from streams.core.families.calls import (
    ABANDONMENT_OBJECTIVE,
    CALL_SERVICE_LEVEL_OBJECTIVE,
    CALLBACKS_ABOUT_TO_BREACH,
    CALLBACKS_BREACHED,
    CALLBACKS_OPEN,
)
from streams.core.families.incidents import ABOUT_TO_BREACH as INCIDENTS_ABOUT_TO_BREACH
from streams.core.families.incidents import BREACHED_UNATTENDED, INCIDENT_OBJECTIVE
from streams.core.targets import Response

UID = "ccm-duty-officer"
BURN_UNIT = "suffix:\N{MULTIPLICATION SIGN}"
"""Burn rates read as multiples: a rate of 2 spends the error budget twice as fast as allowed."""
FIRING = 'ALERTS{alertstate="firing"}'
"""Prometheus's own series of firing alerts: empty while nothing fires."""


def _callback_panels(objectives: Objectives) -> list:
    callbacks = objectives.callbacks
    first_attempt = f"{callbacks.first_attempt_within_minutes} min first-attempt target"
    panels = []
    for channel in callbacks.channels:
        now = sel(channel=channel.value)
        panels += [
            stat_panel(
                f"{channel.value} call-backs about to breach",
                f"Call-backs owed on abandoned {channel.value} calls with no attempt yet and "
                f"{ABOUT_TO_BREACH:.0%} or more of the {first_attempt} gone.",
                "short",
                [Query(f"sum({CALLBACKS_ABOUT_TO_BREACH.name}{now})", "now")],
                thresholds.none_wanted(),
                w=4,
            ),
            stat_panel(
                f"{channel.value} call-backs breached, not attempted",
                f"Call-backs owed on abandoned {channel.value} calls with no attempt yet, "
                f"past the {first_attempt}.",
                "short",
                [Query(f"sum({CALLBACKS_BREACHED.name}{now})", "now")],
                thresholds.none_wanted(),
                w=4,
            ),
            time_panel(
                f"{channel.value} call-backs owed, about to breach and breached",
                "Through the shift: call-backs owed (attempted or not, until resolved), and "
                "those with no attempt yet about to breach or past the target.",
                "short",
                [
                    Query(f"sum({CALLBACKS_OPEN.name}{now})", "owed"),
                    Query(f"sum({CALLBACKS_ABOUT_TO_BREACH.name}{now})", "about to breach"),
                    Query(f"sum({CALLBACKS_BREACHED.name}{now})", "breached"),
                ],
                w=16,
            ),
        ]
    return panels


def build(objectives: Objectives):
    emergency = objectives.incidents(Response.EMERGENCY)
    assert emergency is not None, "the grading policy has no emergency objective"
    target = objectives.queue(Channel.EMERGENCY, Queue.FCR)
    calls = {"channel": "999", "queue": "fcr"}
    sl_objective = f"{CALL_SERVICE_LEVEL_OBJECTIVE.name}{sel(**calls)}"
    abandon_objective = f"{ABANDONMENT_OBJECTIVE.name}{sel(**calls)}"
    inc_objective = f"{INCIDENT_OBJECTIVE.name}{sel(response='emergency')}"

    def sl(window: str) -> str:
        return promql.leg_service_level(target.formula, sel(**calls, window=window))

    def met(window: str) -> str:
        return promql.incidents_met(sel(response="emergency", window=window))

    alerts = (
        "Alerts",
        [
            table_panel(
                "Alerts firing now",
                "Every alert Prometheus has firing, with its labels (severity, KPI). "
                "Empty while all is well.",
                [Query(FIRING)],
            )
        ],
    )
    emergencies = (
        "Emergency incidents",
        [
            stat_panel(
                "Emergency incidents about to breach",
                "Unattended emergency incidents with 80 % or more of their target gone.",
                "short",
                [Query(f"sum({INCIDENTS_ABOUT_TO_BREACH.name}{sel(response='emergency')})", "now")],
                thresholds.none_wanted(),
                w=4,
            ),
            stat_panel(
                "Emergency incidents breached, unattended",
                "Emergency incidents past their deadline with no resource at scene.",
                "short",
                [
                    Query(
                        f"sum({BREACHED_UNATTENDED.name}{sel(response='emergency')})",
                        "now",
                    )
                ],
                thresholds.none_wanted(),
                w=4,
            ),
            stat_panel(
                "Emergency incidents met today",
                f"Attended within target, of those scored today; objective {emergency:.0%}.",
                "percentunit",
                [Query(met("today"), "today")],
                thresholds.at_least(emergency),
                w=4,
                decimals=1,
            ),
            time_panel(
                "Emergency incidents met today, against objective",
                "Share met so far today, and the objective in force; the dashed lines are where "
                "amber and green begin.",
                "percentunit",
                [Query(met("today"), "met today"), Query(f"max({inc_objective})", "objective")],
                thresholds.at_least(emergency),
            ),
        ],
    )
    owed_callbacks = ("Call-backs", _callback_panels(objectives))
    service = (
        "999 calls",
        [
            stat_panel(
                "999 service level",
                f"999 calls at the FCR answered within "
                f"{target.answer_within_us / 1_000_000:g} s; "
                f"objective {target.service_level_objective:.0%}.",
                "percentunit",
                [Query(sl("1h"), "1 h"), Query(sl("today"), "today")],
                thresholds.at_least(target.service_level_objective),
                w=6,
                decimals=1,
            ),
            time_panel(
                "999 service level, against objective",
                "The last hour's service level, and the objective in force.",
                "percentunit",
                [Query(sl("1h"), "last hour"), Query(f"max({sl_objective})", "objective")],
                thresholds.at_least(target.service_level_objective),
                w=18,
            ),
        ],
    )
    burn = (
        "Error budget burn rates",
        [
            time_panel(
                "999 service level burn rate",
                "Share of 999 calls missing the target, over the share the objective "
                "allows: 1 spends the budget exactly; a high rate over both windows is "
                "worth acting on.",
                BURN_UNIT,
                [
                    Query(promql.burn_rate(sl("15m"), sl_objective), "15 min"),
                    Query(promql.burn_rate(sl("1h"), sl_objective), "1 h"),
                ],
                w=8,
            ),
            time_panel(
                "999 abandonment burn rate",
                "999 abandonment over its objective: 1 is exactly at the objective.",
                BURN_UNIT,
                [
                    Query(
                        promql.abandonment_burn_rate(
                            promql.leg_abandonment(sel(**calls, window=w)), abandon_objective
                        ),
                        label,
                    )
                    for w, label in (("15m", "15 min"), ("1h", "1 h"))
                ],
                w=8,
            ),
            time_panel(
                "Emergency attendance burn rate",
                "Share of emergency incidents missed over the share the objective allows.",
                BURN_UNIT,
                [
                    Query(promql.burn_rate(met(w), inc_objective), label)
                    for w, label in (("1h", "1 h"), ("24h", "24 h"))
                ],
                w=8,
            ),
        ],
    )
    return dashboard(
        UID,
        "Duty officer",
        __doc__.split(":", 1)[0] + ".",
        refresh="30s",
        time_from="now-6h",
        rows=[alerts, emergencies, owed_callbacks, service, burn],
    )
