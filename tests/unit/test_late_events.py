"""Events later than the grace period count in the day and month figures but leave the
live windows and gauges as they were, until a timely event of the same lifecycle."""

from datetime import datetime

from schemas import Family
from streams.core.monthly import monthly_pack
from streams.core.partition import PartitionState
from streams.core.reports import ReportCount
from streams.core.timebase import TimeRules
from tests.events import raw
from tests.scenario import T0, TARGETS, Run, at, ev, named

HOUR = 3600
LIVE = ("essex", "1", "emergency", "urban", "other", "today")
GAUGE = ("essex", "1", "emergency")


def incident(kind: str, inc: str, s: float, **fields) -> dict:
    return ev(f"incident.{kind}", at(T0, s), incident_id=inc, **fields)


def created(inc: str, s: float) -> dict:
    return incident("created", inc, s, grade=1, area="urban", category="other")


def emergencies_in_march(run: Run) -> dict[str, int]:
    (row,) = [
        r
        for r in monthly_pack([run.state], TARGETS, (2026, 3), (2026, 3)).incidents
        if (r.policy, r.category, r.response) == ("essex", "all", "emergency")
    ]
    return {"met": row.met, "not_met": row.not_met}


def test_a_late_attendance_leaves_the_live_miss_and_counts_in_the_month() -> None:
    run = Run(Family.INCIDENTS).send(created("x", 0), created("y", 2 * HOUR))
    # At 12:00 x (created 10:00, 15 minutes) has missed, live; y has 15 minutes to go.
    assert run.value("ccm_incidents_missed", *LIVE) == 1
    assert run.value("ccm_incidents_breached_unattended", *GAUGE) == 1
    assert run.value("ccm_incidents_awaiting_attendance", *GAUGE) == 2

    run.send(incident("attended", "x", 10 * 60))  # at 10:10, told 1 h 50 min later
    assert run.state.late == 1
    assert run.value("ccm_incidents_missed", *LIVE) == 1
    assert run.value("ccm_incidents_met", *LIVE) == 0
    assert run.value("ccm_incidents_attended", *LIVE) == 0
    assert run.value("ccm_incidents_breached_unattended", *GAUGE) == 1
    assert run.value("ccm_incidents_awaiting_attendance", *GAUGE) == 2
    # The month takes it: met at 10 minutes.
    assert emergencies_in_march(run) == {"met": 1, "not_met": 0}
    # So does the live view once restored from a checkpoint ...
    again = Run(Family.INCIDENTS)
    again.state = PartitionState.restore(run.state.snapshot(), TARGETS, TimeRules())
    assert again.value("ccm_incidents_missed", *LIVE) == 1
    # ... and with the incident's next timely event it catches up.
    run.send(incident("closed", "x", 2 * HOUR + 60))
    assert run.value("ccm_incidents_missed", *LIVE) == 0
    assert run.value("ccm_incidents_met", *LIVE) == 1
    assert run.value("ccm_incidents_breached_unattended", *GAUGE) == 0
    assert run.value("ccm_incidents_awaiting_attendance", *GAUGE) == 1


def calls_run() -> Run:
    return Run().send(
        ev("call.queued", at(T0, 0), call_id="a", channel="999", queue="fcr"),
        ev("call.queued", at(T0, 2 * HOUR), call_id="b", channel="999", queue="fcr"),
    )


LIVE_FIGURES = ("ccm_call_legs_waiting", "ccm_call_legs_waiting_over_target")


def test_a_late_answer_leaves_the_live_view_unchanged_and_counts_in_the_day() -> None:
    run = calls_run()
    before = {name: run.value(name, "999", "fcr") for name in LIVE_FIGURES}
    assert before == {"ccm_call_legs_waiting": 2, "ccm_call_legs_waiting_over_target": 1}
    windows = {w: run.value("ccm_call_legs_answered", "999", "fcr", w) for w in ("1h", "today")}

    run.send(ev("call.answered", at(T0, 5), call_id="a", queue="fcr"))  # 5 s, told 2 h later
    assert run.state.late == 1
    assert {name: run.value(name, "999", "fcr") for name in LIVE_FIGURES} == before
    assert run.value("ccm_call_oldest_wait_seconds", "999", "fcr") == 2 * HOUR
    assert {w: run.value("ccm_call_legs_answered", "999", "fcr", w) for w in windows} == windows
    assert windows == {"1h": 0, "today": 0}
    (row,) = [
        r
        for r in monthly_pack([run.state], TARGETS, (2026, 3), (2026, 3)).calls
        if (r.channel, r.queue) == ("999", "fcr")
    ]
    assert (row.offered, row.answered, row.answered_within_target) == (2, 1, 1)


def test_a_late_report_triage_leaves_it_awaiting_until_its_next_timely_event() -> None:
    def report(kind: str, report_id: str, s: float, **fields) -> dict:
        return ev(f"report.{kind}", at(T0, s), report_id=report_id, **fields)

    run = Run(Family.REPORTS).send(
        report("submitted", "r1", 0, report_type="asb"),
        report("submitted", "r2", 2 * HOUR, report_type="asb"),
        report("triaged", "r1", 60),  # late
    )
    assert run.value("ccm_reports_awaiting_triage", "asb") == 2
    assert run.value("ccm_reports_triaged", "asb", "today") == 0
    day = datetime.fromisoformat(T0).date().toordinal()
    asb = run.state.ledger.tallies[0].day(("asb",), day)
    assert named(ReportCount, asb) == {"submitted": 2, "triaged": 1, "triage_us_sum": 60 * 10**6}


def march_row(run: Run) -> dict[str, int]:
    (row,) = [
        r
        for r in monthly_pack([run.state], TARGETS, (2026, 3), (2026, 3)).calls
        if (r.channel, r.queue) == ("999", "fcr")
    ]
    return {"offered": row.offered, "answered": row.answered, "abandoned": row.abandoned}


def test_a_call_told_a_day_late_is_matched_though_the_stream_sweeps_between_its_events() -> None:
    """A control room's telephony comes back after an outage and sends a day's calls: a
    leg is waited for from when it arrived, not from when it was queued, so a sweep
    between its queued event and its answer does not take it for an orphan."""
    day = 24 * HOUR
    run = Run().send(ev("call.queued", at(T0, day), call_id="now", channel="999", queue="fcr"))
    run.send(ev("call.queued", at(T0, 0), call_id="late", channel="999", queue="fcr"))
    # A timely event a minute on: the partition sweeps for orphans.
    run.send(ev("call.answered", at(T0, day + 60), call_id="now", queue="fcr"))
    run.send(ev("call.answered", at(T0, 5), call_id="late", queue="fcr"))
    assert run.dead == []
    assert run.state.late == 2
    assert march_row(run) == {"offered": 2, "answered": 2, "abandoned": 0}


def test_a_late_answer_whose_call_never_comes_is_an_orphan_a_grace_period_after_it_came() -> None:
    day = 24 * HOUR
    lone = ev("call.answered", at(T0, 5), call_id="late", queue="fcr")
    run = Run().send(ev("call.queued", at(T0, day), call_id="now", channel="999", queue="fcr"))
    run.send(lone)
    run.send(ev("call.answered", at(T0, day + 59 * 60), call_id="now", queue="fcr"))
    assert run.dead == []  # within the grace period of its arrival
    run.send(ev("call.ended", at(T0, day + HOUR + 61), call_id="now"))
    assert [(d.reason.value, d.raw) for d in run.dead] == [("orphan", raw(lone))]
