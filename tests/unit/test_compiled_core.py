"""The core as `make setup` leaves it: compiled by mypyc (setup.py), and never an
extension older than its source."""

import ast
import importlib
import os
import tomllib
import weakref
from pathlib import Path

import pytest
import yaml

import streams.core
from streams.core.calls import CallLedger
from streams.core.chats import ChatLedger
from streams.core.incidents import IncidentLedger
from streams.core.reports import ReportLedger
from streams.core.targets import DEFAULT_TARGETS_PATH, parse_targets

CORE = Path(streams.core.__file__).parent
PURE = os.environ.get("CCM_PURE_PYTHON") == "1"
# What setup.py compiles, read without running it.
(COMPILED,) = [
    ast.literal_eval(node.value)
    for node in ast.parse((CORE.parents[1] / "setup.py").read_text()).body
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "COMPILED"
]


def test_an_extension_older_than_its_source_is_named(tmp_path: Path) -> None:
    source = tmp_path / "tally.py"
    built = tmp_path / "tally.cpython-311-x86_64-linux-gnu.so"
    source.write_text("")
    built.write_bytes(b"")
    os.utime(built, (1_000, 1_000))
    os.utime(source, (2_000, 2_000))
    assert streams.core.stale_compiled(tmp_path) == ["tally.py"]
    os.utime(built, (3_000, 3_000))
    assert streams.core.stale_compiled(tmp_path) == []


def test_a_module_with_no_extension_is_not_stale(tmp_path: Path) -> None:
    (tmp_path / "tally.py").write_text("")
    assert streams.core.stale_compiled(tmp_path) == []


@pytest.mark.skipif(PURE, reason="installed with CCM_PURE_PYTHON=1")
def test_every_module_named_for_compiling_runs_compiled() -> None:
    interpreted = [
        name
        for name in COMPILED
        if not streams.core.runs_compiled(importlib.import_module(f"streams.core.{name}"))
    ]
    assert interpreted == []


def test_make_setup_compiles_again_with_the_mypyc_the_install_used() -> None:
    project = tomllib.loads((CORE.parents[1] / "pyproject.toml").read_text())
    built_by = [r for r in project["build-system"]["requires"] if r.startswith("mypy")]
    again_by = [
        r for r in project["project"]["optional-dependencies"]["dev"] if r.startswith("mypy")
    ]
    assert built_by == again_by == ["mypy==2.4.1"]


@pytest.mark.skipif(PURE, reason="installed with CCM_PURE_PYTHON=1")
@pytest.mark.parametrize("ledger", [CallLedger, ChatLedger, ReportLedger, IncidentLedger])
def test_a_compiled_ledger_cannot_be_weakly_referenced(ledger) -> None:
    # mypyc frees a compiled class's weak-reference slot wrongly: with no Python base
    # class, a ledger has none, and a weak reference is refused instead of crashing.
    targets = parse_targets(yaml.safe_load(DEFAULT_TARGETS_PATH.read_text()))
    with pytest.raises(TypeError, match="weak reference"):
        weakref.ref(ledger(targets, 0, 0))
