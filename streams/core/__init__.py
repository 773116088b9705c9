"""The pure KPI core: definitions, windows and scoring over plain state.

Nothing here imports faust, aiokafka, kafka or prometheus_client (a test enforces
it). Time is always an explicit argument, in integer microseconds since the
epoch (UTC), so that arithmetic is exact and never wall-clock arithmetic.
"""

from pathlib import Path
from types import ModuleType


def runs_compiled(module: ModuleType) -> bool:
    """Whether ``module`` was imported from mypyc's extension rather than its source."""
    return (module.__file__ or "").endswith(".so")


def stale_compiled(folder: Path) -> list[str]:
    """The modules in ``folder`` whose source changed after mypyc compiled it (setup.py):
    Python would import the extension and run the old code."""
    stale = []
    for built in sorted(folder.glob("*.so")):
        source = folder / f"{built.name.split('.')[0]}.py"
        if source.exists() and source.stat().st_mtime > built.stat().st_mtime:
            stale.append(source.name)
    return stale


if _stale := stale_compiled(Path(__file__).parent):
    raise ImportError(
        f"streams/core/{', '.join(_stale)} changed after it was compiled: run `make setup` "
        "to compile the core again, or delete streams/core/*.so to run it as plain Python"
    )
