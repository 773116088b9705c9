"""The service-level formulas, said once: each is a sum of leg counts over another sum.

``strict`` (the force's own: abandons are misses), ``ignore_abandons`` (answered within
target over answered) and ``abandons_within_target_met`` (an abandon before the target
is not a miss). Each is a measure of `streams.core.measures` (`SERVICE_LEVEL`), from
which the monthly pack, ``kpis.csv``, the workbook's words for each, the recording rules
and the dashboards' queries are all made.
"""

from streams.core.calls import LegCount
from streams.core.targets import ServiceLevelFormula

Terms = tuple[tuple[LegCount, ...], tuple[LegCount, ...]]

_OUTCOMES = (LegCount.ANSWERED, LegCount.ABANDONED)
MEANING = {
    ServiceLevelFormula.STRICT: "Service level, the force's own: an abandon is a miss.",
    ServiceLevelFormula.IGNORE_ABANDONS: "Service level of answered legs, abandons left out.",
    ServiceLevelFormula.ABANDONS_WITHIN_TARGET_MET: (
        "Service level where an abandon within the target is not a miss."
    ),
}
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
