"""`ccm replay FILE`: a JSON-lines event file into Kafka."""

import argparse
import sys
from pathlib import Path

from streams.commands.common import (
    UserError,
    positive_float,
    prepare_topics_for,
    settings_from,
)


def cmd_replay(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from streams.kafka_io import EventProducer
    from streams.replay import Pacer, replay_file

    path: Path = args.file
    if not path.is_file():
        raise UserError(f"no such file: {path}. Give a JSON-lines file of events, one per line.")
    settings = settings_from(args)
    prepare_topics_for(settings, "replay")
    producer = EventProducer(settings)
    pacer = Pacer(args.speed) if args.speed else None
    with tqdm(
        total=path.stat().st_size,
        unit="B",
        unit_scale=True,
        desc=f"replay {path.name}",
        disable=None,
        file=sys.stderr,
    ) as bar:
        try:
            summary = replay_file(
                path, producer.send, lambda e: settings.topic_for(e.family), pacer, bar.update
            )
        finally:
            producer.close()
    print(summary.render(), file=sys.stderr)
    if producer.failures:
        print(
            f"ccm replay: {producer.failures} events could not be delivered "
            f"(first: {producer.first_failure}). Check the broker, then replay the file "
            "again: events already delivered are recognised by event_id and not counted twice.",
            file=sys.stderr,
        )
        return 1
    if summary.rejected and not args.skip_invalid:
        print(
            "ccm replay: some lines were rejected (listed above) and not sent. Fix them and "
            "replay the file again, or pass --skip-invalid to accept the loss of those lines.",
            file=sys.stderr,
        )
        return 1
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    replay = sub.add_parser(
        "replay",
        help="send a JSON-lines event file into Kafka",
        description="Send each valid line of FILE to its topic, keyed per the event contract. "
        "Invalid lines are listed with their line numbers and not sent.",
    )
    replay.add_argument("file", type=Path, metavar="FILE", help="JSON-lines events, one per line")
    replay.add_argument(
        "--speed",
        type=positive_float,
        default=None,
        metavar="N",
        help="pace sends at N times event time (default: as fast as possible)",
    )
    replay.add_argument(
        "--skip-invalid",
        action="store_true",
        help="exit 0 even when some lines were rejected",
    )
    replay.add_argument(
        "--bootstrap", metavar="HOST:PORT", help="Kafka bootstrap (CCM_KAFKA_BOOTSTRAP)"
    )
    replay.set_defaults(handler=cmd_replay)
