"""Every KPI of the monthly pack as tidy rows: one per month, measure and dimension.

The measure names are a contract with the command team's analysts (their
spreadsheets look them up), defined in docs/exports.md. Each row carries the
numerator and denominator it was computed from, so any figure can be recomputed:

- ``percent``: value = 100 * numerator / denominator;
- ``seconds``: value = numerator / denominator, the numerator in seconds, exact
  (a longest wait has denominator 1, or 0 when nothing waited);
- ``count``: value = numerator; the denominator is what it was counted out of.

Values are rounded half up to one decimal from the exact integer counts
(`streams.core.months`); a value with nothing to divide by is None (blank).
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from functools import partial

from schemas import Category
from streams.core import measures
from streams.core.bands import HOME_OFFICE_999_BANDS, in_bands
from streams.core.families import CALL_ROW, CALLBACK_ROW, CHAT_ROW, LEG_ROW, REPORT_ROW
from streams.core.measures import MEASURES, SERVICE_LEVEL, Ratio
from streams.core.monthly import ALL, HIGH_HARM
from streams.core.months import one_decimal, percent
from streams.core.pack import CallbackRow, CallRow, IncidentGradeRow, MonthlyPack
from streams.core.timebase import US

NOT_HIGH_HARM = "not_high_harm"
KPI_CATEGORY_GROUPS = (*(c.value for c in Category), HIGH_HARM, NOT_HIGH_HARM, ALL)
"""Incident rows of kpis.csv: the workbook's groups and `not_high_harm`."""
REPORT_TYPE_ALL = "all"
HOME_OFFICE_CHANNEL = "999"
WITHIN_60M_CATEGORY = Category.RESIDENTIAL_BURGLARY.value

COLUMNS = (
    "month",
    "measure",
    "policy",
    "channel",
    "queue",
    "formula",
    "grade",
    "response",
    "area",
    "category",
    "report_type",
    "numerator",
    "denominator",
    "value",
    "unit",
)


@dataclass(frozen=True, slots=True)
class Kpi:
    month: str
    measure: str
    numerator: int | Decimal
    """A count, or for ``seconds`` exact seconds."""
    denominator: int
    value: Decimal | int | None
    unit: str
    policy: str = ""
    channel: str = ""
    queue: str = ""
    formula: str = ""
    grade: str = ""
    response: str = ""
    area: str = ""
    category: str = ""
    report_type: str = ""


def _percent(month: str, measure: str, top: int, bottom: int, **dims: str) -> Kpi:
    return Kpi(month, measure, top, bottom, percent(top, bottom), "percent", **dims)


def _seconds(month: str, measure: str, sum_us: int, n: int, **dims: str) -> Kpi:
    seconds = Decimal(sum_us).scaleb(-6)
    return Kpi(month, measure, seconds, n, one_decimal(sum_us, n, US), "seconds", **dims)


def _count(month: str, measure: str, n: int, out_of: int, **dims: str) -> Kpi:
    return Kpi(month, measure, n, out_of, n, "count", **dims)


def measured(month: str, measure: Ratio, value: Callable[[str], int], **dims: str) -> Kpi:
    """The row of a declared measure, from the pack fields ``value`` gives by name."""
    top, bottom = measure.of(value)
    if measure.unit == "percent":
        return _percent(month, measure.name, top, bottom, **dims)
    return _seconds(month, measure.name, top, bottom, **dims)


Over = dict[str, list[Ratio]]
"""The monthly measures declared over each family row, by the row's name."""


def kpi_rows(pack: MonthlyPack, registry: Iterable[Ratio] = MEASURES) -> list[Kpi]:
    """Every measure of every month, month by month, in a fixed order: those of
    ``registry`` over a row the pack holds whole come in the registry's order."""
    over: Over = {}
    for measure in registry:
        if measure.monthly and measure.in_kpis:
            over.setdefault(measure.row.name, []).append(measure)
    rows: list[Kpi] = []
    for month in pack.months:
        rows += _calls(pack, month, over)
        rows += _callbacks(pack, month, over)
        rows += _chats(pack, month, over)
        rows += _online(pack, month, over)
        rows += _incidents(pack, month)
    return rows


# --- calls -------------------------------------------------------------------------------

CALL_KEYS = ("month", "channel", "queue", "formula")


def _sum_calls(rows: Sequence[CallRow]) -> dict[str, int]:
    """A queue's counts over its formulas: every count field of the rows, added up."""
    names = [f.name for f in fields(rows[0]) if f.name not in CALL_KEYS]
    return {n: sum(getattr(r, n) for r in rows) for n in names}


