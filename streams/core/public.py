"""The public dataset: monthly 999 answer times and emergency attendance times.

Aggregate counts only, in bands, from the monthly pack. Small counts are
suppressed so that no figure is about a handful of people: a count from 1 to
``threshold - 1`` is left blank, and so is at least one more count in its row
(the next smallest), so a blank cannot be worked out from the row's total and
the counts shown. A row whose total is small is blank throughout. A zero
discloses nothing about anyone and is shown. Percentages of blank counts are
blank too.

999 bands, as the Home Office publishes them: `streams.core.bands`.
"""

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from streams.core.bands import HOME_OFFICE_999_BANDS, in_bands
from streams.core.measures import CALL_ASA
from streams.core.monthly import MonthlyPack
from streams.core.months import percent

DEFAULT_THRESHOLD = 10

ANSWER_BANDS = tuple(band.name for band in HOME_OFFICE_999_BANDS)
ATTENDANCE_BANDS = ("within_15m", "15m_to_20m", "20m_to_30m", "30m_to_60m", "over_60m")

SUPPRESSED_NOTE = "counts under {n} suppressed, with the next smallest so they cannot be recovered"


@dataclass(frozen=True, slots=True)
class PublicRow:
    """One month of one measure: the total, the band counts (None: suppressed) and notes."""

    month: str
    total: int | None
    bands: tuple[int | None, ...]
    note: str = ""

    def band_pct(self) -> tuple[Decimal | None, ...]:
        if self.total is None:
            return tuple(None for _ in self.bands)
        return tuple(None if b is None else percent(b, self.total) for b in self.bands)


def suppress(total: int, bands: tuple[int, ...], month: str, threshold: int) -> PublicRow:
    """The row as published: small counts and their complements blank."""
    note = SUPPRESSED_NOTE.format(n=threshold)
    if 0 < total < threshold:
        return PublicRow(month, None, tuple(None for _ in bands), note)
    hidden = {i for i, count in enumerate(bands) if 0 < count < threshold}
    if not hidden:
        return PublicRow(month, total, bands)
    # Hide more until no single blank is known and the blanks add up to a safe number.
    while len(hidden) == 1 or sum(bands[i] for i in hidden) < threshold:
        shown = [(bands[i], i) for i in range(len(bands)) if i not in hidden and bands[i] > 0]
        if not shown:
            return PublicRow(month, None, tuple(None for _ in bands), note)
        hidden.add(min(shown)[1])
    return PublicRow(
        month, total, tuple(None if i in hidden else c for i, c in enumerate(bands)), note
    )


def answer_times(pack: MonthlyPack, threshold: int = DEFAULT_THRESHOLD) -> list[PublicRow]:
    """999 calls answered at the Force Control Room, by answer time, per month."""
    rows = []
    for row in pack.answer_bands:
        bands = in_bands(row.answered, row.under_10s, row.under_60s)
        rows.append(suppress(row.answered, bands, row.month, threshold))
    return rows


def attendance_times(pack: MonthlyPack, threshold: int = DEFAULT_THRESHOLD) -> list[PublicRow]:
    """Emergency incidents with an attendance time, by attendance time, per month."""
    rows = []
    for row in pack.attendance_bands:
        bounds = (row.within_15m, row.within_20m, row.within_30m, row.within_60m, row.timed)
        bands = (bounds[0], *(b - a for a, b in itertools.pairwise(bounds)))
        rows.append(suppress(row.timed, bands, row.month, threshold))
    return rows


# --- the public page's tables ---------------------------------------------------------------


def hidden_cells(
    cells: dict[Hashable, int], sums: Sequence[Sequence[Hashable]], threshold: int
) -> set[Hashable]:
    """The cells to blank in a table whose cells add up: each of ``sums`` is a total
    followed by the cells that add up to it. A count from 1 to ``threshold - 1`` is
    blanked; so is every cell of a sum whose total is. While some sum has exactly one
    blank cell, or blanks adding up to less than ``threshold``, its smallest cell still
    shown goes too, so no blank is the difference of figures shown."""
    small = {key for key, value in cells.items() if 0 < value < threshold}
    hidden = set(small)
    changed = True
    while changed:
        changed = False
        for total, *parts in sums:
            if total in small and not all(p in hidden for p in parts):
                hidden.update(parts)
                changed = True
                continue
            blanks = [key for key in (total, *parts) if key in hidden]
            if not blanks or (len(blanks) > 1 and sum(cells[k] for k in blanks) >= threshold):
                continue
            # The smallest count still shown, a zero only when no count is left: a blank
            # zero hides nothing the others do not already.
            candidates = [k for k in (*parts, total) if k not in hidden]
            if not candidates:
                continue
            hidden.add(min(candidates, key=lambda k: (cells[k] == 0, cells[k])))
            changed = True
    return hidden


