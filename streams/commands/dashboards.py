"""`ccm dashboards build|push`: the Grafana dashboards as files, or into Grafana."""

import argparse
from pathlib import Path

from streams.commands.common import (
    UserError,
    load_targets,
    settings_from,
)


def cmd_dashboards_build(args: argparse.Namespace) -> int:
    from dashboards.build import BUILT_DIR, write_all

    settings = settings_from(args)
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

    settings = settings_from(args)
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


def add_parser(sub: argparse._SubParsersAction) -> None:
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
