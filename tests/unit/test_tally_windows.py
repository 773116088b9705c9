"""A window's counts and longest wait read over whole hours equal those added up minute
by minute, however the buckets were written, taken back and pruned between readings;
and a scrape that keeps readings by dimension shows what a fresh one shows."""

from datetime import datetime, timedelta
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.core import tally as tally_module
from streams.core.figures import Readings, compute
from streams.core.tally import Contribution, Tally
from streams.core.timebase import MINUTE_US, to_us
from tests.scenario import T0, TARGETS, Run, at, ev

DIM = ("999", "fcr")
BASE_MINUTE = 29_500_020  # 2026-02-02T03:00Z in minutes since the epoch (a whole hour)
WIDTH = 3


def _by_hand(written: dict[int, list[int]], minutes: range) -> list[int]:
    total = [0] * WIDTH
    for minute, vector in written.items():
        if minute in minutes:
            total = [a + b for a, b in zip(total, vector, strict=True)]
    return total


def _longest_by_hand(samples: dict[int, list[int]], minutes: range) -> int | None:
    found = [w for minute, waits in samples.items() if minute in minutes for w in waits]
    return max(found) if found else None


step = st.tuples(
    st.sampled_from(["add", "take", "read", "prune"]),
    st.integers(0, 60 * 60),  # minute of the bucket, of the reading's end, of the prune
    st.tuples(*[st.integers(0, 5)] * WIDTH),
    st.integers(1, 600),  # a wait, in seconds
)


@settings(max_examples=60, deadline=None)
@given(st.lists(step, min_size=1, max_size=400))
def test_windows_read_by_hour_equal_those_added_by_minute(steps) -> None:
    with patch.object(tally_module, "SPLIT_ABOVE", 2):  # by the hour from two buckets on
        _check_windows(steps)


def _check_windows(steps) -> None:
    tally = Tally(WIDTH)
    written: dict[int, list[int]] = {}
    samples: dict[int, list[int]] = {}
    added: list[Contribution] = []
    pruned_at = 0  # a prune keeps what any window ending at or after its time reads
    for kind, minute, vector, wait_s in steps:
        at_us = (BASE_MINUTE + minute) * MINUTE_US + 7_000_000
        if kind == "add":
            contribution = Contribution(((DIM, at_us, vector),), ((DIM, at_us, wait_s * 10**6),))
            tally.replace(Contribution(), contribution)
            added.append(contribution)
            row = written.setdefault(BASE_MINUTE + minute, [0] * WIDTH)
            written[BASE_MINUTE + minute] = [a + b for a, b in zip(row, vector, strict=True)]
            samples.setdefault(BASE_MINUTE + minute, []).append(wait_s * 10**6)
        elif kind == "take" and added:
            gone = added.pop(minute % len(added))
            tally.replace(gone, Contribution())
            ((_, gone_us, gone_vector),) = gone.counts
            ((_, _, gone_wait),) = gone.waits
            gone_minute = gone_us // MINUTE_US
            row = written[gone_minute]
            written[gone_minute] = [a - b for a, b in zip(row, gone_vector, strict=True)]
            samples[gone_minute].remove(gone_wait)
        elif kind == "prune":
            pruned_at = max(pruned_at, minute)
            tally.prune(ref_us=(BASE_MINUTE + pruned_at) * MINUTE_US)
        else:
            end = BASE_MINUTE + max(minute, pruned_at)
            for width in (15, 60, 1440):
                window = range(end - width + 1, end + 1)
                assert tally.sum_minutes(DIM, window) == _by_hand(written, window)
                assert tally.longest_wait(DIM, window) == _longest_by_hand(samples, window)


def test_a_bucket_written_into_an_hour_already_read_is_counted_at_the_next_reading() -> None:
    tally = Tally(1)
    window = range(BASE_MINUTE, BASE_MINUTE + 1440)
    for minute in range(0, 1440, 7):  # buckets enough to be read by the hour
        at_us = (BASE_MINUTE + minute) * MINUTE_US
        tally.replace(Contribution(), Contribution(((DIM, at_us, (1,)),), ((DIM, at_us, 5),)))
    assert tally.sum_minutes(DIM, window) == [206]
    assert tally.longest_wait(DIM, window) == 5
    late_us = (BASE_MINUTE + 90) * MINUTE_US  # inside an hour read whole just now
    tally.replace(Contribution(), Contribution(((DIM, late_us, (4,)),), ((DIM, late_us, 9),)))
    assert tally.sum_minutes(DIM, window) == [210]
    assert tally.longest_wait(DIM, window) == 9


def test_a_scrape_that_keeps_readings_by_dimension_shows_what_a_fresh_one_shows() -> None:
    run = Run()
    wall = run.wall_us = to_us(datetime.fromisoformat(at(T0, 60)))  # read live
    readings = Readings()
    run.send(ev("call.queued", at(T0, 0), call_id="a", channel="999", queue="fcr"))
    run.send(ev("call.queued", at(T0, 10), call_id="b", channel="101", queue="switchboard"))
    first = compute([run.state], TARGETS, wall, readings)
    assert first.values["ccm_call_legs_offered"][("101", "switchboard", "15m")] == 1
    # One dimension changes; the other's reading is kept, and both show as afresh.
    run.send(ev("call.answered", at(T0, 20), call_id="b", queue="switchboard"))
    kept = compute([run.state], TARGETS, wall, readings)
    assert kept.values["ccm_call_legs_answered"][("101", "switchboard", "15m")] == 1
    assert kept.values["ccm_call_legs_offered"][("999", "fcr", "15m")] == 1
    assert kept.values == compute([run.state], TARGETS, wall).values
    assert kept.histograms == compute([run.state], TARGETS, wall).histograms


scrape_steps = st.lists(
    st.tuples(
        st.sampled_from(["999 fcr", "101 switchboard", "scrape", "scrape later"]),
        # Minutes on from the step before: often just onto or past a window's edge.
        st.sampled_from([0, 1, 14, 15, 16, 44, 45, 59, 60, 61, 1379, 1380, 1439, 1440])
        | st.integers(0, 400),
    ),
    min_size=1,
    max_size=40,
)


@pytest.mark.parametrize("split_above", [2, tally_module.SPLIT_ABOVE])
@settings(max_examples=60, deadline=None)
@given(steps=scrape_steps)
def test_readings_kept_across_scrapes_equal_fresh_ones_whatever_the_minutes(
    split_above: int, steps
) -> None:
    """Whether a dimension's reading is kept (few buckets: until one leaves a window)
    or read again at each new minute (many), every scrape shows what a fresh one does."""
    with patch.object(tally_module, "SPLIT_ABOVE", split_above):
        run = Run()
        readings = Readings()
        now = datetime.fromisoformat(T0)
        for n, (kind, minutes) in enumerate(steps):
            now += timedelta(minutes=minutes)
            if kind.startswith("scrape"):
                later = timedelta(hours=3) if kind == "scrape later" else timedelta(0)
                wall = to_us(now + later)
                kept = compute([run.state], TARGETS, wall, readings)
                fresh = compute([run.state], TARGETS, wall)
                assert kept.values == fresh.values
                assert kept.histograms == fresh.histograms
                continue
            channel, queue = kind.split()
            run.wall_us = to_us(now)
            run.send(
                ev("call.queued", now.isoformat(), call_id=f"c{n}", channel=channel, queue=queue)
            )
            answered = (now + timedelta(seconds=20)).isoformat()
            run.send(ev("call.answered", answered, call_id=f"c{n}", queue=queue))
