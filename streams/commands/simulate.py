"""`ccm simulate`: a simulated force's events into Kafka, or to a file."""

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streams.commands.common import (
    positive_float,
    prepare_topics_for,
    settings_from,
)


def _speed(text: str) -> float:
    """A speed factor, or 0 for "max": no pacing."""
    if text == "max":
        return 0.0
    return positive_float(text)


def _duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd])", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"expected a duration such as 90m, 8h or 2d, got {text!r}")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match[2]]
    return timedelta(**{unit: float(match[1])})


def _start(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an RFC 3339 time such as 2026-03-10T08:00:00+00:00, got {text!r}"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset; add one, e.g. 2026-03-10T08:00:00+00:00"
        )
    return value


def cmd_simulate(args: argparse.Namespace) -> int:
    import signal

    from tqdm import tqdm

    from streams.replay import Pacer
    from streams.simulate import SCENARIOS, simulate
    from streams.simulate.model import rfc3339
    from streams.simulate.send import send_events

    start = args.start or datetime.now(UTC).replace(microsecond=0)
    duration = args.duration
    if duration is None and args.out is not None:
        duration = timedelta(days=1)
    until = start + duration if duration is not None else None
    config = SCENARIOS[args.scenario]
    if args.callbacks == "off":
        config = config.with_options(callbacks=None)
    events = simulate(config, args.seed, start, until)
    speed = args.speed
    if speed is None:
        speed = 0.0 if args.out is not None else 1.0
    pacer = Pacer(speed) if speed > 0 else None

    # A stop request (Ctrl-C, or SIGTERM from a supervisor) ends the run cleanly:
    # what was handed to the producer is still flushed.
    def _stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    horizon = f"until {rfc3339(int(until.timestamp() * 1000))}" if until else "until stopped"
    print(
        f"ccm simulate: scenario {args.scenario}, seed {args.seed}, call-backs "
        f"{args.callbacks}, from "
        f"{rfc3339(int(start.timestamp() * 1000))} {horizon}, "
        + (f"{speed:g}x real time" if speed else "as fast as possible"),
        file=sys.stderr,
    )
    with tqdm(unit=" events", desc="simulate", disable=None, file=sys.stderr) as bar:

        def progress(event) -> None:
            bar.update()
            if bar.n % 500 == 0:
                bar.set_postfix_str(f"event time {event.body['occurred_at']}", refresh=False)

        if args.out is not None:
            with args.out.open("wb") as out:

                def write(_topic: str, _key: bytes, value: bytes) -> None:
                    out.write(value + b"\n")

                sent = send_events(events, write, str, pacer, start, progress)
            print(f"ccm simulate: wrote {sum(sent.values())} events to {args.out}", file=sys.stderr)
            return 0

        from schemas import Family
        from streams.kafka_io import EventProducer

        settings = settings_from(args)
        prepare_topics_for(settings, "simulate")
        producer = EventProducer(settings)
        sent = None
        try:
            sent = send_events(events, producer.send, settings.topic_for, pacer, start, progress)
        finally:
            producer.close()
            if sent is not None:
                # Every input topic, a quiet one at 0 (Live Chat closed at night): it
                # was written to, and says so.
                every = {settings.topic_for(family): 0 for family in Family} | sent
                lines = [f"  {topic}: {n}" for topic, n in sorted(every.items())]
                print(
                    f"ccm simulate: sent {sum(sent.values())} events",
                    *lines,
                    sep="\n",
                    file=sys.stderr,
                )
    if producer.failures:
        print(
            f"ccm simulate: {producer.failures} events could not be delivered "
            f"(first: {producer.first_failure}). Check the broker and run again.",
            file=sys.stderr,
        )
        return 1
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    scenarios = ("normal-day", "quiet-night", "major-incident-surge", "staffing-shortfall")
    simulate = sub.add_parser(
        "simulate",
        help="send a simulated force's calls, chats, reports and incidents into Kafka",
        description="Simulate a force's contact centre and incidents from now (or --start), "
        "in real time or faster, and send the events to Kafka (or to a JSON-lines file with "
        "--out). The same seed, start and options give the same events. See docs/simulator.md.",
    )
    simulate.add_argument(
        "--scenario", choices=scenarios, default="normal-day", help="preset (default normal-day)"
    )
    simulate.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    simulate.add_argument(
        "--callbacks",
        choices=("on", "off"),
        default="on",
        help="call back abandoned 999 calls (call.callback events; default on); off for a "
        "force whose systems do not send them. Every other event is the same either way",
    )
    simulate.add_argument(
        "--speed",
        type=_speed,
        default=None,
        metavar="N",
        help="N times real time, or 'max' for no pacing (default 1; with --out: max)",
    )
    simulate.add_argument(
        "--start",
        type=_start,
        default=None,
        metavar="TIME",
        help="event time of the start (RFC 3339 with offset; default now)",
    )
    simulate.add_argument(
        "--duration",
        type=_duration,
        default=None,
        metavar="SPAN",
        help="event time to simulate, e.g. 90m, 8h, 2d (default: until stopped; with --out: 1d)",
    )
    simulate.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE",
        help="write JSON lines to FILE instead of sending to Kafka (for ccm replay)",
    )
    simulate.add_argument(
        "--bootstrap", metavar="HOST:PORT", help="Kafka bootstrap (CCM_KAFKA_BOOTSTRAP)"
    )
    simulate.set_defaults(handler=cmd_simulate)
