"""kpis.csv, row by row, against figures worked out here from the generated lifecycles
in plain Python (no KPI core), and small scenarios for what the generated log never
does: exact halves, downgrades after a breach, short abandons, a wait taken back."""

import csv
import json
import zlib
from collections import Counter
from pathlib import Path

import pytest
from kafka.partitioner.default import murmur2

from schemas import Family
from streams.core.monthly import monthly_pack
from streams.core.partition import PartitionState
from streams.core.timebase import TimeRules
from streams.export.csv import write_monthly_csv
from streams.export.from_log import run_lines
from tests import monthly_data as data
from tests.events import event, raw
from tests.monthly_data import LONDON, month_of
from tests.scenario import TARGETS, targets_with
from tests.unit.test_monthly import (
    MONTHS,
    STANDARD_QUEUES,
    avg_seconds,
    formula_on,
    incident_partition_stream_times,
    incident_score,
    pct,
)

COLUMNS = [
    "month", "measure", "policy", "channel", "queue", "formula", "grade", "response", "area",
    "category", "report_type", "numerator", "denominator", "value", "unit",
]  # fmt: skip
GROUPS = [*data.CATEGORIES, "high_harm", "not_high_harm", "all"]
ALL_RESPONSES = {
    "essex": ["emergency", "priority", "routine", "resolution_without_deployment", "appointment"],
    "npcc": [
        "emergency", "urgent", "priority", "scheduled", "resolution_without_deployment",
        "appointment",
    ],
}  # fmt: skip
SCORED_GRADES = [1, 2, 3, 4]
US = 1_000_000


def seconds(us: int) -> str:
    """µs as exact seconds, no trailing zeros."""
    whole, rest = divmod(us, US)
    return str(whole) if rest == 0 else f"{whole}.{rest:06d}".rstrip("0")


def row(month: str, measure: str, top, bottom: int, value: str, unit: str, **dims) -> dict:
    out = dict.fromkeys(COLUMNS, "")
    out.update(month=month, measure=measure, numerator=str(top), denominator=str(bottom))
    out.update(value=value, unit=unit, **{k: str(v) for k, v in dims.items()})
    return out


def percent_row(month: str, measure: str, top: int, bottom: int, **dims) -> dict:
    return row(month, measure, top, bottom, pct(top, bottom), "percent", **dims)


def seconds_row(month: str, measure: str, sum_us: int, n: int, **dims) -> dict:
    return row(month, measure, seconds(sum_us), n, avg_seconds(sum_us, n), "seconds", **dims)


def count_row(month: str, measure: str, n: int, out_of: int, **dims) -> dict:
    return row(month, measure, n, out_of, str(n), "count", **dims)


def in_group(category: str, group: str) -> bool:
    return {
        "all": True,
        "high_harm": category != "other",
        "not_high_harm": category == "other",
    }.get(group, category == group)


# --- expected rows, from the lifecycles --------------------------------------------------


