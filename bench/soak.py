"""ccm soak at 100 x a force's peak: two workers through a real broker, bounded in time.

    .venv/bin/python bench/soak.py [--minutes 10] [--rate 200] [--burst 1000] [--port 19892]

1. Starts a local Kafka broker (deploy/kafka/local-kafka, its own state) and two
   `ccm worker`s sharing fresh topics of 6 partitions (one consumer group).
2. Sends simulated events (`ccm simulate`) at `--rate` events/s with a burst of `--burst`
   events at once every minute, for `--minutes`, then stops by itself.
3. Every 10 s: the consumer lag of both workers (ccm_consumer_lag_messages, summed) and
   their resident memory. Every 5 s an undecodable probe message: seconds from handing it
   to the producer until a worker's /metrics counts its rejection (event-to-metric).
4. When the sending ends and the lag is drained, a fresh worker (its own app id) reads the
   same topics from the start; every count the two workers give together must equal its.
5. Memory is flat when the two workers together grew (from empty to the end) by no more
   than the fresh worker did reading the same events: what they hold is then the open
   month's state, which any worker holds, and nothing that accumulates with running time.

Prints one JSON object; exits 1 when a figure does not hold. Leaves no process behind.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness import (
    LOCAL_KAFKA,
    bench_env,
    ccm,
    free_port,
    percentile,
    proc_status_mib,
    start_worker,
    stop,
    wait_ready,
)
from prometheus_client.parser import text_string_to_metric_families

FAMILY_TOPICS = ("calls", "chats", "reports", "incidents")
# Process-local or timing figures: not a count of events, so not comparable across workers.
NOT_COUNTS = ("ccm_checkpoint", "ccm_consumer", "ccm_deadletters", "ccm_events_lost")
RSS_SLACK_MIB = 16
"""Allocator noise between processes: arenas, caches of decoded dates, the web server's."""


def scrape(url: str) -> list:
    with urllib.request.urlopen(f"{url}/metrics", timeout=30) as response:
        return list(text_string_to_metric_families(response.read().decode()))


def lag(urls: list[str]) -> float:
    return sum(
        s.value
        for url in urls
        for f in scrape(url)
        if f.name == "ccm_consumer_lag_messages"
        for s in f.samples
    )


def rejected(urls: list[str]) -> float:
    return sum(
        s.value
        for url in urls
        for f in scrape(url)
        if "rejected" in f.name
        for s in f.samples
        if s.name.endswith("_total")
    )


