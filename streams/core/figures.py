"""The figures a worker exposes, computed from its partitions' state at one instant.

Pure: takes partition states, the targets and the wall clock, returns numbers by
metric name and label values (see `streams.core.catalog`). Each partition's live
windows end at that partition's own reference time.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from schemas import Area, Category, Channel, Family, Grade, Queue, RejectReason, ReportType
from streams.core import erlang
from streams.core.calls import ANSWER_BUCKETS_S, FIRST_BUCKET, CallCount, CallLedger, LegCount
from streams.core.catalog import BY_NAME
from streams.core.chats import DIM as CHAT_DIM
from streams.core.chats import ChatCount, ChatLedger
from streams.core.incidents import (
    ATTENDANCE_BUCKETS_S,
    IncidentCount,
    IncidentLedger,
)
from streams.core.incidents import FIRST_BUCKET as INCIDENT_FIRST_BUCKET
from streams.core.partition import PartitionState
from streams.core.reports import ReportCount, ReportLedger
from streams.core.tally import Dim, Tally
from streams.core.targets import GradingPolicy, ResolvedQueueTarget, Targets
from streams.core.timebase import (
    ROLLING_MINUTES,
    US,
    Window,
    london_day,
    minute_of,
    minutes_in_window,
)

STANDARD_QUEUES: tuple[tuple[Channel, Queue], ...] = (
    (Channel.EMERGENCY, Queue.FCR),
    (Channel.NON_EMERGENCY, Queue.SWITCHBOARD),
    (Channel.NON_EMERGENCY, Queue.FCR),
    (Channel.NON_EMERGENCY, Queue.RESOLUTION_CENTRE),
)
"""Where calls go in this force; always exposed, at zero when quiet."""

CONTACT_CHANNELS = ("999", "101", "chat", "online")

Labels = tuple[str, ...]


@dataclass
class Histogram:
    bounds_s: tuple[int, ...] = ANSWER_BUCKETS_S
    buckets: list[int] = field(default_factory=list)
    count: int = 0
    sum_s: float = 0.0

    def __post_init__(self) -> None:
        if not self.buckets:
            self.buckets = [0] * len(self.bounds_s)


@dataclass
class Figures:
    values: dict[str, dict[Labels, float]] = field(default_factory=lambda: defaultdict(dict))
    histograms: dict[str, dict[Labels, Histogram]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    def put(self, name: str, labels: Labels, value: float) -> None:
        """Fold a partition's value in: added, or the larger kept (per the catalog)."""
        series = self.values[name]
        if BY_NAME[name].combine == "max":
            if labels not in series or value > series[labels]:
                series[labels] = value
        else:
            series[labels] = series.get(labels, 0) + value

    def zero(self, name: str, labels: Labels) -> None:
        self.values[name].setdefault(labels, 0)


def _window_vector(tally: Tally, dim: Dim, window: Window, ref_us: int) -> list[int]:
    if window is Window.TODAY:
        return tally.live_day(dim, london_day(ref_us).toordinal())
    return tally.sum_minutes(dim, minutes_in_window(window, ref_us))


