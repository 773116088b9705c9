"""Live Chat and online report KPIs."""

from schemas import Family, RejectReason
from streams.core.partition import PartitionState
from streams.core.timebase import HOUR_US, TimeRules
from tests.events import raw
from tests.scenario import Run, ev

DAY = "2026-07-01"  # BST: 07:00 London is 06:00Z


def chat(kind: str, chat_id: str, clock: str) -> dict:
    return ev(f"chat.{kind}", f"{DAY}T{clock}+01:00", chat_id=chat_id)


def test_chat_waits_acceptance_and_abandonment() -> None:
    run = Run(Family.CHATS).send(
        chat("requested", "a", "10:00:00"),
        chat("accepted", "a", "10:01:00"),  # 60 s: within
        chat("requested", "b", "10:00:00"),
        chat("accepted", "b", "10:01:01"),  # 61 s: over
        chat("requested", "c", "10:00:00"),
        chat("abandoned", "c", "10:00:30"),
        chat("requested", "d", "10:02:00"),
        chat("ended", "d", "10:03:00"),  # ended unaccepted
        chat("requested", "e", "10:02:30"),  # waiting
    )
    value = run.value
    assert value("ccm_chats_requested", "today") == 5
    assert value("ccm_chats_accepted", "today") == 2
    assert value("ccm_chats_accepted_within_target", "today") == 1
    assert value("ccm_chats_abandoned", "today") == 2
    assert value("ccm_chats_abandoned_within_target", "today") == 2  # 30 s and 60 s
    assert value("ccm_chats_accepted_wait_seconds", "today") == 121
    assert value("ccm_chat_longest_wait_seconds", "today") == 61
    assert value("ccm_chats_waiting") == 1
    assert value("ccm_chat_oldest_wait_seconds") == 30  # requested 10:02:30, now 10:03:00
    assert value("ccm_contacts", "chat", "today") == 5


def test_chats_outside_opening_hours_are_counted_at_both_edges() -> None:
    edges = ("06:59:59", "07:00:00", "22:59:59", "23:00:00")
    run = Run(Family.CHATS)
    for n, clock in enumerate(edges):
        run.send(chat("requested", f"c{n}", clock), chat("abandoned", f"c{n}", clock))
    assert run.value("ccm_chats_requested_while_closed", "today") == 2
    assert run.value("ccm_chats_requested", "today") == 4


def test_reports_by_type_and_time_to_triage() -> None:
    run = Run(Family.REPORTS).send(
        ev("report.submitted", f"{DAY}T09:00:00+01:00", report_id="r1", report_type="asb"),
        ev("report.triaged", f"{DAY}T09:30:00+01:00", report_id="r1"),
        ev("report.triaged", f"{DAY}T09:40:00+01:00", report_id="r2"),  # before its submission
        ev("report.submitted", f"{DAY}T09:10:00+01:00", report_id="r2", report_type="asb"),
        ev("report.submitted", f"{DAY}T09:20:00+01:00", report_id="r3", report_type="crime"),
    )
    assert run.value("ccm_reports_submitted", "asb", "today") == 2
    assert run.value("ccm_reports_triaged", "asb", "today") == 2
    assert run.value("ccm_reports_triage_seconds", "asb", "today") == 30 * 60 + 30 * 60
    assert run.value("ccm_reports_awaiting_triage", "crime") == 1
    assert run.value("ccm_report_oldest_awaiting_triage_seconds", "crime") == 20 * 60
    assert run.value("ccm_contacts", "online", "today") == 3


def test_events_on_the_wrong_topic_are_dead_lettered() -> None:
    run = Run(Family.CHATS).send(ev("call.ended", f"{DAY}T09:00:00+01:00"))
    assert [d.reason for d in run.dead] == [RejectReason.WRONG_TOPIC]


def test_triage_without_submission_becomes_an_orphan() -> None:
    run = Run(Family.REPORTS, rules=TimeRules(sweep_every_us=0)).send(
        ev("report.triaged", f"{DAY}T09:00:00+01:00", report_id="ghost"),
        ev("report.submitted", f"{DAY}T10:00:01+01:00", report_id="r9", report_type="other"),
    )
    assert [d.reason for d in run.dead] == [RejectReason.ORPHAN]


