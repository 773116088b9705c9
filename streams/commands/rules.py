"""`ccm rules build`: the alerting and recording rules from the targets file."""

import argparse
import sys
from pathlib import Path

from streams.commands.common import (
    load_targets,
    settings_from,
)


def cmd_rules_build(args: argparse.Namespace) -> int:
    from streams.alerting.build import generated_files, write
    from streams.core.measures import in_doc

    targets = load_targets(args.targets or settings_from(args).targets_file)
    files = generated_files(targets, runbook_url=args.runbook_url)
    changed = write(files, args.root)
    for path in files:
        state = "written" if args.root / path in changed else "unchanged"
        print(f"{path}: {state}", file=sys.stderr)
    # The measures these rules record, as docs/kpis.md lists them.
    doc = args.root / MEASURES_DOC
    if doc.exists():
        was = doc.read_text(encoding="utf-8")
        now = in_doc(was)
        if now != was:
            doc.write_text(now, encoding="utf-8")
        print(f"{MEASURES_DOC}: {'written' if now != was else 'unchanged'}", file=sys.stderr)
    return 0


MEASURES_DOC = Path("docs/kpis.md")


def add_parser(sub: argparse._SubParsersAction) -> None:
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