LEG_FIGURES = (
    ("ccm_call_legs_offered", LegCount.OFFERED, 1),
    ("ccm_call_legs_answered", LegCount.ANSWERED, 1),
    ("ccm_call_legs_answered_within_target", LegCount.ANSWERED_WITHIN_TARGET, 1),
    ("ccm_call_legs_answered_under_10s", LegCount.ANSWERED_UNDER_10S, 1),
    ("ccm_call_legs_abandoned", LegCount.ABANDONED, 1),
    ("ccm_call_legs_abandoned_within_target", LegCount.ABANDONED_WITHIN_TARGET, 1),
    ("ccm_call_legs_short_abandoned", LegCount.SHORT_ABANDONED, 1),
    ("ccm_call_legs_answered_wait_seconds", LegCount.ANSWER_US_SUM, US),
    ("ccm_call_legs_handled", LegCount.HANDLED, 1),
    ("ccm_call_legs_handle_seconds", LegCount.HANDLE_US_SUM, US),
)
CHAT_FIGURES = (
    ("ccm_chats_requested", ChatCount.REQUESTED, 1),
    ("ccm_chats_accepted", ChatCount.ACCEPTED, 1),
    ("ccm_chats_accepted_within_target", ChatCount.ACCEPTED_WITHIN_TARGET, 1),
    ("ccm_chats_abandoned", ChatCount.ABANDONED, 1),
    ("ccm_chats_abandoned_within_target", ChatCount.ABANDONED_WITHIN_TARGET, 1),
    ("ccm_chats_requested_while_closed", ChatCount.OUTSIDE_HOURS, 1),
    ("ccm_chats_accepted_wait_seconds", ChatCount.ACCEPT_US_SUM, US),
)
INCIDENT_FIGURES = (
    ("ccm_incidents_created", IncidentCount.CREATED, 1),
    ("ccm_incidents_met", IncidentCount.MET, 1),
    ("ccm_incidents_missed", IncidentCount.MISSED, 1),
    ("ccm_incidents_attended", IncidentCount.ATTENDED, 1),
    ("ccm_incidents_attendance_timed", IncidentCount.ATTENDANCE_TIMED, 1),
    ("ccm_incidents_attendance_time_seconds", IncidentCount.ATTENDANCE_US_SUM, US),
    ("ccm_incidents_closed_unattended", IncidentCount.CLOSED_UNATTENDED, 1),
    ("ccm_incidents_downgraded_after_breach", IncidentCount.DOWNGRADED_AFTER_BREACH, 1),
    ("ccm_incidents_category_target_met", IncidentCount.CATEGORY_MET, 1),
    ("ccm_incidents_category_target_missed", IncidentCount.CATEGORY_MISSED, 1),
)
INCIDENT_GAUGES = (
    "ccm_incidents_awaiting_attendance",
    "ccm_incidents_about_to_breach",
    "ccm_incidents_breached_unattended",
)
REPORT_FIGURES = (
    ("ccm_reports_submitted", ReportCount.SUBMITTED, 1),
    ("ccm_reports_triaged", ReportCount.TRIAGED, 1),
    ("ccm_reports_triage_seconds", ReportCount.TRIAGE_US_SUM, US),
)


def compute(states: Iterable[PartitionState], targets: Targets, wall_us: int) -> Figures:
    figures = Figures()
    today = london_day(wall_us)
    _zeros(figures, targets.policy_on(today))
    _targets(figures, targets, today)
    demand: dict[tuple[Channel, Queue], Demand] = {}
    for state in states:
        _pipeline(figures, state)
        ref_us = state.reference_us(wall_us)
        if ref_us is None:
            continue
        ledger = state.ledger
        if isinstance(ledger, CallLedger):
            _calls(figures, ledger, ref_us)
            _add_demand(demand, ledger, ref_us)
        elif isinstance(ledger, ChatLedger):
            _chats(figures, ledger, ref_us)
        elif isinstance(ledger, ReportLedger):
            _reports(figures, ledger, ref_us)
        elif isinstance(ledger, IncidentLedger):
            _incidents(figures, ledger, ref_us, live=state.clock.live)
    _positions(figures, demand, targets)
    return figures


def _zeros(figures: Figures, policy: GradingPolicy) -> None:
    for channel, queue in STANDARD_QUEUES:
        q = (channel.value, queue.value)
        for window in Window:
            for name, _, _ in LEG_FIGURES:
                figures.zero(name, (*q, window.value))
        for name in (
            "ccm_call_legs_waiting",
            "ccm_call_legs_waiting_over_target",
            "ccm_call_oldest_wait_seconds",
            "ccm_call_positions_needed",
        ):
            figures.zero(name, q)
        figures.histograms["ccm_call_answer_seconds"].setdefault(q, Histogram())
    for window in Window:
        for channel in (Channel.EMERGENCY, Channel.NON_EMERGENCY):
            figures.zero("ccm_calls_settled", (channel.value, window.value))
            figures.zero("ccm_calls_combined_wait_seconds", (channel.value, window.value))
        for contact in CONTACT_CHANNELS:
            figures.zero("ccm_contacts", (contact, window.value))
        for name, _, _ in CHAT_FIGURES:
            figures.zero(name, (window.value,))
        for report_type in ReportType:
            for name, _, _ in REPORT_FIGURES:
                figures.zero(name, (report_type.value, window.value))
    for name in ("ccm_chats_waiting", "ccm_chat_oldest_wait_seconds"):
        figures.zero(name, ())
    for report_type in ReportType:
        figures.zero("ccm_reports_awaiting_triage", (report_type.value,))
        figures.zero("ccm_report_oldest_awaiting_triage_seconds", (report_type.value,))
    for family in Family:
        figures.zero("ccm_partitions_assigned", (family.value,))
        figures.zero("ccm_partitions_live", (family.value,))
    # Incidents: every grade of the policy in force today, so rates and alerts have series.
    for grade in Grade:
        g = _grade_labels(policy, grade)
        for name in INCIDENT_GAUGES:
            figures.zero(name, g)
        for area in Area:
            figures.histograms["ccm_incident_attendance_seconds"].setdefault(
                (*g, area.value), Histogram(ATTENDANCE_BUCKETS_S)
            )
            for category in Category:
                has_own_target = policy.category_target_us(category) is not None
                for window in Window:
                    labels = (*g, area.value, category.value, window.value)
                    for name, _, _ in INCIDENT_FIGURES:
                        if has_own_target or "category_target" not in name:
                            figures.zero(name, labels)


