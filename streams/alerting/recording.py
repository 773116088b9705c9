"""Recording rules: every ratio of docs/kpis.md, summed across workers before dividing.

Named the Prometheus way, ``level:metric:operations``: the labels kept, the figure,
what was done to it. Rules that aggregate every label away start with a colon
(``:ccm_chat_service_level_objective_ratio:max``), as kubernetes-mixin writes them.
Each keeps the ``window`` label, so one rule serves the 15m, 1h, 24h and today views.
"""

from collections.abc import Iterable

from streams.alerting import counts
from streams.alerting.rules import Group, Record
from streams.core import catalog, measures
from streams.core.families import CONTACTS
from streams.core.families.calls import (
    ABANDONMENT_OBJECTIVE,
    CALL_SERVICE_LEVEL_OBJECTIVE,
    LEGS_WAITING_OVER_TARGET,
    SERVICE_LEVEL_FORMULA,
)
from streams.core.families.chats import CHAT_SERVICE_LEVEL_OBJECTIVE
from streams.core.families.incidents import INCIDENT_OBJECTIVE as INCIDENT_OBJECTIVE_RATIO
from streams.core.measures import MEASURES, SERVICE_LEVEL, Ratio
from streams.core.targets import ServiceLevelFormula

CALL = "channel, queue, window"
INCIDENT = "policy, response, window"


def _sum(by: str, expr: str) -> str:
    return f"sum by ({by}) ({expr})"


_, OUTCOMES = measures.CALL_ABANDONMENT.terms()


def service_level_record(formula: ServiceLevelFormula) -> str:
    return SERVICE_LEVEL[formula].record


def _record(measure: Ratio) -> Record:
    return Record(measure.record, measure.rule())


CALL_REPORTED = "channel_queue_window:ccm_call_service_level:ratio"
CALL_OUTCOMES = "channel_queue_window:ccm_call_legs_with_outcome:sum"
CALL_ABANDONMENT = measures.CALL_ABANDONMENT.record
CALL_SL_OBJECTIVE = f"channel_queue:{CALL_SERVICE_LEVEL_OBJECTIVE.name}:max"
CALL_ABANDONMENT_OBJECTIVE = f"channel_queue:{ABANDONMENT_OBJECTIVE.name}:max"
CHAT_SERVICE_LEVEL = measures.CHAT_SERVICE_LEVEL.record
CHAT_OUTCOMES = "window:ccm_chats_with_outcome:sum"
CHAT_SL_OBJECTIVE = f":{CHAT_SERVICE_LEVEL_OBJECTIVE.name}:max"
INCIDENTS_MET = measures.INCIDENTS_MET.record
INCIDENTS_SCORED = "policy_response_window:ccm_incidents_scored:sum"
INCIDENT_OBJECTIVE = f"policy_response:{INCIDENT_OBJECTIVE_RATIO.name}:max"
CONSUMER_LAG = f"family:{catalog.CONSUMER_LAG.name}:sum"
CALLBACK = "channel, window"
CALLBACKS_OWED = f"channel_window:{counts.CALLBACKS_OWED}:sum"
CALLBACK_FIRST_ATTEMPT = measures.CALLBACK_FIRST_ATTEMPT.record
CALLBACK_ATTEMPTS = f"channel_window:{counts.CALLBACK_ATTEMPTS}:sum"


GROUPS = (
    ("ccm-calls", ("legs", "calls", "first_legs")),
    ("ccm-callbacks", ("callbacks", "callback_attempts", "callbacks_not_owed")),
    ("ccm-chats-reports", ("chats", "reports")),
    ("ccm-incidents", ("incidents",)),
)
"""Each rule group and the family rows whose measures it records."""


def _measured(registry: Iterable[Ratio], rows: tuple[str, ...]) -> list[Record]:
    """The recording rule of every measure declared over ``rows`` that has one."""
    return [_record(m) for m in registry if m.by is not None and m.row.name in rows]


