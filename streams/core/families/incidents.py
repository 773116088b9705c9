"""Incidents: scored against the grading policy in force (`streams.core.incidents`)."""

from datetime import date
from typing import Any

from schemas import Area, Category, Family, Grade
from streams.core.buckets import ATTENDANCE_BUCKETS_S
from streams.core.families.declare import (
    Count,
    Distribution,
    FamilySpec,
    Labels,
    MetricSpec,
    Now,
    Quiet,
    Row,
    TargetFigures,
    gauge,
)
from streams.core.incidents import IncidentCount, IncidentLedger
from streams.core.tally import Dim
from streams.core.targets import GradingPolicy, Targets
from streams.core.timebase import US

INCIDENT = ("policy", "grade", "response", "area", "category", "window")
GRADE = ("policy", "grade", "response")


def policy_named(targets: Targets, policy_id: str) -> GradingPolicy | None:
    """The policy of that id in the targets file; None once it is no longer there."""
    return next((p for p in targets.incident_grading if p.id == policy_id), None)


def grade_labels(policy: GradingPolicy, grade: Grade) -> Labels:
    return (policy.id, str(int(grade)), policy.grade(grade).response.value)


def _incident_labels(dim: Dim, targets: Targets) -> Labels:
    """(policy, grade, response, area, category): the response the grade has under the
    policy, none once the policy is no longer in the targets file."""
    policy = policy_named(targets, str(dim[0]))
    grade = Grade(int(dim[1]))
    g = grade_labels(policy, grade) if policy else (str(dim[0]), str(int(grade)), "")
    return (*g, str(dim[2]), str(dim[3]))


def _own_category_target(dim: Dim, targets: Targets) -> bool:
    """Whether the incident's category has a target of its own under the policy."""
    policy = policy_named(targets, str(dim[0]))
    return policy is not None and policy.category_target_us(Category(dim[3])) is not None


def _incident(count: IncidentCount, metric: str, text: str, **kw: Any) -> Count:
    return Count(count, metric, text, INCIDENT, **kw)


AWAITING_ATTENDANCE = gauge(
    "ccm_incidents_awaiting_attendance",
    GRADE,
    "Open incidents not yet attended, now (live streams only).",
)
ABOUT_TO_BREACH = gauge(
    "ccm_incidents_about_to_breach",
    GRADE,
    "Incidents awaiting attendance with at least 80 % of their target gone, not yet "
    "past their deadline, now (live streams only).",
)
BREACHED_UNATTENDED = gauge(
    "ccm_incidents_breached_unattended",
    GRADE,
    "Incidents awaiting attendance past their deadline, now (live streams only).",
)
INCIDENT_ROW = Row(
    "incidents",
    counts=(
        _incident(
            IncidentCount.CREATED,
            "ccm_incidents_created",
            "Incidents created in the window.",
            pack="created",
        ),
        _incident(
            IncidentCount.MET,
            "ccm_incidents_met",
            "Incidents created in the window and attended no later than their deadline.",
            pack="met",
        ),
        _incident(
            IncidentCount.MISSED,
            "ccm_incidents_missed",
            "Incidents created in the window whose deadline passed unattended (even if "
            "attended later).",
            pack="not_met",
        ),
        _incident(
            IncidentCount.ATTENDED,
            "ccm_incidents_attended",
            "Incidents created in the window and attended: attendance rate = this / created.",
            pack="attended",
        ),
        _incident(
            IncidentCount.ATTENDANCE_TIMED,
            "ccm_incidents_attendance_timed",
            "Attended incidents whose attendance event gives the attendance time.",
            pack="attendance_timed",
        ),
        _incident(
            IncidentCount.ATTENDANCE_US_SUM,
            "ccm_incidents_attendance_time_seconds",
            "Sum of attendance times: average = this / ccm_incidents_attendance_timed.",
            pack="attendance_us_sum",
            scale=US,
        ),
        _incident(
            IncidentCount.CLOSED_UNATTENDED,
            "ccm_incidents_closed_unattended",
            "Incidents created in the window and closed without attendance.",
        ),
        _incident(
            IncidentCount.DOWNGRADED_AFTER_BREACH,
            "ccm_incidents_downgraded_after_breach",
            "Incidents downgraded while unattended after their deadline had already passed.",
            pack="downgraded_after_breach",
        ),
        _incident(
            IncidentCount.CATEGORY_MET,
            "ccm_incidents_category_target_met",
            "Incidents of a category with its own target (residential burglary) attended "
            "within it.",
            shown_where=_own_category_target,
        ),
        _incident(
            IncidentCount.CATEGORY_MISSED,
            "ccm_incidents_category_target_missed",
            "Incidents of a category with its own target whose category deadline passed "
            "unattended.",
            shown_where=_own_category_target,
        ),
    ),
    labels=_incident_labels,
    key=lambda dim: (str(dim[0]), int(dim[1]), str(dim[2]), str(dim[3])),
    # Every grade of the policy in force today, so rates and alerts have series.
    standard=lambda targets, day: (
        (targets.policy_on(day).id, grade, area, category)
        for grade in Grade
        for area in Area
        for category in Category
    ),
    buckets=ATTENDANCE_BUCKETS_S,
    bucket_fields=(("attended_within_60m", 3600),),
    histogram=Distribution(
        MetricSpec(
            "ccm_incident_attendance_seconds",
            "histogram",
            ("policy", "grade", "response", "area"),
            "Attendance time (creation to first resource at scene) of attended incidents.",
        ),
        timed=IncidentCount.ATTENDANCE_TIMED,
        sum_us=IncidentCount.ATTENDANCE_US_SUM,
    ),
    gauges=(
        AWAITING_ATTENDANCE,
        ABOUT_TO_BREACH,
        BREACHED_UNATTENDED,
    ),
)

