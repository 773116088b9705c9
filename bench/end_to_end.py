"""ccm end to end through a real Kafka broker: throughput, event-to-metric latency, memory.

    .venv/bin/python bench/end_to_end.py [--days 7] [--probes 50] [--port 39092]

1. Starts a local Kafka broker (deploy/kafka/local-kafka, its own port and state) and a
   `ccm worker` on fresh topics of 6 partitions.
2. Simulates `--days` of a force's normal days (`ccm simulate --out`), replays the file
   as fast as the producer goes, and times until the worker has consumed every event:
   events/s end to end (producer, broker, worker, checkpoints).
3. Then sends `--probes` single calls, one at a time, and times each from the moment it
   is handed to the producer until /metrics counts it: event-to-metric latency (p50,
   p99). /metrics is polled every 20 ms; each scrape computes every figure.
4. Reports the worker's peak resident memory and extrapolates the replay time of a
   year at the force's volume (SPEC section 9: roughly 600k 101 and several hundred
   thousand 999 calls a year; the simulator's normal day is calibrated on that).

Prints one JSON object. Leaves no process behind.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[1]
LOCAL_KAFKA = REPO / "deploy" / "kafka" / "local-kafka"
PARTITIONS = 6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ccm(*args: str, env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "streams", *args], env=env, check=True, text=True, **kw
    )


def consumed(url: str) -> float:
    with urllib.request.urlopen(f"{url}/metrics", timeout=30) as response:
        text = response.read().decode()
    total = 0.0
    for family in text_string_to_metric_families(text):
        if family.name == "ccm_events_consumed":
            total += sum(s.value for s in family.samples if s.name.endswith("_total"))
    return total


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def probe_latencies(env: dict[str, str], url: str, count: int) -> list[float]:
    """Seconds from handing one call to the producer until /metrics counts it."""
    from streams.kafka_io import EventProducer
    from streams.settings import Settings

    producer = EventProducer(Settings(kafka_bootstrap=env["CCM_KAFKA_BOOTSTRAP"]))
    topic = env["CCM_TOPIC_CALLS"]
    latencies = []
    try:
        for n in range(count):
            before = consumed(url)
            body = {
                "event_id": f"probe-{uuid.uuid4().hex}",
                "event_type": "call.queued",
                "occurred_at": datetime.now(UTC).isoformat(),
                "schema_version": 1,
                "source": "cti",
                "call_id": f"probe-{n}",
                "channel": "999",
                "queue": "fcr",
            }
            started = time.perf_counter()
            producer.send(topic, f"probe-{n}".encode(), json.dumps(body).encode())
            producer._producer.flush()
            while consumed(url) <= before:
                if time.perf_counter() - started > 30:
                    raise RuntimeError("a probe did not show on /metrics within 30 s")
                time.sleep(0.02)
            latencies.append(time.perf_counter() - started)
    finally:
        producer.close()
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--probes", type=int, default=50)
    parser.add_argument("--port", type=int, default=39092)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ccm-bench-"))
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    web_port = free_port()
    env = dict(os.environ)  # CCM_BATCH_MAX and the like tune the worker under test
    env |= {
        "CCM_KAFKA_PORT": str(args.port),
        "CCM_KAFKA_STATE": str(work / "kafka"),
        "CCM_KAFKA_BOOTSTRAP": f"127.0.0.1:{args.port}",
        "CCM_TOPIC_CALLS": f"{prefix}.calls",
        "CCM_TOPIC_CHATS": f"{prefix}.chats",
        "CCM_TOPIC_REPORTS": f"{prefix}.reports",
        "CCM_TOPIC_INCIDENTS": f"{prefix}.incidents",
        "CCM_TOPIC_DEADLETTER": f"{prefix}.deadletter",
        "CCM_TOPIC_PARTITIONS": str(PARTITIONS),
        "CCM_APP_ID": prefix,
        "CCM_WEB_PORT": str(web_port),
        "CCM_WEB_BIND": "127.0.0.1",
        "CCM_DATA_DIR": str(work / "worker"),
    }
    url = f"http://127.0.0.1:{web_port}"
    events_file = work / "events.jsonl"
    start = (datetime.now(UTC) - timedelta(days=args.days)).replace(microsecond=0)
    ccm(
        "simulate", "--start", start.isoformat(), "--duration", f"{args.days}d",
        "--out", str(events_file), env=env, capture_output=True,
    )  # fmt: skip
    events = sum(1 for _ in events_file.open("rb"))

    subprocess.run([str(LOCAL_KAFKA), "start"], env=env, check=True, capture_output=True)
    worker = None
    try:
        log = (work / "worker.log").open("wb")
        worker = subprocess.Popen(
            [sys.executable, "-m", "streams", "worker", "--loglevel", "warning"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            try:
                consumed(url)
                break
            except OSError:
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the worker did not start; see {log.name}") from None
                time.sleep(0.5)
        time.sleep(5)  # partitions assigned

        started = time.perf_counter()
        ccm("replay", str(events_file), env=env, capture_output=True)
        sent = time.perf_counter() - started
        while consumed(url) < events:
            if time.perf_counter() - started > 3600:
                raise RuntimeError("the worker did not consume the replay within an hour")
            time.sleep(0.2)
        through = time.perf_counter() - started

        latencies = probe_latencies(env, url, args.probes)
        rss = peak_rss_mib(worker.pid)
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        subprocess.run([str(LOCAL_KAFKA), "stop"], env=env, capture_output=True)
        subprocess.run(["rm", "-rf", str(work)], check=False)

    per_day = events / args.days
    rate = events / through
    print(
        json.dumps(
            {
                "events": events,
                "simulated_days": args.days,
                "replay_send_seconds": round(sent, 1),
                "end_to_end_seconds": round(through, 1),
                "end_to_end_events_per_second": round(rate),
                "event_to_metric_latency_ms": {
                    "p50": round(1000 * statistics.median(latencies)),
                    "p99": round(1000 * percentile(latencies, 99)),
                    "max": round(1000 * max(latencies)),
                    "probes": len(latencies),
                },
                "worker_peak_rss_mib": round(rss),
                "year_at_this_volume": {
                    "events": round(per_day * 365),
                    "replay_minutes": round(per_day * 365 / rate / 60, 1),
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
