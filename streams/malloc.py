"""The C allocator set for a worker that holds a month of state for weeks.

glibc raises its mmap threshold each time a large block is freed, so the megabytes of
a fetch response or a checkpoint record soon come from the heap, where what they leave
free between long-lived lifecycles is seldom given back; and it opens an arena per
thread that allocates. A year replayed into one worker (`bench/year_replay.py`, first
four months) peaked at 358 MiB resident as glibc left it, 323 MiB with the threshold
fixed at 128 KiB, and 298 MiB with two arenas as well, at the same events a second.

Operators keep the last word: glibc's own variables (``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_ARENA_MAX``), when set, are left as they are. Elsewhere than glibc, nothing.
"""

import ctypes
import functools
import logging
import os
from collections.abc import Callable

log = logging.getLogger("ccm.malloc")

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
"""mallopt's parameter numbers, from glibc's malloc.h."""

SETTINGS = (
    (M_MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_", 128 * 1024),
    (M_ARENA_MAX, "MALLOC_ARENA_MAX", 2),
)


@functools.cache
def _glibc(name: str) -> Callable[..., int] | None:
    """glibc's function ``name``; None elsewhere."""
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None


def tune(environ: dict[str, str] | None = None) -> list[str]:
    """Set what the environment leaves unset; returns the variables set this way."""
    environ = os.environ if environ is None else environ
    mallopt = _glibc("mallopt")
    if mallopt is None:
        return []
    done = []
    for parameter, variable, value in SETTINGS:
        if variable in environ:
            continue
        if mallopt(parameter, value) == 1:
            done.append(variable)
        else:
            log.warning("could not set %s to %d; going on without", variable, value)
    return done


def trim() -> None:
    """Give back to the system the pages glibc holds free inside its heap. Checkpoints
    and fetches come and go in blocks, and a month's lifecycles are forgotten at once
    when it closes: what they leave free between long-lived objects stays resident
    otherwise. Elsewhere than glibc, nothing."""
    malloc_trim = _glibc("malloc_trim")
    if malloc_trim is not None:
        malloc_trim(0)
