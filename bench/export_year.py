"""A year of a force's events exported from the log: time, peak memory, and the figures
byte for byte those of the export before the core was made faster.

    .venv/bin/python bench/export_year.py [--keep DIR]

1. Simulates 2026 (`ccm simulate --seed 1 --start 2026-01-01T00:00:00+00:00 --duration
   365d`: about 4.8 million events, both clock changes and every month end).
2. Keeps the events dated before `DIGESTS_TAKEN` (shortly before the digests
   were taken; no event of a month exported falls between):
   an export judges every event against the clock and refuses those dated in the
   future, and an incident of late November is attended and closed in December (up to
   the 11th here), so without the cut the November figures would change with the day
   the bench runs. About 4.4 million events are left.
3. Times `ccm export monthly --from 2026-01 --to 2026-11 --from-log` over them (every
   event read and applied), in a child process whose peak resident memory is read from
   the kernel. Not December, which the cut leaves unfinished.
4. Compares each CSV's SHA-256 with `DIGESTS`, taken from the export of the same year by
   the core before it applied changes as deltas (it took 912 s of CPU then, 366 MiB);
   kpis.csv's since it gained the call-back rows (88 rows; without them it is the file of
   then, byte for byte).

Prints one JSON object; exits 1 when a file differs. `tests/unit/test_export_unchanged.py`
makes the same check on a simulated fortnight in the suite.
"""

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

DIGESTS_TAKEN = datetime(2026, 12, 4, 14, tzinfo=UTC)

DIGESTS = {
    "call_handling.csv": "a8ab32233c919ab628bd298388f7f7ae1385e8a1e749edffe74a5771cb9f53de",
    "channel_share.csv": "5798abf0fa51182b30489ebac799342899c1fb28706151aa10935c7d57aaadb3",
    "chat.csv": "5069e704fe4b218c6de9a2981cfdf17f5037b86aa5d369c3c508159f30931d2e",
    "incident_attendance.csv": "1d70ad6086883b2e7af50848d50c64c448c18e8b7336a471ce6d90becd86d11e",
    "kpis.csv": "e7d627d1f300eaad3d18df79482e991484e2c952fefad495b66edb2b0ea6659c",
    "online_reports.csv": "e0790c974f1d98cc4fd5faba35d2e3b04e989fbcd5b4e7595f1142b4be25ea36",
}


def ccm(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "streams", *args], check=True, capture_output=True)


def keep_before(events: Path, kept: Path, instant: datetime) -> None:
    with events.open("rb") as lines, kept.open("wb") as out:
        for line in lines:
            if datetime.fromisoformat(orjson.loads(line)["occurred_at"]) < instant:
                out.write(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the events and CSVs in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ccm-year-"))
    work.mkdir(parents=True, exist_ok=True)
    events = work / "events.jsonl"
    if not events.is_file():
        simulate = ["simulate", "--seed", "1", "--start", "2026-01-01T00:00:00+00:00"]
        ccm(*simulate, "--duration", "365d", "--out", str(events))
    until = work / "events-before-digests.jsonl"
    if not until.is_file():
        keep_before(events, until, DIGESTS_TAKEN)
    count = sum(1 for _ in until.open("rb"))
    out = work / "csv"
    # The children's CPU so far (the simulator's) is not the export's.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    ccm("export", "monthly", "--from", "2026-01", "--to", "2026-11", "--from-log", str(until),
        "--out", str(out))  # fmt: skip
    seconds = time.perf_counter() - began
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    differing = sorted(
        name
        for name, digest in DIGESTS.items()
        if hashlib.sha256((out / name).read_bytes()).hexdigest() != digest
    )
    figures = {
        "events": count,
        "export_seconds": round(seconds, 1),
        "events_per_second": round(count / seconds),
        "export_cpu_seconds": round(
            child.ru_utime + child.ru_stime - before.ru_utime - before.ru_stime, 1
        ),
        "peak_memory_mib": round(child.ru_maxrss / 1024),
        "files_differing_from_before": differing,
        "holds": {"byte_identical": not differing, "export_within_60_s": seconds <= 60},
    }
    print(json.dumps(figures, indent=2))
    if args.keep is None:
        subprocess.run(["rm", "-rf", str(work)], check=False)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
