"""The targets file: call-handling, chat and incident grading targets, effective-dated.

Validated by pydantic; the file lives in ``deploy/config/targets.yaml``. Loading
(reading YAML) is kept out of the models so the core stays free of I/O.
"""

from datetime import date, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas import Area, Category, Channel, Grade, Queue
from streams.core.buckets import ANSWER_BUCKETS_S, ATTENDANCE_BUCKETS_S, CALLBACK_BUCKETS_S

DEFAULT_TARGETS_PATH = Path(__file__).resolve().parents[2] / "deploy" / "config" / "targets.yaml"


class ServiceLevelFormula(StrEnum):
    STRICT = "strict"
    IGNORE_ABANDONS = "ignore_abandons"
    ABANDONS_WITHIN_TARGET_MET = "abandons_within_target_met"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Ratio = Annotated[float, Field(gt=0, le=1)]


class QueueTarget(_Frozen):
    queue: Queue
    channel: Channel | None = None
    """Omit to apply to every channel at this queue."""
    answer_within_seconds: int = Field(gt=0)
    service_level_objective: Ratio
    abandonment_objective: Ratio | None = None
    service_level_formula: ServiceLevelFormula | None = None
    """Overrides the set's formula for this queue."""
    short_abandon_seconds: int | None = Field(default=None, ge=0)


class ResolvedQueueTarget(_Frozen):
    """A queue target with every default filled in: what a leg is scored by."""

    answer_within_us: int
    service_level_objective: float
    abandonment_objective: float | None
    formula: ServiceLevelFormula
    short_abandon_us: int


class CallHandlingTargets(_Frozen):
    effective_from: date
    queues: list[QueueTarget]
    service_level_formula: ServiceLevelFormula = ServiceLevelFormula.STRICT
    short_abandon_seconds: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _covers_every_queue(self) -> "CallHandlingTargets":
        for channel in Channel:
            for queue in Queue:
                if self._find(channel, queue) is None:
                    raise ValueError(
                        f"no target for {channel.value} calls at {queue.value}: add an entry with "
                        f'queue: {queue.value} (and channel: "{channel.value}" or no channel)'
                    )
        return self

    def _find(self, channel: Channel, queue: Queue) -> QueueTarget | None:
        exact = [t for t in self.queues if t.queue is queue and t.channel is channel]
        general = [t for t in self.queues if t.queue is queue and t.channel is None]
        return (exact or general or [None])[0]

    def resolve(self, channel: Channel, queue: Queue) -> ResolvedQueueTarget:
        target = self._find(channel, queue)
        assert target is not None  # guaranteed by the validator
        short = target.short_abandon_seconds
        return ResolvedQueueTarget(
            answer_within_us=target.answer_within_seconds * 1_000_000,
            service_level_objective=target.service_level_objective,
            abandonment_objective=target.abandonment_objective,
            formula=target.service_level_formula or self.service_level_formula,
            short_abandon_us=(self.short_abandon_seconds if short is None else short) * 1_000_000,
        )


class ChatTargets(_Frozen):
    effective_from: date
    accept_within_seconds: int = Field(gt=0)
    service_level_objective: Ratio
    abandonment_objective: Ratio | None = None
    opens: time
    closes: time

    def is_open_at(self, local_time: time) -> bool:
        return self.opens <= local_time < self.closes


