"""The core's per-event modules are compiled to C extensions by mypyc, beside their
sources: a month of calls goes through the core about 1.8 times as fast
(docs/scaling.md) with the same results, since mypyc compiles the Python as
written and checks its annotations as it runs. ``CCM_PURE_PYTHON=1`` at install time
skips the compiling, for a machine with no C compiler; the rest is in pyproject.toml."""

import os

from setuptools import setup

# The modules an event passes through, and every ledger: a compiled class cannot be
# subclassed by an interpreted one.
COMPILED = [
    "timebase", "tally", "ledger", "calls", "chats", "reports", "incidents", "attendance",
    "partition", "placement",
]  # fmt: skip

if os.environ.get("CCM_PURE_PYTHON") == "1":
    setup()
else:
    from mypyc.build import mypycify

    setup(
        ext_modules=mypycify(
            [f"streams/core/{module}.py" for module in COMPILED],
            opt_level="3",
            group_name="streams.core.compiled",
        )
    )