def counts(urls: list[str]) -> dict[str, float]:
    """Every event count (a counter's _total), summed over the workers by name and labels."""
    totals: dict[str, float] = {}
    for url in urls:
        for family in scrape(url):
            if not family.name.startswith("ccm_") or family.name.startswith(NOT_COUNTS):
                continue
            for s in family.samples:
                if s.name.endswith("_total"):
                    key = s.name + json.dumps(s.labels, sort_keys=True)
                    totals[key] = totals.get(key, 0.0) + s.value
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--port", type=int, default=19892)
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the workers and the broker are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from schemas import Envelope, decode
    from streams.kafka_io import EventProducer
    from streams.replay import read_lines
    from streams.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="ccm-soak-"))
    prefix = f"soak{uuid.uuid4().hex[:6]}"
    env = bench_env(args.port, work, prefix)
    seconds = args.minutes * 60
    wanted = int(seconds * args.rate + (seconds // 60 + 1) * args.burst)
    events_file = work / "events.jsonl"
    days = max(1, wanted // 12_000)  # a normal day is about 13,000 events
    while True:
        start = (datetime.now(UTC) - timedelta(days=days + 1)).replace(microsecond=0)
        ccm(
            "simulate", "--start", start.isoformat(), "--duration", f"{days}d",
            "--out", str(events_file), env=env, capture_output=True,
        )  # fmt: skip
        if sum(1 for _ in events_file.open("rb")) >= wanted:
            break
        days *= 2

    subprocess.run([str(LOCAL_KAFKA), "start"], env=env, check=True, capture_output=True)
    workers: list[subprocess.Popen] = []
    try:
        ports = [free_port(), free_port()]
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for n, port in enumerate(ports):
            workers.append(
                start_worker(
                    env,
                    work / f"worker{n}.log",
                    CCM_WEB_PORT=str(port),
                    CCM_DATA_DIR=str(work / f"worker{n}"),
                )
            )
        for url, worker in zip(urls, workers, strict=True):
            wait_ready(url, worker)
        time.sleep(10)  # both workers hold their partitions
        empty_rss = [proc_status_mib(w.pid, "VmRSS") for w in workers]

        settings = Settings(
            kafka_bootstrap=env["CCM_KAFKA_BOOTSTRAP"],
            **{f"topic_{f}": env[f"CCM_TOPIC_{f.upper()}"] for f in FAMILY_TOPICS},
        )
        producer = EventProducer(settings)
        samples: list[dict[str, float]] = []
        latencies: list[float] = []
        sent = 0
        began = time.monotonic()
        next_sample = next_probe = began
        next_burst = began + 30
        with events_file.open("rb") as stream:
            lines = read_lines(stream)
            while (now := time.monotonic()) - began < seconds:
                due = int((now - began) * args.rate)
                if now >= next_burst:
                    due += args.burst
                    next_burst += 60
                for _ in range(max(0, due - sent)):
                    _, raw = next(lines)
                    event = decode(raw)
                    if isinstance(event, Envelope):
                        producer.send(settings.topic_for(event.family), event.key.encode(), raw)
                    sent += 1
                if now >= next_probe:
                    next_probe += 5
                    before = rejected(urls)
                    started = time.perf_counter()
                    producer.send(env["CCM_TOPIC_CALLS"], b"probe", b"not json")
                    producer._producer.flush()
                    while rejected(urls) <= before and time.perf_counter() - started < 30:
                        time.sleep(0.02)
                    latencies.append(time.perf_counter() - started)
                if now >= next_sample:
                    next_sample += 10
                    samples.append(
                        {
                            "t": round(now - began),
                            "lag": lag(urls),
                            "rss_mib": [round(proc_status_mib(w.pid, "VmRSS"), 1) for w in workers],
                        }
                    )
                    print(json.dumps(samples[-1]), file=sys.stderr, flush=True)
                time.sleep(0.01)
        producer.close()
        sent_total = sent
        drained = time.monotonic()
        while lag(urls) > 0 and time.monotonic() - drained < 120:
            time.sleep(1)
        time.sleep(2 * float(env.get("CCM_CHECKPOINT_SECONDS", "2")))
        together = counts(urls)

        fresh_port = free_port()
        fresh_url = f"http://127.0.0.1:{fresh_port}"
        workers.append(
            start_worker(
                env,
                work / "fresh.log",
                CCM_WEB_PORT=str(fresh_port),
                CCM_DATA_DIR=str(work / "fresh"),
                CCM_APP_ID=f"{prefix}fresh",
            )
        )
        wait_ready(fresh_url, workers[-1])
        fresh_empty_rss = proc_status_mib(workers[-1].pid, "VmRSS")
        replayed = time.monotonic()
        alone: dict[str, float] = {}
        while time.monotonic() - replayed < 300:
            time.sleep(3)
            alone = counts([fresh_url])
            if all(alone.get(k, 0.0) == v for k, v in together.items()):
                break
        time.sleep(2 * float(env.get("CCM_CHECKPOINT_SECONDS", "2")))
        fresh_rss = proc_status_mib(workers[-1].pid, "VmRSS")
    finally:
        for worker in workers:
            stop(worker)
        subprocess.run([str(LOCAL_KAFKA), "stop"], env=env, capture_output=True)

    steady = [s for s in samples if s["t"] >= 60]
    half = len(steady) // 2
    first, second = steady[:half], steady[half:]
    # A series a worker has not exposed yet (its partitions not held, nothing counted) is 0.
    differing = sorted(
        k for k in together.keys() | alone.keys() if together.get(k, 0.0) != alone.get(k, 0.0)
    )
    figures = {
        "minutes": args.minutes,
        "events_sent": sent_total,
        "events_per_second": round(sent_total / seconds),
        "consumer_lag_messages": {
            "max_first_half": max(s["lag"] for s in first),
            "max_second_half": max(s["lag"] for s in second),
            "end": samples[-1]["lag"],
        },
        "event_to_metric_ms": {
            "p50": round(1000 * statistics.median(latencies)),
            "p99": round(1000 * percentile(latencies, 99)),
            "max": round(1000 * max(latencies)),
            "probes": len(latencies),
        },
        "worker_rss_mib": {
            "empty": [round(r, 1) for r in empty_rss],
            "after_1_min": steady[0]["rss_mib"],
            "end": samples[-1]["rss_mib"],
            "fresh_replay_empty": round(fresh_empty_rss, 1),
            "fresh_replay_end": round(fresh_rss, 1),
        },
        "counts_compared": len(together),
        "counts_differing_from_fresh_replay": differing[:20],
    }
    # Lag may spike with a burst; it must not climb from one half to the next.
    lag_flat = figures["consumer_lag_messages"]["max_second_half"] <= max(
        2 * args.burst, 1.5 * figures["consumer_lag_messages"]["max_first_half"]
    )
    # The open month's lifecycles are state, kept until the month closes, so memory grows
    # with the events of the month whoever counts them. Flat means no more than that: the
    # two workers together grow by no more than one fresh worker that read the same events
    # once, holding the same state without ten minutes of batches, checkpoints and scrapes.
    soak_growth = sum(e - b for b, e in zip(empty_rss, samples[-1]["rss_mib"], strict=True))
    # From the soak workers' empty size: the fresh one may have read events by the time
    # it first answers.
    fresh_growth = fresh_rss - min(fresh_empty_rss, statistics.mean(empty_rss))
    rss_flat = soak_growth <= 1.25 * fresh_growth + RSS_SLACK_MIB
    figures["worker_rss_mib"]["growth_together"] = round(soak_growth, 1)
    figures["worker_rss_mib"]["growth_fresh_replay"] = round(fresh_growth, 1)
    figures["holds"] = {
        "lag_flat": lag_flat,
        "memory_flat": rss_flat,
        "equal_to_fresh_replay": not differing and bool(together),
    }
    print(json.dumps(figures, indent=2))
    subprocess.run(["rm", "-rf", str(work)], check=False)
    return 0 if all(figures["holds"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
