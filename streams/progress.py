"""Is each held partition keeping up with its log? Consumer lag and the stall signal.

A worker that silently stops consuming is the worst failure ccm can have: every
figure stays plausible and goes wrong. So the worker compares, every few seconds,
the next offset each partition's state needs with the partition's log end (the last
stable offset: committed transactions only), and calls a partition stalled when it
is behind and has not moved for ``stall_seconds``. Free of Faust and Kafka, so that
it is tested with plain numbers.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FamilyProgress:
    stalled: tuple[int, ...]
    """Partitions behind their log end that have not moved for the stall time."""
    newly_stalled: tuple[int, ...]
    """Of those, the ones that were not stalled at the last reading."""


@dataclass
class _Partition:
    next_offset: int
    end: int
    moved_at: float
    stalled: bool = False


@dataclass
class ProgressWatch:
    stall_seconds: float
    _partitions: dict[int, _Partition] = field(default_factory=dict)

    def read(self, positions: dict[int, tuple[int, int]], now: float) -> FamilyProgress:
        """``positions`` maps each held partition to (the next offset its state needs,
        its log end); partitions not in it are no longer held and are forgotten."""
        for gone in self._partitions.keys() - positions.keys():
            del self._partitions[gone]
        stalled: list[int] = []
        newly: list[int] = []
        for partition, (next_offset, end) in sorted(positions.items()):
            seen = self._partitions.get(partition)
            if seen is None or seen.next_offset != next_offset or end <= next_offset:
                # Moving, or caught up (a quiet partition is not a stalled one).
                self._partitions[partition] = _Partition(next_offset, end, now)
                continue
            seen.end = end
            if now - seen.moved_at >= self.stall_seconds:
                stalled.append(partition)
                if not seen.stalled:
                    newly.append(partition)
                seen.stalled = True
        return FamilyProgress(tuple(stalled), tuple(newly))

    def lag(self, next_offsets: dict[int, int]) -> int:
        """Offsets on the log ends (as last read) not yet applied, over the partitions
        in ``next_offsets`` (each partition's next offset now): a lag made up since the
        reading no longer shows, and one that grew shows at the next."""
        return sum(
            max(0, seen.end - next_offsets[partition])
            for partition, seen in self._partitions.items()
            if partition in next_offsets
        )
