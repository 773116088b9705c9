"""Recording rules: every ratio of docs/kpis.md, summed across workers before dividing.

Named the Prometheus way, ``level:metric:operations``: the labels kept, the figure,
what was done to it. Rules that aggregate every label away start with a colon
(``:ccm_chat_service_level_objective_ratio:max``), as kubernetes-mixin writes them.
Each keeps the ``window`` label, so one rule serves the 15m, 1h, 24h and today views.
"""

from streams.alerting.rules import Group, Record
from streams.core.service_level import promql_terms
from streams.core.targets import ServiceLevelFormula

CALL = "channel, queue, window"
INCIDENT = "policy, response, window"


def _sum(by: str, expr: str) -> str:
    return f"sum by ({by}) ({expr})"


def _ratio(by: str, numerator: str, denominator: str) -> str:
    return f"{_sum(by, numerator)}\n/\n{_sum(by, denominator)}"


OUTCOMES = "ccm_call_legs_answered + ccm_call_legs_abandoned"

CALL_SERVICE_LEVEL = {formula: promql_terms(formula) for formula in ServiceLevelFormula}


def service_level_record(formula: ServiceLevelFormula) -> str:
    return f"channel_queue_window:ccm_call_service_level_{formula.value}:ratio"


CALL_REPORTED = "channel_queue_window:ccm_call_service_level:ratio"
CALL_OUTCOMES = "channel_queue_window:ccm_call_legs_with_outcome:sum"
CALL_ABANDONMENT = "channel_queue_window:ccm_call_abandonment:ratio"
CALL_SL_OBJECTIVE = "channel_queue:ccm_call_service_level_objective_ratio:max"
CALL_ABANDONMENT_OBJECTIVE = "channel_queue:ccm_call_abandonment_objective_ratio:max"
CHAT_SERVICE_LEVEL = "window:ccm_chat_service_level:ratio"
CHAT_OUTCOMES = "window:ccm_chats_with_outcome:sum"
CHAT_SL_OBJECTIVE = ":ccm_chat_service_level_objective_ratio:max"
INCIDENTS_MET = "policy_response_window:ccm_incidents_met:ratio"
INCIDENTS_SCORED = "policy_response_window:ccm_incidents_scored:sum"
INCIDENT_OBJECTIVE = "policy_response:ccm_incident_objective_ratio:max"
CONSUMER_LAG = "family:ccm_consumer_lag_messages:sum"
CALLBACK = "channel, window"
CALLBACKS_OWED = "channel_window:ccm_callbacks_owed:sum"
CALLBACK_FIRST_ATTEMPT = "channel_window:ccm_callbacks_first_attempt_within_target:ratio"
CALLBACK_ATTEMPTS = "channel_window:ccm_callback_attempts:sum"


def _calls() -> list[Record]:
    records = [Record(CALL_OUTCOMES, _sum(CALL, OUTCOMES))]
    for formula, (numerator, denominator) in CALL_SERVICE_LEVEL.items():
        records.append(Record(service_level_record(formula), _ratio(CALL, numerator, denominator)))
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
        Record(
            "window:ccm_call_legs_answered_under_10s_999:ratio",
            _ratio(
                "window",
                'ccm_call_legs_answered_under_10s{channel="999"}',
                'ccm_call_legs_answered{channel="999"}',
            ),
        ),
        Record(CALL_ABANDONMENT, _ratio(CALL, "ccm_call_legs_abandoned", OUTCOMES)),
        Record(
            "channel_queue_window:ccm_call_legs_answered_wait_seconds:mean",
            _ratio(CALL, "ccm_call_legs_answered_wait_seconds", "ccm_call_legs_answered"),
        ),
        Record(
            "channel_queue_window:ccm_call_legs_handle_seconds:mean",
            _ratio(CALL, "ccm_call_legs_handle_seconds", "ccm_call_legs_handled"),
        ),
        Record(
            "channel_window:ccm_calls_combined_wait_seconds:mean",
            _ratio("channel, window", "ccm_calls_combined_wait_seconds", "ccm_calls_settled"),
        ),
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
        Record(
            CALLBACK_FIRST_ATTEMPT,
            _ratio(CALLBACK, "ccm_callbacks_first_attempt_within_target", "ccm_callbacks_owed"),
        ),
        # Every outcome: the alerts ask only whether call-backs are being made at all.
        Record(CALLBACK_ATTEMPTS, _sum(CALLBACK, "ccm_callback_attempts")),
    ]


def _chats() -> list[Record]:
    outcomes = "ccm_chats_accepted + ccm_chats_abandoned"
    return [
        Record(CHAT_OUTCOMES, _sum("window", outcomes)),
        Record(CHAT_SERVICE_LEVEL, _ratio("window", "ccm_chats_accepted_within_target", outcomes)),
        Record(
            "window:ccm_chat_abandonment:ratio", _ratio("window", "ccm_chats_abandoned", outcomes)
        ),
        Record(
            "window:ccm_chats_accepted_wait_seconds:mean",
            _ratio("window", "ccm_chats_accepted_wait_seconds", "ccm_chats_accepted"),
        ),
        Record(CHAT_SL_OBJECTIVE, "max (ccm_chat_service_level_objective_ratio)"),
    ]


def _reports() -> list[Record]:
    return [
        Record(
            "report_type_window:ccm_reports_triage_seconds:mean",
            _ratio("report_type, window", "ccm_reports_triage_seconds", "ccm_reports_triaged"),
        )
    ]


def _incidents() -> list[Record]:
    scored = "ccm_incidents_met + ccm_incidents_missed"
    high_harm = 'ccm_incidents_met{category!="other"} + ccm_incidents_missed{category!="other"}'
    category_scored = "ccm_incidents_category_target_met + ccm_incidents_category_target_missed"
    return [
        Record(INCIDENTS_SCORED, _sum(INCIDENT, scored)),
        Record(INCIDENTS_MET, _ratio(INCIDENT, "ccm_incidents_met", scored)),
        Record(
            "policy_response_window:ccm_incidents_met_high_harm:ratio",
            _ratio(INCIDENT, 'ccm_incidents_met{category!="other"}', high_harm),
        ),
        Record(
            "policy_response_category_window:ccm_incidents_met:ratio",
            _ratio(f"{INCIDENT}, category", "ccm_incidents_met", scored),
        ),
        Record(
            "policy_category_window:ccm_incidents_category_target_met:ratio",
            _ratio(
                "policy, category, window", "ccm_incidents_category_target_met", category_scored
            ),
        ),
        Record(
            "category_window:ccm_incidents_attended:ratio",
            _ratio("category, window", "ccm_incidents_attended", "ccm_incidents_created"),
        ),
        Record(
            "policy_response_window:ccm_incidents_attendance_time_seconds:mean",
            _ratio(
                INCIDENT, "ccm_incidents_attendance_time_seconds", "ccm_incidents_attendance_timed"
            ),
        ),
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
