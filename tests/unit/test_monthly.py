"""The monthly pack from a generated event log, checked cell by cell against figures
computed here from the generated lifecycles in plain Python (no KPI core).

The log spans March to November 2026: both clock changes, lifecycles just after
London midnight on the 1st of a month (UTC date in the month before), a policy
change and a service-level formula change in mid-October, empty months (blank
percentages), duplicates and out-of-order lines, incidents still open at the end.
"""

import csv
import json
import math
from collections import Counter, defaultdict
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from kafka.partitioner.default import murmur2

from schemas import RejectReason
from streams.core.monthly import MonthlyPack, monthly_pack
from streams.core.months import one_decimal, parse_month, percent
from streams.core.timebase import TimeRules, london_day
from streams.export.csv import write_monthly_csv
from streams.export.from_log import run_file, run_lines
from tests import monthly_data as data
from tests.monthly_data import FORMULA_FROM, LONDON, month_of

MONTHS = [f"2026-{m:02d}" for m in range(3, 12)]
STANDARD_QUEUES = [("999", "fcr"), ("101", "switchboard"), ("101", "fcr")]
STANDARD_QUEUES.append(("101", "resolution_centre"))
CATEGORY_GROUPS = [*data.CATEGORIES, "high_harm", "all"]


# --- independent arithmetic ---------------------------------------------------------------


def tenth(value: Fraction) -> str:
    """Half up to one decimal, as text."""
    tenths = math.floor(value * 10 + Fraction(1, 2))
    return f"{tenths // 10}.{tenths % 10}"


def pct(top: int, bottom: int) -> str:
    return "" if bottom == 0 else tenth(Fraction(100 * top, bottom))


def avg_seconds(sum_us: int, n: int) -> str:
    return "" if n == 0 else tenth(Fraction(sum_us, n * 1_000_000))


# --- shared fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def log() -> data.Log:
    return data.generate()


@pytest.fixture(scope="module")
def pack(log: data.Log, tmp_path_factory: pytest.TempPathFactory) -> MonthlyPack:
    path = data.write(log, tmp_path_factory.mktemp("log") / "events.jsonl")
    run = run_file(path, data.targets())
    too_late = 3 * len(log.too_late)  # queued, answered, ended
    assert run.rejected == Counter({RejectReason.TOO_LATE: too_late}), run.summary()
    late = sum(state.late for state in run.states.values())
    assert late >= len(log.late_ids), "the late lifecycles must arrive beyond the grace"
    assert run.duplicates == len(log.lines) - len(set(log.lines))
    return monthly_pack(run.states.values(), data.targets(), (2026, 3), (2026, 11))


def tables(pack: MonthlyPack, out: Path) -> dict[str, list[dict]]:
    """The pack's CSV files as written, each as its rows."""
    written = write_monthly_csv(pack, out)
    assert [p.name for p in written] == [
        "incident_attendance.csv",
        "call_handling.csv",
        "chat.csv",
        "online_reports.csv",
        "channel_share.csv",
        "kpis.csv",
    ]
    found = {}
    for path in written:
        with path.open(newline="") as handle:
            found[path.stem] = list(csv.DictReader(handle))
    return found


