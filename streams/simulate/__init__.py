"""Synthetic events of a force's contact centre and incidents (``ccm simulate``)."""

from streams.simulate.config import DEFAULT_SCENARIO, SCENARIOS, Callbacks, SimulationConfig
from streams.simulate.model import SimEvent, Simulation, simulate

__all__ = [
    "DEFAULT_SCENARIO",
    "SCENARIOS",
    "Callbacks",
    "SimEvent",
    "Simulation",
    "SimulationConfig",
    "simulate",
]
