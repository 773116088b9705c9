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
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from schemas import Area, CallbackOutcome, Category, Channel, Grade, Queue, ReportType
from streams.core.callbacks import NotOwed
from streams.core.calls import LegCount
from streams.core.families import (
    CALL_ROW,
    CALLBACK_ATTEMPT_ROW,
    CALLBACK_ROW,
    CALLBACKS_NOT_OWED_ROW,
    CHAT_ROW,
    CONTACT_CHANNELS,
    FAMILIES,
    FIRST_LEG_ROW,
    INCIDENT_ROW,
    LEG_ROW,
    REPORT_ROW,
    STANDARD_QUEUES,
    FamilySpec,
    Row,
)
from streams.core.families.incidents import policy_named
from streams.core.incidents import IncidentCount
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
    AreaAttendanceRow,
    AttendanceBandRow,
    CallbackNotOwedRow,
    CallbackOutcomeRow,
    CallbackRow,
    CallRow,
    ChatRow,
    CombinedWaitRow,
    FirstLegRow,
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
from streams.core.tally import Dim
from streams.core.targets import GradingPolicy, Targets
from streams.core.timebase import US, london_day

QUEUES: tuple[tuple[str, str], ...] = tuple((c.value, q.value) for c, q in STANDARD_QUEUES)
"""Where this force's calls go: always in the pack, with empty figures when quiet."""

HIGH_HARM = "high_harm"
ALL = "all"
CATEGORY_GROUPS = (*(c.value for c in Category), HIGH_HARM, ALL)
"""Incident rows: each category, then all high-harm categories, then every incident."""

ATTENDANCE_BANDS_S = (900, 1200, 1800, 3600)
"""Emergency attendance bands' upper bounds (inclusive): 15, 20, 30, 60 minutes."""
_ATTENDANCE_INDEX = tuple(INCIDENT_ROW.bucket(s) for s in ATTENDANCE_BANDS_S)
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
    """Count vectors per (London day ordinal, dimension), for the days in range, by row
    name (`streams.core.families`)."""

    def __init__(self, first: date, last: date) -> None:
        self.lo, self.hi = first.toordinal(), last.toordinal()
        self.rows: dict[str, dict] = {row.name: {} for f in FAMILIES.values() for row in f.rows}
        self.longest: dict[str, dict] = {}
        """Longest wait (µs) per (day ordinal, dimension), of rows keeping waits."""
        self.contacts: dict[tuple[int, str], int] = {}
        """Contacts per (day ordinal, channel): the base of channel share."""

    def read(self, state: PartitionState) -> None:
        family = FAMILIES[state.family]
        for row, tally in zip(family.rows, state.ledger.tallies, strict=True):
            for dim, ordinal, vector in tally.days_held():
                self._take(family, row, dim, ordinal, vector)
            if row.longest_wait is not None:
                longest = self.longest.setdefault(row.name, {})
                for dim, ordinal, wait_us in tally.longest_day_waits():
                    if self.lo <= ordinal <= self.hi:
                        key = (ordinal, row.key(dim))
                        found = longest.get(key)
                        if found is None or wait_us > found:
                            longest[key] = wait_us
        ref_us = state.clock.stream_us
        if family.as_of is not None and ref_us is not None:
            # What has come due by the partition's newest event (an open incident's
            # deadline passing), on the day it is attributed to.
            for name, added in family.as_of(state.ledger, ref_us).items():
                row = family.row(name)
                for dim, at_us, counts in added:
                    self._take(family, row, dim, london_day(at_us).toordinal(), counts)

    def _take(
        self, family: FamilySpec, row: Row, dim: Dim, ordinal: int, vector: Sequence[int]
    ) -> None:
        if not self.lo <= ordinal <= self.hi:
            return
        _add(self.rows[row.name], (ordinal, row.key(dim)), vector)
        contacts = family.contacts
        if contacts is not None and contacts.row == row.name:
            at = (ordinal, contacts.channel(dim))
            self.contacts[at] = self.contacts.get(at, 0) + vector[contacts.count]


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
        first_legs=tuple(_first_leg_rows(sums, months)),
        callbacks=tuple(_per_channel(sums, CALLBACK_ROW, months, CallbackRow)),
        callback_outcomes=tuple(_callback_outcome_rows(sums, months)),
        callbacks_not_owed=tuple(_not_owed_rows(sums, months)),
        incident_grades=tuple(_incident_grade_rows(sums, targets, months)),
        chats=tuple(_chat_rows(sums, months)),
        reports=tuple(_report_rows(sums, months)),
        shares=tuple(_share_rows(sums, months)),
        answer_bands=tuple(_answer_band_rows(sums, months)),
        attendance_bands=tuple(_attendance_band_rows(sums, targets, months)),
        area_attendance=tuple(_area_attendance_rows(sums, targets, months)),
        policies=tuple(_policy_uses(sums, targets, months)),
        queue_targets=tuple(_queue_target_uses(sums, targets, months)),
        policy_names={p.id: p.name for p in targets.incident_grading},
    )


