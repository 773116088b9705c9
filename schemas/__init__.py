"""The ccm event contract: models, the decoder and the shipped JSON Schema."""

from schemas.decode import MAX_EVENT_BYTES, Rejection, decode
from schemas.events import EVENT_TYPE_NAMES, EVENT_TYPES, Envelope, Event
from schemas.vocabulary import (
    Area,
    Category,
    Channel,
    Family,
    Grade,
    Queue,
    RejectReason,
    ReportType,
    Source,
)

__all__ = [
    "EVENT_TYPES",
    "EVENT_TYPE_NAMES",
    "MAX_EVENT_BYTES",
    "Area",
    "Category",
    "Channel",
    "Envelope",
    "Event",
    "Family",
    "Grade",
    "Queue",
    "RejectReason",
    "Rejection",
    "ReportType",
    "Source",
    "decode",
]
