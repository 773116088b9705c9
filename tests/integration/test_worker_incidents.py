"""Incidents through the real worker on the real broker.

A crafted pair of days around the October change is scored exactly by hand, once
under the Essex policy throughout and once with the NPCC grades made effective
from the change day by configuration; and an emergency left unattended on a quiet
night shows as breached on /metrics within seconds of its deadline.
"""

import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from kafka.partitioner.default import murmur2

from streams.settings import Settings
from tests.events import event
from tests.integration.worker import WorkerProcess, replay
from tests.scenario import REPO

pytestmark = pytest.mark.integration

PARTITIONS = 3  # as the kafka_settings fixture creates the topics
LONDON = ZoneInfo("Europe/London")
D1 = date(2025, 10, 26)
RESPONSES = {
    "essex": {
        1: "emergency",
        2: "emergency",
        3: "priority",
        4: "routine",
        5: "resolution_without_deployment",
        6: "appointment",
    },
    "npcc": {
        1: "emergency",
        2: "urgent",
        3: "priority",
        4: "scheduled",
        5: "resolution_without_deployment",
        6: "appointment",
    },
}


def created(inc: str, when: str, grade: int, area: str, category: str) -> dict:
    return event(
        "incident.created",
        occurred_at=when,
        incident_id=inc,
        grade=grade,
        area=area,
        category=category,
        source="storm",
    )


def later(kind: str, inc: str, when: str, **fields) -> dict:
    return event(f"incident.{kind}", occurred_at=when, incident_id=inc, source="storm", **fields)


def ids_on_every_partition(prefix: str) -> list[str]:
    """One incident id per partition, as the producer's default partitioner places keys."""
    found: dict[int, str] = {}
    n = 0
    while len(found) < PARTITIONS:
        candidate = f"{prefix}{n}"
        found.setdefault((murmur2(candidate.encode()) & 0x7FFFFFFF) % PARTITIONS, candidate)
        n += 1
    return [found[p] for p in range(PARTITIONS)]


M, X, N = "met", "missed", "not_scored"