def _queues(sums: _Sums) -> list[tuple[str, str]]:
    """The standard queues, then any other (channel, queue) the data holds."""
    order = [(c.value, q.value) for c in Channel for q in Queue]
    others = {key for _, key in sums.rows[LEG_ROW.name]} - set(QUEUES)
    return [*QUEUES, *sorted(others, key=order.index)]


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
                total = [0] * LEG_ROW.width
                for day in days:
                    vector = sums.rows[LEG_ROW.name].get((day.toordinal(), (channel, queue)))
                    if vector is not None:
                        total = [a + b for a, b in zip(total, vector, strict=True)]
                yield CallRow(
                    month=month_label(month),
                    channel=channel,
                    queue=queue,
                    formula=formula,
                    **LEG_ROW.pack(total),
                )


def _longest_wait_rows(sums: _Sums, months: list[Month]) -> Iterable[LongestWaitRow]:
    monthly: dict[tuple, int] = {}
    for (ordinal, key), longest in sums.longest.get(LEG_ROW.name, {}).items():
        at = (month_of_ordinal(ordinal), key)
        monthly[at] = max(longest, monthly.get(at, longest))
    for month in months:
        for channel, queue in _queues(sums):
            found = monthly.get((month, (channel, queue)))
            yield LongestWaitRow(month_label(month), channel, queue, found)


def _per_channel(sums: _Sums, row: Row, months: list[Month], make) -> Iterable:
    """``make(month, channel, **fields)`` for each month and call channel, from ``row``'s
    counts (zero when quiet)."""
    monthly = _by_month(sums.rows[row.name])
    for month in months:
        for channel in CALL_CHANNELS:
            v = monthly.get((month, channel), [0] * row.width)
            yield make(month_label(month), channel, **row.pack(v))


def _combined_wait_rows(sums: _Sums, months: list[Month]) -> Iterable[CombinedWaitRow]:
    return _per_channel(sums, CALL_ROW, months, CombinedWaitRow)


def _first_leg_rows(sums: _Sums, months: list[Month]) -> Iterable[FirstLegRow]:
    return _per_channel(sums, FIRST_LEG_ROW, months, FirstLegRow)


def _per_channel_and(
    sums: _Sums, row: Row, months: list[Month], second: Iterable[str], make
) -> Iterable:
    """``make(month, channel, value, **fields)`` for each month, call channel and value of
    the row's second dimension, from ``row``'s counts (zero when quiet)."""
    monthly = _by_month(sums.rows[row.name])
    for month in months:
        for channel in CALL_CHANNELS:
            for value in second:
                v = monthly.get((month, (channel, value)), [0] * row.width)
                yield make(month_label(month), channel, value, **row.pack(v))


def _callback_outcome_rows(sums: _Sums, months: list[Month]) -> Iterable[CallbackOutcomeRow]:
    outcomes = [o.value for o in CallbackOutcome]
    return _per_channel_and(sums, CALLBACK_ATTEMPT_ROW, months, outcomes, CallbackOutcomeRow)


def _not_owed_rows(sums: _Sums, months: list[Month]) -> Iterable[CallbackNotOwedRow]:
    reasons = [r.value for r in NotOwed]
    return _per_channel_and(sums, CALLBACKS_NOT_OWED_ROW, months, reasons, CallbackNotOwedRow)


def _incident_grade_rows(
    sums: _Sums, targets: Targets, months: list[Month]
) -> Iterable[IncidentGradeRow]:
    counted: dict[tuple, list[int]] = {}
    monthly = _by_month(sums.rows[INCIDENT_ROW.name])
    for (month, (policy_id, grade, _area, category)), v in monthly.items():
        _add(counted, (month, policy_id, grade, category), v)
    for month in months:
        for policy_id in _policies_in(monthly, targets, month):
            policy = policy_named(targets, policy_id)
            for grade in Grade:
                for category in Category:
                    v = counted.get((month, policy_id, int(grade), category.value))
                    v = v or [0] * INCIDENT_ROW.width
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
                        **INCIDENT_ROW.pack(v),
                    )