class Response(StrEnum):
    """What a grade asks for, in the words of the grading policies. A metric label, so closed:
    the panel's tables and the alerts group grades by it (emergency, priority, ...)."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    PRIORITY = "priority"
    ROUTINE = "routine"
    SCHEDULED = "scheduled"
    RESOLUTION_WITHOUT_DEPLOYMENT = "resolution_without_deployment"
    APPOINTMENT = "appointment"


class AreaMinutes(_Frozen):
    """An attendance target that depends on where the incident is."""

    urban: int = Field(gt=0)
    rural: int = Field(gt=0)


class GradeTarget(_Frozen):
    grade: Grade
    name: str = Field(min_length=1)
    """The grade as the policy words it, e.g. "Urban emergency"."""
    response: Response
    attend_within_minutes: int | AreaMinutes | None = Field(default=None)
    """Minutes from creation to first attendance; per area if it differs; none if the grade
    has no attendance target (it is then counted, not scored)."""

    @model_validator(mode="after")
    def _positive(self) -> "GradeTarget":
        if isinstance(self.attend_within_minutes, int) and self.attend_within_minutes <= 0:
            raise ValueError(f"grade {int(self.grade)}: attend_within_minutes must be positive")
        return self

    def target_us(self, area: Area) -> int | None:
        minutes = self.attend_within_minutes
        if minutes is None:
            return None
        if isinstance(minutes, AreaMinutes):
            minutes = minutes.urban if area is Area.URBAN else minutes.rural
        return minutes * 60_000_000


class CategoryTarget(_Frozen):
    """A commitment for one category whatever its grade (residential burglary: within 1 h)."""

    category: Category
    attend_within_minutes: int = Field(gt=0)


PolicyId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class GradingPolicy(_Frozen):
    id: PolicyId
    """Short name, used as the ``policy`` label and in exports."""
    name: str = Field(min_length=1)
    effective_from: date | None
    """The first day (Europe/London) incidents created on it are scored by this policy;
    none while the policy is defined but not adopted."""
    grades: list[GradeTarget]
    objectives: dict[Response, Ratio] = Field(default_factory=dict)
    """Share of incidents of each response to attend within target."""
    category_targets: list[CategoryTarget] = Field(default_factory=list)

    @model_validator(mode="after")
    def _every_grade_once(self) -> "GradingPolicy":
        seen = [g.grade for g in self.grades]
        missing = [int(g) for g in Grade if g not in seen]
        if missing or len(seen) != len(set(seen)):
            raise ValueError(
                f"policy {self.id}: list each grade 1-6 exactly once"
                + (f" (missing: {', '.join(map(str, missing))})" if missing else "")
            )
        categories = [c.category for c in self.category_targets]
        if len(categories) != len(set(categories)):
            raise ValueError(f"policy {self.id}: a category has two category_targets")
        return self

    def grade(self, grade: Grade) -> GradeTarget:
        for target in self.grades:
            if target.grade is grade:
                return target
        raise KeyError(grade)  # unreachable: the validator requires every grade

    def target_us(self, grade: Grade, area: Area) -> int | None:
        return self.grade(grade).target_us(area)

    def category_target_us(self, category: Category) -> int | None:
        for target in self.category_targets:
            if target.category is category:
                return target.attend_within_minutes * 60_000_000
        return None


class NationalStandards(_Frozen):
    """The standards every force publishes its figures against (the January 2026 policing
    white paper). Their clock start and the national definition of urban and rural are not
    settled yet, so they are dated configuration like the force's own targets."""

    effective_from: date
    answer_999_within_seconds: int = Field(default=10, gt=0)
    """999 calls answered within this, as the Home Office's first band counts them
    (strictly under it). Stated on the public page; ccm counts only the 10 s band."""
    emergency_attend_within_minutes: AreaMinutes = AreaMinutes(urban=15, rural=20)
    """Emergencies attended within this from creation (no later than), by the incident's
    area. Which incidents are emergencies follows the grading policy in force."""

    def attend_within_us(self, area: Area) -> int:
        minutes = self.emergency_attend_within_minutes
        return (minutes.urban if area is Area.URBAN else minutes.rural) * 60_000_000


class CallbackTargets(_Frozen):
    """Call-backs owed on abandoned calls: the force's own targets, not national standards.
    An abandoned call is judged by the set in force on the day its leg was offered."""

    effective_from: date
    channels: list[Channel] = Field(default_factory=lambda: [Channel.EMERGENCY])
    """Channels whose abandoned calls are owed a call-back."""
    first_attempt_within_minutes: int = Field(default=10, gt=0)
    resolve_within_minutes: int = Field(default=60, gt=0)
    open_for_hours: int = Field(default=24, gt=0)
    """How long an unresolved call-back stays owed (live) before it counts as unresolved."""
    in_use_within_days: int = Field(default=7, gt=0)
    """The page for a missed first attempt fires only while a call-back has been seen on
    the channel within this many days: a force whose systems send none is not paged."""
    first_attempt_objective: Ratio = 0.9
    """Share of call-backs owed to be first attempted within target: the burn-rate
    alerts' objective. The force's own setting; no series carries it, the generated
    rules hold it as a number."""

    @model_validator(mode="after")
    def _in_order(self) -> "CallbackTargets":
        if self.resolve_within_minutes < self.first_attempt_within_minutes:
            raise ValueError("resolve_within_minutes is shorter than first_attempt_within_minutes")
        if self.open_for_hours * 60 < self.resolve_within_minutes:
            raise ValueError("open_for_hours is shorter than resolve_within_minutes")
        return self

    @property
    def first_attempt_us(self) -> int:
        return self.first_attempt_within_minutes * 60_000_000

    @property
    def resolve_us(self) -> int:
        return self.resolve_within_minutes * 60_000_000

    @property
    def stale_us(self) -> int:
        return self.open_for_hours * 3_600_000_000


HOME_OFFICE_999_BAND_S = 10
WHITE_PAPER = date(2026, 1, 1)
"""The standards' start when a targets file names none."""


_Dated = TypeVar(
    "_Dated", CallHandlingTargets, CallbackTargets, ChatTargets, GradingPolicy, NationalStandards
)


def _in_force(sets: list[_Dated], day: date) -> _Dated:
    """The set in force on ``day``; the earliest covers older days."""
    current = sets[0]
    for candidate in sets:
        if candidate.effective_from is not None and candidate.effective_from <= day:
            current = candidate
    return current


