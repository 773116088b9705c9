"""Green, amber and red from the targets file, so a panel never carries a target of its own.

Amber is "missing the target, but by less than half the allowance again": for a 90 %
service level (allowance 10 %), amber from 85 % to 90 %; for abandonment under 2 %,
amber from 2 % to 3 %. A wait turns amber at 80 % of its target, as an incident is
"about to breach" at 80 % of its attendance target (docs/kpis.md), and red at it.
"""

from dataclasses import dataclass

GREEN, AMBER, RED, NEUTRAL = "green", "orange", "red", "blue"
_AMBER_SHARE_OF_ALLOWANCE = 1.5
_AMBER_SHARE_OF_WAIT = 0.8


@dataclass(frozen=True)
class Step:
    """From ``value`` upwards (None: from minus infinity), this colour."""

    value: float | None
    color: str


Steps = tuple[Step, ...]


def at_least(objective: float) -> Steps:
    """A share that should reach ``objective`` (service level, incidents met)."""
    allowance = 1 - objective
    return (
        Step(None, RED),
        Step(round(1 - _AMBER_SHARE_OF_ALLOWANCE * allowance, 6), AMBER),
        Step(objective, GREEN),
    )


def at_most(objective: float) -> Steps:
    """A share that should stay under ``objective`` (abandonment)."""
    return (
        Step(None, GREEN),
        Step(objective, AMBER),
        Step(round(_AMBER_SHARE_OF_ALLOWANCE * objective, 6), RED),
    )


def wait_within(target_seconds: float) -> Steps:
    """A wait that should stay within ``target_seconds`` (oldest call, ASA)."""
    return (
        Step(None, GREEN),
        Step(round(_AMBER_SHARE_OF_WAIT * target_seconds, 6), AMBER),
        Step(target_seconds, RED),
    )


def none_wanted() -> Steps:
    """A count that should be zero (incidents about to breach, breached)."""
    return (Step(None, GREEN), Step(1, RED))


def neutral() -> Steps:
    """A figure with no target: one colour."""
    return (Step(None, NEUTRAL),)
