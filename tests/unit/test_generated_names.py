"""Every metric name in every generated PromQL expression (the recording and alerting
rules, every dashboard panel) is one the worker exposes (`streams.core.catalog`), a
recording rule generated beside them, or one of Prometheus's own: a retyped name that
drifted from the catalog fails here, before a panel goes blank or an alert never fires.
Expressions are parsed by promql-parser (the Prometheus parser's grammar), not matched
by pattern."""

import json
import re
from functools import cache

import promql_parser
import pytest
import yaml

from streams.core.catalog import BY_NAME
from tests.conftest import REPO

RULES = sorted((REPO / "deploy/prometheus/rules").glob("*.rules.yml"))
DASHBOARDS = sorted((REPO / "deploy/grafana/dashboards").glob("*.json"))
PROMETHEUS_OWN = {"ALERTS", "ALERTS_FOR_STATE", "up"}
PROCESS = {
    f"process_{name}"
    for name in ("resident_memory_bytes", "virtual_memory_bytes", "cpu_seconds_total",
                 "open_fds", "max_fds", "start_time_seconds")
}  # fmt: skip
"""What prometheus-client's process collector adds to every worker's /metrics."""
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


@cache
def exposed() -> set[str]:
    """The series names the catalog's metrics appear under on /metrics."""
    names = set()
    for spec in BY_NAME.values():
        names |= {
            "gauge": {spec.name},
            "counter": {f"{spec.name}_total", f"{spec.name}_created"},
            "histogram": {f"{spec.name}_{s}" for s in ("bucket", "sum", "count", "created")},
            "info": {f"{spec.name}_info"},
        }[spec.kind]
    return names | PROMETHEUS_OWN | PROCESS


@cache
def recorded() -> set[str]:
    return {
        rule["record"]
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    }


def expressions() -> list[tuple[str, str]]:
    found = [
        (f"{path.name}: {rule.get('record') or rule.get('alert')}", rule["expr"])
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]

    def walk(node, where: str) -> None:
        if isinstance(node, dict):
            title = node.get("title", where)
            for key, value in node.items():
                if key == "expr" and isinstance(value, str):
                    found.append((title, value))
                walk(value, title)
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    for path in DASHBOARDS:
        walk(json.loads(path.read_text()), path.name)
    return found


def without_grafana_variables(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return re.sub(r"\$\{?\w+\}?", "x", expr)  # a template variable's value: a label value


def selected(node) -> set[str]:
    """The metric names of every selector in the expression."""
    if isinstance(node, promql_parser.VectorSelector):
        return {node.name} if node.name else set()
    names: set[str] = set()
    for attribute in ("lhs", "rhs", "expr", "vector_selector", "param"):
        child = getattr(node, attribute, None)
        if child is not None and not isinstance(child, str | int | float):
            names |= selected(child)
    for argument in getattr(node, "args", None) or ():
        names |= selected(argument)
    return names


def test_there_are_expressions_to_check() -> None:
    where = {w.split(":")[0] for w, _ in expressions()}
    assert len(expressions()) >= 150
    assert {p.name for p in RULES} <= where


@pytest.mark.parametrize(("where", "expr"), expressions(), ids=lambda x: x[:60])
def test_every_name_an_expression_selects_is_exposed_or_recorded(where: str, expr: str) -> None:
    names = selected(promql_parser.parse(without_grafana_variables(expr)))
    assert names, f"{where}: selects no metric"
    unknown = names - exposed() - recorded()
    assert not unknown, f"{where}: {sorted(unknown)} is in no catalog"


@pytest.mark.parametrize(
    "expr",
    [
        "sum(ccm_call_legs_answerd{window='1h'})",  # a typo
        "rate(ccm_events_consumed[5m])",  # a counter without its _total
        "channel_queue_window:ccm_call_legs_answered:rati",
    ],
)
def test_a_name_in_no_catalog_is_found(expr: str) -> None:
    names = selected(promql_parser.parse(expr))
    assert names - exposed() - recorded()
