"""ccm end to end through a real Kafka broker: throughput, a scrape with a month of state,
and event-to-metric latency at a steady load.

    .venv/bin/python bench/end_to_end.py [--month 2026-03] [--days N] [--rate 2000]
        [--seconds 60] [--port 39092]

1. Throughput, the month-of-calls job (bench/versus_peer.py's): a London month of a
   force's calls (`ccm simulate`) is sent with kcat to fresh topics of 6 partitions
   before the worker starts, so the producer is timed apart and caps nothing. One
   `ccm worker` is launched and /metrics read until it counts every event consumed:
   events/s from its first reading with events counted (consumption alone; target
   30,000), and from launch. Exact: its monthly figures (/export/monthly) must equal
   those computed from the file directly by bench/call_figures.py (the Quix peer's
   logic, written apart from ccm's core).
2. A scrape with a month of state: the month's chats, reports and incidents are sent to
   the same worker; once it has consumed them, 20 readings of /metrics (each computes
   every figure) are timed (target 50 ms).
3. Latency at a steady `--rate` events/s: a second worker, on topics of its own, is fed
   simulated days that end before today (so nothing is dated in the future), paced in
   10 ms steps by kafka-python's producer (kcat reads its input in blocks: it cannot
   pace). After 5 s, every 0.5 s for `--seconds`, a probe is sent: a call.queued whose
   source no simulated event has (labelled `other`) and whose event time is the newest
   sent (so nothing turns late), which `ccm_newest_event_timestamp_seconds
   {source="other"}` shows once applied. /metrics is read back to back until it does;
   a probe's latency runs from handing it to the producer (then flushed) until that
   reading returns (targets: p50 50 ms, p99 100 ms). The readings' own times are
   reported beside.

Prints one JSON object; exits 1 when a target is missed. Leaves no process behind.
"""

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness import (
    bench_env,
    broker,
    ccm,
    check_placement,
    create_topics,
    launch_worker,
    load,
    metric,
    percentile,
    print_json,
    proc_status_mib,
    read_metrics,
    routed,
    stop,
    topics_env,
    wait_consumed,
    wait_ready,
)
from versus_peer import differences, get_json, month_span, monthly_figures, months_of

PROBE = b'ccm_newest_event_timestamp_seconds{source="other"}'
WARM_UP = 5.0
PROBE_EVERY = 0.5


def ms(values: list[float]) -> dict[str, int]:
    return {
        "p50": round(1000 * statistics.median(values)),
        "p99": round(1000 * percentile(values, 99)),
        "max": round(1000 * max(values)),
    }


def month_run(env: dict[str, str], work: Path, events_file: Path, months: tuple[str, str]):
    """Phases 1 and 2 on one worker: throughput and figures, then scrapes with the month."""
    from schemas import Family

    create_topics(env)
    started = time.monotonic()
    placed = load(env, events_file, {Family.CALLS})
    produced = time.monotonic() - started
    check_placement(env, placed)
    calls = sum(placed.values())
    launched = time.time()
    worker, url = launch_worker(env, work, "month")
    try:
        run = wait_consumed(url, worker, calls, launched)
        figures = monthly_figures(get_json(f"{url}/export/monthly?from={months[0]}&to={months[1]}"))
        repeated = metric(read_metrics(url), b"ccm_events_duplicate_total{")
        others = load(env, events_file, {Family.CHATS, Family.REPORTS, Family.INCIDENTS})
        everything = calls + sum(others.values())
        wait_consumed(url, worker, everything, time.time())
        scrapes = []
        for _ in range(20):
            asked = time.perf_counter()
            read_metrics(url)
            scrapes.append(time.perf_counter() - asked)
            time.sleep(0.1)
        peak = proc_status_mib(worker.pid, "VmHWM")
    finally:
        stop(worker)
    return {
        "calls": calls,
        "everything": everything,
        "produced": produced,
        "run": run,
        "figures": figures,
        "repeated": repeated,
        "scrapes": scrapes,
        "peak": peak,
    }


