"""The public dataset: monthly 999 answer times and emergency attendance times.

Aggregate counts only, in bands, from the monthly pack. Small counts are
suppressed so that no figure is about a handful of people: a count from 1 to
``threshold - 1`` is left blank, and so is at least one more count in its row
(the next smallest), so a blank cannot be worked out from the row's total and
the counts shown. A row whose total is small is blank throughout. A zero
discloses nothing about anyone and is shown. Percentages of blank counts are
blank too.

999 bands, as the Home Office publishes them: under 10 s, 10 s to under 60 s, and
60 s or longer (``LegCount.ANSWERED_UNDER_10S`` and ``ANSWERED_UNDER_60S`` are both
strict).
"""

import itertools
from dataclasses import dataclass
from decimal import Decimal

from streams.core.monthly import MonthlyPack
from streams.core.months import percent

DEFAULT_THRESHOLD = 10

ANSWER_BANDS = ("under_10s", "10s_to_under_60s", "60s_or_longer")
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
        bands = (row.under_10s, row.under_60s - row.under_10s, row.answered - row.under_60s)
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
