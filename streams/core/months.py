"""Calendar months in Europe/London, and figures to one decimal, exactly.

A month is ``(year, month)``; its days are London days, so a month holds the
23- and 25-hour days of the clock changes whole. Percentages and averages are
computed from exact integer counts and rounded half up to one decimal with
integer arithmetic: no float ever decides a tie.
"""

import calendar
import re
from datetime import date
from decimal import Decimal

Month = tuple[int, int]

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str) -> Month:
    """``YYYY-MM`` as a month; ValueError saying what is expected otherwise."""
    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise ValueError(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2026-03")
    return int(found.group(1)), int(found.group(2))


def month_label(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from ``first`` to ``last``, both included."""
    months = []
    year, number = first
    while (year, number) <= last:
        months.append((year, number))
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return months


def first_day(month: Month) -> date:
    return date(month[0], month[1], 1)


def last_day(month: Month) -> date:
    return date(month[0], month[1], calendar.monthrange(*month)[1])


def days_of(month: Month) -> list[date]:
    return [date(month[0], month[1], d) for d in range(1, last_day(month).day + 1)]


def month_of_ordinal(ordinal: int) -> Month:
    day = date.fromordinal(ordinal)
    return day.year, day.month


def one_decimal(numerator: int, denominator: int, scale: int = 1) -> Decimal | None:
    """``numerator / (denominator * scale)`` to one decimal, half up; None if nothing
    to divide by. ``scale`` turns µs sums into seconds without leaving integers."""
    if denominator == 0:
        return None
    tenths, rest = divmod(10 * numerator, denominator * scale)
    if 2 * rest >= denominator * scale:
        tenths += 1
    return Decimal(tenths).scaleb(-1)


def percent(numerator: int, denominator: int) -> Decimal | None:
    """``100 * numerator / denominator`` to one decimal, half up; None if nothing to divide."""
    return one_decimal(100 * numerator, denominator)
