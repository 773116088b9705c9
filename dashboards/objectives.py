"""The targets a dashboard is coloured by: the newest dated sets in the targets file.

The panels' target *lines* are the series the worker exports (the targets in force
today); the colours are fixed when the dashboards are built, from the newest set of
each kind, so the built files depend on the targets file only, never on the date.
Rebuild them (`ccm dashboards build`) when the targets file changes.
"""

from dataclasses import dataclass

from schemas import Category, Channel, Queue
from streams.core.targets import (
    CallbackTargets,
    ChatTargets,
    GradingPolicy,
    ResolvedQueueTarget,
    Response,
    Targets,
)


@dataclass(frozen=True)
class Objectives:
    targets: Targets

    @property
    def _calls(self):  # -> CallHandlingTargets
        return self.targets.call_handling[-1]

    def queue(self, channel: Channel, queue: Queue) -> ResolvedQueueTarget:
        return self._calls.resolve(channel, queue)

    @property
    def chat(self) -> ChatTargets:
        return self.targets.chat[-1]

    @property
    def callbacks(self) -> CallbackTargets:
        return self.targets.callbacks[-1]

    @property
    def policy(self) -> GradingPolicy:
        return self.targets.adopted_policies()[-1]

    def incidents(self, response: Response) -> float | None:
        return self.policy.objectives.get(response)

    def category_minutes(self, category: Category) -> int | None:
        target_us = self.policy.category_target_us(category)
        return None if target_us is None else target_us // 60_000_000