@pytest.fixture(scope="module")
def files(pack: MonthlyPack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    return tables(pack, tmp_path_factory.mktemp("csv"))


# --- expected figures, from the lifecycles -----------------------------------------------


def formula_on(day: date, channel: str, queue: str) -> str:
    if day < FORMULA_FROM:
        return "strict"
    return "ignore_abandons" if (channel, queue) == ("999", "fcr") else "abandons_within_target_met"


def expected_calls(log: data.Log, months: list[str] = MONTHS) -> list[dict]:
    counts: dict[tuple, Counter] = defaultdict(Counter)
    for call in log.calls:
        for leg in call.legs:
            day = data.london_day(leg.queued)
            formula = formula_on(day, leg.channel, leg.queue)
            c = counts[(month_of(leg.queued), leg.channel, leg.queue, formula)]
            within = leg.wait_us <= data.ANSWER_TARGET_S[(leg.channel, leg.queue)] * 1_000_000
            c["offered"] += 1
            if leg.answered:
                c["answered"] += 1
                c["answered_within_target"] += within
                c["wait_us"] += leg.wait_us
            else:
                c["abandoned"] += 1
                c["abandoned_within_target"] += within
    rows = []
    for month in months:
        for channel, queue in STANDARD_QUEUES:
            formulas = ["strict"]
            if month == "2026-10":
                formulas.append(formula_on(FORMULA_FROM, channel, queue))
            elif month == "2026-11":
                formulas = [formula_on(FORMULA_FROM, channel, queue)]
            for formula in formulas:
                c = counts[(month, channel, queue, formula)]
                outcomes = c["answered"] + c["abandoned"]
                if formula == "strict":
                    level = pct(c["answered_within_target"], outcomes)
                elif formula == "ignore_abandons":
                    level = pct(c["answered_within_target"], c["answered"])
                else:
                    top = c["answered_within_target"] + c["abandoned_within_target"]
                    level = pct(top, outcomes)
                rows.append(
                    {
                        "month": month,
                        "channel": channel,
                        "queue": queue,
                        "formula": formula,
                        "offered": str(c["offered"]),
                        "answered": str(c["answered"]),
                        "answered_within_target": str(c["answered_within_target"]),
                        "service_level_pct": level,
                        "abandoned": str(c["abandoned"]),
                        "abandonment_pct": pct(c["abandoned"], outcomes),
                        "asa_seconds": avg_seconds(c["wait_us"], c["answered"]),
                        "abandoned_within_target": str(c["abandoned_within_target"]),
                        "short_abandoned": "0",
                    }
                )
    return rows


def incident_partition_stream_times(log: data.Log, partitions: int) -> dict[int, object]:
    """The newest event time per incidents partition (Kafka's default partitioner)."""
    newest: dict[int, object] = {}
    for raw in log.lines:
        body = json.loads(raw)
        if body["event_type"].startswith("incident."):
            partition = (murmur2(body["incident_id"].encode()) & 0x7FFFFFFF) % partitions
            at = data.datetime.fromisoformat(body["occurred_at"])
            if partition not in newest or at > newest[partition]:
                newest[partition] = at
    return newest


def incident_score(inc: data.Incident, stream_time) -> str | None:
    """met, not_met, or None (not scored, or still awaiting attendance)."""
    _, target_us = inc.response_and_target_us()
    if target_us is None:
        return None
    deadline = inc.created + data.timedelta(microseconds=target_us)
    at = inc.created + data.timedelta(microseconds=inc.after_us)
    if inc.outcome in ("attended", "closed_attended"):
        return "met" if at <= deadline else "not_met"
    if inc.outcome == "closed_unattended":
        return None if at <= deadline else "not_met"
    return "not_met" if deadline < stream_time else None


def expected_incidents(
    log: data.Log, partitions: int = 6, months: list[str] = MONTHS
) -> list[dict]:
    """``partitions``: of the incidents topic; open incidents are scored as of the
    newest event on their own partition."""
    stream = incident_partition_stream_times(log, partitions)
    counts: Counter = Counter()
    for inc in log.incidents:
        partition = (murmur2(inc.incident_id.encode()) & 0x7FFFFFFF) % partitions
        outcome = incident_score(inc, stream[partition])
        if outcome is None:
            continue
        response, _ = inc.response_and_target_us()
        groups = [inc.category, "all"] + (["high_harm"] if inc.category != "other" else [])
        for group in groups:
            counts[(month_of(inc.created), inc.policy, group, response, outcome)] += 1
    rows = []
    for month in months:
        policies = {"2026-10": ["essex", "npcc"], "2026-11": ["npcc"]}.get(month, ["essex"])
        for policy in policies:
            for group in CATEGORY_GROUPS:
                for response in data.POLICY_RESPONSES[policy]:
                    met = counts[(month, policy, group, response, "met")]
                    not_met = counts[(month, policy, group, response, "not_met")]
                    rows.append(
                        {
                            "month": month,
                            "policy": policy,
                            "category": group,
                            "response": response,
                            "met": str(met),
                            "not_met": str(not_met),
                            "total": str(met + not_met),
                            "pct_met": pct(met, met + not_met),
                        }
                    )
    return rows


def expected_chats(log: data.Log, months: list[str] = MONTHS) -> list[dict]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for chat in log.chats:
        c = counts[month_of(chat.requested)]
        local = chat.requested.astimezone(LONDON)
        within = chat.wait_us <= data.CHAT_TARGET_S * 1_000_000
        c["requested"] += 1
        c["outside_hours"] += not 7 <= local.hour < 23
        if chat.accepted:
            c["accepted"] += 1
            c["accepted_within_target"] += within
            c["wait_us"] += chat.wait_us
        else:
            c["abandoned"] += 1
    rows = []
    for month in months:
        c = counts[month]
        outcomes = c["accepted"] + c["abandoned"]
        rows.append(
            {
                "month": month,
                "requested": str(c["requested"]),
                "accepted": str(c["accepted"]),
                "accepted_within_target": str(c["accepted_within_target"]),
                "service_level_pct": pct(c["accepted_within_target"], outcomes),
                "abandoned": str(c["abandoned"]),
                "abandonment_pct": pct(c["abandoned"], outcomes),
                "average_wait_seconds": avg_seconds(c["wait_us"], c["accepted"]),
                "outside_hours": str(c["outside_hours"]),
            }
        )
    return rows


def expected_reports(log: data.Log, months: list[str] = MONTHS) -> list[dict]:
    counts: dict[tuple, Counter] = defaultdict(Counter)
    for report in log.reports:
        c = counts[(month_of(report.submitted), report.report_type)]
        c["submitted"] += 1
        if report.triage_us is not None:
            c["triaged"] += 1
            c["triage_us"] += report.triage_us
    return [
        {
            "month": month,
            "report_type": kind,
            "submitted": str(counts[(month, kind)]["submitted"]),
            "triaged": str(counts[(month, kind)]["triaged"]),
            "average_triage_seconds": avg_seconds(
                counts[(month, kind)]["triage_us"], counts[(month, kind)]["triaged"]
            ),
        }
        for month in months
        for kind in ("asb", "crime", "traffic", "other")
    ]


def expected_shares(log: data.Log, months: list[str] = MONTHS) -> list[dict]:
    contacts: Counter = Counter()
    for call in log.calls:
        first = min(call.legs, key=lambda leg: leg.queued)
        contacts[(month_of(first.queued), first.channel)] += 1
    for chat in log.chats:
        contacts[(month_of(chat.requested), "chat")] += 1
    for report in log.reports:
        contacts[(month_of(report.submitted), "online")] += 1
    rows = []
    for month in months:
        total = sum(contacts[(month, c)] for c in ("999", "101", "chat", "online"))
        rows += [
            {
                "month": month,
                "channel": channel,
                "contacts": str(contacts[(month, channel)]),
                "share_pct": pct(contacts[(month, channel)], total),
            }
            for channel in ("999", "101", "chat", "online")
        ]
    return rows


# --- the comparisons ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("incident_attendance", expected_incidents),
        ("call_handling", expected_calls),
        ("chat", expected_chats),
        ("online_reports", expected_reports),
        ("channel_share", expected_shares),
    ],
)
def test_every_csv_cell_matches_the_lifecycles(
    files: dict[str, list[dict]], log: data.Log, table: str, expected
) -> None:
    want = expected(log)
    got = files[table]
    assert len(got) == len(want)
    for got_row, want_row in zip(got, want, strict=True):
        assert got_row == want_row


