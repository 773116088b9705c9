"""The targets file: call-handling and chat targets, effective-dated.

Validated by pydantic; the file lives in ``deploy/config/targets.yaml``. Loading
(reading YAML) is kept out of the models so the core stays free of I/O.
"""

from datetime import date, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas import Channel, Queue

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


_Dated = TypeVar("_Dated", CallHandlingTargets, ChatTargets)


def _in_force(sets: list[_Dated], day: date) -> _Dated:
    current = sets[0]
    for candidate in sets:
        if candidate.effective_from <= day:
            current = candidate
    return current


class Targets(_Frozen):
    call_handling: list[CallHandlingTargets] = Field(min_length=1)
    chat: list[ChatTargets] = Field(min_length=1)

    @model_validator(mode="after")
    def _dated_in_order(self) -> "Targets":
        for name in ("call_handling", "chat"):
            dates = [s.effective_from for s in getattr(self, name)]
            if dates != sorted(set(dates)):
                raise ValueError(f"{name}: effective_from dates must be distinct and ascending")
        return self

    def calls_on(self, day: date) -> CallHandlingTargets:
        """The call-handling set in force on ``day`` (the earliest set covers older days)."""
        return _in_force(self.call_handling, day)

    def chat_on(self, day: date) -> ChatTargets:
        return _in_force(self.chat, day)


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
