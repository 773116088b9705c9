"""The monthly pack's rows: counts only, every percentage and average derived exactly.

Each row type is one table of the export; `MonthlyPack` holds them all and goes
to and from plain JSON (the worker's export endpoint) without loss.
"""

from dataclasses import asdict, dataclass, field, fields, make_dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from streams.core.families import (
    CALL_ROW,
    CALLBACK_ATTEMPT_ROW,
    CALLBACK_ROW,
    CALLBACKS_NOT_OWED_ROW,
    CHAT_ROW,
    FIRST_LEG_ROW,
    INCIDENT_ROW,
    LEG_ROW,
    REPORT_ROW,
    Row,
)
from streams.core.measures import (
    CALL_ABANDONMENT,
    CALL_ASA,
    CALL_COMBINED_WAIT,
    CALLBACK_FIRST_ATTEMPT,
    CALLBACK_MEAN_FIRST_ATTEMPT,
    CALLBACK_RESOLVED,
    CHAT_ABANDONMENT,
    CHAT_SERVICE_LEVEL,
    CHAT_WAIT,
    FIRST_ANSWER,
    INCIDENTS_MET,
    REPORT_TRIAGE,
    SERVICE_LEVEL,
    Ratio,
)
from streams.core.months import percent
from streams.core.targets import ServiceLevelFormula

PACK_VERSION = 2
LATER_TABLES = (
    "first_legs",
    "area_attendance",
    "callbacks",
    "callback_outcomes",
    "callbacks_not_owed",
)
"""Tables a pack of 0.1.0's workers does not hold: read as absent (`MonthlyPack.absent`),
so the exports that need them can say so, and the others still work across releases."""


# --- rows: counts only; every ratio is derived ------------------------------------------


def figure(measure: Ratio) -> Any:
    """A pack row's figure of ``measure``, worked out from the row's own fields."""
    return property(lambda row: measure.value(partial(getattr, row)))


def declared(
    name: str,
    doc: str,
    keys: tuple[tuple[str, type], ...],
    row: Row,
    base: type = object,
    **figures: Ratio,
) -> Any:
    """The pack row of a family's tally: its ``keys``, then a field for each count the
    row's declaration puts in the pack (`Row.pack_fields`), so that a count declared
    there is a column here with nothing else written; ``figures``, each a measure's
    (`figure`), and ``base`` (its ``__slots__`` empty) add what is derived from them."""
    if figures:
        shown = {attr: figure(measure) for attr, measure in figures.items()}
        base = type(f"_{name}Figures", (base,), {"__slots__": (), **shown})
    counts = [(f, int, field(default=0)) for f in row.pack_fields]
    made = make_dataclass(name, [*keys, *counts], bases=(base,), frozen=True, slots=True)
    made.__module__, made.__doc__ = __name__, doc
    made.__declared__ = (keys, base)
    return made


def with_row(row_type: Any, row: Row) -> Any:
    """The pack row ``row_type`` as `declared` makes it over ``row`` instead."""
    keys, base = row_type.__declared__
    return declared(row_type.__name__, row_type.__doc__, keys, row, base)


class _CallFigures:
    __slots__ = ()
    formula: str

    @property
    def service_level(self) -> Ratio:
        """The measure of the formula the queue reported under."""
        return SERVICE_LEVEL[ServiceLevelFormula(self.formula)]

    @property
    def service_level_pct(self) -> Decimal | None:
        return self.service_level.value(partial(getattr, self))


CallRow = declared(
    "CallRow",
    "Call legs offered at one queue in one month under one service-level formula.",
    (("month", str), ("channel", str), ("queue", str), ("formula", str)),
    LEG_ROW,
    _CallFigures,
    abandonment_pct=CALL_ABANDONMENT,
    asa_seconds=CALL_ASA,
)


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """Incidents created in one month, scored by one policy, for one category group and
    one response (e.g. emergency)."""

    month: str
    policy: str
    category: str
    response: str
    met: int = 0
    not_met: int = 0

    @property
    def total(self) -> int:
        return self.met + self.not_met

    pct_met = figure(INCIDENTS_MET)


