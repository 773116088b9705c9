"""A partition's checkpoints as a chain: a whole snapshot now and then, and between
snapshots only what changed, so that a checkpoint costs what changed since the last
one, not what the open month holds.

Kept under the checkpoint table's keys (a compacted topic):

- ``topic/partition``: the latest whole snapshot, as every earlier ccm kept it;
- ``topic/partition/N``: the N-th record of changes, after the snapshot numbered below N.

Every record carries its number and an id, and a record of changes the id of the one it
follows. A restore follows the chain only while it is unbroken: two workers that both
wrote for one partition during a rebalance leave a fork, and the state then goes on
from the last record both agree on, its later offsets read again from the topic (the
worker seeks back to what the state needs). A whole snapshot is written again once
the changes since the last add up to more bytes than it, so a restore never reads more
than about twice the state; the changes it replaces are deleted then.

Free of Faust and Kafka: the worker writes the records and reads them back.
"""

import json
import logging
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from streams.core.layout import digest
from streams.core.partition import SNAPSHOT_VERSION, PartitionState, UnreadableCheckpoint
from streams.core.targets import Targets
from streams.core.timebase import TimeRules

log = logging.getLogger("ccm.checkpoints")

Record = tuple[bytes, bytes | None]
"""A key of the checkpoint table and its new value (None: delete the key)."""


@dataclass
class Chain:
    """Where a partition's chain stands, as its writer knows it."""

    seq: int = 0
    """The number of the last record written (or read)."""
    last_id: str = ""
    full_seq: int | None = None
    """The number of the whole snapshot the changes build on; None: write one next."""
    full_bytes: int = 0
    changes_bytes: int = 0
    """Bytes of the changes written since that snapshot."""
    version: int | None = None
    """The format of that snapshot, which the changes after it share; None: no snapshot."""
    layout: str | None = None
    """The digest of that snapshot's count layouts (`streams.core.layout`)."""


def change_key(key: bytes, seq: int) -> bytes:
    return b"%s/%d" % (key, seq)


def write(
    state: PartitionState,
    chain: Chain,
    key: bytes,
    version: int = SNAPSHOT_VERSION,
    writer: str = "",
) -> list[Record]:
    """The records of a checkpoint of ``state`` now, under its snapshot's ``key``, in
    format ``version``. A chain is all of one format: a new format starts with a whole
    snapshot, so a worker that reads only the old one never meets the new one halfway
    along a chain. Likewise of one count layout: the snapshot names the counts, and
    the records of changes after it only the digest of those names."""
    seq, record_id = chain.seq + 1, os.urandom(8).hex()
    if (
        chain.full_seq is None
        or chain.changes_bytes >= chain.full_bytes
        or chain.version != version
        or chain.layout != state.written_layout(version)
    ):
        head = _head({"seq": seq, "id": record_id})
        value = state.snapshot(head, version, writer)
        state.track_changes()  # the snapshot holds everything so far
        records: list[Record] = [(key, value)]
        if chain.full_seq is not None:
            records += [(change_key(key, n), None) for n in range(chain.full_seq + 1, seq)]
        chain.full_seq, chain.full_bytes, chain.changes_bytes = seq, len(value) - len(head), 0
        chain.version, chain.layout = version, state.written_layout(version)
    else:
        head = _head({"seq": seq, "id": record_id, "after": chain.last_id})
        value = state.changes(head, version, writer)
        records = [(change_key(key, seq), value)]
        chain.changes_bytes += len(value) - len(head)
    chain.seq, chain.last_id = seq, record_id
    return records


def read(
    snapshot: bytes,
    change: Callable[[int], bytes | None],
    targets: Targets,
    rules: TimeRules,
) -> tuple[PartitionState, Chain]:
    """The state a chain holds: its whole ``snapshot`` brought forward by each record of
    changes after it (``change(N)``: the N-th, None when there is none) while they
    follow on. Raises `UnreadableCheckpoint` for a format this ccm does not read, or a
    record it cannot make sense of."""
    try:
        return _read(snapshot, change, targets, rules)
    except UnreadableCheckpoint:
        raise
    except (zlib.error, ValueError, KeyError, TypeError) as error:
        raise UnreadableCheckpoint(
            f"the checkpoint cannot be read ({type(error).__name__}: {error})"
        ) from error


def _read(
    snapshot: bytes,
    change: Callable[[int], bytes | None],
    targets: Targets,
    rules: TimeRules,
) -> tuple[PartitionState, Chain]:
    header, blob = _unframe(snapshot)
    state = PartitionState.restore(blob, targets, rules)
    seq = header.get("seq", 0)
    chain = Chain(
        seq,
        header.get("id", ""),
        full_seq=seq,
        full_bytes=len(blob),
        version=state.restored_from,
        layout=digest(state.held),
    )
    while (value := change(chain.seq + 1)) is not None:
        header, blob = _unframe(value)
        if header.get("after") != chain.last_id:
            log.warning(
                "%s checkpoint record %d does not follow the one before (two workers wrote "
                "for the partition during a rebalance); going on from record %d",
                state.family.value,
                chain.seq + 1,
                chain.seq,
            )
            break
        state.apply_changes(blob)
        chain.seq, chain.last_id = header["seq"], header["id"]
        chain.changes_bytes += len(blob)
    state.track_changes()
    return state, chain


def _head(header: dict) -> bytes:
    """What a record holds before its blob: the header, on a line of its own."""
    return json.dumps(header, separators=(",", ":")).encode() + b"\n"


def _unframe(value: bytes) -> tuple[dict, bytes]:
    if value[:1] == b"{":
        head, _, blob = value.partition(b"\n")
        return json.loads(head), blob
    return {}, value  # a snapshot from before checkpoints were chained: zlib, no header
