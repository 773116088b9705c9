"""The simulator: deterministic, valid, in event-time order, and calibrated on the
force's published answer times (Essex Police, 2020: 999 7 s, switchboard 8 s,
FCR 101 3 min 18 s, Resolution Centre 3 min 32 s). Abandoned 999 calls are called back,
and the call-backs add to the events without moving any other."""

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from schemas import CallbackOutcome, Envelope, decode
from streams.replay import Pacer
from streams.simulate import SCENARIOS, SimEvent, simulate
from streams.simulate.send import send_events

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 3, 9, tzinfo=UTC)  # GMT: London time is UTC this week
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


@cache
def run(
    scenario: str = "normal-day", seed: int = 1, days: int = 1, callbacks: bool = True
) -> tuple[SimEvent, ...]:
    config = SCENARIOS[scenario]
    if not callbacks:
        config = config.with_options(callbacks=None)
    return tuple(simulate(config, seed, MONDAY, MONDAY + days * DAY))


def legs(events: tuple[SimEvent, ...]) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """(channel, queue) -> [(outcome, wait s)], paired by hand from the events."""
    open_legs: dict[str, tuple[int, str, str]] = {}
    found: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for e in events:
        kind = e.body["event_type"]
        if kind == "call.queued":
            assert e.key not in open_legs, "a call has one leg open at a time"
            open_legs[e.key] = (e.at_ms, e.body["channel"], e.body["queue"])
        elif kind in ("call.answered", "call.abandoned"):
            queued_ms, channel, queue = open_legs.pop(e.key)
            assert queue == e.body["queue"]
            found[(channel, queue)].append((kind.split(".")[1], (e.at_ms - queued_ms) / 1000))
    return found


def asa(outcomes: list[tuple[str, float]]) -> float:
    waits = [w for outcome, w in outcomes if outcome == "answered"]
    return sum(waits) / len(waits)


def abandonment(outcomes: list[tuple[str, float]]) -> float:
    return sum(1 for outcome, _ in outcomes if outcome == "abandoned") / len(outcomes)


def test_same_seed_and_start_give_the_same_bytes() -> None:
    end = MONDAY + timedelta(hours=6)
    one = [e.to_json() for e in simulate(SCENARIOS["normal-day"], 7, MONDAY, end)]
    two = [e.to_json() for e in simulate(SCENARIOS["normal-day"], 7, MONDAY, end)]
    other = [e.to_json() for e in simulate(SCENARIOS["normal-day"], 8, MONDAY, end)]
    assert one == two
    assert len(one) > 500
    assert one != other


def test_a_shorter_run_is_a_prefix_of_a_longer_one() -> None:
    short = [e.to_json() for e in simulate(SCENARIOS["normal-day"], 1, MONDAY, MONDAY + DAY / 4)]
    assert [e.to_json() for e in run()[: len(short)]] == short
    assert run()[len(short)].at_ms >= (MONDAY + DAY / 4).timestamp() * 1000


def test_every_event_is_valid_keyed_and_in_event_time_order() -> None:
    events = run()
    previous = 0
    ids = set()
    for e in events:
        decoded = decode(e.to_json())
        assert isinstance(decoded, Envelope), decoded
        assert decoded.key == e.key
        assert decoded.family is e.family
        assert int(decoded.occurred_at.timestamp() * 1000) == e.at_ms
        assert e.at_ms >= previous
        previous = e.at_ms
        ids.add(decoded.event_id)
    assert len(ids) == len(events)
    assert MONDAY.timestamp() * 1000 <= events[0].at_ms
    assert events[-1].at_ms < (MONDAY + DAY).timestamp() * 1000


def test_every_event_type_appears_on_a_normal_day() -> None:
    kinds = Counter(e.body["event_type"] for e in run())
    assert set(kinds) == {
        "call.queued", "call.answered", "call.abandoned", "call.ended", "call.callback",
        "chat.requested", "chat.accepted", "chat.abandoned", "chat.ended",
        "report.submitted", "report.triaged",
        "incident.created", "incident.regraded", "incident.attended", "incident.closed",
    }  # fmt: skip