def _call_rows(log: data.Log, month: str) -> list[dict]:
    legs = [(call, leg) for call in log.calls for leg in call.legs if month_of(leg.queued) == month]
    rows = []
    formulas = {"2026-10": ["strict", None], "2026-11": [None]}.get(month, ["strict"])
    for channel, queue in STANDARD_QUEUES:
        at = [leg for _, leg in legs if (leg.channel, leg.queue) == (channel, queue)]
        target_us = data.ANSWER_TARGET_S[(channel, queue)] * US
        for formula in formulas:
            formula = formula or formula_on(data.FORMULA_FROM, channel, queue)
            mine = [
                leg
                for leg in at
                if formula_on(data.london_day(leg.queued), channel, queue) == formula
            ]
            answered_within = sum(leg.answered and leg.wait_us <= target_us for leg in mine)
            abandoned_within = sum(not leg.answered and leg.wait_us <= target_us for leg in mine)
            answered = sum(leg.answered for leg in mine)
            top, bottom = answered_within, len(mine)
            if formula == "ignore_abandons":
                bottom = answered
            elif formula == "abandons_within_target_met":
                top += abandoned_within
            rows.append(
                percent_row(
                    month,
                    "call_service_level",
                    top,
                    bottom,
                    channel=channel,
                    queue=queue,
                    formula=formula,
                )
            )
    per_queue = {
        where: [leg for _, leg in legs if (leg.channel, leg.queue) == where]
        for where in STANDARD_QUEUES
    }
    for (channel, queue), at in per_queue.items():
        abandoned = sum(not leg.answered for leg in at)
        rows.append(
            percent_row(month, "call_abandonment", abandoned, len(at), channel=channel, queue=queue)
        )
    for (channel, queue), at in per_queue.items():
        answered = [leg.wait_us for leg in at if leg.answered]
        rows.append(
            seconds_row(
                month,
                "call_asa_seconds",
                sum(answered),
                len(answered),
                channel=channel,
                queue=queue,
            )
        )
    for (channel, queue), at in per_queue.items():
        longest = max((leg.wait_us for leg in at), default=None)
        rows.append(
            row(
                month,
                "call_longest_wait_seconds",
                seconds(longest or 0),
                int(longest is not None),
                "" if longest is None else avg_seconds(longest, 1),
                "seconds",
                channel=channel,
                queue=queue,
            )
        )
    for channel in ("999", "101"):
        calls = [
            c
            for c in log.calls
            if month_of(c.legs[0].queued) == month and c.legs[0].channel == channel
        ]
        combined = sum(leg.wait_us for c in calls for leg in c.legs)
        rows.append(
            seconds_row(month, "call_combined_wait_seconds", combined, len(calls), channel=channel)
        )
    for (channel, queue), at in per_queue.items():
        rows.append(
            count_row(month, "call_short_abandoned", 0, len(at), channel=channel, queue=queue)
        )
    answered = [leg.wait_us for leg in per_queue[("999", "fcr")] if leg.answered]
    bands = {
        "home_office_999_under_10s": sum(w < 10 * US for w in answered),
        "home_office_999_10s_to_60s": sum(10 * US <= w < 60 * US for w in answered),
        "home_office_999_60s_or_more": sum(w >= 60 * US for w in answered),
    }
    for measure, n in bands.items():
        rows.append(percent_row(month, measure, n, len(answered), channel="999", queue="fcr"))
    rows.append(
        seconds_row(
            month,
            "home_office_999_average_answer_seconds",
            sum(answered),
            len(answered),
            channel="999",
            queue="fcr",
        )
    )
    return rows


RESOLVING = ("reached", "recontacted", "referred")
FIRST_ATTEMPT_US, RESOLVE_US, OPEN_US = 600 * US, 3600 * US, 86_400 * US
"""The shipped call-back targets, written out: 10 minutes, 60 minutes, open 24 hours."""


def _callback_rows(log: data.Log, month: str) -> list[dict]:
    """Abandoned 999 calls (each generated call has one 999 leg) owe a call-back, counted
    in the month the leg was offered; 101 and answered calls owe none."""
    owed = [
        c
        for c in log.calls
        if c.legs[0].channel == "999" and not c.legs[0].answered
        and month_of(c.legs[0].queued) == month
    ]  # fmt: skip
    contacts = sum(
        1 for c in log.calls if c.legs[0].channel == "999" and month_of(c.legs[0].queued) == month
    )
    within = resolved_within = first_sum = attempted = unresolved = 0
    by_outcome = Counter()
    for call in owed:
        tries = sorted(call.callbacks)
        if tries:
            attempted += 1
            first_sum += tries[0][0]
            within += tries[0][0] <= FIRST_ATTEMPT_US
        resolving = next(((t, o) for t, o in tries if o in RESOLVING), None)
        if resolving is None or resolving[0] >= OPEN_US:
            unresolved += 1
            continue
        by_outcome[resolving[1]] += 1
        resolved_within += resolving[0] <= RESOLVE_US
    on = {"channel": "999"}
    return [
        count_row(month, "callbacks_owed", len(owed), contacts, **on),
        percent_row(month, "callback_first_attempt_within_target", within, len(owed), **on),
        percent_row(month, "callback_resolved_within_target", resolved_within, len(owed), **on),
        seconds_row(month, "callback_average_first_attempt_seconds", first_sum, attempted, **on),
        *(
            count_row(month, f"callbacks_resolved_{o}", by_outcome[o], len(owed), **on)
            for o in RESOLVING
        ),
        count_row(month, "callbacks_unresolved", unresolved, len(owed), **on),
    ]