def test_the_log_exercises_what_it_claims(log: data.Log, files: dict[str, list[dict]]) -> None:
    # Not vacuous: incidents both met and missed, open ones scored by stream time,
    # a blank percentage in an empty month, and a month with two policies.
    rows = {(r["month"], r["policy"], r["category"], r["response"]): r for r in files[
        "incident_attendance"
    ]}  # fmt: skip
    assert int(rows[("2026-03", "essex", "all", "emergency")]["met"]) > 10
    assert int(rows[("2026-03", "essex", "all", "emergency")]["not_met"]) > 10
    assert rows[("2026-06", "essex", "all", "emergency")]["pct_met"] == ""
    assert int(rows[("2026-10", "npcc", "all", "urgent")]["total"]) > 0
    stream = incident_partition_stream_times(log, 6)
    open_scored = [
        i
        for i in log.incidents
        if i.outcome == "open"
        and incident_score(i, stream[(murmur2(i.incident_id.encode()) & 0x7FFFFFFF) % 6])
    ]
    awaiting = [
        i
        for i in log.incidents
        if i.outcome == "open"
        and i.response_and_target_us()[1] is not None
        and not incident_score(i, stream[(murmur2(i.incident_id.encode()) & 0x7FFFFFFF) % 6])
    ]
    assert open_scored and awaiting
    assert log.late_ids and log.too_late


