"""A Quix Streams peer of ccm's call figures: the same job, written the Quix way.

    .venv/bin/python bench/peer_quix.py --bootstrap 127.0.0.1:39192 --topic T --group G

Reads call events (the event contract's `call.*`, JSON, keyed by call_id) from the
start of `--topic` and computes, per Europe/London month x channel x queue, the legs
offered, answered, answered within target, abandoned and the sum of answer times (µs),
as ccm's monthly pack does (`streams/core/calls.py`, docs/kpis.md):

- a repeat of an `event_id` already applied to its call changes nothing; so does an
  event that contradicts its call (a second `call.ended`, a second `call.queued` or
  outcome at the same queue at the same instant), which ccm dead-letters;
- a leg is one pass through a queue, a return to a queue a new leg: at each queue an
  outcome closes the latest leg queued there before it and still open, in event time,
  whatever order the events arrive in; a leg still open when its call ends was abandoned
  then; an outcome with no leg before it counts nowhere (yet);
- a leg counts in the London month it was queued, answered within target when its wait
  is at most the target in force (the targets file, `streams.core.targets`) on the
  London day it was queued; an abandon under the queue's short-abandon threshold is not
  counted as abandoned.

Two stages, at least once: the input topic is consumed with a RocksDB `State` per
call_id holding the call's events; each event emits what it changes in the call's
contribution (a delta per month x channel x queue). `group_by` re-keys the deltas by
month x channel x queue, where a second `State` keeps the totals. Both states are
backed by changelog topics (Quix's default), as ccm checkpoints its own to Kafka.

What this peer leaves out, because a simulated month of history never needs it: schema
validation (dead letters), the grace period and the closing of months (late, too late,
future), and orphans or stale legs dropped after their wait runs out.

The application stops itself once it has processed the input topic up to the end
offsets it saw at start and every delta that produced; then it prints one JSON object:
its totals, the counts above, and wall-clock instants (`time.time()`) of its first
event and of the end, so a caller can time it from when it launched the process.
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

STARTED_AT = time.time()

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # the ccm of this checkout, for its targets

from call_figures import FIGURES, Scoring, apply_event, load_targets, new_call  # noqa: E402
from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from quixstreams import Application, State  # noqa: E402

from streams.core.targets import DEFAULT_TARGETS_PATH  # noqa: E402


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """Each partition's end offset now: where this run stops."""
    probe = Consumer({"bootstrap.servers": bootstrap, "group.id": "peer-quix-probe"})
    try:
        partitions = probe.list_topics(topic, timeout=30).topics[topic].partitions
        return {
            p: probe.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
            for p in partitions
        }
    finally:
        probe.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, help="Kafka bootstrap HOST:PORT")
    parser.add_argument("--topic", required=True, help="call events, keyed by call_id")
    parser.add_argument("--group", required=True, help="consumer group (fresh: from the start)")
    parser.add_argument("--targets", type=Path, default=DEFAULT_TARGETS_PATH)
    parser.add_argument("--state-dir", type=Path, help="RocksDB state (default: a temporary one)")
    args = parser.parse_args()

    scoring = Scoring(load_targets(args.targets))
    ends = end_offsets(args.bootstrap, args.topic)
    state_dir = args.state_dir or Path(tempfile.mkdtemp(prefix="peer-quix-"))
    counts = {"events": 0, "duplicate": 0, "conflict": 0, "not_a_call_event": 0}
    progress = {"deltas": 0, "applied": 0, "first_event_at": None, "done_at": None}
    totals: dict[tuple[str, str, str], list[int]] = {}
    done_partitions = {p for p, end in ends.items() if end == 0}

    def on_processed(topic: str, partition: int, offset: int) -> None:
        if topic == args.topic:
            if progress["first_event_at"] is None:
                progress["first_event_at"] = time.time()
            if offset >= ends[partition] - 1:
                done_partitions.add(partition)
        if len(done_partitions) == len(ends) and progress["applied"] == progress["deltas"]:
            if progress["done_at"] is None:
                progress["done_at"] = time.time()
            app.stop()

    app = Application(
        broker_address=args.bootstrap,
        consumer_group=args.group,
        auto_offset_reset="earliest",
        processing_guarantee="at-least-once",
        state_dir=state_dir,
        loglevel="WARNING",
        on_message_processed=on_processed,
    )

    def call_deltas(event: dict, state: State) -> list[dict]:
        """Stage 1, keyed by call_id: what this event changes in the call's figures."""
        counts["events"] += 1
        call = state.get("call") or new_call()
        before = scoring.contribution(call)
        refused = apply_event(call, event)
        if refused is not None:
            counts[refused] += 1
            return []
        state.set("call", call)
        after = scoring.contribution(call)
        deltas = []
        for key in before.keys() | after.keys():
            old = before.get(key, (0,) * len(FIGURES))
            new = after.get(key, (0,) * len(FIGURES))
            change = [b - a for a, b in zip(old, new, strict=True)]
            if any(change):
                month, channel, queue = key
                deltas.append({"month": month, "channel": channel, "queue": queue, "d": change})
        progress["deltas"] += len(deltas)
        return deltas

    def add_delta(delta: dict, state: State) -> dict:
        """Stage 2, keyed by month x channel x queue: the running totals."""
        total = state.get("totals") or [0] * len(FIGURES)
        total = [t + d for t, d in zip(total, delta["d"], strict=True)]
        state.set("totals", total)
        progress["applied"] += 1
        return {**delta, "totals": total}

    def remember(row: dict) -> None:
        totals[(row["month"], row["channel"], row["queue"])] = row["totals"]

    topic = app.topic(args.topic, key_deserializer="str", value_deserializer="json")
    sdf = app.dataframe(topic)
    sdf = sdf.apply(call_deltas, stateful=True, expand=True)
    sdf = sdf.group_by(
        lambda d: f"{d['month']}|{d['channel']}|{d['queue']}", name="month_channel_queue"
    )
    sdf = sdf.apply(add_delta, stateful=True)
    sdf.update(remember)

    try:
        app.run()
    finally:
        if args.state_dir is None:
            shutil.rmtree(state_dir, ignore_errors=True)
    if progress["done_at"] is None:
        sys.exit("stopped before the end offsets it saw at start")
    print(
        json.dumps(
            {
                **counts,
                "deltas": progress["deltas"],
                "started_at": STARTED_AT,
                "first_event_at": progress["first_event_at"],
                "done_at": progress["done_at"],
                "totals": [
                    {"month": m, "channel": c, "queue": q, **dict(zip(FIGURES, v, strict=True))}
                    for (m, c, q), v in sorted(totals.items())
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