def _chat_rows(log: data.Log, month: str) -> list[dict]:
    chats = [c for c in log.chats if month_of(c.requested) == month]
    accepted = [c for c in chats if c.accepted]
    within = sum(c.wait_us <= data.CHAT_TARGET_S * US for c in accepted)
    closed = sum(not 7 <= c.requested.astimezone(LONDON).hour < 23 for c in chats)
    return [
        percent_row(month, "chat_service_level", within, len(chats)),
        percent_row(month, "chat_abandonment", len(chats) - len(accepted), len(chats)),
        seconds_row(
            month, "chat_average_wait_seconds", sum(c.wait_us for c in accepted), len(accepted)
        ),
        count_row(month, "chats_requested_while_closed", closed, len(chats)),
    ]


def _online_rows(log: data.Log, month: str) -> list[dict]:
    reports = [r for r in log.reports if month_of(r.submitted) == month]
    kinds = ["asb", "crime", "traffic", "other"]
    of = {k: [r for r in reports if r.report_type == k] for k in kinds} | {"all": reports}
    rows = [
        count_row(month, "reports_submitted", len(of[k]), len(reports), report_type=k)
        for k in [*kinds, "all"]
    ]
    for k in [*kinds, "all"]:
        triaged = [r.triage_us for r in of[k] if r.triage_us is not None]
        rows.append(
            seconds_row(
                month, "report_average_triage_seconds", sum(triaged), len(triaged), report_type=k
            )
        )
    contacts = Counter()
    for call in log.calls:
        if month_of(call.legs[0].queued) == month:
            contacts[call.legs[0].channel] += 1
    contacts["chat"] = sum(month_of(c.requested) == month for c in log.chats)
    contacts["online"] = len(reports)
    total = sum(contacts.values())
    for channel in ("999", "101", "chat", "online"):
        rows.append(percent_row(month, "channel_share", contacts[channel], total, channel=channel))
    return rows


