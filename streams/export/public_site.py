"""The public page: a self-contained static site of the public dataset.

``index.html`` shows 999 answer times in the Home Office's layout, emergency attendance
by area against the national standard, and 101 calls, each month in a table and the
latest month in words, with an inline SVG chart beside each table holding the same
figures; ``accessibility.html`` is its accessibility statement; the CSVs it shows sit
beside them. No script, font or style comes from anywhere else, so the directory can be
copied to any web server as it is. Every figure comes from the suppressed rows of
`streams.core.public`, so a blank in a table is blank in the sentences and charts too.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from schemas import Area
from streams.core.monthly import MonthlyPack
from streams.core.months import parse_month
from streams.core.public import (
    DEFAULT_THRESHOLD,
    AreaAttendance,
    answers_999,
    attendance_by_area,
    calls_101,
)
from streams.core.targets import Targets
from streams.core.timebase import LONDON
from streams.export.public import write_public_csv
from streams.export.standards import standard_minutes, standard_text

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def month_words(month: str) -> str:
    year, number = parse_month(month)
    return f"{MONTH_NAMES[number - 1]} {year}"


def number(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def pct(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def seconds(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.1f}"


# --- charts ----------------------------------------------------------------------------------

_ROW, _BAR_W, _VALUE_W = 46, 300, 70


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: Decimal | None
    """A percentage; None: blanked (the chart says so in words, as the table does)."""


def bar_chart(chart_id: str, title: str, description: str, bars: list[Bar]) -> Markup:
    """Horizontal bars from 0 to 100 %, each under its label with its value written beside
    it, so neither colour nor length alone carries a figure. Labels above the bars keep
    the drawing narrow enough to stay legible on a phone; it scales with its container."""
    width = _BAR_W + _VALUE_W
    height = _ROW * len(bars) + 24
    parts = [
        f'<svg id="{chart_id}" class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        'xmlns="http://www.w3.org/2000/svg" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for tick in (0, 50, 100):
        x = _BAR_W * tick / 100
        anchor = "start" if tick == 0 else "end" if tick == 100 else "middle"
        parts.append(
            f'<line x1="{x:g}" y1="16" x2="{x:g}" y2="{height - 26}" class="tick"/>'
            f'<text x="{x:g}" y="{height - 6}" class="axis" text-anchor="{anchor}">{tick}%</text>'
        )
    for i, bar in enumerate(bars):
        y = i * _ROW
        parts.append(f'<text x="0" y="{y + 13}">{escape(bar.label)}</text>')
        if bar.value is None:
            parts.append(f'<text x="4" y="{y + 33}" class="blank">too few to show</text>')
            continue
        length = _BAR_W * float(bar.value) / 100
        parts.append(
            f'<rect x="0" y="{y + 19}" width="{length:.1f}" height="18" class="bar"/>'
            f'<text x="{_BAR_W + 6}" y="{y + 33}">{bar.value:.1f}%</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


# --- sentences -------------------------------------------------------------------------------


def _answers_sentence(row, month: str) -> str:
    when = month_words(month)
    if row.bands.total is None:
        return f"In {when} too few 999 calls were answered to publish their figures."
    if row.bands.total == 0:
        return f"In {when} no 999 calls were answered."
    said = f"In {when} the Force Control Room answered {number(row.bands.total)} 999 calls"
    under = row.bands.band_pct()[0]
    if under is not None:
        said += f"; {pct(under)} were answered in under 10 seconds, the national standard"
    if row.mean_seconds is not None:
        said += f", and the mean answer time was {seconds(row.mean_seconds)} seconds"
    return said + "."


def _attendance_sentence(rows: list[AreaAttendance], targets: Targets, month: str) -> str:
    parts = []
    for row in rows:
        if row.area == "all":
            continue
        minutes = " then ".join(str(m) for m in standard_minutes(targets, month, Area(row.area)))
        where = f"in {row.area} areas"
        if row.emergencies is None:
            parts.append(f"too few emergencies {where} to publish")
        elif row.emergencies == 0:
            parts.append(f"no emergencies {where}")
        elif row.within_pct is None:
            parts.append(
                f"{number(row.emergencies)} emergencies {where} (how many were attended "
                f"within {minutes} minutes is not published, to protect small numbers)"
            )
        else:
            parts.append(
                f"{pct(row.within_pct)} of {number(row.emergencies)} emergencies {where} were "
                f"attended within {minutes} minutes"
            )
    return f"In {month_words(month)}, " + "; ".join(parts) + "."


def _calls_sentence(row, month: str) -> str:
    if row.calls is None:
        return f"In {month_words(month)} too few 101 calls were taken to publish the figure."
    said = f"In {month_words(month)} the force took {number(row.calls)} 101 calls"
    if row.mean_seconds is not None:
        said += f", answered on average {seconds(row.mean_seconds)} seconds after reaching it"
    return said + "."


# --- the site --------------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("streams.export", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(number=number, pct=pct, seconds=seconds, month_words=month_words)
    return env


def write_public_site(
    pack: MonthlyPack,
    targets: Targets,
    directory: Path,
    updated: datetime,
    force: str = "the force",
    threshold: int = DEFAULT_THRESHOLD,
) -> list[Path]:
    """The page, its accessibility statement and the CSVs it shows, into ``directory``."""
    written = write_public_csv(pack, targets, directory, threshold)
    answers = answers_999(pack, threshold)
    attendance = attendance_by_area(pack, threshold)
    calls = calls_101(pack, threshold)
    latest = pack.months[-1]
    latest_attendance = [r for r in attendance if r.month == latest]
    area_rows = [(r, standard_text(targets, r.month, r.area)) for r in attendance]
    charts = {
        "answers": bar_chart(
            "chart-999",
            "999 calls answered in under 10 seconds, by month",
            "The percentage of 999 calls answered in under 10 seconds each month; the "
            "table below gives the same figures.",
            [Bar(month_words(r.bands.month), r.bands.band_pct()[0]) for r in answers],
        ),
        "attendance": bar_chart(
            "chart-attendance",
            "Emergencies attended within the national standard, by month and area",
            "The percentage of emergencies attended within 15 minutes in urban areas and "
            "20 minutes in rural areas, each month; the table below gives the same figures.",
            [
                Bar(f"{month_words(r.month)}, {r.area}", r.within_pct)
                for r in attendance
                if r.area != "all"
            ],
        ),
    }
    context = {
        "force": force,
        "first": month_words(pack.first),
        "last": month_words(pack.last),
        "updated": updated.astimezone(LONDON).strftime("%-d %B %Y at %H:%M"),
        "threshold": threshold,
        "answers": answers,
        "area_rows": area_rows,
        "calls": calls,
        "charts": charts,
        "sentences": [
            _answers_sentence(answers[-1], latest),
            _attendance_sentence(latest_attendance, targets, latest),
            _calls_sentence(calls[-1], latest),
        ],
        "latest": month_words(latest),
        "files": [path.name for path in written],
    }
    env = _environment()
    pages = []
    for template, name in (("public_index.html.j2", "index.html"),
                           ("public_accessibility.html.j2", "accessibility.html")):  # fmt: skip
        path = directory / name
        path.write_text(env.get_template(template).render(context), encoding="utf-8")
        pages.append(path)
    return [*pages, *written]