def _calls(pack: MonthlyPack, month: str, over: Over) -> Iterator[Kpi]:
    calls = [r for r in pack.calls if r.month == month]
    for r in calls:
        dims = {"channel": r.channel, "queue": r.queue, "formula": r.formula}
        yield measured(month, r.service_level, partial(getattr, r), **dims)
    # The rest does not depend on the formula: one row per queue over the whole month.
    by_queue: dict[tuple[str, str], list[CallRow]] = {}
    for r in calls:
        by_queue.setdefault((r.channel, r.queue), []).append(r)
    queues = {where: _sum_calls(rows) for where, rows in by_queue.items()}
    formulas = set(SERVICE_LEVEL.values())
    for measure in over.get(LEG_ROW.name, []):
        if measure in formulas:
            continue
        for (channel, queue), t in queues.items():
            yield measured(month, measure, t.__getitem__, channel=channel, queue=queue)
    for r in pack.longest_waits:
        if r.month == month:
            waited = r.longest_wait_us is not None
            yield _seconds(
                month,
                "call_longest_wait_seconds",
                r.longest_wait_us or 0,
                int(waited),
                channel=r.channel,
                queue=r.queue,
            )
    for measure in over.get(CALL_ROW.name, []):
        for r in pack.combined_waits:
            if r.month == month:
                yield measured(month, measure, partial(getattr, r), channel=r.channel)
    for (channel, queue), t in queues.items():
        where = {"channel": channel, "queue": queue}
        yield _count(month, "call_short_abandoned", t["short_abandoned"], t["offered"], **where)
    yield from _home_office(month, queues)


def _home_office(month: str, queues: dict[tuple[str, str], dict[str, int]]) -> Iterator[Kpi]:
    """The Home Office's published 999 measure: answered legs only, by answer time."""
    emergency = [(q, t) for (c, q), t in queues.items() if c == HOME_OFFICE_CHANNEL]
    for i, band in enumerate(HOME_OFFICE_999_BANDS):
        for queue, t in emergency:
            count = in_bands(t["answered"], t["answered_under_10s"], t["answered_under_60s"])[i]
            yield _percent(
                month, band.measure, count, t["answered"], channel=HOME_OFFICE_CHANNEL, queue=queue
            )
    for queue, t in emergency:
        yield _seconds(
            month,
            "home_office_999_average_answer_seconds",
            *measures.CALL_ASA.of(t.__getitem__),
            channel=HOME_OFFICE_CHANNEL,
            queue=queue,
        )


# --- call-backs --------------------------------------------------------------------------

RESOLVING_OUTCOMES = ("reached", "recontacted", "referred")


def callback_channels(rows: Iterable[CallbackRow]) -> list[str]:
    """999 always (the channel that owes call-backs by default), and any other channel
    whose abandoned calls were owed one in the pack's months."""
    rows = list(rows)
    owed = {r.channel for r in rows if r.owed}
    return [c for c in dict.fromkeys(r.channel for r in rows) if c == "999" or c in owed]


def _callbacks(pack: MonthlyPack, month: str, over: Over) -> Iterator[Kpi]:
    """Call-backs owed on abandoned calls, by the month the abandoned leg was offered."""
    channels = callback_channels(pack.callbacks)
    contacts = {r.channel: r.contacts for r in pack.shares if r.month == month}
    for r in pack.callbacks:
        if r.month != month or r.channel not in channels:
            continue
        on = {"channel": r.channel}
        yield _count(month, "callbacks_owed", r.owed, contacts.get(r.channel, 0), **on)
        for measure in over.get(CALLBACK_ROW.name, []):
            yield measured(month, measure, partial(getattr, r), **on)
        resolved = {
            o.outcome: o.resolved
            for o in pack.callback_outcomes
            if o.month == month and o.channel == r.channel
        }
        for outcome in RESOLVING_OUTCOMES:
            yield _count(month, f"callbacks_resolved_{outcome}", resolved.get(outcome, 0), r.owed,
                         **on)  # fmt: skip
        yield _count(month, "callbacks_unresolved", r.unresolved, r.owed, **on)


# --- chat and online ---------------------------------------------------------------------


def _chats(pack: MonthlyPack, month: str, over: Over) -> Iterator[Kpi]:
    for r in pack.chats:
        if r.month != month:
            continue
        for measure in over.get(CHAT_ROW.name, []):
            yield measured(month, measure, partial(getattr, r))
        yield _count(month, "chats_requested_while_closed", r.outside_hours, r.requested)


