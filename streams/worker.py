"""The Faust worker: contact topics in, dead letters and checkpoints out, /metrics served.

Exactly-once counting (SPEC section 9), without Kafka transactions:

1. Each agent takes a batch of raw messages and applies them to its partitions'
   states; every state remembers the last offset it applied.
2. It writes each changed partition's state, offset included, as one record to a
   compacted checkpoint topic (a Faust table's changelog), sends the batch's dead
   letters, and waits until Kafka has acknowledged all of it.
3. Only then are the batch's messages acked, so Faust never commits a consumer
   offset beyond the last durable checkpoint.

After a crash, the new owner of a partition restores the latest checkpoint and
is re-delivered messages from the committed offset, which is at or before the
checkpoint; the state skips every offset it already holds. Each message is thus
applied exactly once to the figures. Dead letters may repeat after a crash;
their headers carry the source partition and offset to tell repeats apart.
"""

import logging
import time
from typing import Any

import faust
from faust.types import TP

from schemas import Family
from streams.core.partition import TimeRules
from streams.core.targets import Targets
from streams.core.timebase import US
from streams.metrics import FiguresCollector, exposition, registry_for
from streams.runtime import CONTACT_FAMILIES, Message, Runtime, checkpoint_key
from streams.settings import Settings

log = logging.getLogger("ccm.worker")

CHECKPOINT_MAX_BYTES = 32 * 1024 * 1024
"""One partition's state is one record; allow it to be large rather than split it."""


def wall_us() -> int:
    return time.time_ns() // 1000


def _broker_credentials(settings: Settings) -> Any:
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    ssl_context = None
    if protocol in ("SSL", "SASL_SSL"):
        import ssl

        ssl_context = ssl.create_default_context(
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        )
    if protocol == "SSL":
        return faust.SSLCredentials(ssl_context)
    password = (
        settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
    )
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username or "",
        password=password,
        mechanism=settings.kafka_sasl_mechanism or "PLAIN",
        ssl_context=ssl_context,
    )


def create_app(settings: Settings, targets: Targets, partitions: dict[str, int]) -> faust.App:
    """Build the worker. ``partitions`` maps each input topic to its partition count."""
    rules = TimeRules(
        grace_us=settings.grace_seconds * US, stale_us=settings.stale_wait_seconds * US
    )
    runtime = Runtime(targets, rules)
    debug_views = settings.web_debug_views
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{server}" for server in settings.kafka_bootstrap.split(",")],
        broker_credentials=_broker_credentials(settings),
        store="memory://",
        # Everything on our topics is bytes we encode ourselves; no JSON codec anywhere.
        key_serializer="raw",
        value_serializer="raw",
        datadir=str(settings.data_dir),
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        producer_max_request_size=CHECKPOINT_MAX_BYTES,
        producer_acks=-1,
        table_standby_replicas=0,
        topic_replication_factor=1,
        web_port=settings.web_port,
        web_bind=settings.web_bind,
        web_tables_enabled=debug_views,
        web_router_enabled=debug_views,
        web_graph_enabled=debug_views,
        web_stats_enabled=debug_views,
    )
    app.ccm_runtime = runtime  # type: ignore[attr-defined]
    deadletter = app.topic(
        settings.topic_deadletter,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )

    class CheckpointTable(faust.Table):
        """Holds each partition's latest checkpoint; recovered by Faust on assignment."""

        ccm_family: Family

        async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:
            await super().on_recovery_completed(active_tps, standby_tps)
            mine = {tp.partition for tp in active_tps}
            runtime.keep_only(self.ccm_family, mine)
            for partition in sorted(mine):
                runtime.state_for(
                    self.ccm_family, partition, self.data.get(checkpoint_key(partition))
                )

    for family in CONTACT_FAMILIES:
        topic_name = settings.topic_for(family)
        source = app.topic(
            topic_name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
        )
        table = CheckpointTable(
            app,
            name=f"checkpoints-{family.value}",
            default=None,
            key_type=bytes,  # bytes: Faust picks the raw codec for the changelog
            value_type=bytes,
            partitions=partitions[topic_name],
            extra_topic_configs={"max.message.bytes": str(CHECKPOINT_MAX_BYTES)},
            help=f"Checkpoints of {family.value} partition state",
        )
        table.ccm_family = family
        app.tables.add(table)
        _add_agent(app, settings, runtime, family, source, table, deadletter)

    collector = FiguresCollector(runtime.all_states, targets)
    registry = registry_for(collector)

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.bytes(exposition(registry), content_type="text/plain; version=0.0.4")

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok", "partitions": len(runtime.states)})

    return app


def _add_agent(
    app: faust.App,
    settings: Settings,
    runtime: Runtime,
    family: Family,
    source: faust.TopicT,
    table: faust.Table,
    deadletter: faust.TopicT,
) -> None:
    async def process(stream: faust.StreamT) -> None:
        async for events in stream.take_events(settings.batch_max, within=settings.batch_seconds):
            try:
                await _apply_batch(app, runtime, family, events, table, deadletter)
            except Exception:
                # Never lose the agent: the batch is not acked, so a restart redoes it.
                log.exception("failed to apply a %s batch; stopping so it is retried", family.value)
                raise

    process.__name__ = f"process_{family.value}"
    app.agent(source, name=f"ccm.{family.value}")(process)


async def _apply_batch(
    app: faust.App,
    runtime: Runtime,
    family: Family,
    events: list[Any],
    table: faust.Table,
    deadletter: faust.TopicT,
) -> None:
    messages = [
        Message(e.message.partition, e.message.offset, e.message.value or b"") for e in events
    ]
    stored = {m.partition: table.data.get(checkpoint_key(m.partition)) for m in messages}
    rejected, touched = runtime.process(family, messages, wall_us(), stored)
    for item in rejected:
        headers = {
            "ccm-reason": item.letter.reason.value.encode(),
            "ccm-detail": item.letter.detail.encode(),
            "ccm-family": family.value.encode(),
            "ccm-source-partition": str(item.partition).encode(),
        }
        if item.offset is not None:
            headers["ccm-source-offset"] = str(item.offset).encode()
        deadletter.send_soon(value=item.letter.raw, headers=headers)
    for partition in touched:
        blob = runtime.checkpoint(family, partition)
        key = checkpoint_key(partition)
        table.data[key] = blob
        table.send_changelog(partition, key, blob)
    await app.producer.flush()
