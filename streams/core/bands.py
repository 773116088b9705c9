"""The Home Office's 999 answer-time bands, said once.

The national 999 table gives, for each force and month, the calls answered in three
bands: under 10 s, 10 s to under 60 s, and 60 s or longer (both bounds strict, as
``LegCount.ANSWERED_UNDER_10S`` and ``ANSWERED_UNDER_60S`` count). The monthly pack
keeps the two cumulative counts; every export reads the bands from here, under the name
each gives them.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AnswerBand:
    name: str
    """The public dataset's column."""
    measure: str
    """The ``kpis.csv`` measure."""
    title: str
    """The workbook's row."""


HOME_OFFICE_999_BANDS = (
    AnswerBand("under_10s", "home_office_999_under_10s", "Under 10 s"),
    AnswerBand("10s_to_under_60s", "home_office_999_10s_to_60s", "10 s to under 60 s"),
    AnswerBand("60s_or_longer", "home_office_999_60s_or_more", "60 s or longer"),
)


def in_bands(answered: int, under_10s: int, under_60s: int) -> tuple[int, int, int]:
    """The answered calls in each of `HOME_OFFICE_999_BANDS`, from the cumulative counts."""
    return (under_10s, under_60s - under_10s, answered - under_60s)