@pytest.mark.parametrize(
    ("instant", "month"),
    [
        ("2026-03-31T23:30:00+00:00", "2026-04"),  # 00:30 BST on 1 April
        ("2026-03-31T22:59:59+00:00", "2026-03"),  # 23:59:59 BST on 31 March
        ("2026-04-30T23:10:00+00:00", "2026-05"),
        ("2026-09-30T23:15:00+00:00", "2026-10"),
        ("2026-10-31T23:59:59+00:00", "2026-10"),  # GMT again: UTC date is the London date
        ("2026-11-01T00:10:00+00:00", "2026-11"),
        ("2026-03-01T00:05:00+00:00", "2026-03"),
    ],
)
def test_a_lifecycle_at_a_month_boundary_counts_in_its_london_month(
    instant: str, month: str
) -> None:
    call = data.Call(
        "c-x",
        [data.Leg("999", "fcr", data.datetime.fromisoformat(instant), True, 4_000_000)],
        data.datetime.fromisoformat(instant) + data.timedelta(minutes=3),
    )
    one = data.Log(calls=[call])
    one.lines = data._lines(one, data.random.Random(1))
    run = run_lines(enumerate(one.lines, 1), data.targets())
    got = monthly_pack(run.states.values(), data.targets(), (2026, 3), (2026, 11))
    answered = Counter({m: 0 for m in MONTHS})
    for row in got.calls:
        if (row.channel, row.queue) == ("999", "fcr"):
            answered[row.month] += row.answered
    assert answered == {m: int(m == month) for m in MONTHS}


def test_clock_change_days_are_counted_whole(pack: MonthlyPack, log: data.Log) -> None:
    # Legs offered on 29 March and 25 October (23 and 25 hours) are all in their month.
    for day in (date(2026, 3, 29), date(2026, 10, 25)):
        offered = sum(
            1 for call in log.calls for leg in call.legs if data.london_day(leg.queued) == day
        )
        assert offered >= 2
    march = sum(r.offered for r in pack.calls if r.month == "2026-03")
    assert march == sum(
        1 for call in log.calls for leg in call.legs if month_of(leg.queued) == "2026-03"
    )


def arrival_orders(lines: list[bytes]) -> dict[str, list[str]]:
    """Each lifecycle's event ids in the order they arrive (repeats left out)."""
    orders: dict[str, list[str]] = defaultdict(list)
    for raw in dict.fromkeys(lines):
        body = json.loads(raw)
        orders[data._key(body)].append(body["event_id"])
    return orders


def out_of_event_time(lines: list[bytes]) -> set[str]:
    """The lifecycles with an event arriving before one that occurred earlier."""
    times: dict[str, list] = defaultdict(list)
    for raw in dict.fromkeys(lines):
        body = json.loads(raw)
        times[data._key(body)].append(data.datetime.fromisoformat(body["occurred_at"]))
    return {key for key, at in times.items() if at != sorted(at)}


@pytest.mark.parametrize("seed", [1, 2])
def test_any_arrival_order_within_the_grace_gives_the_pack_of_the_lifecycles(
    log: data.Log, seed: int, tmp_path: Path
) -> None:
    """One partition per family, so every lifecycle of a family meets in one state, and
    the same lines arrive in another order: each event up to 55 minutes after it
    occurred (the log's own delays reach 30), interleaving the lifecycles differently
    and putting events of one lifecycle before those that occurred earlier."""
    targets = data.targets()
    lines = data.rearrived(log, seed)
    assert sorted(lines) == sorted(log.lines)
    before, after = arrival_orders(log.lines), arrival_orders(lines)
    reordered = {key for key in before if after[key] != before[key]}
    assert len(reordered) > len(before) // 3, (len(reordered), len(before))
    assert len(out_of_event_time(lines) - out_of_event_time(log.lines)) > 100

    in_order = run_lines(enumerate(log.lines, 1), targets, partitions=1)
    shuffled = run_lines(enumerate(lines, 1), targets, partitions=1)
    assert len(shuffled.states) == 4  # calls, chats, reports, incidents: one state each
    too_late = 3 * len(log.too_late)
    assert shuffled.rejected == Counter({RejectReason.TOO_LATE: too_late}), shuffled.summary()
    assert shuffled.duplicates == len(log.lines) - len(set(log.lines))
    pack = monthly_pack(shuffled.states.values(), targets, (2026, 3), (2026, 11))
    # What the lifecycles say, worked out without the KPI core ...
    got = tables(pack, tmp_path)
    assert got["incident_attendance"] == expected_incidents(log, partitions=1)
    assert got["call_handling"] == expected_calls(log)
    assert got["chat"] == expected_chats(log)
    assert got["online_reports"] == expected_reports(log)
    assert got["channel_share"] == expected_shares(log)
    # ... and, to the last field, what the log's own order gives.
    first = monthly_pack(in_order.states.values(), targets, (2026, 3), (2026, 11))
    assert pack.to_json() == first.to_json()


