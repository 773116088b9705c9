"""What the benches through a real broker share: the broker, workers, topics filled by a
fast producer, and readings of a worker's /metrics.

Each bench runs its own broker (deploy/kafka/local-kafka) on `--port` and `--port`+1000 (its
controller), with its state in the bench's temporary folder, and its own topics and
application id, so that benches and test runs beside it do not meet.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's ccm, not whichever the venv installed

from schemas import EVENT_TYPES, Family  # noqa: E402
from streams.export.from_log import partition_for  # noqa: E402

LOCAL_KAFKA = REPO / "deploy" / "kafka" / "local-kafka"
PARTITIONS = 6
CONSUMED = b"ccm_events_consumed_total{"
LAG = b"ccm_consumer_lag_messages{"

# event_type -> (family, key field): what `Envelope.key` and `Settings.topic_for` give,
# without validating every event (a year is 4.8 million; `ccm replay` validates them at
# 12,000 events/s, which is what capped the old end-to-end figure).
ROUTES = {
    name: (cls.family, cls.key_field)
    for cls in EVENT_TYPES
    for name in get_args(cls.model_fields["event_type"].annotation)
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def ccm(*args: str, env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "streams", *args], env=env, check=True, text=True, **kw
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def topics_env(prefix: str) -> dict[str, str]:
    """Topics and an application id (consumer group, checkpoint topics) of their own."""
    return {
        "CCM_TOPIC_CALLS": f"{prefix}.calls",
        "CCM_TOPIC_CHATS": f"{prefix}.chats",
        "CCM_TOPIC_REPORTS": f"{prefix}.reports",
        "CCM_TOPIC_INCIDENTS": f"{prefix}.incidents",
        "CCM_TOPIC_DEADLETTER": f"{prefix}.deadletter",
        "CCM_APP_ID": prefix,
    }


def bench_env(port: int, work: Path, prefix: str, partitions: int = PARTITIONS) -> dict[str, str]:
    env = dict(os.environ)  # CCM_BATCH_MAX and the like tune the worker under test
    return env | {
        # This checkout's ccm, for the worker, simulate and replay alike.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        "CCM_KAFKA_PORT": str(port),
        "CCM_KAFKA_STATE": str(work / "kafka"),
        "CCM_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}",
        "CCM_TOPIC_PARTITIONS": str(partitions),
        "CCM_WEB_BIND": "127.0.0.1",
        **topics_env(prefix),
    }


def topic_of(env: dict[str, str], family: Family) -> str:
    return env[f"CCM_TOPIC_{family.name}"]


@contextmanager
def broker(env: dict[str, str]) -> Iterator[None]:
    port = int(env["CCM_KAFKA_PORT"])
    taken = [p for p in (port, port + 1000) if not port_free(p)]
    if taken:  # local-kafka's controller takes the client port + 1000
        raise RuntimeError(f"port {taken[0]} is in use: choose another --port")
    subprocess.run([str(LOCAL_KAFKA), "start"], env=env, check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run([str(LOCAL_KAFKA), "stop"], env=env, capture_output=True)


def create_topics(env: dict[str, str]) -> None:
    """The input topics with CCM_TOPIC_PARTITIONS partitions, before anything is sent to
    them, as the worker, `ccm replay` and `ccm simulate` create them."""
    from streams.settings import Settings
    from streams.topics import ensure_topics

    settings = Settings(
        kafka_bootstrap=env["CCM_KAFKA_BOOTSTRAP"],
        topic_partitions=int(env["CCM_TOPIC_PARTITIONS"]),
    )
    ensure_topics(settings, [*(topic_of(env, f) for f in Family), env["CCM_TOPIC_DEADLETTER"]])


def start_worker(env: dict[str, str], log: Path, **overrides: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "streams", "worker", "--loglevel", "warning"],
        env=env | overrides, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def launch_worker(env: dict[str, str], work: Path, name: str) -> tuple[subprocess.Popen, str]:
    """A worker with its own web port and data dir under ``work``, and its /metrics URL."""
    port = free_port()
    worker = start_worker(
        env, work / f"{name}.log", CCM_WEB_PORT=str(port), CCM_DATA_DIR=str(work / name)
    )
    return worker, f"http://127.0.0.1:{port}"


def wait_ready(url: str, worker: subprocess.Popen, seconds: float = 120) -> None:
    """Until the worker holds partitions (/readyz answers 200)."""
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=10):
                return
        except OSError:  # not serving yet, or 503: no partitions yet
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker behind {url} did not become ready") from None
            time.sleep(0.5)


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


def proc_status_mib(pid: int, field: str) -> float:
    """VmRSS (resident now) or VmHWM (the peak) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def read_metrics(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(f"{url}/metrics", timeout=60) as response:
        return response.read()


def metric(text: bytes, series: bytes) -> float:
    """The sum of the lines of ``series`` (a name and the start of its labels). Parsing the
    whole exposition (half a megabyte) would take a tenth of a second of a core the
    worker shares."""
    return sum(
        float(line.rsplit(b" ", 1)[1]) for line in text.splitlines() if line.startswith(series)
    )


def next_reading(count: float, events: int, first: tuple[float, float] | None, now: float):
    """Seconds until the next reading of /metrics: every 2 s while far from the end (each
    reading makes the worker compute every figure, tens of ms), down to 0.2 s near it."""
    if first is None or count <= first[1]:
        return 0.5
    rate = (count - first[1]) / (now - first[0])
    return min(2.0, max(0.2, (events - count) / rate / 2))


@dataclass
class Consumption:
    """When a worker launched, first counted events, and had counted them all."""

    launched: float
    first: tuple[float, float]  # (when, how many) at the first reading with events counted
    done: float
    readings: list[float]  # seconds each reading of /metrics took

    @property
    def startup(self) -> float:
        return self.first[0] - self.launched

    @property
    def seconds(self) -> float:
        return self.done - self.launched

    def rate(self, events: int) -> float:
        """Events/s from the first reading with events counted to the end: consumption
        alone, without the worker's startup."""
        if self.done <= self.first[0]:
            return events / self.seconds
        return (events - self.first[1]) / (self.done - self.first[0])


def wait_consumed(
    url: str,
    worker: subprocess.Popen,
    events: int,
    launched: float,
    every: float | None = None,
    each: Callable[[bytes, float, float], None] | None = None,
    limit: float = 3600,
) -> Consumption:
    """Reads /metrics until the worker has consumed ``events`` and has no lag: every
    ``every`` seconds (or nine times the last reading's time, if longer), or as
    `next_reading` says. ``each(text, when, consumed)`` sees every reading. Lag too,
    because the count includes messages delivered again (after a rebalance): it can
    reach ``events`` while the last ones are still to come."""
    first: tuple[float, float] | None = None
    readings: list[float] = []
    while True:
        asked = time.time()
        try:
            text = read_metrics(url)
            readings.append(time.time() - asked)
        except OSError:  # not serving yet
            text = b""
        now = time.time()
        count = metric(text, CONSUMED)
        if count and first is None:
            first = (now, count)
        if text and each is not None:
            each(text, now, count)
        if count >= events and metric(text, LAG) == 0:
            return Consumption(launched, first or (now, count), now, readings)
        if worker.poll() is not None or now - launched > limit:
            raise RuntimeError(f"the worker behind {url} did not consume {events} events")
        if first is None:
            time.sleep(0.2)
        elif every is None:
            time.sleep(next_reading(count, events, first, now))
        else:  # stretched so that readings take at most a tenth of the worker's time
            time.sleep(max(every, 9 * readings[-1]))


class Kcat:
    """kcat (librdkafka) producers, one a topic, fed ``key<TAB>value`` lines: far faster
    than a Python client, so the benches time the worker and not their producer. The
    murmur2 partitioner is Kafka's Java default, which `ccm replay` gets from
    kafka-python: each key goes to the partition `partition_for` gives. Idempotent, as
    `ccm replay` is: a retry neither repeats a message nor reorders a partition. For loading
    only: kcat reads its input in blocks, so what it is given is not sent at once."""

    def __init__(self, env: dict[str, str]) -> None:
        self.bootstrap = env["CCM_KAFKA_BOOTSTRAP"]
        self.partitions = int(env["CCM_TOPIC_PARTITIONS"])
        self.procs: dict[str, subprocess.Popen] = {}
        self.placed: Counter[tuple[str, int]] = Counter()

    def send(self, topic: str, key: str, raw: bytes) -> None:
        proc = self.procs.get(topic)
        if proc is None:
            proc = self.procs[topic] = subprocess.Popen(
                ["kcat", "-P", "-q", "-b", self.bootstrap, "-t", topic, "-K", "\t",
                 "-X", "topic.partitioner=murmur2_random", "-X", "linger.ms=50",
                 "-X", "enable.idempotence=true"],
                stdin=subprocess.PIPE,
            )  # fmt: skip
        proc.stdin.write(key.encode() + b"\t" + raw + b"\n")
        self.placed[topic, partition_for(key, self.partitions)] += 1

    def close(self) -> None:
        """Waits until kcat has every message acknowledged."""
        for proc in self.procs.values():
            proc.stdin.close()
        for topic, proc in self.procs.items():
            if proc.wait() != 0:
                raise RuntimeError(f"kcat could not send to {topic}")


def routed(env: dict[str, str], lines: Iterator[bytes]) -> Iterator[tuple[str, str, dict, bytes]]:
    """Each event line's topic, key, body and bytes, as `ccm replay` would send it."""
    import json

    for line in lines:
        raw = line.rstrip(b"\r\n")
        body = json.loads(raw)
        family, key_field = ROUTES[body["event_type"]]
        yield topic_of(env, family), body[key_field], body, raw


def load(env: dict[str, str], events: Path, families: set[Family] | None = None) -> Counter:
    """Sends the file's events of ``families`` (all by default) to their topics as fast as
    kcat goes; returns how many went to each (topic, partition)."""
    kcat = Kcat(env)
    wanted = {topic_of(env, f) for f in families or Family}
    with events.open("rb") as lines:
        for topic, key, _, raw in routed(env, lines):
            if topic in wanted:
                kcat.send(topic, key, raw)
    kcat.close()
    return kcat.placed


def load_by_replay(env: dict[str, str], events: Path, families: set[Family]) -> Counter:
    """Sends the file's events of ``families`` with `ccm replay`, as a user loads a file:
    kafka-python, its batches and its partitioner. Returns how many went to each (topic,
    partition), by `partition_for`, to check against the topics."""
    partitions = int(env["CCM_TOPIC_PARTITIONS"])
    wanted = {topic_of(env, f) for f in families}
    placed: Counter[tuple[str, int]] = Counter()
    chosen = events.with_name(events.stem + "-chosen.jsonl")
    with events.open("rb") as lines, chosen.open("wb") as out:
        for topic, key, _, raw in routed(env, lines):
            if topic in wanted:
                out.write(raw + b"\n")
                placed[topic, partition_for(key, partitions)] += 1
    ccm("replay", str(chosen), env=env, capture_output=True)
    return placed


def check_placement(env: dict[str, str], placed: Counter) -> None:
    """Every partition of the (fresh) topics holds as many messages as `partition_for`
    gave it: the worker reads what `ccm replay` would have sent, partition by partition."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=env["CCM_KAFKA_BOOTSTRAP"])
    try:
        ends = consumer.end_offsets([TopicPartition(t, p) for t, p in placed])
    finally:
        consumer.close()
    wrong = {tp: end for tp, end in ends.items() if end != placed[tp.topic, tp.partition]}
    if wrong:
        raise RuntimeError(f"messages not on the partitions ccm replay would use: {wrong}")


def print_json(figures: dict) -> None:
    """Indented, with lists of numbers on one line (quarters, rounds read across)."""
    import json
    import re

    text = json.dumps(figures, indent=2)
    print(
        re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + re.sub(r",\s+", ", ", m[1]) + "]", text)
    )
