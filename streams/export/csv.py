"""The monthly pack as CSV: five files of one topic each, one row per month and
dimension, and ``kpis.csv``, every measure in one tidy table (`streams.core.kpis`).

Counts are integers; percentages and averages have one decimal; a figure with
nothing to divide by (a month with no data for the row) is blank, never 0 or 100.
Rows come in a fixed order (month, then the dimensions in the pack's order), so
the same events always give the same bytes.
"""

import csv
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from streams.core.kpis import COLUMNS as KPI_COLUMNS
from streams.core.kpis import Kpi, kpi_rows
from streams.core.monthly import MonthlyPack

Column = tuple[str, Callable[[Any], Any]]


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.1f}"
    return str(value)


def _attr(name: str) -> Callable[[Any], Any]:
    return lambda row: getattr(row, name)


def _columns(*names: str) -> list[Column]:
    return [(name, _attr(name)) for name in names]


INCIDENT_COLUMNS = _columns(
    "month", "policy", "category", "response", "met", "not_met", "total", "pct_met"
)
CALL_COLUMNS = _columns(
    "month",
    "channel",
    "queue",
    "formula",
    "offered",
    "answered",
    "answered_within_target",
    "service_level_pct",
    "abandoned",
    "abandonment_pct",
    "asa_seconds",
    "abandoned_within_target",
    "short_abandoned",
)
CHAT_COLUMNS = _columns(
    "month",
    "requested",
    "accepted",
    "accepted_within_target",
    "service_level_pct",
    "abandoned",
    "abandonment_pct",
    "average_wait_seconds",
    "outside_hours",
)
REPORT_COLUMNS = _columns("month", "report_type", "submitted", "triaged", "average_triage_seconds")
SHARE_COLUMNS = _columns("month", "channel", "contacts", "share_pct")

FILES: dict[str, tuple[str, list[Column]]] = {
    "incident_attendance.csv": ("incidents", INCIDENT_COLUMNS),
    "call_handling.csv": ("calls", CALL_COLUMNS),
    "chat.csv": ("chats", CHAT_COLUMNS),
    "online_reports.csv": ("reports", REPORT_COLUMNS),
    "channel_share.csv": ("shares", SHARE_COLUMNS),
}


KPI_FILE = "kpis.csv"


def exact(value: Any) -> str:
    """A numerator as it was counted: an integer, or seconds with every digit kept."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _kpi_column(name: str) -> Callable[[Kpi], str]:
    if name in ("numerator", "denominator"):
        return lambda row: exact(getattr(row, name))
    return lambda row: cell(getattr(row, name))


KPI_TABLE: list[Column] = [(name, _kpi_column(name)) for name in KPI_COLUMNS]


def write_table(path: Path, columns: Sequence[Column], rows: Iterable[Any]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([name for name, _ in columns])
        for row in rows:
            writer.writerow([cell(get(row)) for _, get in columns])


def write_monthly_csv(pack: MonthlyPack, directory: Path) -> list[Path]:
    """Write the six files into ``directory`` (created if missing); return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (table, columns) in FILES.items():
        path = directory / name
        write_table(path, columns, getattr(pack, table))
        written.append(path)
    write_table(directory / KPI_FILE, KPI_TABLE, kpi_rows(pack))
    written.append(directory / KPI_FILE)
    return written