def pace(producer, lines: list, rate: float, done: threading.Event, state: dict) -> None:
    """Sends ``lines`` at ``rate`` a second, in 10 ms steps, until ``done``; keeps in
    ``state`` how many went and the newest event time among them."""
    began = time.monotonic()
    while not done.is_set() and state["sent"] < len(lines):
        due = min(len(lines), int((time.monotonic() - began) * rate))
        for topic, key, at, raw in lines[state["sent"] : due]:
            producer.send(topic, key.encode(), raw)
            state["newest"] = max(state["newest"], at)
        state["sent"] = max(state["sent"], due)
        state["seconds"] = time.monotonic() - began
        time.sleep(0.01)


def probe(n: int, at: float) -> tuple[str, bytes]:
    call_id = f"probe-{n}-{uuid.uuid4().hex[:8]}"
    body = {
        "event_id": call_id,
        "event_type": "call.queued",
        "occurred_at": datetime.fromtimestamp(at, UTC).isoformat(timespec="microseconds"),
        "schema_version": 1,
        "source": "bench-probe",
        "call_id": call_id,
        "channel": "999",
        "queue": "fcr",
    }
    return call_id, json.dumps(body).encode()


def latency_run(env: dict[str, str], work: Path, events_file: Path, rate: float, seconds: float):
    """Phase 3: probes through a worker fed ``rate`` events/s."""
    from streams.kafka_io import EventProducer
    from streams.settings import Settings

    create_topics(env)
    with events_file.open("rb") as source:
        lines = [
            (topic, key, datetime.fromisoformat(body["occurred_at"]).timestamp(), raw)
            for topic, key, body, raw in routed(env, source)
        ]
    launched = time.time()
    worker, url = launch_worker(env, work, "steady")
    settings = Settings(kafka_bootstrap=env["CCM_KAFKA_BOOTSTRAP"])
    steady, prober = EventProducer(settings), EventProducer(settings)
    done = threading.Event()
    state = {"sent": 0, "newest": 0.0, "seconds": 0.0}
    pacer = threading.Thread(target=pace, args=(steady, lines, rate, done, state))
    latencies: list[float] = []
    readings: list[float] = []
    lost = 0
    try:
        wait_ready(url, worker)
        began = time.monotonic()
        pacer.start()
        at = 0.0
        for n in range(round(seconds / PROBE_EVERY)):
            time.sleep(max(0.0, began + WARM_UP + n * PROBE_EVERY - time.monotonic()))
            at = max(state["newest"], at + 0.001)  # newest sent, and each probe its own
            key, raw = probe(n, at)
            sent = time.perf_counter()
            prober.send(env["CCM_TOPIC_CALLS"], key.encode(), raw)
            prober._producer.flush()
            while True:
                asked = time.perf_counter()
                shown = metric(read_metrics(url), PROBE) >= at - 0.0005
                now = time.perf_counter()
                readings.append(now - asked)
                if shown:
                    latencies.append(now - sent)
                    break
                if now - sent > 10:
                    lost += 1
                    break
        done.set()
        pacer.join()
        steady.close()
        prober.close()
        # Kept up: everything sent is consumed within moments of the sending's end.
        ended = time.time()
        total = state["sent"] + len(latencies) + lost
        try:
            limit = ended - launched + 60
            drained = wait_consumed(url, worker, total, launched, every=0.2, limit=limit)
            behind = drained.done - ended
        except RuntimeError:  # still behind a minute after: reported, not raised
            behind = None
        peak = proc_status_mib(worker.pid, "VmHWM")
    finally:
        done.set()
        stop(worker)
    return {
        "load_events": state["sent"],
        "load_seconds": state["seconds"],
        "latencies": latencies,
        "lost": lost,
        "behind": behind,
        "readings": readings,
        "peak": peak,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="2026-03", help="London month YYYY-MM")
    parser.add_argument("--days", type=int, help="only the month's first N days (quick runs)")
    parser.add_argument("--rate", type=float, default=2000, help="steady load, events/s")
    parser.add_argument("--seconds", type=float, default=60, help="of probes at that load")
    parser.add_argument("--port", type=int, default=39092)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: stop what we started
    began = time.monotonic()

    from call_figures import from_file, load_targets

    from streams.core.targets import DEFAULT_TARGETS_PATH

    work = Path(tempfile.mkdtemp(prefix="ccm-bench-"))
    env = bench_env(args.port, work, f"bench{uuid.uuid4().hex[:6]}")
    steady_env = env | topics_env(f"steady{uuid.uuid4().hex[:6]}")
    start, hours = month_span(args.month, args.days)
    months = months_of(start, hours)
    month_file, steady_file = work / "month.jsonl", work / "steady.jsonl"
    ccm(
        "simulate", "--start", start.isoformat(), "--duration", f"{hours}h",
        "--out", str(month_file), env=env, capture_output=True,
    )  # fmt: skip
    # Days enough for the warm-up, the probes and a margin, ending a day before now.
    days = int((WARM_UP + args.seconds + 10) * args.rate / 12_000) + 1
    steady_start = (datetime.now(UTC) - timedelta(days=days + 1)).replace(microsecond=0)
    ccm(
        "simulate", "--start", steady_start.isoformat(), "--duration", f"{days}d",
        "--out", str(steady_file), env=env, capture_output=True,
    )  # fmt: skip
    try:
        with broker(env):
            month = month_run(env, work, month_file, months)
            steady = latency_run(steady_env, work, steady_file, args.rate, args.seconds)
        expected = from_file(month_file, load_targets(DEFAULT_TARGETS_PATH))
    finally:
        subprocess.run(["rm", "-rf", str(work)], check=False)

    mismatches = differences(month["figures"], expected)
    for line in mismatches:
        print(f"mismatch: {line}", file=sys.stderr)
    run, calls = month["run"], month["calls"]
    latency = ms(steady["latencies"]) if steady["latencies"] else {}
    scrape = ms(month["scrapes"])
    figures = {
        "throughput": {
            "job": f"the calls of London month {months[0]} ({start.isoformat()} + {hours}h)",
            "events": calls,
            "production": {
                "seconds": round(month["produced"], 1),
                "events_per_second": round(calls / month["produced"]),
                "by": "kcat, before the worker starts",
            },
            "consumption": {
                "events_per_second": round(run.rate(calls)),
                "seconds_from_launch": round(run.seconds, 1),
                "startup_seconds": round(run.startup, 1),
                "events_per_second_from_launch": round(calls / run.seconds),
            },
            "figures_exact": not mismatches,
            "mismatches": mismatches[:20],
            "events_delivered_again": round(month["repeated"]),
        },
        "scrape_with_a_month_of_state_ms": {
            "events": month["everything"],
            "p50": scrape["p50"],
            "max": scrape["max"],
            "scrapes": len(month["scrapes"]),
        },
        "latency_at_steady_load": {
            "events_per_second_asked": args.rate,
            "events_per_second_sent": round(steady["load_events"] / steady["load_seconds"]),
            "event_to_metric_ms": latency,
            "probes": len(steady["latencies"]),
            "probes_not_shown_within_10_s": steady["lost"],
            "seconds_to_consume_all_once_sending_ended": None
            if steady["behind"] is None
            else round(steady["behind"], 1),
            "metrics_reading_ms": {**ms(steady["readings"]), "readings": len(steady["readings"])},
        },
        "worker_peak_rss_mib": {"month": round(month["peak"]), "steady": round(steady["peak"])},
        "bench_seconds": round(time.monotonic() - began),
    }
    figures["holds"] = {
        "throughput_30000_per_s": run.rate(calls) >= 30_000,
        "figures_exact": not mismatches,
        "latency_p50_within_50_ms": bool(latency) and latency["p50"] <= 50,
        "latency_p99_within_100_ms": bool(latency) and latency["p99"] <= 100 and not steady["lost"],
        "scrape_with_a_month_within_50_ms": scrape["p50"] <= 50,
    }
    print_json(figures)
    return 0 if all(figures["holds"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
