"""The monthly KPI pack: every partition's day buckets summed per Europe/London month.

`monthly_pack` reads the day tallies the ledgers keep (a count vector per
dimension per London day) and adds them up per calendar month. It holds counts
only; every percentage and average is derived from them on demand, exactly (see
`streams.core.pack`). The worker serves the pack as JSON; the command
recomputes it from an event log through the same core; the two must agree.

Incidents still awaiting attendance whose deadline has passed are scored as
missed as of the partition's stream time (its newest event time), never the
wall clock, so an export is a pure function of the events.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from schemas import Category, Channel, Family, Grade, Queue, ReportType
from streams.core.calls import ANSWER_BUCKETS_S, CallCount, LegCount
from streams.core.calls import FIRST_BUCKET as LEG_FIRST_BUCKET
from streams.core.chats import ChatCount
from streams.core.incidents import ATTENDANCE_BUCKETS_S, IncidentCount
from streams.core.incidents import FIRST_BUCKET as INCIDENT_FIRST_BUCKET
from streams.core.months import (
    Month,
    days_of,
    first_day,
    last_day,
    month_label,
    month_of_ordinal,
    months_between,
)
from streams.core.pack import (
    AnswerBandRow,
    AttendanceBandRow,
    CallRow,
    ChatRow,
    CombinedWaitRow,
    IncidentGradeRow,
    IncidentRow,
    LongestWaitRow,
    MonthlyPack,
    PolicyUse,
    QueueTargetUse,
    ReportRow,
    ShareRow,
)
from streams.core.partition import PartitionState
from streams.core.reports import ReportCount
from streams.core.targets import GradingPolicy, Targets
from streams.core.timebase import US, london_day

STANDARD_QUEUES: tuple[tuple[str, str], ...] = (
    ("999", "fcr"),
    ("101", "switchboard"),
    ("101", "fcr"),
    ("101", "resolution_centre"),
)
"""Where this force's calls go: always in the pack, with empty figures when quiet."""

CONTACT_CHANNELS = ("999", "101", "chat", "online")
HIGH_HARM = "high_harm"
ALL = "all"
CATEGORY_GROUPS = (*(c.value for c in Category), HIGH_HARM, ALL)
"""Incident rows: each category, then all high-harm categories, then every incident."""

ATTENDANCE_BANDS_S = (900, 1200, 1800, 3600)
"""Emergency attendance bands' upper bounds (inclusive): 15, 20, 30, 60 minutes."""
_ATTENDANCE_INDEX = tuple(
    INCIDENT_FIRST_BUCKET + ATTENDANCE_BUCKETS_S.index(s) for s in ATTENDANCE_BANDS_S
)
_WITHIN_60M_INDEX = INCIDENT_FIRST_BUCKET + ATTENDANCE_BUCKETS_S.index(3600)
CALL_CHANNELS = ("999", "101")


# --- summing day buckets per month -------------------------------------------------------


def _add(into: dict, key: tuple, vector: Iterable[int]) -> None:
    row = into.get(key)
    values = list(vector)
    if row is None:
        into[key] = values
    else:
        for i, value in enumerate(values):
            row[i] += value


class _Sums:
    """Count vectors per (London day ordinal, dimension), for the days in range."""

    def __init__(self, first: date, last: date) -> None:
        self.lo, self.hi = first.toordinal(), last.toordinal()
        self.legs: dict = {}
        self.longest: dict = {}
        """Longest wait (µs) per (day ordinal, (channel, queue))."""
        self.calls: dict = {}
        self.chats: dict = {}
        self.reports: dict = {}
        self.incidents: dict = {}

    def take(self, into: dict, days: dict, normalise) -> None:
        for dim, by_day in days.items():
            key = normalise(dim)
            for ordinal, vector in by_day.items():
                if self.lo <= ordinal <= self.hi:
                    _add(into, (ordinal, key), vector)

    def read(self, state: PartitionState) -> None:
        tallies = state.ledger.tallies
        if state.family is Family.CALLS:
            self.take(self.legs, tallies[0].days, lambda d: (str(d[0]), str(d[1])))
            self.take(self.calls, tallies[1].days, lambda d: str(d[0]))
            for dim, by_day in tallies[0].day_waits.items():
                key = (str(dim[0]), str(dim[1]))
                for ordinal, samples in by_day.items():
                    if samples and self.lo <= ordinal <= self.hi:
                        found = self.longest.get((ordinal, key))
                        longest = max(samples)
                        if found is None or longest > found:
                            self.longest[(ordinal, key)] = longest
        elif state.family is Family.CHATS:
            self.take(self.chats, tallies[0].days, lambda d: ())
        elif state.family is Family.REPORTS:
            self.take(self.reports, tallies[0].days, lambda d: str(d[0]))
        elif state.family is Family.INCIDENTS:
            self.take(self.incidents, tallies[0].days, _incident_dim)
            ref_us = state.clock.stream_us
            if ref_us is not None:
                # Open incidents whose deadline has passed by the partition's newest event.
                for dim, created_us, counts in state.ledger.live_view(ref_us).corrections:
                    ordinal = london_day(created_us).toordinal()
                    if self.lo <= ordinal <= self.hi:
                        _add(self.incidents, (ordinal, _incident_dim(dim)), counts)


