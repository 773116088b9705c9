"""Every panel query of a built dashboard, and the same with its template variables
widened to all their values, as Prometheus itself can run it."""

from dataclasses import dataclass

from dashboards.lint import panels

RATE_INTERVAL = "1m"
"""What ``$__rate_interval`` stands for outside Grafana: four 15 s scrapes."""


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    ref_id: str
    expr: str
    instant: bool

    @property
    def name(self) -> str:
        return f"{self.dashboard} / {self.panel} / {self.ref_id}"


def panel_queries(dashboard: dict) -> list[PanelQuery]:
    found = []
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            found.append(
                PanelQuery(
                    dashboard["uid"],
                    panel["title"],
                    target["refId"],
                    target["expr"],
                    bool(target.get("instant")),
                )
            )
    return found


def widened(dashboard: dict, expr: str, rate_interval: str = RATE_INTERVAL) -> str:
    """``expr`` with each variable at "All" (its all-value, or every value) and
    Grafana's ``$__rate_interval`` at ``rate_interval``."""
    out = expr.replace("$__rate_interval", rate_interval)
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "datasource":
            continue
        name = variable["name"]
        value = variable.get("allValue") or "|".join(
            str(v).strip() for v in str(variable.get("query", "")).split(",")
        )
        out = out.replace("${" + name + "}", value).replace("$" + name, value)
    return out
