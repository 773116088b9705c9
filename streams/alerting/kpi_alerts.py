"""KPI alerts: service level, abandonment and incidents met, as burn rates over two windows.

One rule per queue (and per incident response) and severity, so each carries the
factor fitted to every objective the targets file gives it, while the objective
itself is read from the target series in force (``ccm_*_objective_ratio``). A quiet
hour never pages: each pair needs a minimum volume in its long window, and an empty
short window (no outcome in it) never burns.
"""

from schemas import Area, Channel, Queue
from streams.alerting import recording as r
from streams.alerting.burn import BurnPair, fitted_factor, fmt
from streams.alerting.rules import Alert
from streams.core.families import STANDARD_QUEUES
from streams.core.targets import Response, Targets
from streams.core.timebase import Window

W = Window
CALL_PAIRS = (
    BurnPair("page", W.LAST_1H, W.LAST_15M, 3.0, "2m", 20),
    BurnPair("ticket", W.LAST_24H, W.LAST_1H, 1.0, "15m", 100),
)
CHAT_PAIRS = (
    BurnPair("page", W.LAST_1H, W.LAST_15M, 3.0, "2m", 10),
    BurnPair("ticket", W.LAST_24H, W.LAST_1H, 1.0, "15m", 50),
)
INCIDENT_FACTORS = (("page", 3.0, "5m"), ("ticket", 1.0, "30m"))
INCIDENT_MIN_VOLUME = 10
WINDOW_MINUTES = {W.LAST_15M: 15, W.LAST_1H: 60, W.LAST_24H: 1440}
WINDOW_WORDS = {W.LAST_15M: "15 minutes", W.LAST_1H: "hour", W.LAST_24H: "24 hours"}

QUEUE_NAMES = {
    Queue.FCR: "the Force Control Room",
    Queue.SWITCHBOARD: "the switchboard",
    Queue.RESOLUTION_CENTRE: "the Resolution Centre",
}


def pct(ratio: float) -> str:
    return f"{ratio * 100:.4g} %"


