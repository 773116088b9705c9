"""The compiled murmur2 against kafka-python's, which the replay's producer uses: an
export from the log must place each lifecycle in the partition the worker read it from."""

import random

from hypothesis import given
from hypothesis import strategies as st
from kafka.partitioner.default import murmur2 as kafka_murmur2

from streams.core.placement import murmur2, partition_for


@given(st.binary(max_size=300))
def test_murmur2_is_kafka_pythons(data: bytes) -> None:
    assert murmur2(data) == kafka_murmur2(data)


def test_murmur2_of_every_tail_length_and_high_bytes() -> None:
    rng = random.Random(7)
    for length in range(0, 40):
        data = bytes(rng.choice((0, 0x7F, 0x80, 0xFF, rng.randrange(256))) for _ in range(length))
        assert murmur2(data) == kafka_murmur2(data)


def test_known_values() -> None:
    # Kafka's own test vectors (UtilsTest.testMurmur2), as unsigned 32-bit values.
    assert murmur2(b"21") == -973932308 & 0xFFFFFFFF
    assert murmur2(b"foobar") == -790332482 & 0xFFFFFFFF
    assert murmur2(b"a-little-bit-long-string") == -985981536 & 0xFFFFFFFF
    assert murmur2(b"a-little-bit-longer-string") == -1486304829 & 0xFFFFFFFF
    assert murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971 & 0xFFFFFFFF
    assert murmur2(b"abc") == 479470107


def test_partition_for_a_lifecycle_id() -> None:
    for n in range(2000):
        key = f"call-2026-03-{n:06d}"
        assert partition_for(key, 6) == (kafka_murmur2(key.encode()) & 0x7FFFFFFF) % 6
