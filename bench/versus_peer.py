"""ccm against a Quix Streams peer doing the same job, through the same broker.

    .venv/bin/python bench/versus_peer.py [--month 2026-03] [--days N] [--rounds 2] [--port 39192]
        [--partitions 6] [--loader kcat|replay] [--min-peer-ratio 1.0] [--min-core-ratio R]

The job: a calendar month of a force's calls (`ccm simulate`, the `call.*` events only),
deduplicated by event_id, legs matched in any arrival order, and per Europe/London
month x channel x queue the legs offered, answered, answered within target and
abandoned, and the sum of answer times. The peer is bench/peer_quix.py (the `bench`
extra: pip install -e '.[bench]').

1. Simulates the month (`--days N`: only its first N days, for a quick run) and keeps
   its call events.
2. Starts a local Kafka broker (deploy/kafka/local-kafka, its own port and state) and
   sends the calls once to a topic of `--partitions` partitions (6) keyed by call_id:
   with kcat (`--loader kcat`, the default), each to the partition `ccm replay` would
   send it to (`bench/harness.py`), or with `ccm replay` itself (`--loader replay`), as a
   user loads a file: kafka-python's batches, which the worker then reads as they are.
3. Rounds alternate, ccm first (`--rounds` each):
   - ccm: a fresh `ccm worker` (its own app id, data dir and web port) with
     CCM_TOPIC_CALLS the topic and the other families on empty topics, until its
     /metrics counts every event consumed (`ccm_events_consumed_total`; read every 2 s,
     down to every 0.2 s near the end: each reading costs the worker tens of ms);
   - quix: bench/peer_quix.py with a fresh consumer group and state, until it has
     processed every event and the deltas they made (it reports the instant).
   Both are timed from launching their process, so both include their startup (Python,
   imports, joining the group, creating their state topics) and neither its shutdown.
   Each run's startup (launch to its first event counted) is reported beside it.
4. Exactness: each ccm worker's monthly figures (its /export/monthly, the rows of a
   month x channel x queue summed over formulas) must equal every Quix run's totals;
   each difference is printed.

5. Targets: ccm's median events/s from launch at least `--min-peer-ratio` times the
   peer's (1.0 by default; `make bench` asks 1.5 of 6 partitions), and after startup at
   least `--min-core-ratio` times the core's own rate on the same events, measured in
   this process (`bench/core_throughput.py --events`; none by default, `make bench` asks
   0.7 of one partition loaded by `ccm replay`).

Prints one JSON object; exits 1 when the figures differ or a target is missed. Leaves no
process behind.
"""

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from harness import (
    REPO,
    bench_env,
    broker,
    ccm,
    check_placement,
    create_topics,
    free_port,
    load,
    load_by_replay,
    print_json,
    start_worker,
    stop,
    wait_consumed,
)

LONDON = ZoneInfo("Europe/London")
FIGURES = ("offered", "answered", "answered_within_target", "abandoned", "answer_us_sum")


def month_span(month: str, days: int | None) -> tuple[datetime, int]:
    """London midnight on the month's first day, and the hours to the next month's (or
    to ``days`` days later): whole London days, whatever the clock changes."""
    first = date.fromisoformat(f"{month}-01")
    if days is None:
        end = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    else:
        end = date.fromordinal(first.toordinal() + days)
    start = datetime.combine(first, clock_time(0), tzinfo=LONDON)
    stop_at = datetime.combine(end, clock_time(0), tzinfo=LONDON)
    # Not stop_at - start: between datetimes of one zone that is wall-clock time.
    return start, round((stop_at.timestamp() - start.timestamp()) / 3600)


def months_of(start: datetime, hours: int) -> tuple[str, str]:
    """The first and last London month of the span (events come before its end)."""
    last = datetime.fromtimestamp(start.timestamp() + hours * 3600 - 1, tz=LONDON)
    return f"{start:%Y-%m}", f"{last:%Y-%m}"


def core_on(events: Path, partitions: int) -> tuple[int, float]:
    """The pure core's events/s on the same calls, placed on the same partitions, in this
    process (`bench/core_throughput.py --events`): the rate the worker's is read against."""
    import yaml
    from core_throughput import rate_on_file

    from schemas import Family
    from streams.core.targets import DEFAULT_TARGETS_PATH, parse_targets

    targets = parse_targets(yaml.safe_load(DEFAULT_TARGETS_PATH.read_text()))
    return rate_on_file(events, partitions, targets, {Family.CALLS})


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=120) as response:
        return json.loads(response.read())


