"""The PromQL of docs/kpis.md, written once for every dashboard.

Every ratio sums its parts before dividing (several workers each hold some
partitions), and reads one window; burn rates divide the share missed by the share
the objective allows, the objective read from the target series.
"""

from streams.core.calls import CallbackCount
from streams.core.families import CALLBACK_ROW
from streams.core.service_level import promql_terms
from streams.core.targets import ServiceLevelFormula


def sel(**labels: str) -> str:
    """A label selector; values starting with ``~`` or ``!`` match as regex or negation."""
    parts = []
    for name, value in labels.items():
        if value.startswith("~"):
            parts.append(f'{name}=~"{value[1:]}"')
        elif value.startswith("!"):
            parts.append(f'{name}!="{value[1:]}"')
        else:
            parts.append(f'{name}="{value}"')
    return "{" + ",".join(parts) + "}"


def _ratio(numerator: str, denominator: str, by: str = "") -> str:
    group = f" by ({by})" if by else ""
    return f"sum{group} ({numerator}) / sum{group} ({denominator})"


def leg_service_level(formula: ServiceLevelFormula, labels: str, by: str = "") -> str:
    """Service level by the queue's own formula (the one the force reports)."""
    return _ratio(*promql_terms(formula, labels), by)


def leg_abandonment(labels: str, by: str = "") -> str:
    return _ratio(
        f"ccm_call_legs_abandoned{labels}",
        f"ccm_call_legs_answered{labels} + ccm_call_legs_abandoned{labels}",
        by,
    )


def leg_asa(labels: str) -> str:
    return _ratio(f"ccm_call_legs_answered_wait_seconds{labels}", f"ccm_call_legs_answered{labels}")


def live_service_level(windowed: str, now: str) -> str:
    """Service level of the last 15 minutes with legs waiting past target as misses."""
    return (
        f"sum (ccm_call_legs_answered_within_target{windowed}) / "
        f"(sum (ccm_call_legs_answered{windowed} + ccm_call_legs_abandoned{windowed}) "
        f"+ sum (ccm_call_legs_waiting_over_target{now}))"
    )


def home_office_999(window: str) -> str:
    labels = sel(channel="999", window=window)
    return _ratio(f"ccm_call_legs_answered_under_10s{labels}", f"ccm_call_legs_answered{labels}")


def incidents_met(labels: str, by: str = "") -> str:
    return _ratio(
        f"ccm_incidents_met{labels}",
        f"ccm_incidents_met{labels} + ccm_incidents_missed{labels}",
        by,
    )


def category_target_met(labels: str) -> str:
    return _ratio(
        f"ccm_incidents_category_target_met{labels}",
        f"ccm_incidents_category_target_met{labels} + ccm_incidents_category_target_missed{labels}",
    )


def channel_share(window: str) -> str:
    labels = sel(window=window)
    return f"sum by (channel) (ccm_contacts{labels}) / scalar(sum(ccm_contacts{labels}))"


def callback_count(count: CallbackCount) -> str:
    """The windowed gauge a call-back count shows as, read off its declaration, so a
    renamed gauge renames the panels with it."""
    (metric,) = [c.metric for c in CALLBACK_ROW.counts if c.count is count and c.metric]
    return metric


def callbacks_within_target(within: CallbackCount, labels: str) -> str:
    """A share of the call-backs owed (first attempted, or resolved, within target), as
    the monthly KPIs divide it: by every call-back owed, attempted or not."""
    owed = callback_count(CallbackCount.OWED)
    return _ratio(f"{callback_count(within)}{labels}", f"{owed}{labels}")


def callback_mean_first_attempt(labels: str) -> str:
    """Mean time from abandon to first attempt, of those attempted."""
    return _ratio(
        f"{callback_count(CallbackCount.FIRST_ATTEMPT_US_SUM)}{labels}",
        f"{callback_count(CallbackCount.FIRST_ATTEMPTED)}{labels}",
    )


def burn_rate(met_share: str, objective_series: str) -> str:
    """How many times faster than the objective allows the error budget is spent, for a
    share that should reach the objective (service level, incidents met)."""
    return f"(1 - ({met_share})) / (1 - max({objective_series}))"


def abandonment_burn_rate(share: str, objective_series: str) -> str:
    """The same for a share that should stay under its objective (abandonment)."""
    return f"({share}) / max({objective_series})"
