"""Erlang C and A against a published worked example, limits and properties."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.core import erlang

# The worked example: 100 calls in 30 minutes, 180 s average handling time, target
# 80 % answered within 20 s. Traffic 100 * 180 / 1800 = 10 erlangs; 14 agents give
# P(wait) 0.1741, service level 0.8884 and ASA 7.84 s; 13 agents fall short (0.7956).
CALLS, PERIOD, AHT, TARGET = 100, 1800, 180, 20


def test_traffic_of_the_worked_example() -> None:
    assert erlang.traffic_erlangs(CALLS, PERIOD, AHT) == 10.0


def test_worked_example_fourteen_agents() -> None:
    assert erlang.erlang_c(14, 10.0) == pytest.approx(0.1741, abs=5e-5)
    assert erlang.service_level(14, 10.0, AHT, TARGET) == pytest.approx(0.8884, abs=5e-5)
    assert erlang.average_speed_of_answer(14, 10.0, AHT) == pytest.approx(7.84, abs=5e-3)


def textbook_erlang_c(agents: int, traffic: float) -> float:
    """The closed form with factorials, independent of the module's recursion."""
    top = traffic**agents / math.factorial(agents) * agents / (agents - traffic)
    below = sum(traffic**k / math.factorial(k) for k in range(agents))
    return top / (below + top)


@pytest.mark.parametrize("agents", [11, 12, 13, 14, 15, 20])
def test_erlang_c_matches_the_textbook_formula(agents: int) -> None:
    assert erlang.erlang_c(agents, 10.0) == pytest.approx(textbook_erlang_c(agents, 10.0))
    expected = 1 - textbook_erlang_c(agents, 10.0) * math.exp(-(agents - 10) * TARGET / AHT)
    assert erlang.service_level(agents, 10.0, AHT, TARGET) == pytest.approx(expected)


def test_worked_example_agents_needed() -> None:
    # 13 agents give 0.7956 < 0.8; 14 give 0.8884.
    assert erlang.service_level(13, 10.0, AHT, TARGET) == pytest.approx(0.7956, abs=5e-5)
    assert erlang.agents_needed(CALLS, PERIOD, AHT, TARGET, 0.80) == 14
    # 90 % needs one more: 15 agents give 0.9415.
    assert erlang.service_level(15, 10.0, AHT, TARGET) == pytest.approx(0.9415, abs=5e-5)
    assert erlang.agents_needed(CALLS, PERIOD, AHT, TARGET, 0.90) == 15


@pytest.mark.parametrize(
    ("agents", "traffic", "expected"),
    [
        # Erlang B by hand: B(1, 1) = 1/2; B(2, 1) = (1/2)/(2 + 1/2) = 1/5.
        (1, 1.0, 0.5),
        (2, 1.0, 0.2),
        (0, 3.0, 1.0),
    ],
)
def test_erlang_b_small_cases(agents: int, traffic: float, expected: float) -> None:
    assert erlang.erlang_b(agents, traffic) == pytest.approx(expected)


def test_erlang_c_single_agent_is_the_utilisation() -> None:
    # M/M/1: the probability of waiting is the load.
    assert erlang.erlang_c(1, 0.6) == pytest.approx(0.6)
    assert erlang.average_speed_of_answer(1, 0.6, 100) == pytest.approx(0.6 * 100 / 0.4)


def test_overloaded_queue() -> None:
    assert erlang.erlang_c(10, 10.0) == 1.0
    assert erlang.service_level(9, 10.0, AHT, TARGET) == 0.0
    assert erlang.average_speed_of_answer(10, 10.0, AHT) == math.inf


def test_no_calls_need_no_agents() -> None:
    assert erlang.agents_needed(0, 900, 240, 10, 0.9) == 0


def test_bad_arguments_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        erlang.agents_needed(10, 900, 240, 10, 90)
    with pytest.raises(ValueError, match="period_seconds"):
        erlang.traffic_erlangs(10, 0, 240)


@given(
    traffic=st.floats(min_value=0.1, max_value=60),
    extra=st.integers(min_value=1, max_value=30),
    target=st.floats(min_value=0, max_value=600),
    aht=st.floats(min_value=10, max_value=1200),
)
def test_more_agents_never_lower_the_service_level(
    traffic: float, extra: int, target: float, aht: float
) -> None:
    agents = math.floor(traffic) + extra
    one = erlang.service_level(agents, traffic, aht, target)
    more = erlang.service_level(agents + 1, traffic, aht, target)
    assert 0.0 <= one <= more <= 1.0
    assert erlang.average_speed_of_answer(agents + 1, traffic, aht) <= (
        erlang.average_speed_of_answer(agents, traffic, aht)
    )


@given(
    calls=st.integers(min_value=1, max_value=2000),
    target=st.sampled_from([10, 20, 30, 300]),
    objective=st.sampled_from([0.8, 0.9, 0.95]),
)
def test_agents_needed_is_the_fewest_that_meet_the_target(
    calls: int, target: int, objective: float
) -> None:
    agents = erlang.agents_needed(calls, 3600, 240, target, objective)
    traffic = erlang.traffic_erlangs(calls, 3600, 240)
    assert erlang.service_level(agents, traffic, 240, target) >= objective
    assert agents == 1 or erlang.service_level(agents - 1, traffic, 240, target) < objective


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    queue = erlang.erlang_a(14, CALLS / PERIOD, AHT, patience_seconds=1e9)
    assert queue.probability_wait == pytest.approx(0.1741, abs=5e-5)
    assert queue.average_speed_of_answer == pytest.approx(7.84, abs=5e-3)
    assert queue.service_level(TARGET) == pytest.approx(0.8884, abs=5e-4)
    assert queue.probability_abandon == pytest.approx(0.0, abs=1e-5)


def test_erlang_a_single_agent_by_hand() -> None:
    # M/M/1+M with mu = gamma = 1/100 s: the chain's death rate from k calls is k/100,
    # so the number in the system is Poisson(lambda * 100) = Poisson(0.5).
    # P(wait) = 1 - e^-0.5; queue length E[(N-1)+] = 0.5 - (1 - e^-0.5);
    # P(abandon) = gamma * E[queue] / lambda.
    queue = erlang.erlang_a(1, 0.005, 100, 100)
    p_wait = 1 - math.exp(-0.5)
    assert queue.probability_wait == pytest.approx(p_wait, rel=1e-9)
    assert queue.probability_abandon == pytest.approx((0.5 - p_wait) / 0.5, rel=1e-9)


def test_erlang_a_answered_plus_abandoned_is_everyone() -> None:
    queue = erlang.erlang_a(10, CALLS / PERIOD, AHT, patience_seconds=300)
    # Everyone is answered eventually or hangs up: service level at an endless target.
    assert queue.service_level(1e6) + queue.probability_abandon == pytest.approx(1.0, abs=1e-6)
    assert queue.service_level(0) == pytest.approx(1 - queue.probability_wait)


@given(
    agents=st.integers(min_value=1, max_value=25),
    rate=st.floats(min_value=0.001, max_value=0.2),
    patience=st.floats(min_value=30, max_value=3600),
)
def test_erlang_a_more_agents_fewer_abandons_and_better_service(
    agents: int, rate: float, patience: float
) -> None:
    one = erlang.erlang_a(agents, rate, 180, patience)
    more = erlang.erlang_a(agents + 1, rate, 180, patience)
    assert more.probability_abandon <= one.probability_abandon + 1e-12
    assert more.average_speed_of_answer <= one.average_speed_of_answer + 1e-9
    assert more.service_level(20) >= one.service_level(20) - 1e-9
