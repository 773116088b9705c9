"""A year at a force's volume replayed through a real broker into one worker: how long it
takes, the worker's peak memory, and its checkpoint time across the year.

    .venv/bin/python bench/year_replay.py [--year YYYY] [--every 5] [--port 39292] [--keep DIR]

1. Simulates a calendar year (`ccm simulate --seed 1`, about 4.8 million events), by
   default the last whole one before today: the worker refuses events dated in the
   future, so a year still running would turn its last weeks into dead letters.
2. Starts a local broker and sends the year to fresh topics of 6 partitions with kcat
   before the worker starts, timed apart (`bench/harness.py`: each partition is checked
   to hold what `ccm replay` would have sent it).
3. Launches one `ccm worker` and reads its /metrics every `--every` s until it has
   consumed every event: the time from its launch (target: 3 minutes), its resident
   memory at each reading and its peak (VmHWM, target: 300 MiB), and the duration of its
   last checkpoint of each family (`ccm_checkpoint_duration_seconds`). Readings are
   spaced to take at most a tenth of the worker's time (one with a year of state has
   taken seconds).
4. Checkpoint durations, per family by quarter of its events consumed (median and max of
   the checkpoints read in each): flat when no family's last quarter with a checkpoint
   has a median more than 1.5 times its first's (plus 10 ms, a reading's jitter).

Prints one JSON object; exits 1 when a target is missed. Leaves no process behind.
"""

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import harness


def by_quarter(samples: list[tuple[int, float]], scale: float = 1) -> dict[str, list]:
    """Median and max of (quarter, value) samples in each quarter (None: no sample)."""
    values = [[v * scale for q, v in samples if q == n] for n in range(4)]
    return {
        "median": [round(statistics.median(v)) if v else None for v in values],
        "max": [round(max(v)) if v else None for v in values],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=datetime.now(UTC).year - 1)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between readings")
    parser.add_argument("--port", type=int, default=39292)
    parser.add_argument("--keep", type=Path, help="keep (or reuse) the simulated year here")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: stop what we started
    began = time.monotonic()

    work = Path(tempfile.mkdtemp(prefix="ccm-year-replay-"))
    env = harness.bench_env(args.port, work, f"year{uuid.uuid4().hex[:6]}")
    events_file = (args.keep or work) / f"year-{args.year}.jsonl"
    if not events_file.is_file():
        events_file.parent.mkdir(parents=True, exist_ok=True)
        harness.ccm(
            "simulate", "--seed", "1", "--start", f"{args.year}-01-01T00:00:00+00:00",
            "--duration", "365d", "--out", str(events_file), env=env, capture_output=True,
        )  # fmt: skip
    simulated = time.monotonic() - began

    from schemas import Family

    checkpoints: dict[str, list[tuple[int, float]]] = {f.value: [] for f in Family}
    rss: list[tuple[int, float]] = []
    last: dict[str, float] = {}
    try:
        with harness.broker(env):
            harness.create_topics(env)
            started = time.monotonic()
            placed = harness.load(env, events_file)
            produced = time.monotonic() - started
            harness.check_placement(env, placed)
            events = sum(placed.values())

            per_family = {
                f.value: sum(n for (t, _), n in placed.items() if t == harness.topic_of(env, f))
                for f in Family
            }

            def sample(text: bytes, _when: float, count: float) -> None:
                rss.append(
                    (min(3, int(4 * count / events)), harness.proc_status_mib(worker.pid, "VmRSS"))
                )
                for family, values in checkpoints.items():
                    # By quarter of the family's own events: the small families are
                    # consumed long before the calls. A value the same as the last one
                    # read is the same checkpoint (a family done takes no more).
                    label = f'{{family="{family}"}}'.encode()
                    seconds = harness.metric(text, b"ccm_checkpoint_duration_seconds" + label)
                    done = harness.metric(text, harness.CONSUMED[:-1] + label)
                    if seconds and seconds != last.get(family):
                        last[family] = seconds
                        values.append((min(3, int(4 * done / per_family[family])), seconds))

            launched = time.time()
            worker, url = harness.launch_worker(env, work, "worker")
            try:
                run = harness.wait_consumed(
                    url, worker, events, launched, every=args.every, each=sample
                )
                peak = harness.proc_status_mib(worker.pid, "VmHWM")
            finally:
                harness.stop(worker)
    finally:
        subprocess.run(["rm", "-rf", str(work)], check=False)

    per_family = {f: by_quarter(v, scale=1000) for f, v in checkpoints.items() if v}
    # Flat: no family's checkpoints take, in the last quarter it checkpointed in, more than
    # 1.5 times what they took in the first (plus 10 ms of a reading's jitter). The small
    # families checkpoint seldom: some quarters have none.
    medians = [[m for m in q["median"] if m is not None] for q in per_family.values()]
    flat = bool(medians) and all(m[-1] <= 1.5 * m[0] + 10 for m in medians)
    figures = {
        "events": events,
        "year": args.year,
        "simulate_seconds": round(simulated),
        "production": {
            "seconds": round(produced, 1),
            "events_per_second": round(events / produced),
            "by": "kcat, before the worker starts",
        },
        "consumption": {
            "seconds_from_launch": round(run.seconds, 1),
            "startup_seconds": round(run.startup, 1),
            "events_per_second": round(run.rate(events)),
        },
        "worker_peak_rss_mib": round(peak),
        "worker_rss_mib_by_quarter": by_quarter(rss),
        "checkpoint_ms_by_quarter": per_family,
        "metrics_reading_ms": {
            "median": round(1000 * statistics.median(run.readings)),
            "max": round(1000 * max(run.readings)),
            "readings": len(run.readings),
        },
        "bench_seconds": round(time.monotonic() - began),
        "holds": {
            "replay_within_3_min": run.seconds <= 180,
            "peak_rss_within_300_mib": peak <= 300,
            "checkpoint_time_flat": flat and bool(per_family),
        },
    }
    harness.print_json(figures)
    return 0 if all(figures["holds"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