# Each crafted incident: (id, grade, area, category), events, and by hand:
# (Essex outcome, grade it counts under), (NPCC outcome, grade), and flags.
# D0 is 2025-10-25 (London, BST); D1 is 2025-10-26, the 25-hour day: 01:00-02:00
# London happens twice (first +01:00, then +00:00). Every instant below is exact.
CRAFTED = [
    # On the 25th: Essex in both runs.
    (("e1", 1, "urban", "robbery"), [("attended", "2025-10-25T22:28:00+00:00")],
     "2025-10-25T22:10:00+00:00", (X, 1), None, {}),  # 18 min: over 15
    (("e2", 3, "urban", "other"), [("attended", "2025-10-25T22:50:00+00:00")],
     "2025-10-25T22:20:00+00:00", (M, 3), None, {}),
    # On the 26th: Essex in run one, NPCC in run two.
    (("n1", 1, "urban", "robbery"), [("attended", "2025-10-26T00:25:00+01:00")],
     "2025-10-26T00:10:00+01:00", (M, 1), (M, 1), {}),  # at the deadline exactly
    (("n2", 1, "urban", "rape"), [("attended", "2025-10-26T00:35:01+01:00")],
     "2025-10-26T00:20:00+01:00", (X, 1), (M, 1), {}),  # one second late
    (("n3", 2, "rural", "sexual_offence"), [("attended", "2025-10-26T00:50:00+01:00")],
     "2025-10-26T00:30:00+01:00", (M, 2), (M, 2), {}),  # rural: 20 min
    (("n4", 1, "urban", "violence_with_injury"), [],
     "2025-10-26T01:30:00+01:00", (X, 1), (X, 1), {}),  # first 01:30, never attended
    (("n5", 1, "rural", "other"), [("attended", "2025-10-26T01:49:00+00:00")],
     "2025-10-26T01:30:00+00:00", (M, 1), (M, 1), {}),  # second 01:30, 19 min
    # Across the change: 15 min 1 s after 01:50 BST is 01:05:01 GMT (wall-clock
    # arithmetic would put the deadline at 02:05 GMT, 75 real minutes on).
    (("n14", 1, "urban", "robbery"), [("attended", "2025-10-26T01:05:01+00:00")],
     "2025-10-26T01:50:00+01:00", (X, 1), (M, 1), {}),
    (("n15", 1, "urban", "other"), [("attended", "2025-10-26T01:10:00+00:00")],
     "2025-10-26T01:55:00+01:00", (M, 1), (M, 1), {}),  # 15 real minutes exactly
    (("n6", 3, "urban", "residential_burglary"),
     [("regraded", "2025-10-26T03:05:00+00:00", 1), ("attended", "2025-10-26T03:14:00+00:00")],
     "2025-10-26T03:00:00+00:00", (M, 1), (M, 1), {"burglary": M}),  # upgraded, in time
    (("n7", 1, "urban", "other"),
     [("regraded", "2025-10-26T04:17:00+00:00", 3), ("attended", "2025-10-26T04:40:00+00:00")],
     "2025-10-26T04:00:00+00:00", (X, 1), (M, 3), {"downgraded": "essex"}),
    (("n8", 5, "urban", "other"), [("closed", "2025-10-26T06:00:00+00:00", False)],
     "2025-10-26T05:00:00+00:00", (N, 5), (N, 5), {"closed_unattended": True}),
    (("n9", 6, "rural", "other"), [("attended", "2025-10-26T07:10:00+00:00")],
     "2025-10-26T05:10:00+00:00", (N, 6), (N, 6), {}),
    (("n10", 4, "urban", "residential_burglary"), [("attended", "2025-10-26T07:10:00+00:00")],
     "2025-10-26T06:00:00+00:00", (M, 4), (M, 4), {"burglary": X}),  # 70 min
    (("n11", 3, "urban", "robbery"), [("attended", "2025-10-26T09:30:00+00:00")],
     "2025-10-26T08:00:00+00:00", (X, 3), (M, 3), {}),  # 90 min: NPCC priority is 8 h
    (("n12", 2, "urban", "robbery"), [("attended", "2025-10-26T10:50:00+00:00")],
     "2025-10-26T10:00:00+00:00", (X, 2), (M, 2), {}),  # 50 min: NPCC urgent is 60
    (("n13", 3, "rural", "other"),
     [("closed", "2025-10-26T12:40:00+00:00", True)],
     "2025-10-26T12:00:00+00:00", (M, 3), (M, 3), {"untimed": True}),  # closed as attended
]  # fmt: skip
TICK_AT = "2025-10-26T22:00:00+00:00"


def crafted_events() -> tuple[list[dict], list[dict]]:
    """(events in the order sent, the ticks that bring every partition to 22:00)."""
    timed: list[tuple[str, dict]] = []
    for (inc, grade, area, category), steps, created_at, *_ in CRAFTED:
        timed.append((created_at, created(inc, created_at, grade, area, category)))
        for kind, when, *extra in steps:
            fields = {}
            if kind == "regraded":
                fields["grade"] = extra[0]
            if kind == "closed":
                fields["attended"] = extra[0]
            timed.append((when, later(kind, inc, when, **fields)))
    ordered = [e for _, e in sorted(timed, key=lambda t: datetime.fromisoformat(t[0]))]
    # n5's attendance is sent before its creation: held and matched.
    n5_created = next(i for i, e in enumerate(ordered) if e.get("incident_id") == "n5")
    n5_attended = ordered.pop(next(i for i, e in enumerate(ordered) if _is(e, "n5", "attended")))
    ordered.insert(n5_created, n5_attended)
    # A producer retry of n1's creation, after its attendance: a duplicate, changes nothing.
    n1_attended = next(i for i, e in enumerate(ordered) if _is(e, "n1", "attended"))
    ordered.insert(n1_attended + 1, next(e for e in ordered if _is(e, "n1", "created")))
    ticks = [created(i, TICK_AT, 5, "urban", "other") for i in ids_on_every_partition("tick-")]
    return ordered + ticks, ticks


