"""Incidents: created -> regraded* -> attended -> closed, scored by `attendance.score`.

Every figure is attributed to the instant the incident was created, under the
grading policy in force that day. What the tallies hold is what the incident's
own events prove (scored as of its newest event), so it is the same whatever
order they arrived in and after any restart. That an open incident has since
passed its deadline is a matter of "now": `live_view` works it out at the
reference time, on a quiet night from the wall clock.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum

from schemas import (
    Area,
    Category,
    Envelope,
    Grade,
    IncidentAttended,
    IncidentClosed,
    IncidentCreated,
    IncidentRegraded,
    RejectReason,
)
from streams.core.attendance import Incident, Score, Status, about_to_breach, score
from streams.core.buckets import ATTENDANCE_BUCKETS_S
from streams.core.ledger import Conflict, DeadLetter, Ledger, Lifecycle, pack, unpack
from streams.core.tally import NOTHING, Contribution, Dim
from streams.core.targets import GradingPolicy, Targets
from streams.core.timebase import london_day


class IncidentCount(IntEnum):
    """Counts per (policy, grade, area, category), by when the incident was created.

    After these come one count per attendance-time bucket.
    """

    CREATED = 0
    MET = 1
    MISSED = 2
    ATTENDED = 3
    """Attended (an attendance event, or closed as attended): the attendance rate's top."""
    CLOSED_UNATTENDED = 4
    DOWNGRADED_AFTER_BREACH = 5
    CATEGORY_MET = 6
    CATEGORY_MISSED = 7
    ATTENDANCE_US_SUM = 8
    ATTENDANCE_TIMED = 9
    """Attended with an attendance event, so with an attendance time."""


FIRST_BUCKET = len(IncidentCount)
INCIDENT_WIDTH = FIRST_BUCKET + len(ATTENDANCE_BUCKETS_S)


def vector(result: Score) -> tuple[int, ...]:
    counts = [0] * INCIDENT_WIDTH
    counts[IncidentCount.CREATED] = 1
    counts[IncidentCount.MET] = int(result.status is Status.MET)
    counts[IncidentCount.MISSED] = int(result.status is Status.MISSED)
    counts[IncidentCount.ATTENDED] = int(result.attended)
    counts[IncidentCount.CLOSED_UNATTENDED] = int(result.closed_unattended)
    counts[IncidentCount.DOWNGRADED_AFTER_BREACH] = int(result.downgraded_after_breach)
    counts[IncidentCount.CATEGORY_MET] = int(result.category is Status.MET)
    counts[IncidentCount.CATEGORY_MISSED] = int(result.category is Status.MISSED)
    if result.attendance_us is not None:
        counts[IncidentCount.ATTENDANCE_US_SUM] = result.attendance_us
        counts[IncidentCount.ATTENDANCE_TIMED] = 1
        for i, bound_s in enumerate(ATTENDANCE_BUCKETS_S):
            counts[FIRST_BUCKET + i] = int(result.attendance_us <= bound_s * 1_000_000)
    return tuple(counts)


@dataclass(slots=True)
class IncidentLife(Lifecycle):
    created_us: int | None = None
    grade: Grade | None = None
    """The grade it was created with."""
    area: Area | None = None
    category: Category | None = None
    regrades: list[tuple[int, str, Grade]] = field(default_factory=list)
    """(µs, event id, grade): sorted when scored, the id breaking ties."""
    attended_us: int | None = None
    closed_us: int | None = None
    closed_attended: bool = False
    held: list[tuple[int, bytes]] = field(default_factory=list)
    """Events that came before their incident.created: (µs, bytes)."""
    forgotten_as_of: int | None = None
    """Set when it stayed open past the longest credible life: scored as of then, for good."""

    def __init__(
        self,
        created_us: int | None = None,
        grade: Grade | None = None,
        area: Area | None = None,
        category: Category | None = None,
        regrades: list[tuple[int, str, Grade]] | None = None,
        attended_us: int | None = None,
        closed_us: int | None = None,
        closed_attended: bool = False,
        held: list[tuple[int, bytes]] | None = None,
        forgotten_as_of: int | None = None,
    ) -> None:
        Lifecycle.__init__(self)
        self.created_us = created_us
        self.grade = grade
        self.area = area
        self.category = category
        self.regrades = [] if regrades is None else regrades
        self.attended_us = attended_us
        self.closed_us = closed_us
        self.closed_attended = closed_attended
        self.held = [] if held is None else held
        self.forgotten_as_of = forgotten_as_of

    def facts(self) -> Incident | None:
        if self.created_us is None or self.grade is None or self.area is None:
            return None
        assert self.category is not None
        later = sorted((at, event_id, g) for at, event_id, g in self.regrades)
        return Incident(
            created_us=self.created_us,
            area=self.area,
            category=self.category,
            grades=((self.created_us, self.grade), *((at, g) for at, _, g in later)),
            attended_us=self.attended_us,
            closed_us=self.closed_us,
            closed_attended=self.closed_attended,
        )

    @property
    def awaiting_attendance(self) -> bool:
        return (
            self.created_us is not None
            and self.attended_us is None
            and self.closed_us is None
            and self.forgotten_as_of is None
        )


