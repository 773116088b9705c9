"""The workbook's incident sheets beside the panel's table of responses: the same scoring
per grade, and residential burglary attended within the hour, attendance rate by
category, downgrades after a breach and the grades not scored.

Every block is built from the pack's per-grade counts (`IncidentGradeRow`), so its
figures are those of ``kpis.csv``.
"""

from collections.abc import Callable, Sequence
from typing import Any

from openpyxl import Workbook

from streams.core.kpis import in_group
from streams.core.measures import INCIDENT_ATTENDANCE, INCIDENTS_MET
from streams.core.monthly import CATEGORY_GROUPS, IncidentGradeRow, MonthlyPack
from streams.core.months import percent
from streams.export.sheet import CATEGORY_LABELS, COUNT, PERCENT, Measure, Sheet, words

Rows = Sequence[IncidentGradeRow]


def _sum(name: str) -> Callable[[Rows], int]:
    return lambda rows: sum(getattr(r, name) for r in rows)


def _by_month(rows: Rows) -> dict[str, Rows]:
    months: dict[str, list[IncidentGradeRow]] = {}
    for r in rows:
        months.setdefault(r.month, []).append(r)
    return months


def _block(sheet: Sheet, heading: str, rows: Rows, measures: list[Measure]) -> None:
    sheet.block(heading, _by_month(rows), rows, measures)


MET_MEASURES: list[Measure] = [
    ("Met", _sum("met"), COUNT),
    ("Not Met", _sum("not_met"), COUNT),
    ("% Met", lambda rs: INCIDENTS_MET.value(lambda name: _sum(name)(rs)), PERCENT),
]
WITHIN_60M_MEASURES: list[Measure] = [
    ("Met", _sum("attended_within_60m"), COUNT),
    ("Not Met", lambda rs: _sum("created")(rs) - _sum("attended_within_60m")(rs), COUNT),
    ("% Met", lambda rs: percent(_sum("attended_within_60m")(rs), _sum("created")(rs)), PERCENT),
]
ATTENDANCE_MEASURES: list[Measure] = [
    ("Created", _sum("created"), COUNT),
    ("Attended", _sum("attended"), COUNT),
    ("% Attended", lambda rs: INCIDENT_ATTENDANCE.value(lambda name: _sum(name)(rs)), PERCENT),
]


def _label(group: str) -> str:
    return CATEGORY_LABELS.get(group, words(group))


def _distinct(values: Any) -> list:
    return list(dict.fromkeys(values))


def grade_sheet(wb: Workbook, pack: MonthlyPack, policy: str) -> None:
    """Met / Not Met / % Met per category and grade with a target, under one policy."""
    rows = [r for r in pack.incident_grades if r.policy == policy and r.scored]
    if not rows:
        return
    sheet = Sheet(
        wb.create_sheet(f"Grades ({policy})"[:31]),
        pack.months,
        f"Incident attendance against target by grade: {pack.policy_names.get(policy, policy)}",
        "Incidents by the month they were created, under the grade they met or missed "
        "their target in; % Met = Met / (Met + Not Met).",
    )
    for group in CATEGORY_GROUPS:
        for grade, response in _distinct((r.grade, r.response) for r in rows):
            chosen = [r for r in rows if r.grade == grade and in_group(r.category, group)]
            _block(
                sheet, f"{_label(group)}: grade {grade} ({words(response)})", chosen, MET_MEASURES
            )


def incident_measures_sheet(wb: Workbook, pack: MonthlyPack) -> None:
    rows = list(pack.incident_grades)
    if not rows:
        return
    sheet = Sheet(
        wb.create_sheet("Incident measures"),
        pack.months,
        "Residential burglary, attendance rate, downgrades and grades not scored",
        "Incidents by the month they were created. Residential burglary: Met = attended "
        "no later than 60 minutes after creation, of all created.",
    )
    burglaries = [r for r in rows if r.category == "residential_burglary"]
    _block(
        sheet, "Residential burglary attended within 60 minutes", burglaries, WITHIN_60M_MEASURES
    )
    for group in CATEGORY_GROUPS:
        chosen = [r for r in rows if in_group(r.category, group)]
        _block(sheet, f"Attendance rate: {_label(group)}", chosen, ATTENDANCE_MEASURES)
    for policy in _distinct(r.policy for r in rows):
        mine = [r for r in rows if r.policy == policy]
        name = pack.policy_names.get(policy, policy)
        scored = _distinct(r.response for r in mine if r.scored)
        downgrades: list[Measure] = [
            (
                f"{words(response)}: downgraded after breach",
                lambda rs, x=response: sum(
                    r.downgraded_after_breach for r in rs if r.response == x and r.scored
                ),
                COUNT,
            )
            for response in scored
        ]
        downgrades.append(("All: downgraded after breach", _sum("downgraded_after_breach"), COUNT))
        _block(sheet, f"Downgraded after the deadline had passed: {name}", mine, downgrades)
        unscored = _distinct((r.grade, r.response) for r in mine if not r.scored)
        not_scored: list[Measure] = [
            (
                f"Grade {grade} ({words(response)})",
                lambda rs, g=grade: sum(r.created for r in rs if r.grade == g),
                COUNT,
            )
            for grade, response in unscored
        ]
        not_scored.append(("All incidents created", _sum("created"), COUNT))
        _block(sheet, f"Counted, not scored (no attendance target): {name}", mine, not_scored)
