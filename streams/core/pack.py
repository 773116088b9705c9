"""The monthly pack's rows: counts only, every percentage and average derived exactly.

Each row type is one table of the export; `MonthlyPack` holds them all and goes
to and from plain JSON (the worker's export endpoint) without loss.
"""

from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import Any

from streams.core.months import one_decimal, percent
from streams.core.service_level import service_level
from streams.core.timebase import US

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


@dataclass(frozen=True, slots=True)
class CallRow:
    """Call legs offered at one queue in one month under one service-level formula."""

    month: str
    channel: str
    queue: str
    formula: str
    offered: int = 0
    answered: int = 0
    answered_within_target: int = 0
    answered_under_10s: int = 0
    answered_under_60s: int = 0
    abandoned: int = 0
    abandoned_within_target: int = 0
    short_abandoned: int = 0
    answer_us_sum: int = 0

    @property
    def service_level_pct(self) -> Decimal | None:
        return percent(*service_level(self.formula, lambda name: getattr(self, name)))

    @property
    def abandonment_pct(self) -> Decimal | None:
        return percent(self.abandoned, self.answered + self.abandoned)

    @property
    def asa_seconds(self) -> Decimal | None:
        return one_decimal(self.answer_us_sum, self.answered, US)


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

    @property
    def pct_met(self) -> Decimal | None:
        return percent(self.met, self.total)


@dataclass(frozen=True, slots=True)
class LongestWaitRow:
    """The longest wait (to answer or abandon) of a leg offered at one queue in one month."""

    month: str
    channel: str
    queue: str
    longest_wait_us: int | None = None
    """None when no leg offered that month has an outcome."""


@dataclass(frozen=True, slots=True)
class CombinedWaitRow:
    """Calls first offered on one channel in one month whose every leg has an outcome,
    and the sum of their legs' waits (the caller's wait across transfers)."""

    month: str
    channel: str
    settled: int = 0
    combined_wait_us_sum: int = 0

    @property
    def average_seconds(self) -> Decimal | None:
        return one_decimal(self.combined_wait_us_sum, self.settled, US)


@dataclass(frozen=True, slots=True)
class FirstLegRow:
    """Calls first offered on one channel in one month: how many had their first leg
    answered, and those first legs' waits summed (the caller's first wait)."""

    month: str
    channel: str
    answered: int = 0
    answer_us_sum: int = 0

    @property
    def mean_seconds(self) -> Decimal | None:
        return one_decimal(self.answer_us_sum, self.answered, US)


@dataclass(frozen=True, slots=True)
class IncidentGradeRow:
    """Incidents created in one month, scored by one policy, counted under one grade (the
    grade they met or missed their target under, or have now), of one category."""

    month: str
    policy: str
    grade: int
    response: str
    category: str
    scored: bool
    """Whether the grade has an attendance target under the policy."""
    created: int = 0
    met: int = 0
    not_met: int = 0
    attended: int = 0
    attendance_timed: int = 0
    attendance_us_sum: int = 0
    attended_within_60m: int = 0
    """With an attendance event no later than 60 minutes after creation."""
    downgraded_after_breach: int = 0


@dataclass(frozen=True, slots=True)
class ChatRow:
    month: str
    requested: int = 0
    accepted: int = 0
    accepted_within_target: int = 0
    abandoned: int = 0
    abandoned_within_target: int = 0
    outside_hours: int = 0
    accept_us_sum: int = 0

    @property
    def service_level_pct(self) -> Decimal | None:
        return percent(self.accepted_within_target, self.accepted + self.abandoned)

    @property
    def abandonment_pct(self) -> Decimal | None:
        return percent(self.abandoned, self.accepted + self.abandoned)

    @property
    def average_wait_seconds(self) -> Decimal | None:
        return one_decimal(self.accept_us_sum, self.accepted, US)


@dataclass(frozen=True, slots=True)
class ReportRow:
    month: str
    report_type: str
    submitted: int = 0
    triaged: int = 0
    triage_us_sum: int = 0

    @property
    def average_triage_seconds(self) -> Decimal | None:
        return one_decimal(self.triage_us_sum, self.triaged, US)


@dataclass(frozen=True, slots=True)
class ShareRow:
    month: str
    channel: str
    contacts: int = 0
    month_contacts: int = 0

    @property
    def share_pct(self) -> Decimal | None:
        return percent(self.contacts, self.month_contacts)


@dataclass(frozen=True, slots=True)
class CallbackRow:
    """Call-backs owed on calls whose abandoned leg was offered on one channel in one
    month (zero on a channel that owes none), and how they went."""

    month: str
    channel: str
    owed: int = 0
    first_attempted: int = 0
    first_attempt_within_target: int = 0
    first_attempt_us_sum: int = 0
    resolved: int = 0
    resolved_within_target: int = 0
    attempts: int = 0

    @property
    def first_attempt_within_pct(self) -> Decimal | None:
        return percent(self.first_attempt_within_target, self.owed)

    @property
    def resolved_within_pct(self) -> Decimal | None:
        return percent(self.resolved_within_target, self.owed)

    @property
    def unresolved(self) -> int:
        return self.owed - self.resolved

    @property
    def mean_first_attempt_seconds(self) -> Decimal | None:
        return one_decimal(self.first_attempt_us_sum, self.first_attempted, US)


@dataclass(frozen=True, slots=True)
class CallbackOutcomeRow:
    """Attempts on owed call-backs of one channel and month with one outcome, and the
    call-backs that outcome resolved."""

    month: str
    channel: str
    outcome: str
    attempts: int = 0
    resolved: int = 0


@dataclass(frozen=True, slots=True)
class CallbackNotOwedRow:
    """Call-backs on calls that owed none, by why (valid input, changing no figure)."""

    month: str
    channel: str
    reason: str
    callbacks: int = 0


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
