"""Panels the four dashboards share the look of, on grafana-foundation-sdk's builders.

Every panel reads the dashboard's ``datasource`` variable (never a datasource uid),
has a unit and, where a target exists, thresholds from `dashboards.thresholds`.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from grafana_foundation_sdk.builders import bargauge, common, piechart, prometheus, stat, table
from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.builders import timeseries as ts
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus as prometheus_model

from dashboards.thresholds import Steps, neutral

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


def _targets(queries: Sequence[Query], instant: bool) -> list[prometheus.Dataquery]:
    built = []
    for q in queries:
        target = prometheus.Dataquery().expr(q.expr).datasource(DATASOURCE)
        target = target.instant() if instant else target.range()
        if q.legend:
            target = target.legend_format(q.legend)
        built.append(target)
    return built


def _thresholds(steps: Steps) -> board.ThresholdsConfig:
    return (
        board.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=s.value, color=s.color) for s in steps])
    )


def _common(panel, title: str, description: str, unit: str, steps: Steps, w: int, h: int):
    return (
        panel.title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .thresholds(_thresholds(steps))
        .span(w)
        .height(h)
    )


def _last_value() -> common.ReduceDataOptions:
    return common.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def stat_panel(
    title: str,
    description: str,
    unit: str,
    queries: Sequence[Query],
    steps: Steps | None = None,
    w: int = 3,
    h: int = 5,
    decimals: int | None = None,
) -> stat.Panel:
    """Big numbers, coloured by their thresholds, readable across a room."""
    panel = _common(stat.Panel(), title, description, unit, steps or neutral(), w, h)
    panel = (
        panel.targets(_targets(queries, instant=True))
        .reduce_options(_last_value())
        .color_mode(common_model.BigValueColorMode.BACKGROUND)
        .graph_mode(common_model.BigValueGraphMode.NONE)
        .text_mode(common_model.BigValueTextMode.VALUE_AND_NAME)
        .justify_mode(common_model.BigValueJustifyMode.CENTER)
    )
    return panel.decimals(decimals) if decimals is not None else panel


def bar_panel(
    title: str,
    description: str,
    unit: str,
    queries: Sequence[Query],
    steps: Steps | None = None,
    w: int = 6,
    h: int = 7,
) -> bargauge.Panel:
    """One bar per series (per grade, per category)."""
    panel = _common(bargauge.Panel(), title, description, unit, steps or neutral(), w, h)
    return (
        panel.targets(_targets(queries, instant=True))
        .reduce_options(_last_value())
        .orientation(common_model.VizOrientation.HORIZONTAL)
        .display_mode(common_model.BarGaugeDisplayMode.BASIC)
        .min(0)
    )


def pie_panel(
    title: str, description: str, unit: str, queries: Sequence[Query], w: int = 6, h: int = 7
) -> piechart.Panel:
    panel = _common(piechart.Panel(), title, description, unit, neutral(), w, h)
    return (
        panel.targets(_targets(queries, instant=True))
        .reduce_options(_last_value())
        .pie_type("donut")
        .display_labels(["name", "percent"])
        .color_scheme(board.FieldColor().mode(model.FieldColorModeId.PALETTE_CLASSIC))
    )


def time_panel(
    title: str,
    description: str,
    unit: str,
    queries: Sequence[Query],
    steps: Steps | None = None,
    w: int = 12,
    h: int = 8,
    interval: str | None = None,
) -> ts.Panel:
    """A line per series; with ``steps``, the thresholds drawn as dashed lines."""
    panel = _common(ts.Panel(), title, description, unit, steps or neutral(), w, h)
    panel = (
        panel.targets(_targets(queries, instant=False))
        .line_width(2)
        .fill_opacity(0)
        .show_points(common_model.VisibilityMode.NEVER)
        .color_scheme(board.FieldColor().mode(model.FieldColorModeId.PALETTE_CLASSIC))
        .thresholds_style(
            common.GraphThresholdsStyleConfig().mode(
                common_model.GraphThresholdsStyleMode.DASHED
                if steps
                else common_model.GraphThresholdsStyleMode.OFF
            )
        )
    )
    return panel.interval(interval) if interval else panel


def table_panel(
    title: str, description: str, queries: Sequence[Query], w: int = 24, h: int = 7
) -> table.Panel:
    panel = _common(table.Panel(), title, description, "none", neutral(), w, h)
    targets = [
        t.format(prometheus_model.PromQueryFormat.TABLE) for t in _targets(queries, instant=True)
    ]
    return panel.targets(targets)


def datasource_variable() -> board.DatasourceVariable:
    return board.DatasourceVariable("datasource").label("Data source").type("prometheus")


def dashboard(
    uid: str,
    title: str,
    description: str,
    refresh: str,
    time_from: str,
    rows: Sequence[tuple[str, Sequence]],
    variables: Sequence = (),
) -> board.Dashboard:
    built = (
        board.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["ccm"])
        .timezone("Europe/London")
        .refresh(refresh)
        .time(time_from, "now")
        .readonly()
        .with_variable(datasource_variable())
    )
    for variable in variables:
        built = built.with_variable(variable)
    for row_title, panels in rows:
        built = built.with_row(board.Row(row_title))
        for panel in panels:
            built = built.with_panel(panel)
    return built
