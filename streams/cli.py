"""The ``ccm`` command (also ``python -m streams``).

Flags override ``CCM_*`` environment variables, which override defaults.
Every error a user can cause ends in one line saying what to change, and a
non-zero exit status.
"""

import argparse
import gc
import sys
from collections.abc import Sequence

from streams.commands import dashboards, export, replay, rules, simulate, worker
from streams.commands.common import UserError, load_targets

__all__ = ["build_parser", "load_targets", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ccm", description="Contact-centre metrics for police control rooms."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in (replay, simulate, worker, export, rules, dashboards):
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from streams.kafka_check import KafkaUnavailable

    args = build_parser().parse_args(argv)
    # ccm holds a month of lifecycles in small objects with no cycles among them, and
    # makes and drops a few per event: at Python's default thresholds the cycle
    # collector ran every 700 allocations and took a fifth of the time applying events.
    gc.set_threshold(50_000, 50, 100)
    try:
        return args.handler(args)
    except (UserError, KafkaUnavailable) as error:
        print(f"ccm {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ccm {args.command}: interrupted", file=sys.stderr)
        return 130