def seconds_words(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds >= 120 and seconds % 60 == 0 else f"{seconds} s"


def times(factor: float) -> str:
    return "as fast" if factor == 1 else f"{fmt(factor)} times as fast"


def _selector(match: dict[str, str], window: Window | None = None) -> str:
    pairs = dict(match) | ({"window": window.value} if window else {})
    return "{" + ",".join(f'{k}="{v}"' for k, v in pairs.items()) + "}" if pairs else ""


def burn_expr(
    pair: BurnPair,
    factor: float,
    ratio: str,
    objective: str,
    volume: str,
    match: dict[str, str],
    on: str,
    good: bool,
) -> str:
    """Both windows past the threshold the factor gives, and enough volume in the long one.

    ``good``: the ratio is a share met (burning means below 1 - F x (1 - objective));
    otherwise it is a share of misses such as abandonment (above F x objective)."""
    sel = _selector(match)
    if good:
        threshold = f"(1 - {fmt(factor)} * (1 - {objective}{sel}))"
        op = "<"
    else:
        threshold = f"({fmt(factor)} * {objective}{sel})"
        op = ">"
    windows = [
        f"{ratio}{_selector(match, w)} {op} on ({on}) group_left () {threshold}"
        for w in dict.fromkeys((pair.long, pair.short))
    ]
    guard = f"{volume}{_selector(match, pair.long)} >= {pair.min_volume}"
    return f"\nand on ({on})\n".join([*windows, guard])


def _sets_for(targets: Targets, channel: Channel, queue: Queue):
    return [calls.resolve(channel, queue) for calls in targets.call_handling]


def call_alerts(targets: Targets) -> list[Alert]:
    alerts = []
    for channel, queue in STANDARD_QUEUES:
        resolved = _sets_for(targets, channel, queue)
        current = resolved[-1]
        match = {"channel": channel.value, "queue": queue.value}
        where = f"{channel.value} calls at {QUEUE_NAMES[queue]}"
        within = seconds_words(current.answer_within_us // 1_000_000)
        for pair in CALL_PAIRS:
            budgets = [1 - t.service_level_objective for t in resolved]
            factor = fitted_factor(pair.factor, budgets)
            below = 1 - factor * (1 - current.service_level_objective)
            alerts.append(
                Alert(
                    "CallServiceLevelBurning",
                    burn_expr(
                        pair, factor, r.CALL_REPORTED, r.CALL_SL_OBJECTIVE, r.CALL_OUTCOMES,
                        match, "channel, queue", good=True,
                    ),
                    pair.for_,
                    pair.severity,
                    f"{where}: {{{{ $value | humanizePercentage }}}} answered within {within} "
                    f"in the last {WINDOW_WORDS[pair.long]}",
                    f"Service level ({{{{ $labels.formula }}}}) over the last "
                    f"{WINDOW_WORDS[pair.long]} and the last {WINDOW_WORDS[pair.short]} is "
                    f"below {pct(below)}: misses are arriving {times(factor)} as "
                    f"the {pct(current.service_level_objective)} objective allows. Not raised "
                    f"below {pair.min_volume} calls answered or abandoned in the "
                    f"{WINDOW_WORDS[pair.long]}.",
                    {"kind": "kpi", "family": "calls", **match},
                )
            )  # fmt: skip
            objectives = [t.abandonment_objective for t in resolved]
            if None in objectives or current.abandonment_objective is None:
                continue
            factor = fitted_factor(pair.factor, [o for o in objectives if o is not None])
            if factor * current.abandonment_objective >= 1:
                continue  # an objective every queue meets: nothing to burn
            above = factor * current.abandonment_objective
            alerts.append(
                Alert(
                    "CallAbandonmentHigh",
                    burn_expr(
                        pair, factor, r.CALL_ABANDONMENT, r.CALL_ABANDONMENT_OBJECTIVE,
                        r.CALL_OUTCOMES, match, "channel, queue", good=False,
                    ),
                    pair.for_,
                    pair.severity,
                    f"{where}: {{{{ $value | humanizePercentage }}}} of callers hung up before "
                    f"an answer in the last {WINDOW_WORDS[pair.long]}",
                    f"Abandonment over the last {WINDOW_WORDS[pair.long]} and the last "
                    f"{WINDOW_WORDS[pair.short]} is above {pct(above)}: {fmt(factor)} x the "
                    f"{pct(current.abandonment_objective)} objective. Not raised below "
                    f"{pair.min_volume} calls answered or abandoned in the "
                    f"{WINDOW_WORDS[pair.long]}.",
                    {"kind": "kpi", "family": "calls", **match},
                )
            )  # fmt: skip
    return alerts


def chat_alerts(targets: Targets) -> list[Alert]:
    current = targets.chat[-1]
    alerts = []
    for pair in CHAT_PAIRS:
        factor = fitted_factor(pair.factor, [1 - c.service_level_objective for c in targets.chat])
        below = 1 - factor * (1 - current.service_level_objective)
        alerts.append(
            Alert(
                "ChatServiceLevelBurning",
                burn_expr(
                    pair, factor, r.CHAT_SERVICE_LEVEL, r.CHAT_SL_OBJECTIVE, r.CHAT_OUTCOMES,
                    {}, "", good=True,
                ),
                pair.for_,
                pair.severity,
                f"Live Chat: {{{{ $value | humanizePercentage }}}} of chats accepted within "
                f"{current.accept_within_seconds} s in the last {WINDOW_WORDS[pair.long]}",
                f"Chat service level over the last {WINDOW_WORDS[pair.long]} and the last "
                f"{WINDOW_WORDS[pair.short]} is below {pct(below)}: misses are arriving "
                f"{times(factor)} as the {pct(current.service_level_objective)} "
                f"objective allows. Not raised below {pair.min_volume} chats accepted or "
                f"abandoned in the {WINDOW_WORDS[pair.long]}.",
                {"kind": "kpi", "family": "chats"},
            )
        )  # fmt: skip
    return alerts


def scoring_window(target_minutes: list[int]) -> Window:
    """The shortest window in which an incident created at its start has been scored
    (met or missed) well before its end: twice the longest target. Incidents created in
    the last few minutes are only scored when attended early, so a shorter window would
    show nothing but early successes."""
    longest = max(target_minutes, default=0)
    for window, minutes in WINDOW_MINUTES.items():
        if minutes >= 2 * longest:
            return window
    return W.LAST_24H


def incident_alerts(targets: Targets) -> list[Alert]:
    responses = sorted(
        {resp for p in targets.incident_grading for resp in p.objectives},
        key=list(Response).index,
    )
    current = targets.adopted_policies()[-1]
    alerts = []
    for response in responses:
        objectives = [
            p.objectives[response] for p in targets.incident_grading if response in p.objectives
        ]
        minutes = [
            (target_us or 0) // 60_000_000
            for p in targets.incident_grading
            for g in p.grades
            if g.response is response
            for target_us in (g.target_us(a) for a in Area)
        ]
        short = scoring_window(minutes)
        objective = current.objectives.get(response, objectives[-1])
        for severity, wanted, for_ in INCIDENT_FACTORS:
            pair = BurnPair(severity, W.LAST_24H, short, wanted, for_, INCIDENT_MIN_VOLUME)
            factor = fitted_factor(wanted, [1 - o for o in objectives])
            below = 1 - factor * (1 - objective)
            windows = " and the last ".join(
                WINDOW_WORDS[w] for w in dict.fromkeys((pair.long, pair.short))
            )
            alerts.append(
                Alert(
                    "IncidentAttendanceBurning",
                    burn_expr(
                        pair, factor, r.INCIDENTS_MET, r.INCIDENT_OBJECTIVE, r.INCIDENTS_SCORED,
                        {"response": response.value}, "policy, response", good=True,
                    ),
                    pair.for_,
                    pair.severity,
                    f"{response.value.capitalize()} incidents: "
                    "{{ $value | humanizePercentage }} attended within target in the last "
                    "24 hours ({{ $labels.policy }} grading)",
                    f"Incidents met over the last {windows} is below {pct(below)}: missed "
                    f"targets are arriving {times(factor)} as the "
                    f"{pct(objective)} objective allows. Not raised below "
                    f"{pair.min_volume} incidents scored in 24 hours.",
                    {"kind": "kpi", "family": "incidents", "response": response.value},
                )
            )  # fmt: skip
    return alerts
