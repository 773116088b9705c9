"""The national standards in force over a month, in words, for the public page and files."""

from schemas import Area
from streams.core.months import days_of, parse_month
from streams.core.targets import Targets


def standard_minutes(targets: Targets, month: str, area: Area) -> list[int]:
    """The emergency attendance standard's minutes in force on the month's days, in order
    of taking effect, each once (one value unless the standard changed that month)."""
    found: list[int] = []
    for day in days_of(parse_month(month)):
        minutes = targets.standards_on(day).attend_within_us(area) // 60_000_000
        if minutes not in found:
            found.append(minutes)
    return found


def standard_text(targets: Targets, month: str, area: str) -> str:
    """``15 minutes``; ``15 minutes, then 20 minutes`` when it changed in the month; the
    ``all`` row names both areas'."""
    if area == "all":
        return "; ".join(f"{a.value} {standard_text(targets, month, a.value)}" for a in Area)
    return ", then ".join(f"{m} minutes" for m in standard_minutes(targets, month, Area(area)))
