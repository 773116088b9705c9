"""A force's contact and incidents as a discrete-event simulation, in event-time order.

Calls arrive as Poisson processes shaped by hour of day and day of week (Europe/London).
Each queue has a roster of handlers planned per quarter hour (``roster``); callers wait
first come, first served and hang up when their patience runs out, so abandonment rises
when a queue is short of staff. 101 calls are answered at the switchboard, then most are
put through to the Force Control Room or the Resolution Centre: a second leg. Live Chat
is staffed 07:00-23:00. Online reports are triaged some time after submission. A share
of handled contacts raises an incident with a grade, an area and a category; incidents
are sometimes regraded, attended (sometimes after their target) and closed. Abandoned
999 calls are called back, with retries, until the caller is reached (``Callbacks``).

Pure: no I/O and no clock. Same seed, start and configuration give the same events,
byte for byte. Identifiers are derived from the seed and start, never from a person.
"""

import heapq
import json
import math
import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from schemas import CallbackOutcome, Family
from streams.core.callbacks import RESOLVING
from streams.simulate.config import Demand, Pool, SimulationConfig
from streams.simulate.roster import rostered

LONDON = ZoneInfo("Europe/London")
HOUR_MS = 3_600_000
MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One event of the contract, with where it goes."""

    at_ms: int
    family: Family
    key: str
    body: dict

    def to_json(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode()


def rfc3339(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, UTC).isoformat(timespec="milliseconds")


class _Waiter:
    __slots__ = ("channel", "contact_id", "queued_ms", "waiting")

    def __init__(self, contact_id: str, channel: str, queued_ms: int) -> None:
        self.contact_id = contact_id
        self.channel = channel
        self.queued_ms = queued_ms
        self.waiting = True


class _Desk:
    """Handlers of one queue: how many are on duty, who is busy, who waits."""

    __slots__ = (
        "busy",
        "code",
        "free_handlers",
        "name",
        "next_handler",
        "on_duty",
        "pool",
        "queue",
    )

    def __init__(self, name: str, code: str, pool: Pool) -> None:
        self.name = name
        self.code = code
        self.pool = pool
        self.on_duty = 0
        self.busy = 0
        self.queue: deque[_Waiter] = deque()
        self.free_handlers: list[int] = []
        self.next_handler = 0

    def take_handler(self) -> str:
        if self.free_handlers:
            index = heapq.heappop(self.free_handlers)
        else:
            index = self.next_handler
            self.next_handler += 1
        self.busy += 1
        return f"h-{self.code}-{index:03d}"

    def release(self, handler: str) -> None:
        self.busy -= 1
        heapq.heappush(self.free_handlers, int(handler.rsplit("-", 1)[1]))


class Simulation:
    def __init__(self, config: SimulationConfig, seed: int, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be an aware datetime")
        self.config = config
        self.seed = seed
        self.start_ms = int(start.timestamp() * 1000)
        self.prefix = f"s{seed}-{self.start_ms // 1000}"
        self._heap: list[tuple[int, int, Callable[..., None], tuple]] = []
        self._seq = 0
        self._counters: dict[str, int] = {}
        self._out: list[SimEvent] = []
        self._now = self.start_ms
        self._hour_cache: dict[int, tuple[int, int]] = {}
        # Separate random streams per process, so a change to one (say staffing) leaves
        # the others' draws alone: scenarios are compared on the same callers.
        self._rng = {
            name: random.Random(f"{seed}:{name}")
            for name in (
                "999",
                "101",
                "chat",
                "online",
                "handling",
                "patience",
                "routing",
                "incident",
                # Call-backs draw from their own stream and number their events apart
                # (``_callback``: ids ``cb<n>``, not ``e<n>``), so with them on or off
                # every other event is the same. They do take scheduling numbers
                # (``_seq``), but those only break ties, and later ones shift together.
                "callback",
            )
        }
        self.desks = {
            "fcr_999": _Desk("fcr", "f9", config.fcr_999),
            "fcr_101": _Desk("fcr", "f1", config.fcr_101),
            "switchboard": _Desk("switchboard", "sb", config.switchboard),
            "resolution_centre": _Desk("resolution_centre", "rc", config.resolution_centre),
            "chat": _Desk("chat", "lc", config.chat_pool),
        }

    # -- scheduling ---------------------------------------------------------------

    def _at(self, at_ms: int, action: Callable[..., None], *args: object) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at_ms, self._seq, action, args))

    def _id(self, kind: str) -> str:
        n = self._counters.get(kind, 0) + 1
        self._counters[kind] = n
        return f"{self.prefix}-{kind}{n}"

    def _emit(
        self,
        family: Family,
        key: str,
        event_type: str,
        source: str,
        *,
        event_id: str | None = None,
        **fields,
    ) -> None:
        body = {
            "event_id": event_id or self._id("e"),
            "event_type": event_type,
            "occurred_at": rfc3339(self._now),
            "schema_version": 1,
            "source": source,
            **{k: v for k, v in fields.items() if v is not None},
        }
        self._out.append(SimEvent(self._now, family, key, body))

    def events(self, until: datetime | None = None) -> Iterator[SimEvent]:
        """Every event from the start, in event-time order, up to ``until`` (or for ever)."""
        until_ms = None if until is None else int(until.timestamp() * 1000)
        self._begin()
        while self._heap:
            at_ms, _, action, args = heapq.heappop(self._heap)
            if until_ms is not None and at_ms >= until_ms:
                return
            self._now = at_ms
            action(*args)
            if self._out:
                yield from self._out
                self._out.clear()

    def _begin(self) -> None:
        interval = self.config.roster_minutes * MINUTE_MS
        self._at(self.start_ms, self._roster, self.start_ms - self.start_ms % interval)
        self._at(self.start_ms, self._next_arrival, "999", self._call_999)
        self._at(self.start_ms, self._next_arrival, "101", self._call_101)
        self._at(self.start_ms, self._next_arrival, "chat", self._chat)
        self._at(self.start_ms, self._next_arrival, "online", self._report)

    # -- time of day and demand ----------------------------------------------------

    def _local_hour(self, at_ms: int) -> tuple[int, int]:
        bucket = at_ms // HOUR_MS
        found = self._hour_cache.get(bucket)
        if found is None:
            local = datetime.fromtimestamp(bucket * 3600, LONDON)
            found = self._hour_cache[bucket] = (local.hour, local.weekday())
        return found

    def _chat_open(self, at_ms: int) -> bool:
        local = datetime.fromtimestamp(at_ms / 1000, LONDON).time()
        return self.config.chat_opens <= local < self.config.chat_closes

    def _surge(self, at_ms: int) -> bool:
        surge = self.config.surge
        if surge is None:
            return False
        begins = self.start_ms + surge.after_minutes * MINUTE_MS
        return begins <= at_ms < begins + surge.lasting_minutes * MINUTE_MS

    def _demand(self, stream: str) -> Demand:
        return {
            "999": self.config.emergency,
            "101": self.config.non_emergency,
            "chat": self.config.chat,
            "online": self.config.online,
        }[stream]

    def _forecast(self, stream: str, at_ms: int) -> float:
        """Planned arrivals per second: the usual demand, as the roster assumes it."""
        if stream == "chat":
            open_hours = (
                self.config.chat_closes.hour * 60
                + self.config.chat_closes.minute
                - self.config.chat_opens.hour * 60
                - self.config.chat_opens.minute
            ) / 60
            if self._chat_open(at_ms):
                return self.config.chat.per_day / (open_hours * 3600)
            return self.config.chat_while_closed_per_hour / 3600
        hour, weekday = self._local_hour(at_ms)
        return self._demand(stream).per_second(hour, weekday)

    def _rate(self, stream: str, at_ms: int) -> float:
        rate = self._forecast(stream, at_ms)
        if stream != "chat" or self._chat_open(at_ms):
            rate *= self.config.demand_factor
        if self._surge(at_ms):
            surge = self.config.surge
            assert surge is not None
            if stream == "999":
                rate *= surge.emergency_factor
            elif stream == "101":
                rate *= surge.non_emergency_factor
        return rate

    def _peak(self, stream: str) -> float:
        if stream == "chat":
            peak = max(self._forecast("chat", self.start_ms), 1e-9)
            peak = max(peak, self.config.chat.per_day / (8 * 3600))
        else:
            peak = self._demand(stream).peak_per_second()
        factor = max(1.0, self.config.demand_factor)
        if self.config.surge is not None:
            factor *= max(
                self.config.surge.emergency_factor, self.config.surge.non_emergency_factor
            )
        return peak * factor

    def _next_arrival(self, stream: str, arrive: Callable[[], None], first: bool = True) -> None:
        """Thinning: candidates at the peak rate, each kept with probability rate/peak."""
        if not first:
            arrive()
        rng = self._rng[stream]
        peak = self._peak(stream)
        at_ms = self._now
        while True:
            at_ms += max(1, round(rng.expovariate(peak) * 1000))
            if rng.random() * peak < self._rate(stream, at_ms):
                break
        self._at(at_ms, self._next_arrival, stream, arrive, False)

    # -- rosters -------------------------------------------------------------------

    def _roster(self, interval_ms: int) -> None:
        mid = interval_ms + self.config.roster_minutes * MINUTE_MS // 2
        c = self.config
        forecasts = {
            "fcr_999": self._forecast("999", mid),
            "switchboard": self._forecast("101", mid),
            "fcr_101": self._forecast("101", mid) * c.to_fcr,
            "resolution_centre": self._forecast("101", mid) * c.to_resolution_centre,
        }
        for name, forecast in forecasts.items():
            self._staff(
                self.desks[name], rostered(self.desks[name].pool, forecast, c.staffing_factor)
            )
        chat_open = self._chat_open(mid)
        chat_staff = rostered(c.chat_pool, self._forecast("chat", mid), c.staffing_factor)
        self._staff(self.desks["chat"], chat_staff if chat_open else 0)
        self._at(
            interval_ms + c.roster_minutes * MINUTE_MS,
            self._roster,
            interval_ms + c.roster_minutes * MINUTE_MS,
        )

    def _staff(self, desk: _Desk, on_duty: int) -> None:
        desk.on_duty = on_duty
        self._dispatch(desk)

    # -- queues --------------------------------------------------------------------

    def _join(self, desk: _Desk, waiter: _Waiter) -> None:
        desk.queue.append(waiter)
        patience = self._rng["patience"].expovariate(1 / desk.pool.patience_seconds)
        self._at(self._now + max(1, round(patience * 1000)), self._give_up, desk, waiter)
        self._dispatch(desk)

    def _dispatch(self, desk: _Desk) -> None:
        while desk.busy < desk.on_duty and desk.queue:
            waiter = desk.queue.popleft()
            if not waiter.waiting:
                continue
            waiter.waiting = False
            handler = desk.take_handler()
            self._answer(desk, waiter, handler)

    def _handle_ms(self, pool: Pool) -> int:
        # Lognormal with the pool's mean and a coefficient of variation of 1.
        sigma = math.sqrt(math.log(2))
        mu = math.log(pool.handle_seconds) - sigma * sigma / 2
        return max(1000, round(self._rng["handling"].lognormvariate(mu, sigma) * 1000))

    def _give_up(self, desk: _Desk, waiter: _Waiter) -> None:
        if not waiter.waiting:
            return
        waiter.waiting = False
        if desk is self.desks["chat"]:
            self._emit(
                Family.CHATS, waiter.contact_id, "chat.abandoned", "chat", chat_id=waiter.contact_id
            )
            return
        self._call_event("call.abandoned", waiter.contact_id, queue=desk.name)
        self._call_event("call.ended", waiter.contact_id)
        if waiter.channel == "999" and self.config.callbacks is not None:
            first = self._callback_delay_ms(
                self.config.callbacks.first_attempt_median_minutes,
                self.config.callbacks.first_attempt_spread,
            )
            self._at(self._now + first, self._callback, waiter.contact_id, 1)

    def _answer(self, desk: _Desk, waiter: _Waiter, handler: str) -> None:
        done_ms = self._now + self._handle_ms(desk.pool)
        if desk is self.desks["chat"]:
            chat_id = waiter.contact_id
            self._emit(
                Family.CHATS, chat_id, "chat.accepted", "chat", chat_id=chat_id, handler_id=handler
            )
            self._maybe_incident("chat", chat_id, done_ms)
            self._at(done_ms, self._chat_done, desk, chat_id, handler)
            return
        self._call_event("call.answered", waiter.contact_id, queue=desk.name, handler_id=handler)
        next_desk: _Desk | None = None
        if desk is self.desks["switchboard"]:
            r = self._rng["routing"].random()
            if r < self.config.to_fcr:
                next_desk = self.desks["fcr_101"]
            elif r < self.config.to_fcr + self.config.to_resolution_centre:
                next_desk = self.desks["resolution_centre"]
        else:
            origin = "999" if waiter.channel == "999" else desk.name
            self._maybe_incident(origin, waiter.contact_id, done_ms)
        self._at(done_ms, self._call_done, desk, waiter, handler, next_desk)

    def _call_done(
        self, desk: _Desk, waiter: _Waiter, handler: str, next_desk: _Desk | None
    ) -> None:
        desk.release(handler)
        if next_desk is None:
            self._call_event("call.ended", waiter.contact_id)
        else:
            self._call_event(
                "call.queued", waiter.contact_id, channel=waiter.channel, queue=next_desk.name
            )
            self._join(next_desk, _Waiter(waiter.contact_id, waiter.channel, self._now))
        self._dispatch(desk)

    def _chat_done(self, desk: _Desk, chat_id: str, handler: str) -> None:
        desk.release(handler)
        self._emit(Family.CHATS, chat_id, "chat.ended", "chat", chat_id=chat_id)
        self._dispatch(desk)

    def _call_event(self, event_type: str, call_id: str, **fields: object) -> None:
        self._emit(Family.CALLS, call_id, event_type, "cti", call_id=call_id, **fields)

    # -- call-backs ----------------------------------------------------------------

    def _callback_delay_ms(self, median_minutes: float, spread: float) -> int:
        """Lognormal, slower when the roster is short (``Callbacks.shortfall_slowdown``)."""
        c = self.config.callbacks
        assert c is not None
        slowdown = (1 / self.config.staffing_factor) ** c.shortfall_slowdown
        minutes = self._rng["callback"].lognormvariate(math.log(median_minutes), spread)
        return max(round(c.min_delay_seconds * 1000), round(minutes * slowdown * MINUTE_MS))

    def _callback(self, call_id: str, attempt: int) -> None:
        c = self.config.callbacks
        assert c is not None
        rng = self._rng["callback"]
        outcome = _pick(rng, c.outcome_mix)
        handler = f"h-cb-{rng.randrange(c.handlers):03d}"
        self._emit(
            Family.CALLS,
            call_id,
            "call.callback",
            "cti",
            event_id=self._id("cb"),  # not an "e" number: the others' ids stay as they were
            call_id=call_id,
            outcome=outcome,
            handler_id=handler,
        )
        if CallbackOutcome(outcome) not in RESOLVING and attempt < c.max_attempts:
            retry = self._callback_delay_ms(c.retry_median_minutes, c.retry_spread)
            self._at(self._now + retry, self._callback, call_id, attempt + 1)

    # -- arrivals ------------------------------------------------------------------

    def _call_999(self) -> None:
        call_id = self._id("c")
        self._call_event("call.queued", call_id, channel="999", queue="fcr")
        self._join(self.desks["fcr_999"], _Waiter(call_id, "999", self._now))

    def _call_101(self) -> None:
        call_id = self._id("c")
        self._call_event("call.queued", call_id, channel="101", queue="switchboard")
        self._join(self.desks["switchboard"], _Waiter(call_id, "101", self._now))

    def _chat(self) -> None:
        chat_id = self._id("h")
        self._emit(Family.CHATS, chat_id, "chat.requested", "chat", chat_id=chat_id)
        self._join(self.desks["chat"], _Waiter(chat_id, "chat", self._now))

    def _report(self) -> None:
        rng = self._rng["online"]
        report_id = self._id("r")
        report_type = _pick(rng, self.config.report_mix)
        self._emit(
            Family.REPORTS,
            report_id,
            "report.submitted",
            "soh",
            report_id=report_id,
            report_type=report_type,
        )
        delay = rng.lognormvariate(math.log(self.config.triage_median_minutes), 0.8) * 60
        self._at(self._now + max(1000, round(delay * 1000)), self._triage, report_id)

    def _triage(self, report_id: str) -> None:
        self._emit(Family.REPORTS, report_id, "report.triaged", "soh", report_id=report_id)
        self._maybe_incident("online", report_id, self._now)

    # -- incidents -----------------------------------------------------------------

    def _maybe_incident(self, origin: str, contact_id: str, handled_by_ms: int) -> None:
        rng = self._rng["incident"]
        share = dict(self.config.incident_share)[origin]
        if rng.random() >= share:
            return
        # Raised while the contact is being handled.
        created_ms = self._now + round((handled_by_ms - self._now) * rng.uniform(0.3, 0.9))
        self._at(created_ms, self._incident, origin, contact_id)

    def _incident(self, origin: str, contact_id: str) -> None:
        rng = self._rng["incident"]
        c = self.config
        mixes = dict(c.grade_mix)
        mix = mixes.get(origin, mixes["other"])
        area = "urban" if rng.random() < c.urban_share else "rural"
        drawn = _pick(rng, mix)
        grade = (1 if area == "urban" else 2) if drawn == "E" else int(drawn)
        category = _pick(rng, c.category_mix)
        incident_id = self._id("i")
        self._incident_event(
            "incident.created",
            incident_id,
            grade=grade,
            area=area,
            category=category,
            contact_id=contact_id,
        )
        rule = c.attendance[grade - 1]
        close_after = rng.lognormvariate(math.log(c.close_median_minutes), 0.6) * MINUTE_MS
        if rule.median_minutes is None or rng.random() < c.not_attended_share:
            self._at(self._now + round(close_after * 3), self._incident_closed, incident_id, False)
            return
        minutes = rng.lognormvariate(math.log(rule.median_minutes), rule.spread)
        if self._surge(self._now):
            assert c.surge is not None
            minutes *= c.surge.attendance_factor
        attend_ms = self._now + max(MINUTE_MS, round(minutes * MINUTE_MS))
        if rng.random() < c.regrade_share:
            new_grade = {1: 3, 2: 3, 3: 1 if area == "urban" else 2, 4: 3, 5: 4, 6: 4}[grade]
            regrade_ms = self._now + round((attend_ms - self._now) * rng.uniform(0.1, 0.9))
            self._at(regrade_ms, self._incident_regraded, incident_id, new_grade)
        self._at(attend_ms, self._incident_attended, incident_id, round(close_after))

    def _incident_regraded(self, incident_id: str, grade: int) -> None:
        self._incident_event("incident.regraded", incident_id, grade=grade)

    def _incident_attended(self, incident_id: str, close_after_ms: int) -> None:
        self._incident_event("incident.attended", incident_id)
        self._at(
            self._now + max(MINUTE_MS, close_after_ms), self._incident_closed, incident_id, True
        )

    def _incident_closed(self, incident_id: str, attended: bool) -> None:
        self._incident_event("incident.closed", incident_id, attended=attended)

    def _incident_event(self, event_type: str, incident_id: str, **fields: object) -> None:
        self._emit(
            Family.INCIDENTS, incident_id, event_type, "storm", incident_id=incident_id, **fields
        )


def _pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    r = rng.random() * sum(weight for _, weight in mix)
    for value, weight in mix:
        r -= weight
        if r < 0:
            return value
    return mix[-1][0]


def simulate(
    config: SimulationConfig, seed: int, start: datetime, until: datetime | None = None
) -> Iterator[SimEvent]:
    """The simulated force's events from ``start``, in event-time order, up to ``until``."""
    return Simulation(config, seed, start).events(until)
