"""Call-back alerts (SPEC section 4): a page when an abandoned call on a channel that owes
call-backs has had no attempt past its first-attempt target, and burn rates of the share
first attempted within target.

ccm counts call-backs owed from the abandons alone, so a force whose systems send no
``call.callback`` would show every one breached and a share of 0 %. Every alert here
therefore also asks that call-backs be in use on the channel: an attempt seen there
within the targets file's ``in_use_within_days``.
"""

from streams.alerting import recording as r
from streams.alerting.burn import BurnPair, fitted_factor, fmt
from streams.alerting.kpi_alerts import WINDOW_WORDS, pct, scoring_window, times
from streams.alerting.rules import Alert
from streams.core.families.calls import CALLBACKS_BREACHED
from streams.core.targets import Targets
from streams.core.timebase import Window

W = Window
BREACH_FOR = "2m"
"""Long enough for an attempt made on the deadline to reach the workers, short beside
the caller's wait (which is already past the target)."""
FACTORS = (("page", 3.0, "5m"), ("ticket", 1.0, "30m"))
MIN_VOLUME = 10
"""Fewest call-backs owed in 24 hours before a burn rate may fire. A force's 999 line
owes a handful an hour, too few for a one-hour long window (the calls' page): the
long window is the day, as for incidents."""
IN_USE_WINDOW = W.LAST_24H


def in_use(channel: str, days: int) -> str:
    """True while an attempt has been seen on the channel within ``days`` days. The
    attempts are those of the call-backs owed in the last 24 hours, so one stays in
    view for up to a day after it is made: in use lasts ``days`` to ``days`` + 1."""
    attempts = f'{r.CALLBACK_ATTEMPTS}{{channel="{channel}",window="{IN_USE_WINDOW.value}"}}'
    return f"max_over_time({attempts}[{days}d]) > 0"


def _selector(channel: str, window: Window) -> str:
    return f'{{channel="{channel}",window="{window.value}"}}'


def _burn_expr(pair: BurnPair, factor: float, objective: float, channel: str, days: int) -> str:
    # The objective is a number from the targets file, not a series (the worker exposes
    # none), so the threshold is plain arithmetic and needs no vector matching.
    threshold = f"(1 - {fmt(factor)} * (1 - {fmt(objective)}))"
    windows = [
        f"{r.CALLBACK_FIRST_ATTEMPT}{_selector(channel, w)} < {threshold}"
        for w in dict.fromkeys((pair.long, pair.short))
    ]
    guard = f"{r.CALLBACKS_OWED}{_selector(channel, pair.long)} >= {pair.min_volume}"
    return "\nand on (channel)\n".join([*windows, guard, in_use(channel, days)])


def callback_alerts(targets: Targets) -> list[Alert]:
    current = targets.callbacks[-1]
    within = f"{current.first_attempt_within_minutes} min"
    days = current.in_use_within_days
    # Twice the longest first-attempt target, as the incidents' short window: one owed in
    # its last minutes is still in time, and counts as a miss until attempted.
    short = scoring_window([c.first_attempt_within_minutes for c in targets.callbacks])
    budgets = [1 - c.first_attempt_objective for c in targets.callbacks]
    alerts = []
    for channel in (c.value for c in current.channels):
        labels = {"family": "calls", "channel": channel}
        alerts.append(
            Alert(
                "CallbackFirstAttemptBreached",
                f'sum by (channel) ({CALLBACKS_BREACHED.name}{{channel="{channel}"}}) > 0\n'
                f"and on (channel)\n{in_use(channel, days)}",
                BREACH_FOR,
                "page",
                f"{{{{ $value }}}} abandoned {channel} call(s) with no call-back attempted "
                f"within {within}",
                f"A caller who hung up on {channel} is owed a call-back (they may be unable to "
                f"speak), and none has been attempted within the {within} target. Raised "
                f"only while call-backs are in use on {channel} calls (one attempted within "
                f"the last {days} days).",
                {"kind": "callback", **labels},
            )
        )
        for severity, wanted, for_ in FACTORS:
            pair = BurnPair(severity, W.LAST_24H, short, wanted, for_, MIN_VOLUME)
            factor = fitted_factor(wanted, budgets)
            objective = current.first_attempt_objective
            below = 1 - factor * (1 - objective)
            windows = " and the last ".join(
                WINDOW_WORDS[w] for w in dict.fromkeys((pair.long, pair.short))
            )
            alerts.append(
                Alert(
                    "CallbackFirstAttemptBurning",
                    _burn_expr(pair, factor, objective, channel, days),
                    pair.for_,
                    pair.severity,
                    f"{channel} call-backs: {{{{ $value | humanizePercentage }}}} first "
                    f"attempted within {within} in the last {WINDOW_WORDS[pair.long]}",
                    f"Call-backs owed on abandoned {channel} calls first attempted within "
                    f"{within}, over the last {windows}, are below {pct(below)}: misses are "
                    f"arriving {times(factor)} as the {pct(objective)} objective allows. Not "
                    f"raised below {pair.min_volume} call-backs owed in 24 hours, nor while "
                    f"none has been attempted on {channel} calls for {days} days.",
                    {"kind": "kpi", **labels},
                )
            )
    return alerts
