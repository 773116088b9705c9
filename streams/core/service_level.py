"""The service-level formulas, said once: each is a sum of leg counts over another sum.

``strict`` (the force's own: abandons are misses), ``ignore_abandons`` (answered within
target over answered) and ``abandons_within_target_met`` (an abandon before the target
is not a miss). The monthly pack, ``kpis.csv``, the workbook's words for each, the
recording rules and the dashboards' queries are all made from `TERMS`; metric names come
from the calls family's declaration (`LEG_ROW`), never typed again.
"""

from collections.abc import Callable

from streams.core.calls import LegCount
from streams.core.families import LEG_ROW
from streams.core.targets import ServiceLevelFormula

Terms = tuple[tuple[LegCount, ...], tuple[LegCount, ...]]

_OUTCOMES = (LegCount.ANSWERED, LegCount.ABANDONED)
TERMS: dict[ServiceLevelFormula, Terms] = {
    ServiceLevelFormula.STRICT: ((LegCount.ANSWERED_WITHIN_TARGET,), _OUTCOMES),
    ServiceLevelFormula.IGNORE_ABANDONS: (
        (LegCount.ANSWERED_WITHIN_TARGET,),
        (LegCount.ANSWERED,),
    ),
    ServiceLevelFormula.ABANDONS_WITHIN_TARGET_MET: (
        (LegCount.ANSWERED_WITHIN_TARGET, LegCount.ABANDONED_WITHIN_TARGET),
        _OUTCOMES,
    ),
}

_COUNTS = {count.count: count for count in LEG_ROW.counts}


def pack_field(count: LegCount) -> str:
    field = _COUNTS[count].pack
    assert field is not None, count
    return field


def metric(count: LegCount) -> str:
    name = _COUNTS[count].metric
    assert name is not None, count
    return name


def service_level(formula: str, value: Callable[[str], int]) -> tuple[int, int]:
    """(numerator, denominator) by ``formula``, of the counts ``value`` gives by pack
    field name."""
    top, bottom = TERMS[ServiceLevelFormula(formula)]
    return sum(value(pack_field(c)) for c in top), sum(value(pack_field(c)) for c in bottom)


def words(formula: str) -> str:
    """The formula as the workbook says it: ``answered within target / answered``."""

    def side(counts: tuple[LegCount, ...]) -> str:
        said = " + ".join(pack_field(c).replace("_", " ") for c in counts)
        return f"({said})" if len(counts) > 1 else said

    top, bottom = TERMS[ServiceLevelFormula(formula)]
    return f"{side(top)} / {side(bottom)}"


def promql_terms(formula: ServiceLevelFormula, labels: str = "") -> tuple[str, str]:
    """(numerator, denominator) as PromQL sums of the leg metrics, each with ``labels``
    (a selector's braces, or nothing)."""
    top, bottom = TERMS[formula]
    return (
        " + ".join(f"{metric(c)}{labels}" for c in top),
        " + ".join(f"{metric(c)}{labels}" for c in bottom),
    )