def _grade_labels(policy: GradingPolicy, grade: Grade) -> Labels:
    return (policy.id, str(int(grade)), policy.grade(grade).response.value)


def _targets(figures: Figures, targets: Targets, today: date) -> None:
    calls = targets.calls_on(today)
    for channel, queue in STANDARD_QUEUES:
        target = calls.resolve(channel, queue)
        q = (channel.value, queue.value)
        figures.put("ccm_call_answer_target_seconds", q, target.answer_within_us / US)
        figures.put("ccm_call_service_level_objective_ratio", q, target.service_level_objective)
        if target.abandonment_objective is not None:
            figures.put("ccm_call_abandonment_objective_ratio", q, target.abandonment_objective)
        figures.put("ccm_call_service_level_formula", (*q, target.formula.value), 1)
    policy = targets.policy_on(today)
    figures.put("ccm_incident_grading_policy", (policy.id,), 1)
    for grade in Grade:
        for area in Area:
            target_us = policy.target_us(grade, area)
            if target_us is not None:
                labels = (*_grade_labels(policy, grade), area.value)
                figures.put("ccm_incident_attendance_target_seconds", labels, target_us / US)
    for response, objective in policy.objectives.items():
        figures.put("ccm_incident_objective_ratio", (policy.id, response.value), objective)
    for category_target in policy.category_targets:
        figures.put(
            "ccm_incident_category_target_seconds",
            (policy.id, category_target.category.value),
            category_target.attend_within_minutes * 60,
        )
    chat = targets.chat_on(today)
    figures.put("ccm_chat_accept_target_seconds", (), chat.accept_within_seconds)
    figures.put("ccm_chat_service_level_objective_ratio", (), chat.service_level_objective)


def _pipeline(figures: Figures, state: PartitionState) -> None:
    family = state.family.value
    # The counters are the partitions' totals, restored from their checkpoints: shown
    # only once a partition is held (a worker that has not restored one yet shows none,
    # rather than a 0 that rules would read as a reset), then from 0 for every reason,
    # so that the first dead letter is an increase.
    for reason in RejectReason:
        figures.zero("ccm_events_rejected", (family, reason.value))
    figures.put("ccm_partitions_assigned", (family,), 1)
    figures.put("ccm_partitions_live", (family,), int(state.clock.live))
    figures.put("ccm_events_consumed", (family,), state.consumed)
    figures.put("ccm_events_duplicate", (family,), state.duplicates)
    figures.put("ccm_events_late", (family,), state.late)
    figures.put("ccm_events_lost", (family,), state.lost)
    for reason, count in state.rejected.items():
        figures.put("ccm_events_rejected", (family, reason.value), count)
    for source, newest_us in state.newest_by_source.items():
        figures.put("ccm_newest_event_timestamp_seconds", (source.value,), newest_us / US)
    if state.clock.stream_us is not None:
        figures.put("ccm_stream_time_seconds", (family,), state.clock.stream_us / US)


