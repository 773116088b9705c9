"""Faust's, aiokafka's and kafka-python's private parts are reached from one module only,
`streams/seam.py`, and each of its touch points still matches the installed library.

The contract tests name the touch point whose library code changed (an upgrade, or a pin
moved): try the new release touch point by touch point, as `docs/operating.md` says."""

import ast
from pathlib import Path

import pytest

from streams import seam

STREAMS = Path(__file__).resolve().parents[2] / "streams"
SEAM = STREAMS / "seam.py"
LIBRARIES = ("faust", "mode", "aiokafka", "kafka")
"""Faust with mode, the service library it is built on; aiokafka; kafka-python."""


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def library_touches(source: str) -> list[tuple[int, str, str]]:
    """Where ``source`` reaches a private part of the libraries: (line, name, how)."""
    tree = ast.parse(source)
    from_libraries: set[str] = set()
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in LIBRARIES:
                    from_libraries.add((alias.asname or alias.name).split(".")[0])
                    if any(private(part) for part in alias.name.split(".")):
                        found.append((node.lineno, alias.name, "imports a private module"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in LIBRARIES:
            if any(private(part) for part in (node.module or "").split(".")):
                found.append((node.lineno, node.module or "", "imports from a private module"))
            for alias in node.names:
                from_libraries.add(alias.asname or alias.name)
                if private(alias.name):
                    found.append((node.lineno, alias.name, "imports a private name"))
    # This module's own private names: what it defines, and what it sets on itself.
    own = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            own.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            own.add(node.attr)

    def root(expression: ast.expr) -> str | None:
        while isinstance(expression, ast.Attribute):
            expression = expression.value
        return expression.id if isinstance(expression, ast.Name) else None

    inherited: set[int] = set()
    for cls in ast.walk(tree):
        if not isinstance(cls, ast.ClassDef):
            continue
        if not any(root(base) in from_libraries for base in cls.bases):
            continue
        methods = {
            n.name for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        stored = {
            n.attr
            for n in ast.walk(cls)
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
        }
        for node in cls.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and private(node.name):
                # A private method in a library's subclass overrides (or may shadow) one of
                # the library's own.
                found.append((node.lineno, node.name, f"defines a private method on {cls.name}"))
        for node in ast.walk(cls):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
                and private(node.attr)
                and node.attr not in methods
                and node.attr not in stored
            ):
                inherited.add(id(node))
                found.append((node.lineno, node.attr, f"uses what {cls.name} inherits"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr) and id(node) not in inherited:
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            if root(node) in from_libraries or isinstance(node.ctx, ast.Store):
                found.append((node.lineno, node.attr, "reaches into a library object"))
            elif node.attr not in own:
                found.append((node.lineno, node.attr, "reaches into another object"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and private(node.args[1].value)
        ):
            found.append((node.lineno, node.args[1].value, f"{node.func.id} by name"))
    return sorted(set(found))


STDLIB_PRIVATE = {"_SubParsersAction"}
"""Private names of the standard library that `streams` uses (argparse's subcommands)."""


@pytest.mark.parametrize(
    "module",
    sorted(p for p in STREAMS.rglob("*.py") if p != SEAM),
    ids=lambda p: str(p.relative_to(STREAMS)),
)
def test_no_module_but_the_seam_touches_a_librarys_private_parts(module: Path) -> None:
    touches = [t for t in library_touches(module.read_text()) if t[1] not in STDLIB_PRIVATE]
    assert not touches, "\n".join(
        f"{module.relative_to(STREAMS.parent)}:{line}: {name} ({how}): move it into "
        "streams/seam.py, with a touch point"
        for line, name, how in touches
    )


@pytest.mark.parametrize(
    "source, name",
    [
        ("def f(consumer):\n    return consumer._commit({})\n", "_commit"),
        ("from faust.transport import consumer\nconsumer.Consumer._x = 1\n", "_x"),
        (
            "from faust.transport.drivers import aiokafka as fa\n"
            "class C(fa.Consumer):\n"
            "    async def _wait_next_records(self, timeout):\n"
            "        return self._read_offset\n",
            "_read_offset",
        ),
        ("def f(batch):\n    return getattr(batch, '_buffer', None)\n", "_buffer"),
        ("from aiokafka.record._crecords import cutil\n", "aiokafka.record._crecords"),
        ("from kafka.net.transport import _private\n", "_private"),
    ],
)
def test_the_check_finds_each_kind_of_touch(source: str, name: str) -> None:
    assert name in {found for _, found, _ in library_touches(source)}


def test_the_check_lets_a_modules_own_private_names_be() -> None:
    source = (
        "class Pipe:\n"
        "    def __init__(self):\n"
        "        self._messages = []\n"
        "    def _take(self):\n"
        "        return self._messages\n"
        "def f(pipe):\n"
        "    return pipe._take()\n"
    )
    assert library_touches(source) == []


def test_every_touch_in_the_seam_is_a_listed_touch_point() -> None:
    """The seam's own reaches, found as anywhere else, are all named in TOUCH_POINTS (or
    lie inside the aiokafka code it copies, whose fingerprint covers them)."""
    listed = {
        name.rpartition(":")[2].rpartition(".")[2]
        for point in seam.TOUCH_POINTS
        for name in (point.name, *point.depends_on)
    }
    copied = {
        "_tp",
        "_records",
        "_check_crcs",
        "_isolation_level",
        "_aborted_producers",
        "_consume_aborted_up_to",
        "_contains_abort_marker",
        "_consumer_record",
        "_unpack_records",
    }
    ours = {"_skip", "_create_worker_consumer"}  # the copy's helper; the wrapped original
    found = {name for _, name, _ in library_touches(SEAM.read_text())}
    assert found - listed - copied - ours == set()
    # Faust's paused set and commit are reached by the names the seam gives them (so that
    # a test's stand-in consumer takes them from there); the rest are found as written.
    by_name = {seam.COMMIT, seam.PAUSED_PARTITIONS}
    assert listed - {"PartitionRecords", "__init__", "_proc_fetch_request", "start"} <= (
        found | copied | by_name
    )


@pytest.mark.parametrize("point", seam.TOUCH_POINTS, ids=lambda p: p.name)
def test_each_touch_point_matches_the_installed_library(point: seam.TouchPoint) -> None:
    try:
        now = seam.fingerprint(point)
    except (AttributeError, LookupError, OSError, TypeError) as error:
        pytest.fail(f"{point.name} is gone from the installed library ({error}): {point.breaks}")
    assert now == point.fingerprint, (
        f"{point.name} ({point.how}) changed in the installed library: fingerprint {now}, "
        f"{point.fingerprint} when last checked. ccm relies on it because {point.why}; if "
        f"it no longer holds, {point.breaks}. Read the library's change, adapt "
        "streams/seam.py, then record the new fingerprint."
    )
