"""The command team's month: month to date (the `month` window, Europe/London) and the
months before it, as the Police, Fire and Crime Panel sees them: emergency and priority
incidents met, high-harm categories, residential burglary attended within its target,
the Home Office 999 measure, 101 abandonment, channel share, and call-backs of abandoned
calls first attempted and resolved within their targets.

The trend panels plot the month-to-date figure day by day over six months: each
month's last value is that month's figure, as the monthly export gives it."""

from dashboards import promql, thresholds
from dashboards.objectives import Objectives
from dashboards.panels import Query, bar_panel, dashboard, pie_panel, stat_panel, time_panel
from dashboards.promql import sel
from schemas import Category, Channel, Queue
from streams.core.calls import CallbackCount
from streams.core.families.calls import CALL_SERVICE_LEVEL_OBJECTIVE
from streams.core.families.incidents import INCIDENT_OBJECTIVE
from streams.core.targets import Response

UID = "ccm-command-team"
MONTH = "month"
TREND_INTERVAL = "1d"


def _callback_panels(objectives: Objectives) -> list:
    callbacks = objectives.callbacks
    first_min = callbacks.first_attempt_within_minutes
    resolve_min = callbacks.resolve_within_minutes
    objective = callbacks.first_attempt_objective
    panels = []
    for channel in callbacks.channels:
        labels = sel(channel=channel.value, window=MONTH)
        first = promql.callbacks_within_target(CallbackCount.FIRST_ATTEMPT_WITHIN_TARGET, labels)
        resolved = promql.callbacks_within_target(CallbackCount.RESOLVED_WITHIN_TARGET, labels)
        of_owed = (
            f"of those owed on {channel.value} calls abandoned this month (one still in time "
            "counts once it is met)"
        )
        # The targets file sets an objective for first attempts only: resolved stays blue.
        panels += [
            stat_panel(
                f"{channel.value} call-backs first attempted within {first_min} min, month to date",
                f"First attempted within {first_min} min of the abandon, {of_owed}; "
                f"objective {objective:.0%}.",
                "percentunit",
                [Query(first, "first attempt")],
                thresholds.at_least(objective),
                w=4,
                decimals=1,
            ),
            stat_panel(
                f"{channel.value} call-backs resolved within {resolve_min} min, month to date",
                f"Reached, recontacted or referred within {resolve_min} min of the abandon, "
                f"{of_owed}.",
                "percentunit",
                [Query(resolved, "resolved")],
                w=4,
                decimals=1,
            ),
            stat_panel(
                f"{channel.value} mean time to first call-back attempt, month to date",
                f"From the abandon to the first attempt, of those attempted; red at the "
                f"{first_min} min target.",
                "s",
                [Query(promql.callback_mean_first_attempt(labels), "mean")],
                thresholds.wait_within(first_min * 60),
                w=4,
                decimals=0,
            ),
            time_panel(
                f"{channel.value} call-backs within target",
                f"Month to date, day by day: first attempted within {first_min} min and "
                f"resolved within {resolve_min} min, of those owed; the dashed lines are "
                "where first attempts turn amber and green.",
                "percentunit",
                [Query(first, "first attempt"), Query(resolved, "resolved")],
                thresholds.at_least(objective),
                interval=TREND_INTERVAL,
            ),
        ]
    return panels