def _incident_dim(dim: tuple) -> tuple[str, int, str, str]:
    return str(dim[0]), int(dim[1]), str(dim[2]), str(dim[3])


def _by_month(sums: dict) -> dict[tuple, list[int]]:
    out: dict[tuple, list[int]] = {}
    for (ordinal, key), vector in sums.items():
        _add(out, (month_of_ordinal(ordinal), key), vector)
    return out


# --- the pack ----------------------------------------------------------------------------


def monthly_pack(
    states: Iterable[PartitionState], targets: Targets, first: Month, last: Month
) -> MonthlyPack:
    """Every KPI per London calendar month from ``first`` to ``last`` (both included)."""
    if first > last:
        raise ValueError(
            f"the first month {month_label(first)} is after the last {month_label(last)}"
        )
    months = months_between(first, last)
    sums = _Sums(first_day(first), last_day(last))
    for state in states:
        sums.read(state)
    return MonthlyPack(
        first=month_label(first),
        last=month_label(last),
        months=tuple(month_label(m) for m in months),
        calls=tuple(_call_rows(sums, targets, months)),
        incidents=tuple(_incident_rows(sums, targets, months)),
        longest_waits=tuple(_longest_wait_rows(sums, months)),
        combined_waits=tuple(_combined_wait_rows(sums, months)),
        incident_grades=tuple(_incident_grade_rows(sums, targets, months)),
        chats=tuple(_chat_rows(sums, months)),
        reports=tuple(_report_rows(sums, months)),
        shares=tuple(_share_rows(sums, months)),
        answer_bands=tuple(_answer_band_rows(sums, months)),
        attendance_bands=tuple(_attendance_band_rows(sums, targets, months)),
        policies=tuple(_policy_uses(sums, targets, months)),
        queue_targets=tuple(_queue_target_uses(sums, targets, months)),
        policy_names={p.id: p.name for p in targets.incident_grading},
    )


def _queues(sums: _Sums) -> list[tuple[str, str]]:
    """The standard queues, then any other (channel, queue) the data holds."""
    order = [(c.value, q.value) for c in Channel for q in Queue]
    others = {key for _, key in sums.legs} - set(STANDARD_QUEUES)
    return [*STANDARD_QUEUES, *sorted(others, key=order.index)]


def _formula_groups(
    targets: Targets, month: Month, channel: str, queue: str
) -> dict[str, list[date]]:
    """The month's days grouped by the service-level formula in force at the queue."""
    groups: dict[str, list[date]] = {}
    for day in days_of(month):
        resolved = targets.calls_on(day).resolve(Channel(channel), Queue(queue))
        groups.setdefault(resolved.formula.value, []).append(day)
    return groups


def _call_rows(sums: _Sums, targets: Targets, months: list[Month]) -> Iterable[CallRow]:
    for month in months:
        for channel, queue in _queues(sums):
            for formula, days in _formula_groups(targets, month, channel, queue).items():
                total = [0] * (LEG_FIRST_BUCKET + len(ANSWER_BUCKETS_S))
                for day in days:
                    vector = sums.legs.get((day.toordinal(), (channel, queue)))
                    if vector is not None:
                        total = [a + b for a, b in zip(total, vector, strict=True)]
                yield CallRow(
                    month=month_label(month),
                    channel=channel,
                    queue=queue,
                    formula=formula,
                    offered=total[LegCount.OFFERED],
                    answered=total[LegCount.ANSWERED],
                    answered_within_target=total[LegCount.ANSWERED_WITHIN_TARGET],
                    answered_under_10s=total[LegCount.ANSWERED_UNDER_10S],
                    answered_under_60s=total[LegCount.ANSWERED_UNDER_60S],
                    abandoned=total[LegCount.ABANDONED],
                    abandoned_within_target=total[LegCount.ABANDONED_WITHIN_TARGET],
                    short_abandoned=total[LegCount.SHORT_ABANDONED],
                    answer_us_sum=total[LegCount.ANSWER_US_SUM],
                )


