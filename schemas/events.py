"""Pydantic models of every event in the contract (SPEC section 3).

Models are strict (a number where a string belongs is a wrong type, not something
to coerce), frozen, and keep unknown extra fields so that producers can add
fields without breaking the pipeline.
"""

from datetime import UTC, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
)

from schemas.vocabulary import (
    Area,
    CallbackOutcome,
    Category,
    Channel,
    Family,
    Grade,
    Queue,
    ReportType,
)

OpaqueId = Annotated[str, Field(min_length=1, max_length=128)]
"""An identifier from the producing system; never personal data, never a label."""


def _not_a_boolean(value: object) -> object:
    # JSON true/false would pass as 1/0 (bool is an int subclass): refuse it.
    if isinstance(value, bool):
        raise ValueError("expected an integer, not true or false")
    return value


NotBool = BeforeValidator(_not_a_boolean)

EARLIEST_EVENT_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_EVENT_TIME = datetime(2100, 1, 1, tzinfo=UTC)


def _rfc3339_shaped(value: object) -> object:
    # pydantic would read a string of digits as seconds since 1970; the contract
    # wants a date and time with an offset. The cheapest test that tells them apart.
    if not (isinstance(value, str) and len(value) > 10 and value[4] == "-" and value[7] == "-"):
        raise ValueError("expected RFC 3339 with an offset, e.g. 2026-03-29T01:30:00+00:00")
    return value


# Bounded so that day, month and deadline arithmetic can run on every accepted event
# (an event in year 1 or 9999 would overflow it); checked natively by pydantic-core.
EventTime = Annotated[
    AwareDatetime,
    Field(
        ge=EARLIEST_EVENT_TIME,
        lt=LATEST_EVENT_TIME,
        description="RFC 3339 with offset: when it happened (years 2000 to 2099, UTC)",
    ),
    # Lax only so that the string, already checked for its shape, is parsed.
    Strict(False),
    BeforeValidator(_rfc3339_shaped),
]


class Envelope(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, strict=True)

    family: ClassVar[Family]
    key_field: ClassVar[str]

    event_id: OpaqueId
    occurred_at: EventTime
    schema_version: Annotated[Literal[1], NotBool]
    source: Annotated[str, Field(min_length=1, max_length=64)]

    @property
    def key(self) -> str:
        """The Kafka message key producers use: the id of the event's lifecycle."""
        return getattr(self, self.key_field)


class _Call(Envelope):
    family = Family.CALLS
    key_field = "call_id"
    call_id: OpaqueId


class CallQueued(_Call):
    """A leg starts: the call is offered to a queue."""

    event_type: Literal["call.queued"]
    channel: Channel
    queue: Queue


class CallAnswered(_Call):
    event_type: Literal["call.answered"]
    queue: Queue
    handler_id: OpaqueId | None = None


class CallAbandoned(_Call):
    """The caller hung up before the leg was answered."""

    event_type: Literal["call.abandoned"]
    queue: Queue


class CallEnded(_Call):
    """The call finished; closes any leg still open."""

    event_type: Literal["call.ended"]


class CallCallback(_Call):
    """An attempt to call back the caller of an abandoned call: keyed by that call."""

    event_type: Literal["call.callback"]
    outcome: CallbackOutcome
    handler_id: OpaqueId | None = None


class _Chat(Envelope):
    family = Family.CHATS
    key_field = "chat_id"
    chat_id: OpaqueId


class ChatRequested(_Chat):
    event_type: Literal["chat.requested"]


class ChatAccepted(_Chat):
    event_type: Literal["chat.accepted"]
    handler_id: OpaqueId | None = None


class ChatAbandoned(_Chat):
    event_type: Literal["chat.abandoned"]


class ChatEnded(_Chat):
    event_type: Literal["chat.ended"]


class _Report(Envelope):
    family = Family.REPORTS
    key_field = "report_id"
    report_id: OpaqueId


def _known_or_other(value: str) -> ReportType:
    # The list of form types grows on the force's side before it does here; counting a new
    # one as "other" keeps online volume and channel share right and the labels closed.
    try:
        return ReportType(value)
    except ValueError:
        return ReportType.OTHER


ReportTypeField = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="Single Online Home form type: asb, crime, traffic or other; "
        "any other value is counted as other",
        examples=[r.value for r in ReportType],
    ),
    AfterValidator(_known_or_other),
]


class ReportSubmitted(_Report):
    event_type: Literal["report.submitted"]
    report_type: ReportTypeField


class ReportTriaged(_Report):
    event_type: Literal["report.triaged"]


class _Incident(Envelope):
    family = Family.INCIDENTS
    key_field = "incident_id"
    incident_id: OpaqueId


class IncidentCreated(_Incident):
    event_type: Literal["incident.created"]
    grade: Annotated[Grade, NotBool]
    area: Area
    category: Category
    contact_id: OpaqueId | None = Field(
        default=None, description="the call, chat or report the incident came from"
    )


class IncidentRegraded(_Incident):
    event_type: Literal["incident.regraded"]
    grade: Annotated[Grade, NotBool]


class IncidentAttended(_Incident):
    """The first resource arrived at the scene."""

    event_type: Literal["incident.attended"]


class IncidentClosed(_Incident):
    event_type: Literal["incident.closed"]
    attended: bool | None = None


EVENT_TYPES: tuple[type[Envelope], ...] = (
    CallQueued,
    CallAnswered,
    CallAbandoned,
    CallEnded,
    CallCallback,
    ChatRequested,
    ChatAccepted,
    ChatAbandoned,
    ChatEnded,
    ReportSubmitted,
    ReportTriaged,
    IncidentCreated,
    IncidentRegraded,
    IncidentAttended,
    IncidentClosed,
)

Event = Annotated[
    CallQueued
    | CallAnswered
    | CallAbandoned
    | CallEnded
    | CallCallback
    | ChatRequested
    | ChatAccepted
    | ChatAbandoned
    | ChatEnded
    | ReportSubmitted
    | ReportTriaged
    | IncidentCreated
    | IncidentRegraded
    | IncidentAttended
    | IncidentClosed,
    Field(discriminator="event_type"),
]

EVENT_MODELS: dict[str, type[Envelope]] = {
    m.model_fields["event_type"].annotation.__args__[0]: m  # type: ignore[union-attr]
    for m in EVENT_TYPES
}
"""Each event type's name (``event_type``) and its model."""

EVENT_TYPE_NAMES: frozenset[str] = frozenset(EVENT_MODELS)