def _live_service_level() -> str:
    """The last 15 minutes' service level with legs still waiting past the target as
    misses, by the strict formula whatever the queue reports: a live view of the queue."""
    top, bottom = SERVICE_LEVEL[ServiceLevelFormula.STRICT].terms('{window="15m"}')
    return (
        f"sum by (channel, queue) ({top})\n/\n(\nsum by (channel, queue) ({bottom})\n"
        f"+\nsum by (channel, queue) ({LEGS_WAITING_OVER_TARGET.name})\n)"
    )


def _calls(measured: list[Record]) -> list[Record]:
    records = [Record(CALL_OUTCOMES, _sum(CALL, OUTCOMES)), *measured]
    # The formula the force reports for each queue, chosen by data (the formula info
    # series of the targets in force), labelled with it: every figure says its formula.
    reported = "\nor\n".join(
        f'label_replace({service_level_record(f)}, "formula", "{f.value}", "", "")\n'
        f"  and on (channel, queue, formula) {SERVICE_LEVEL_FORMULA.name}_info"
        for f in ServiceLevelFormula
    )
    records += [
        Record(CALL_REPORTED, reported),
        Record("channel_queue:ccm_call_live_service_level:ratio", _live_service_level()),
        Record(
            f"channel_window:{CONTACTS.name}:share",
            _sum("channel, window", CONTACTS.name)
            + "\n/ on (window) group_left ()\n"
            + _sum("window", CONTACTS.name),
        ),
        Record(
            CALL_SL_OBJECTIVE,
            f"max by (channel, queue) ({CALL_SERVICE_LEVEL_OBJECTIVE.name})",
        ),
        Record(
            CALL_ABANDONMENT_OBJECTIVE,
            f"max by (channel, queue) ({ABANDONMENT_OBJECTIVE.name})",
        ),
    ]
    return records


def _callbacks(measured: list[Record]) -> list[Record]:
    return [
        Record(CALLBACKS_OWED, _sum(CALLBACK, counts.CALLBACKS_OWED)),
        *measured,
        # Every outcome: the alerts ask only whether call-backs are being made at all.
        Record(CALLBACK_ATTEMPTS, _sum(CALLBACK, counts.CALLBACK_ATTEMPTS)),
    ]


def _chats_reports(measured: list[Record]) -> list[Record]:
    _, outcomes = measures.CHAT_ABANDONMENT.terms()
    return [
        Record(CHAT_OUTCOMES, _sum("window", outcomes)),
        *measured,
        Record(CHAT_SL_OBJECTIVE, f"max ({CHAT_SERVICE_LEVEL_OBJECTIVE.name})"),
    ]


def _incidents(measured: list[Record]) -> list[Record]:
    _, scored = measures.INCIDENTS_MET.terms()
    return [
        Record(INCIDENTS_SCORED, _sum(INCIDENT, scored)),
        *measured,
        Record(INCIDENT_OBJECTIVE, f"max by (policy, response) ({INCIDENT_OBJECTIVE_RATIO.name})"),
    ]


def _pipeline() -> list[Record]:
    return [Record(CONSUMER_LAG, f"sum by (family) ({catalog.CONSUMER_LAG.name})")]


_AROUND = {
    "ccm-calls": _calls,
    "ccm-callbacks": _callbacks,
    "ccm-chats-reports": _chats_reports,
    "ccm-incidents": _incidents,
}
"""What each group records beside its measures: sums the alerts gate on, objectives."""


def recording_groups(registry: Iterable[Ratio] = MEASURES) -> tuple[Group, ...]:
    """Every recording rule: each measure of ``registry`` in the group of its row."""
    registry = tuple(registry)
    return (
        *(Group(name, tuple(_AROUND[name](_measured(registry, rows)))) for name, rows in GROUPS),
        Group("ccm-pipeline", tuple(_pipeline())),
    )
