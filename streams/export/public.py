"""The public dataset as CSV: 999 answer times and emergency attendance times by month,
emergency attendance by area against the national standard, the 999 mean answer time
and 101 calls.

Aggregate counts only, small counts suppressed (see `streams.core.public`). The first
two files are as they have always been; the later figures are files of their own.
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
    answers_999,
    attendance_by_area,
    attendance_times,
    calls_101,
)
from streams.core.targets import Targets
from streams.export.csv import cell
from streams.export.standards import standard_text

ANSWER_FILE = "999_answer_times.csv"
ATTENDANCE_FILE = "emergency_attendance_times.csv"
AREA_FILE = "emergency_attendance_by_area.csv"
MEAN_999_FILE = "999_mean_answer_time.csv"
CALLS_101_FILE = "101_calls.csv"


def _write(path: Path, total_name: str, bands: tuple[str, ...], rows: list[PublicRow]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["month", total_name, *bands, *(f"pct_{b}" for b in bands), "note"])
        for row in rows:
            values = [row.month, row.total, *row.bands, *row.band_pct(), row.note]
            writer.writerow([cell(v) for v in values])


def _table(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([cell(v) for v in row])


def write_public_csv(
    pack: MonthlyPack, targets: Targets, directory: Path, threshold: int = DEFAULT_THRESHOLD
) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    answers, attendance = directory / ANSWER_FILE, directory / ATTENDANCE_FILE
    _write(answers, "answered", ANSWER_BANDS, answer_times(pack, threshold))
    _write(attendance, "attended_with_time", ATTENDANCE_BANDS, attendance_times(pack, threshold))
    by_area = directory / AREA_FILE
    _table(
        by_area,
        ["month", "area", "standard", "emergencies", "within_standard", "not_within_standard",
         "pct_within_standard", "note"],
        [
            [r.month, r.area, standard_text(targets, r.month, r.area), r.emergencies, r.within,
             r.not_within, r.within_pct, r.note]
            for r in attendance_by_area(pack, threshold)
        ],
    )  # fmt: skip
    mean = directory / MEAN_999_FILE
    _table(
        mean,
        ["month", "answered", "mean_answer_seconds", "note"],
        [[r.bands.month, r.bands.total, r.mean_seconds, r.bands.note]
         for r in answers_999(pack, threshold)],
    )  # fmt: skip
    calls = directory / CALLS_101_FILE
    rows = [
        [r.month, r.calls, r.mean_seconds, "" if r.calls is not None else "suppressed"]
        for r in calls_101(pack, threshold)
    ]
    _table(calls, ["month", "calls", "mean_first_answer_seconds", "note"], rows)
    return [answers, attendance, by_area, mean, calls]
