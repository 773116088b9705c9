"""The generated log (tests/monthly_data.py) and its monthly pack, made once a module."""

import pytest

from streams.core.monthly import MonthlyPack
from tests import monthly_data as data


@pytest.fixture(scope="module")
def log() -> data.Log:
    return data.generate()


@pytest.fixture(scope="module")
def pack(log: data.Log) -> MonthlyPack:
    return data.pack_of(log)
