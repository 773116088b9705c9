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


@pytest.mark.parametrize(
    ("policy_id", "grade", "area", "minutes"),
    [
        ("essex", 1, "urban", 15),
        ("essex", 1, "rural", 20),
        ("essex", 2, "rural", 20),
        ("essex", 3, "urban", 60),
        ("essex", 4, "rural", 48 * 60),
        ("essex", 5, "urban", None),
        ("essex", 6, "urban", None),
        ("npcc", 1, "urban", 20),
        ("npcc", 2, "rural", 60),
        ("npcc", 3, "urban", 8 * 60),
        ("npcc", 4, "urban", 24 * 60),
        ("npcc", 5, "rural", None),
        ("npcc", 6, "rural", None),
    ],
)
def test_shipped_grading_policies_match_spec(policy_id, grade, area, minutes) -> None:
    from schemas import Area, Grade

    policy = next(p for p in TARGETS.incident_grading if p.id == policy_id)
    expected = None if minutes is None else minutes * 60_000_000
    assert policy.target_us(Grade(grade), Area(area)) == expected


def test_essex_is_in_force_until_npcc_is_given_a_date() -> None:
    assert TARGETS.policy_on(date(2010, 1, 1)).id == "essex"
    assert TARGETS.policy_on(date(2030, 1, 1)).id == "essex"
    data = yaml.safe_load((REPO / "deploy/config/targets.yaml").read_text())
    data["incident_grading"][1]["effective_from"] = date(2027, 4, 1)
    targets = parse_targets(data)
    assert targets.policy_on(date(2027, 3, 31)).id == "essex"
    assert targets.policy_on(date(2027, 4, 1)).id == "npcc"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["incident_grading"][0]["grades"].pop(4), r"list each grade 1-6.*missing: 5"),
        (
            lambda d: d["incident_grading"][0].update(effective_from=None),
            "give at least one policy an effective_from date",
        ),
        (
            lambda d: d["incident_grading"][1].update(effective_from=date(2016, 4, 1)),
            "two policies take effect on the same day",
        ),
        (
            lambda d: d["incident_grading"][0]["grades"][0].update(response="asap"),
            r"incident_grading\.0\.grades\.0\.response",
        ),
        (
            lambda d: d["incident_grading"][1].update(id="essex"),
            "each policy needs its own id",
        ),
        (
            lambda d: d["incident_grading"][0]["grades"][0].update(
                attend_within_minutes={"urban": 15, "rural": 25}
            ),
            r"policy essex, grade 1 \(rural\): 25 minutes is not an attendance-time "
            r"histogram bound; "
            r"use one of \[5, 10, 15, 20, 30, 45, 60, 90, 120, 240, 480, 720, 1440, 2880, 5760\]",
        ),
        (
            lambda d: d["incident_grading"][0]["category_targets"][0].update(
                attend_within_minutes=50
            ),
            "policy essex, residential_burglary: 50 minutes is not",
        ),
        (
            lambda d: d["call_handling"][0]["queues"][0].update(answer_within_seconds=12),
            r"answer_within_seconds 12 is not an answer-time histogram bound; use one of \[1, 2, 5",
        ),
    ],
)
def test_grading_mistakes_say_what_to_fix(change, message) -> None:
    data = yaml.safe_load((REPO / "deploy/config/targets.yaml").read_text())
    change(data)
    with pytest.raises(TargetsFileError, match=message):
        parse_targets(data)
