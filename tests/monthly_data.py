"""A generated event log over several months, and its lifecycles in plain Python.

The lifecycles are drawn first (seeded), then written as events: every instant
is rendered with either a UTC or a Europe/London offset, the lines are shuffled
within half an hour of event time (out of order, never too late), and some
lines are repeated (duplicates). Tests compute the expected monthly figures from
the lifecycles alone, without the KPI core.

Specials: both 2026 clock changes (29 March, 25 October), lifecycles a few
minutes after London midnight on the 1st of a month (whose UTC date is the
previous month), a policy change and a service-level formula change in the
middle of October, months with no events at all (May to September), and
incidents still open at the end of the log.
"""

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from streams.core.pack import MonthlyPack
from streams.core.targets import Targets, parse_targets

REPO = Path(__file__).resolve().parents[1]
LONDON = ZoneInfo("Europe/London")
FIRST, LAST = (2026, 3), (2026, 11)
NPCC_FROM = date(2026, 10, 20)
"""Incidents created from this London day are scored by the NPCC grades."""
FORMULA_FROM = date(2026, 10, 15)
"""From this London day 999 at fcr uses ignore_abandons, every other queue
abandons_within_target_met."""

ANSWER_TARGET_S = {("999", "fcr"): 10, ("101", "fcr"): 300, ("101", "switchboard"): 30}
ANSWER_TARGET_S[("101", "resolution_centre")] = 300
CHAT_TARGET_S = 60

ESSEX = {
    1: ("emergency", {"urban": 15, "rural": 20}),
    2: ("emergency", {"urban": 15, "rural": 20}),
    3: ("priority", {"urban": 60, "rural": 60}),
    4: ("routine", {"urban": 2880, "rural": 2880}),
    5: ("resolution_without_deployment", None),
    6: ("appointment", None),
}
NPCC = {
    1: ("emergency", {"urban": 20, "rural": 20}),
    2: ("urgent", {"urban": 60, "rural": 60}),
    3: ("priority", {"urban": 480, "rural": 480}),
    4: ("scheduled", {"urban": 1440, "rural": 1440}),
    5: ("resolution_without_deployment", None),
    6: ("appointment", None),
}
POLICY_RESPONSES = {
    "essex": ["emergency", "priority", "routine"],
    "npcc": ["emergency", "urgent", "priority", "scheduled"],
}
CATEGORIES = [
    "residential_burglary",
    "robbery",
    "rape",
    "sexual_offence",
    "violence_with_injury",
    "other",
]


def targets() -> Targets:
    return parse_targets(targets_data())


def write_targets(path: Path) -> Path:
    """The targets as a file, for a worker or `ccm export` to read."""
    path.write_text(yaml.safe_dump(targets_data()))
    return path


def targets_data() -> dict:
    data = yaml.safe_load((REPO / "deploy/config/targets.yaml").read_text())
    later = json.loads(json.dumps(data["call_handling"][0], default=str))
    later["effective_from"] = FORMULA_FROM
    later["service_level_formula"] = "abandons_within_target_met"
    for queue in later["queues"]:
        if queue["queue"] == "fcr" and queue.get("channel") == "999":
            queue["service_level_formula"] = "ignore_abandons"
    data["call_handling"].append(later)
    npcc = next(p for p in data["incident_grading"] if p["id"] == "npcc")
    npcc["effective_from"] = NPCC_FROM
    return data


def london_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def month_of(moment: datetime) -> str:
    return london_day(moment).strftime("%Y-%m")


@dataclass
class Leg:
    channel: str
    queue: str
    queued: datetime
    answered: bool
    wait_us: int


@dataclass
class Call:
    call_id: str
    legs: list[Leg]
    ended: datetime
    callbacks: list[tuple[int, str]] = field(default_factory=list)
    """Call-back attempts: (µs after the first leg's outcome, outcome), in time order."""

    @property
    def abandoned_at(self) -> datetime:
        first = self.legs[0]
        return first.queued + timedelta(microseconds=first.wait_us)


@dataclass
class Chat:
    chat_id: str
    requested: datetime
    accepted: bool
    wait_us: int


@dataclass
class Report:
    report_id: str
    report_type: str
    submitted: datetime
    triage_us: int | None


@dataclass
class Incident:
    incident_id: str
    created: datetime
    grade: int
    area: str
    category: str
    outcome: str
    """attended, closed_attended, closed_unattended, open."""
    after_us: int = 0
    """Creation to the attendance or closing event."""

    @property
    def policy(self) -> str:
        return "npcc" if london_day(self.created) >= NPCC_FROM else "essex"

    def response_and_target_us(self) -> tuple[str, int | None]:
        response, minutes = (NPCC if self.policy == "npcc" else ESSEX)[self.grade]
        return response, None if minutes is None else minutes[self.area] * 60_000_000


