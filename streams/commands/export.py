"""`ccm export monthly|public`: the monthly KPI exports and the public dataset."""

import argparse
import os
import sys
from pathlib import Path

from streams.commands.common import (
    UserError,
    load_targets,
    month_type,
    settings_from,
    whole_number,
)


def _export_pack(args: argparse.Namespace):  # -> MonthlyPack
    from streams.core.months import month_label
    from streams.export.source import SourceError, fetch_pack, pack_from_log

    if args.first > args.last:
        raise UserError(
            f"--from {month_label(args.first)} is after --to {month_label(args.last)}: "
            "give the earlier month to --from"
        )
    settings = settings_from(args)
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
    if "callbacks" in pack.absent:
        from streams.export.source import export_base_url

        print(
            f"ccm: the worker at {export_base_url(settings_from(args))} runs an older ccm "
            "release, which does not count call-backs: this export has no call-back figures. "
            "Upgrade it, or recompute these months from the event log with --from-log FILE",
            file=sys.stderr,
        )
    if args.format == "csv":
        written = write_monthly_csv(pack, out)
    else:
        target = out / f"ccm-monthly-{pack.first}-{pack.last}.xlsx" if out.is_dir() else out
        written = [write_monthly_xlsx(pack, target)]
    for path in written:
        print(path)
    return 0


PUBLIC_TABLES = ("first_legs", "area_attendance")
"""The later tables of the monthly pack the public page is made from."""


def cmd_export_public(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from streams.export.public import write_public_csv
    from streams.export.public_site import write_public_site

    if args.out.exists() and not args.out.is_dir():
        raise UserError(f"--out {args.out} is a file: give a directory for the public dataset")
    pack = _export_pack(args)
    missing = [table for table in pack.absent if table in PUBLIC_TABLES]
    if missing:
        from streams.export.source import export_base_url

        raise UserError(
            f"the worker at {export_base_url(settings_from(args))} runs an older ccm release, "
            f"whose monthly pack has no {' or '.join(missing)}: upgrade it, or recompute "
            "these months from the event log with --from-log FILE"
        )
    targets = load_targets(settings_from(args).targets_file)
    if args.format == "html":
        written = write_public_site(
            pack, targets, args.out, datetime.now(UTC), args.force, args.suppress_below
        )
    else:
        written = write_public_csv(pack, targets, args.out, args.suppress_below)
    for path in written:
        print(path)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
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
            type=month_type,
            required=True,
            metavar="YYYY-MM",
            help="first month (Europe/London)",
        )
        parser.add_argument(
            "--to",
            dest="last",
            type=month_type,
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
            type=whole_number,
            metavar="N",
            help="with --from-log: partitions per topic, as the worker's topics have "
            "(default CCM_TOPIC_PARTITIONS, 6)",
        )
        parser.add_argument(
            "--jobs",
            type=whole_number,
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
        help="the public dataset and page: 999 answer times, emergency attendance times",
        description="Monthly aggregate counts, small counts suppressed: CSV files, or with "
        "--format html the public page (index.html, its accessibility statement and the "
        "CSVs), a static site to copy to any web server. See docs/exports.md.",
    )
    common(public)
    public.add_argument("--out", type=Path, required=True, metavar="DIR")
    public.add_argument(
        "--format",
        choices=["csv", "html"],
        default="csv",
        help="csv: the dataset's files; html: the public page with them (default csv)",
    )
    public.add_argument(
        "--force",
        default="the force",
        metavar="NAME",
        help='the force\'s name as the page gives it, e.g. "Essex Police" (default: the force)',
    )
    public.add_argument(
        "--suppress-below",
        type=whole_number,
        default=10,
        metavar="N",
        help="blank counts from 1 to N-1, and enough others to protect them (default 10)",
    )
    public.set_defaults(handler=cmd_export_public)
