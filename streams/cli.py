"""The ``ccm`` command (also ``python -m streams``).

Flags override ``CCM_*`` environment variables, which override defaults.
Every error a user can cause ends in one line saying what to change, and a
non-zero exit status.
"""

import argparse
import gc
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from streams.settings import Settings


class UserError(Exception):
    """A mistake the user can fix; the message says how."""


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "bootstrap", None):
        overrides["kafka_bootstrap"] = args.bootstrap
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = "; ".join(
            f"CCM_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            if e["loc"]
            else e["msg"].removeprefix("Value error, ")
            for e in error.errors()
        )
        raise UserError(f"invalid configuration: {problems}") from None


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number such as 10 or 0.5, got {text!r}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _prepare_topics(settings: Settings, command: str) -> dict[str, int]:
    """The worker's topics, created when missing exactly as the worker creates them, so
    that the first of the worker, replay and simulate to run decides their layout."""
    from streams.topics import prepare_topics

    return prepare_topics(
        settings,
        say=lambda line: print(f"ccm {command}: {line}", file=sys.stderr),
        warn=lambda line: print(f"ccm {command}: warning: {line}", file=sys.stderr),
    )


def cmd_replay(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from streams.kafka_io import EventProducer
    from streams.replay import Pacer, replay_file

    path: Path = args.file
    if not path.is_file():
        raise UserError(f"no such file: {path}. Give a JSON-lines file of events, one per line.")
    settings = _settings(args)
    _prepare_topics(settings, "replay")
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


def _speed(text: str) -> float:
    """A speed factor, or 0 for "max": no pacing."""
    if text == "max":
        return 0.0
    return _positive_float(text)


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
    events = simulate(SCENARIOS[args.scenario], args.seed, start, until)
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
        f"ccm simulate: scenario {args.scenario}, seed {args.seed}, from "
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

        from streams.kafka_io import EventProducer

        settings = _settings(args)
        _prepare_topics(settings, "simulate")
        producer = EventProducer(settings)
        sent = None
        try:
            sent = send_events(events, producer.send, settings.topic_for, pacer, start, progress)
        finally:
            producer.close()
            if sent is not None:
                lines = [f"  {topic}: {n}" for topic, n in sorted(sent.items())]
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


def load_targets(path: Path):  # -> Targets
    import yaml

    from streams.core.targets import TargetsFileError, parse_targets

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(
            f"targets file not found: {path}. Set CCM_TARGETS_FILE to its path."
        ) from None
    except yaml.YAMLError as error:
        raise UserError(f"targets file {path} is not valid YAML: {error}") from None
    try:
        return parse_targets(data, origin=f"targets file {path}")
    except TargetsFileError as error:
        raise UserError(str(error)) from None


def cmd_worker(args: argparse.Namespace) -> int:
    import logging

    import faust

    from streams import malloc
    from streams.security import TlsFileError
    from streams.topics import ensure_checkpoint_topics
    from streams.web_auth import WebConfigError
    from streams.worker import CHECKPOINT_MAX_BYTES, create_app

    malloc.tune()  # before the worker's threads and state
    settings = _settings(args)
    targets = load_targets(settings.targets_file)
    partitions = _prepare_topics(settings, "worker")
    ensure_checkpoint_topics(settings, partitions, CHECKPOINT_MAX_BYTES)
    try:
        app = create_app(settings, targets, partitions)
    except (WebConfigError, TlsFileError) as error:
        raise UserError(str(error)) from None
    worker = faust.Worker(app, loglevel=args.loglevel, quiet=True)
    scheme = "https" if app.conf.web_ssl_context else "http"
    logging.getLogger("ccm").info(
        "ccm worker: metrics at %s://%s:%d/metrics", scheme, settings.web_bind, settings.web_port
    )
    worker.execute_from_commandline()
    return 0


def _month(text: str):  # -> Month
    from streams.core.months import parse_month

    try:
        return parse_month(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number such as 6, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _export_pack(args: argparse.Namespace):  # -> MonthlyPack
    from streams.core.months import month_label
    from streams.export.source import SourceError, fetch_pack, pack_from_log

    if args.first > args.last:
        raise UserError(
            f"--from {month_label(args.first)} is after --to {month_label(args.last)}: "
            "give the earlier month to --from"
        )
    settings = _settings(args)
    try:
        if args.from_log is None:
            return fetch_pack(settings, args.first, args.last)
        partitions = args.partitions or settings.topic_partitions
        targets = load_targets(settings.targets_file)
        return pack_from_log(
            args.from_log, settings, targets, args.first, args.last, partitions, args.jobs
        )
    except SourceError as error:
        raise UserError(str(error)) from None


def cmd_export_monthly(args: argparse.Namespace) -> int:
    from streams.export.csv import write_monthly_csv
    from streams.export.xlsx import write_monthly_xlsx

    out: Path = args.out
    if args.format == "xlsx" and out.suffix.lower() != ".xlsx" and not out.is_dir():
        raise UserError(f"--out {out}: for --format xlsx give a file name ending in .xlsx")
    if args.format == "csv" and out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file: for --format csv give a directory")
    pack = _export_pack(args)
    if args.format == "csv":
        written = write_monthly_csv(pack, out)
    else:
        target = out / f"ccm-monthly-{pack.first}-{pack.last}.xlsx" if out.is_dir() else out
        written = [write_monthly_xlsx(pack, target)]
    for path in written:
        print(path)
    return 0


def cmd_export_public(args: argparse.Namespace) -> int:
    from streams.export.public import write_public_csv

    if args.out.exists() and not args.out.is_dir():
        raise UserError(f"--out {args.out} is a file: give a directory for the public dataset")
    pack = _export_pack(args)
    for path in write_public_csv(pack, args.out, args.suppress_below):
        print(path)
    return 0


def cmd_rules_build(args: argparse.Namespace) -> int:
    from streams.alerting.build import generated_files, write

    targets = load_targets(args.targets or _settings(args).targets_file)
    files = generated_files(targets, runbook_url=args.runbook_url)
    changed = write(files, args.root)
    for path in files:
        state = "written" if args.root / path in changed else "unchanged"
        print(f"{path}: {state}", file=sys.stderr)
    return 0


def _rules_parser(sub: argparse._SubParsersAction) -> None:
    from streams.alerting.rules import RUNBOOK
    from streams.core.targets import DEFAULT_TARGETS_PATH

    rules = sub.add_parser(
        "rules",
        help="Prometheus rules and the Alertmanager configuration, from the targets file",
        description="Generate the recording and alerting rules (deploy/prometheus/rules/) and "
        "deploy/alertmanager/alertmanager.yml from the targets file. See docs/runbook.md.",
    )
    actions = rules.add_subparsers(dest="rules_action", metavar="ACTION", required=True)
    build = actions.add_parser(
        "build", help="write the generated files (unchanged files are left alone)"
    )
    build.add_argument(
        "--targets",
        type=Path,
        default=None,
        metavar="FILE",
        help="targets file (default CCM_TARGETS_FILE, or deploy/config/targets.yaml)",
    )
    build.add_argument(
        "--root",
        type=Path,
        default=DEFAULT_TARGETS_PATH.parents[2],
        metavar="DIR",
        help="write under this directory (default: the repository)",
    )
    build.add_argument(
        "--runbook-url",
        default=RUNBOOK,
        metavar="URL",
        help=f"where alerts link their runbook section (default {RUNBOOK}, the file in the "
        "repository; give your intranet copy's address when deploying)",
    )
    build.set_defaults(handler=cmd_rules_build)


def _export_parser(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser(
        "export",
        help="monthly KPI exports (CSV, XLSX) and the public dataset",
        description="Export monthly KPIs from the running worker, or recompute them from an "
        "event log with --from-log (no Kafka, no worker). See docs/exports.md.",
    )
    kinds = export.add_subparsers(dest="export_kind", metavar="KIND", required=True)

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--from",
            dest="first",
            type=_month,
            required=True,
            metavar="YYYY-MM",
            help="first month (Europe/London)",
        )
        parser.add_argument(
            "--to",
            dest="last",
            type=_month,
            required=True,
            metavar="YYYY-MM",
            help="last month, included",
        )
        parser.add_argument(
            "--from-log",
            type=Path,
            metavar="FILE",
            help="recompute from this JSON-lines event file instead of asking the worker",
        )
        parser.add_argument(
            "--partitions",
            type=_whole_number,
            metavar="N",
            help="with --from-log: partitions per topic, as the worker's topics have "
            "(default CCM_TOPIC_PARTITIONS, 6)",
        )
        parser.add_argument(
            "--jobs",
            type=_whole_number,
            metavar="N",
            default=min(4, len(os.sched_getaffinity(0))),
            help="with --from-log: processes to apply the events in, each holding some "
            "partitions (default: one per CPU, at most 4)",
        )

    monthly = kinds.add_parser(
        "monthly",
        help="the command team's monthly pack",
        description="CSV (kpis.csv, every measure in one tidy table, and five files of "
        "one topic each, in the --out directory) or XLSX (the panel's layout, one workbook).",
    )
    common(monthly)
    monthly.add_argument(
        "--format",
        choices=["csv", "xlsx"],
        default="csv",
        help="csv: kpis.csv and five topic files; xlsx: the panel's workbook (default csv)",
    )
    monthly.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="PATH",
        help="directory for csv; .xlsx file (or a directory) for xlsx",
    )
    monthly.set_defaults(handler=cmd_export_monthly)

    public = kinds.add_parser(
        "public",
        help="the public dataset: 999 answer times, emergency attendance times",
        description="Monthly aggregate counts by time band, small counts suppressed.",
    )
    common(public)
    public.add_argument("--out", type=Path, required=True, metavar="DIR")
    public.add_argument(
        "--suppress-below",
        type=_whole_number,
        default=10,
        metavar="N",
        help="blank counts from 1 to N-1, and enough others to protect them (default 10)",
    )
    public.set_defaults(handler=cmd_export_public)


def cmd_dashboards_build(args: argparse.Namespace) -> int:
    from dashboards.build import BUILT_DIR, write_all

    settings = _settings(args)
    if args.out is None and not BUILT_DIR.parent.is_dir():
        raise UserError("no source checkout to write into: give --out DIR")
    out = args.out or BUILT_DIR
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file: give a directory for the dashboards")
    for path in write_all(load_targets(settings.targets_file), out):
        print(path)
    return 0


def cmd_dashboards_push(args: argparse.Namespace) -> int:
    from dashboards.build import build_all
    from dashboards.push import Credential, PushError, push

    settings = _settings(args)
    url = args.url or settings.grafana_url
    credential = Credential(
        token=settings.grafana_token.get_secret_value() if settings.grafana_token else None,
        user=settings.grafana_user,
        password=(
            settings.grafana_password.get_secret_value() if settings.grafana_password else None
        ),
    )
    boards = build_all(load_targets(settings.targets_file)).values()
    try:
        count = push(url, credential, args.folder or settings.grafana_folder, boards)
    except PushError as error:
        raise UserError(str(error)) from None
    print(f"{count} dashboards in folder {args.folder or settings.grafana_folder!r}")
    return 0


def _dashboards_parser(sub: argparse._SubParsersAction) -> None:
    dashboards = sub.add_parser(
        "dashboards",
        help="build the Grafana dashboards as JSON, or push them to a Grafana",
        description="The supervisor wallboard, duty officer, command team and pipeline health "
        "dashboards, coloured by the targets file (CCM_TARGETS_FILE).",
    )
    actions = dashboards.add_subparsers(dest="dashboards_action", metavar="ACTION", required=True)
    build = actions.add_parser(
        "build",
        help="write the dashboards as JSON files",
        description="Write one sorted, deterministic JSON file per dashboard.",
    )
    build.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="directory to write to (default: deploy/grafana/dashboards, which Grafana's "
        "provisioning reads)",
    )
    build.set_defaults(handler=cmd_dashboards_build)
    push = actions.add_parser(
        "push",
        help="create or overwrite the dashboards in a Grafana, by uid",
        description="Send the dashboards to CCM_GRAFANA_URL, authenticated by "
        "CCM_GRAFANA_TOKEN or CCM_GRAFANA_USER and CCM_GRAFANA_PASSWORD, into a folder "
        "(created if missing). Pushing again overwrites them.",
    )
    push.add_argument("--url", metavar="URL", help="Grafana's base URL (CCM_GRAFANA_URL)")
    push.add_argument("--folder", metavar="TITLE", help="folder title (CCM_GRAFANA_FOLDER)")
    push.set_defaults(handler=cmd_dashboards_push)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ccm", description="Contact-centre metrics for police control rooms."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    replay = sub.add_parser(
        "replay",
        help="send a JSON-lines event file into Kafka",
        description="Send each valid line of FILE to its topic, keyed per the event contract. "
        "Invalid lines are listed with their line numbers and not sent.",
    )
    replay.add_argument("file", type=Path, metavar="FILE", help="JSON-lines events, one per line")
    replay.add_argument(
        "--speed",
        type=_positive_float,
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

    worker = sub.add_parser(
        "worker",
        help="run the stream processor (Faust worker) serving /metrics",
        description="Consume the contact topics, compute the live KPIs and serve them at "
        "/metrics on CCM_WEB_PORT (default 6066).",
    )
    worker.add_argument(
        "--bootstrap", metavar="HOST:PORT", help="Kafka bootstrap (CCM_KAFKA_BOOTSTRAP)"
    )
    worker.add_argument("--loglevel", default="info", choices=["debug", "info", "warning", "error"])
    worker.set_defaults(handler=cmd_worker)
    _export_parser(sub)
    _rules_parser(sub)
    _dashboards_parser(sub)
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
