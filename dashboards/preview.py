"""PNG previews of the dashboards, drawn from a real Prometheus, for readers without a
Grafana (docs/dashboard-*.png, made by deploy/render-dashboard-previews).

Each panel is drawn where its gridPos puts it, from its own queries (variables widened
to all values): stats as coloured numbers, bar gauges as bars, pies as donuts, time
series as lines over the time Prometheus has been scraping, tables as rows.
"""

import argparse
import json
import math
import re
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

from dashboards.build import BUILT_DIR
from dashboards.lint import panels
from dashboards.queries import widened

COLOURS = {"green": "#73BF69", "orange": "#FF9830", "red": "#F2495C", "blue": "#5794F2"}
PALETTE = ["#73BF69", "#F2CC0C", "#8AB8FF", "#FF780A", "#F2495C", "#5794F2", "#B877D9"]
BACKGROUND, PANEL, TEXT, MUTED = "#111217", "#181b1f", "#ccccdc", "#8e8e99"
COLUMN_IN, ROW_IN = 0.75, 0.34


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _get(self, path: str, **params: str) -> list[dict]:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=30) as r:
            return json.load(r)["data"]["result"]

    def instant(self, expr: str) -> list[dict]:
        return self._get("query", query=expr)

    def series(self, expr: str, start: float, end: float) -> list[dict]:
        step = max(1.0, (end - start) / 200)
        return self._get("query_range", query=expr, start=str(start), end=str(end), step=str(step))


def legend(template: str, labels: dict) -> str:
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), template)


