"""The worker's allocator settings (`streams.malloc`)."""

import platform

import pytest

from streams import malloc


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_takes_both_settings() -> None:
    assert malloc.tune({}) == ["MALLOC_MMAP_THRESHOLD_", "MALLOC_ARENA_MAX"]


def test_what_the_operator_set_is_left_alone() -> None:
    assert malloc.tune({"MALLOC_MMAP_THRESHOLD_": "1", "MALLOC_ARENA_MAX": "8"}) == []


def _resident_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_trim_gives_back_what_freed_blocks_left_resident() -> None:
    # Blocks of 64 KiB come from the heap (below the mmap threshold); one kept at the
    # end holds the heap's top, so only a trim can give back the pages below it.
    malloc.tune({})
    blocks = [bytearray(64 * 1024) for _ in range(1600)]  # 100 MiB, touched
    keep = bytearray(64 * 1024)
    del blocks
    before = _resident_kib()
    malloc.trim()
    assert before - _resident_kib() > 50 * 1024
    del keep


def test_without_glibc_nothing_is_set_or_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_libc(_name: object) -> object:
        raise OSError("not glibc")

    monkeypatch.setattr(malloc.ctypes, "CDLL", no_libc)
    malloc._glibc.cache_clear()
    try:
        assert malloc.tune({}) == []
        malloc.trim()  # and no error
        assert malloc._glibc("malloc_trim") is None
    finally:
        malloc._glibc.cache_clear()
