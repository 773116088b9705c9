"""A year of a force's events exported from the log: time, peak memory, and the figures
byte for byte those of the export before the core was made faster.

    .venv/bin/python bench/export_year.py [--keep DIR]

1. Simulates 2026 (`ccm simulate --seed 1 --start 2026-01-01T00:00:00+00:00 --duration
   365d`: about 4.8 million events, both clock changes and every month end).
2. Times `ccm export monthly --from 2026-01 --to 2026-12 --from-log` over it, in a child
   process whose peak resident memory is read from the kernel.
3. Compares each CSV's SHA-256 with `DIGESTS`, taken from the export of the same year by
   the core before it applied changes as deltas (it took 912 s of CPU then, 366 MiB).

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
from pathlib import Path

DIGESTS = {
    "call_handling.csv": "dbc3820fa8a9abc1f91d092842fbf3a8ca43371e42a3adb19f01af8c3e13cc15",
    "channel_share.csv": "3b039f5656f90fc2be44e27fec4066a44ad050000a6c76764b68f76912376719",
    "chat.csv": "aadcbdd73afd9200254691520c8d1433fff1bed531c29de0d152445d55cf6fd7",
    "incident_attendance.csv": "988855c7065ca6dec7084648984b058c7115ee4af05751848064e06e89a45d6a",
    "kpis.csv": "65fb67113d38e066a2cfef70b750bceaeb353ab9138091d4fd38b02ab0b6cdd3",
    "online_reports.csv": "0fdebf05816c4ff2165f3e3929f8bc789bd442307ed4a6c1ad34c3b61b66f088",
}


def ccm(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "streams", *args], check=True, capture_output=True)


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
    count = sum(1 for _ in events.open("rb"))
    out = work / "csv"
    began = time.perf_counter()
    ccm("export", "monthly", "--from", "2026-01", "--to", "2026-12", "--from-log", str(events),
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
        "export_cpu_seconds": round(child.ru_utime + child.ru_stime, 1),
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