def _incident_rows(log: data.Log, month: str, partitions: int) -> list[dict]:
    stream = incident_partition_stream_times(log, partitions)
    facts = []
    for inc in log.incidents:
        if month_of(inc.created) != month:
            continue
        partition = (murmur2(inc.incident_id.encode()) & 0x7FFFFFFF) % partitions
        response, target_us = inc.response_and_target_us()
        timed = inc.after_us if inc.outcome == "attended" else None
        facts.append(
            {
                "policy": inc.policy,
                "grade": inc.grade,
                "response": response,
                "scored": target_us is not None,
                "category": inc.category,
                "score": incident_score(inc, stream[partition]),
                "attended": inc.outcome in ("attended", "closed_attended"),
                "timed": timed,
            }
        )
    policies = {"2026-10": ["essex", "npcc"], "2026-11": ["npcc"]}.get(month, ["essex"])
    rows = []

    def scores(chosen: list[dict]) -> tuple[int, int]:
        met = sum(f["score"] == "met" for f in chosen)
        return met, met + sum(f["score"] == "not_met" for f in chosen)

    for policy in policies:
        mine = [f for f in facts if f["policy"] == policy]
        for group in GROUPS:
            grouped = [f for f in mine if in_group(f["category"], group)]
            for response in data.POLICY_RESPONSES[policy]:
                met, total = scores([f for f in grouped if f["response"] == response])
                rows.append(
                    percent_row(
                        month,
                        "incident_target_met",
                        met,
                        total,
                        policy=policy,
                        response=response,
                        category=group,
                    )
                )
            for grade in SCORED_GRADES:
                met, total = scores([f for f in grouped if f["grade"] == grade])
                rows.append(
                    percent_row(
                        month,
                        "incident_target_met",
                        met,
                        total,
                        policy=policy,
                        grade=grade,
                        category=group,
                    )
                )
    for group in GROUPS:
        grouped = [f for f in facts if in_group(f["category"], group)]
        attended = sum(f["attended"] for f in grouped)
        rows.append(
            percent_row(month, "incident_attendance_rate", attended, len(grouped), category=group)
        )
    for policy in policies:
        for group in GROUPS:
            for response in ALL_RESPONSES[policy]:
                times = [
                    f["timed"]
                    for f in facts
                    if f["policy"] == policy
                    and f["response"] == response
                    and in_group(f["category"], group)
                    and f["timed"] is not None
                ]
                rows.append(
                    seconds_row(
                        month,
                        "incident_average_attendance_seconds",
                        sum(times),
                        len(times),
                        policy=policy,
                        response=response,
                        category=group,
                    )
                )
    for policy in policies:
        mine = [f for f in facts if f["policy"] == policy]
        for grade in (5, 6):
            n = sum(f["grade"] == grade for f in mine)
            rows.append(
                count_row(month, "incidents_not_scored", n, len(mine), policy=policy, grade=grade)
            )
    for policy in policies:
        for response in data.POLICY_RESPONSES[policy]:
            mine = [f for f in facts if f["policy"] == policy and f["response"] == response]
            met, total = scores(mine)
            rows.append(
                count_row(
                    month,
                    "incidents_downgraded_after_breach",
                    0,
                    total - met,
                    policy=policy,
                    response=response,
                )
            )
    burglaries = [f for f in facts if f["category"] == "residential_burglary"]
    within = sum(f["timed"] is not None and f["timed"] <= 3600 * US for f in burglaries)
    rows.append(
        percent_row(
            month,
            "residential_burglary_attended_within_60m",
            within,
            len(burglaries),
            category="residential_burglary",
        )
    )
    return rows


def expected_kpis(log: data.Log, partitions: int = 6, months: list[str] = MONTHS) -> list[dict]:
    rows = []
    for month in months:
        rows += _call_rows(log, month)
        rows += _callback_rows(log, month)
        rows += _chat_rows(log, month)
        rows += _online_rows(log, month)
        rows += _incident_rows(log, month, partitions)
    return rows


