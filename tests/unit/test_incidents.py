"""Incident KPIs through one partition: windows, DST, late and out-of-order events,
duplicates, orphans, policy switches, and the live breach on a quiet night."""

import json
from datetime import date, datetime

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import Family, RejectReason
from streams.core.figures import compute
from streams.core.incidents import IncidentCount
from streams.core.partition import PartitionState
from streams.core.targets import Targets, parse_targets
from streams.core.timebase import HOUR_US, US, TimeRules, minute_of, to_us
from streams.runtime import Message, Runtime
from tests.scenario import REPO, T0, TARGETS, Run, at, ev, named

RESPONSE = {"essex": {1: "emergency", 2: "emergency", 3: "priority", 4: "routine"}}


def targets_npcc_from(day: str) -> Targets:
    data = yaml.safe_load((REPO / "deploy/config/targets.yaml").read_text())
    npcc = next(p for p in data["incident_grading"] if p["id"] == "npcc")
    npcc["effective_from"] = date.fromisoformat(day)
    return parse_targets(data)


def created(inc: str, s: float, grade: int = 1, area: str = "urban", category: str = "other"):
    return ev(
        "incident.created",
        at(T0, s),
        incident_id=inc,
        grade=grade,
        area=area,
        category=category,
        source="storm",
    )


def created_on(inc: str, when: str, grade: int = 1, category: str = "other"):
    return ev(
        "incident.created", when, incident_id=inc, grade=grade, area="urban", category=category
    )


def regraded(inc: str, s: float, grade: int):
    return ev("incident.regraded", at(T0, s), incident_id=inc, grade=grade, source="storm")


def attended(inc: str, s: float):
    return ev("incident.attended", at(T0, s), incident_id=inc, source="storm")


def closed(inc: str, s: float, was_attended: bool | None = None):
    extra = {} if was_attended is None else {"attended": was_attended}
    return ev("incident.closed", at(T0, s), incident_id=inc, source="storm", **extra)


def run(*events: dict, targets: Targets = TARGETS) -> Run:
    return Run(Family.INCIDENTS, targets=targets).send(*events)


def total(r: Run, name: str, window: str = "today", **match: str) -> float:
    """Sum of a windowed incident figure over the series matching the given labels."""
    keys = ("policy", "grade", "response", "area", "category", "window")
    found = 0.0
    for labels, value in r.figures().values[name].items():
        named = dict(zip(keys, labels, strict=True))
        if named["window"] == window and all(named[k] == v for k, v in match.items()):
            found += value
    return found


MIN = 60