def test_volumes_follow_the_force_scale_and_the_daily_profile() -> None:
    first_legs = [e for e in run(days=7) if e.body["event_type"] == "call.queued"]
    firsts: dict[str, SimEvent] = {}
    for e in first_legs:
        firsts.setdefault(e.key, e)
    per_channel = Counter(e.body["channel"] for e in firsts.values())
    # 900 999 calls and 1,650 101 calls a day on average (SPEC section 9): a week is
    # 6,300 and 11,550 (day-of-week factors average 1.0); Poisson noise is ~1 %.
    assert 6300 * 0.95 < per_channel["999"] < 6300 * 1.05
    assert 11550 * 0.95 < per_channel["101"] < 11550 * 1.05
    by_hour = Counter(datetime.fromtimestamp(e.at_ms / 1000, LONDON).hour for e in firsts.values())
    assert sum(by_hour[h] for h in (3, 4, 5)) * 3 < sum(by_hour[h] for h in (15, 16, 17))


def test_101_calls_start_at_the_switchboard_and_999_at_the_fcr() -> None:
    queues: dict[str, list[str]] = defaultdict(list)
    channels: dict[str, str] = {}
    for e in run():
        if e.body["event_type"] == "call.queued":
            queues[e.key].append(e.body["queue"])
            assert channels.setdefault(e.key, e.body["channel"]) == e.body["channel"]
    routes = Counter(tuple(q) for q in queues.values())
    assert set(routes) == {
        ("fcr",),
        ("switchboard",),
        ("switchboard", "fcr"),
        ("switchboard", "resolution_centre"),
    }
    assert all(channels[c] == "999" for c, q in queues.items() if q == ["fcr"])
    assert all(channels[c] == "101" for c, q in queues.items() if q[0] == "switchboard")


CALIBRATION = {
    # (channel, queue): published ASA (s), accepted range over a simulated week.
    ("999", "fcr"): (7, (5.0, 10.0)),
    ("101", "switchboard"): (8, (6.0, 11.0)),
    ("101", "fcr"): (198, (150.0, 250.0)),
    ("101", "resolution_centre"): (212, (160.0, 270.0)),
}


@pytest.mark.parametrize(("leg", "published", "bounds"), [(k, *v) for k, v in CALIBRATION.items()])
def test_normal_week_answer_times_match_the_published_figures(
    leg: tuple[str, str], published: float, bounds: tuple[float, float]
) -> None:
    measured = asa(legs(run(days=7))[leg])
    low, high = bounds
    assert low <= published <= high
    assert low <= measured <= high, f"{leg}: ASA {measured:.1f} s, published {published} s"


def test_normal_week_abandonment_is_near_the_targets() -> None:
    found = legs(run(days=7))
    assert abandonment(found[("999", "fcr")]) < 0.02  # target < 2 %
    assert 0.02 < abandonment(found[("101", "fcr")]) < 0.10  # target < 5 %: sometimes missed


def test_a_staffing_shortfall_raises_waits_and_abandonment_on_every_queue() -> None:
    normal = legs(run(days=2))
    short = legs(run("staffing-shortfall", days=2))
    for leg in CALIBRATION:
        assert abandonment(short[leg]) > abandonment(normal[leg]), leg
        assert asa(short[leg]) > asa(normal[leg]), leg


def test_a_major_incident_surges_999_and_hurts_its_answer_times() -> None:
    hours = timedelta(hours=3)
    noon = MONDAY + timedelta(hours=12)
    normal = list(simulate(SCENARIOS["normal-day"], 1, noon, noon + hours))
    surge = list(simulate(SCENARIOS["major-incident-surge"], 1, noon, noon + hours))

    def calls_999(events: list[SimEvent]) -> int:
        return sum(1 for e in events if e.body.get("channel") == "999")

    assert calls_999(surge) > 1.6 * calls_999(normal)
    assert asa(legs(tuple(surge))[("999", "fcr")]) > 2 * asa(legs(tuple(normal))[("999", "fcr")])


def test_a_quiet_night_has_short_waits() -> None:
    quiet = legs(run("quiet-night"))
    assert asa(quiet[("999", "fcr")]) < 3
    assert asa(quiet[("101", "fcr")]) < 100