class Targets(_Frozen):
    call_handling: list[CallHandlingTargets] = Field(min_length=1)
    chat: list[ChatTargets] = Field(min_length=1)
    incident_grading: list[GradingPolicy] = Field(min_length=1)
    national_standards: list[NationalStandards] = Field(
        default_factory=lambda: [NationalStandards(effective_from=WHITE_PAPER)], min_length=1
    )
    callbacks: list[CallbackTargets] = Field(
        default_factory=lambda: [CallbackTargets(effective_from=date(2000, 1, 1))], min_length=1
    )

    @model_validator(mode="after")
    def _dated_in_order(self) -> "Targets":
        for name in ("call_handling", "chat", "national_standards", "callbacks"):
            dates = [s.effective_from for s in getattr(self, name)]
            if dates != sorted(set(dates)):
                raise ValueError(f"{name}: effective_from dates must be distinct and ascending")
        ids = [p.id for p in self.incident_grading]
        if len(ids) != len(set(ids)):
            raise ValueError("incident_grading: each policy needs its own id")
        dates = [p.effective_from for p in self.adopted_policies()]
        if not dates:
            raise ValueError(
                "incident_grading: give at least one policy an effective_from date "
                "(the policy in force)"
            )
        if len(dates) != len(set(dates)):
            raise ValueError("incident_grading: two policies take effect on the same day")
        self._targets_are_histogram_bounds()
        return self

    def _targets_are_histogram_bounds(self) -> None:
        for calls in self.call_handling:
            for queue in calls.queues:
                if queue.answer_within_seconds not in ANSWER_BUCKETS_S:
                    raise ValueError(
                        f"call_handling from {calls.effective_from}, {queue.queue.value}: "
                        f"answer_within_seconds {queue.answer_within_seconds} is not an "
                        f"answer-time histogram bound; use one of {list(ANSWER_BUCKETS_S)}"
                    )
        for policy in self.incident_grading:
            targets_us = [
                (f"grade {int(grade)} ({area.value})", policy.target_us(grade, area))
                for grade in Grade
                for area in Area
            ] + [(c.value, policy.category_target_us(c)) for c in Category]
            for what, target_us in targets_us:
                if target_us is not None and target_us // 1_000_000 not in ATTENDANCE_BUCKETS_S:
                    raise ValueError(
                        f"policy {policy.id}, {what}: {target_us // 60_000_000} minutes is not "
                        "an attendance-time histogram bound; use one of "
                        f"{[s // 60 for s in ATTENDANCE_BUCKETS_S]} minutes"
                    )

        for standards in self.national_standards:
            where = f"national_standards from {standards.effective_from}"
            if standards.answer_999_within_seconds != HOME_OFFICE_999_BAND_S:
                raise ValueError(
                    f"{where}: answer_999_within_seconds {standards.answer_999_within_seconds} "
                    f"is not the Home Office's first band ({HOME_OFFICE_999_BAND_S} s), the "
                    "only one ccm counts 999 answers in; set it to 10"
                )
            for area in Area:
                minutes = standards.attend_within_us(area) // 60_000_000
                if minutes * 60 not in ATTENDANCE_BUCKETS_S:
                    raise ValueError(
                        f"{where}, {area.value}: {minutes} minutes is not an attendance-time "
                        f"histogram bound; use one of {[s // 60 for s in ATTENDANCE_BUCKETS_S]}"
                        " minutes"
                    )

        for callbacks in self.callbacks:
            if callbacks.first_attempt_within_minutes * 60 not in CALLBACK_BUCKETS_S:
                raise ValueError(
                    f"callbacks from {callbacks.effective_from}: first_attempt_within_minutes "
                    f"{callbacks.first_attempt_within_minutes} is not a bound of the time to "
                    f"first attempt histogram; use one of {[s // 60 for s in CALLBACK_BUCKETS_S]}"
                )

    def adopted_policies(self) -> list[GradingPolicy]:
        """Policies with a date, oldest first."""
        dated = [p for p in self.incident_grading if p.effective_from is not None]
        return sorted(dated, key=lambda p: p.effective_from or date.min)

    def policy_on(self, day: date) -> GradingPolicy:
        """The grading policy for incidents created on ``day`` (the earliest covers older days)."""
        return _in_force(self.adopted_policies(), day)

    def calls_on(self, day: date) -> CallHandlingTargets:
        """The call-handling set in force on ``day`` (the earliest set covers older days)."""
        return _in_force(self.call_handling, day)

    def chat_on(self, day: date) -> ChatTargets:
        return _in_force(self.chat, day)

    def standards_on(self, day: date) -> NationalStandards:
        """The national standards incidents created and calls offered on ``day`` are
        published against (the earliest set covers older days)."""
        return _in_force(self.national_standards, day)

    def callbacks_on(self, day: date) -> CallbackTargets:
        """The call-back targets for calls whose abandoned leg was offered on ``day``."""
        return _in_force(self.callbacks, day)


class TargetsFileError(ValueError):
    """The targets file is unreadable or invalid; the message says where."""


def parse_targets(data: Any, origin: str = "targets") -> Targets:
    try:
        return Targets.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'top level'}: {e['msg']}"
            for e in error.errors()
        )
        raise TargetsFileError(f"{origin} is invalid: {problems}") from None
