"""What the simulated force looks like: demand, handling, patience, incidents, scenarios.

Defaults describe a force of Essex's size (SPEC section 9: about 600,000 101 calls
and a few hundred thousand 999 calls a year; Live Chat about 56 a day, 07:00-23:00)
and are calibrated so that a normal day's average speed of answer lands near the
force's published figures: 999 about 7 s, switchboard 8 s, FCR 101 3 min 18 s,
Resolution Centre 3 min 32 s (Essex Police, 'Local, visible and accessible policing', 2020).
"""

from dataclasses import dataclass, replace
from datetime import time

# Hour-of-day weights (Europe/London, 00:00 first), each list averaging 1.0.
# 999 peaks in the evening and late at night; 101 follows office hours.
_EMERGENCY_BY_HOUR = (
    0.95, 0.85, 0.70, 0.55, 0.45, 0.40, 0.45, 0.60, 0.80, 0.95, 1.05, 1.10,
    1.15, 1.15, 1.15, 1.20, 1.30, 1.35, 1.35, 1.30, 1.25, 1.20, 1.10, 1.05,
)  # fmt: skip
_NON_EMERGENCY_BY_HOUR = (
    0.35, 0.25, 0.20, 0.15, 0.15, 0.20, 0.35, 0.70, 1.30, 1.65, 1.70, 1.65,
    1.55, 1.55, 1.55, 1.50, 1.45, 1.35, 1.25, 1.10, 0.95, 0.80, 0.70, 0.50,
)  # fmt: skip
_ONLINE_BY_HOUR = (
    0.40, 0.30, 0.20, 0.15, 0.15, 0.20, 0.40, 0.80, 1.20, 1.40, 1.50, 1.50,
    1.40, 1.40, 1.40, 1.30, 1.30, 1.30, 1.30, 1.40, 1.40, 1.30, 1.00, 0.70,
)  # fmt: skip
# Day-of-week factors, Monday first: 999 is busier at weekends, 101 on weekdays.
_EMERGENCY_BY_WEEKDAY = (0.95, 0.93, 0.94, 0.97, 1.05, 1.10, 1.06)
_NON_EMERGENCY_BY_WEEKDAY = (1.12, 1.08, 1.05, 1.02, 1.00, 0.85, 0.88)
_FLAT_WEEK = (1.0,) * 7


@dataclass(frozen=True, slots=True)
class Demand:
    """Arrivals per day on average, shaped by hour of day and day of week."""

    per_day: float
    by_hour: tuple[float, ...]
    by_weekday: tuple[float, ...] = _FLAT_WEEK

    def per_second(self, hour: int, weekday: int) -> float:
        return self.per_day / 86_400 * self.by_hour[hour] * self.by_weekday[weekday]

    def peak_per_second(self) -> float:
        return self.per_day / 86_400 * max(self.by_hour) * max(self.by_weekday)


@dataclass(frozen=True, slots=True)
class Pool:
    """Handlers answering one queue (and channel): handling time, patience, roster plan."""

    handle_seconds: float
    """Mean handling time (talk and wrap-up); times vary with a coefficient of variation of 1."""
    patience_seconds: float
    """Mean time a caller waits before hanging up (exponential)."""
    planned_wait_seconds: float
    """The average wait the roster is planned to give (Erlang A on the forecast)."""


@dataclass(frozen=True, slots=True)
class GradeRule:
    """Attendance time of a grade: lognormal with this median, or no attendance."""

    median_minutes: float | None
    spread: float = 0.5
    """Standard deviation of the log of the attendance time."""


@dataclass(frozen=True, slots=True)
class Surge:
    """A major incident: demand multiplied for a while from some minutes after start."""

    after_minutes: float = 10
    lasting_minutes: float = 120
    emergency_factor: float = 2.5
    non_emergency_factor: float = 1.3
    attendance_factor: float = 1.6
    """Attendance takes this much longer while resources are committed to the incident."""


