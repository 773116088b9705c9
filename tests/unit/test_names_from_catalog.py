"""The PromQL the dashboards and alerts make names its metrics from the catalog
(`streams.core.catalog`, the families' declarations), never by typing them again: no
string in `dashboards/` or `streams/alerting/` holds a metric name of the catalog, nor
the name a counter, histogram or info metric is exposed under. A renamed metric then
changes every query and rule with it.

Docstrings may mention names; recording rules' names (``family:ccm_…:sum``) are the
rules' own, so a name next to a colon is not one typed again.
"""

import ast
import re
from pathlib import Path

from streams.core.catalog import BY_NAME, CONSUMER_STALLED, EVENTS_CONSUMED
from tests.conftest import REPO

SOURCES = ("dashboards", "streams/alerting")
EXPOSED_AS = ("", "_total", "_bucket", "_sum", "_count", "_info")
"""Suffixes prometheus-client adds: counters, histograms, info metrics."""
NAMES = frozenset(name + suffix for name in BY_NAME for suffix in EXPOSED_AS)
TOKEN = re.compile(r"(?<!:)\bccm_[a-z0-9_]+\b(?!:)")


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstrings' nodes: a string first in a module, class or function."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def names_typed(path: Path) -> list[tuple[int, str]]:
    """(line, name) of every catalog metric name in a string constant, the literal parts
    of f-strings included, docstrings aside."""
    tree = ast.parse(path.read_text(), str(path))
    skip = docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            found += [(node.lineno, t) for t in TOKEN.findall(node.value) if t in NAMES]
    return sorted(found)


def test_no_metric_name_is_typed_in_the_promql_made() -> None:
    sources = sorted(path for folder in SOURCES for path in (REPO / folder).rglob("*.py"))
    assert len(sources) > 10
    typed = {str(path.relative_to(REPO)): found for path in sources if (found := names_typed(path))}
    assert typed == {}


def test_the_check_finds_a_name_typed_again(tmp_path: Path) -> None:
    stalled, consumed = CONSUMER_STALLED.name, EVENTS_CONSUMED.name
    again = tmp_path / "again.py"
    again.write_text(
        f'"""The docstring may say {stalled}."""\n'
        f'LAG = "family:{stalled}:sum > 0"\n'
        f'STALLED = "max by (family) ({stalled}) == 1"\n'
        "RATE = f'sum(rate(" + consumed + "_total{F}[5m]))'\n"
        f'BUILT = f"max({{CONSUMER_STALLED.name}})"\n'
        f'NOT_OURS = "{stalled}_seconds + ccm_unknown"\n'
    )
    assert names_typed(again) == [(3, stalled), (4, f"{consumed}_total")]
