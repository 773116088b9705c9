"""Multi-window burn-rate thresholds (SRE workbook, chapter 5), fitted to each objective.

A KPI's error budget is the share of misses its objective allows: 10 % at a 90 %
service-level objective, 2 % for abandonment below 2 %. Burning at factor F means
misses arrive F times as fast as the budget allows. The most a KPI can burn is
1 / budget (every leg a miss): 10x at 90 %, 6.25x at 84 %, so the workbook's 14.4x
could never fire here. Each pair's factor is therefore capped half-way between 1x
and that ceiling, which keeps it strictly below the ceiling (it can fire) and at or
above 1x (a page never fires on a KPI that is meeting its objective).
"""

import math
from dataclasses import dataclass
from typing import Literal

from streams.core.timebase import Window

Severity = Literal["page", "ticket"]


@dataclass(frozen=True)
class BurnPair:
    """Alert when both windows burn faster than ``factor``: the long one proves it is
    serious, the short one that it is still happening (so a recovered queue resolves)."""

    severity: Severity
    long: Window
    short: Window
    factor: float
    """The factor wanted, before fitting to the objective."""
    for_: str
    min_volume: int
    """Fewest outcomes in the long window before the pair may fire: three calls in an
    hour, one of them missed, are not a failing queue."""


def ceiling(budget: float) -> float:
    """The fastest burn possible: every outcome a miss."""
    return math.inf if budget == 0 else 1 / budget


def fitted_factor(wanted: float, budgets: list[float]) -> float:
    """``wanted``, lowered (to two decimals, downwards) until it can fire at every budget.

    A budget of 1 (an objective any result meets) can never be burnt and is left out;
    the caller raises no alert for a KPI with no other budget."""
    caps = [(1 + ceiling(b)) / 2 for b in budgets if b < 1]
    cap = min(caps, default=math.inf)
    return wanted if cap == math.inf else min(wanted, math.floor(cap * 100) / 100)


def can_fire(factor: float, budget: float) -> bool:
    """Whether some share of misses (at most all of them) burns faster than ``factor``."""
    return factor * budget < 1.0


def fmt(number: float) -> str:
    """A number as PromQL and a duty officer read it: 3 and 0.5, not 3.0 and 0.50000."""
    return f"{number:.6g}"
