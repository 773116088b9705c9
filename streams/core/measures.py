"""Every ratio KPI, declared once over its family's counts, and everything made from it.

A measure is a sum of one row's counts over a sum of the same row's counts: a share
(``percent``) or a mean (``seconds``, its numerator a sum of µs). From the declaration
come the recording rule (`Ratio.record`, `Ratio.rule`), the PromQL the dashboards and
alerts use (`Ratio.promql`), the monthly pack's figure (`Ratio.value`) and its
``kpis.csv`` row (`streams.core.kpis`), and the table of measures in docs/kpis.md
(`table`). Metric names come from the counts' declarations in `streams.core.families`
and pack fields likewise, so none is typed twice.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Literal

from streams.core.calls import CallbackCount, CallCount, FirstLegCount, LegCount
from streams.core.chats import ChatCount
from streams.core.families import (
    CALL_ROW,
    CALLBACK_ROW,
    CHAT_ROW,
    FIRST_LEG_ROW,
    INCIDENT_ROW,
    LEG_ROW,
    REPORT_ROW,
)
from streams.core.families.calls import ABANDONMENT_OBJECTIVE, CALL_SERVICE_LEVEL_OBJECTIVE
from streams.core.families.chats import CHAT_SERVICE_LEVEL_OBJECTIVE
from streams.core.families.declare import Count, MetricSpec, Row
from streams.core.families.incidents import INCIDENT_OBJECTIVE
from streams.core.incidents import IncidentCount
from streams.core.months import one_decimal, percent
from streams.core.reports import ReportCount
from streams.core.service_level import MEANING, TERMS
from streams.core.targets import ServiceLevelFormula
from streams.core.timebase import US

Unit = Literal["percent", "seconds"]


@dataclass(frozen=True)
class Ratio:
    """One KPI: ``top`` counts summed over ``bottom`` counts summed, of one ``row``."""

    name: str
    """What it is called: its ``kpis.csv`` measure where it has one."""
    row: Row
    top: tuple[IntEnum, ...]
    bottom: tuple[IntEnum, ...]
    unit: Unit
    series: str
    """The figure's name in its recording rule (``level:series:ratio`` or ``:mean``)."""
    text: str
    """What it is, in docs/kpis.md."""
    by: tuple[str, ...] | None = None
    """The labels its recording rule keeps, in the rule's name; None: no rule."""
    where: tuple[tuple[str, str], ...] = ()
    """Label matchers every term carries (``!``: not equal), e.g. the 999 channel."""
    monthly: bool = True
    """Whether the monthly pack holds its counts."""
    in_kpis: bool = True
    """Whether, held there, it has ``kpis.csv`` rows."""
    objective: MetricSpec | None = None
    """The series of the objective in force it is judged against (the alerts' burn
    rates divide by it); None: none."""

    def count(self, count: IntEnum) -> Count:
        return next(c for c in self.row.counts if c.count is count)

    def metric(self, count: IntEnum) -> str:
        return self.row.metric(count)

    def field(self, count: IntEnum) -> str:
        name = self.count(count).pack
        if name is None:
            raise ValueError(f"{self.name}: {count.name} is not in the monthly pack")
        return name

    @property
    def live(self) -> bool:
        """Whether every count it reads is a live figure (so it has PromQL)."""
        return all(self.count(c).metric is not None for c in (*self.top, *self.bottom))

    @property
    def record(self) -> str:
        assert self.by is not None, self.name
        return f"{'_'.join(self.by)}:{self.series}:{'ratio' if self.unit == 'percent' else 'mean'}"

    def selector(self, labels: str = "") -> str:
        """``labels`` (a selector's braces, or nothing) with the measure's own matchers."""
        own = ",".join(
            f'{k}!="{v[1:]}"' if v.startswith("!") else f'{k}="{v}"' for k, v in self.where
        )
        if not own:
            return labels
        return "{" + own + ("," + labels[1:-1] if labels else "") + "}"

    def terms(self, labels: str = "") -> tuple[str, str]:
        """(numerator, denominator) as PromQL sums of the counts' metrics."""
        on = self.selector(labels)
        return (
            " + ".join(f"{self.metric(c)}{on}" for c in self.top),
            " + ".join(f"{self.metric(c)}{on}" for c in self.bottom),
        )

    def promql(self, labels: str = "", by: str = "") -> str:
        """The measure summed across workers before dividing, on one line: for panels."""
        group = f" by ({by})" if by else ""
        top, bottom = self.terms(labels)
        return f"sum{group} ({top}) / sum{group} ({bottom})"

    def rule(self) -> str:
        """Its recording rule's expression."""
        by = ", ".join(self.by or ())
        top, bottom = self.terms()
        return f"sum by ({by}) ({top})\n/\nsum by ({by}) ({bottom})"

    def of(self, value: Callable[[str], int]) -> tuple[int, int]:
        """(numerator, denominator) of the counts ``value`` gives by pack field."""
        return (
            sum(value(self.field(c)) for c in self.top),
            sum(value(self.field(c)) for c in self.bottom),
        )

    def value(self, value: Callable[[str], int]) -> Decimal | None:
        """The figure, rounded as every export shows it (`streams.core.months`)."""
        top, bottom = self.of(value)
        return percent(top, bottom) if self.unit == "percent" else one_decimal(top, bottom, US)

    def words(self) -> str:
        """The formula as docs and the workbook say it: ``answered within target /
        answered``."""

        def side(counts: tuple[IntEnum, ...]) -> str:
            said = " + ".join(_said(c) for c in counts)
            return f"({said})" if len(counts) > 1 else said

        return f"{side(self.top)} / {side(self.bottom)}"


