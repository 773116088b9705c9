"""Staffing per queue and interval, planned with Erlang A on the forecast demand.

A resource planner rosters enough handlers for each quarter hour to give the
queue's planned average wait on the *forecast* demand, not on what actually
arrives: a surge or a sickness shortfall shows in the KPIs, as it would.
"""

import math
from functools import lru_cache

from streams.core.erlang import erlang_a
from streams.simulate.config import Pool


@lru_cache(maxsize=4096)
def planned_agents(pool: Pool, arrival_per_second: float) -> int:
    """Handlers whose Erlang A average wait is nearest (on a log scale) the planned wait."""
    if arrival_per_second <= 0:
        return 1
    target = pool.planned_wait_seconds
    traffic = arrival_per_second * pool.handle_seconds
    agents = max(1, math.floor(traffic * 0.5))
    previous: float | None = None
    while True:
        wait = erlang_a(
            agents, arrival_per_second, pool.handle_seconds, pool.patience_seconds
        ).average_speed_of_answer
        if wait <= target:
            if previous is None or agents == 1:
                return agents
            # Nearer of the two on a log scale; a wait of 0 is "infinitely" short.
            below = math.log(target / wait) if wait > 0 else math.inf
            above = math.log(previous / target)
            return agents if below <= above else agents - 1
        previous = wait
        agents += 1


def rostered(pool: Pool, forecast_per_second: float, staffing_factor: float) -> int:
    """Handlers on duty: the plan times the share who turn up (at least one)."""
    return max(1, round(planned_agents(pool, round(forecast_per_second, 9)) * staffing_factor))