def test_live_chat_is_answered_only_while_open() -> None:
    accepted = [e for e in run(days=2) if e.body["event_type"] == "chat.accepted"]
    assert len(accepted) > 80  # 56 a day
    for e in accepted:
        local = datetime.fromtimestamp(e.at_ms / 1000, LONDON)
        assert 7 <= local.hour < 23, local
    requested = [e for e in run(days=2) if e.body["event_type"] == "chat.requested"]
    closed = [
        e for e in requested if not 7 <= datetime.fromtimestamp(e.at_ms / 1000, LONDON).hour < 23
    ]
    assert 5 <= len(closed) <= 50  # 0.5 an hour for 8 closed hours a day


def test_incidents_have_a_grade_mix_and_sometimes_miss_attendance() -> None:
    created: dict[str, tuple[int, int, str]] = {}
    lifecycle: dict[str, list[str]] = defaultdict(list)
    attendance: dict[int, list[float]] = defaultdict(list)
    for e in run(days=2):
        body = e.body
        if not body["event_type"].startswith("incident."):
            continue
        lifecycle[e.key].append(body["event_type"])
        if body["event_type"] == "incident.created":
            created[e.key] = (e.at_ms, body["grade"], body["area"])
            # Essex policy: grade 1 is an urban emergency, grade 2 a rural one.
            assert body["grade"] != 1 or body["area"] == "urban"
            assert body["grade"] != 2 or body["area"] == "rural"
        elif body["event_type"] == "incident.attended":
            at_ms, grade, _ = created[e.key]
            attendance[grade].append((e.at_ms - at_ms) / 60_000)
        elif body["event_type"] == "incident.closed":
            assert body["attended"] == ("incident.attended" in lifecycle[e.key])
    grades = Counter(grade for _, grade, _ in created.values())
    assert set(grades) == {1, 2, 3, 4, 5, 6}
    assert not attendance[5]  # resolution without deployment
    for grade, target_minutes in ((1, 15), (2, 20), (3, 60)):
        times = attendance[grade]
        missed = sum(1 for t in times if t > target_minutes) / len(times)
        assert 0.03 < missed < 0.30, (grade, missed)
    for events in lifecycle.values():
        assert events[0] == "incident.created"
        assert events.count("incident.closed") <= 1
        assert "incident.closed" not in events[:-1]


def test_sending_routes_each_family_to_its_topic_with_its_key() -> None:
    sent: list[tuple[str, bytes, bytes]] = []
    events = run()[:2000]
    counts = send_events(events, lambda t, k, v: sent.append((t, k, v)), lambda f: f"t.{f.value}")
    assert [(t, k, v) for t, k, v in sent] == [
        (f"t.{e.family.value}", e.key.encode(), e.to_json()) for e in events
    ]
    assert sum(counts.values()) == 2000
    body = json.loads(sent[0][2])
    assert body["occurred_at"].endswith("+00:00")


def test_sending_is_paced_from_the_start_at_the_given_speed() -> None:
    clock = [0.0]
    events = run()[:50]
    send_events(
        events,
        lambda *_: None,
        str,
        Pacer(60, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s)),
        start=MONDAY,
    )
    # At 60x, the last event goes (its event time - start) / 60 seconds after the start.
    expected = (events[-1].at_ms / 1000 - MONDAY.timestamp()) / 60
    assert clock[0] == pytest.approx(expected)


def test_ccm_simulate_out_writes_the_generator_s_events(tmp_path, capsys) -> None:
    from streams.cli import main

    out = tmp_path / "two-hours.jsonl"
    argv = ["simulate", "--seed", "4", "--start", "2026-03-09T00:00:00+00:00"]
    assert main([*argv, "--duration", "2h", "--out", str(out)]) == 0
    expected = simulate(SCENARIOS["normal-day"], 4, MONDAY, MONDAY + timedelta(hours=2))
    assert out.read_bytes() == b"".join(e.to_json() + b"\n" for e in expected)
    assert f"wrote {len(out.read_bytes().splitlines())} events" in capsys.readouterr().err


def is_callback(e: SimEvent) -> bool:
    return e.body["event_type"] == "call.callback"


