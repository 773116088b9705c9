"""Definitions said in one place only.

- The Home Office's 999 bands are worked out from the cumulative counts in
  `streams.core.bands` alone: any other module taking one of those counts from another
  has written a band out again, and may drift from the national table (the workbook,
  the tidy CSV and the public dataset all print these bands).
- The service-level formulas are declared in `streams.core.service_level` alone: no
  other module names one to decide what to add up (the pack, kpis.csv, the workbook's
  words, the recording rules and the dashboards are all made from that declaration).
"""

import ast
from pathlib import Path

from streams.core.measures import MEASURES
from tests.conftest import REPO

BAND_COUNTS = ("under_10s", "under_60s")
HOME = REPO / "streams/core/bands.py"


def names_in(node: ast.AST) -> set[str]:
    """Every identifier, attribute and string key the expression mentions."""
    found = set()
    for part in ast.walk(node):
        if isinstance(part, ast.Name):
            found.add(part.id)
        elif isinstance(part, ast.Attribute):
            found.add(part.attr)
        elif isinstance(part, ast.Constant) and isinstance(part.value, str):
            found.add(part.value)
    return found


def band_arithmetic(path: Path) -> list[int]:
    """Lines where a subtraction involves a band count."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
            mentioned = names_in(node)
            if any(name.endswith(count) for name in mentioned for count in BAND_COUNTS):
                lines.append(node.lineno)
    return lines


def test_the_999_bands_are_worked_out_in_one_module() -> None:
    elsewhere = {
        str(path.relative_to(REPO)): lines
        for path in sorted((REPO / "streams").rglob("*.py"))
        if path != HOME and (lines := band_arithmetic(path))
    }
    assert elsewhere == {}
    assert band_arithmetic(HOME)  # the check does see a band worked out


def test_the_check_finds_a_band_written_out_again(tmp_path: Path) -> None:
    again = tmp_path / "again.py"
    again.write_text('def f(t):\n    return t["answered_under_60s"] - t["answered_under_10s"]\n')
    assert band_arithmetic(again) == [2]


FORMULAS = {"ignore_abandons", "abandons_within_target_met", "IGNORE_ABANDONS",
            "ABANDONS_WITHIN_TARGET_MET"}  # fmt: skip
FORMULA_HOMES = {REPO / "streams/core/service_level.py", REPO / "streams/core/targets.py"}


def formulas_named(path: Path) -> list[int]:
    """Lines naming a formula other than the default, by its value or its member."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        named = (isinstance(node, ast.Constant) and node.value in FORMULAS) or (
            isinstance(node, ast.Attribute) and node.attr in FORMULAS
        )
        if named:
            lines.append(node.lineno)
    return lines


def test_the_service_level_formulas_are_declared_in_one_module() -> None:
    sources = [*(REPO / "streams").rglob("*.py"), *(REPO / "dashboards").rglob("*.py")]
    elsewhere = {
        str(path.relative_to(REPO)): lines
        for path in sorted(sources)
        if path not in FORMULA_HOMES and (lines := formulas_named(path))
    }
    assert elsewhere == {}
    assert formulas_named(REPO / "streams/core/service_level.py")


def test_the_check_finds_a_formula_decided_again(tmp_path: Path) -> None:
    again = tmp_path / "again.py"
    again.write_text('def f(r):\n    return r.formula == "ignore_abandons"\n')
    assert formulas_named(again) == [2]


# --- the measures ------------------------------------------------------------------------

MEASURE_HOME = REPO / "streams/core/measures.py"
DIVIDING = {"percent", "one_decimal"}


def _fields_of(measure, counts) -> set[str]:
    return {measure.field(c) for c in counts}


MONTHLY_TERMS = [
    (m.name, _fields_of(m, m.top), _fields_of(m, m.bottom)) for m in MEASURES if m.monthly
]


def measures_worked_out(path: Path) -> list[tuple[int, str]]:
    """(line, measure) where `percent` or `one_decimal` divides a measure's numerator
    fields by its denominator's: a measure written out again."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and len(node.args) >= 2):
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if isinstance(node.func, ast.Name):
            called = node.func.id
        if called not in DIVIDING:
            continue
        top, bottom = names_in(node.args[0]), names_in(node.args[1])
        for name, fields_top, fields_bottom in MONTHLY_TERMS:
            if fields_top <= top and fields_bottom & bottom:
                found.append((node.lineno, name))
    return found


def test_each_measure_is_worked_out_in_one_module() -> None:
    sources = [*(REPO / "streams").rglob("*.py"), *(REPO / "dashboards").rglob("*.py")]
    elsewhere = {
        str(path.relative_to(REPO)): found
        for path in sorted(sources)
        if path != MEASURE_HOME and (found := measures_worked_out(path))
    }
    assert elsewhere == {}


def test_the_check_finds_a_measure_worked_out_again(tmp_path: Path) -> None:
    again = tmp_path / "again.py"
    again.write_text(
        "def f(r):\n    return percent(r.abandoned, r.answered + r.abandoned)\n"
        "def g(t):\n    return one_decimal(t['accept_us_sum'], t['accepted'], US)\n"
    )
    assert measures_worked_out(again) == [
        (2, "call_abandonment"), (2, "chat_abandonment"), (4, "chat_average_wait_seconds")
    ]  # fmt: skip
