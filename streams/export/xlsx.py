"""The monthly pack in the panel's layout, as an XLSX workbook (openpyxl).

Months run across as columns (headed ``Sep-21``: real dates with an ``mmm-yy``
format), then a ``Total`` column over the whole range. Each table is a block: a
heading row, then ``Met`` / ``Not Met`` / ``% Met`` (or the call-handling
measures). Every figure is a number with a number format (counts ``#,##0``,
percentages ``0.0%`` holding the fraction, seconds ``0.0``), never text; a
percentage with nothing to divide by is an empty cell. Percentages are the
exact ones of the CSV files (rounded half up to one decimal), so the two
layouts always agree.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from streams.core.monthly import (
    ALL,
    CATEGORY_GROUPS,
    HIGH_HARM,
    CallRow,
    ChatRow,
    IncidentRow,
    MonthlyPack,
    ReportRow,
    ShareRow,
)
from streams.core.months import parse_month

COUNT = "#,##0"
PERCENT = "0.0%"
SECONDS = "0.0"
MONTH_HEADER = "mmm-yy"

BOLD = Font(bold=True)
HEADING_FILL = PatternFill("solid", start_color="DCE6F1")

Measure = tuple[str, Callable[[Any], Any], str]
"""(row label, value of a pack row, number format)."""

INCIDENT_MEASURES: list[Measure] = [
    ("Met", lambda r: r.met, COUNT),
    ("Not Met", lambda r: r.not_met, COUNT),
    ("% Met", lambda r: r.pct_met, PERCENT),
]

CATEGORY_LABELS = {
    "residential_burglary": "Residential burglary",
    "robbery": "Robbery",
    "rape": "Rape",
    "sexual_offence": "Sexual offences",
    "violence_with_injury": "Violence with injury",
    "other": "Other incidents",
    HIGH_HARM: "All high harm",
    ALL: "All incidents",
}
QUEUE_LABELS = {
    "fcr": "FCR",
    "switchboard": "Switchboard",
    "resolution_centre": "Resolution Centre",
}
FORMULA_LABELS = {
    "strict": "answered within target / (answered + abandoned)",
    "ignore_abandons": "answered within target / answered",
    "abandons_within_target_met": (
        "(answered within target + abandoned within target) / (answered + abandoned)"
    ),
}
CHANNEL_LABELS = {
    "999": "999 calls",
    "101": "101 calls",
    "chat": "Live Chat",
    "online": "Online reporting",
}


ABBREVIATIONS = {"asb": "ASB"}
"""Names read as initials (anti-social behaviour), not as a word."""


def words(name: str) -> str:
    return ABBREVIATIONS.get(name, name.replace("_", " ").capitalize())


def summed(rows: Sequence[Any], **labels: Any) -> Any:
    """One row of the same type whose counts are the sums of ``rows``'s counts."""
    template = rows[0]
    totals = {
        f.name: sum(getattr(r, f.name) for r in rows)
        for f in fields(template)
        if f.type in (int, "int")
    }
    return replace(template, **totals, **labels)


def number(value: Any, fmt: str) -> float | int | None:
    if value is None:
        return None
    if fmt == PERCENT:
        return float(Decimal(value) / 100)
    if isinstance(value, Decimal):
        return float(value)
    return value


class Sheet:
    """Writes blocks of monthly measures onto one worksheet, top to bottom."""

    def __init__(self, ws: Worksheet, months: Sequence[str], title: str, intro: str) -> None:
        self.ws = ws
        self.months = list(months)
        ws["A1"] = title
        ws["A1"].font = Font(bold=True, size=13)
        ws["A2"] = intro
        ws["A2"].alignment = Alignment(wrap_text=False)
        ws.column_dimensions["A"].width = 44
        for col in range(2, len(self.months) + 3):
            ws.column_dimensions[get_column_letter(col)].width = 10
        ws.freeze_panes = "B4"
        # Printed (or made a PDF) landscape, all months on one page across.
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "1:2"
        self.next_row = 4

    def block(
        self,
        heading: str,
        by_month: dict[str, Any],
        total: Any,
        measures: Iterable[Measure],
    ) -> None:
        ws, r = self.ws, self.next_row
        ws.cell(r, 1, heading).font = BOLD
        for i, label in enumerate(self.months):
            year, month = parse_month(label)
            header = ws.cell(r, 2 + i, date(year, month, 1))
            header.number_format = MONTH_HEADER
            header.font = BOLD
            header.alignment = Alignment(horizontal="right")
        ws.cell(r, 2 + len(self.months), "Total").font = BOLD
        ws.cell(r, 2 + len(self.months)).alignment = Alignment(horizontal="right")
        for col in range(1, len(self.months) + 3):
            ws.cell(r, col).fill = HEADING_FILL
        for label, get, fmt in measures:
            r += 1
            ws.cell(r, 1, label)
            for i, month in enumerate(self.months):
                row = by_month.get(month)
                if row is not None:
                    ws.cell(r, 2 + i, number(get(row), fmt)).number_format = fmt
            if total is not None:
                end = ws.cell(r, 2 + len(self.months), number(get(total), fmt))
                end.number_format = fmt
                end.font = BOLD
        self.next_row = r + 2


