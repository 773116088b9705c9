from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.settings import Settings
from tests.integration.worker import WorkerProcess


@pytest.fixture
def worker(kafka_settings: Settings, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A real worker on the test's own topics (not started: tests may set its environment)."""
    process = WorkerProcess(kafka_settings, tmp_path)
    try:
        yield process
    finally:
        process.stop()
