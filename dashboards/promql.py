"""The PromQL of docs/kpis.md, written once for every dashboard.

Every ratio sums its parts before dividing (several workers each hold some
partitions), and reads one window; burn rates divide the share missed by the share
the objective allows, the objective read from the target series.
"""

from streams.core import measures
from streams.core.calls import CallbackCount
from streams.core.families import CONTACTS
from streams.core.families.calls import LEGS_WAITING_OVER_TARGET
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


def leg_service_level(formula: ServiceLevelFormula, labels: str, by: str = "") -> str:
    """Service level by the queue's own formula (the one the force reports)."""
    return measures.SERVICE_LEVEL[formula].promql(labels, by)


def leg_abandonment(labels: str, by: str = "") -> str:
    return measures.CALL_ABANDONMENT.promql(labels, by)


def leg_asa(labels: str) -> str:
    return measures.CALL_ASA.promql(labels)


def live_service_level(windowed: str, now: str) -> str:
    """Service level of the last 15 minutes with legs waiting past target as misses."""
    top, bottom = measures.SERVICE_LEVEL[ServiceLevelFormula.STRICT].terms(windowed)
    return f"sum ({top}) / (sum ({bottom}) + sum ({LEGS_WAITING_OVER_TARGET.name}{now}))"


def home_office_999(window: str) -> str:
    return measures.HOME_OFFICE_999_UNDER_10S.promql(sel(window=window))


def incidents_met(labels: str, by: str = "") -> str:
    return measures.INCIDENTS_MET.promql(labels, by)


def category_target_met(labels: str) -> str:
    return measures.CATEGORY_TARGET_MET.promql(labels)


def channel_share(window: str) -> str:
    labels = sel(window=window)
    contacts = f"{CONTACTS.name}{labels}"
    return f"sum by (channel) ({contacts}) / scalar(sum({contacts}))"


CALLBACKS_WITHIN_TARGET = {
    CallbackCount.FIRST_ATTEMPT_WITHIN_TARGET: measures.CALLBACK_FIRST_ATTEMPT,
    CallbackCount.RESOLVED_WITHIN_TARGET: measures.CALLBACK_RESOLVED,
}


def callbacks_within_target(within: CallbackCount, labels: str) -> str:
    """A share of the call-backs owed (first attempted, or resolved, within target), as
    the monthly KPIs divide it: by every call-back owed, attempted or not."""
    return CALLBACKS_WITHIN_TARGET[within].promql(labels)


def callback_mean_first_attempt(labels: str) -> str:
    """Mean time from abandon to first attempt, of those attempted."""
    return measures.CALLBACK_MEAN_FIRST_ATTEMPT.promql(labels)


def burn_rate(met_share: str, objective_series: str) -> str:
    """How many times faster than the objective allows the error budget is spent, for a
    share that should reach the objective (service level, incidents met)."""
    return f"(1 - ({met_share})) / (1 - max({objective_series}))"


def abandonment_burn_rate(share: str, objective_series: str) -> str:
    """The same for a share that should stay under its objective (abandonment)."""
    return f"({share}) / max({objective_series})"