def _incident_sheets(wb: Workbook, pack: MonthlyPack) -> None:
    policies = list(dict.fromkeys(r.policy for r in pack.incidents))
    for policy in policies:
        rows = [r for r in pack.incidents if r.policy == policy]
        name = pack.policy_names.get(policy, policy)
        sheet = Sheet(
            wb.create_sheet(f"Incidents ({policy})"[:31]),
            pack.months,
            f"Incident attendance against target: {name}",
            "Incidents by the month they were created; % Met = Met / (Met + Not Met). "
            "Blank: not in force that month, or nothing to score.",
        )
        responses = list(dict.fromkeys(r.response for r in rows))
        for group in CATEGORY_GROUPS:
            for response in responses:
                chosen: list[IncidentRow] = [
                    r for r in rows if r.category == group and r.response == response
                ]
                if not chosen:
                    continue
                sheet.block(
                    f"{CATEGORY_LABELS.get(group, words(group))}: {words(response)}",
                    {r.month: r for r in chosen},
                    summed(chosen, month="Total"),
                    INCIDENT_MEASURES,
                )


def _call_measures(channel: str) -> list[Measure]:
    measures: list[Measure] = [
        ("Offered", lambda r: r.offered, COUNT),
        ("Answered", lambda r: r.answered, COUNT),
        ("Answered within target", lambda r: r.answered_within_target, COUNT),
    ]
    if channel == "999":
        measures.append(
            ("Answered under 10 s (Home Office)", lambda r: r.answered_under_10s, COUNT)
        )
    return [
        *measures,
        ("Abandoned", lambda r: r.abandoned, COUNT),
        ("Service level", lambda r: r.service_level_pct, PERCENT),
        ("Abandonment rate", lambda r: r.abandonment_pct, PERCENT),
        ("Average speed of answer (s)", lambda r: r.asa_seconds, SECONDS),
    ]


def _call_sheets(wb: Workbook, pack: MonthlyPack) -> None:
    queues = list(dict.fromkeys((r.channel, r.queue) for r in pack.calls))
    for channel, queue in queues:
        rows = [r for r in pack.calls if (r.channel, r.queue) == (channel, queue)]
        where = f"{channel} {QUEUE_LABELS.get(queue, words(queue))}"
        sheet = Sheet(
            wb.create_sheet(f"Calls {where}"[:31]),
            pack.months,
            f"{channel} calls at the {QUEUE_LABELS.get(queue, words(queue))}",
            "Call legs by the month they were offered (queued). Service level formula "
            "and answer target per month: see Notes.",
        )
        for formula in dict.fromkeys(r.formula for r in rows):
            chosen: list[CallRow] = [r for r in rows if r.formula == formula]
            sheet.block(
                f"Service level ({formula}): {FORMULA_LABELS.get(formula, formula)}",
                {r.month: r for r in chosen},
                summed(chosen, month="Total"),
                _call_measures(channel),
            )


CHAT_MEASURES: list[Measure] = [
    ("Requested", lambda r: r.requested, COUNT),
    ("Accepted", lambda r: r.accepted, COUNT),
    ("Accepted within target", lambda r: r.accepted_within_target, COUNT),
    ("Abandoned", lambda r: r.abandoned, COUNT),
    ("Service level", lambda r: r.service_level_pct, PERCENT),
    ("Abandonment rate", lambda r: r.abandonment_pct, PERCENT),
    ("Average wait to accept (s)", lambda r: r.average_wait_seconds, SECONDS),
    ("Requested outside opening hours", lambda r: r.outside_hours, COUNT),
]
REPORT_MEASURES: list[Measure] = [
    ("Submitted", lambda r: r.submitted, COUNT),
    ("Triaged", lambda r: r.triaged, COUNT),
    ("Average time to triage (s)", lambda r: r.average_triage_seconds, SECONDS),
]