@dataclass(frozen=True, slots=True)
class LongestWaitRow:
    """The longest wait (to answer or abandon) of a leg offered at one queue in one month."""

    month: str
    channel: str
    queue: str
    longest_wait_us: int | None = None
    """None when no leg offered that month has an outcome."""


CombinedWaitRow = declared(
    "CombinedWaitRow",
    "Calls first offered on one channel in one month whose every leg has an outcome, and "
    "the sum of their legs' waits (the caller's wait across transfers).",
    (("month", str), ("channel", str)),
    CALL_ROW,
    average_seconds=CALL_COMBINED_WAIT,
)


FirstLegRow = declared(
    "FirstLegRow",
    "Calls first offered on one channel in one month: how many had their first leg "
    "answered, and those first legs' waits summed (the caller's first wait).",
    (("month", str), ("channel", str)),
    FIRST_LEG_ROW,
    mean_seconds=FIRST_ANSWER,
)


IncidentGradeRow = declared(
    "IncidentGradeRow",
    "Incidents created in one month, scored by one policy, counted under one grade (the "
    "grade they met or missed their target under, or have now), of one category; "
    "``scored``: whether the grade has an attendance target under the policy.",
    (("month", str), ("policy", str), ("grade", int), ("response", str), ("category", str),
     ("scored", bool)),
    INCIDENT_ROW,
)  # fmt: skip


ChatRow = declared(
    "ChatRow",
    "Chats requested in one month.",
    (("month", str),),
    CHAT_ROW,
    service_level_pct=CHAT_SERVICE_LEVEL,
    abandonment_pct=CHAT_ABANDONMENT,
    average_wait_seconds=CHAT_WAIT,
)


ReportRow = declared(
    "ReportRow",
    "Online reports of one type submitted in one month.",
    (("month", str), ("report_type", str)),
    REPORT_ROW,
    average_triage_seconds=REPORT_TRIAGE,
)


@dataclass(frozen=True, slots=True)
class ShareRow:
    month: str
    channel: str
    contacts: int = 0
    month_contacts: int = 0

    @property
    def share_pct(self) -> Decimal | None:
        return percent(self.contacts, self.month_contacts)


class _CallbackFigures:
    __slots__ = ()
    owed: int
    resolved: int

    @property
    def unresolved(self) -> int:
        return self.owed - self.resolved


CallbackRow = declared(
    "CallbackRow",
    "Call-backs owed on calls whose abandoned leg was offered on one channel in one month "
    "(zero on a channel that owes none), and how they went.",
    (("month", str), ("channel", str)),
    CALLBACK_ROW,
    _CallbackFigures,
    first_attempt_within_pct=CALLBACK_FIRST_ATTEMPT,
    resolved_within_pct=CALLBACK_RESOLVED,
    mean_first_attempt_seconds=CALLBACK_MEAN_FIRST_ATTEMPT,
)


CallbackOutcomeRow = declared(
    "CallbackOutcomeRow",
    "Attempts on owed call-backs of one channel and month with one outcome, and the "
    "call-backs that outcome resolved.",
    (("month", str), ("channel", str), ("outcome", str)),
    CALLBACK_ATTEMPT_ROW,
)


CallbackNotOwedRow = declared(
    "CallbackNotOwedRow",
    "Call-backs on calls that owe none, of one channel and month, by why.",
    (("month", str), ("channel", str), ("reason", str)),
    CALLBACKS_NOT_OWED_ROW,
)


@dataclass(frozen=True, slots=True)
class AnswerBandRow:
    """999 legs answered at the Force Control Room, by answer time."""

    month: str
    answered: int = 0
    under_10s: int = 0
    """Strictly under 10 s (the Home Office measure)."""
    under_60s: int = 0
    """Strictly under 60 s (the end of the Home Office's second band)."""


@dataclass(frozen=True, slots=True)
class AttendanceBandRow:
    """Emergency incidents with an attendance time, by attendance time."""

    month: str
    timed: int = 0
    within_15m: int = 0
    within_20m: int = 0
    within_30m: int = 0
    within_60m: int = 0


