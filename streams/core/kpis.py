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

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from schemas import Category
from streams.core.bands import HOME_OFFICE_999_BANDS, in_bands
from streams.core.monthly import ALL, HIGH_HARM
from streams.core.months import one_decimal, percent
from streams.core.pack import CallbackRow, CallRow, IncidentGradeRow, MonthlyPack
from streams.core.service_level import service_level
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


def kpi_rows(pack: MonthlyPack) -> list[Kpi]:
    """Every measure of every month, month by month, in a fixed order."""
    rows: list[Kpi] = []
    for month in pack.months:
        rows += _calls(pack, month)
        rows += _callbacks(pack, month)
        rows += _chats(pack, month)
        rows += _online(pack, month)
        rows += _incidents(pack, month)
    return rows


# --- calls -------------------------------------------------------------------------------


def _sum_calls(rows: Sequence[CallRow]) -> dict[str, int]:
    names = (
        "offered",
        "answered",
        "answered_under_10s",
        "answered_under_60s",
        "abandoned",
        "short_abandoned",
        "answer_us_sum",
    )
    return {n: sum(getattr(r, n) for r in rows) for n in names}


def _calls(pack: MonthlyPack, month: str) -> Iterator[Kpi]:
    calls = [r for r in pack.calls if r.month == month]
    for r in calls:
        top, bottom = service_level(r.formula, lambda name, r=r: getattr(r, name))
        dims = {"channel": r.channel, "queue": r.queue, "formula": r.formula}
        yield _percent(month, "call_service_level", top, bottom, **dims)
    # The rest does not depend on the formula: one row per queue over the whole month.
    by_queue: dict[tuple[str, str], list[CallRow]] = {}
    for r in calls:
        by_queue.setdefault((r.channel, r.queue), []).append(r)
    queues = {where: _sum_calls(rows) for where, rows in by_queue.items()}
    for (channel, queue), t in queues.items():
        outcomes = t["answered"] + t["abandoned"]
        where = {"channel": channel, "queue": queue}
        yield _percent(month, "call_abandonment", t["abandoned"], outcomes, **where)
    for (channel, queue), t in queues.items():
        where = {"channel": channel, "queue": queue}
        yield _seconds(month, "call_asa_seconds", t["answer_us_sum"], t["answered"], **where)
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
    for r in pack.combined_waits:
        if r.month == month:
            yield _seconds(
                month,
                "call_combined_wait_seconds",
                r.combined_wait_us_sum,
                r.settled,
                channel=r.channel,
            )
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
            t["answer_us_sum"],
            t["answered"],
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


def _callbacks(pack: MonthlyPack, month: str) -> Iterator[Kpi]:
    """Call-backs owed on abandoned calls, by the month the abandoned leg was offered."""
    channels = callback_channels(pack.callbacks)
    contacts = {r.channel: r.contacts for r in pack.shares if r.month == month}
    for r in pack.callbacks:
        if r.month != month or r.channel not in channels:
            continue
        on = {"channel": r.channel}
        yield _count(month, "callbacks_owed", r.owed, contacts.get(r.channel, 0), **on)
        yield _percent(
            month, "callback_first_attempt_within_target", r.first_attempt_within_target, r.owed,
            **on,
        )  # fmt: skip
        yield _percent(
            month, "callback_resolved_within_target", r.resolved_within_target, r.owed, **on
        )
        yield _seconds(
            month,
            "callback_average_first_attempt_seconds",
            r.first_attempt_us_sum,
            r.first_attempted,
            **on,
        )
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


def _chats(pack: MonthlyPack, month: str) -> Iterator[Kpi]:
    for r in pack.chats:
        if r.month != month:
            continue
        outcomes = r.accepted + r.abandoned
        yield _percent(month, "chat_service_level", r.accepted_within_target, outcomes)
        yield _percent(month, "chat_abandonment", r.abandoned, outcomes)
        yield _seconds(month, "chat_average_wait_seconds", r.accept_us_sum, r.accepted)
        yield _count(month, "chats_requested_while_closed", r.outside_hours, r.requested)


def _online(pack: MonthlyPack, month: str) -> Iterator[Kpi]:
    reports = [r for r in pack.reports if r.month == month]
    submitted = sum(r.submitted for r in reports)
    for r in reports:
        yield _count(month, "reports_submitted", r.submitted, submitted, report_type=r.report_type)
    yield _count(month, "reports_submitted", submitted, submitted, report_type=REPORT_TYPE_ALL)
    for r in reports:
        yield _seconds(
            month,
            "report_average_triage_seconds",
            r.triage_us_sum,
            r.triaged,
            report_type=r.report_type,
        )
    yield _seconds(
        month,
        "report_average_triage_seconds",
        sum(r.triage_us_sum for r in reports),
        sum(r.triaged for r in reports),
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
                met, not_met = _total(chosen, "met"), _total(chosen, "not_met")
                yield _percent(
                    month,
                    "incident_target_met",
                    met,
                    met + not_met,
                    policy=policy,
                    response=response,
                    category=group,
                )
            for grade in grades[policy]:
                chosen = [r for r in of_group if r.grade == grade]
                met, not_met = _total(chosen, "met"), _total(chosen, "not_met")
                yield _percent(
                    month,
                    "incident_target_met",
                    met,
                    met + not_met,
                    policy=policy,
                    grade=str(grade),
                    category=group,
                )
    # Attendance does not depend on the policy: every incident created, whatever scored it.
    for group in KPI_CATEGORY_GROUPS:
        chosen = [r for r in rows if in_group(r.category, group)]
        yield _percent(
            month,
            "incident_attendance_rate",
            _total(chosen, "attended"),
            _total(chosen, "created"),
            category=group,
        )
    for policy in policies:
        responses = list(dict.fromkeys(r.response for r in by_policy[policy]))
        for group in KPI_CATEGORY_GROUPS:
            for response in responses:
                chosen = [
                    r
                    for r in by_policy[policy]
                    if r.response == response and in_group(r.category, group)
                ]
                yield _seconds(
                    month,
                    "incident_average_attendance_seconds",
                    _total(chosen, "attendance_us_sum"),
                    _total(chosen, "attendance_timed"),
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
