"""The worker's record iterator over record batches built by aiokafka's own builder: every
offset handed on once, as an event or as a `Skipped` stretch, whatever fails where."""

import struct

from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.record.memory_records import MemoryRecords
from aiokafka.structs import TopicPartition

from streams import seam
from streams.runtime import Message, Skipped
from streams.seam import SkippingPartitionRecords

GZIP = 1
RECORDS_AT = 61
"""Where a v2 batch's records begin, after its header."""


def batch(base_offset: int, count: int, codec: int = 0) -> bytearray:
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=codec,
        is_transactional=False,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 20,
    )
    for i in range(count):
        builder.append(i, timestamp=0, key=b"k", value=b"event %d" % (base_offset + i), headers=[])
    built = bytearray(builder.build())
    struct.pack_into(">q", built, 0, base_offset)
    return built


def records_of(*batches: bytearray, from_offset: int = 0) -> list:
    return list(
        SkippingPartitionRecords(
            TopicPartition("calls", 0),
            MemoryRecords(b"".join(batches)),
            [],
            from_offset,
            None,
            None,
            False,
            "read_committed",
        )
    )


def read(*batches: bytearray, from_offset: int = 0) -> list[tuple[int, object]]:
    return [
        (r.offset, (r.value.kind, r.value.last_offset) if isinstance(r.value, Skipped) else r.value)
        for r in records_of(*batches, from_offset=from_offset)
    ]


def test_every_record_of_every_batch_in_offset_order() -> None:
    assert read(batch(0, 3), batch(3, 2, GZIP)) == [
        (0, b"event 0"),
        (1, b"event 1"),
        (2, b"event 2"),
        (3, b"event 3"),
        (4, b"event 4"),
    ]


def test_records_before_the_fetch_offset_are_not_handed_on_again() -> None:
    assert read(batch(0, 4, GZIP), from_offset=2) == [(2, b"event 2"), (3, b"event 3")]


def test_a_batch_that_cannot_be_decompressed_is_one_skipped_stretch() -> None:
    broken = batch(3, 4, GZIP)
    broken[RECORDS_AT + 2 : RECORDS_AT + 10] = b"\xff" * 8  # inside the gzip stream
    assert read(batch(0, 3), broken, batch(7, 1)) == [
        (0, b"event 0"),
        (1, b"event 1"),
        (2, b"event 2"),
        (3, ("undecodable", 6)),
        (7, b"event 7"),
    ]


def test_a_batch_that_fails_part_way_skips_only_what_was_not_handed_on() -> None:
    broken = batch(0, 5)
    # The second record's length and attributes: the first record reads, the rest cannot.
    broken[RECORDS_AT + 20 : RECORDS_AT + 22] = b"\x7f\x7f"
    assert read(broken, batch(5, 2)) == [
        (0, b"event 0"),
        (1, ("undecodable", 4)),
        (5, b"event 5"),
        (6, b"event 6"),
    ]


def test_an_input_topics_records_are_read_as_messages(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    broken = batch(3, 4, GZIP)
    broken[RECORDS_AT + 2 : RECORDS_AT + 10] = b"\xff" * 8
    tombstone = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=0,
        is_transactional=False,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 20,
    )
    tombstone.append(0, timestamp=0, key=b"k", value=None, headers=[])
    last = bytearray(tombstone.build())
    struct.pack_into(">q", last, 0, 7)
    batches = (batch(0, 3), broken, last)
    as_records = read(*batches)

    monkeypatch.setattr(seam, "_input_topics", frozenset({"calls"}))
    messages = records_of(*batches)
    assert {type(m) for m in messages} == {Message}
    assert {m.partition for m in messages} == {0}
    found = [
        (m.offset, (m.value.kind, m.value.last_offset) if isinstance(m.value, Skipped) else m.value)
        for m in messages
    ]
    # The same offsets and values as a ConsumerRecord would carry, a value of None as b"".
    assert found == [(o, b"" if v is None else v) for o, v in as_records]
    assert found == [
        (0, b"event 0"),
        (1, b"event 1"),
        (2, b"event 2"),
        (3, ("undecodable", 6)),
        (7, b""),
    ]