def _online(pack: MonthlyPack, month: str, over: Over) -> Iterator[Kpi]:
    reports = [r for r in pack.reports if r.month == month]
    submitted = sum(r.submitted for r in reports)
    for r in reports:
        yield _count(month, "reports_submitted", r.submitted, submitted, report_type=r.report_type)
    yield _count(month, "reports_submitted", submitted, submitted, report_type=REPORT_TYPE_ALL)
    for measure in over.get(REPORT_ROW.name, []):
        for r in reports:
            yield measured(month, measure, partial(getattr, r), report_type=r.report_type)
        yield measured(
            month,
            measure,
            lambda name: sum(getattr(r, name) for r in reports),
            report_type=REPORT_TYPE_ALL,
        )
    for r in pack.shares:
        if r.month == month:
            yield _percent(month, "channel_share", r.contacts, r.month_contacts, channel=r.channel)


# --- incidents ---------------------------------------------------------------------------


def in_group(category: str, group: str) -> bool:
    if group == ALL:
        return True
    if group == HIGH_HARM:
        return category != Category.OTHER.value
    if group == NOT_HIGH_HARM:
        return category == Category.OTHER.value
    return category == group


def _distinct(values: Iterable) -> list:
    return list(dict.fromkeys(values))


def _total(rows: Iterable[IncidentGradeRow], name: str) -> int:
    return sum(getattr(r, name) for r in rows)


def _totals(rows: list[IncidentGradeRow]) -> Callable[[str], int]:
    return lambda name: _total(rows, name)


def _incidents(pack: MonthlyPack, month: str) -> Iterator[Kpi]:
    rows = [r for r in pack.incident_grades if r.month == month]
    policies = list(dict.fromkeys(r.policy for r in rows))
    by_policy = {p: [r for r in rows if r.policy == p] for p in policies}
    scored = {p: _distinct(r.response for r in by_policy[p] if r.scored) for p in policies}
    grades = {p: _distinct(r.grade for r in by_policy[p] if r.scored) for p in policies}

    for policy in policies:
        for group in KPI_CATEGORY_GROUPS:
            of_group = [r for r in by_policy[policy] if in_group(r.category, group)]
            for response in scored[policy]:
                chosen = [r for r in of_group if r.response == response and r.scored]
                yield measured(
                    month,
                    measures.INCIDENTS_MET,
                    _totals(chosen),
                    policy=policy,
                    response=response,
                    category=group,
                )
            for grade in grades[policy]:
                chosen = [r for r in of_group if r.grade == grade]
                yield measured(
                    month,
                    measures.INCIDENTS_MET,
                    _totals(chosen),
                    policy=policy,
                    grade=str(grade),
                    category=group,
                )
    # Attendance does not depend on the policy: every incident created, whatever scored it.
    for group in KPI_CATEGORY_GROUPS:
        chosen = [r for r in rows if in_group(r.category, group)]
        yield measured(month, measures.INCIDENT_ATTENDANCE, _totals(chosen), category=group)
    for policy in policies:
        responses = list(dict.fromkeys(r.response for r in by_policy[policy]))
        for group in KPI_CATEGORY_GROUPS:
            for response in responses:
                chosen = [
                    r
                    for r in by_policy[policy]
                    if r.response == response and in_group(r.category, group)
                ]
                yield measured(
                    month,
                    measures.INCIDENT_ATTENDANCE_TIME,
                    _totals(chosen),
                    policy=policy,
                    response=response,
                    category=group,
                )
    for policy in policies:
        created = _total(by_policy[policy], "created")
        for grade in dict.fromkeys(r.grade for r in by_policy[policy] if not r.scored):
            chosen = [r for r in by_policy[policy] if r.grade == grade]
            yield _count(
                month,
                "incidents_not_scored",
                _total(chosen, "created"),
                created,
                policy=policy,
                grade=str(grade),
            )
    for policy in policies:
        for response in scored[policy]:
            chosen = [r for r in by_policy[policy] if r.response == response and r.scored]
            yield _count(
                month,
                "incidents_downgraded_after_breach",
                _total(chosen, "downgraded_after_breach"),
                _total(chosen, "not_met"),
                policy=policy,
                response=response,
            )
    burglaries = [r for r in rows if r.category == WITHIN_60M_CATEGORY]
    yield _percent(
        month,
        "residential_burglary_attended_within_60m",
        _total(burglaries, "attended_within_60m"),
        _total(burglaries, "created"),
        category=WITHIN_60M_CATEGORY,
    )
