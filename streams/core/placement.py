"""Which partition of its topic holds a lifecycle: the one Kafka's default partitioner
picks for the lifecycle's id, so that an export from the log keeps the worker's states.

Kafka's clients take murmur2 of the key's bytes (Java's `Utils.murmur2`). kafka-python
has it in plain Python, at some 5 µs a key; compiled here (setup.py), with every product
kept below 2**32 so that it stays in machine integers, it is a small part of that. An
export meets a new lifecycle id in nearly every third line.
"""

import struct
from typing import Final

_SEED: Final = 0x9747B28C
_M: Final = 0x5BD1E995
_MASK: Final = 0xFFFFFFFF
_M_LOW: Final = _M & 0xFFFF
_M_HIGH: Final = _M >> 16

_words: dict[int, struct.Struct] = {}
"""Little-endian 32-bit words, by how many: read in one call, not a byte at a time."""


def _times_m(x: int) -> int:
    """``x * _M`` modulo 2**32, for ``x`` below 2**32, from products of 16-bit halves
    (the product itself would leave machine integers for Python's long ones)."""
    low, high = x & 0xFFFF, x >> 16
    return (low * _M_LOW + (((high * _M_LOW + low * _M_HIGH) & 0xFFFF) << 16)) & _MASK


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of ``data``, as an unsigned 32-bit value."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    end = length - length % 4
    words = _words.get(end)
    if words is None:
        words = _words[end] = struct.Struct(f"<{end // 4}I")
    for k in words.unpack_from(data):
        k = _times_m(k)
        k ^= k >> 24
        k = _times_m(k)
        h = _times_m(h) ^ k
    extra = length % 4
    if extra >= 3:
        h ^= data[end + 2] << 16
    if extra >= 2:
        h ^= data[end + 1] << 8
    if extra >= 1:
        h ^= data[end]
        h = _times_m(h)
    h ^= h >> 13
    h = _times_m(h)
    h ^= h >> 15
    return h


def partition_for(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives a message with this key."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions
