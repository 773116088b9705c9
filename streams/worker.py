"""The Faust worker: contact and incident topics in, dead letters and checkpoints out,
/metrics served.

Exactly-once counting (SPEC section 9), without Kafka transactions:

1. Each agent takes batches of raw messages (straight from the consumer's fetches, see
   `streams.batches`) and applies them to its partitions' states; every state
   remembers the last offset it applied.
2. Every few seconds it writes what changed in each partition's state, offset
   included, as one record to a compacted checkpoint topic (a Faust table's changelog;
   now and then a whole snapshot instead: `streams.checkpoints`), and waits until Kafka
   has acknowledged it and the dead letters sent meanwhile.
3. Only then does it commit the consumer group's offsets, to just after what those
   checkpoints hold. Faust's own offset tracking is off for the input topics: it
   skips, and commits past, messages fetched across a rebalance.

What each step writes, commits and seeks is worked out by `streams.delivery`, which
knows nothing of Faust or Kafka; the worker makes the calls.

A partition's state is set up only when Kafka assigns the partition (from memory, or
the newer checkpoint, or from the log start when it has none), and is checkpointed
only while assigned: a message Faust still holds from before a rebalance must neither
start a state from nothing nor overwrite the next owner's checkpoint.

After a crash, the new owner of a partition restores the latest checkpoint, and once
the rebalance ends seeks the partition to the next offset that state needs, whatever
offset is committed: at or before the checkpoint after a crash between the two steps,
past it when the chain the state came from had forked (a worker frozen past its
session wrote into it) or a checkpoint was never acknowledged. Should a message still
arrive past what the state needs, the state notices the gap and the consumer seeks
back. Each message is thus applied exactly once to the figures. Dead letters may
repeat after a crash; their headers carry the source partition and offset to tell
repeats apart.
"""

import asyncio
import importlib.metadata
import logging
import time
from collections.abc import Callable
from typing import Any

import faust
from faust.types import TP

from schemas import Family
from streams import malloc, seam
from streams.batches import RecordBuffer, take_batches
from streams.checkpoints import change_key
from streams.core.monthly import monthly_pack
from streams.core.months import parse_month
from streams.core.targets import Targets
from streams.delivery import Checkpoint, Delivery
from streams.metrics import FiguresCollector, exposition, process_registry
from streams.runtime import CONSUMED_FAMILIES, Message, Runtime, checkpoint_key
from streams.security import faust_credentials
from streams.settings import Settings
from streams.web_auth import web_server_options

log = logging.getLogger("ccm.worker")

BUFFERED_BATCHES = 3
"""Each family's buffer holds this many batches (``batch_max``) fetched and not yet
applied; the consumer waits for room beyond that. A fetch of a partition (some 9,000
calls) goes into the buffer whole beside the batch being applied, so that the fetcher,
which asks for a partition again only once all it fetched of it has been taken, has the
next fetch on its way while the batch is applied. With one batch's room, a single
partition's backlog was read a fetch at a time, fetch and apply in turn."""

FETCH_BYTES_PER_PARTITION = 2 * 1024 * 1024
"""What the consumer fetches of a partition at a time (Faust's default is 4 MiB): some
9,000 events, nearly two of a pipe's batches. With the core compiled, 1 MiB left the
worker waiting on fetches for a third of its time: a month of calls read at 26,982 events
a second, and at 38,459 with 2 MiB (37,936 with 4 MiB), for 41 MiB more at peak."""

FETCH_MAX_BYTES = 4 * 1024 * 1024
"""All of one fetch's answer, across partitions: reading a year's backlog on every topic
(30 partitions), answers of up to 60 MiB took the peak from 404 to 433 MiB, for no more
events a second; 4 MiB (two partitions' worth) reads a year as fast as 8 did."""

FETCH_MAX_WAIT_MS = 100
"""How long the broker may hold a fetch that has nothing to answer with (Faust's is
1,500 ms). The fetcher sends one fetch at a time to a broker: while one partition's
records wait to be taken, it fetches that broker's other partitions, and when they are
idle the broker holds that fetch until this wait ends, with the busy partition's next
fetch queued behind it. At 1,500 ms a single partition's backlog was read at 5,500 events
a second, the worker idle four fifths of the time. An idle worker asks ten times a second
instead of once every 1.5 s: a small request, answered at once when events arrive."""