@dataclass
class Log:
    calls: list[Call] = field(default_factory=list)
    chats: list[Chat] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)
    late_ids: set[str] = field(default_factory=set)
    """Lifecycles delivered days late (beyond the live grace, before their month closes):
    they count in the monthly figures like any other."""
    too_late: list[Call] = field(default_factory=list)
    """Calls delivered after their month closed: refused as too_late, in no figure."""


US = 1_000_000
WAITS_S = [0, 3, 9.5, 9.999999, 10, 10.000001, 11, 29, 30, 31, 45, 59, 60, 60.5, 61, 120, 299]
WAITS_S += [300, 301, 600, 1000]


def _us(seconds: float) -> int:
    return round(seconds * US)


def _instant(rng: random.Random, months: list[tuple[int, int]]) -> datetime:
    year, month = rng.choice(months)
    start = datetime(year, month, 1, tzinfo=LONDON).astimezone(UTC)
    return start + timedelta(seconds=rng.randrange(27 * 86_400))


SPECIAL_INSTANTS = [
    datetime(2026, 3, 1, 0, 5, tzinfo=UTC),  # 1 March 00:05 GMT
    datetime(2026, 3, 29, 0, 59, 50, tzinfo=UTC),  # just before the spring change
    datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 02:30 BST on the change day
    datetime(2026, 3, 31, 23, 30, tzinfo=UTC),  # 1 April 00:30 BST: April
    datetime(2026, 3, 31, 22, 59, 59, tzinfo=UTC),  # 31 March 23:59:59 BST: March
    datetime(2026, 4, 30, 23, 10, tzinfo=UTC),  # 1 May 00:10 BST: May
    datetime(2026, 9, 30, 23, 15, tzinfo=UTC),  # 1 October 00:15 BST: October
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 01:30 BST, first pass
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 01:30 GMT, second pass
    datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC),  # 31 October 23:59:59 GMT
    datetime(2026, 11, 1, 0, 10, tzinfo=UTC),  # 1 November 00:10 GMT
]
"""Instants near month and clock-change boundaries, each used for every family.
May gets exactly one of each lifecycle: its counts are under the public
suppression threshold."""


YEAR = [(2025, 12)] + [(2026, m) for m in range(1, 12)]
"""A year, December 2025 to November 2026: both clock changes and every month-end."""


def generate(
    seed: int = 5,
    scale: int = 1,
    months: list[tuple[int, int]] | None = None,
    full_year: bool = False,
) -> Log:
    """The log: by default March, April, October and November 2026 (so May to September
    are empty months); ``full_year``: every month of `YEAR`. Other ``months`` drop the
    special instants."""
    rng = random.Random(seed)
    specials = SPECIAL_INSTANTS if months is None else []
    if full_year:
        months = YEAR
    months = months or [(2026, 3), (2026, 4), (2026, 10), (2026, 11)]
    log = Log()
    n = 0

    def starts(count: int) -> list[datetime]:
        return specials + [_instant(rng, months) for _ in range(count * scale)]

    for at in starts(400):
        n += 1
        channel = rng.choice(["999", "999", "101"])
        first_queue = "fcr" if channel == "999" else "switchboard"
        legs = [Leg(channel, first_queue, at, rng.random() < 0.85, _us(rng.choice(WAITS_S)))]
        if channel == "101" and legs[0].answered and rng.random() < 0.5:
            queue = rng.choice(["fcr", "resolution_centre"])
            queued = at + timedelta(microseconds=legs[0].wait_us + 20 * US)
            legs.append(Leg(channel, queue, queued, rng.random() < 0.8, _us(rng.choice(WAITS_S))))
        last = legs[-1]
        ended = last.queued + timedelta(microseconds=last.wait_us + rng.randrange(1, 600) * US)
        log.calls.append(Call(f"call-{n}", legs, ended))
    for at in starts(150):
        n += 1
        chat = Chat(f"chat-{n}", at, rng.random() < 0.8, _us(rng.choice(WAITS_S)))
        log.chats.append(chat)
    for at in starts(120):
        n += 1
        triage = None if rng.random() < 0.2 else rng.randrange(60, 3 * 86_400) * US
        kind = rng.choice(["asb", "crime", "traffic", "other"])
        log.reports.append(Report(f"report-{n}", kind, at, triage))
    for at in starts(500):
        n += 1
        incident = Incident(
            f"inc-{n}",
            at,
            rng.choice([1, 1, 2, 3, 3, 4, 5, 6]),
            rng.choice(["urban", "rural"]),
            rng.choice(CATEGORIES),
            rng.choice(["attended"] * 6 + ["closed_attended", "closed_unattended", "open"]),
        )
        _, target_us = incident.response_and_target_us()
        base = target_us or 3600 * US
        incident.after_us = rng.choice(
            [0, base - US, base, base + 1, base + US, base * 2, rng.randrange(1, base + 1)]
        )
        log.incidents.append(incident)
    # Incidents still open at the end: some just created (awaiting, not yet scored).
    year, month = months[-1]
    end = datetime(year, month, 28, 12, tzinfo=UTC)
    for i in range(12):
        n += 1
        created = end - timedelta(minutes=5 + 7 * i)
        grade = [1, 3, 4][i % 3]
        log.incidents.append(
            Incident(f"inc-{n}", created, grade, "urban", CATEGORIES[i % 6], "open")
        )
    _call_backs(log, random.Random(seed * 1_000_003 + 36))
    if specials:
        for i in range(5):
            queued = datetime(2026, 3, 2, 9, tzinfo=UTC) + timedelta(minutes=7 * i)
            leg = Leg("999", "fcr", queued, True, 5 * US)
            log.too_late.append(Call(f"late-call-{i}", [leg], queued + timedelta(minutes=3)))
    log.lines = _lines(log, rng)
    return log


