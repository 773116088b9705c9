"""Call-backs owed on abandoned calls: one table of cases for the rules
(`streams.core.callbacks`), and a property that the order the legs and attempts are
seen in changes nothing."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import CallbackOutcome as O
from schemas import Channel
from streams.core.callbacks import (
    Attempt,
    CallbackRules,
    LegSeen,
    NotOwed,
    Owed,
    owed_callback,
)
from streams.core.timebase import london_day

S, M, H = 1_000_000, 60_000_000, 3_600_000_000
T0 = 1_790_000_000_000_000
RULES = CallbackRules(frozenset({Channel.EMERGENCY}), 10 * M, 60 * M, 24 * H)
"""Written here as the force's defaults: 999 only, first attempt 10 min, resolved 60 min,
open 24 h."""


def abandoned_999(after_s: int = 20) -> LegSeen:
    return LegSeen(Channel.EMERGENCY, T0, abandoned_us=T0 + after_s * S)


OWED_AT = T0 + 20 * S


def later_leg(queued_min: float, answered_min: float) -> LegSeen:
    """A later leg of the same call, answered: minutes after the abandon."""
    return LegSeen(
        Channel.EMERGENCY,
        OWED_AT + round(queued_min * M),
        answered_us=OWED_AT + round(answered_min * M),
    )


ANSWERED_999 = LegSeen(Channel.EMERGENCY, T0, answered_us=T0 + 5 * S)
ABANDONED_101 = LegSeen(Channel.NON_EMERGENCY, T0, abandoned_us=OWED_AT)


def tries(*pairs: tuple[float, O]) -> list[Attempt]:
    """Attempts at (minutes after the abandon, outcome)."""
    return [Attempt(OWED_AT + round(minutes * M), outcome) for minutes, outcome in pairs]


@pytest.mark.parametrize(
    ("legs", "attempts", "expected"),
    [
        # (first attempt within, resolved within, resolution, attempts)
        pytest.param([abandoned_999()], tries((9, O.REACHED)), (True, True, O.REACHED, 1),
                     id="reached before the first-attempt target"),
        pytest.param([abandoned_999()], tries((10, O.REACHED)), (True, True, O.REACHED, 1),
                     id="attempted exactly at the target is within"),
        pytest.param([abandoned_999()], [Attempt(OWED_AT + 10 * M + 1, O.REACHED)],
                     (False, True, O.REACHED, 1), id="a microsecond after the target is not"),
        pytest.param([abandoned_999()],
                     tries((5, O.NO_ANSWER), (20, O.ENGAGED), (40, O.VOICEMAIL), (55, O.REACHED)),
                     (True, True, O.REACHED, 4), id="failed attempts, then reached in the hour"),
        pytest.param([abandoned_999()], tries((12, O.NO_ANSWER), (61, O.REACHED)),
                     (False, False, O.REACHED, 2), id="both targets missed"),
        pytest.param([abandoned_999()], tries((3, O.RECONTACTED)),
                     (True, True, O.RECONTACTED, 1), id="recontacted: got through on a new call"),
        pytest.param([abandoned_999()], tries((3, O.REFERRED)), (True, True, O.REFERRED, 1),
                     id="referred resolves"),
        pytest.param([abandoned_999()], tries((2, O.REACHED), (3, O.NO_ANSWER)),
                     (True, True, O.REACHED, 1), id="attempts after resolving change nothing"),
        pytest.param([abandoned_999()], tries((4, O.NO_ANSWER), (50, O.ENGAGED)),
                     (True, False, None, 2), id="attempted in time, never resolved"),
        pytest.param([abandoned_999(after_s=1)], tries((1, O.REACHED)), (True, True, O.REACHED, 1),
                     id="a short abandon owes a call-back too"),
        pytest.param([abandoned_999()], tries((25 * 60, O.REACHED)), (False, False, None, 1),
                     id="resolved after the staleness limit counts as unresolved"),
        pytest.param([abandoned_999()], [], (False, False, None, 0), id="never called back"),
        pytest.param(
            [abandoned_999(), later_leg(2, 9)], tries((5, O.NO_ANSWER), (8, O.NO_ANSWER)),
            (True, False, None, 2),
            id="a later leg answered after the first attempt: still owed, unresolved",
        ),
    ],
)  # fmt: skip
def test_what_an_abandoned_999_call_is_owed(legs, attempts, expected) -> None:
    owed = owed_callback(legs, attempts, RULES)
    assert isinstance(owed, Owed)
    assert (owed.first_attempt_within, owed.resolved_within, owed.resolution, owed.attempts) == (
        expected
    )
    assert (owed.channel, owed.offered_us, owed.owed_us) == (
        Channel.EMERGENCY,
        T0,
        legs[0].abandoned_us,
    )


@pytest.mark.parametrize(
    ("legs", "attempts", "reason"),
    [
        pytest.param([], tries((3, O.REACHED)), NotOwed.NOT_ABANDONED,
                     id="a lone call-back: nothing abandoned"),
        pytest.param([ANSWERED_999], tries((3, O.REACHED)), NotOwed.NOT_ABANDONED,
                     id="an answered call"),
        pytest.param([ABANDONED_101], tries((3, O.REACHED)), NotOwed.CHANNEL,
                     id="a 101 abandon while 101 owes no call-backs"),
        pytest.param([abandoned_999(), later_leg(1, 2)], tries((5, O.REACHED)), NotOwed.ANSWERED,
                     id="a later leg answered before any call-back"),
        pytest.param([abandoned_999(), later_leg(1, 2)], [], NotOwed.ANSWERED,
                     id="answered on a later leg, never called back"),
    ],
)  # fmt: skip
def test_what_owes_nothing(legs, attempts, reason) -> None:
    assert owed_callback(legs, attempts, RULES) is reason


def test_101_owes_when_the_force_says_it_does() -> None:
    rules = CallbackRules(frozenset(Channel), 10 * M, 60 * M, 24 * H)
    owed = owed_callback([ABANDONED_101], [], rules)
    assert isinstance(owed, Owed) and owed.channel is Channel.NON_EMERGENCY


def test_an_abandon_at_2355_on_the_clock_change_day_counts_in_that_day() -> None:
    # 25 October 2026: the clocks went back at 02:00; 23:55 London is 23:55 UTC.
    queued = int(datetime(2026, 10, 25, 23, 54, 30, tzinfo=UTC).timestamp()) * S
    abandoned = queued + 30 * S
    called = int(datetime(2026, 10, 26, 0, 4, tzinfo=UTC).timestamp()) * S  # 9 min later
    owed = owed_callback(
        [LegSeen(Channel.EMERGENCY, queued, abandoned_us=abandoned)],
        [Attempt(called, O.REACHED)],
        RULES,
    )
    assert isinstance(owed, Owed)
    assert london_day(owed.offered_us) == date(2026, 10, 25)
    assert london_day(called) == date(2026, 10, 26)
    assert (owed.first_attempt_within, owed.resolved_within) == (True, True)


def test_live_view_follows_the_clock() -> None:
    owed = owed_callback([abandoned_999()], tries((15, O.NO_ANSWER)), RULES)
    assert isinstance(owed, Owed)
    target = RULES.first_attempt_us
    at = {minutes: OWED_AT + round(minutes * M) for minutes in (0, 7.9, 8, 10, 10.5, 15, 24 * 60)}
    assert [owed.about_to_breach(at[m], target) for m in (0, 7.9, 8, 10, 10.5)] == [
        False, False, True, True, False,
    ]  # fmt: skip
    assert [owed.breached(at[m]) for m in (8, 10, 10.5, 15)] == [False, False, True, False]
    assert [owed.open_at(at[m]) for m in (0, 15, 24 * 60)] == [True, True, False]


outcomes = st.sampled_from(list(O))


@given(
    st.lists(st.tuples(st.integers(0, 3 * 3600), outcomes), max_size=6),
    st.integers(0, 3600),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_the_order_legs_and_attempts_are_seen_in_changes_nothing(
    attempt_s, answered_after_s, transferred, rng
) -> None:
    legs = [abandoned_999()]
    if transferred:
        legs.append(
            LegSeen(Channel.EMERGENCY, OWED_AT + S, answered_us=OWED_AT + answered_after_s * S)
        )
    attempts = [Attempt(OWED_AT + s * S, outcome) for s, outcome in attempt_s]
    expected = owed_callback(legs, attempts, RULES)
    rng.shuffle(legs)
    rng.shuffle(attempts)
    assert owed_callback(legs, attempts, RULES) == expected