def test_closed_months_keep_one_row_per_stretch_of_targets(log: data.Log) -> None:
    """State stays small however long a worker runs: the days of a month closed to late
    events are folded together, apart only where a target or policy took effect."""
    run = run_lines(enumerate(log.lines, 1), data.targets())
    targets = data.targets()
    starts = {s.effective_from for s in [*targets.call_handling, *targets.chat]}
    starts |= {p.effective_from for p in targets.adopted_policies()}
    folded_any = False
    for state in run.states.values():
        stream = state.clock.stream_us
        open_from = london_day(stream - TimeRules().close_after_us).replace(day=1)
        for tally in state.ledger.tallies:
            for by_day in tally.days.values():
                closed = [date.fromordinal(d) for d in by_day if d < open_from.toordinal()]
                for day in closed:
                    assert day.day == 1 or day in starts, day
                folded_any |= bool(closed)
    assert folded_any


def test_pack_json_round_trip_is_exact(pack: MonthlyPack) -> None:
    text = json.dumps(pack.to_json())
    again = MonthlyPack.from_json(json.loads(text))
    assert again == pack
    assert again.to_json() == pack.to_json()


def test_pack_from_restored_checkpoints_equals_the_pack(log: data.Log, pack: MonthlyPack) -> None:
    # What a worker serves after a restart from its checkpoints is what it served before.
    from streams.core.partition import PartitionState
    from streams.core.timebase import TimeRules

    targets = data.targets()
    run = run_lines(enumerate(log.lines, 1), targets)
    restored = [
        PartitionState.restore(s.snapshot(), targets, TimeRules()) for s in run.states.values()
    ]
    again = monthly_pack(restored, targets, (2026, 3), (2026, 11))
    assert again.to_json() == pack.to_json()


def test_a_narrower_range_gives_the_same_rows_for_its_months(
    log: data.Log, pack: MonthlyPack
) -> None:
    targets = data.targets()
    run = run_lines(enumerate(log.lines, 1), targets)
    october = monthly_pack(run.states.values(), targets, (2026, 10), (2026, 10))
    assert october.months == ("2026-10",)
    assert october.incidents == tuple(r for r in pack.incidents if r.month == "2026-10")
    assert october.calls == tuple(r for r in pack.calls if r.month == "2026-10")


def test_policy_and_formula_periods_are_recorded_for_the_notes(pack: MonthlyPack) -> None:
    october = [(p.policy, p.first, p.last) for p in pack.policies if p.month == "2026-10"]
    assert october == [("essex", "2026-10-01", "2026-10-19"), ("npcc", "2026-10-20", "2026-10-31")]
    fcr = [
        (t.formula, t.answer_within_seconds, t.first, t.last)
        for t in pack.queue_targets
        if t.month == "2026-10" and (t.channel, t.queue) == ("999", "fcr")
    ]
    assert fcr == [
        ("strict", 10, "2026-10-01", "2026-10-14"),
        ("ignore_abandons", 10, "2026-10-15", "2026-10-31"),
    ]


# --- arithmetic and inputs ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("top", "bottom", "text"),
    [
        (1, 8, "12.5"),  # exactly 12.5
        (1, 3, "33.3"),
        (2, 3, "66.7"),
        (1, 1600, "0.1"),  # 0.0625 % -> 0.1
        (1, 2000, "0.1"),  # 0.05 %: a tie, half up
        (1, 2001, "0.0"),
        (0, 5, "0.0"),
        (5, 5, "100.0"),
        (999, 1000, "99.9"),
        (19999, 20000, "100.0"),  # 99.995 -> 100.0
        (0, 0, None),
    ],
)
def test_percent_is_exact_and_half_up(top: int, bottom: int, text: str | None) -> None:
    got = percent(top, bottom)
    assert (None if got is None else f"{got:.1f}") == text
    assert (None if got is None else f"{got:.1f}") == (pct(top, bottom) or None)


@pytest.mark.parametrize(
    ("sum_us", "n", "text"),
    [(10_050_000, 1, "10.1"), (10_049_999, 1, "10.0"), (3_000_000, 2, "1.5"), (0, 0, None)],
)
def test_average_seconds_half_up(sum_us: int, n: int, text: str | None) -> None:
    got = one_decimal(sum_us, n, 1_000_000)
    assert (None if got is None else f"{got:.1f}") == text


@pytest.mark.parametrize("text", ["2026-13", "2026-3", "26-03", "March", "2026-00", ""])
def test_bad_months_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(text)