def read_kpis(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


# --- the comparison ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def kpis(log: data.Log, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    pack = data.pack_of(log)
    out = tmp_path_factory.mktemp("csv")
    write_monthly_csv(pack, out)
    return read_kpis(out / "kpis.csv")


def test_every_kpi_row_matches_the_lifecycles(kpis: list[dict], log: data.Log) -> None:
    want = expected_kpis(log)
    assert [(r["month"], r["measure"]) for r in kpis] == [(r["month"], r["measure"]) for r in want]
    for got_row, want_row in zip(kpis, want, strict=True):
        assert got_row == want_row


def test_every_measure_is_there(kpis: list[dict]) -> None:
    documented = (Path(data.REPO) / "docs/exports.md").read_text()
    measures = list(dict.fromkeys(r["measure"] for r in kpis))
    assert measures == [
        "call_service_level",
        "call_abandonment",
        "call_asa_seconds",
        "call_longest_wait_seconds",
        "call_combined_wait_seconds",
        "call_short_abandoned",
        "home_office_999_under_10s",
        "home_office_999_10s_to_60s",
        "home_office_999_60s_or_more",
        "home_office_999_average_answer_seconds",
        "callbacks_owed",
        "callback_first_attempt_within_target",
        "callback_resolved_within_target",
        "callback_average_first_attempt_seconds",
        "callbacks_resolved_reached",
        "callbacks_resolved_recontacted",
        "callbacks_resolved_referred",
        "callbacks_unresolved",
        "chat_service_level",
        "chat_abandonment",
        "chat_average_wait_seconds",
        "chats_requested_while_closed",
        "reports_submitted",
        "report_average_triage_seconds",
        "channel_share",
        "incident_target_met",
        "incident_attendance_rate",
        "incident_average_attendance_seconds",
        "incidents_not_scored",
        "incidents_downgraded_after_breach",
        "residential_burglary_attended_within_60m",
    ]
    for measure in measures:
        assert f"`{measure}`" in documented, measure


def test_the_log_exercises_the_new_measures(kpis: list[dict]) -> None:
    # Not vacuous: bands, burglaries within the hour, and grades without a target occur.
    march = {(r["measure"], r["channel"], r["grade"], r["policy"]): r for r in kpis if r[
        "month"] == "2026-03"}  # fmt: skip
    for band in ("under_10s", "10s_to_60s", "60s_or_more"):
        assert int(march[(f"home_office_999_{band}", "999", "", "")]["numerator"]) > 0
    burglary = march[("residential_burglary_attended_within_60m", "", "", "")]
    assert 0 < int(burglary["numerator"]) < int(burglary["denominator"])
    assert int(march[("incidents_not_scored", "", "5", "essex")]["numerator"]) > 0


# --- scenarios ---------------------------------------------------------------------------

T0 = data.datetime(2026, 3, 10, 10, tzinfo=data.UTC)


def at(seconds: float) -> str:
    return (T0 + data.timedelta(seconds=seconds)).isoformat()


def kpis_of(bodies: list[dict], targets=TARGETS, month: tuple[int, int] = (2026, 3)) -> list[dict]:
    run = run_lines(enumerate((raw(b) for b in bodies), 1), targets)
    pack = monthly_pack(run.states.values(), targets, month, month)
    return _rows(pack)


def _rows(pack) -> list[dict]:
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        write_monthly_csv(pack, Path(out))
        return read_kpis(Path(out) / "kpis.csv")


def find(rows: list[dict], measure: str, **dims: str) -> dict:
    found = [r for r in rows if r["measure"] == measure and all(r[k] == v for k, v in dims.items())]
    assert len(found) == 1, (measure, dims, found)
    return found[0]


def burglaries(attended_within: int, total: int) -> list[dict]:
    bodies = []
    for i in range(total):
        ids = {"incident_id": f"rb-{i}"}
        created = event(
            "incident.created", at(i), grade=3, area="urban", category="residential_burglary", **ids
        )
        after = 3600 if i < attended_within else 3601
        bodies += [created, event("incident.attended", at(i + after), **ids)]
    return bodies


@pytest.mark.parametrize(
    ("within", "total", "value"),
    [(13, 16, "81.3"), (11, 16, "68.8"), (1, 16, "6.3"), (1, 3, "33.3"), (16, 16, "100.0")],
)
def test_an_exact_half_rounds_up(within: int, total: int, value: str) -> None:
    # 13 / 16 = 81.25 %: the panel prints 81.3 (a float round would give 81.2).
    rows = kpis_of(burglaries(within, total))
    got = find(rows, "residential_burglary_attended_within_60m")
    assert (got["numerator"], got["denominator"], got["value"]) == (str(within), str(total), value)
    # Attended at exactly 60 min is within; a second later is not (priority target: 60 min).
    met = find(rows, "incident_target_met", policy="essex", response="priority", category="all")
    assert (met["numerator"], met["denominator"]) == (str(within), str(total))


def answered_999(waits: tuple[float, ...]) -> list[dict]:
    bodies = []
    for i, wait in enumerate(waits):
        ids = {"call_id": f"c-{i}", "queue": "fcr"}
        bodies += [
            event("call.queued", at(100 * i), channel="999", **ids),
            event("call.answered", at(100 * i + wait), **ids),
            event("call.ended", at(100 * i + 90), call_id=f"c-{i}"),
        ]
    return bodies


@pytest.mark.parametrize(
    ("waits", "numerator", "value"),
    [
        ((0.25,), "0.25", "0.3"),  # float round(0.25, 1) gives 0.2
        ((0.1, 0.4), "0.5", "0.3"),  # mean 0.25
        ((2.5, 0), "2.5", "1.3"),  # mean 1.25
        ((0.24, 0.01), "0.25", "0.1"),  # mean 0.125
        ((0.000001, 0, 0), "0.000001", "0.0"),
    ],
)
def test_an_average_on_an_exact_half_rounds_up(
    waits: tuple[float, ...], numerator: str, value: str
) -> None:
    rows = kpis_of(answered_999(waits))
    for measure in ("call_asa_seconds", "home_office_999_average_answer_seconds"):
        got = find(rows, measure, channel="999", queue="fcr")
        assert (got["numerator"], got["denominator"], got["value"]) == (
            numerator,
            str(len(waits)),
            value,
        )


def test_a_downgrade_after_the_deadline_is_counted_under_the_grade_it_missed() -> None:
    def incident(n: str, regrade_after_s: int, to: int, attended_after_s: int) -> list[dict]:
        ids = {"incident_id": n}
        return [
            event("incident.created", at(0), grade=1, area="urban", category="robbery", **ids),
            event("incident.regraded", at(regrade_after_s), grade=to, **ids),
            event("incident.attended", at(attended_after_s), **ids),
        ]

    bodies = (
        incident("late-down", 16 * 60, 3, 30 * 60)  # missed 15 min, then downgraded: counted
        + incident("early-down", 10 * 60, 3, 30 * 60)  # downgraded in time: met as priority
        + incident("late-up", 16 * 60, 1, 30 * 60)  # regraded to the same grade: not a downgrade
    )
    rows = kpis_of(bodies)
    down = find(rows, "incidents_downgraded_after_breach", policy="essex", response="emergency")
    assert (down["numerator"], down["denominator"], down["value"]) == ("1", "2", "1")
    priority = find(rows, "incidents_downgraded_after_breach", policy="essex", response="priority")
    assert (priority["numerator"], priority["denominator"]) == ("0", "0")
    grade1 = find(rows, "incident_target_met", policy="essex", grade="1", category="robbery")
    assert (grade1["numerator"], grade1["denominator"], grade1["value"]) == ("0", "2", "0.0")
    grade3 = find(rows, "incident_target_met", policy="essex", grade="3", category="robbery")
    assert (grade3["numerator"], grade3["denominator"], grade3["value"]) == ("1", "1", "100.0")
    rate = find(rows, "incident_attendance_rate", category="high_harm")
    assert (rate["numerator"], rate["denominator"], rate["value"]) == ("3", "3", "100.0")


def test_short_abandons_are_counted_out_of_the_legs_offered() -> None:
    targets = targets_with(short_abandon_seconds=5)
    bodies = []
    for i, (outcome, wait) in enumerate((("abandoned", 3), ("abandoned", 7), ("answered", 2))):
        ids = {"call_id": f"c-{i}", "queue": "fcr"}
        bodies += [
            event("call.queued", at(100 * i), channel="999", **ids),
            event(f"call.{outcome}", at(100 * i + wait), **ids),
            event("call.ended", at(100 * i + 60), call_id=f"c-{i}"),
        ]
    rows = kpis_of(bodies, targets)
    short = find(rows, "call_short_abandoned", channel="999", queue="fcr")
    assert (short["numerator"], short["denominator"], short["value"]) == ("1", "3", "1")
    abandonment = find(rows, "call_abandonment", channel="999", queue="fcr")
    assert (abandonment["numerator"], abandonment["denominator"]) == ("1", "2")
    longest = find(rows, "call_longest_wait_seconds", channel="999", queue="fcr")
    assert (longest["numerator"], longest["denominator"], longest["value"]) == ("7", "1", "7.0")


def test_a_wait_taken_back_leaves_the_longest_exact() -> None:
    # The call's end arrives before its answer: the leg first looks abandoned after 500 s,
    # then the answer at 20 s replaces it.
    ids = {"call_id": "c-1", "queue": "fcr"}
    bodies = [
        event("call.queued", at(0), channel="999", **ids),
        event("call.ended", at(500), call_id="c-1"),
        event("call.answered", at(20), **ids),
        event("call.queued", at(1000), channel="999", call_id="c-2", queue="fcr"),
        event("call.answered", at(1012.5), call_id="c-2", queue="fcr"),
        event("call.ended", at(1100), call_id="c-2"),
    ]
    rows = kpis_of(bodies)
    longest = find(rows, "call_longest_wait_seconds", channel="999", queue="fcr")
    assert (longest["numerator"], longest["value"]) == ("20", "20.0")
    combined = find(rows, "call_combined_wait_seconds", channel="999")
    assert (combined["numerator"], combined["denominator"], combined["value"]) == (
        "32.5",
        "2",
        "16.3",
    )
    bands = [
        find(rows, f"home_office_999_{band}", channel="999", queue="fcr")["numerator"]
        for band in ("under_10s", "10s_to_60s", "60s_or_more")
    ]
    assert bands == ["0", "2", "0"]


def test_a_closed_month_keeps_its_longest_wait_and_restores_from_older_checkpoints() -> None:
    ids = {"call_id": "c-1", "queue": "switchboard"}
    bodies = [
        event("call.queued", at(0), channel="101", **ids),
        event("call.answered", at(42), **ids),
        event("call.ended", at(300), call_id="c-1"),
    ]
    state = PartitionState(Family.CALLS, TARGETS, TimeRules())
    for offset, body in enumerate(bodies):
        state.process(raw(body), offset, wall_us=0)
    # Two months on: March is closed and folded.
    later = event("call.queued", "2026-05-20T10:00:00+00:00", channel="101", call_id="c-2")
    state.process(raw(later | {"queue": "switchboard"}), 3, wall_us=0)
    state.ledger.sweep(state.clock.stream_us)
    (by_day,) = [
        by for dim, by in state.ledger.tallies[0].day_waits.items() if dim[1] == "switchboard"
    ]
    assert by_day == {data.date(2026, 3, 1).toordinal(): {42 * US: 1}}
    pack = monthly_pack([state], TARGETS, (2026, 3), (2026, 3))
    assert [(r.queue, r.longest_wait_us) for r in pack.longest_waits][:2] == [
        ("fcr", None),
        ("switchboard", 42 * US),
    ]
    # A checkpoint from before months kept their longest wait still restores.
    snapshot = json.loads(zlib.decompress(state.snapshot()))
    for tally in snapshot["ledger"]["tallies"]:
        tally.pop("day_waits")
    old = PartitionState.restore(zlib.compress(json.dumps(snapshot).encode()), TARGETS, TimeRules())
    assert old.ledger.tallies[0].day_waits == {}
    assert old.offset == state.offset


def test_kpis_are_those_of_the_lifecycles_whatever_the_arrival_order(log: data.Log) -> None:
    # One partition per family, so every lifecycle of a family meets in one state, and
    # each event arrives up to 55 minutes after it occurred: the lifecycles interleave
    # differently and events arrive before those that occurred earlier.
    lines = data.rearrived(log, seed=3)
    assert sorted(lines) == sorted(log.lines) and lines != log.lines
    run = run_lines(enumerate(lines, 1), data.targets(), partitions=1)
    assert len(run.states) == 4
    pack = monthly_pack(run.states.values(), data.targets(), (2026, 3), (2026, 11))
    assert _rows(pack) == expected_kpis(log, partitions=1)