def _contact_sheet(wb: Workbook, pack: MonthlyPack) -> None:
    sheet = Sheet(
        wb.create_sheet("Live Chat and online"),
        pack.months,
        "Live Chat, online reporting and channel share",
        "Chats by the month requested; reports by the month submitted; a call counts "
        "once, on the channel it was first offered on.",
    )
    chats: list[ChatRow] = list(pack.chats)
    if chats:
        sheet.block(
            "Live Chat", {r.month: r for r in chats}, summed(chats, month="Total"), CHAT_MEASURES
        )
    reports: list[ReportRow] = list(pack.reports)
    for report_type in dict.fromkeys(r.report_type for r in reports):
        chosen = [r for r in reports if r.report_type == report_type]
        sheet.block(
            f"Online reports: {words(report_type)}",
            {r.month: r for r in chosen},
            summed(chosen, month="Total"),
            REPORT_MEASURES,
        )
    if reports:
        by_month = {
            m: summed([r for r in reports if r.month == m], report_type="all")
            for m in dict.fromkeys(r.month for r in reports)
        }
        sheet.block(
            "Online reports: all types",
            by_month,
            summed(reports, month="Total", report_type="all"),
            REPORT_MEASURES,
        )
    shares: list[ShareRow] = list(pack.shares)
    channels = list(dict.fromkeys(r.channel for r in shares))
    if shares:
        by_month = {m: {r.channel: r for r in shares if r.month == m} for m in pack.months}
        totals = {c: summed([r for r in shares if r.channel == c], month="Total") for c in channels}
        measures: list[Measure] = [
            (CHANNEL_LABELS.get(c, c), lambda g, c=c: g[c].contacts, COUNT) for c in channels
        ]
        measures += [
            (f"{CHANNEL_LABELS.get(c, c)} share", lambda g, c=c: g[c].share_pct, PERCENT)
            for c in channels
        ]
        present = {m: g for m, g in by_month.items() if g}
        sheet.block("Contact by channel", present, totals, measures)


def _notes_sheet(wb: Workbook, pack: MonthlyPack) -> None:
    ws = wb.create_sheet("Notes")
    ws.column_dimensions["A"].width = 30
    for col in "BCDEF":
        ws.column_dimensions[col].width = 22
    lines: list[list[Any]] = [
        [f"Monthly KPI pack, {pack.first} to {pack.last}"],
        [],
        ["Definitions"],
        ["Months", "Calendar months in Europe/London (clock-change days are whole)."],
        [
            "Attribution",
            "A call leg counts in the month it was offered (queued); a chat when "
            "requested; a report when submitted; an incident when created.",
        ],
        [
            "Service level",
            "Per the formula in force at the queue that day (below); answered "
            "within target means at or under the target.",
        ],
        ["Abandonment rate", "abandoned / (answered + abandoned); short abandons excluded."],
        ["Average speed of answer", "sum of answered legs' waits / answered, in seconds."],
        [
            "Met / Not Met",
            "Attended no later than created + the target of its grade; an "
            "incident misses once its deadline passes unattended, even if attended later. "
            "Incidents still open past their deadline count as Not Met.",
        ],
        ["% Met", "Met / (Met + Not Met). Grades without a target are not scored."],
        ["Rounding", "Percentages and averages from exact counts, half up to one decimal."],
        ["Blank", "Nothing to divide by (no data), or not in force that month."],
        [],
        ["Grading policy used", "Month", "Policy", "Name", "From", "To"],
    ]
    lines += [["", p.month, p.policy, p.name, p.first, p.last] for p in pack.policies]
    lines += [
        [],
        [
            "Call-handling targets",
            "Month",
            "Channel / queue",
            "Formula",
            "Answer within (s)",
            "From / to",
        ],
    ]
    lines += [
        [
            "",
            t.month,
            f"{t.channel} {t.queue}",
            t.formula,
            t.answer_within_seconds,
            f"{t.first} to {t.last}",
        ]
        for t in pack.queue_targets
    ]
    lines += [[], ["Formulas"]]
    lines += [[name, text] for name, text in FORMULA_LABELS.items()]
    for line in lines:
        ws.append(line)
    for row in ws.iter_rows():
        if row and isinstance(row[0].value, str) and len(row) > 1 and row[1].value is None:
            row[0].font = BOLD
    for row in ws.iter_rows(min_col=5, max_col=5):
        for cell in row:
            if isinstance(cell.value, int):
                cell.number_format = COUNT


def build_workbook(pack: MonthlyPack) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    _incident_sheets(wb, pack)
    _call_sheets(wb, pack)
    _contact_sheet(wb, pack)
    _notes_sheet(wb, pack)
    return wb


def write_monthly_xlsx(pack: MonthlyPack, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(pack).save(path)
    return path