def _is(body: dict, inc: str, kind: str) -> bool:
    return body.get("incident_id") == inc and body["event_type"] == f"incident.{kind}"


def expected_series(npcc_from_26th: bool) -> dict[str, Counter]:
    """Every non-zero windowed incident series, from the hand-worked table."""
    series: dict[str, Counter] = {}

    def add(name: str, key: tuple, n: float = 1) -> None:
        series.setdefault(name, Counter())[key] += n

    rows = [*CRAFTED, *((("tick", 5, "urban", "other"), [], TICK_AT, (N, 5), (N, 5), {}),) * 3]
    for (_, _, area, category), steps, created_at, essex, npcc, flags in rows:
        on_26th = datetime.fromisoformat(created_at).astimezone(LONDON).date() == D1
        policy = "npcc" if (npcc_from_26th and on_26th and npcc) else "essex"
        outcome, grade = npcc if policy == "npcc" else essex
        windows = ["24h", "today"] if on_26th else ["24h"]
        attended_at = next((s[1] for s in steps if s[0] == "attended"), None)
        for window in windows:
            key = (policy, str(grade), RESPONSES[policy][grade], area, category, window)
            add("ccm_incidents_created", key)
            if outcome == M:
                add("ccm_incidents_met", key)
            if outcome == X:
                add("ccm_incidents_missed", key)
            if attended_at or flags.get("untimed"):
                add("ccm_incidents_attended", key)
            if attended_at:
                seconds = (
                    datetime.fromisoformat(attended_at) - datetime.fromisoformat(created_at)
                ).total_seconds()
                if window == "24h":
                    add("histogram_count", key[:4])
                    add("histogram_sum", key[:4], seconds)
                    for le in BUCKETS_CHECKED:
                        add(f"histogram_le_{le}", key[:4], int(seconds <= le))
                add("ccm_incidents_attendance_timed", key)
                add("ccm_incidents_attendance_time_seconds", key, seconds)
            if flags.get("closed_unattended"):
                add("ccm_incidents_closed_unattended", key)
            if flags.get("downgraded") == policy:
                add("ccm_incidents_downgraded_after_breach", key)
            if "burglary" in flags:
                met = flags["burglary"] == M
                add(f"ccm_incidents_category_target_{'met' if met else 'missed'}", key)
    return series


BUCKETS_CHECKED = (900, 1200, 3600)  # the emergency and priority targets, in seconds

WINDOWED = (
    "ccm_incidents_created",
    "ccm_incidents_met",
    "ccm_incidents_missed",
    "ccm_incidents_attended",
    "ccm_incidents_attendance_timed",
    "ccm_incidents_attendance_time_seconds",
    "ccm_incidents_closed_unattended",
    "ccm_incidents_downgraded_after_breach",
    "ccm_incidents_category_target_met",
    "ccm_incidents_category_target_missed",
)
LABELS = ("policy", "grade", "response", "area", "category", "window")


def observed_series(worker: WorkerProcess) -> dict[str, Counter]:
    samples = worker.samples()
    found: dict[str, Counter] = {}
    for name in WINDOWED:  # histograms are compared on their own
        for labels, value in samples.get(name, {}).items():
            named = dict(labels)
            if value and named["window"] in ("24h", "today"):
                found.setdefault(name, Counter())[tuple(named[k] for k in LABELS)] += value
    return found


def run_crafted(settings: Settings, worker: WorkerProcess, tmp_path: Path, npcc: bool) -> None:
    targets = yaml.safe_load((REPO / "deploy/config/targets.yaml").read_text())
    if npcc:
        policy = next(p for p in targets["incident_grading"] if p["id"] == "npcc")
        policy["effective_from"] = date(2025, 10, 26)
    targets_file = tmp_path / "targets.yaml"
    targets_file.write_text(yaml.safe_dump(targets))
    worker.env["CCM_TARGETS_FILE"] = str(targets_file)
    worker.start()
    events, _ = crafted_events()
    replay(settings, events, tmp_path / "incidents.jsonl")
    worker.wait_for_consumed(len(events))


