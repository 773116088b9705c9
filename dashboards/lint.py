"""The rules of grafana/dashboard-linter that matter here, checked on the built JSON.

`problems(dashboard)` lists what breaks them, one line each, naming the panel:
a title and a description on the dashboard and every panel, unique titles, a unit on
every panel, the ``datasource`` template variable read by every panel and query (no
datasource uid written in), ``$__rate_interval`` in every rate, unique panel ids,
unique query refIds, and no empty rows.
"""

import re
from collections.abc import Iterator

DATASOURCE = "${datasource}"
RATE = re.compile(r"\b(rate|irate|increase)\s*\(")
RANGE = re.compile(r"\[([^\]]+)\]")


def panels(dashboard: dict) -> Iterator[dict]:
    """Every panel, rows included, in order (also those folded into collapsed rows)."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def problems(dashboard: dict) -> list[str]:
    found: list[str] = []
    uid = dashboard.get("uid") or ""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", uid):
        found.append(f"dashboard uid {uid!r}: want 1-40 of [a-z0-9-], fixed in the code")
    for key in ("title", "description"):
        if not dashboard.get(key):
            found.append(f"dashboard {uid}: no {key}")
    found += _datasource_variable(dashboard)
    found += _rows(dashboard)
    ids: set = set()
    titles: set = set()
    for panel in panels(dashboard):
        name = f"panel {panel.get('id')!r} {panel.get('title', '')!r}"
        if panel.get("id") in ids or not isinstance(panel.get("id"), int):
            found.append(f"{name}: panel id missing or not unique")
        ids.add(panel.get("id"))
        if panel.get("type") == "row":
            if not panel.get("title"):
                found.append(f"{name}: row without a title")
            continue
        found += [f"{name}: {p}" for p in _panel(panel)]
        if panel.get("title") in titles:
            found.append(f"{name}: title used by another panel")
        titles.add(panel.get("title"))
    return found


def _datasource_variable(dashboard: dict) -> list[str]:
    variables = dashboard.get("templating", {}).get("list", [])
    wanted = [
        v
        for v in variables
        if v.get("name") == "datasource"
        and v.get("type") == "datasource"
        and v.get("query") == "prometheus"
    ]
    return [] if wanted else ["no 'datasource' template variable of Prometheus data sources"]


def _rows(dashboard: dict) -> list[str]:
    found = []
    top = dashboard.get("panels", [])
    for i, panel in enumerate(top):
        if panel.get("type") != "row":
            continue
        # An open row's panels follow it up to the next row; a collapsed row holds them.
        following = top[i + 1] if i + 1 < len(top) else None
        if not panel.get("panels") and (following is None or following.get("type") == "row"):
            found.append(f"row {panel.get('title')!r} is empty")
    return found


def _panel(panel: dict) -> list[str]:
    found = []
    for key in ("title", "description"):
        if not panel.get(key):
            found.append(f"no {key}")
    if not panel.get("fieldConfig", {}).get("defaults", {}).get("unit"):
        found.append("no unit")
    if panel.get("datasource", {}).get("uid") != DATASOURCE:
        found.append(f"datasource is not {DATASOURCE}")
    targets = panel.get("targets", [])
    if not targets:
        found.append("no queries")
    ref_ids = [t.get("refId") for t in targets]
    if len(set(ref_ids)) != len(ref_ids) or not all(ref_ids):
        found.append(f"query refIds missing or repeated: {ref_ids}")
    for target in targets:
        ref = target.get("refId")
        if target.get("datasource", {}).get("uid") != DATASOURCE:
            found.append(f"query {ref}: datasource is not {DATASOURCE}")
        expr = target.get("expr", "")
        if not expr.strip():
            found.append(f"query {ref}: no expression")
        for problem in rate_problems(expr):
            found.append(f"query {ref}: {problem}")
    return found


def rate_problems(expr: str) -> list[str]:
    """Each rate(), irate() or increase() must range over ``$__rate_interval``: at least
    four scrape intervals, whatever the dashboard's time range and resolution."""
    found = []
    for match in RATE.finditer(expr):
        ranged = RANGE.search(expr, match.end())
        if ranged is None or ranged.group(1) != "$__rate_interval":
            found.append(f"{match.group(1)}() without [$__rate_interval]")
    return found