def test_met_missed_and_attendance_time_by_grade_and_area() -> None:
    r = run(
        created("a", 0, 1),
        attended("a", 15 * MIN),  # exactly at the deadline: met
        created("b", 10, 1),
        attended("b", 10 + 15 * MIN + 1),  # one second late
        created("c", 20, 2, area="rural"),
        attended("c", 20 + 19 * MIN),
        created("d", 30, 5),  # no target: counted only
        attended("d", 30 + 2 * HOUR_US // US),
    )
    assert total(r, "ccm_incidents_created") == 4
    assert total(r, "ccm_incidents_met", grade="1", area="urban") == 1
    assert total(r, "ccm_incidents_missed", grade="1", area="urban") == 1
    assert total(r, "ccm_incidents_met", grade="2", area="rural", response="emergency") == 1
    assert total(r, "ccm_incidents_met", grade="5") + total(r, "ccm_incidents_missed") == 1
    assert total(r, "ccm_incidents_attended") == 4
    assert total(r, "ccm_incidents_attendance_timed") == 4
    assert total(r, "ccm_incidents_attendance_time_seconds", grade="1") == 900 + 901
    histogram = r.figures().histograms["ccm_incident_attendance_seconds"]
    urban_1 = histogram[("essex", "1", "emergency", "urban")]
    assert urban_1.count == 2
    assert urban_1.buckets[urban_1.bounds_s.index(900)] == 1
    assert urban_1.buckets[urban_1.bounds_s.index(1200)] == 2


def test_breach_is_final_even_if_attended_later_and_downgrades_after_it_are_counted() -> None:
    r = run(
        created("x", 0, 1),
        regraded("x", 20 * MIN, 3),  # downgraded after its 15 minutes had gone
        attended("x", 40 * MIN),  # within the priority hour: still a miss
        created("y", 5, 1),
        regraded("y", 5 + 10 * MIN, 3),  # before its deadline: scored as priority
        attended("y", 5 + 40 * MIN),
    )
    assert total(r, "ccm_incidents_missed", grade="1") == 1
    assert total(r, "ccm_incidents_met", grade="3", response="priority") == 1
    assert total(r, "ccm_incidents_downgraded_after_breach") == 1
    assert total(r, "ccm_incidents_downgraded_after_breach", grade="1") == 1


def test_attendance_rate_and_closures() -> None:
    r = run(
        created("a", 0, 3, category="robbery"),
        closed("a", 30 * MIN),  # closed unattended before its hour: not scored
        created("b", 1, 3, category="robbery"),
        closed("b", 30 * MIN, was_attended=True),  # attended, time unknown, before deadline
        created("c", 2, 3, category="robbery"),
        closed("c", 2 * HOUR_US // US),  # closed unattended after its hour: missed
    )
    assert total(r, "ccm_incidents_created", category="robbery") == 3
    assert total(r, "ccm_incidents_attended", category="robbery") == 1
    assert total(r, "ccm_incidents_closed_unattended", category="robbery") == 2
    assert total(r, "ccm_incidents_met") == 1
    assert total(r, "ccm_incidents_missed") == 1
    assert total(r, "ccm_incidents_attendance_timed") == 0


def test_residential_burglary_hour_whatever_the_grade() -> None:
    r = run(
        created("b1", 0, 4, category="residential_burglary"),
        attended("b1", 59 * MIN),
        created("b2", 1, 4, category="residential_burglary"),
        attended("b2", 1 + 61 * MIN),
    )
    assert total(r, "ccm_incidents_category_target_met", category="residential_burglary") == 1
    assert total(r, "ccm_incidents_category_target_missed", category="residential_burglary") == 1
    assert total(r, "ccm_incidents_met", grade="4", response="routine") == 2


def test_events_before_their_creation_are_held_and_matched() -> None:
    r = run(attended("late", 14 * MIN), regraded("late", 2 * MIN, 1), created("late", 0, 3))
    assert r.dead == []
    assert total(r, "ccm_incidents_met", grade="1") == 1


def test_event_with_no_creation_within_grace_is_an_orphan() -> None:
    r = run(attended("ghost", 0), created("other", 2 * HOUR_US // US, 3))
    assert [d.reason for d in r.dead] == [RejectReason.ORPHAN]
    assert r.state.rejected[RejectReason.ORPHAN] == 1


def test_duplicate_changes_nothing_and_a_second_attendance_is_a_conflict() -> None:
    first = created("a", 0, 1)
    visit = attended("a", 60)
    r = run(first, visit, first, visit, attended("a", 90))
    assert r.state.duplicates == 2
    assert [d.reason for d in r.dead] == [RejectReason.CONFLICT]
    assert total(r, "ccm_incidents_met") == 1


def test_created_in_the_repeated_hour_of_the_october_change() -> None:
    # 01:30 BST then 01:30 GMT, an hour apart; 14 real minutes each to attend.
    r = run(
        created_on("first", "2025-10-26T01:30:00+01:00", 1, "robbery"),
        ev("incident.attended", "2025-10-26T01:44:00+01:00", incident_id="first"),
        created_on("second", "2025-10-26T01:50:00+00:00", 1, "robbery"),  # 01:50 GMT
        ev("incident.attended", "2025-10-26T02:04:00+00:00", incident_id="second"),
        created_on("tick", "2025-10-26T23:00:00+00:00", 5, "other"),
    )
    assert total(r, "ccm_incidents_met", window="today", category="robbery") == 2
    assert total(r, "ccm_incidents_created", window="today") == 3
    assert total(r, "ccm_incidents_attendance_time_seconds", category="robbery") == 2 * 14 * 60


@pytest.mark.parametrize(
    ("attended_at", "met"),
    [
        ("2025-10-26T01:04:59+00:00", True),  # 14 min 59 s after 01:50 BST
        ("2025-10-26T01:05:00+00:00", True),  # 15 real minutes: the deadline itself
        ("2025-10-26T01:05:01+00:00", False),
        # In wall-clock arithmetic the deadline would be 02:05 GMT, 75 real minutes on.
        ("2025-10-26T02:04:00+00:00", False),
    ],
)
def test_a_15_minute_target_across_the_october_change_is_15_real_minutes(
    attended_at: str, met: bool
) -> None:
    r = run(
        created_on("across", "2025-10-26T01:50:00+01:00", 1, "robbery"),
        ev("incident.attended", attended_at, incident_id="across"),
    )
    assert total(r, "ccm_incidents_met", window="today") == int(met)
    assert total(r, "ccm_incidents_missed", window="today") == int(not met)


def test_policy_switch_mid_stream_scores_each_incident_by_its_creation_day() -> None:
    targets = targets_npcc_from("2026-03-11")
    # Both emergencies attended after 18 minutes: Essex misses (15), NPCC meets (20).
    r = run(
        created_on("before", "2026-03-10T23:50:00+00:00", 1, "other"),
        ev("incident.attended", "2026-03-11T00:08:00+00:00", incident_id="before"),
        created_on("after", "2026-03-11T00:10:00+00:00", 1, "other"),
        ev("incident.attended", "2026-03-11T00:28:00+00:00", incident_id="after"),
        targets=targets,
    )
    assert total(r, "ccm_incidents_missed", window="24h", policy="essex") == 1
    assert total(r, "ccm_incidents_met", window="24h", policy="npcc") == 1
    assert total(r, "ccm_incidents_met", window="24h", policy="essex") == 0
    # The policy in force today is NPCC: its targets are the series shown.
    values = compute([r.state], targets, to_us(datetime.fromisoformat("2026-03-11T12:00+00:00")))
    targets_shown = values.values["ccm_incident_attendance_target_seconds"]
    assert targets_shown[("npcc", "1", "emergency", "urban")] == 1200
    assert ("essex", "1", "emergency", "urban") not in targets_shown


def quiet_night(created_at_us: int, grade: int = 1) -> PartitionState:
    """A live partition: the incident arrives as it happens, then nothing more."""
    state = PartitionState(Family.INCIDENTS, TARGETS, TimeRules())
    body = ev(
        "incident.created",
        datetime.fromtimestamp(created_at_us / US).astimezone().isoformat(),
        incident_id="q",
        grade=grade,
        area="urban",
        category="robbery",
    )
    state.process(json.dumps(body).encode(), 0, wall_us=created_at_us + 2 * US)
    return state


GAUGE = ("essex", "1", "emergency")


@pytest.mark.parametrize(
    ("elapsed_s", "awaiting", "about", "breached", "missed_today"),
    [
        (60, 1, 0, 0, 0),
        (12 * 60 - 1, 1, 0, 0, 0),
        (12 * 60, 1, 1, 0, 0),
        (15 * 60, 1, 1, 0, 0),
        (15 * 60 + 1, 1, 0, 1, 1),
        (3 * 3600, 1, 0, 1, 1),
    ],
)
def test_quiet_night_breach_follows_the_wall_clock(
    elapsed_s, awaiting, about, breached, missed_today
) -> None:
    created_at = to_us(datetime.fromisoformat("2026-01-14T02:00:00+00:00"))
    state = quiet_night(created_at)
    figures = compute([state], TARGETS, wall_us=created_at + elapsed_s * US)
    values = figures.values
    assert values["ccm_incidents_awaiting_attendance"][GAUGE] == awaiting
    assert values["ccm_incidents_about_to_breach"][GAUGE] == about
    assert values["ccm_incidents_breached_unattended"][GAUGE] == breached
    key = ("essex", "1", "emergency", "urban", "robbery", "today")
    assert values["ccm_incidents_missed"][key] == missed_today


def test_replay_of_history_raises_no_live_breach() -> None:
    created_at = to_us(datetime.fromisoformat("2025-01-14T02:00:00+00:00"))
    state = PartitionState(Family.INCIDENTS, TARGETS, TimeRules())
    body = created("old", 0)
    body["occurred_at"] = "2025-01-14T02:00:00+00:00"
    # Read a year later: the stream is history, so "now" stays at its newest event.
    state.process(json.dumps(body).encode(), 0, wall_us=created_at + 365 * 24 * HOUR_US)
    figures = compute([state], TARGETS, wall_us=created_at + 365 * 24 * HOUR_US)
    assert figures.values["ccm_incidents_breached_unattended"][GAUGE] == 0
    assert figures.values["ccm_incidents_awaiting_attendance"][GAUGE] == 0
    assert figures.values["ccm_partitions_live"][("incidents",)] == 0


def test_incident_never_closed_is_scored_for_good_after_30_days() -> None:
    r = run(created("lost", 0, 3))
    later = created("next", 31 * 24 * HOUR_US // US, 5)
    r.send(later)
    assert "lost" not in r.state.ledger.lifecycles
    assert total(r, "ccm_incidents_missed", window="24h") == 0  # outside the window now
    # March is closed by now: its days are folded into one row, read as the month.
    by_day = r.state.ledger.tallies[0].days[("essex", 3, "urban", "other")]
    march = [d for d in by_day if date.fromordinal(d).month == 3]
    assert march == [date(2026, 3, 1).toordinal()]
    month = named(IncidentCount, by_day[march[0]])
    assert {"created": month["created"], "missed": month["missed"]} == {"created": 1, "missed": 1}


@st.composite
def incidents(draw: st.DrawFn) -> list[dict]:
    events: list[dict] = []
    for n in range(draw(st.integers(1, 8))):
        inc = f"i{n}"
        start = draw(st.integers(0, 300))
        events.append(
            created(
                inc,
                start,
                draw(st.integers(1, 6)),
                draw(st.sampled_from(["urban", "rural"])),
                draw(st.sampled_from(["other", "robbery", "residential_burglary"])),
            )
        )
        for _ in range(draw(st.integers(0, 2))):
            events.append(
                regraded(inc, start + draw(st.integers(1, 40)) * MIN, draw(st.integers(1, 6)))
            )
        if draw(st.booleans()):
            events.append(attended(inc, start + draw(st.integers(0, 45)) * MIN))
        if draw(st.booleans()):
            events.append(closed(inc, start + 50 * MIN, draw(st.sampled_from([None, True, False]))))
    return events


def incident_figures(r: Run) -> dict:
    return {
        name: dict(series)
        for name, series in r.figures().values.items()
        if name.startswith("ccm_incident")
    }


@settings(max_examples=100, deadline=None)
@given(incidents(), st.data())
def test_any_arrival_order_with_duplicates_gives_the_same_incident_figures(events, data) -> None:
    shuffled = data.draw(st.permutations(events))
    repeats = data.draw(st.lists(st.sampled_from(events), max_size=4))
    in_order = run(*sorted(events, key=lambda e: e["occurred_at"]))
    any_order = run(*shuffled, *repeats)
    assert in_order.dead == [] and any_order.dead == []
    assert incident_figures(any_order) == incident_figures(in_order)
    assert total(in_order, "ccm_incidents_created") == len({e["incident_id"] for e in events})


@settings(max_examples=40, deadline=None)
@given(incidents(), st.data())
def test_incident_restart_from_any_checkpoint_is_exact(events, data) -> None:
    messages = [Message(0, offset, json.dumps(e).encode()) for offset, e in enumerate(events)]
    whole = Runtime(TARGETS, TimeRules())
    whole.process(Family.INCIDENTS, messages, 0, {})
    crash_after = data.draw(st.integers(0, len(messages)))
    committed = data.draw(st.integers(0, crash_after))
    first = Runtime(TARGETS, TimeRules())
    first.process(Family.INCIDENTS, messages[:crash_after], 0, {})
    checkpoint = first.checkpoint(Family.INCIDENTS, 0) if crash_after else None
    again = Runtime(TARGETS, TimeRules())
    again.process(Family.INCIDENTS, messages[committed:], 0, {0: checkpoint})
    restored = again.state_for(Family.INCIDENTS, 0, checkpoint)
    assert restored.snapshot() == whole.states[(Family.INCIDENTS, 0)].snapshot()


def test_minute_of_created_decides_the_rolling_window() -> None:
    # At 10:20:00 the 15-minute window is the minutes 10:06 to 10:20: an incident created
    # at 10:06:00 is in it, one created a microsecond before, in the minute 10:05, is not.
    r = run(
        created("early", 0, 5),
        created("last-of-10:05", 6 * MIN - 0.000001, 5),
        created("first-of-10:06", 6 * MIN, 5),
        created("late", 20 * MIN, 5),
    )
    assert total(r, "ccm_incidents_created", window="15m") == 2
    assert total(r, "ccm_incidents_created", window="1h") == 4
    # T0 is 2026-03-10T10:00Z: 20,522 days and 600 minutes after the epoch.
    t0 = to_us(datetime.fromisoformat(T0))
    assert minute_of(t0) == 20_522 * 1440 + 600
    assert minute_of(t0 + 6 * 60 * US - 1) == minute_of(t0) + 5
    assert minute_of(t0 + 6 * 60 * US) == minute_of(t0) + 6


def test_the_copy_kept_against_a_fault_is_the_incident_as_kept_and_shares_nothing() -> None:
    r = run(regraded("i", 30, 2), created("i", 0), regraded("i", 60, 3))
    ledger = r.state.ledger
    incident = ledger.lifecycles["i"]
    copy = ledger.lifecycle_copy(incident)
    as_kept = ledger.lifecycle_to_json(
        ledger.lifecycle_from_json(ledger.lifecycle_to_json(incident))
    )
    assert ledger.lifecycle_to_json(copy) == as_kept
    incident.regrades.append((90_000_000, "e-late", incident.grade))
    incident.held.append((1, b"x"))
    assert ledger.lifecycle_to_json(copy) == as_kept