@dataclass(frozen=True, slots=True)
class Callbacks:
    """Call-backs to abandoned 999 calls (the caller may be unable to speak).

    Each abandon is called back after a lognormal delay; an attempt that does not
    resolve (no answer, engaged, voicemail) is retried after another, up to
    ``max_attempts``, after which the call-back is left unresolved. With a staffing
    shortfall every delay is longer: the team answers the queue first.
    """

    first_attempt_median_minutes: float = 3.0
    first_attempt_spread: float = 0.8
    """Standard deviation of the log of the delay: about 7 % of first attempts after 10 min."""
    min_delay_seconds: float = 30
    """No attempt sooner than this after the abandon or the attempt before."""
    retry_median_minutes: float = 10.0
    retry_spread: float = 0.5
    outcome_mix: tuple[tuple[str, float], ...] = (
        ("reached", 0.55),
        ("recontacted", 0.10),
        ("referred", 0.03),
        ("no_answer", 0.18),
        ("engaged", 0.04),
        ("voicemail", 0.10),
    )
    """Outcome of each attempt; the first three resolve the call-back."""
    max_attempts: int = 3
    """Attempts before giving up: 0.32 ** 3, about 3 % of call-backs, are never resolved."""
    shortfall_slowdown: float = 2.0
    """Delays are multiplied by (1 / staffing_factor) ** this: 1.8 with a quarter missing."""
    handlers: int = 4
    """Handlers making call-backs (pseudonymous ids h-cb-000 ...)."""


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    emergency: Demand = Demand(900, _EMERGENCY_BY_HOUR, _EMERGENCY_BY_WEEKDAY)
    non_emergency: Demand = Demand(1650, _NON_EMERGENCY_BY_HOUR, _NON_EMERGENCY_BY_WEEKDAY)
    chat: Demand = Demand(56, (1.0,) * 24)
    """Live Chat requests while open (spread over its opening hours)."""
    chat_while_closed_per_hour: float = 0.5
    online: Demand = Demand(60, _ONLINE_BY_HOUR)
    report_mix: tuple[tuple[str, float], ...] = (
        ("asb", 0.16),
        ("crime", 0.50),
        ("traffic", 0.17),
        ("other", 0.17),
    )
    triage_median_minutes: float = 90

    fcr_999: Pool = Pool(handle_seconds=240, patience_seconds=900, planned_wait_seconds=6.5)
    switchboard: Pool = Pool(handle_seconds=40, patience_seconds=300, planned_wait_seconds=7)
    fcr_101: Pool = Pool(handle_seconds=540, patience_seconds=3600, planned_wait_seconds=221)
    resolution_centre: Pool = Pool(
        handle_seconds=600, patience_seconds=3600, planned_wait_seconds=250
    )
    chat_pool: Pool = Pool(handle_seconds=900, patience_seconds=600, planned_wait_seconds=30)
    roster_minutes: int = 15
    """Staffing is planned per interval of this length."""
    staffing_factor: float = 1.0
    """Share of the planned roster that turns up (below 1: a staffing shortfall)."""
    demand_factor: float = 1.0
    chat_opens: time = time(7, 0)
    chat_closes: time = time(23, 0)

    # Where 101 calls go after the switchboard (the rest end there).
    to_fcr: float = 0.35
    to_resolution_centre: float = 0.50

    # Share of handled contacts that raise an incident.
    incident_share: tuple[tuple[str, float], ...] = (
        ("999", 0.70),
        ("fcr", 0.45),
        ("resolution_centre", 0.20),
        ("chat", 0.15),
        ("online", 0.25),
    )
    # Grade mix per origin; "E" is emergency: grade 1 in urban areas, 2 in rural.
    grade_mix: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = (
        ("999", (("E", 0.55), ("3", 0.30), ("4", 0.10), ("5", 0.05))),
        ("fcr", (("E", 0.05), ("3", 0.35), ("4", 0.35), ("5", 0.15), ("6", 0.10))),
        ("other", (("3", 0.05), ("4", 0.25), ("5", 0.50), ("6", 0.20))),
    )
    urban_share: float = 0.70
    category_mix: tuple[tuple[str, float], ...] = (
        ("residential_burglary", 0.06),
        ("robbery", 0.02),
        ("rape", 0.01),
        ("sexual_offence", 0.03),
        ("violence_with_injury", 0.10),
        ("other", 0.78),
    )
    # Attendance: medians chosen so about 10 % of emergencies and 15 % of priority
    # incidents miss their target (Essex: 15 / 20 / 60 min, 48 h).
    attendance: tuple[GradeRule, ...] = (
        GradeRule(9, 0.40),  # 1 urban emergency, target 15 min
        GradeRule(12, 0.40),  # 2 rural emergency, target 20 min
        GradeRule(30, 0.70),  # 3 priority, target 60 min
        GradeRule(12 * 60, 0.90),  # 4 routine, target 48 h
        GradeRule(None),  # 5 resolution without deployment
        GradeRule(36 * 60, 0.35),  # 6 appointment
    )
    not_attended_share: float = 0.03
    """Of grades 1-4 and 6, incidents never attended (the victim declined, say)."""
    regrade_share: float = 0.06
    close_median_minutes: float = 90
    surge: Surge | None = None
    callbacks: Callbacks | None = Callbacks()
    """None: abandoned 999 calls are not called back (a force that does not send them)."""

    def with_options(self, **changes: object) -> "SimulationConfig":
        return replace(self, **changes)


SCENARIOS: dict[str, SimulationConfig] = {
    "normal-day": SimulationConfig(),
    # Half the usual demand against the usual roster: short waits, few abandons.
    "quiet-night": SimulationConfig(demand_factor=0.5),
    "major-incident-surge": SimulationConfig(surge=Surge()),
    # A quarter of the planned handlers missing on every queue.
    "staffing-shortfall": SimulationConfig(staffing_factor=0.75),
}
"""Named presets for ``ccm simulate --scenario``."""

DEFAULT_SCENARIO = "normal-day"
