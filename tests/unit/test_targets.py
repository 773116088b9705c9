"""The targets file: shipped values, effective dates, and errors that say what to fix."""

from datetime import date

import pytest
import yaml

from schemas import Channel, Queue
from streams.core.targets import ServiceLevelFormula, TargetsFileError, parse_targets
from tests.scenario import REPO, TARGETS


@pytest.mark.parametrize(
    ("channel", "queue", "seconds", "objective", "abandonment"),
    [
        (Channel.EMERGENCY, Queue.FCR, 10, 0.90, 0.02),
        (Channel.NON_EMERGENCY, Queue.FCR, 300, 0.90, 0.05),
        (Channel.NON_EMERGENCY, Queue.SWITCHBOARD, 30, 0.90, None),
        (Channel.NON_EMERGENCY, Queue.RESOLUTION_CENTRE, 300, 0.90, None),
    ],
)
def test_shipped_call_targets_match_the_force_policy(
    channel, queue, seconds, objective, abandonment
) -> None:
    target = TARGETS.calls_on(date(2026, 11, 1)).resolve(channel, queue)
    assert target.answer_within_us == seconds * 1_000_000
    assert target.service_level_objective == objective
    assert target.abandonment_objective == abandonment
    assert target.formula is ServiceLevelFormula.STRICT
    assert target.short_abandon_us == 0


def test_history_is_scored_by_the_set_in_force_that_day() -> None:
    data = yaml.safe_load((REPO / "deploy/config/targets.yaml").read_text())
    later = {
        **data["call_handling"][0],
        "effective_from": date(2027, 4, 1),
        "service_level_formula": "ignore_abandons",
    }
    data["call_handling"].append(later)
    targets = parse_targets(data)
    assert targets.calls_on(date(2027, 3, 31)).service_level_formula is ServiceLevelFormula.STRICT
    assert (
        targets.calls_on(date(2027, 4, 1)).service_level_formula
        is ServiceLevelFormula.IGNORE_ABANDONS
    )


def test_missing_queue_target_names_what_to_add() -> None:
    data = yaml.safe_load((REPO / "deploy/config/targets.yaml").read_text())
    data["call_handling"][0]["queues"] = [
        q for q in data["call_handling"][0]["queues"] if q["queue"] != "switchboard"
    ]
    with pytest.raises(
        TargetsFileError,
        match="no target for 999 calls at switchboard: add an entry with queue: switchboard",
    ):
        parse_targets(data, origin="targets file t.yaml")


def test_unknown_formula_is_refused_with_its_place() -> None:
    data = yaml.safe_load((REPO / "deploy/config/targets.yaml").read_text())
    data["call_handling"][0]["service_level_formula"] = "generous"
    with pytest.raises(TargetsFileError, match=r"call_handling\.0\.service_level_formula"):
        parse_targets(data)