@pytest.mark.parametrize("scenario", ["normal-day", "staffing-shortfall"])
def test_call_backs_leave_every_other_event_as_it_was(scenario: str) -> None:
    on = run(scenario, days=2)
    off = run(scenario, days=2, callbacks=False)
    assert not any(is_callback(e) for e in off)
    assert sum(1 for e in on if is_callback(e)) > 5
    # The same lines (ids, times, bodies), in the same order, call-backs only added.
    assert [e.to_json() for e in on if not is_callback(e)] == [e.to_json() for e in off]


def first_attempts(events: tuple[SimEvent, ...]) -> dict[str, float]:
    """Call id -> minutes from the 999 abandon to the first call-back attempt, checking
    on the way that call-backs follow abandoned 999 calls only, never before the abandon,
    with a valid outcome, none after the attempt that resolved it."""
    channel: dict[str, str] = {}
    abandoned: dict[str, int] = {}
    attempts: dict[str, list[tuple[int, str]]] = defaultdict(list)
    valid = {o.value for o in CallbackOutcome}
    resolving = {"reached", "recontacted", "referred"}
    for e in events:
        kind = e.body["event_type"]
        if kind == "call.queued":
            channel.setdefault(e.key, e.body["channel"])
        elif kind == "call.abandoned":
            abandoned.setdefault(e.key, e.at_ms)
        elif kind == "call.callback":
            assert e.key == e.body["call_id"]
            assert e.key in abandoned, "a call-back before (or without) its abandon"
            assert channel[e.key] == "999"
            assert e.at_ms > abandoned[e.key]
            assert e.body["outcome"] in valid
            assert not any(outcome in resolving for _, outcome in attempts[e.key])
            attempts[e.key].append((e.at_ms, e.body["outcome"]))
    end_ms = max(e.at_ms for e in events)
    for call_id, at_ms in abandoned.items():
        # Every abandoned 999 call is called back (bar the last hours' still to come).
        if channel[call_id] == "999" and at_ms < end_ms - 6 * 3_600_000:
            assert attempts[call_id], call_id
    assert max(len(made) for made in attempts.values()) <= 3
    return {c: (made[0][0] - abandoned[c]) / 60_000 for c, made in attempts.items()}


def test_call_backs_follow_abandoned_999_calls_with_retries_and_valid_outcomes() -> None:
    events = run("staffing-shortfall", days=2)
    first_attempts(events)
    outcomes = Counter(e.body["outcome"] for e in events if is_callback(e))
    # Failed attempts are tried again: every outcome turns up over a few hundred.
    assert set(outcomes) == {o.value for o in CallbackOutcome}
    tried: dict[str, int] = Counter(e.key for e in events if is_callback(e))
    assert any(n > 1 for n in tried.values())


def test_a_staffing_shortfall_lets_call_backs_slip_past_their_target() -> None:
    # A normal day abandons only a handful of 999 calls, so a week of them is measured.
    normal = list(first_attempts(run(days=7)).values())
    short = list(first_attempts(run("staffing-shortfall", days=2)).values())
    assert len(normal) > 30 and len(short) > 30

    def late(minutes: list[float]) -> float:
        return sum(1 for m in minutes if m > 10) / len(minutes)

    assert 0 < late(normal) < 0.15  # most within minutes, a tail past 10
    assert late(short) > late(normal) + 0.05


def test_ccm_simulate_callbacks_off_leaves_them_out(tmp_path) -> None:
    from streams.cli import main

    on, off = tmp_path / "on.jsonl", tmp_path / "off.jsonl"
    argv = ["simulate", "--scenario", "staffing-shortfall", "--seed", "4", "--duration", "6h"]
    argv += ["--start", "2026-03-09T12:00:00+00:00"]
    assert main([*argv, "--out", str(on)]) == 0
    assert main([*argv, "--callbacks", "off", "--out", str(off)]) == 0
    with_them = on.read_bytes().splitlines()
    assert len(with_them) > len(off.read_bytes().splitlines())
    assert [line for line in with_them if b'"call.callback"' not in line] == (
        off.read_bytes().splitlines()
    )


def test_ccm_simulate_refuses_a_start_without_an_offset(capsys) -> None:
    from streams.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["simulate", "--start", "2026-03-09T00:00:00", "--out", "x.jsonl"])
    assert stopped.value.code == 2
    assert "has no UTC offset; add one" in capsys.readouterr().err