def _said(count: IntEnum) -> str:
    return count.name.lower().replace("_us_sum", "_time_summed").replace("_", " ")


def _legs(name: str, top: tuple, bottom: tuple, unit: Unit, series: str, text: str,
          **kw) -> Ratio:  # fmt: skip
    return Ratio(name, LEG_ROW, top, bottom, unit, series, text,
                 by=("channel", "queue", "window"), **kw)  # fmt: skip


_OUTCOMES = (LegCount.ANSWERED, LegCount.ABANDONED)

SERVICE_LEVEL: dict[ServiceLevelFormula, Ratio] = {
    formula: _legs(
        "call_service_level",
        top,
        bottom,
        "percent",
        f"ccm_call_service_level_{formula.value}",
        MEANING[formula],
        objective=CALL_SERVICE_LEVEL_OBJECTIVE,
    )
    for formula, (top, bottom) in TERMS.items()
}
CALL_ABANDONMENT = _legs(
    "call_abandonment", (LegCount.ABANDONED,), _OUTCOMES, "percent", "ccm_call_abandonment",
    "Legs abandoned (short abandons excluded) of those with an outcome.",
    objective=ABANDONMENT_OBJECTIVE,
)  # fmt: skip
CALL_ASA = _legs(
    "call_asa_seconds", (LegCount.ANSWER_US_SUM,), (LegCount.ANSWERED,), "seconds",
    "ccm_call_legs_answered_wait_seconds", "Average speed of answer of answered legs.",
)  # fmt: skip
CALL_AHT = _legs(
    "call_aht_seconds", (LegCount.HANDLE_US_SUM,), (LegCount.HANDLED,), "seconds",
    "ccm_call_legs_handle_seconds", "Average handling time (answer to transfer or end).",
    monthly=False,
)  # fmt: skip
HOME_OFFICE_999_UNDER_10S = Ratio(
    "home_office_999_under_10s", LEG_ROW, (LegCount.ANSWERED_UNDER_10S,), (LegCount.ANSWERED,),
    "percent", "ccm_call_legs_answered_under_10s_999",
    "999 calls answered in under 10 s (the Home Office measure), of those answered.",
    by=("window",), where=(("channel", "999"),), monthly=False,
)  # fmt: skip
"""Live, over every 999 queue; the monthly bands are `streams.core.bands`'."""

CALL_COMBINED_WAIT = Ratio(
    "call_combined_wait_seconds", CALL_ROW, (CallCount.COMBINED_WAIT_US_SUM,), (CallCount.SETTLED,),
    "seconds", "ccm_calls_combined_wait_seconds",
    "A settled call's waits across its legs (the caller's wait across transfers), averaged.",
    by=("channel", "window"),
)  # fmt: skip