def scored_responses(policy: GradingPolicy) -> list[str]:
    """The policy's responses that have an attendance target, in grade order."""
    found: list[str] = []
    for grade in sorted(policy.grades, key=lambda g: int(g.grade)):
        if grade.attend_within_minutes is not None and grade.response.value not in found:
            found.append(grade.response.value)
    return found


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
    policy = policy_named(targets, policy_id)
    return policy.grade(Grade(grade)).response.value if policy else f"grade_{grade}"


def _incident_rows(sums: _Sums, targets: Targets, months: list[Month]) -> Iterable[IncidentRow]:
    monthly = _by_month(sums.rows[INCIDENT_ROW.name])
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
            policy = policy_named(targets, policy_id)
            if policy is not None:
                responses = scored_responses(policy)
            else:  # a policy no longer in the targets file: what the data holds
                responses = sorted({k[3] for k in met if k[0] == month and k[1] == policy_id})
            for group in CATEGORY_GROUPS:
                for response in responses:
                    m, n = met.get((month, policy_id, group, response), (0, 0))
                    yield IncidentRow(month_label(month), policy_id, group, response, m, n)


def _chat_rows(sums: _Sums, months: list[Month]) -> Iterable[ChatRow]:
    monthly = _by_month(sums.rows[CHAT_ROW.name])
    for month in months:
        v = monthly.get((month, ()), [0] * CHAT_ROW.width)
        yield ChatRow(month=month_label(month), **CHAT_ROW.pack(v))


def _report_rows(sums: _Sums, months: list[Month]) -> Iterable[ReportRow]:
    monthly = _by_month(sums.rows[REPORT_ROW.name])
    for month in months:
        for report_type in ReportType:
            v = monthly.get((month, report_type.value), [0] * REPORT_ROW.width)
            yield ReportRow(month_label(month), report_type.value, **REPORT_ROW.pack(v))


def _share_rows(sums: _Sums, months: list[Month]) -> Iterable[ShareRow]:
    monthly: dict[tuple[Month, str], int] = defaultdict(int)
    for (ordinal, channel), n in sums.contacts.items():
        monthly[(month_of_ordinal(ordinal), channel)] += n
    for month in months:
        contacts = {channel: monthly.get((month, channel), 0) for channel in CONTACT_CHANNELS}
        total = sum(contacts.values())
        for channel in CONTACT_CHANNELS:
            yield ShareRow(month_label(month), channel, contacts[channel], total)


def _answer_band_rows(sums: _Sums, months: list[Month]) -> Iterable[AnswerBandRow]:
    monthly = _by_month(sums.rows[LEG_ROW.name])
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
    for (month, (policy_id, grade, _a, _c)), v in _by_month(sums.rows[INCIDENT_ROW.name]).items():
        if _response(targets, policy_id, grade) == "emergency":
            _add(
                totals,
                month,
                [v[IncidentCount.ATTENDANCE_TIMED], *(v[i] for i in _ATTENDANCE_INDEX)],
            )
    for month in months:
        yield AttendanceBandRow(month_label(month), *totals.get(month, [0] * 5))


def _area_attendance_rows(
    sums: _Sums, targets: Targets, months: list[Month]
) -> Iterable[AreaAttendanceRow]:
    totals: dict[tuple[Month, str], list[int]] = {}
    for (ordinal, (policy_id, grade, area, _c)), v in sums.rows[INCIDENT_ROW.name].items():
        if _response(targets, policy_id, grade) != "emergency":
            continue
        day = date.fromordinal(ordinal)
        standard_us = targets.standards_on(day).attend_within_us(Area(area))
        counts = [
            v[IncidentCount.CREATED],
            v[INCIDENT_ROW.bucket(standard_us // US)],
            v[IncidentCount.ATTENDANCE_TIMED],
            *(v[i] for i in _ATTENDANCE_INDEX),
        ]
        for group in (area, ALL):
            _add(totals, (month_of_ordinal(ordinal), group), counts)
    for month in months:
        for group in (*(a.value for a in Area), ALL):
            yield AreaAttendanceRow(month_label(month), group, *totals.get((month, group), [0] * 7))


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