def ccm_round(env: dict[str, str], work: Path, n: int, events: int, months: tuple[str, str]):
    """Seconds from launch until every event is consumed, startup seconds, and figures."""
    web_port = free_port()
    url = f"http://127.0.0.1:{web_port}"
    overrides = {
        "CCM_APP_ID": f"ccm{n}{uuid.uuid4().hex[:6]}",
        "CCM_DATA_DIR": str(work / f"ccm-{n}"),
        "CCM_WEB_PORT": str(web_port),
    }
    launched = time.time()
    worker = start_worker(env, work / f"ccm-{n}.log", **overrides)
    try:
        run = wait_consumed(url, worker, events, launched)
        pack = get_json(f"{url}/export/monthly?from={months[0]}&to={months[1]}")
    finally:
        stop(worker)
    return run.seconds, run.startup, monthly_figures(pack), statistics.median(run.readings)


def monthly_figures(pack: dict) -> dict[tuple[str, str, str], list[int]]:
    """The monthly pack's call rows summed per month x channel x queue (over formulas)."""
    figures: dict[tuple[str, str, str], list[int]] = {}
    for row in pack["calls"]:
        key = (row["month"], row["channel"], row["queue"])
        total = figures.setdefault(key, [0] * len(FIGURES))
        for i, name in enumerate(FIGURES):
            total[i] += row[name]
    return figures


def quix_round(env: dict[str, str], work: Path, n: int, topic: str):
    """Seconds from launch until every event and delta is processed, startup, totals."""
    log = work / f"quix-{n}.log"
    launched = time.time()
    with log.open("wb") as errors:
        finished = subprocess.run(
            [
                sys.executable, str(REPO / "bench" / "peer_quix.py"),
                "--bootstrap", env["CCM_KAFKA_BOOTSTRAP"], "--topic", topic,
                "--group", f"quix{n}{uuid.uuid4().hex[:6]}",
                "--state-dir", str(work / f"quix-{n}"),
            ],
            env=env, stdout=subprocess.PIPE, stderr=errors, timeout=3600,
        )  # fmt: skip
    if finished.returncode != 0:
        # Its folder goes when the bench ends: say what it said here.
        said = log.read_text(errors="replace").splitlines()[-20:]
        raise RuntimeError("the Quix peer failed; the end of its stderr:\n" + "\n".join(said))
    report = json.loads(finished.stdout)
    totals = {
        (t["month"], t["channel"], t["queue"]): [t[name] for name in FIGURES]
        for t in report["totals"]
    }
    return report["done_at"] - launched, report["first_event_at"] - launched, totals, report


def differences(ccm_figures: dict, quix_totals: dict) -> list[str]:
    found = []
    for key in sorted(ccm_figures.keys() | quix_totals.keys()):
        a = ccm_figures.get(key, [0] * len(FIGURES))
        b = quix_totals.get(key, [0] * len(FIGURES))
        for name, x, y in zip(FIGURES, a, b, strict=True):
            if x != y:
                found.append(f"{'/'.join(key)} {name}: ccm {x}, quix {y}")
    return found


