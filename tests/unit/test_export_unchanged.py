"""The monthly export's figures stay byte for byte what they were: the same simulated
fortnight (seed 7, 25 March to 4 April 2026: the clocks going forward and a month end)
recomputed from the log must give the CSVs whose SHA-256 digests are written below.

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
    "kpis.csv": "c4409a66ae179b95e53bd602c6189bc999f4173d72795c515fa3239efcb6240a",
    "online_reports.csv": "59d2961c140d5ff2a33ee0a46e22f57db406616a5f1dd54dd6051d7b129189d1",
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("unchanged")
    events = work / "events.jsonl"
    simulate = ["simulate", "--seed", "7", "--start", "2026-03-25T00:00:00+00:00"]
    assert main([*simulate, "--duration", "10d", "--out", str(events)]) == 0
    out = work / "csv"
    export = ["export", "monthly", "--from", "2026-03", "--to", "2026-04"]
    assert main([*export, "--from-log", str(events), "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("name", sorted(DIGESTS))
def test_the_export_of_a_simulated_fortnight_is_unchanged(exported: Path, name: str) -> None:
    assert hashlib.sha256((exported / name).read_bytes()).hexdigest() == DIGESTS[name]


def test_no_export_file_goes_unchecked(exported: Path) -> None:
    assert sorted(p.name for p in exported.iterdir()) == sorted(DIGESTS)
