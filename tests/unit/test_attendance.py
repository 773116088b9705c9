"""Scoring one incident: each row a small case, its expected score worked out by hand."""

from datetime import date

import pytest

from schemas import Area, Category, Grade
from streams.core.attendance import Incident, Status, about_to_breach, score
from tests.scenario import TARGETS

ESSEX = TARGETS.policy_on(date(2026, 1, 1))
NPCC = next(p for p in TARGETS.incident_grading if p.id == "npcc")
MIN = 60_000_000
SEC = 1_000_000
HOUR = 60 * MIN


def incident(
    grade: int,
    *regrades: tuple[float, int],
    area: str = "urban",
    category: str = "other",
    attended: float | None = None,
    closed: float | None = None,
    closed_attended: bool = False,
) -> Incident:
    """Times in minutes after creation (created at instant 0)."""
    return Incident(
        created_us=0,
        area=Area(area),
        category=Category(category),
        grades=((0, Grade(grade)), *((int(m * MIN), Grade(g)) for m, g in regrades)),
        attended_us=None if attended is None else int(attended * MIN),
        closed_us=None if closed is None else int(closed * MIN),
        closed_attended=closed_attended,
    )


M, X, A, N = Status.MET, Status.MISSED, Status.AWAITING, Status.NOT_SCORED
FOREVER = 10**15

CASES = [
    # name, incident, as of (minutes), essex (status, grade), npcc (status, grade)
    ("emergency attended exactly at 15 min", incident(1, attended=15), 99, (M, 1), (M, 1)),
    ("one second late", incident(1, attended=15 + 1 / 60), 99, (X, 1), (M, 1)),
    (
        "one microsecond late",
        Incident(0, Area.URBAN, Category.OTHER, ((0, Grade.G1),), attended_us=15 * MIN + 1),
        99,
        (X, 1),
        (M, 1),
    ),
    ("rural emergency at 20 min", incident(1, area="rural", attended=20), 99, (M, 1), (M, 1)),
    ("rural grade 2 at 20 min", incident(2, area="rural", attended=20), 99, (M, 2), (M, 2)),
    ("urban grade 2 at 16 min", incident(2, attended=16), 99, (X, 2), (M, 2)),
    ("emergency at 18 min: Essex misses, NPCC meets", incident(1, attended=18), 99, (X, 1), (M, 1)),
    ("grade 2 at 50 min: NPCC urgent meets", incident(2, attended=50), 99, (X, 2), (M, 2)),
    ("grade 3 at 2 h: NPCC priority (8 h) meets", incident(3, attended=120), 999, (X, 3), (M, 3)),
    ("awaiting, at its deadline exactly", incident(1), 15, (A, 1), (A, 1)),
    ("awaiting, just past its deadline", incident(1), 15 + 1 / MIN, (X, 1), (A, 1)),
    ("upgraded in time, attended in time", incident(3, (10, 1), attended=14), 99, (M, 1), (M, 1)),
    (
        "upgraded after the new deadline: missed at the upgrade",
        incident(3, (20, 1), attended=25),
        99,
        (X, 1),
        (X, 1),
    ),
    (
        "downgraded after breach: still missed under the grade it breached",
        incident(1, (20, 3), attended=40),
        99,
        (X, 1),
        (M, 3),
    ),
    (
        "downgraded before its deadline: scored by the new grade",
        incident(1, (10, 3), attended=40),
        99,
        (M, 3),
        (M, 3),
    ),
    ("grade 5: counted, not scored", incident(5), FOREVER, (N, 5), (N, 5)),
    ("grade 6 attended after days", incident(6, attended=4000), FOREVER, (N, 6), (N, 6)),
    ("closed unattended before deadline", incident(1, closed=10), FOREVER, (N, 1), (N, 1)),
    ("closed unattended after deadline", incident(1, closed=20), FOREVER, (X, 1), (N, 1)),
    (
        "closed as attended, no attendance event, before deadline",
        incident(1, closed=12, closed_attended=True),
        FOREVER,
        (M, 1),
        (M, 1),
    ),
    ("routine at 48 h exactly", incident(4, attended=2880), FOREVER, (M, 4), (X, 4)),
    ("routine at 48 h + 1 s", incident(4, attended=2880 + 1 / 60), FOREVER, (X, 4), (X, 4)),
    (
        "regrade at the instant of attendance is too late to count",
        incident(3, (30, 1), attended=30),
        99,
        (M, 3),
        (M, 3),
    ),
    (
        "never attended: missed once the deadline passes",
        incident(3),
        61,
        (X, 3),
        (A, 3),
    ),
]