@dataclass(frozen=True, slots=True)
class AreaAttendanceRow:
    """Emergency incidents created in one month in one area (``urban``, ``rural``, or
    ``all``), judged against the national standard in force on the day each was created,
    its own area's in the ``all`` row. Every emergency created counts in ``emergencies``,
    so one never attended is not within the standard."""

    month: str
    area: str
    emergencies: int = 0
    within_standard: int = 0
    timed: int = 0
    """Attended with an attendance time; the bands below count these."""
    within_15m: int = 0
    within_20m: int = 0
    within_30m: int = 0
    within_60m: int = 0


@dataclass(frozen=True, slots=True)
class PolicyUse:
    """The grading policy incidents created from ``first`` to ``last`` were scored by."""

    month: str
    policy: str
    name: str
    first: str
    last: str


@dataclass(frozen=True, slots=True)
class QueueTargetUse:
    """The call-handling target in force at one queue from ``first`` to ``last``."""

    month: str
    channel: str
    queue: str
    formula: str
    answer_within_seconds: int
    first: str
    last: str


_TABLES: dict[str, type] = {
    "calls": CallRow,
    "incidents": IncidentRow,
    "longest_waits": LongestWaitRow,
    "combined_waits": CombinedWaitRow,
    "first_legs": FirstLegRow,
    "incident_grades": IncidentGradeRow,
    "chats": ChatRow,
    "reports": ReportRow,
    "shares": ShareRow,
    "answer_bands": AnswerBandRow,
    "attendance_bands": AttendanceBandRow,
    "area_attendance": AreaAttendanceRow,
    "callbacks": CallbackRow,
    "callback_outcomes": CallbackOutcomeRow,
    "callbacks_not_owed": CallbackNotOwedRow,
    "policies": PolicyUse,
    "queue_targets": QueueTargetUse,
}


@dataclass(frozen=True)
class MonthlyPack:
    first: str
    last: str
    months: tuple[str, ...]
    calls: tuple[CallRow, ...] = ()
    incidents: tuple[IncidentRow, ...] = ()
    longest_waits: tuple[LongestWaitRow, ...] = ()
    combined_waits: tuple[CombinedWaitRow, ...] = ()
    first_legs: tuple[FirstLegRow, ...] = ()
    incident_grades: tuple[IncidentGradeRow, ...] = ()
    chats: tuple[ChatRow, ...] = ()
    reports: tuple[ReportRow, ...] = ()
    shares: tuple[ShareRow, ...] = ()
    answer_bands: tuple[AnswerBandRow, ...] = ()
    attendance_bands: tuple[AttendanceBandRow, ...] = ()
    area_attendance: tuple[AreaAttendanceRow, ...] = ()
    callbacks: tuple[CallbackRow, ...] = ()
    callback_outcomes: tuple[CallbackOutcomeRow, ...] = ()
    callbacks_not_owed: tuple[CallbackNotOwedRow, ...] = ()
    policies: tuple[PolicyUse, ...] = ()
    queue_targets: tuple[QueueTargetUse, ...] = ()
    policy_names: dict[str, str] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    """`LATER_TABLES` the worker that served this pack did not have (an older release)."""

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types (counts only), for the worker's export endpoint."""
        body: dict[str, Any] = {
            "version": PACK_VERSION,
            "first": self.first,
            "last": self.last,
            "months": list(self.months),
            "policy_names": dict(self.policy_names),
        }
        for name in _TABLES:
            body[name] = [asdict(row) for row in getattr(self, name)]
        return body

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> "MonthlyPack":
        if body.get("version") != PACK_VERSION:
            raise ValueError(
                f"monthly pack version {body.get('version')} is not {PACK_VERSION}: run the "
                "same ccm release as the worker"
            )
        tables = {}
        absent = tuple(name for name in LATER_TABLES if name not in body)
        for name, row_type in _TABLES.items():
            if name in absent:
                continue
            known = {f.name for f in fields(row_type)}
            tables[name] = tuple(
                row_type(**{k: v for k, v in row.items() if k in known}) for row in body[name]
            )
        return cls(
            first=body["first"],
            last=body["last"],
            months=tuple(body["months"]),
            policy_names=dict(body["policy_names"]),
            absent=absent,
            **tables,
        )
