"""Closed sets of the event contract (SPEC section 3).

Every Prometheus label and export dimension comes from these sets, so a producer
that sends something new is rejected at the door rather than growing a metric.
"""

from enum import IntEnum, StrEnum


class Channel(StrEnum):
    """How the public made contact by phone."""

    EMERGENCY = "999"
    NON_EMERGENCY = "101"


class Queue(StrEnum):
    """The service points where calls are answered."""

    SWITCHBOARD = "switchboard"
    FCR = "fcr"
    RESOLUTION_CENTRE = "resolution_centre"


class Area(StrEnum):
    URBAN = "urban"
    RURAL = "rural"


class Category(StrEnum):
    """Incident categories; the first five are the force's high-harm crimes."""

    RESIDENTIAL_BURGLARY = "residential_burglary"
    ROBBERY = "robbery"
    RAPE = "rape"
    SEXUAL_OFFENCE = "sexual_offence"
    VIOLENCE_WITH_INJURY = "violence_with_injury"
    OTHER = "other"

    @property
    def high_harm(self) -> bool:
        return self is not Category.OTHER


class ReportType(StrEnum):
    """Single Online Home form types."""

    ASB = "asb"
    CRIME = "crime"
    TRAFFIC = "traffic"
    OTHER = "other"


class Grade(IntEnum):
    """Response grade as recorded on the command and control system (1-6).

    What each grade means, and its attendance target, belongs to the grading
    policy in force, not to the event.
    """

    G1 = 1
    G2 = 2
    G3 = 3
    G4 = 4
    G5 = 5
    G6 = 6


class CallbackOutcome(StrEnum):
    """What a call-back to an abandoned call came to. The first three resolve it."""

    REACHED = "reached"
    RECONTACTED = "recontacted"
    """The caller got through on another call."""
    REFERRED = "referred"
    """Passed for attendance or to another agency."""
    NO_ANSWER = "no_answer"
    ENGAGED = "engaged"
    VOICEMAIL = "voicemail"


class Source(StrEnum):
    """Producing systems known to the force. Any other value is accepted on the
    event but reported as ``other`` wherever a closed label is needed."""

    CTI = "cti"
    STORM = "storm"
    CHAT = "chat"
    SOH = "soh"
    OTHER = "other"

    @classmethod
    def label(cls, source: str) -> "Source":
        # One lookup: calling the class runs the enum machinery, for every event.
        return _SOURCE_BY_VALUE.get(source, cls.OTHER)


_SOURCE_BY_VALUE: dict[str, Source] = {source.value: source for source in Source}


class Family(StrEnum):
    """Which lifecycle an event belongs to; each family has its own topic."""

    CALLS = "calls"
    CHATS = "chats"
    REPORTS = "reports"
    INCIDENTS = "incidents"


class RejectReason(StrEnum):
    """Why an input message was dead-lettered. Closed: it is a metric label."""

    TOO_LARGE = "too_large"
    MALFORMED_JSON = "malformed_json"
    NOT_AN_OBJECT = "not_an_object"
    UNKNOWN_TYPE = "unknown_type"
    UNSUPPORTED_VERSION = "unsupported_version"
    NAIVE_TIMESTAMP = "naive_timestamp"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    WRONG_TOPIC = "wrong_topic"
    CONFLICT = "conflict"
    ORPHAN = "orphan"
    TOO_LATE = "too_late"
    FUTURE = "future"
    """Dated further ahead of the worker's clock than the allowed skew: a fast clock."""
    UNPROCESSABLE = "unprocessable"
    """Valid, but ccm failed applying it: a ccm fault, kept for the maintainers."""
    UNDECODABLE = "undecodable"
    """A record batch Kafka delivered that could not be decoded (unknown codec, bad CRC)."""