def _calls(figures: Figures, ledger: CallLedger, ref_us: int) -> None:
    legs, calls = ledger.tallies
    for dim in list(legs.dims()):
        channel, queue = str(dim[0]), str(dim[1])
        for window in Window:
            labels = (channel, queue, window.value)
            vector = _window_vector(legs, dim, window, ref_us)
            for name, index, scale in LEG_FIGURES:
                figures.put(name, labels, vector[index] / scale)
            longest = legs.longest_wait(dim, minutes_in_window(window, ref_us))
            if longest is not None:
                figures.put("ccm_call_longest_wait_seconds", labels, longest / US)
        histogram = figures.histograms["ccm_call_answer_seconds"].setdefault(
            (channel, queue), Histogram()
        )
        for by_day in [legs.days.get(dim, {})]:
            for vector in by_day.values():
                histogram.count += vector[LegCount.ANSWERED]
                histogram.sum_s += vector[LegCount.ANSWER_US_SUM] / US
                for i in range(len(ANSWER_BUCKETS_S)):
                    histogram.buckets[i] += vector[FIRST_BUCKET + i]
    for dim in list(calls.dims()):
        channel = str(dim[0])
        for window in Window:
            vector = _window_vector(calls, dim, window, ref_us)
            figures.put("ccm_contacts", (channel, window.value), vector[CallCount.CONTACTS])
            figures.put("ccm_calls_settled", (channel, window.value), vector[CallCount.SETTLED])
            figures.put(
                "ccm_calls_combined_wait_seconds",
                (channel, window.value),
                vector[CallCount.COMBINED_WAIT_US_SUM] / US,
            )
    for channel, queue, queued_us in ledger.waiting():
        q = (channel.value, queue.value)
        wait = max(0, ref_us - queued_us)
        figures.put("ccm_call_legs_waiting", q, 1)
        over = int(wait > ledger.target(channel, queue, queued_us).answer_within_us)
        figures.put("ccm_call_legs_waiting_over_target", q, over)
        figures.put("ccm_call_oldest_wait_seconds", q, wait / US)


def _chats(figures: Figures, ledger: ChatLedger, ref_us: int) -> None:
    (tally,) = ledger.tallies
    for window in Window:
        vector = _window_vector(tally, CHAT_DIM, window, ref_us)
        for name, index, scale in CHAT_FIGURES:
            figures.put(name, (window.value,), vector[index] / scale)
        figures.put("ccm_contacts", ("chat", window.value), vector[ChatCount.REQUESTED])
        longest = tally.longest_wait(CHAT_DIM, minutes_in_window(window, ref_us))
        if longest is not None:
            figures.put("ccm_chat_longest_wait_seconds", (window.value,), longest / US)
    for requested_us in ledger.waiting():
        figures.put("ccm_chats_waiting", (), 1)
        figures.put("ccm_chat_oldest_wait_seconds", (), max(0, ref_us - requested_us) / US)


def _reports(figures: Figures, ledger: ReportLedger, ref_us: int) -> None:
    (tally,) = ledger.tallies
    for dim in list(tally.dims()):
        report_type = str(dim[0])
        for window in Window:
            vector = _window_vector(tally, dim, window, ref_us)
            for name, index, scale in REPORT_FIGURES:
                figures.put(name, (report_type, window.value), vector[index] / scale)
            figures.put("ccm_contacts", ("online", window.value), vector[ReportCount.SUBMITTED])
    for report_type, submitted_us in ledger.awaiting_triage():
        figures.put("ccm_reports_awaiting_triage", (report_type.value,), 1)
        figures.put(
            "ccm_report_oldest_awaiting_triage_seconds",
            (report_type.value,),
            max(0, ref_us - submitted_us) / US,
        )