def test_a_report_type_not_in_the_list_counts_as_other() -> None:
    def submitted(report_id: str, clock: str, report_type: str) -> dict:
        return ev(
            "report.submitted", f"{DAY}T{clock}+01:00", report_id=report_id, report_type=report_type
        )

    run = Run(Family.REPORTS).send(
        submitted("r1", "09:00:00", "lost_property"),
        submitted("r2", "09:01:00", "other"),
        submitted("r3", "09:02:00", "Lost Property"),
        submitted("r4", "09:03:00", "asb"),
        ev("report.triaged", f"{DAY}T09:10:00+01:00", report_id="r1"),
    )
    assert run.dead == []
    assert run.value("ccm_reports_submitted", "other", "today") == 3
    assert run.value("ccm_reports_submitted", "asb", "today") == 1
    assert run.value("ccm_reports_triaged", "other", "today") == 1
    assert run.value("ccm_reports_triage_seconds", "other", "today") == 10 * 60
    assert run.value("ccm_reports_awaiting_triage", "other") == 2
    assert run.value("ccm_contacts", "online", "today") == 4
    assert set(run.figures().values["ccm_reports_submitted"]) == {
        (report_type, window)
        for report_type in ("asb", "crime", "traffic", "other")
        for window in ("15m", "1h", "24h", "today", "month")
    }


def test_a_report_untriaged_past_the_stale_limit_stops_awaiting_and_is_forgotten() -> None:
    rules = TimeRules(report_stale_us=2 * HOUR_US, sweep_every_us=0)
    run = Run(Family.REPORTS, rules=rules).send(
        ev("report.submitted", f"{DAY}T09:00:00+01:00", report_id="r1", report_type="asb"),
        ev("report.submitted", f"{DAY}T09:30:00+01:00", report_id="r2", report_type="crime"),
        ev("report.triaged", f"{DAY}T10:00:00+01:00", report_id="r2"),
        ev("report.submitted", f"{DAY}T11:00:00+01:00", report_id="r3", report_type="asb"),
    )
    assert run.value("ccm_reports_awaiting_triage", "asb") == 2  # exactly two hours: r1 waits
    assert run.value("ccm_report_oldest_awaiting_triage_seconds", "asb") == 2 * 3600
    run.send(ev("report.submitted", f"{DAY}T11:00:01+01:00", report_id="r4", report_type="crime"))
    assert run.value("ccm_reports_awaiting_triage", "asb") == 1  # r3 only
    assert run.value("ccm_report_oldest_awaiting_triage_seconds", "asb") == 1
    assert run.value("ccm_reports_awaiting_triage", "crime") == 1  # r4
    # It was submitted: it stays in the volume, untimed.
    assert run.value("ccm_reports_submitted", "asb", "today") == 2
    assert run.value("ccm_reports_triaged", "asb", "today") == 0
    assert run.dead == []
    restored = PartitionState.restore(run.state.snapshot(), run.targets, rules)
    assert restored.ledger.awaiting_triage() == run.state.ledger.awaiting_triage()
    # Once July has been closed for a week, nothing of July is kept.
    run.send(ev("report.submitted", "2026-08-08T01:00:00+01:00", report_id="r5", report_type="asb"))
    assert sorted(run.state.ledger.lifecycles) == ["r5"]
    assert run.value("ccm_reports_awaiting_triage", "asb") == 1
    assert run.value("ccm_reports_awaiting_triage", "crime") == 0


def test_a_chat_ended_with_no_chat_requested_is_an_orphan_after_grace() -> None:
    lone = chat("ended", "x", "10:00:00")
    run = Run(Family.CHATS, rules=TimeRules(sweep_every_us=0)).send(
        lone,
        chat("accepted", "y", "10:00:10"),
        chat("ended", "y", "10:05:00"),
        chat("requested", "z", "10:00:00"),
        chat("ended", "z", "10:00:20"),  # a partner: abandoned at its end
        chat("requested", "w", "11:00:00"),
    )
    assert run.dead == []  # exactly the grace period after the lone end
    run.send(chat("requested", "v", "11:05:01"))
    assert sorted((d.detail, d.raw == raw(lone)) for d in run.dead) == [
        ("chat outcome with no chat.requested within the grace period", False),
        ("chat.ended with no chat.requested within the grace period", False),
        ("chat.ended with no chat.requested within the grace period", True),
    ]
    assert {d.reason for d in run.dead} == {RejectReason.ORPHAN}
    assert run.value("ccm_chats_requested", "today") == 3
    assert run.value("ccm_chats_abandoned", "today") == 1
    assert run.value("ccm_chats_accepted", "today") == 0