@dataclass(frozen=True, slots=True)
class Answers999:
    """One month of 999 calls answered at the Force Control Room, as the Home Office
    publishes them: the bands of ``answer_times`` and the mean answer time. The mean is
    blank whenever the number answered is."""

    bands: PublicRow
    mean_seconds: Decimal | None


def answers_999(pack: MonthlyPack, threshold: int = DEFAULT_THRESHOLD) -> list[Answers999]:
    by_month: dict[str, list[Any]] = {}
    for row in pack.calls:
        if (row.channel, row.queue) == ("999", "fcr"):
            by_month.setdefault(row.month, []).append(row)
    rows = []
    for bands in answer_times(pack, threshold):
        of = by_month.get(bands.month, [])
        mean = None
        if bands.total is not None:
            mean = CALL_ASA.value(lambda name, of=of: sum(getattr(r, name) for r in of))
        rows.append(Answers999(bands, mean))
    return rows


AREAS = ("urban", "rural", "all")


@dataclass(frozen=True, slots=True)
class AreaAttendance:
    """One month and area of emergency attendance against the national standard, as
    published: None where a count is blanked."""

    month: str
    area: str
    emergencies: int | None
    within: int | None
    not_within: int | None

    @property
    def within_pct(self) -> Decimal | None:
        if self.within is None or self.emergencies is None:
            return None
        return percent(self.within, self.emergencies)

    @property
    def note(self) -> str:
        return "" if None not in (self.emergencies, self.within, self.not_within) else "suppressed"


def attendance_by_area(
    pack: MonthlyPack, threshold: int = DEFAULT_THRESHOLD
) -> list[AreaAttendance]:
    """Emergencies per month and area, attended within the national standard or not.
    The ``all`` row is the sum of the other two, so blanks are chosen across the three
    rows together: no blank can be worked out from another row."""
    by_month: dict[str, dict[str, tuple[int, int]]] = {}
    for row in pack.area_attendance:
        by_month.setdefault(row.month, {})[row.area] = (row.emergencies, row.within_standard)
    out = []
    for month in pack.months:
        found = by_month.get(month, {})
        cells: dict[Hashable, int] = {}
        for area in AREAS:
            emergencies, within = found.get(area, (0, 0))
            cells[(area, "e")], cells[(area, "w")] = emergencies, within
            cells[(area, "n")] = emergencies - within
        sums = [[(a, "e"), (a, "w"), (a, "n")] for a in AREAS]
        sums += [[("all", c), ("urban", c), ("rural", c)] for c in "ewn"]
        hidden = hidden_cells(cells, sums, threshold)

        for area in AREAS:
            e, w, n = (None if (area, c) in hidden else cells[(area, c)] for c in "ewn")
            out.append(AreaAttendance(month, area, e, w, n))
    return out


@dataclass(frozen=True, slots=True)
class Calls101:
    """One month of 101 calls, each counted once, by the day its first leg was offered,
    and the mean wait of those first legs that were answered (the caller's first wait).
    The mean is blank when the calls are, or when fewer than the threshold were answered."""

    month: str
    calls: int | None
    mean_seconds: Decimal | None


def calls_101(pack: MonthlyPack, threshold: int = DEFAULT_THRESHOLD) -> list[Calls101]:
    by_month = {r.month: r.contacts for r in pack.shares if r.channel == "101"}
    first_legs = {r.month: r for r in pack.first_legs if r.channel == "101"}
    out = []
    for month in pack.months:
        calls = by_month.get(month, 0)
        shown = None if 0 < calls < threshold else calls
        first = first_legs.get(month)
        mean = None
        if shown is not None and first is not None and first.answered >= threshold:
            mean = first.mean_seconds
        out.append(Calls101(month, shown, mean))
    return out
