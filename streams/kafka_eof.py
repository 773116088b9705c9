"""kafka-python drops the bytes read in the same pass as the broker's close.

A broker that refuses a SASL login answers with the reason and then closes the
connection; when both reach the client in one read, kafka-python 3.0 discards the
answer and reports only "socket disconnected", so a wrong password looked like an
unreachable cluster. Here such a read hands its bytes on as usual and leaves the
close to the next read (a closed socket stays readable and reads empty), by which
time the answer has been acted on.
"""

from kafka.net.transport import KafkaSSLTransport, KafkaTCPTransport


def _close_after_the_bytes(read):
    def sock_recv(transport):
        data, error = read(transport)
        return data, None if data else error

    return sock_recv


for _transport in (KafkaTCPTransport, KafkaSSLTransport):
    _transport._sock_recv = _close_after_the_bytes(_transport._sock_recv)