def formatted(value: float, unit: str) -> str:
    if math.isnan(value):
        return "No data"
    if unit == "percentunit":
        return f"{value * 100:.1f}%"
    if unit == "s":
        for size, name in ((86400, "day"), (3600, "hour"), (60, "min")):
            if abs(value) >= size:
                return f"{value / size:.1f} {name}"
        return f"{value:.0f} s" if abs(value) >= 10 else f"{value:.1f} s"
    if unit == "bytes":
        return f"{value / 2**20:.0f} MiB"
    if unit == "eps":
        return f"{value:.1f} /s"
    if unit == "dateTimeAsIso":
        return datetime.fromtimestamp(value / 1000, UTC).strftime("%H:%M:%S")
    if unit.startswith("suffix:"):
        return f"{value:.2f}{unit.removeprefix('suffix:')}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def colour(value: float, panel: dict) -> str:
    steps = panel["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [])
    chosen = "blue"
    for step in steps:
        if step["value"] is None or (not math.isnan(value) and value >= step["value"]):
            chosen = step["color"]
    return COLOURS.get(chosen, chosen)


def _values(board: dict, panel: dict, prometheus: Prometheus) -> list[tuple[str, float]]:
    found = []
    for target in panel["targets"]:
        for r in prometheus.instant(widened(board, target["expr"])):
            name = legend(target.get("legendFormat", ""), r["metric"]) or target["refId"]
            found.append((name, float(r["value"][1])))
    return found


def _stat(ax, board, panel, prometheus) -> None:
    values = _values(board, panel, prometheus) or [("", math.nan)]
    unit = panel["fieldConfig"]["defaults"]["unit"]
    width = 1 / len(values)
    for i, (name, value) in enumerate(values):
        ax.add_patch(Rectangle((i * width + 0.01, 0.02), width - 0.02, 0.74,
                               color=colour(value, panel), transform=ax.transAxes))  # fmt: skip
        ax.text(i * width + width / 2, 0.45, formatted(value, unit), ha="center", va="center",
                fontsize=15 if len(values) < 3 else 12, color="white", weight="bold",
                transform=ax.transAxes)  # fmt: skip
        if len(values) > 1 or panel["targets"][0].get("legendFormat", "").startswith("{{"):
            ax.text(i * width + width / 2, 0.12, name, ha="center", fontsize=7, color="white",
                    transform=ax.transAxes)  # fmt: skip


def _bars(ax, board, panel, prometheus) -> None:
    values = sorted(_values(board, panel, prometheus))
    unit = panel["fieldConfig"]["defaults"]["unit"]
    if not values:
        ax.text(0.5, 0.4, "No data", ha="center", color=MUTED, transform=ax.transAxes)
        return
    top = max([v for _, v in values if not math.isnan(v)] + [1e-9])
    step = 0.76 / len(values)
    for i, (name, value) in enumerate(values):
        y = 0.74 - (i + 1) * step
        share = 0 if math.isnan(value) else value / (1 if unit == "percentunit" else top)
        ax.add_patch(Rectangle((0.38, y + step * 0.15), 0.5 * share, step * 0.7,
                               color=colour(value, panel), transform=ax.transAxes))  # fmt: skip
        ax.text(0.36, y + step / 2, name, ha="right", va="center", fontsize=6.5, color=TEXT,
                transform=ax.transAxes)  # fmt: skip
        ax.text(0.9, y + step / 2, formatted(value, unit), va="center", fontsize=6.5,
                color=TEXT, transform=ax.transAxes)  # fmt: skip


def _pie(ax, board, panel, prometheus) -> None:
    values = [(n, v) for n, v in sorted(_values(board, panel, prometheus)) if v > 0]
    inner = ax.inset_axes((0.05, 0.02, 0.5, 0.72))
    if values:
        inner.pie([v for _, v in values], colors=PALETTE[: len(values)],
                  wedgeprops={"width": 0.4, "edgecolor": PANEL})  # fmt: skip
    for i, (name, value) in enumerate(values):
        ax.text(0.6, 0.62 - i * 0.13, f"{name}  {formatted(value, 'percentunit')}",
                fontsize=7, color=PALETTE[i], transform=ax.transAxes)  # fmt: skip


def _lines(ax, board, panel, prometheus, start: float, end: float) -> None:
    inner = ax.inset_axes((0.08, 0.12, 0.62, 0.62))
    inner.set_facecolor(PANEL)
    inner.tick_params(colors=MUTED, labelsize=6)
    for side in inner.spines.values():
        side.set_color("#2c3235")
    unit = panel["fieldConfig"]["defaults"]["unit"]
    names = []
    for target in panel["targets"]:
        for r in prometheus.series(widened(board, target["expr"]), start, end):
            xs = [(float(t) - end) / 60 for t, _ in r["values"]]
            ys = [float(v) for _, v in r["values"]]
            ys = [y * {"percentunit": 100, "bytes": 2**-20}.get(unit, 1) for y in ys]
            line = PALETTE[len(names) % len(PALETTE)]
            inner.plot(xs, ys, color=line, linewidth=1.2)
            names.append((legend(target.get("legendFormat", ""), r["metric"]), line))
    inner.set_xlabel("minutes before now", fontsize=6, color=MUTED)
    if unit in ("percentunit", "bytes", "s", "eps"):
        label = {"percentunit": "%", "bytes": "MiB", "s": "s", "eps": "/s"}[unit]
        inner.set_ylabel(label, fontsize=6, color=MUTED)
    for i, (name, line) in enumerate(names[:8]):
        ax.text(0.74, 0.68 - i * 0.08, name, fontsize=6, color=line, transform=ax.transAxes)


def _table(ax, board, panel, prometheus) -> None:
    rows = [r["metric"] for t in panel["targets"] for r in prometheus.instant(t["expr"])]
    if not rows:
        ax.text(0.5, 0.4, "No alerts firing", ha="center", color=COLOURS["green"],
                fontsize=11, transform=ax.transAxes)  # fmt: skip
    for i, labels in enumerate(rows[:6]):
        text = "  ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "__name__")
        ax.text(0.02, 0.62 - i * 0.1, text, fontsize=6.5, color=TEXT, transform=ax.transAxes)


def render(board: dict, prometheus: Prometheus, out: Path, start: float, end: float) -> Path:
    top = [p for p in panels(board)]
    height = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in top)
    figure = plt.figure(figsize=(24 * COLUMN_IN, (height + 2) * ROW_IN), facecolor=BACKGROUND)
    rows_in = height + 2
    figure.text(0.01, 1 - 0.9 / rows_in, board["title"], fontsize=16, color="white",
                weight="bold", va="center")  # fmt: skip
    stamp = datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%d %H:%M UTC")
    figure.text(0.99, 1 - 0.9 / rows_in, f"ccm · {stamp} · simulated force", fontsize=8,
                color=MUTED, ha="right", va="center")  # fmt: skip
    for panel in top:
        g = panel["gridPos"]
        box = (g["x"] / 24 + 0.002, 1 - (g["y"] + g["h"] + 1.5) / rows_in + 0.002,
               g["w"] / 24 - 0.004, g["h"] / rows_in - 0.004)  # fmt: skip
        ax = figure.add_axes(box)
        ax.set_xticks([])
        ax.set_yticks([])
        if panel["type"] == "row":
            ax.axis("off")
            ax.text(0, 0.3, panel["title"], fontsize=10, color="white", weight="bold",
                    transform=ax.transAxes)  # fmt: skip
            continue
        ax.set_facecolor(PANEL)
        for side in ax.spines.values():
            side.set_color("#2c3235")
        ax.text(0.02, 0.88, panel["title"], fontsize=7.5, color=TEXT, transform=ax.transAxes,
                va="center", clip_on=True)  # fmt: skip
        draw = {"stat": _stat, "bargauge": _bars, "piechart": _pie, "table": _table}
        if panel["type"] == "timeseries":
            _lines(ax, board, panel, prometheus, start, end)
        else:
            draw[panel["type"]](ax, board, panel, prometheus)
    figure.savefig(out, dpi=80, facecolor=BACKGROUND)
    plt.close(figure)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prometheus", required=True, metavar="URL")
    parser.add_argument("--since", type=float, required=True, help="start of the time series")
    parser.add_argument("--out", type=Path, default=Path("docs"), metavar="DIR")
    args = parser.parse_args()
    prometheus = Prometheus(args.prometheus)
    end = time.time()
    for path in sorted(BUILT_DIR.glob("*.json")):
        board = json.loads(path.read_text())
        print(render(board, prometheus, args.out / f"dashboard-{path.stem}.png", args.since, end))


if __name__ == "__main__":
    main()