def _longest_wait_rows(sums: _Sums, months: list[Month]) -> Iterable[LongestWaitRow]:
    monthly: dict[tuple, int] = {}
    for (ordinal, key), longest in sums.longest.items():
        at = (month_of_ordinal(ordinal), key)
        monthly[at] = max(longest, monthly.get(at, longest))
    for month in months:
        for channel, queue in _queues(sums):
            found = monthly.get((month, (channel, queue)))
            yield LongestWaitRow(month_label(month), channel, queue, found)


def _combined_wait_rows(sums: _Sums, months: list[Month]) -> Iterable[CombinedWaitRow]:
    monthly = _by_month(sums.calls)
    for month in months:
        for channel in CALL_CHANNELS:
            v = monthly.get((month, channel), [0] * len(CallCount))
            yield CombinedWaitRow(
                month_label(month),
                channel,
                v[CallCount.SETTLED],
                v[CallCount.COMBINED_WAIT_US_SUM],
            )


def _incident_grade_rows(
    sums: _Sums, targets: Targets, months: list[Month]
) -> Iterable[IncidentGradeRow]:
    counted: dict[tuple, list[int]] = {}
    for (month, (policy_id, grade, _area, category)), v in _by_month(sums.incidents).items():
        _add(counted, (month, policy_id, grade, category), v)
    monthly = _by_month(sums.incidents)
    for month in months:
        for policy_id in _policies_in(monthly, targets, month):
            policy = _policy(targets, policy_id)
            for grade in Grade:
                for category in Category:
                    v = counted.get((month, policy_id, int(grade), category.value))
                    v = v or [0] * (INCIDENT_FIRST_BUCKET + len(ATTENDANCE_BUCKETS_S))
                    if policy is not None:
                        scored = policy.grade(grade).attend_within_minutes is not None
                    else:  # a policy no longer in the targets file: what the data says
                        scored = v[IncidentCount.MET] + v[IncidentCount.MISSED] > 0
                    yield IncidentGradeRow(
                        month=month_label(month),
                        policy=policy_id,
                        grade=int(grade),
                        response=_response(targets, policy_id, int(grade)),
                        category=category.value,
                        scored=scored,
                        created=v[IncidentCount.CREATED],
                        met=v[IncidentCount.MET],
                        not_met=v[IncidentCount.MISSED],
                        attended=v[IncidentCount.ATTENDED],
                        attendance_timed=v[IncidentCount.ATTENDANCE_TIMED],
                        attendance_us_sum=v[IncidentCount.ATTENDANCE_US_SUM],
                        attended_within_60m=v[_WITHIN_60M_INDEX],
                        downgraded_after_breach=v[IncidentCount.DOWNGRADED_AFTER_BREACH],
                    )


def scored_responses(policy: GradingPolicy) -> list[str]:
    """The policy's responses that have an attendance target, in grade order."""
    found: list[str] = []
    for grade in sorted(policy.grades, key=lambda g: int(g.grade)):
        if grade.attend_within_minutes is not None and grade.response.value not in found:
            found.append(grade.response.value)
    return found


def _policy(targets: Targets, policy_id: str) -> GradingPolicy | None:
    return next((p for p in targets.incident_grading if p.id == policy_id), None)


def _policies_in(sums: dict, targets: Targets, month: Month) -> list[str]:
    """Policies in force on some day of the month, then any other the data names."""
    found: list[str] = []
    for day in days_of(month):
        policy_id = targets.policy_on(day).id
        if policy_id not in found:
            found.append(policy_id)
    extra = sorted({key[0] for (m, key) in sums if m == month} - set(found))
    return found + extra


def _response(targets: Targets, policy_id: str, grade: int) -> str:
    policy = _policy(targets, policy_id)
    return policy.grade(Grade(grade)).response.value if policy else f"grade_{grade}"


def _incident_rows(sums: _Sums, targets: Targets, months: list[Month]) -> Iterable[IncidentRow]:
    monthly = _by_month(sums.incidents)
    met: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for (month, (policy_id, grade, _area, category)), vector in monthly.items():
        response = _response(targets, policy_id, grade)
        groups = [category, ALL] + ([HIGH_HARM] if category != Category.OTHER.value else [])
        for group in groups:
            row = met[(month, policy_id, group, response)]
            row[0] += vector[IncidentCount.MET]
            row[1] += vector[IncidentCount.MISSED]
    for month in months:
        for policy_id in _policies_in(monthly, targets, month):
            policy = _policy(targets, policy_id)
            if policy is not None:
                responses = scored_responses(policy)
            else:  # a policy no longer in the targets file: what the data holds
                responses = sorted({k[3] for k in met if k[0] == month and k[1] == policy_id})
            for group in CATEGORY_GROUPS:
                for response in responses:
                    m, n = met.get((month, policy_id, group, response), (0, 0))
                    yield IncidentRow(month_label(month), policy_id, group, response, m, n)