@pytest.mark.parametrize(
    ("facts", "as_of_min", "essex", "npcc"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_score(facts: Incident, as_of_min: float, essex: tuple, npcc: tuple) -> None:
    for policy, (status, grade) in ((ESSEX, essex), (NPCC, npcc)):
        result = score(facts, policy, round(as_of_min * MIN))
        assert (result.status, int(result.grade)) == (status, grade), policy.id


def test_npcc_downgrade_case_is_grade_1_breached_at_20_minutes() -> None:
    # Under NPCC, grade 1 is 20 minutes: a downgrade at exactly 20 min is not after it.
    result = score(incident(1, (20, 3), attended=40), NPCC, 99 * MIN)
    assert (result.status, result.grade, result.downgraded_after_breach) == (
        Status.MET,
        Grade.G3,
        False,
    )


def test_downgrade_after_breach_is_flagged_only_then() -> None:
    assert score(incident(1, (20, 3), attended=40), ESSEX, 0).downgraded_after_breach
    assert score(incident(1, (20, 5)), ESSEX, 99 * MIN).downgraded_after_breach
    assert not score(incident(1, (10, 3), attended=40), ESSEX, 0).downgraded_after_breach
    # An upgrade after breach is not a downgrade.
    assert not score(incident(3, (70, 1)), ESSEX, 99 * MIN).downgraded_after_breach
    # Grades 1 and 2 share the emergency target under Essex: not a downgrade.
    assert not score(incident(1, (20, 2)), ESSEX, 99 * MIN).downgraded_after_breach
    # After attendance, a downgrade changes nothing and is not counted.
    assert not score(incident(1, (30, 3), attended=20), ESSEX, 0).downgraded_after_breach


def test_attendance_time_and_flags() -> None:
    result = score(incident(1, attended=14.5), ESSEX, 0)
    assert (result.attended, result.attendance_us, result.deadline_us) == (
        True,
        870 * SEC,
        15 * MIN,
    )
    closed = score(incident(1, closed=12, closed_attended=True), ESSEX, 0)
    assert (closed.attended, closed.attendance_us, closed.closed_unattended) == (True, None, False)
    never = score(incident(1, closed=12), ESSEX, 0)
    assert (never.attended, never.closed_unattended) == (False, True)


@pytest.mark.parametrize(
    ("facts", "as_of_min", "expected"),
    [
        (incident(3, category="residential_burglary", attended=60), 0, Status.MET),
        (incident(3, category="residential_burglary", attended=61), 0, Status.MISSED),
        # Met its grade's 48 hours, missed the burglary hour.
        (incident(4, category="residential_burglary", attended=70), 0, Status.MISSED),
        (incident(4, category="residential_burglary"), 59, Status.AWAITING),
        (incident(4, category="residential_burglary"), 61, Status.MISSED),
        (incident(5, category="residential_burglary", closed=30), 0, Status.NOT_SCORED),
        (incident(3, category="robbery", attended=10), 0, None),
    ],
)
def test_residential_burglary_hour(facts: Incident, as_of_min: float, expected) -> None:
    assert score(facts, ESSEX, int(as_of_min * MIN)).category is expected


def test_grade_4_under_its_burglary_hour_meets_its_grade() -> None:
    result = score(incident(4, category="residential_burglary", attended=70), ESSEX, 0)
    assert result.status is Status.MET


@pytest.mark.parametrize(
    ("elapsed_min", "expected"),
    [(11.99, False), (12, True), (14.99, True), (15, True), (15.01, False)],
)
def test_about_to_breach_from_80_percent_until_the_deadline(elapsed_min, expected) -> None:
    as_of = int(elapsed_min * MIN)
    result = score(incident(1), ESSEX, as_of)
    assert about_to_breach(result, 0, as_of) is expected


def test_upgrade_moves_the_deadline_but_the_clock_runs_from_creation() -> None:
    # Priority for 10 minutes, then emergency: the deadline is 15 min after creation.
    result = score(incident(3, (10, 1)), ESSEX, 11 * MIN)
    assert (result.status, result.deadline_us) == (Status.AWAITING, 15 * MIN)
    assert about_to_breach(result, 0, 12 * MIN)