CHECKPOINT_BATCH = 500
"""Most messages an agent applies at a time while any family's checkpoint is on its way
to Kafka. A checkpoint needs some twenty turns of the event loop (its records taken a
partition at a time, then sent, flushed and acknowledged), and while a backlog was read
each turn waited for every family's agent to apply a full batch: with the consumer
keeping every buffer full, checkpoints of a year's replay took 5 to 10 s instead of
about 1 s."""

CHECKPOINT_MAX_BYTES = 32 * 1024 * 1024
"""One partition's state is one record; allow it to be large rather than split it."""


def release() -> str:
    """This ccm's version, as installed."""
    try:
        return importlib.metadata.version("ccm")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def wall_us() -> int:
    return time.time_ns() // 1000


def _broker_credentials(settings: Settings) -> Any:
    return faust_credentials(settings)


class App(faust.App):
    """Faust's app, telling ``after_rebalance`` callbacks when a rebalance has ended."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after_rebalance: list[Callable[[], None]] = []

    def on_rebalance_end(self) -> None:
        # Faust calls this once the assigned partitions have been recovered and sought to
        # their committed offsets, so a seek made now is the last word.
        super().on_rebalance_end()
        for callback in self.after_rebalance:
            callback()


def create_app(settings: Settings, targets: Targets, partitions: dict[str, int]) -> faust.App:
    """Build the worker. ``partitions`` maps each input topic to its partition count."""
    seam.install_reading(
        fetch_max_bytes=FETCH_MAX_BYTES,
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        input_topics=[settings.topic_for(family) for family in CONSUMED_FAMILIES],
    )
    runtime = Runtime(targets, settings.time_rules(), settings.checkpoint_format, release())
    app = _faust_app(settings)
    app.ccm_runtime = runtime  # type: ignore[attr-defined]
    pipes = _family_pipes(app, settings, runtime, partitions)
    _schedule(app, settings, pipes)
    _serve(app, settings, targets, runtime, pipes, partitions)
    return app


def _faust_app(settings: Settings) -> App:
    """Faust's app, configured for the worker: raw bytes throughout, offsets committed by
    the pipes, fetches sized for batches."""
    debug_views = settings.web_debug_views
    app = App(
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
        consumer_max_fetch_size=FETCH_BYTES_PER_PARTITION,
        # A whole fetch at a time (see BUFFERED_BATCHES): the fetcher asks a partition
        # again only once what it fetched of it is all taken.
        broker_max_poll_records=BUFFERED_BATCHES * settings.batch_max,
        producer_max_request_size=CHECKPOINT_MAX_BYTES,
        producer_acks=-1,
        table_standby_replicas=0,
        broker_session_timeout=settings.kafka_session_timeout_seconds,
        broker_heartbeat_interval=settings.kafka_session_timeout_seconds / 3,
        topic_replication_factor=settings.topic_replication_factor,
        web_port=settings.web_port,
        web_bind=settings.web_bind,
        **web_server_options(settings.web_config_file),
        web_tables_enabled=debug_views,
        web_router_enabled=debug_views,
        web_graph_enabled=debug_views,
        web_stats_enabled=debug_views,
    )
    return app


def _checkpoint_table(runtime: Runtime) -> type[faust.Table]:
    """The table class that holds each family's checkpoints and, once Faust has recovered
    it on assignment, sets up the assigned partitions' states from them."""

    class CheckpointTable(faust.Table):
        """Holds each partition's latest checkpoint; recovered by Faust on assignment."""

        ccm_family: Family
        ccm_topic: str
        ccm_pipe: "FamilyPipe"

        async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:
            await super().on_recovery_completed(active_tps, standby_tps)
            checkpoints = {
                tp.partition: self.data.get(checkpoint_key(self.ccm_topic, tp.partition))
                for tp in active_tps
            }
            fresh = [
                TP(self.ccm_topic, p)
                for p, checkpoint in checkpoints.items()
                if checkpoint is None and (self.ccm_family, p) not in runtime.states
            ]
            starts = await self.app.consumer.earliest_offsets(*fresh) if fresh else {}
            rewrite = runtime.hold(
                self.ccm_family,
                checkpoints,
                {tp.partition: start for tp, start in starts.items() if start is not None},
                lambda partition, seq: self.data.get(
                    change_key(checkpoint_key(self.ccm_topic, partition), seq)
                ),
            )
            self.ccm_pipe.resume_after_rebalance({tp.partition for tp in active_tps}, rewrite)

    return CheckpointTable