def _chat_rows(sums: _Sums, months: list[Month]) -> Iterable[ChatRow]:
    monthly = _by_month(sums.chats)
    for month in months:
        v = monthly.get((month, ()), [0] * len(ChatCount))
        yield ChatRow(
            month=month_label(month),
            requested=v[ChatCount.REQUESTED],
            accepted=v[ChatCount.ACCEPTED],
            accepted_within_target=v[ChatCount.ACCEPTED_WITHIN_TARGET],
            abandoned=v[ChatCount.ABANDONED],
            abandoned_within_target=v[ChatCount.ABANDONED_WITHIN_TARGET],
            outside_hours=v[ChatCount.OUTSIDE_HOURS],
            accept_us_sum=v[ChatCount.ACCEPT_US_SUM],
        )


def _report_rows(sums: _Sums, months: list[Month]) -> Iterable[ReportRow]:
    monthly = _by_month(sums.reports)
    for month in months:
        for report_type in ReportType:
            v = monthly.get((month, report_type.value), [0] * len(ReportCount))
            yield ReportRow(
                month_label(month),
                report_type.value,
                v[ReportCount.SUBMITTED],
                v[ReportCount.TRIAGED],
                v[ReportCount.TRIAGE_US_SUM],
            )


def _share_rows(sums: _Sums, months: list[Month]) -> Iterable[ShareRow]:
    calls, chats, reports = _by_month(sums.calls), _by_month(sums.chats), _by_month(sums.reports)
    for month in months:
        contacts = {
            "999": calls.get((month, "999"), [0])[CallCount.CONTACTS],
            "101": calls.get((month, "101"), [0])[CallCount.CONTACTS],
            "chat": chats.get((month, ()), [0])[ChatCount.REQUESTED],
            "online": sum(v[ReportCount.SUBMITTED] for (m, _), v in reports.items() if m == month),
        }
        total = sum(contacts.values())
        for channel in CONTACT_CHANNELS:
            yield ShareRow(month_label(month), channel, contacts[channel], total)


def _answer_band_rows(sums: _Sums, months: list[Month]) -> Iterable[AnswerBandRow]:
    monthly = _by_month(sums.legs)
    for month in months:
        v = monthly.get((month, ("999", "fcr")))
        if v is None:
            yield AnswerBandRow(month_label(month))
        else:
            yield AnswerBandRow(
                month_label(month),
                v[LegCount.ANSWERED],
                v[LegCount.ANSWERED_UNDER_10S],
                v[LegCount.ANSWERED_UNDER_60S],
            )


def _attendance_band_rows(
    sums: _Sums, targets: Targets, months: list[Month]
) -> Iterable[AttendanceBandRow]:
    totals: dict[Month, list[int]] = {}
    for (month, (policy_id, grade, _a, _c)), v in _by_month(sums.incidents).items():
        if _response(targets, policy_id, grade) == "emergency":
            _add(
                totals,
                month,
                [v[IncidentCount.ATTENDANCE_TIMED], *(v[i] for i in _ATTENDANCE_INDEX)],
            )
    for month in months:
        yield AttendanceBandRow(month_label(month), *totals.get(month, [0] * 5))


def _periods(days: list[date], key) -> list[tuple[Any, date, date]]:
    """Runs of consecutive days with the same ``key(day)``: (key, first, last)."""
    runs: list[tuple[Any, date, date]] = []
    for day in days:
        value = key(day)
        if runs and runs[-1][0] == value:
            runs[-1] = (value, runs[-1][1], day)
        else:
            runs.append((value, day, day))
    return runs


def _policy_uses(sums: _Sums, targets: Targets, months: list[Month]) -> Iterable[PolicyUse]:
    for month in months:
        for policy, first, last in _periods(days_of(month), targets.policy_on):
            yield PolicyUse(
                month_label(month), policy.id, policy.name, first.isoformat(), last.isoformat()
            )


def _queue_target_uses(
    sums: _Sums, targets: Targets, months: list[Month]
) -> Iterable[QueueTargetUse]:
    for month in months:
        for channel, queue in _queues(sums):

            def key(day: date, c: str = channel, q: str = queue) -> tuple[str, int]:
                resolved = targets.calls_on(day).resolve(Channel(c), Queue(q))
                return resolved.formula.value, resolved.answer_within_us // US

            for (formula, seconds), first, last in _periods(days_of(month), key):
                yield QueueTargetUse(
                    month_label(month),
                    channel,
                    queue,
                    formula,
                    seconds,
                    first.isoformat(),
                    last.isoformat(),
                )
