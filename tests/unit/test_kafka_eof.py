"""The broker's last answer before it closes a connection reaches kafka-python."""

from kafka.errors import KafkaConnectionError
from kafka.net.transport import KafkaSSLTransport, KafkaTCPTransport

from streams import seam
from streams.seam import _close_after_the_bytes

CLOSED = KafkaConnectionError("socket disconnected")


def reading(*outcomes):
    left = list(outcomes)
    return _close_after_the_bytes(lambda _transport: left.pop(0))


def test_bytes_read_with_the_close_are_handed_on_and_the_close_left_to_the_next_read():
    sock_recv = reading((b"answer", CLOSED), (b"", CLOSED))
    assert sock_recv(None) == (b"answer", None)
    assert sock_recv(None) == (b"", CLOSED)


def test_reads_without_a_close_and_closes_without_bytes_are_unchanged():
    sock_recv = reading((b"part", None), (b"", None), (b"", CLOSED))
    assert [sock_recv(None) for _ in range(3)] == [(b"part", None), (b"", None), (b"", CLOSED)]


def test_both_transports_read_through_the_mend_once_mended_however_often():
    seam.mend_read_before_close()
    seam.mend_read_before_close()
    for transport in (KafkaTCPTransport, KafkaSSLTransport):
        assert seam.mended(transport)