def _family_pipes(
    app: App, settings: Settings, runtime: Runtime, partitions: dict[str, int]
) -> list["FamilyPipe"]:
    """Each family's input topic, checkpoint table, buffer, pipe and agent."""
    deadletter = app.topic(
        settings.topic_deadletter,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )

    CheckpointTable = _checkpoint_table(runtime)
    pipes: list[FamilyPipe] = []
    buffers: dict[str, RecordBuffer] = {}
    checkpointing: set[Family] = set()  # the families whose checkpoint is on its way
    for family in CONSUMED_FAMILIES:
        topic_name = settings.topic_for(family)
        # acks=False: Faust neither tracks nor commits these offsets. It skips (and would
        # commit past) messages fetched across a rebalance; the pipe commits instead,
        # exactly the offsets its durable checkpoints cover.
        source = app.topic(
            topic_name,
            acks=False,
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
        table.ccm_topic = topic_name
        app.tables.add(table)
        pipe = FamilyPipe(
            app, settings, runtime, family, topic_name, table, deadletter, checkpointing
        )
        table.ccm_pipe = pipe
        app.after_rebalance.append(pipe.on_rebalance_end)
        pipes.append(pipe)
        buffers[topic_name] = RecordBuffer(BUFFERED_BATCHES * settings.batch_max)
        _add_agent(app, pipe, source, buffers[topic_name])
    # Records of the input topics go from the consumer's fetches straight into these
    # buffers, not through Faust's streams (why, in `streams.batches` and `FamilyPipe.run`).
    take_batches(app, buffers)

    return pipes


def _schedule(app: App, settings: Settings, pipes: list["FamilyPipe"]) -> None:
    """The timers: checkpoints of quiet streams, gaps read again, stalls watched."""

    @app.timer(interval=settings.checkpoint_seconds)
    async def checkpoint_quiet_streams() -> None:
        for pipe in pipes:
            if pipe.delivery.gaps:
                await pipe.reread()
            if pipe.checkpoint_due():
                await pipe.checkpoint()

    @app.timer(interval=min(5.0, settings.stall_seconds / 3))
    async def watch_progress() -> None:
        for pipe in pipes:
            await pipe.watch_progress()


def _serve(
    app: App,
    settings: Settings,
    targets: Targets,
    runtime: Runtime,
    pipes: list["FamilyPipe"],
    partitions: dict[str, int],
) -> None:
    """The web pages: /metrics, /healthz, /readyz and /export/monthly."""

    def pipeline_figures() -> dict[str, dict[tuple[str, ...], float]]:
        figures: dict[str, dict[tuple[str, ...], float]] = {}
        for pipe in pipes:
            for name, series in pipe.figures().items():
                figures.setdefault(name, {}).update(series)
        return figures

    collector = FiguresCollector(runtime.all_states, targets, pipeline=pipeline_figures)
    process = process_registry()

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.bytes(exposition(collector, process), content_type="text/plain; version=0.0.4")

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        # Live unless some partition is stuck where only a restart moves it: Kubernetes'
        # liveness probe then restarts the worker, which rejoins the group afresh.
        stuck = {pipe.family.value: pipe.stuck for pipe in pipes if pipe.stuck}
        if stuck:
            return web.json(
                {"status": "stuck", "partitions": len(runtime.states), "stuck": stuck},
                status=503,
            )
        return web.json({"status": "ok", "partitions": len(runtime.states)})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        # Ready only while holding a partition: a rollout then waits until the new worker
        # has joined the group and taken its share before it stops the next one. Not
        # while it holds a partition it cannot read: a rollout of a release that cannot
        # read the group's checkpoints stops at its first pod.
        held, unreadable = len(runtime.states), len(runtime.unreadable)
        ready = held > 0 and not unreadable
        return web.json(
            {"ready": ready, "partitions": held, "unreadable": unreadable},
            status=200 if ready else 503,
        )

    @app.page("/export/monthly")
    async def export_monthly(web: Any, request: Any) -> Any:
        """The monthly pack (`ccm export monthly` is the client): counts per London month
        from the day figures of every partition this worker holds."""
        missing = _partitions_missing(runtime, settings, partitions)
        if missing:
            return web.json(
                {
                    "error": f"this worker does not hold {missing}, so its figures would be "
                    "partial: export while one worker runs, or with --from-log FILE"
                },
                status=409,
            )
        try:
            first = parse_month(request.query.get("from", ""))
            last = parse_month(request.query.get("to", ""))
            pack = monthly_pack(runtime.all_states(), targets, first, last)
        except ValueError as error:
            return web.json({"error": str(error)}, status=400)
        return web.json(pack.to_json())


def _partitions_missing(runtime: Runtime, settings: Settings, partitions: dict[str, int]) -> str:
    """Which input partitions this worker lacks, in words; empty when it has them all."""
    missing = []
    for family in CONSUMED_FAMILIES:
        topic = settings.topic_for(family)
        held = {p for f, p in runtime.states if f is family}
        lacking = sorted(set(range(partitions[topic])) - held)
        if lacking:
            missing.append(f"{topic} partitions {', '.join(map(str, lacking))}")
    return "; ".join(missing)


class FamilyPipe:
    """One family's agent: applies batches, checkpoints, then commits (see the module doc).

    Checkpoints are taken at most every ``checkpoint_seconds`` (a snapshot costs time
    in proportion to the open lifecycles, so not after every batch), and by a timer
    when the stream goes quiet, so committed offsets never lag long. What to write,
    commit and seek is decided by its `Delivery`; the pipe makes the Faust and Kafka
    calls.
    """

    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        runtime: Runtime,
        family: Family,
        topic_name: str,
        table: faust.Table,
        deadletter: faust.TopicT,
        checkpointing: set[Family] | None = None,
    ) -> None:
        """``checkpointing``: shared by the app's pipes, the families whose checkpoint
        is on its way (see CHECKPOINT_BATCH)."""
        self.app = app
        self.settings = settings
        self.runtime = runtime
        self.family = family
        self.topic_name = topic_name
        self.table = table
        self.deadletter = deadletter
        self.delivery: Delivery[asyncio.Future] = Delivery(
            runtime,
            family,
            topic_name,
            settings.checkpoint_seconds,
            settings.stall_seconds,
            time.monotonic(),
        )
        self.lock = asyncio.Lock()
        self.checkpoints_under_way: set[Family] = set() if checkpointing is None else checkpointing
        self.checkpointing: asyncio.Future | None = None
        """The checkpoint the pipe started, while Kafka has not yet acknowledged it."""
        self.resuming: set[int] = set()
        """Partitions assigned by the rebalance under way, to seek once it ends."""
        self.resumed: asyncio.Future | None = None
        self.stuck: list[int] = []
        """Stalled partitions the consumer holds paused: no seek moves them (Faust pauses
        a partition until the rebalance's recovery ends, and one that never ends leaves
        it so), so the worker is no longer live (`/healthz`)."""

    async def run(self, buffer: RecordBuffer) -> None:
        """Apply what the consumer has put in ``buffer``, as soon as there is any, up to
        ``batch_max`` messages at a time: a lone event is applied at once, a backlog in
        large batches.

        Faust's streams are not used for the input topics: their per-message path
        capped the worker below its throughput target, and waiting for a batch to fill
        (`take(within=0.2)`) held back every quiet event. With the buffers, on a 2-core
        machine: end to end 7,500 events/s against 3,800-4,500 through the streams (now
        bound by the replay's producer), a backlog read at 14,000 events/s against 6,350,
        and an event applied 8 ms (p50) after it is sent against 150 ms. How these were
        measured, in `streams.batches`.
        """
        most = self.settings.batch_max
        short = min(most, CHECKPOINT_BATCH)
        while True:
            await buffer.wait_for_messages()
            messages = buffer.take(short if self.checkpoints_under_way else most)
            if not messages:
                continue
            try:
                self.apply(messages)
                if self.delivery.gaps:
                    await self.reread()
                if self.checkpoint_due() and (
                    self.checkpointing is None or self.checkpointing.done()
                ):
                    # Events go on being applied while Kafka acknowledges the records:
                    # waiting for it here held every event arriving meanwhile back by
                    # the round trip. What the records cover was taken with them.
                    self.checkpointing = asyncio.ensure_future(self._checkpoint_or_stop())
            except Exception as error:
                # Bad input never gets here (it is dead-lettered); this is a fault in ccm or
                # Kafka. Faust would restart the agent in this process, with states ahead of
                # what is durable: stop the worker instead, so that whichever worker next
                # holds these partitions starts from their last checkpoint.
                log.exception("could not apply a %s batch; stopping", self.family.value)
                await self.app.crash(error)
                raise
            # Let the consumer, the timers and the web server in between batches.
            await asyncio.sleep(0)

    def checkpoint_due(self) -> bool:
        return self.delivery.checkpoint_due(time.monotonic())

    def resume_after_rebalance(self, partitions: set[int], rewrite: set[int]) -> None:
        """The rebalance under way assigned ``partitions``, their states set up: once it
        ends, resume them where their states need, and checkpoint ``rewrite`` again in
        this worker's format."""
        self.resuming = partitions
        self.delivery.rewrite(rewrite)

    def on_rebalance_end(self) -> None:
        unreadable = [p for f, p in self.runtime.unreadable if f is self.family]
        if unreadable:
            # Nothing of theirs is counted here: fetching them would only be thrown away.
            self.app.consumer.pause_partitions(self._tps(dict.fromkeys(unreadable, 0)))
        if self.resuming:
            partitions, self.resuming = self.resuming, set()
            self.resumed = asyncio.ensure_future(self.resume(partitions))

    async def resume(self, partitions: set[int]) -> None:
        """Seek each partition just assigned to the next offset its state needs.

        Faust resumes a partition at the committed offset. A state restored from behind
        it (a fork in the checkpoint chain left by a worker frozen past its session, a
        checkpoint Kafka never acknowledged, a rollback) would only notice the gap at the
        partition's next message, and an idle partition brings none: its figures stayed
        short until the stall timer fired. A state ahead of it skips what it holds."""
        positions = self.delivery.resume_from(partitions & self._assigned())
        if not positions:
            return
        log.info("%s: resuming partitions at %s", self.family.value, positions)
        try:
            await self.app.consumer.seek_wait(self._tps(positions))
        except Exception as error:  # a rebalance again, or the broker away
            # A behind state still finds its gap at the partition's next message, or the
            # stall timer seeks it.
            log.warning("%s: could not seek %s (%s)", self.family.value, positions, error)

    async def _checkpoint_or_stop(self) -> None:
        try:
            await self.checkpoint()
        except Exception as error:  # as in run: a fault in ccm or Kafka stops the worker
            log.exception("could not checkpoint %s; stopping", self.family.value)
            await self.app.crash(error)

    def _assigned(self) -> set[int]:
        """This family's partitions the consumer is assigned now."""
        return {
            tp.partition for tp in self.app.consumer.assignment() if tp.topic == self.topic_name
        }

    def _tps(self, partitions: dict[int, int]) -> dict[TP, int]:
        return {TP(self.topic_name, partition): n for partition, n in partitions.items()}

    async def reread(self) -> None:
        """Faust drops messages it fetched across a rebalance. Commit what is applied,
        then have the consumer seek each partition with a gap to the next offset its
        state needs (the checkpoint decides, not the committed offset). Records Faust
        had already fetched can still overtake the seek; a gap stays until its partition
        moves on, and is sought again (here or by the timer) at most once a second."""
        if not self.delivery.reread_due(time.monotonic()):
            return
        await self.checkpoint()
        assigned = self._assigned()
        tps = [TP(self.topic_name, p) for p in self.delivery.gaps_held(assigned)]
        if tps:
            starts = await self.app.consumer.earliest_offsets(*tps)
            self.delivery.log_starts({tp.partition: start for tp, start in starts.items()})
        positions = self.delivery.reread_from(assigned)
        if positions:
            await self.app.consumer.seek_wait(self._tps(positions))

    def apply(self, messages: list[Message]) -> None:
        for letter in self.delivery.apply(messages, wall_us()):
            self.delivery.sending(
                self.deadletter.send_soon(value=letter.value, headers=letter.headers)
            )

    async def checkpoint(self) -> None:
        async with self.lock:
            checkpoint = self.delivery.start_checkpoint(time.monotonic())
            if checkpoint is None:
                return
            self.checkpoints_under_way.add(self.family)
            try:
                await self._write(checkpoint)
            finally:
                self.checkpoints_under_way.discard(self.family)

    async def _write(self, checkpoint: Checkpoint) -> None:
        """Take the checkpoint's records, send them, and commit once Kafka has them."""
        for n, due in enumerate(checkpoint.due):
            if n:
                # A partition at a time, events and scrapes let in between: a whole
                # snapshot of a month's calls takes some 50 ms a partition, and six
                # taken at once held every event and scrape back by 300 ms.
                await asyncio.sleep(0)
            for partition, (key, value) in self.delivery.take(checkpoint, due, self._assigned()):
                if value is None:
                    self.table.data.pop(key, None)
                else:
                    self.table.data[key] = value
                self.delivery.sending(self.table.send_changelog(partition, key, value))
        waiting = self.delivery.written(checkpoint, time.monotonic())
        # Faust's flush may return with messages still in its buffer (it gives up
        # after 0.1 s without progress): wait for Kafka's word on each one instead.
        await self.app.producer.flush()
        done, pending = (
            await asyncio.wait(waiting, timeout=self.delivery.ack_wait_seconds)
            if waiting
            else (set(), [])
        )
        for future in done:
            future.result()  # a send that failed stops the worker (see run)
        offsets = self.delivery.settle(checkpoint, pending, time.monotonic())
        if offsets is None:
            return
        if offsets:
            await seam.commit(self.app.consumer, self._tps(offsets))
        self.delivery.committed(checkpoint, time.monotonic(), time.time())
        malloc.trim()  # the checkpoint's records are let go: give back what they held

    async def watch_progress(self, now: float | None = None) -> None:
        """Lag and the stall signal, against the log ends Kafka reports now (see
        `Delivery.read_progress`), and a seek for partitions that have just stalled."""
        held = self.delivery.held()
        tps = [
            tp
            for tp in self.app.consumer.assignment()
            if tp.topic == self.topic_name and tp.partition in held
        ]
        if not tps:
            self.delivery.read_progress(held, {}, time.monotonic() if now is None else now)
            return
        try:
            ends = await self.app.consumer.highwaters(*tps)
        except Exception as error:  # the broker away: the next reading will tell
            log.warning("%s: could not read the log ends (%s)", self.family.value, error)
            return
        paused = {
            tp.partition
            for tp in seam.paused_partitions(self.app.consumer)
            if tp.topic == self.topic_name
        }
        seek = self.delivery.read_progress(
            held,
            {tp.partition: end for tp, end in ends.items()},
            time.monotonic() if now is None else now,
            paused,
        )
        stuck = sorted(set(self.delivery.stalled) & paused)
        if stuck and stuck != self.stuck:
            log.error(
                "%s partitions %s are stalled and held paused by a rebalance that never "
                "finished: /healthz now answers 503, for the worker to be restarted",
                self.family.value,
                stuck,
            )
        self.stuck = stuck
        if seek:
            await self.app.consumer.seek_wait(self._tps(seek))

    def figures(self) -> dict[str, dict[tuple[str, ...], float]]:
        return self.delivery.figures()


def _add_agent(
    app: faust.App, pipe: FamilyPipe, source: faust.TopicT, buffer: RecordBuffer
) -> None:
    """The family's agent: Faust starts (and stops) it with the worker, and subscribes
    its topic before it joins the group. It applies what the consumer puts in ``buffer``
    and never reads its Faust stream."""

    async def process(stream: faust.StreamT) -> None:
        # What iterating the stream would do: have the consumer subscribe the topic.
        app.topics.add(source)
        await pipe.run(buffer)

    process.__name__ = f"process_{pipe.family.value}"
    app.agent(source, name=f"ccm.{pipe.family.value}")(process)
