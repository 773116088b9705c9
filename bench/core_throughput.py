"""How fast the pure core applies events and answers a scrape, on one core.

    .venv/bin/python bench/core_throughput.py [--calls 20000] [--incidents 5000]
    .venv/bin/python bench/core_throughput.py --events FILE [--partitions 6]

With ``--events``, the events of a JSON-lines file instead (`ccm simulate --out`), each
family's placed on ``--partitions`` partitions as `ccm replay` places them: the same
events a worker is timed on, so that the worker's rate can be read against the core's.

Prints events/s through `PartitionState.process` (decode, lateness, ledger, tallies)
for a day of 999/101 calls with transfers and a day of incidents, the time to compute
every figure for /metrics, the checkpoint size and time, and the peak memory. No Kafka:
this is the ceiling the worker's per-event path sets; bench/ has the end-to-end figures.
"""

import argparse
import json
import random
import resource
import time
from datetime import UTC, datetime, timedelta

from schemas import Family
from streams.core import runs_compiled
from streams.core.figures import compute
from streams.core.partition import PartitionState
from streams.core.targets import DEFAULT_TARGETS_PATH, parse_targets
from streams.core.timebase import TimeRules

START = datetime(2026, 3, 10, tzinfo=UTC)


def _event(n: int, event_type: str, at: datetime, **fields) -> bytes:
    body = {
        "event_id": f"b{n}",
        "event_type": event_type,
        "occurred_at": at.isoformat(),
        "schema_version": 1,
        "source": "cti",
        **fields,
    }
    return json.dumps(body).encode()


def call_day(count: int, rng: random.Random) -> list[bytes]:
    timed: list[tuple[datetime, bytes]] = []
    n = 0
    for i in range(count):
        at = START + timedelta(seconds=i * 86_400 / count)
        call = f"c{i}"
        emergency = rng.random() < 0.35
        route = ["fcr"] if emergency else ["switchboard", rng.choice(["fcr", "resolution_centre"])]
        channel = "999" if emergency else "101"
        for queue in route:
            wait = timedelta(seconds=rng.expovariate(1 / 20))
            timed.append(
                (at, _event(n, "call.queued", at, call_id=call, channel=channel, queue=queue))
            )
            n += 1
            kind = "call.answered" if rng.random() > 0.03 else "call.abandoned"
            timed.append((at + wait, _event(n, kind, at + wait, call_id=call, queue=queue)))
            n += 1
            at += wait + timedelta(seconds=rng.uniform(30, 240))
        timed.append((at, _event(n, "call.ended", at, call_id=call)))
        n += 1
    return [raw for _, raw in sorted(timed, key=lambda t: t[0])]


def incident_day(count: int, rng: random.Random, days: int = 1) -> list[bytes]:
    timed: list[tuple[datetime, bytes]] = []
    n = 0
    for i in range(count):
        at = START + timedelta(seconds=i * days * 86_400 / count)
        inc = f"i{i}"
        fields = {
            "incident_id": inc,
            "grade": rng.choice([1, 1, 2, 3, 3, 4, 5, 6]),
            "area": rng.choice(["urban", "rural"]),
            "category": rng.choice(["other", "other", "robbery", "residential_burglary"]),
        }
        timed.append((at, _event(n, "incident.created", at, **fields)))
        attended = at + timedelta(minutes=rng.uniform(3, 50))
        timed.append((attended, _event(n + 1, "incident.attended", attended, incident_id=inc)))
        closed = attended + timedelta(minutes=30)
        timed.append((closed, _event(n + 2, "incident.closed", closed, incident_id=inc)))
        n += 3
    return [raw for _, raw in sorted(timed, key=lambda t: t[0])]


def measure(family: Family, messages: list[bytes], targets, quiet: bool = False) -> PartitionState:
    state = PartitionState(family, targets, TimeRules())
    started = time.perf_counter()
    for offset, raw in enumerate(messages):
        state.process(raw, offset, wall_us=0)
    elapsed = time.perf_counter() - started
    if not quiet:
        print(
            f"{family.value:>9}: {len(messages):>7} events in {elapsed:6.2f} s = "
            f"{len(messages) / elapsed:>8,.0f} events/s"
        )
    return state


def rate_on_file(path, partitions: int, targets, families=None) -> tuple[int, float]:
    """Events of ``families`` (all by default) in the file, and the core's events/s on
    them, a state per partition as the worker keeps them (decoding included)."""
    from schemas import Envelope, decode
    from streams.core.placement import partition_for

    placed: dict[tuple[Family, int], list[bytes]] = {}
    with open(path, "rb") as lines:
        for line in lines:
            raw = line.rstrip(b"\r\n")
            event = decode(raw)
            if isinstance(event, Envelope) and (families is None or event.family in families):
                key = (event.family, partition_for(event.key, partitions))
                placed.setdefault(key, []).append(raw)
    events = sum(len(v) for v in placed.values())
    started = time.perf_counter()
    for (family, _), messages in placed.items():
        state = PartitionState(family, targets, TimeRules())
        for offset, raw in enumerate(messages):
            state.process(raw, offset, wall_us=0)
    return events, events / (time.perf_counter() - started)


def checkpoint(state: PartitionState, what: str) -> None:
    started = time.perf_counter()
    blob = state.snapshot()
    print(
        f"checkpoint {what}: {len(blob) / 1024:,.0f} KiB in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms "
        f"({len(state.ledger.lifecycles)} open lifecycles)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--incidents", type=int, default=5_000)
    parser.add_argument("--events", help="a JSON-lines file of events to apply instead")
    parser.add_argument("--partitions", type=int, default=6, help="with --events")
    args = parser.parse_args()
    import yaml

    targets = parse_targets(yaml.safe_load(DEFAULT_TARGETS_PATH.read_text()))
    import streams.core.ledger

    compiled = runs_compiled(streams.core.ledger)
    print(f"the core: {'compiled by mypyc' if compiled else 'interpreted (not compiled)'}")
    if args.events:
        events, rate = rate_on_file(args.events, args.partitions, targets)
        print(f"{args.events}: {events} events on {args.partitions} partitions a family, "
              f"{rate:,.0f} events/s")  # fmt: skip
        return
    rng = random.Random(7)
    calls, incidents = call_day(args.calls, rng), incident_day(args.incidents, rng)
    states = [measure(Family.CALLS, calls, targets), measure(Family.INCIDENTS, incidents, targets)]
    started = time.perf_counter()
    figures = compute(states, targets, wall_us=0)
    series = sum(len(v) for v in figures.values.values())
    print(f"   scrape: {series} series computed in {(time.perf_counter() - started) * 1000:.0f} ms")
    for state in states:
        checkpoint(state, state.family.value)
    # Day figures grow with days, not volume: a year of history at a 50th of the volume
    # shows what a partition's checkpoint holds after a year of running.
    year = measure(Family.INCIDENTS, incident_day(365 * 100, rng, days=365), targets, quiet=True)
    checkpoint(year, "incidents after a year (100 a day)")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"peak resident memory of the whole run: {peak_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