def summary(seconds: list[float], startups: list[float], events: int) -> dict:
    rates = [events / s for s in seconds]
    return {
        "events_per_second": [round(r) for r in rates],
        "seconds": [round(s, 1) for s in seconds],
        "startup_seconds": [round(s, 1) for s in startups],
        "best_events_per_second": round(max(rates)),
        "median_events_per_second": round(statistics.median(rates)),
        # Beside the figure asked for: the same runs without their startup.
        "median_events_per_second_after_startup": round(
            statistics.median(events / (s - u) for s, u in zip(seconds, startups, strict=True))
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="2026-03", help="London month YYYY-MM")
    parser.add_argument("--days", type=int, help="only the month's first N days (quick runs)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each, alternating")
    parser.add_argument("--port", type=int, default=39192)
    parser.add_argument("--partitions", type=int, default=6, help="of the calls topic")
    parser.add_argument("--loader", choices=("kcat", "replay"), default="kcat")
    parser.add_argument("--min-peer-ratio", type=float, default=1.0, help="target, from launch")
    parser.add_argument(
        "--min-core-ratio", type=float, default=0.0, help="target, after startup, to the core"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()

    from schemas import Family

    work = Path(tempfile.mkdtemp(prefix="ccm-versus-"))
    env = bench_env(args.port, work, f"versus{uuid.uuid4().hex[:6]}", args.partitions)
    topic = env["CCM_TOPIC_CALLS"]
    start, hours = month_span(args.month, args.days)
    months = months_of(start, hours)
    all_events = work / "events.jsonl"
    ccm(
        "simulate", "--start", start.isoformat(), "--duration", f"{hours}h",
        "--out", str(all_events), env=env, capture_output=True,
    )  # fmt: skip

    results: dict[str, list] = {"ccm": [], "quix": []}
    mismatches: list[str] = []
    quix_counts = None
    try:
        with broker(env):
            create_topics(env)
            loader = load if args.loader == "kcat" else load_by_replay
            placed = loader(env, all_events, {Family.CALLS})
            check_placement(env, placed)
            events = sum(placed.values())
            core_events, core_rate = core_on(all_events, args.partitions)
            assert core_events == events, (core_events, events)
            figures, totals, readings = [], [], []
            for n in range(args.rounds):
                seconds, startup, found, reading = ccm_round(env, work, n, events, months)
                results["ccm"].append((seconds, startup))
                readings.append(reading)
                figures.append(found)
                seconds, startup, found, report = quix_round(env, work, n, topic)
                results["quix"].append((seconds, startup))
                totals.append(found)
                quix_counts = {k: report[k] for k in ("events", "duplicate", "conflict", "deltas")}
    finally:
        subprocess.run(["rm", "-rf", str(work)], check=False)
    for a in figures:
        for b in totals:
            mismatches += [m for m in differences(a, b) if m not in mismatches]

    for line in mismatches:
        print(f"mismatch: {line}", file=sys.stderr)
    ccm_summary = summary(*zip(*results["ccm"], strict=True), events)
    quix_summary = summary(*zip(*results["quix"], strict=True), events)
    peer_ratio = ccm_summary["median_events_per_second"] / quix_summary["median_events_per_second"]
    core_ratio = ccm_summary["median_events_per_second_after_startup"] / core_rate
    missed = [
        f"{name} {value:.2f} < {target}"
        for name, value, target in (
            ("ccm to the peer", peer_ratio, args.min_peer_ratio),
            ("ccm to the core", core_ratio, args.min_core_ratio),
        )
        if value < target
    ]
    for line in missed:
        print(f"target missed: {line}", file=sys.stderr)
    month_totals = [0] * len(FIGURES)
    for vector in figures[0].values():
        month_totals = [a + b for a, b in zip(month_totals, vector, strict=True)]
    print_json(
        {
            "events": events,
            "span": f"{start.isoformat()} + {hours}h",
            "partitions": args.partitions,
            "loader": args.loader,
            "timed": "from launching the process until every event is counted: "
            "startup included, shutdown not",
            "ccm": ccm_summary,
            "quix": quix_summary,
            "ratio_ccm_to_quix_median": round(peer_ratio, 2),
            "ratio_ccm_to_quix_median_after_startup": round(
                ccm_summary["median_events_per_second_after_startup"]
                / quix_summary["median_events_per_second_after_startup"],
                2,
            ),
            "core_events_per_second": round(core_rate),
            "ratio_ccm_to_core_after_startup": round(core_ratio, 2),
            "targets": {
                "min_peer_ratio": args.min_peer_ratio,
                "min_core_ratio": args.min_core_ratio,
            },
            "targets_met": not missed,
            "ccm_metrics_reading_ms_median": round(1000 * statistics.median(readings)),
            "figures_match": not mismatches,
            "ccm_rounds_matching": [not any(differences(a, b) for b in totals) for a in figures],
            "mismatches": mismatches[:20],
            "figures": {
                **dict(zip(FIGURES, month_totals, strict=True)),
                "rows": sum(1 for v in figures[0].values() if any(v)),
            },
            "quix_peer": quix_counts,
            "bench_seconds": round(time.monotonic() - began),
        },
    )
    return 1 if mismatches or missed else 0


if __name__ == "__main__":
    sys.exit(main())
