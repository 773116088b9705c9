"""Scoring one incident against its attendance target (SPEC section 4).

The clock always runs from creation. At every instant before the first resource
arrives, the incident's deadline is ``created + target(grade then, area)``; the
incident *misses* as soon as some instant passes its deadline unattended, and a
miss is final: a later downgrade or attendance does not undo it. It *meets* its
target when attended no later than the deadline of the grade it had then (to the
microsecond, so exactly at the deadline is met). Grades without a target are
counted, not scored. All instants are integer µs of UTC, so a 15-minute target
across the October change is 15 real minutes.
"""

from dataclasses import dataclass
from enum import IntEnum

from schemas import Area, Category, Grade
from streams.core.targets import GradingPolicy

ABOUT_TO_BREACH = 0.8
"""Share of the target elapsed, unattended, from which an incident is about to breach."""


class Status(IntEnum):
    MET = 1
    MISSED = 2
    AWAITING = 3
    """Not attended, open, deadline not passed yet (as of the time scored)."""
    NOT_SCORED = 4
    """No target for its grade, or closed without attendance before its deadline."""


# Neither is changed once made. Their __init__ is written out: compiled, the one a
# dataclass makes would be interpreted Python, run for every incident event.
@dataclass(slots=True)
class Incident:
    """What the events of one incident say, in µs."""

    created_us: int
    area: Area
    category: Category
    grades: tuple[tuple[int, Grade], ...]
    """(from µs, grade), in time order, the first at creation."""
    attended_us: int | None = None
    closed_us: int | None = None
    closed_attended: bool = False
    """Closed with ``attended: true`` (attendance may have no event of its own)."""

    def __init__(
        self,
        created_us: int,
        area: Area,
        category: Category,
        grades: tuple[tuple[int, Grade], ...],
        attended_us: int | None = None,
        closed_us: int | None = None,
        closed_attended: bool = False,
    ) -> None:
        self.created_us = created_us
        self.area = area
        self.category = category
        self.grades = grades
        self.attended_us = attended_us
        self.closed_us = closed_us
        self.closed_attended = closed_attended


@dataclass(slots=True)
class Score:
    status: Status
    grade: Grade
    """The grade it counts under: when it missed, when attended, or now."""
    deadline_us: int | None
    """The deadline of that grade (none without a target)."""
    attended: bool
    attendance_us: int | None
    """Creation to attendance, when an attendance event says when."""
    closed_unattended: bool
    downgraded_after_breach: bool
    """Downgraded while unattended after it had already missed."""
    category: Status | None
    """Against its category's own target, if it has one (never AWAITING past its deadline)."""

    def __init__(
        self,
        status: Status,
        grade: Grade,
        deadline_us: int | None,
        attended: bool,
        attendance_us: int | None,
        closed_unattended: bool,
        downgraded_after_breach: bool,
        category: Status | None,
    ) -> None:
        self.status = status
        self.grade = grade
        self.deadline_us = deadline_us
        self.attended = attended
        self.attendance_us = attendance_us
        self.closed_unattended = closed_unattended
        self.downgraded_after_breach = downgraded_after_breach
        self.category = category


def score(incident: Incident, policy: GradingPolicy, as_of_us: int) -> Score:
    """The incident's score as known at ``as_of_us`` (only the unattended, open part of
    its life depends on it)."""
    created = incident.created_us
    attended = incident.attended_us is not None or incident.closed_attended
    if incident.attended_us is not None:
        end = max(created, incident.attended_us)
    elif incident.closed_us is not None:
        # Attended at an unknown time before closing, or never: either way the
        # incident stopped waiting for attendance when it was closed.
        end = max(created, incident.closed_us)
    else:
        end = max(created, as_of_us)

    grades = incident.grades
    breach: tuple[int, Grade, int] | None = None  # (instant, grade, deadline)
    downgraded_after_breach = False
    for i, (start, grade) in enumerate(grades):
        if start >= end:
            break
        stop = min(grades[i + 1][0], end) if i + 1 < len(grades) else end
        target = policy.target_us(grade, incident.area)
        if breach is None and target is not None and created + target < stop:
            breach = (max(start, created + target), grade, created + target)
        if i + 1 < len(grades) and grades[i + 1][0] < end and breach is not None:
            after = policy.target_us(grades[i + 1][1], incident.area)
            if target is not None and (after is None or after > target):
                downgraded_after_breach = True

    deadline: int | None
    if breach is not None:
        status, grade, deadline = Status.MISSED, breach[1], breach[2]
    else:
        grade = _grade_at(grades, end)
        target = policy.target_us(grade, incident.area)
        deadline = None if target is None else created + target
        if target is None:
            status = Status.NOT_SCORED
        elif attended:
            status = Status.MET
        elif incident.closed_us is not None:
            status = Status.NOT_SCORED
        else:
            status = Status.AWAITING

    return Score(
        status=status,
        grade=grade,
        deadline_us=deadline,
        attended=attended,
        attendance_us=(
            max(0, incident.attended_us - created) if incident.attended_us is not None else None
        ),
        closed_unattended=incident.closed_us is not None and not attended,
        downgraded_after_breach=downgraded_after_breach,
        category=_category_status(incident, policy, attended, end),
    )


def _grade_at(grades: tuple[tuple[int, Grade], ...], end: int) -> Grade:
    """The grade it had just before ``end``: a regrade at the very instant of attendance
    came too late to change what the attendance is scored against."""
    current = grades[0][1]
    for start, grade in grades[1:]:
        if start < end:
            current = grade
    return current


def _category_status(
    incident: Incident, policy: GradingPolicy, attended: bool, end: int
) -> Status | None:
    target = policy.category_target_us(incident.category)
    if target is None:
        return None
    if incident.created_us + target < end:
        return Status.MISSED
    if attended:
        return Status.MET
    if incident.closed_us is not None:
        return Status.NOT_SCORED
    return Status.AWAITING


def about_to_breach(score_: Score, created_us: int, as_of_us: int) -> bool:
    """Awaiting attendance with at least 80 % of its target gone."""
    if score_.status is not Status.AWAITING or score_.deadline_us is None:
        return False
    target = score_.deadline_us - created_us
    return (as_of_us - created_us) >= ABOUT_TO_BREACH * target