ATTENDANCE_TARGET = gauge(
    "ccm_incident_attendance_target_seconds",
    ("policy", "grade", "response", "area"),
    "Attendance target of each grade under the grading policy in force today.",
    "max",
)
INCIDENT_OBJECTIVE = gauge(
    "ccm_incident_objective_ratio",
    ("policy", "response"),
    "Share of incidents of the response to attend within target (objective).",
    "max",
)
CATEGORY_TARGET = gauge(
    "ccm_incident_category_target_seconds",
    ("policy", "category"),
    "A category's own attendance target under the policy in force today.",
    "max",
)
GRADING_POLICY = MetricSpec(
    "ccm_incident_grading_policy",
    "info",
    ("policy",),
    "The grading policy in force today.",
    "max",
)


def _incidents_now(ledger: IncidentLedger, ref_us: int, live: bool) -> Now:
    view = ledger.live_view(ref_us, timely_only=True)
    now = Now(added={INCIDENT_ROW.name: view.corrections})
    if not live:
        # Replaying history: what was awaiting then is no reason to call anyone now.
        return now
    for spec, counter in (
        (AWAITING_ATTENDANCE, view.awaiting),
        (ABOUT_TO_BREACH, view.about_to_breach),
        (BREACHED_UNATTENDED, view.breached),
    ):
        for (policy_id, grade), count in counter.items():
            policy = ledger.targets_policy(policy_id)
            if policy is not None:
                now.gauges.append((spec, grade_labels(policy, grade), count))
    return now


def _incident_targets(targets: Targets, day: date) -> TargetFigures:
    policy = targets.policy_on(day)
    yield GRADING_POLICY, (policy.id,), 1
    for grade in Grade:
        for area in Area:
            target_us = policy.target_us(grade, area)
            if target_us is not None:
                yield ATTENDANCE_TARGET, (*grade_labels(policy, grade), area.value), target_us / US
    for response, objective in policy.objectives.items():
        yield INCIDENT_OBJECTIVE, (policy.id, response.value), objective
    for category_target in policy.category_targets:
        yield (
            CATEGORY_TARGET,
            (policy.id, category_target.category.value),
            category_target.attend_within_minutes * 60,
        )


INCIDENTS = FamilySpec(
    Family.INCIDENTS,
    ledger=IncidentLedger,
    stale=lambda rules: rules.incident_stale_us,
    topic_setting="topic_incidents",
    rows=(INCIDENT_ROW,),
    metrics=(
        *INCIDENT_ROW.specs(),
        AWAITING_ATTENDANCE,
        ABOUT_TO_BREACH,
        BREACHED_UNATTENDED,
        ATTENDANCE_TARGET,
        INCIDENT_OBJECTIVE,
        CATEGORY_TARGET,
        GRADING_POLICY,
    ),
    now=_incidents_now,
    targets=_incident_targets,
    as_of=lambda ledger, stream_us: {INCIDENT_ROW.name: ledger.live_view(stream_us).corrections},
    # Incidents are created around the clock; half an hour without one is a broken feed,
    # and the duty officer would be blind to emergencies about to breach.
    quiet=Quiet(30, "page", "incidents are created around the clock"),
)
