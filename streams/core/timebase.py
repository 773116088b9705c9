"""Event time: exact instants, Europe/London days, minute buckets and live windows.

Instants are integer microseconds since 1970-01-01T00:00Z ("µs"). Day and month
boundaries are computed in Europe/London, so days are 23, 24 or 25 hours long;
all durations are differences of instants, never wall-clock arithmetic.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = 1_000_000
MINUTE_US = 60 * US
HOUR_US = 60 * MINUTE_US
_ONE_US = timedelta(microseconds=1)


def to_us(moment: datetime) -> int:
    """An aware datetime as exact µs since the epoch (no float rounding)."""
    return (moment - EPOCH) // _ONE_US


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def seconds(us: int) -> float:
    return us / US


def minute_of(us: int) -> int:
    """The minute bucket an instant falls in (minutes since the epoch)."""
    return us // MINUTE_US


def london_day(us: int) -> date:
    if us < _WHOLE_HOURS_FROM_US:
        return from_us(us).astimezone(LONDON).date()
    return _london_day_of_hour(us // HOUR_US)


def london_day_ordinal(us: int) -> int:
    """``london_day(us).toordinal()``: the day buckets' key, asked for on every event."""
    if us < _WHOLE_HOURS_FROM_US:
        return london_day(us).toordinal()
    return _london_day_ordinal_of_hour(us // HOUR_US)


_WHOLE_HOURS_FROM_US = -2_208_988_800 * US
"""1900-01-01T00:00Z. Since then London's offset from UTC has been a whole number of
hours, changed on the hour, so every instant of one UTC hour falls on the same London
day and a day is looked up once an hour of event time, not once an event. (Before 1847
London kept local mean time, 1 min 15 s behind.)"""


@lru_cache(maxsize=8192)
def _london_day_of_hour(hour: int) -> date:
    return from_us(hour * HOUR_US).astimezone(LONDON).date()


@lru_cache(maxsize=8192)
def _london_day_ordinal_of_hour(hour: int) -> int:
    return _london_day_of_hour(hour).toordinal()


def london_midnight_us(day: date) -> int:
    """The instant the London day starts (00:00 local exists every day in the UK)."""
    return to_us(datetime.combine(day, time(0), tzinfo=LONDON))


def london_month_days(us: int) -> range:
    """Day ordinals of the Europe/London calendar month holding ``us``, up to its day."""
    day = london_day(us)
    return range(day.replace(day=1).toordinal(), day.toordinal() + 1)


def london_month_end_us(us: int) -> int:
    """The instant the Europe/London calendar month holding ``us`` ends."""
    day = london_day(us)
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return london_midnight_us(date(year, month, 1))


def london_time_of_day(us: int) -> time:
    return from_us(us).astimezone(LONDON).time()


class Window(StrEnum):
    """Live windows, all ending at the reference time ("now" in event time).

    The rolling ones are whole minute buckets: ``15m`` is the current minute and
    the 14 before it. ``today`` is everything since Europe/London midnight, ``month``
    since midnight on the first of the London month: both are whole London days, so
    they are counted by day, not by minute.
    """

    LAST_15M = "15m"
    LAST_1H = "1h"
    LAST_24H = "24h"
    TODAY = "today"
    MONTH = "month"


ROLLING_MINUTES: dict[Window, int] = {
    Window.LAST_15M: 15,
    Window.LAST_1H: 60,
    Window.LAST_24H: 1440,
}
RETAINED_MINUTES = 1500
"""Minute buckets kept: 24 h rolling plus the longest London day (25 h)."""


def days_in_window(window: Window, ref_us: int) -> range | None:
    """The London days (ordinals) a live window is counted by at reference time
    ``ref_us``: ``today`` the one, ``month`` the month to date; None for the rolling
    windows, counted by minute (`minutes_in_window`)."""
    if window is Window.MONTH:
        return london_month_days(ref_us)
    if window is Window.TODAY:
        today = london_day(ref_us).toordinal()
        return range(today, today + 1)
    return None


def minutes_in_window(window: Window, ref_us: int) -> range:
    """The minute buckets a live window covers at reference time ``ref_us``; none for
    ``month``, which reaches further back than minute buckets are kept."""
    last = minute_of(ref_us)
    if window is Window.MONTH:
        raise ValueError("the month window is counted by day")
    if window is Window.TODAY:
        return range(minute_of(london_midnight_us(london_day(ref_us))), last + 1)
    return range(last - ROLLING_MINUTES[window] + 1, last + 1)


class LiveClock:
    """The reference time of one partition's live views.

    It is the partition's stream time (newest event time seen). When the stream
    is live (its newest event was within ``live_lag_us`` of the wall clock when
    it arrived), the reference is the wall clock (or the stream time, if that is
    ahead), so waits keep growing and deadlines pass on a quiet night. A replay
    of history never follows the wall clock, so old data raises no live alarms.
    """

    __slots__ = ("_live", "_live_lag_us", "_wall_at_advance_us", "stream_us")

    def __init__(self, live_lag_us: int) -> None:
        self._live_lag_us = live_lag_us
        self.stream_us: int | None = None
        self._wall_at_advance_us = 0
        self._live = False

    def observe(self, event_us: int, wall_us: int) -> None:
        if self.stream_us is None or event_us > self.stream_us:
            self.stream_us = event_us
            self._wall_at_advance_us = wall_us
            self._live = wall_us - event_us <= self._live_lag_us

    @property
    def live(self) -> bool:
        """Whether the stream is current: its newest event was recent when it arrived."""
        return self._live

    def reference(self, wall_us: int) -> int | None:
        if self.stream_us is None:
            return None
        if not self._live:
            return self.stream_us
        # The wall clock itself, so a deadline shows as passed when it has, not one
        # delivery delay later; never behind the stream if producers' clocks run ahead.
        return max(self.stream_us + max(0, wall_us - self._wall_at_advance_us), wall_us)

    def to_json(self) -> list:
        return [self.stream_us, self._wall_at_advance_us, self._live]

    def load_json(self, data: list) -> None:
        self.stream_us, self._wall_at_advance_us, self._live = data


@dataclass(frozen=True)
class TimeRules:
    """SPEC section 6, in µs of event time."""

    grace_us: int = HOUR_US
    """How late (behind stream time) an event may be and still count."""
    stale_us: int = 12 * HOUR_US
    """A call or chat waiting longer than this lost its outcome: dead-lettered as orphan."""
    report_stale_us: int = 30 * 24 * HOUR_US
    """A report awaiting triage longer than this stops awaiting: still counted as submitted,
    never timed, forgotten with its month."""
    incident_stale_us: int = 30 * 24 * HOUR_US
    """An incident still open this long after creation is scored for good and forgotten."""
    close_after_us: int = 7 * 24 * HOUR_US
    """How long after a London month ends its figures still take late events."""
    sweep_every_us: int = 60 * 1_000_000
    """How often (in stream time) orphans are looked for and quiet lifecycles forgotten."""
    future_skew_us: int | None = None
    """An event dated further than this ahead of the wall clock is refused as ``future``
    and never moves stream time, so one fast producer clock cannot make every later event
    late. None: no check (the core on its own, with no wall clock to trust); the worker
    and exports take ``CCM_FUTURE_SKEW_SECONDS``."""