CALLBACK_DELAYS_S = [0, 30, 299, 599.999999, 600, 600.000001, 900, 3599, 3600, 3600.000001]
CALLBACK_DELAYS_S += [7200, 86_399.999999, 86_400, 90_000]
"""First attempts, in seconds after the abandon: either side of the 10-minute and 60-minute
targets and of the 24-hour limit."""
CALLBACK_OUTCOMES = ["no_answer", "engaged", "voicemail", "reached", "reached", "recontacted",
                     "referred"]  # fmt: skip


def _call_backs(log: Log, rng: random.Random) -> None:
    """Call-backs, drawn from a random stream of their own so the other events stay the
    same: most abandoned 999 calls, a few answered ones and abandoned 101 calls (which owe
    none)."""
    for call in log.calls:
        first = call.legs[0]
        owes = first.channel == "999" and not first.answered
        if rng.random() >= (0.85 if owes else 0.05):
            continue
        after_us = _us(rng.choice(CALLBACK_DELAYS_S))
        for _ in range(rng.randrange(1, 4)):
            call.callbacks.append((after_us, rng.choice(CALLBACK_OUTCOMES)))
            after_us += rng.randrange(60, 1800) * US


def _stamp(moment: datetime, rng: random.Random) -> str:
    zone = UTC if rng.random() < 0.5 else LONDON
    return moment.astimezone(zone).isoformat()


def _events(log: Log) -> list[tuple[datetime, dict]]:
    out: list[tuple[datetime, dict]] = []

    def add(at: datetime, event_type: str, source: str, **fields: object) -> None:
        out.append((at, {"event_type": event_type, "source": source, **fields}))

    for call in log.calls:
        for leg in call.legs:
            ids = {"call_id": call.call_id, "queue": leg.queue}
            add(leg.queued, "call.queued", "cti", channel=leg.channel, **ids)
            done = leg.queued + timedelta(microseconds=leg.wait_us)
            add(done, "call.answered" if leg.answered else "call.abandoned", "cti", **ids)
        add(call.ended, "call.ended", "cti", call_id=call.call_id)
    for chat in log.chats:
        add(chat.requested, "chat.requested", "chat", chat_id=chat.chat_id)
        done = chat.requested + timedelta(microseconds=chat.wait_us)
        add(
            done,
            "chat.accepted" if chat.accepted else "chat.abandoned",
            "chat",
            chat_id=chat.chat_id,
        )
        add(done + timedelta(minutes=5), "chat.ended", "chat", chat_id=chat.chat_id)
    for report in log.reports:
        ids = {"report_id": report.report_id}
        add(report.submitted, "report.submitted", "soh", report_type=report.report_type, **ids)
        if report.triage_us is not None:
            add(
                report.submitted + timedelta(microseconds=report.triage_us),
                "report.triaged",
                "soh",
                **ids,
            )
    for inc in log.incidents:
        ids = {"incident_id": inc.incident_id}
        add(
            inc.created,
            "incident.created",
            "storm",
            grade=inc.grade,
            area=inc.area,
            category=inc.category,
            **ids,
        )
        at = inc.created + timedelta(microseconds=inc.after_us)
        if inc.outcome == "attended":
            add(at, "incident.attended", "storm", **ids)
            add(at + timedelta(hours=1), "incident.closed", "storm", **ids)
        elif inc.outcome == "closed_attended":
            add(at, "incident.closed", "storm", attended=True, **ids)
        elif inc.outcome == "closed_unattended":
            add(at, "incident.closed", "storm", attended=False, **ids)
    # Last, so that every other event keeps its id and place in the random stream.
    for call in log.calls:
        for after_us, outcome in call.callbacks:
            at = call.abandoned_at + timedelta(microseconds=after_us)
            add(at, "call.callback", "cti", call_id=call.call_id, outcome=outcome)
    return out


