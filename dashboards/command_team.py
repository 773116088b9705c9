"""The command team's month: month to date (the `month` window, Europe/London) and the
months before it, as the Police, Fire and Crime Panel sees them: emergency and priority
incidents met, high-harm categories, residential burglary attended within its target,
the Home Office 999 measure, 101 abandonment and channel share.

The trend panels plot the month-to-date figure day by day over six months: each
month's last value is that month's figure, as the monthly export gives it."""

from dashboards import promql, thresholds
from dashboards.objectives import Objectives
from dashboards.panels import Query, bar_panel, dashboard, pie_panel, stat_panel, time_panel
from dashboards.promql import sel
from schemas import Category, Channel, Queue
from streams.core.targets import Response

UID = "ccm-command-team"
MONTH = "month"
TREND_INTERVAL = "1d"


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
                        f"max(ccm_incident_objective_ratio{sel(response='emergency')})",
                        "emergency objective",
                    ),
                    Query(
                        f"max(ccm_incident_objective_ratio{sel(response='priority')})",
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
                        "max(ccm_call_service_level_objective_ratio"
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
        rows=[month, trend],
    )
