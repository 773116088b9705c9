"""Loaded by a worker started with this folder on PYTHONPATH (Python imports any
`sitecustomize` it finds at startup): records what the worker asks of Kafka and what it
applies, one JSON line each, in the file named by CCM_TEST_RECORDING.

- ``{"fetch": [[topic, partition, offset], ...], "sent": t}``: a fetch request as the
  Kafka client sends it to the broker (`AIOKafkaClient.send`, with the request's
  partitions and offsets read from its public ``topics``);
- ``{"applied": family, "partition": p, "first": o, "last": o, "began": t, "ended": t}``:
  one partition's messages in a batch an agent applied.

Times are `time.monotonic()` in the worker's process, so only their order is compared.
"""

import json
import os
import threading
import time

PATH = os.environ.get("CCM_TEST_RECORDING")

if PATH:
    from aiokafka.client import AIOKafkaClient

    import streams.worker

    _lock = threading.Lock()
    # Open for the life of the process.
    _out = open(PATH, "a", buffering=1)  # noqa: SIM115

    def _write(line: dict) -> None:
        with _lock:
            _out.write(json.dumps(line) + "\n")

    _send = AIOKafkaClient.send

    def _recording_send(self, node_id, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        if getattr(request, "API_KEY", None) == 1:  # Fetch
            asked = [[t, p, offset] for t, parts in request.topics for p, offset, _ in parts]
            _write({"fetch": asked, "sent": time.monotonic()})
        return _send(self, node_id, request, *args, **kwargs)

    AIOKafkaClient.send = _recording_send  # type: ignore[method-assign]

    _apply = streams.worker.FamilyPipe.apply

    def _recording_apply(self, messages):  # type: ignore[no-untyped-def]
        began = time.monotonic()
        _apply(self, messages)
        ended = time.monotonic()
        spans: dict[int, list[int]] = {}
        for message in messages:
            span = spans.setdefault(message.partition, [message.offset, message.offset])
            span[1] = message.offset
        for partition, (first, last) in spans.items():
            _write(
                {
                    "applied": self.family.value,
                    "partition": partition,
                    "first": first,
                    "last": last,
                    "began": began,
                    "ended": ended,
                }
            )

    streams.worker.FamilyPipe.apply = _recording_apply  # type: ignore[method-assign]
