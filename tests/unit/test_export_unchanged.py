"""The monthly export's figures stay byte for byte what they were: the same simulated
fortnight (seed 7, 25 March to 4 April 2026: the clocks going forward and a month end)
recomputed from the log must give the CSVs whose SHA-256 digests are written below, the
public dataset's CSVs too, and a workbook whose cells hold the same values (the file's
own bytes carry the time it was written, so its cells are compared, sheet by sheet).

The digests were taken from the export before the core was made faster, so a change to
how the core computes (deltas, caches, pruning) that moves any figure fails here. A
change that moves a figure on purpose (a new definition, a new column, a simulator
change) updates them in the same commit and says why. `bench/export_year.py` makes the
same check on a generated year.
"""

import hashlib
from pathlib import Path

import pytest

from streams.cli import main

DIGESTS = {
    "call_handling.csv": "739d928d525d39b223fb54806fb630168b2ac74c5d9417c37c0149e50f67259b",
    "channel_share.csv": "0561f17dec0020072d54e505d4089966fbcef49b7f40b2bb7b948b0bf67e34ba",
    "chat.csv": "4285702bdd7b958d8f280067e35ccd18d9243f61e899f0bc3286930a7173c322",
    "incident_attendance.csv": "f66b1656359eb3f5ae2710a958715fc05d1e05c2ed0203364c65ddaa759d76f0",
    "kpis.csv": "c8857554d9f9e30db9c8fa85c1feaf59df7a2ae2b7fd0a7fdf5422d10b6149ff",
    "online_reports.csv": "59d2961c140d5ff2a33ee0a46e22f57db406616a5f1dd54dd6051d7b129189d1",
}


PUBLIC_DIGESTS = {
    "999_answer_times.csv": "a975692520651f2f3e8e4f6cd272a6dd83abcc96db0c2dc5f5d33836f3232de7",
    "emergency_attendance_times.csv": (
        "7b6b7b7562a15ddd6ad74a92d55e20f7efa960e2552bb7d358aed4ea0d23a618"
    ),
}
WORKBOOK_DIGEST = "89a7d8035e8810ceff907a52385f7f9c6286e0a775a45bcd3cc997e67d26308e"
"""Of every sheet's title and the values of its cells, row by row (`cell_values`)."""

MONTHS = ["--from", "2026-03", "--to", "2026-04"]


@pytest.fixture(scope="module")
def fortnight(tmp_path_factory: pytest.TempPathFactory) -> Path:
    events = tmp_path_factory.mktemp("unchanged") / "events.jsonl"
    simulate = ["simulate", "--seed", "7", "--start", "2026-03-25T00:00:00+00:00"]
    assert main([*simulate, "--duration", "10d", "--out", str(events)]) == 0
    return events


@pytest.fixture(scope="module")
def exported(fortnight: Path) -> Path:
    out = fortnight.parent / "csv"
    assert (
        main(["export", "monthly", *MONTHS, "--from-log", str(fortnight), "--out", str(out)]) == 0
    )
    return out


def cell_values(workbook: Path) -> bytes:
    """Every sheet's title and its cells' values, row by row, as text."""
    from openpyxl import load_workbook

    book = load_workbook(workbook, read_only=True)
    lines = []
    for sheet in book.worksheets:
        lines.append(f"== {sheet.title}")
        lines += [repr(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    return "\n".join(lines).encode()


def test_the_public_dataset_of_a_simulated_fortnight_is_unchanged(fortnight: Path) -> None:
    out = fortnight.parent / "public"
    assert main(["export", "public", *MONTHS, "--from-log", str(fortnight), "--out", str(out)]) == 0
    found = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
    # The page's later figures came as files of their own, beside these two.
    assert {name: found.get(name) for name in PUBLIC_DIGESTS} == PUBLIC_DIGESTS
    assert sorted(set(found) - set(PUBLIC_DIGESTS)) == [
        "101_calls.csv",
        "999_mean_answer_time.csv",
        "emergency_attendance_by_area.csv",
    ]


def test_the_workbook_of_a_simulated_fortnight_holds_the_same_values(fortnight: Path) -> None:
    workbook = fortnight.parent / "pack.xlsx"
    export = ["export", "monthly", *MONTHS, "--format", "xlsx", "--from-log", str(fortnight)]
    assert main([*export, "--out", str(workbook)]) == 0
    assert hashlib.sha256(cell_values(workbook)).hexdigest() == WORKBOOK_DIGEST


@pytest.mark.parametrize("name", sorted(DIGESTS))
def test_the_export_of_a_simulated_fortnight_is_unchanged(exported: Path, name: str) -> None:
    assert hashlib.sha256((exported / name).read_bytes()).hexdigest() == DIGESTS[name]


def test_no_export_file_goes_unchecked(exported: Path) -> None:
    assert sorted(p.name for p in exported.iterdir()) == sorted(DIGESTS)