KEYS = ("call_id", "chat_id", "report_id", "incident_id")
LATE_BY = timedelta(days=3)
TOO_LATE_ARRIVAL = datetime(2026, 10, 2, 12, tzinfo=UTC)


def _key(body: dict) -> str:
    return next(body[k] for k in KEYS if k in body)


def _lines(log: Log, rng: random.Random) -> list[bytes]:
    events = _events(log)
    keys = sorted({_key(body) for _, body in events})
    # One lifecycle in fifty reaches the pipeline three days late, all its events together.
    log.late_ids = set(rng.sample(keys, len(keys) // 50))
    bodies = []
    for i, (at, body) in enumerate(events):
        full = {"event_id": f"e-{i}", "occurred_at": _stamp(at, rng), "schema_version": 1, **body}
        # Arrival order: event time plus up to 30 minutes of delay (within the 1 h grace).
        delay = timedelta(seconds=rng.randrange(1800))
        if _key(body) in log.late_ids:
            delay += LATE_BY
        bodies.append((at + delay, i, full))
    for j, (at, body) in enumerate(_events(Log(calls=log.too_late))):
        full = {"event_id": f"late-{j}", "occurred_at": _stamp(at, rng), "schema_version": 1}
        bodies.append((TOO_LATE_ARRIVAL + timedelta(seconds=j), len(events) + j, full | body))
    bodies.sort(key=lambda item: (item[0], item[1]))
    lines = [json.dumps(body).encode() for _, _, body in bodies]
    # Duplicates: a few lines sent again, after the next line when that is close in time.
    times = [at for at, _, _ in bodies]
    for index in sorted(rng.sample(range(len(lines) - 5), len(lines) // 50), reverse=True):
        close = times[index + 1] - times[index] < timedelta(minutes=20)
        lines.insert(index + (2 if close else 1), lines[index])
    return lines


def rearrived(log: Log, seed: int, within: timedelta = timedelta(minutes=55)) -> list[bytes]:
    """The log's lines, duplicates included, in another arrival order: each event arrives
    a random delay of less than ``within`` after it occurred (so, under the hour's grace,
    never late), and with the default ``within`` further out of order than in the log
    (30 minutes). A late lifecycle arrives `LATE_BY` after it began, its events together
    and in the order they occurred (beyond the grace, order is no longer free); the calls
    refused as too late come at `TOO_LATE_ARRIVAL`; a repeated line comes straight after
    its first copy."""
    rng = random.Random(seed)
    too_late = {call.call_id for call in log.too_late}
    copies = Counter(log.lines)
    bodies = [(raw, json.loads(raw)) for raw in copies]  # each line once, in the log's order
    late_from: dict[str, datetime] = {}
    for _, body in bodies:
        if (key := _key(body)) in log.late_ids:
            at = datetime.fromisoformat(body["occurred_at"])
            late_from[key] = min(at, late_from.get(key, at))
    late_at = {
        key: at + LATE_BY + timedelta(seconds=rng.randrange(1800))
        for key, at in sorted(late_from.items())
    }
    arrivals = []
    for raw, body in bodies:
        key = _key(body)
        tiebreak: float = rng.random()
        if key in too_late:
            arrival = TOO_LATE_ARRIVAL + timedelta(seconds=rng.randrange(60))
        elif key in late_at:
            arrival = late_at[key]
            tiebreak = int(body["event_id"].removeprefix("e-"))  # e-N: the order they occur
        else:
            delay = timedelta(microseconds=rng.randrange(within // timedelta(microseconds=1)))
            arrival = datetime.fromisoformat(body["occurred_at"]) + delay
        arrivals.append((arrival, tiebreak, raw))
    arrivals.sort(key=lambda item: item[:2])
    return [raw for _, _, raw in arrivals for _ in range(copies[raw])]


def write(log: Log, path: Path) -> Path:
    path.write_bytes(b"\n".join(log.lines) + b"\n")
    return path


def pack_of(log: Log) -> MonthlyPack:
    """The monthly pack of the log's months (March to November 2026), as `ccm export
    --from-log` computes it."""
    from streams.core.monthly import monthly_pack
    from streams.export.from_log import run_lines

    run = run_lines(enumerate(log.lines, 1), targets())
    return monthly_pack(run.states.values(), targets(), FIRST, LAST)
