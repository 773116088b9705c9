"""`ccm worker`: the stream processor, serving /metrics."""

import argparse

from streams.commands.common import (
    UserError,
    load_targets,
    prepare_topics_for,
    settings_from,
)


def cmd_worker(args: argparse.Namespace) -> int:
    import logging

    import faust

    from streams import malloc
    from streams.security import TlsFileError
    from streams.topics import ensure_checkpoint_topics
    from streams.web_auth import WebConfigError
    from streams.worker import CHECKPOINT_MAX_BYTES, create_app

    malloc.tune()  # before the worker's threads and state
    settings = settings_from(args)
    targets = load_targets(settings.targets_file)
    partitions = prepare_topics_for(settings, "worker")
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


def add_parser(sub: argparse._SubParsersAction) -> None:
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
