"""The measure registry (`streams.core.measures`): each declaration is well formed, and
what is made from it agrees with the figures worked out by hand."""

from decimal import Decimal

import pytest

from streams.core.catalog import BY_NAME
from streams.core.measures import (
    CALL_ABANDONMENT,
    HOME_OFFICE_999_UNDER_10S,
    INCIDENTS_MET_HIGH_HARM,
    MEASURES,
    SERVICE_LEVEL,
    in_doc,
)
from streams.core.targets import ServiceLevelFormula
from tests.conftest import REPO

FIELDS = {
    "answered": 36, "abandoned": 4, "answered_within_target": 30,
    "abandoned_within_target": 3, "answer_us_sum": 180_000_000,
}  # fmt: skip


@pytest.mark.parametrize("measure", MEASURES, ids=lambda m: m.record if m.by else m.name)
def test_a_measures_counts_are_its_rows_and_shown_where_it_is_read(measure) -> None:
    counts = {c.count for c in measure.row.counts}
    assert set(measure.top) | set(measure.bottom) <= counts
    assert measure.live or measure.by is None
    for count in (*measure.top, *measure.bottom):
        if measure.live:
            assert BY_NAME[measure.metric(count)].kind == "gauge"
        if measure.monthly:
            assert measure.field(count) in measure.row.pack_fields


def test_only_the_first_legs_mean_is_kept_for_the_month_alone() -> None:
    assert [m.name for m in MEASURES if not m.live] == ["call_first_answer_seconds"]


def test_recording_rules_are_named_once() -> None:
    records = [m.record for m in MEASURES if m.by is not None]
    assert len(records) == len(set(records))


def test_the_three_service_levels_by_hand() -> None:
    # strict 30 / 40, ignoring abandons 30 / 36, abandons within target met 33 / 40.
    values = {f: SERVICE_LEVEL[f].value(FIELDS.__getitem__) for f in ServiceLevelFormula}
    assert values == {
        ServiceLevelFormula.STRICT: Decimal("75.0"),
        ServiceLevelFormula.IGNORE_ABANDONS: Decimal("83.3"),
        ServiceLevelFormula.ABANDONS_WITHIN_TARGET_MET: Decimal("82.5"),
    }
    assert CALL_ABANDONMENT.of(FIELDS.__getitem__) == (4, 40)


def test_a_measures_own_matchers_join_the_selector_given() -> None:
    assert HOME_OFFICE_999_UNDER_10S.promql('{window="1h"}') == (
        'sum (ccm_call_legs_answered_under_10s{channel="999",window="1h"}) / '
        'sum (ccm_call_legs_answered{channel="999",window="1h"})'
    )
    assert INCIDENTS_MET_HIGH_HARM.terms()[0] == 'ccm_incidents_met{category!="other"}'


def test_a_live_only_measure_has_no_pack_field_to_read() -> None:
    (aht,) = [m for m in MEASURES if m.name == "call_aht_seconds"]
    with pytest.raises(ValueError, match="HANDLE_US_SUM is not in the monthly pack"):
        aht.of(FIELDS.__getitem__)


def test_docs_list_the_measures_as_declared() -> None:
    doc = (REPO / "docs/kpis.md").read_text(encoding="utf-8")
    assert in_doc(doc) == doc, "docs/kpis.md is out of date: run `ccm rules build`"
    assert doc.count("| call_service_level (") == 3


def test_the_objectives_measures_are_judged_against_are_series_the_worker_shows() -> None:
    judged = {m.objective.name for m in MEASURES if m.objective is not None}
    assert judged == {
        "ccm_call_service_level_objective_ratio",
        "ccm_call_abandonment_objective_ratio",
        "ccm_chat_service_level_objective_ratio",
        "ccm_incident_objective_ratio",
    }
    assert judged <= set(BY_NAME)
