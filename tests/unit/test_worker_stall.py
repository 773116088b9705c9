"""A worker whose consumer stops delivering a partition says so: ccm_consumer_stalled,
an error naming the partition and its offsets, and a seek to where its state resumes.

The consumer here is a stand-in that never delivers: that is the stall being forced.
The worker's reading of real log ends is proven against the real broker in
tests/integration/test_real_producers.py and test_chaos.py."""

import asyncio
import json
import logging
from types import SimpleNamespace

import pytest
from faust.types import TP

from schemas import Family
from streams import seam
from streams.core.timebase import TimeRules
from streams.runtime import Message, Runtime
from streams.settings import Settings
from streams.worker import FamilyPipe
from tests.scenario import T0, TARGETS, at, ev


class StoppedConsumer:
    """Holds two calls partitions whose log ends are at 20 and 5, and delivers nothing."""

    def __init__(self) -> None:
        setattr(self, seam.PAUSED_PARTITIONS, {TP("calls", 1)})
        self.sought: list[dict[TP, int]] = []

    def assignment(self) -> set[TP]:
        return {TP("calls", 0), TP("calls", 1), TP("chats", 0)}

    async def highwaters(self, *tps: TP) -> dict[TP, int]:
        return {tp: {0: 20, 1: 5}[tp.partition] for tp in tps}

    async def seek_wait(self, positions: dict[TP, int]) -> None:
        self.sought.append(positions)


def stopped_pipe(consumer: StoppedConsumer) -> FamilyPipe:
    """The calls pipe of a worker whose partition 0 has applied 8 messages and partition 1
    all 5 of its own, reading from ``consumer``."""
    runtime = Runtime(TARGETS, TimeRules())
    events = [
        json.dumps(ev("call.queued", at(T0, n), call_id=f"s{n}", channel="999", queue="fcr"))
        for n in range(8)
    ]
    runtime.process(Family.CALLS, [Message(0, n, e.encode()) for n, e in enumerate(events)], 0, {})
    runtime.process(Family.CALLS, [Message(1, n, events[n].encode()) for n in range(5)], 0, {})
    app = SimpleNamespace(consumer=consumer)
    settings = Settings(stall_seconds=30)
    return FamilyPipe(app, settings, runtime, Family.CALLS, "calls", None, None)  # type: ignore[arg-type]


def test_a_stopped_partition_is_reported_stalled_and_sought(
    caplog: pytest.LogCaptureFixture,
) -> None:
    consumer = StoppedConsumer()
    pipe = stopped_pipe(consumer)

    with caplog.at_level(logging.ERROR, logger="ccm.worker"):
        asyncio.run(pipe.watch_progress(now=0.0))  # partition 0 at 8 of 20
        asyncio.run(pipe.watch_progress(now=29.0))
        assert pipe.figures()["ccm_consumer_stalled"] == {("calls",): 0}
        assert caplog.records == []
        asyncio.run(pipe.watch_progress(now=30.0))  # stalled
    figures = pipe.figures()
    assert figures["ccm_consumer_stalled"] == {("calls",): 1}
    assert figures["ccm_consumer_lag_messages"] == {("calls",): 12}  # partition 1 is caught up
    assert [r.getMessage() for r in caplog.records] == [
        "calls partitions [0] have stopped: behind the log end and unmoved for 30 s "
        "(partition 0 at 8 of 20); seeking them to the offsets their states need. If this "
        "repeats, restart the worker: its partitions resume from their checkpoints"
    ]
    assert consumer.sought == [{TP("calls", 0): 8}]

    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="ccm.worker"):
        asyncio.run(pipe.watch_progress(now=45.0))  # still stalled, said once
    assert pipe.figures()["ccm_consumer_stalled"] == {("calls",): 1}
    assert caplog.records == []
    assert len(consumer.sought) == 1


def test_a_stalled_partition_held_paused_makes_the_worker_not_live(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Faust pauses a partition until its rebalance's recovery ends; one that never ends
    (seen after a worker frozen past its session was thawed) leaves it paused, where no
    seek moves it: only a restart does."""
    consumer = StoppedConsumer()
    setattr(consumer, seam.PAUSED_PARTITIONS, {TP("calls", 0)})
    pipe = stopped_pipe(consumer)
    asyncio.run(pipe.watch_progress(now=0.0))
    assert pipe.stuck == []
    with caplog.at_level(logging.ERROR, logger="ccm.worker"):
        asyncio.run(pipe.watch_progress(now=30.0))
    assert pipe.stuck == [0]
    assert caplog.records[-1].getMessage() == (
        "calls partitions [0] are stalled and held paused by a rebalance that never finished: "
        "/healthz now answers 503, for the worker to be restarted"
    )
