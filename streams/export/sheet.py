"""The building blocks of the panel workbook: number formats, labels and `Sheet`, which
writes blocks of monthly measures (months across, then a ``Total`` column)."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields, replace
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from streams.core.measures import SERVICE_LEVEL
from streams.core.monthly import ALL, HIGH_HARM
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
FORMULA_LABELS = {formula.value: measure.words() for formula, measure in SERVICE_LEVEL.items()}
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