def _incidents(figures: Figures, ledger: IncidentLedger, ref_us: int, live: bool) -> None:
    (tally,) = ledger.tallies
    now = ledger.live_view(ref_us, timely_only=True)
    # What "now" adds (deadlines passed since an incident's newest event), by window.
    corrections: dict[tuple[Dim, Window], list[int]] = {}
    today = london_day(ref_us)
    for dim, created_us, counts in now.corrections:
        for window in Window:
            if window is Window.TODAY:
                inside = london_day(created_us) == today
            else:
                inside = minute_of(created_us) in minutes_in_window(window, ref_us)
            if inside:
                row = corrections.setdefault((dim, window), [0] * len(counts))
                for i, n in enumerate(counts):
                    row[i] += n
    dims = set(tally.dims()) | {dim for dim, _ in corrections}
    for dim in dims:
        policy = ledger.targets_policy(str(dim[0]))
        grade = Grade(int(dim[1]))
        g = _grade_labels(policy, grade) if policy else (str(dim[0]), str(int(grade)), "")
        area, category = str(dim[2]), str(dim[3])
        own_target = (
            policy is not None and policy.category_target_us(Category(category)) is not None
        )
        for window in Window:
            vector = _window_vector(tally, dim, window, ref_us)
            extra = corrections.get((dim, window))
            if extra:
                vector = [a + b for a, b in zip(vector, extra, strict=True)]
            labels = (*g, area, category, window.value)
            for name, index, scale in INCIDENT_FIGURES:
                if "category_target" in name and not own_target:
                    continue
                figures.put(name, labels, vector[index] / scale)
        histogram = figures.histograms["ccm_incident_attendance_seconds"].setdefault(
            (*g, area), Histogram(ATTENDANCE_BUCKETS_S)
        )
        for vector in tally.days.get(dim, {}).values():
            histogram.count += vector[IncidentCount.ATTENDANCE_TIMED]
            histogram.sum_s += vector[IncidentCount.ATTENDANCE_US_SUM] / US
            for i in range(len(ATTENDANCE_BUCKETS_S)):
                histogram.buckets[i] += vector[INCIDENT_FIRST_BUCKET + i]
    if not live:
        # Replaying history: what was awaiting then is no reason to call anyone now.
        return
    for name, counter in (
        ("ccm_incidents_awaiting_attendance", now.awaiting),
        ("ccm_incidents_about_to_breach", now.about_to_breach),
        ("ccm_incidents_breached_unattended", now.breached),
    ):
        for (policy_id, grade), count in counter.items():
            policy = ledger.targets_policy(policy_id)
            if policy is not None:
                figures.put(name, _grade_labels(policy, grade), count)


@dataclass
class Demand:
    """What Erlang C needs of one queue, pooled over every partition held: the sums add up
    across partitions, the staffing they imply does not (a larger team answers the same
    calls with proportionally fewer handlers)."""

    offered_15m: int = 0
    handled_24h: int = 0
    handle_us_24h: int = 0
    ref_us: int = 0
    """The newest reference time among the partitions: the day whose target applies."""


def _add_demand(
    demand: dict[tuple[Channel, Queue], Demand], ledger: CallLedger, ref_us: int
) -> None:
    (legs, _) = ledger.tallies
    for dim in list(legs.dims()):
        queue = demand.setdefault((Channel(str(dim[0])), Queue(str(dim[1]))), Demand())
        queue.offered_15m += _window_vector(legs, dim, Window.LAST_15M, ref_us)[LegCount.OFFERED]
        last_24h = _window_vector(legs, dim, Window.LAST_24H, ref_us)
        queue.handled_24h += last_24h[LegCount.HANDLED]
        queue.handle_us_24h += last_24h[LegCount.HANDLE_US_SUM]
        queue.ref_us = max(queue.ref_us, ref_us)


def _positions(
    figures: Figures, demand: dict[tuple[Channel, Queue], Demand], targets: Targets
) -> None:
    for (channel, queue), pooled in demand.items():
        target = targets.calls_on(london_day(pooled.ref_us)).resolve(channel, queue)
        positions = positions_needed(pooled, target)
        if positions is not None:
            figures.put("ccm_call_positions_needed", (channel.value, queue.value), positions)


def positions_needed(demand: Demand, target: ResolvedQueueTarget) -> int | None:
    """Erlang C staffing for the demand of the last 15 minutes; none without a handling
    time to go on (nothing handled in the last 24 hours)."""
    if demand.handled_24h == 0 or demand.handle_us_24h == 0:
        return None
    return erlang.agents_needed(
        calls=demand.offered_15m,
        period_seconds=ROLLING_MINUTES[Window.LAST_15M] * 60,
        handle_seconds=demand.handle_us_24h / US / demand.handled_24h,
        target_seconds=target.answer_within_us / US,
        service_level_target=min(target.service_level_objective, 0.999),
    )