@pytest.mark.parametrize("npcc", [False, True], ids=["essex-throughout", "npcc-from-the-26th"])
def test_crafted_incidents_give_exact_figures(
    kafka_settings: Settings, worker: WorkerProcess, tmp_path: Path, npcc: bool
) -> None:
    run_crafted(kafka_settings, worker, tmp_path, npcc)
    expected = expected_series(npcc)
    assert observed_series(worker) == {n: c for n, c in expected.items() if n in WINDOWED}
    assert worker.value("ccm_events_duplicate_total", family="incidents") == 1
    assert sum(worker.metric("ccm_events_rejected_total").values()) == 0
    # History: nothing is "awaiting now" for anyone to act on.
    assert sum(worker.metric("ccm_incidents_breached_unattended").values()) == 0
    assert worker.value("ccm_partitions_live", family="incidents") == 0

    # Attendance-time histogram over all time, by the grade each counts under.
    count = worker.metric("ccm_incident_attendance_seconds_count")
    total = worker.metric("ccm_incident_attendance_seconds_sum")
    hist_labels = ("policy", "grade", "response", "area")
    got_count = {tuple(dict(k)[n] for n in hist_labels): v for k, v in count.items() if v}
    got_sum = {tuple(dict(k)[n] for n in hist_labels): v for k, v in total.items() if v}
    assert got_count == dict(expected["histogram_count"])
    assert got_sum == dict(expected["histogram_sum"])
    buckets = worker.metric("ccm_incident_attendance_seconds_bucket")
    for le in BUCKETS_CHECKED:
        got = {
            tuple(dict(k)[n] for n in hist_labels): v
            for k, v in buckets.items()
            if dict(k)["le"] == f"{le:.1f}" and v
        }
        want = {k: v for k, v in expected[f"histogram_le_{le}"].items() if v}
        assert got == want, le
    policy_today = "npcc" if npcc else "essex"
    assert worker.value("ccm_incident_grading_policy_info", policy=policy_today) == 1


def test_breach_shows_within_5_seconds_of_its_deadline_with_no_further_input(
    kafka_settings: Settings, worker: WorkerProcess, tmp_path: Path
) -> None:
    worker.start()
    now = datetime.now(UTC)
    deadline = now + timedelta(seconds=30)  # time to send and apply them first
    events = [
        # Emergency, urban: 15 minutes; created so that its deadline is 20 s from now.
        created("night-1", (deadline - timedelta(minutes=15)).isoformat(), 1, "urban", "robbery"),
        # Priority created 50 minutes ago: 83 % of its hour gone, about to breach.
        created("night-2", (now - timedelta(minutes=50)).isoformat(), 3, "urban", "other"),
        created("night-3", (now - timedelta(minutes=5)).isoformat(), 5, "rural", "other"),
    ]
    replay(kafka_settings, events, tmp_path / "night.jsonl")
    worker.wait_for_consumed(len(events))

    def gauge(name: str, grade: str, response: str) -> float:
        return worker.value(name, policy="essex", grade=grade, response=response)

    assert gauge("ccm_incidents_awaiting_attendance", "1", "emergency") == 1
    assert gauge("ccm_incidents_awaiting_attendance", "5", "resolution_without_deployment") == 1
    assert gauge("ccm_incidents_about_to_breach", "3", "priority") == 1
    assert datetime.now(UTC) < deadline - timedelta(seconds=2), "too slow to see it before"
    assert gauge("ccm_incidents_breached_unattended", "1", "emergency") == 0

    seen_at = None
    while datetime.now(UTC) < deadline + timedelta(seconds=15):
        if gauge("ccm_incidents_breached_unattended", "1", "emergency") == 1:
            seen_at = datetime.now(UTC)
            break
        time.sleep(0.25)
    assert seen_at is not None, "the breach never showed"
    assert seen_at - deadline <= timedelta(seconds=5)
    assert seen_at >= deadline, "shown before its deadline"
    assert (
        worker.value(
            "ccm_incidents_missed",
            policy="essex",
            grade="1",
            response="emergency",
            area="urban",
            category="robbery",
            window="today",
        )
        == 1
    )
    assert worker.value("ccm_partitions_live", family="incidents") >= 1