@dataclass
class LiveView:
    """What "now" adds to the tallies, and the gauges of incidents awaiting attendance."""

    corrections: list[tuple[Dim, int, tuple[int, ...]]] = field(default_factory=list)
    """(dimension, created µs, counts to add): open incidents whose deadline passed since
    their newest event."""
    awaiting: Counter[tuple[str, Grade]] = field(default_factory=Counter)
    about_to_breach: Counter[tuple[str, Grade]] = field(default_factory=Counter)
    breached: Counter[tuple[str, Grade]] = field(default_factory=Counter)
    """Awaiting attendance past their deadline, by (policy id, grade)."""


class IncidentLedger(Ledger):
    tally_widths: tuple[int, ...] = (INCIDENT_WIDTH,)

    def __init__(
        self, targets: Targets, grace_us: int, stale_us: int, close_after_us: int = 0
    ) -> None:
        super().__init__(targets, grace_us, stale_us, close_after_us)
        self._policies: dict[date, GradingPolicy] = {}

    def new(self) -> IncidentLife:
        return IncidentLife()

    def update(self, incident: IncidentLife, event: Envelope, event_us: int, raw: bytes) -> None:
        if isinstance(event, IncidentCreated):
            if incident.created_us is not None:
                raise Conflict("the incident was already created")
            incident.created_us = event_us
            incident.grade, incident.area, incident.category = (
                event.grade,
                event.area,
                event.category,
            )
            incident.held = []
            return
        if isinstance(event, IncidentRegraded):
            incident.regrades.append((event_us, event.event_id, event.grade))
        elif isinstance(event, IncidentAttended):
            if incident.attended_us is not None:
                raise Conflict("the incident was already attended")
            incident.attended_us = event_us
        elif isinstance(event, IncidentClosed):
            if incident.closed_us is not None:
                raise Conflict("the incident was already closed")
            incident.closed_us = event_us
            incident.closed_attended = bool(event.attended)
        if incident.created_us is None:
            incident.held.append((event_us, raw))

    def policy(self, created_us: int) -> GradingPolicy:
        day = london_day(created_us)
        found = self._policies.get(day)
        if found is None:
            found = self._policies[day] = self.targets.policy_on(day)
        return found

    def targets_policy(self, policy_id: str) -> GradingPolicy | None:
        for policy in self.targets.incident_grading:
            if policy.id == policy_id:
                return policy
        return None

    def score(self, incident: IncidentLife, as_of_us: int) -> tuple[Score, GradingPolicy] | None:
        facts = incident.facts()
        if facts is None:
            return None
        policy = self.policy(facts.created_us)
        return score(facts, policy, as_of_us), policy

    def _proven_as_of(self, incident: IncidentLife) -> int:
        if incident.forgotten_as_of is not None:
            return max(incident.forgotten_as_of, incident.last_event_us)
        return incident.last_event_us

    def contributions(self, incident: IncidentLife) -> tuple[Contribution, ...]:
        scored = self.score(incident, self._proven_as_of(incident))
        if scored is None:
            return (NOTHING,)
        result, policy = scored
        assert incident.created_us is not None
        counts = ((self.dim(incident, policy, result), incident.created_us, vector(result)),)
        return (Contribution(counts),)

    @staticmethod
    def dim(incident: IncidentLife, policy: GradingPolicy, result: Score) -> Dim:
        return (policy.id, result.grade, incident.area, incident.category)

    def overdue_after(self, incident: IncidentLife) -> int | None:
        if incident.held:
            return max(at for at, _ in incident.held) + self.grace_us
        if (
            incident.created_us is not None
            and incident.closed_us is None
            and incident.forgotten_as_of is None
        ):
            return incident.created_us + self.stale_us
        return None

    def expire(self, incident: IncidentLife, stream_us: int) -> list[DeadLetter]:
        if incident.held:
            if max(at for at, _ in incident.held) + self.grace_us >= stream_us:
                return []
            dead = [
                DeadLetter(
                    RejectReason.ORPHAN,
                    "incident event with no incident.created within the grace period",
                    raw,
                )
                for _, raw in incident.held
            ]
            incident.held = []
            incident.regrades, incident.attended_us, incident.closed_us = [], None, None
            incident.closed_attended = False
            return dead
        if incident.created_us is not None and incident.closed_us is None:
            # Never closed: score it for good as of its longest credible life and let it go.
            incident.forgotten_as_of = incident.created_us + self.stale_us
        return []

    def is_settled(self, incident: IncidentLife) -> bool:
        if incident.held:
            return False
        if incident.created_us is None:
            return True
        return incident.closed_us is not None or incident.forgotten_as_of is not None

    def live_view(self, ref_us: int, timely_only: bool = False) -> LiveView:
        """What ``ref_us`` adds to the tallies; ``timely_only`` for the live windows, which
        hold no event later than the grace period (so neither must the view), else for
        the day and month figures, which hold every event."""
        view = LiveView()
        for incident in self.unsettled_live() if timely_only else self.unsettled():
            if not incident.awaiting_attendance:
                continue
            assert incident.created_us is not None
            scored = self.score(incident, ref_us)
            if scored is None:
                continue
            now, policy = scored
            key = (policy.id, now.grade)
            view.awaiting[key] += 1
            if now.status is Status.MISSED:
                view.breached[key] += 1
            elif about_to_breach(now, incident.created_us, ref_us):
                view.about_to_breach[key] += 1
            proven = self.contributions(incident)[0].counts[0]
            now_counts = vector(now)
            if now_counts != proven[2] or self.dim(incident, policy, now) != proven[0]:
                view.corrections.append((proven[0], incident.created_us, _negate(proven[2])))
                view.corrections.append(
                    (self.dim(incident, policy, now), incident.created_us, now_counts)
                )
        return view

    def lifecycle_to_json(self, incident: IncidentLife) -> dict:
        return {
            "c": [
                incident.created_us,
                int(incident.grade) if incident.grade is not None else None,
                incident.area,
                incident.category,
            ],
            "rg": [[at, event_id, int(g)] for at, event_id, g in incident.regrades],
            "a": incident.attended_us,
            "x": [incident.closed_us, incident.closed_attended],
            "h": [[at, pack(raw)] for at, raw in incident.held],
            "f": incident.forgotten_as_of,
        }

    def lifecycle_copy(self, incident: IncidentLife) -> IncidentLife:
        return IncidentLife(
            incident.created_us,
            incident.grade,
            incident.area,
            incident.category,
            list(incident.regrades),
            incident.attended_us,
            incident.closed_us,
            incident.closed_attended,
            list(incident.held),
            incident.forgotten_as_of,
        )

    def lifecycle_from_json(self, data: dict) -> IncidentLife:
        created, grade, area, category = data["c"]
        closed, closed_attended = data["x"]
        return IncidentLife(
            created_us=created,
            grade=Grade(grade) if grade is not None else None,
            area=Area(area) if area is not None else None,
            category=Category(category) if category is not None else None,
            regrades=[(at, event_id, Grade(g)) for at, event_id, g in data["rg"]],
            attended_us=data["a"],
            closed_us=closed,
            closed_attended=closed_attended,
            held=[(at, unpack(raw) or b"") for at, raw in data["h"]],
            forgotten_as_of=data["f"],
        )


def _negate(counts: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-n for n in counts)