FIRST_ANSWER = Ratio(
    "call_first_answer_seconds", FIRST_LEG_ROW, (FirstLegCount.ANSWER_US_SUM,),
    (FirstLegCount.ANSWERED,), "seconds", "", "A call's first leg's wait to answer, averaged: "
    "the public page's 101 mean answer time.", in_kpis=False,
)  # fmt: skip

CALLBACK_FIRST_ATTEMPT = Ratio(
    "callback_first_attempt_within_target", CALLBACK_ROW,
    (CallbackCount.FIRST_ATTEMPT_WITHIN_TARGET,), (CallbackCount.OWED,), "percent",
    "ccm_callbacks_first_attempt_within_target",
    # Divided by every call-back owed, attempted or not: one still in time counts as a
    # miss until attempted.
    "Call-backs owed first attempted within target, of every call-back owed.",
    by=("channel", "window"),
)  # fmt: skip
CALLBACK_RESOLVED = Ratio(
    "callback_resolved_within_target", CALLBACK_ROW, (CallbackCount.RESOLVED_WITHIN_TARGET,),
    (CallbackCount.OWED,), "percent", "ccm_callbacks_resolved_within_target",
    "Call-backs owed resolved within target, of every call-back owed.",
)  # fmt: skip
CALLBACK_MEAN_FIRST_ATTEMPT = Ratio(
    "callback_average_first_attempt_seconds", CALLBACK_ROW, (CallbackCount.FIRST_ATTEMPT_US_SUM,),
    (CallbackCount.FIRST_ATTEMPTED,), "seconds", "ccm_callbacks_first_attempt_wait_seconds",
    "Time from an abandon to its first call-back attempt, of those attempted, averaged.",
)  # fmt: skip

_CHAT_OUTCOMES = (ChatCount.ACCEPTED, ChatCount.ABANDONED)
CHAT_SERVICE_LEVEL = Ratio(
    "chat_service_level", CHAT_ROW, (ChatCount.ACCEPTED_WITHIN_TARGET,), _CHAT_OUTCOMES, "percent",
    "ccm_chat_service_level", "Chats accepted within target, of those with an outcome.",
    by=("window",), objective=CHAT_SERVICE_LEVEL_OBJECTIVE,
)  # fmt: skip
CHAT_ABANDONMENT = Ratio(
    "chat_abandonment", CHAT_ROW, (ChatCount.ABANDONED,), _CHAT_OUTCOMES, "percent",
    "ccm_chat_abandonment", "Chats abandoned, of those with an outcome.", by=("window",),
)  # fmt: skip
CHAT_WAIT = Ratio(
    "chat_average_wait_seconds", CHAT_ROW, (ChatCount.ACCEPT_US_SUM,), (ChatCount.ACCEPTED,),
    "seconds", "ccm_chats_accepted_wait_seconds", "Wait of accepted chats, averaged.",
    by=("window",),
)  # fmt: skip

REPORT_TRIAGE = Ratio(
    "report_average_triage_seconds", REPORT_ROW, (ReportCount.TRIAGE_US_SUM,),
    (ReportCount.TRIAGED,), "seconds", "ccm_reports_triage_seconds",
    "Submission to triage of online reports, averaged.",
    by=("report_type", "window"),
)  # fmt: skip

