"""Kafka producers and admin calls for the command-line tools (kafka-python).

The worker talks to Kafka through Faust/aiokafka; the one-shot tools (replay,
simulate) use kafka-python's synchronous producer, which is simpler to drive
from a plain loop and flushes deterministically at exit.
"""

from kafka import KafkaProducer
from kafka.errors import KafkaError

from streams.kafka_check import explained
from streams.settings import Settings


class EventProducer:
    """Sends raw event bytes, idempotently, and remembers the first failure."""

    def __init__(self, settings: Settings) -> None:
        with explained(settings):
            self._producer = KafkaProducer(
                **settings.kafka_python_config(),
                acks="all",
                enable_idempotence=True,
                linger_ms=20,
                batch_size=512 * 1024,
                max_request_size=1024 * 1024,
                request_timeout_ms=30_000,
                max_block_ms=settings.kafka_bootstrap_timeout_ms(),
                bootstrap_timeout_ms=settings.kafka_bootstrap_timeout_ms(),
            )
        self.failures = 0
        self.first_failure: str | None = None

    def _failed(self, error: Exception) -> None:
        self.failures += 1
        if self.first_failure is None:
            self.first_failure = f"{type(error).__name__}: {error}"

    def send(self, topic: str, key: bytes, value: bytes) -> None:
        try:
            self._producer.send(topic, key=key, value=value).add_errback(self._failed)
        except KafkaError as error:
            self._failed(error)

    def close(self, timeout_s: float = 60.0) -> None:
        self._producer.flush(timeout=timeout_s)
        self._producer.close(timeout=timeout_s)