def build(objectives: Objectives):
    emergency = objectives.incidents(Response.EMERGENCY)
    priority = objectives.incidents(Response.PRIORITY)
    assert emergency is not None and priority is not None, "objectives missing"
    burglary_min = objectives.category_minutes(Category.RESIDENTIAL_BURGLARY)
    burglary_title = (
        f"Residential burglary attended within {burglary_min} min"
        if burglary_min
        else "Residential burglary attended within its target"
    )
    fcr_999 = objectives.queue(Channel.EMERGENCY, Queue.FCR)

    def met(response: str, **labels: str) -> str:
        return promql.incidents_met(sel(response=response, window=MONTH, **labels))

    calls_101 = sel(channel="101", window=MONTH)
    abandonment_101 = promql.leg_abandonment(calls_101)
    service_999 = promql.leg_service_level(
        fcr_999.formula, sel(channel="999", queue="fcr", window=MONTH)
    )
    burglary = promql.category_target_met(sel(category="residential_burglary", window=MONTH))
    month = (
        "Month to date",
        [
            stat_panel(
                "Emergency incidents met, month to date",
                f"Attended within target, of those scored this month; objective {emergency:.0%}.",
                "percentunit",
                [Query(met("emergency"), "emergency")],
                thresholds.at_least(emergency),
                w=4,
                decimals=1,
            ),
            stat_panel(
                "Priority incidents met, month to date",
                f"Objective {priority:.0%}.",
                "percentunit",
                [Query(met("priority"), "priority")],
                thresholds.at_least(priority),
                w=4,
                decimals=1,
            ),
            stat_panel(
                f"{burglary_title}, month to date",
                "The force's pledge for residential burglary, whatever its grade.",
                "percentunit",
                [Query(burglary, "residential burglary")],
                w=4,
                decimals=1,
            ),
            stat_panel(
                "Home Office 999 measure, month to date",
                "999 calls answered in under 10 s, of those answered (the published measure).",
                "percentunit",
                [Query(promql.home_office_999(MONTH), "999")],
                w=4,
                decimals=1,
            ),
            stat_panel(
                "101 abandonment, month to date",
                "101 calls abandoned before answer, at every queue they passed through.",
                "percentunit",
                [Query(abandonment_101, "101")],
                w=4,
                decimals=1,
            ),
            pie_panel(
                "Channel share, month to date",
                "Share of this month's contact by channel.",
                "percentunit",
                [Query(promql.channel_share(MONTH), "{{channel}}")],
                w=4,
                h=5,
            ),
            bar_panel(
                "High-harm emergency incidents met by category, month to date",
                f"Emergency incidents in each high-harm category attended within target; "
                f"objective {emergency:.0%}.",
                "percentunit",
                [
                    Query(
                        promql.incidents_met(
                            sel(response="emergency", category="!other", window=MONTH),
                            by="category",
                        ),
                        "{{category}}",
                    )
                ],
                thresholds.at_least(emergency),
                w=12,
            ),
            bar_panel(
                "Incidents met by response, month to date",
                "Every scored response, high harm or not.",
                "percentunit",
                [
                    Query(
                        promql.incidents_met(sel(window=MONTH), by="response"),
                        "{{response}}",
                    )
                ],
                w=12,
            ),
        ],
    )
    trend = (
        "The last months (month to date, day by day)",
        [
            time_panel(
                "Emergency and priority incidents met",
                "Month to date, with the objectives in force.",
                "percentunit",
                [
                    Query(met("emergency"), "emergency"),
                    Query(met("priority"), "priority"),
                    Query(
                        f"max({INCIDENT_OBJECTIVE.name}{sel(response='emergency')})",
                        "emergency objective",
                    ),
                    Query(
                        f"max({INCIDENT_OBJECTIVE.name}{sel(response='priority')})",
                        "priority objective",
                    ),
                ],
                interval=TREND_INTERVAL,
            ),
            time_panel(
                "999 answered: the force's measure and the Home Office's",
                f"Within {fcr_999.answer_within_us / 1_000_000:g} s ({fcr_999.formula.value}), "
                "and answered in under 10 s of those answered.",
                "percentunit",
                [
                    Query(service_999, "force"),
                    Query(promql.home_office_999(MONTH), "Home Office"),
                    Query(
                        f"max({CALL_SERVICE_LEVEL_OBJECTIVE.name}"
                        f"{sel(channel='999', queue='fcr')})",
                        "objective",
                    ),
                ],
                interval=TREND_INTERVAL,
            ),
            time_panel(
                "101 abandonment and residential burglary",
                "Month to date.",
                "percentunit",
                [Query(abandonment_101, "101 abandonment"), Query(burglary, burglary_title)],
                interval=TREND_INTERVAL,
            ),
            time_panel(
                "Channel share",
                "Month to date, by channel.",
                "percentunit",
                [Query(promql.channel_share(MONTH), "{{channel}}")],
                interval=TREND_INTERVAL,
            ),
        ],
    )
    return dashboard(
        UID,
        "Command team",
        __doc__.split(":", 1)[0] + ".",
        refresh="5m",
        time_from="now-180d",
        rows=[month, trend, ("Call-backs", _callback_panels(objectives))],
    )
