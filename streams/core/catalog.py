"""Every metric ccm exposes: name, type, labels (all from closed sets), help.

Windowed figures are gauges holding additive counts and sums for the window,
so several workers' series add up; ratios are left to PromQL. ``combine`` says
how one worker folds its partitions together (and how PromQL should fold
workers): add them, or take the largest.
"""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: Literal["gauge", "counter", "histogram", "info"]
    labels: tuple[str, ...]
    help: str
    combine: Literal["sum", "max"] = "sum"


LEG = ("channel", "queue", "window")
QUEUE = ("channel", "queue")
INCIDENT = ("policy", "grade", "response", "area", "category", "window")
GRADE = ("policy", "grade", "response")


def _g(
    name: str, labels: tuple[str, ...], text: str, combine: Literal["sum", "max"] = "sum"
) -> MetricSpec:
    return MetricSpec(name, "gauge", labels, text, combine)


CATALOG: tuple[MetricSpec, ...] = (
    # Calls, per leg, attributed to when the leg was offered (queued).
    _g("ccm_call_legs_offered", LEG, "Call legs offered (queued) in the window."),
    _g("ccm_call_legs_answered", LEG, "Legs offered in the window and answered."),
    _g(
        "ccm_call_legs_answered_within_target",
        LEG,
        "Answered legs whose answer time was at most the queue's target.",
    ),
    _g(
        "ccm_call_legs_answered_under_10s",
        LEG,
        "Answered legs answered in strictly less than 10 s (Home Office 999 measure).",
    ),
    _g(
        "ccm_call_legs_abandoned",
        LEG,
        "Legs abandoned (caller hung up, or the call ended unanswered), short abandons excluded.",
    ),
    _g(
        "ccm_call_legs_abandoned_within_target",
        LEG,
        "Abandoned legs (short ones excluded) that waited at most the target.",
    ),
    _g(
        "ccm_call_legs_short_abandoned",
        LEG,
        "Legs abandoned before the short-abandon threshold: in neither side of service level.",
    ),
    _g(
        "ccm_call_legs_answered_wait_seconds",
        LEG,
        "Sum of answer times of answered legs: ASA = this / ccm_call_legs_answered.",
    ),
    _g(
        "ccm_call_legs_handled",
        LEG,
        "Answered legs whose handling is over (the call was transferred or ended).",
    ),
    _g(
        "ccm_call_legs_handle_seconds",
        LEG,
        "Sum of handling times (answer to transfer or end): AHT = this / ccm_call_legs_handled.",
    ),
    _g(
        "ccm_call_positions_needed",
        QUEUE,
        "Call handlers needed now to meet the queue's target (Erlang C on the last 15 "
        "minutes' legs offered and the last 24 hours' handling time).",
    ),
    _g(
        "ccm_call_longest_wait_seconds",
        LEG,
        "Longest wait (to answer or abandon) of a leg offered in the window.",
        "max",
    ),
    _g("ccm_call_legs_waiting", QUEUE, "Legs waiting in the queue now."),
    _g(
        "ccm_call_legs_waiting_over_target",
        QUEUE,
        "Legs waiting now for longer than the queue's target: already misses.",
    ),
    _g(
        "ccm_call_oldest_wait_seconds",
        QUEUE,
        "How long the longest-waiting call in the queue has waited now.",
        "max",
    ),
    _g(
        "ccm_calls_settled",
        ("channel", "window"),
        "Calls first offered in the window whose every leg has an outcome.",
    ),
    _g(
        "ccm_calls_combined_wait_seconds",
        ("channel", "window"),
        "Sum over settled calls of all their legs' waits (the caller's wait across transfers).",
    ),
    _g(
        "ccm_contacts",
        ("channel", "window"),
        "Contacts by channel (999, 101, chat, online): the base of channel share.",
    ),
    # Targets in force, as series, so rules and dashboards compare against data.
    _g(
        "ccm_call_answer_target_seconds",
        QUEUE,
        "Answer-time target of the queue in force today.",
        "max",
    ),
    _g(
        "ccm_call_service_level_objective_ratio",
        QUEUE,
        "Share of legs to answer within target (objective).",
        "max",
    ),
    _g(
        "ccm_call_abandonment_objective_ratio",
        QUEUE,
        "Abandonment rate to stay below (objective).",
        "max",
    ),
    MetricSpec(
        "ccm_call_service_level_formula",
        "info",
        ("channel", "queue", "formula"),
        "The service-level formula the force reports for the queue.",
        "max",
    ),
    # Live Chat, attributed to when the chat was requested.
    _g("ccm_chats_requested", ("window",), "Chats requested in the window."),
    _g("ccm_chats_accepted", ("window",), "Chats requested in the window and accepted."),
    _g(
        "ccm_chats_accepted_within_target",
        ("window",),
        "Accepted chats whose wait was at most the chat target.",
    ),
    _g("ccm_chats_abandoned", ("window",), "Chats abandoned, or ended before acceptance."),
    _g(
        "ccm_chats_abandoned_within_target",
        ("window",),
        "Abandoned chats that waited at most the target.",
    ),
    _g(
        "ccm_chats_requested_while_closed",
        ("window",),
        "Chats requested outside the opening hours (07:00-23:00 Europe/London).",
    ),
    _g(
        "ccm_chats_accepted_wait_seconds",
        ("window",),
        "Sum of waits of accepted chats: average = this / ccm_chats_accepted.",
    ),
    _g(
        "ccm_chat_longest_wait_seconds",
        ("window",),
        "Longest wait of a chat requested in the window.",
        "max",
    ),
    _g("ccm_chats_waiting", (), "Chats waiting to be accepted now."),
    _g(
        "ccm_chat_oldest_wait_seconds",
        (),
        "How long the longest-waiting chat has waited now.",
        "max",
    ),
    _g("ccm_chat_accept_target_seconds", (), "Chat acceptance target in force today.", "max"),
    _g(
        "ccm_chat_service_level_objective_ratio",
        (),
        "Share of chats to accept within target (objective).",
        "max",
    ),
    # Online reports, attributed to when the report was submitted.
    _g(
        "ccm_reports_submitted",
        ("report_type", "window"),
        "Online reports submitted in the window.",
    ),
    _g(
        "ccm_reports_triaged",
        ("report_type", "window"),
        "Reports submitted in the window and triaged.",
    ),
    _g(
        "ccm_reports_triage_seconds",
        ("report_type", "window"),
        "Sum of times to triage: average = this / ccm_reports_triaged.",
    ),
    _g("ccm_reports_awaiting_triage", ("report_type",), "Reports submitted and not yet triaged."),
    _g(
        "ccm_report_oldest_awaiting_triage_seconds",
        ("report_type",),
        "Age of the oldest report awaiting triage.",
        "max",
    ),
    # Incidents, attributed to when they were created, scored by the policy in force that
    # day, under the grade they had when they met or missed their target (or have now).
    _g("ccm_incidents_created", INCIDENT, "Incidents created in the window."),
    _g(
        "ccm_incidents_met",
        INCIDENT,
        "Incidents created in the window and attended no later than their deadline.",
    ),
    _g(
        "ccm_incidents_missed",
        INCIDENT,
        "Incidents created in the window whose deadline passed unattended (even if "
        "attended later).",
    ),
    _g(
        "ccm_incidents_attended",
        INCIDENT,
        "Incidents created in the window and attended: attendance rate = this / created.",
    ),
    _g(
        "ccm_incidents_attendance_timed",
        INCIDENT,
        "Attended incidents whose attendance event gives the attendance time.",
    ),
    _g(
        "ccm_incidents_attendance_time_seconds",
        INCIDENT,
        "Sum of attendance times: average = this / ccm_incidents_attendance_timed.",
    ),
    _g(
        "ccm_incidents_closed_unattended",
        INCIDENT,
        "Incidents created in the window and closed without attendance.",
    ),
    _g(
        "ccm_incidents_downgraded_after_breach",
        INCIDENT,
        "Incidents downgraded while unattended after their deadline had already passed.",
    ),
    _g(
        "ccm_incidents_category_target_met",
        INCIDENT,
        "Incidents of a category with its own target (residential burglary) attended within it.",
    ),
    _g(
        "ccm_incidents_category_target_missed",
        INCIDENT,
        "Incidents of a category with its own target whose category deadline passed unattended.",
    ),
    _g(
        "ccm_incidents_awaiting_attendance",
        GRADE,
        "Open incidents not yet attended, now (live streams only).",
    ),
    _g(
        "ccm_incidents_about_to_breach",
        GRADE,
        "Incidents awaiting attendance with at least 80 % of their target gone, not yet past "
        "their deadline, now (live streams only).",
    ),
    _g(
        "ccm_incidents_breached_unattended",
        GRADE,
        "Incidents awaiting attendance past their deadline, now (live streams only).",
    ),
    _g(
        "ccm_incident_attendance_target_seconds",
        ("policy", "grade", "response", "area"),
        "Attendance target of each grade under the grading policy in force today.",
        "max",
    ),
    _g(
        "ccm_incident_objective_ratio",
        ("policy", "response"),
        "Share of incidents of the response to attend within target (objective).",
        "max",
    ),
    _g(
        "ccm_incident_category_target_seconds",
        ("policy", "category"),
        "A category's own attendance target under the policy in force today.",
        "max",
    ),
    MetricSpec(
        "ccm_incident_grading_policy",
        "info",
        ("policy",),
        "The grading policy in force today.",
        "max",
    ),
    # Histograms over all time, buckets at every target.
    MetricSpec("ccm_call_answer_seconds", "histogram", QUEUE, "Answer time of answered legs."),
    MetricSpec(
        "ccm_incident_attendance_seconds",
        "histogram",
        ("policy", "grade", "response", "area"),
        "Attendance time (creation to first resource at scene) of attended incidents.",
    ),
    # Pipeline health.
    MetricSpec(
        "ccm_events_consumed", "counter", ("family",), "Messages consumed from the input topics."
    ),
    MetricSpec(
        "ccm_events_rejected", "counter", ("family", "reason"), "Messages dead-lettered, by reason."
    ),
    MetricSpec(
        "ccm_events_late",
        "counter",
        ("family",),
        "Events beyond the grace period taken into the day and month figures only.",
    ),
    MetricSpec(
        "ccm_events_duplicate",
        "counter",
        ("family",),
        "Events whose event_id was already applied: ignored.",
    ),
    MetricSpec(
        "ccm_events_lost",
        "counter",
        ("family",),
        "Offsets deleted from the topic by retention before they were counted: lost.",
    ),
    _g(
        "ccm_newest_event_timestamp_seconds",
        ("source",),
        "Event time of the newest event seen from each source.",
        "max",
    ),
    _g(
        "ccm_stream_time_seconds",
        ("family",),
        "Newest event time seen on the family's partitions.",
        "max",
    ),
    _g("ccm_partitions_assigned", ("family",), "Input partitions this worker holds."),
    _g(
        "ccm_partitions_live",
        ("family",),
        "Partitions whose newest event was current when it arrived (not replaying history).",
    ),
)

# The worker's own readings of its consumer and producer, not partition state: each
# worker process shows its own, from when it starts.
PIPELINE: tuple[MetricSpec, ...] = (
    _g(
        "ccm_consumer_lag_messages",
        ("family",),
        "Offsets on the log end (committed transactions) not yet applied, over the partitions "
        "this worker holds.",
    ),
    _g(
        "ccm_consumer_stalled",
        ("family",),
        "1 while some partition of the family is behind its log end and has not moved for "
        "CCM_STALL_SECONDS: consumption has stopped.",
        "max",
    ),
    MetricSpec(
        "ccm_deadletters",
        "counter",
        ("family", "reason"),
        "Dead letters this worker process has sent since it started (every reason from 0).",
    ),
    _g(
        "ccm_checkpoint_acknowledged_timestamp_seconds",
        ("family",),
        "Wall time of the last checkpoint Kafka acknowledged, after which offsets were committed.",
        "max",
    ),
    _g(
        "ccm_checkpoint_duration_seconds",
        ("family",),
        "How long the last checkpoint took, snapshots and Kafka's acknowledgement.",
        "max",
    ),
)

BY_NAME = {spec.name: spec for spec in (*CATALOG, *PIPELINE)}
