"""Recording rules: every ratio of docs/kpis.md, summed across workers before dividing.

Named the Prometheus way, ``level:metric:operations``: the labels kept, the figure,
what was done to it. Rules that aggregate every label away start with a colon
(``:ccm_chat_service_level_objective_ratio:max``), as kubernetes-mixin writes them.
Each keeps the ``window`` label, so one rule serves the 15m, 1h, 24h and today views.
"""

from streams.alerting.rules import Group, Record
from streams.core import measures
from streams.core.measures import SERVICE_LEVEL, Ratio
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
CALL_SL_OBJECTIVE = "channel_queue:ccm_call_service_level_objective_ratio:max"
CALL_ABANDONMENT_OBJECTIVE = "channel_queue:ccm_call_abandonment_objective_ratio:max"
CHAT_SERVICE_LEVEL = measures.CHAT_SERVICE_LEVEL.record
CHAT_OUTCOMES = "window:ccm_chats_with_outcome:sum"
CHAT_SL_OBJECTIVE = ":ccm_chat_service_level_objective_ratio:max"
INCIDENTS_MET = measures.INCIDENTS_MET.record
INCIDENTS_SCORED = "policy_response_window:ccm_incidents_scored:sum"
INCIDENT_OBJECTIVE = "policy_response:ccm_incident_objective_ratio:max"
CONSUMER_LAG = "family:ccm_consumer_lag_messages:sum"
CALLBACK = "channel, window"
CALLBACKS_OWED = "channel_window:ccm_callbacks_owed:sum"
CALLBACK_FIRST_ATTEMPT = measures.CALLBACK_FIRST_ATTEMPT.record
CALLBACK_ATTEMPTS = "channel_window:ccm_callback_attempts:sum"


def _calls() -> list[Record]:
    records = [Record(CALL_OUTCOMES, _sum(CALL, OUTCOMES))]
    records += [_record(measure) for measure in SERVICE_LEVEL.values()]
    # The formula the force reports for each queue, chosen by data (the formula info
    # series of the targets in force), labelled with it: every figure says its formula.
    reported = "\nor\n".join(
        f'label_replace({service_level_record(f)}, "formula", "{f.value}", "", "")\n'
        "  and on (channel, queue, formula) ccm_call_service_level_formula_info"
        for f in ServiceLevelFormula
    )
    records += [
        Record(CALL_REPORTED, reported),
        Record(
            "channel_queue:ccm_call_live_service_level:ratio",
            # Legs still waiting past the target are already misses.
            'sum by (channel, queue) (ccm_call_legs_answered_within_target{window="15m"})\n/\n(\n'
            'sum by (channel, queue) (ccm_call_legs_answered{window="15m"}'
            ' + ccm_call_legs_abandoned{window="15m"})\n'
            "+\nsum by (channel, queue) (ccm_call_legs_waiting_over_target)\n)",
        ),
        _record(measures.HOME_OFFICE_999_UNDER_10S),
        _record(measures.CALL_ABANDONMENT),
        _record(measures.CALL_ASA),
        _record(measures.CALL_AHT),
        _record(measures.CALL_COMBINED_WAIT),
        Record(
            "channel_window:ccm_contacts:share",
            _sum("channel, window", "ccm_contacts")
            + "\n/ on (window) group_left ()\n"
            + _sum("window", "ccm_contacts"),
        ),
        Record(
            CALL_SL_OBJECTIVE, "max by (channel, queue) (ccm_call_service_level_objective_ratio)"
        ),
        Record(
            CALL_ABANDONMENT_OBJECTIVE,
            "max by (channel, queue) (ccm_call_abandonment_objective_ratio)",
        ),
    ]
    return records


def _callbacks() -> list[Record]:
    return [
        Record(CALLBACKS_OWED, _sum(CALLBACK, "ccm_callbacks_owed")),
        # Divided by every call-back owed, attempted or not, as the monthly KPIs divide
        # it: one still in time counts as a miss until attempted.
        _record(measures.CALLBACK_FIRST_ATTEMPT),
        # Every outcome: the alerts ask only whether call-backs are being made at all.
        Record(CALLBACK_ATTEMPTS, _sum(CALLBACK, "ccm_callback_attempts")),
    ]


def _chats() -> list[Record]:
    _, outcomes = measures.CHAT_ABANDONMENT.terms()
    return [
        Record(CHAT_OUTCOMES, _sum("window", outcomes)),
        _record(measures.CHAT_SERVICE_LEVEL),
        _record(measures.CHAT_ABANDONMENT),
        _record(measures.CHAT_WAIT),
        Record(CHAT_SL_OBJECTIVE, "max (ccm_chat_service_level_objective_ratio)"),
    ]


def _reports() -> list[Record]:
    return [_record(measures.REPORT_TRIAGE)]


def _incidents() -> list[Record]:
    _, scored = measures.INCIDENTS_MET.terms()
    return [
        Record(INCIDENTS_SCORED, _sum(INCIDENT, scored)),
        _record(measures.INCIDENTS_MET),
        _record(measures.INCIDENTS_MET_HIGH_HARM),
        _record(measures.INCIDENTS_MET_BY_CATEGORY),
        _record(measures.CATEGORY_TARGET_MET),
        _record(measures.INCIDENT_ATTENDANCE),
        _record(measures.INCIDENT_ATTENDANCE_TIME),
        Record(INCIDENT_OBJECTIVE, "max by (policy, response) (ccm_incident_objective_ratio)"),
    ]


def _pipeline() -> list[Record]:
    return [Record(CONSUMER_LAG, "sum by (family) (ccm_consumer_lag_messages)")]


def recording_groups() -> tuple[Group, ...]:
    return (
        Group("ccm-calls", tuple(_calls())),
        Group("ccm-callbacks", tuple(_callbacks())),
        Group("ccm-chats-reports", tuple(_chats() + _reports())),
        Group("ccm-incidents", tuple(_incidents())),
        Group("ccm-pipeline", tuple(_pipeline())),
    )
