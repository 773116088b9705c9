"""The worker's allocator settings (`streams.malloc`)."""

import platform

import pytest

from streams import malloc


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_takes_both_settings() -> None:
    assert malloc.tune({}) == ["MALLOC_MMAP_THRESHOLD_", "MALLOC_ARENA_MAX"]


def test_what_the_operator_set_is_left_alone() -> None:
    assert malloc.tune({"MALLOC_MMAP_THRESHOLD_": "1", "MALLOC_ARENA_MAX": "8"}) == []
