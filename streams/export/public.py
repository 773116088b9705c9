"""The public dataset as CSV: 999 answer times and emergency attendance times by month.

Aggregate counts only, small counts suppressed (see `streams.core.public`).
"""

import csv
from pathlib import Path

from streams.core.monthly import MonthlyPack
from streams.core.public import (
    ANSWER_BANDS,
    ATTENDANCE_BANDS,
    DEFAULT_THRESHOLD,
    PublicRow,
    answer_times,
    attendance_times,
)
from streams.export.csv import cell

ANSWER_FILE = "999_answer_times.csv"
ATTENDANCE_FILE = "emergency_attendance_times.csv"


def _write(path: Path, total_name: str, bands: tuple[str, ...], rows: list[PublicRow]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["month", total_name, *bands, *(f"pct_{b}" for b in bands), "note"])
        for row in rows:
            values = [row.month, row.total, *row.bands, *row.band_pct(), row.note]
            writer.writerow([cell(v) for v in values])


def write_public_csv(
    pack: MonthlyPack, directory: Path, threshold: int = DEFAULT_THRESHOLD
) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    answers, attendance = directory / ANSWER_FILE, directory / ATTENDANCE_FILE
    _write(answers, "answered", ANSWER_BANDS, answer_times(pack, threshold))
    _write(attendance, "attended_with_time", ATTENDANCE_BANDS, attendance_times(pack, threshold))
    return [answers, attendance]
