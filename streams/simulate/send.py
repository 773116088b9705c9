"""Hand simulated events to a sender, paced against their event time."""

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from schemas import Family
from streams.replay import Pacer, Send
from streams.simulate.model import SimEvent


def send_events(
    events: Iterable[SimEvent],
    send: Send,
    topic_for: Callable[[Family], str],
    pacer: Pacer | None = None,
    start: datetime | None = None,
    progress: Callable[[SimEvent], None] = lambda _event: None,
) -> Counter[str]:
    """Send each event to its family's topic, keyed by its lifecycle id.

    With a pacer, an event goes when its event time comes round (at the pacer's speed),
    counted from ``start``: the simulation's start is the pacer's "now".
    """
    sent: Counter[str] = Counter()
    if pacer is not None and start is not None:
        pacer.wait_for(start)
    for event in events:
        if pacer is not None:
            pacer.wait_for(datetime.fromtimestamp(event.at_ms / 1000, UTC))
        topic = topic_for(event.family)
        send(topic, event.key.encode(), event.to_json())
        sent[topic] += 1
        progress(event)
    return sent