def test_from_after_to_is_refused() -> None:
    with pytest.raises(ValueError, match="after"):
        monthly_pack([], data.targets(), (2026, 5), (2026, 4))


def test_no_events_gives_every_row_with_blank_percentages() -> None:
    empty = monthly_pack([], data.targets(), (2026, 1), (2026, 1))
    assert {r.pct_met for r in empty.incidents} == {None}
    assert len(empty.incidents) == 8 * 3
    assert [(r.channel, r.queue) for r in empty.calls] == STANDARD_QUEUES
    assert {r.service_level_pct for r in empty.calls} == {None}
    assert [r.contacts for r in empty.shares] == [0, 0, 0, 0]


def test_undecodable_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = json.dumps(
        {
            "event_id": "e1",
            "event_type": "chat.requested",
            "occurred_at": "2026-03-10T10:00:00+00:00",
            "schema_version": 1,
            "source": "chat",
            "chat_id": "x",
        }
    )
    path.write_text(f'{good}\nnot json\n\n{{"event_type": "chat.requested"}}\n')
    run = run_file(path, data.targets())
    assert run.lines == 3
    assert [(r.line_no, r.reason.value) for r in run.undecodable] == [
        (2, "malformed_json"),
        (4, "missing_field"),
    ]
    assert "not counted: 2" in run.summary()
    pack = monthly_pack(run.states.values(), data.targets(), (2026, 3), (2026, 3))
    assert pack.chats[0].requested == 1


def test_the_log_shared_out_to_processes_gives_the_same_pack(
    log: data.Log, pack: MonthlyPack, tmp_path: Path
) -> None:
    # First, a line that names its type and call, so is routed to a partition's
    # process, which refuses it (no offset): that partition's state is still placed
    # by its first event, and its first event's offset is 0, as when read alone.
    naive = json.loads(log.lines[0]) | {"occurred_at": "2026-03-01T00:00:00"}
    path = tmp_path / "events.jsonl"
    path.write_bytes(json.dumps(naive).encode() + b"\n" + b"\n".join(log.lines) + b"\n")
    with path.open("ab") as events:
        events.write(b'{"event_type": "call.queued"}\n')  # not an event: refused, not lost
    alone = run_file(path, data.targets())
    shared = run_file(path, data.targets(), jobs=3)
    assert shared.lines == alone.lines == len(log.lines) + 2
    assert [(r.line_no, r.reason) for r in shared.undecodable] == [
        (1, RejectReason.NAIVE_TIMESTAMP),
        (len(log.lines) + 2, RejectReason.MISSING_FIELD),
    ]
    assert shared.undecodable == alone.undecodable
    assert [s.ledger.live_windows for s in shared.states.values()] == [False] * len(alone.states)
    assert {w: s.offset for w, s in shared.states.items()} == {
        w: s.offset for w, s in alone.states.items()
    }
    assert shared.rejected == alone.rejected
    assert shared.duplicates == alone.duplicates == len(log.lines) - len(set(log.lines))
    assert list(shared.states) == list(alone.states)
    assert monthly_pack(shared.states.values(), data.targets(), (2026, 3), (2026, 11)) == pack


def test_an_export_without_the_live_windows_makes_the_workers_pack(
    log: data.Log, pack: MonthlyPack
) -> None:
    """An export keeps only the period figures; the same lines applied as a worker
    applies them (live windows, live views of lifecycles told late) give the same pack."""
    from schemas import Envelope, decode
    from streams.core.partition import PartitionState

    targets = data.targets()
    live: dict = {}
    offsets: Counter = Counter()
    for raw in log.lines:
        event = decode(raw)
        if not isinstance(event, Envelope):
            continue
        where = (event.family, (murmur2(event.key.encode()) & 0x7FFFFFFF) % 6)  # kafka-python's
        if where not in live:
            live[where] = PartitionState(event.family, targets, TimeRules())
        state = live[where]
        state.process(raw, offsets[where], wall_us=2**62)
        offsets[where] += 1
    assert monthly_pack(live.values(), targets, (2026, 3), (2026, 11)) == pack
    period = run_lines(enumerate(log.lines, 1), targets).states.values()
    assert not any(t.minutes or t.waits for s in period for t in s.ledger.tallies)
    assert all(lc.live_as is None for s in period for lc in s.ledger)
    # What the period-only states go without, the worker's hold.
    assert any(t.minutes for s in live.values() for t in s.ledger.tallies)