_SCORED = (IncidentCount.MET, IncidentCount.MISSED)
_BY_RESPONSE = ("policy", "response", "window")
INCIDENTS_MET = Ratio(
    "incident_target_met", INCIDENT_ROW, (IncidentCount.MET,), _SCORED, "percent",
    "ccm_incidents_met", "Scored incidents attended within their grade's target.",
    by=_BY_RESPONSE, objective=INCIDENT_OBJECTIVE,
)  # fmt: skip
INCIDENTS_MET_HIGH_HARM = Ratio(
    "incident_target_met_high_harm", INCIDENT_ROW, (IncidentCount.MET,), _SCORED, "percent",
    "ccm_incidents_met_high_harm", "The same, of high-harm categories only.",
    by=_BY_RESPONSE, where=(("category", "!other"),), monthly=False,
)  # fmt: skip
INCIDENTS_MET_BY_CATEGORY = Ratio(
    "incident_target_met_by_category", INCIDENT_ROW, (IncidentCount.MET,), _SCORED, "percent",
    "ccm_incidents_met", "The same, by category.",
    by=("policy", "response", "category", "window"), monthly=False,
)  # fmt: skip
CATEGORY_TARGET_MET = Ratio(
    "incident_category_target_met", INCIDENT_ROW, (IncidentCount.CATEGORY_MET,),
    (IncidentCount.CATEGORY_MET, IncidentCount.CATEGORY_MISSED), "percent",
    "ccm_incidents_category_target_met",
    "Incidents of a category with a target of its own (burglary within 60 min) meeting it.",
    by=("policy", "category", "window"), monthly=False,
)  # fmt: skip
INCIDENT_ATTENDANCE = Ratio(
    "incident_attendance_rate", INCIDENT_ROW, (IncidentCount.ATTENDED,), (IncidentCount.CREATED,),
    "percent", "ccm_incidents_attended", "Incidents created that were attended.",
    by=("category", "window"),
)  # fmt: skip
INCIDENT_ATTENDANCE_TIME = Ratio(
    "incident_average_attendance_seconds", INCIDENT_ROW, (IncidentCount.ATTENDANCE_US_SUM,),
    (IncidentCount.ATTENDANCE_TIMED,), "seconds", "ccm_incidents_attendance_time_seconds",
    "Creation to first arrival of attended incidents, averaged.", by=_BY_RESPONSE,
)  # fmt: skip

MEASURES: tuple[Ratio, ...] = (
    *SERVICE_LEVEL.values(),
    CALL_ABANDONMENT,
    CALL_ASA,
    CALL_AHT,
    HOME_OFFICE_999_UNDER_10S,
    CALL_COMBINED_WAIT,
    FIRST_ANSWER,
    CALLBACK_FIRST_ATTEMPT,
    CALLBACK_RESOLVED,
    CALLBACK_MEAN_FIRST_ATTEMPT,
    CHAT_SERVICE_LEVEL,
    CHAT_ABANDONMENT,
    CHAT_WAIT,
    REPORT_TRIAGE,
    INCIDENTS_MET,
    INCIDENTS_MET_HIGH_HARM,
    INCIDENTS_MET_BY_CATEGORY,
    CATEGORY_TARGET_MET,
    INCIDENT_ATTENDANCE,
    INCIDENT_ATTENDANCE_TIME,
)


DOC_START = (
    "<!-- The table of measures: written by `ccm rules build` from streams/core/measures.py -->"
)
DOC_END = "<!-- end of the table of measures -->"


def in_doc(text: str, measures: Iterable[Ratio] = MEASURES) -> str:
    """``text`` (docs/kpis.md) with `table` between its markers."""
    head, start, rest = text.partition(DOC_START)
    _, end, tail = rest.partition(DOC_END)
    if not (start and end):
        raise ValueError(f"the table's markers are missing: {DOC_START} ... {DOC_END}")
    return f"{head}{DOC_START}\n{table(measures)}{DOC_END}{tail}"


def table(measures: Iterable[Ratio] = MEASURES) -> str:
    """The table of measures in docs/kpis.md: one line each, as declared."""
    lines = [
        "| measure | what | formula | unit | recording rule | judged against | in kpis.csv |",
        "|---|---|---|---|---|---|---|",
    ]
    formulas = {measure: formula for formula, measure in SERVICE_LEVEL.items()}
    for m in measures:
        rule = f"`{m.record}`" if m.by is not None else ""
        name = f"{m.name} (`{formulas[m].value}`)" if m in formulas else m.name
        where = "".join(
            f", {k} {'≠' if v.startswith('!') else '='} {v.lstrip('!')}" for k, v in m.where
        )
        monthly = "yes" if m.monthly and m.in_kpis else "no"
        judged = f"`{m.objective.name}`" if m.objective is not None else ""
        formula = f"{m.words()}{where}"
        lines.append(
            f"| {name} | {m.text} | {formula} | {m.unit} | {rule} | {judged} | {monthly} |"
        )
    return "\n".join(lines) + "\n"
