"""The four families of lifecycles ccm counts (calls, chats, reports, incidents), each
declared once, in a module of its own here.

A declaration (`FamilySpec`) names the family's ledger and the stale rule it takes, the
settings field of its topic, and its tallies (`Row`): each count with the gauge it
shows as (name, help, labels, µs shown as seconds) and the monthly pack field it fills.
Beside the counts it names the family's other figures: what waits now, the targets in
force, what counts towards channel share. The catalog, the live figures, the monthly
pack and the topic settings all read these declarations, so a count is named in one
place and no module asks which family it holds.
"""

from schemas import Family
from streams.core.families.calls import (
    CALL_ROW,
    CALLBACK_ATTEMPT_ROW,
    CALLBACK_ROW,
    CALLBACKS_NOT_OWED_ROW,
    CALLS,
    FIRST_LEG_ROW,
    LEG_ROW,
    STANDARD_QUEUES,
)
from streams.core.families.chats import CHAT_ROW, CHATS
from streams.core.families.declare import (
    CONTACTS,
    Count,
    FamilySpec,
    MetricSpec,
    Now,
    Quiet,
    Row,
    gauge,
)
from streams.core.families.incidents import INCIDENT_ROW, INCIDENTS
from streams.core.families.reports import REPORT_ROW, REPORTS

FAMILIES: dict[Family, FamilySpec] = {
    spec.family: spec for spec in (CALLS, CHATS, REPORTS, INCIDENTS)
}
"""Every family ccm consumes, in the order they are shown."""

CONTACT_CHANNELS = tuple(
    channel for spec in FAMILIES.values() if spec.contacts for channel in spec.contacts.channels
)
"""Channel share's channels: 999, 101, chat, online."""

__all__ = [
    "CALLBACKS_NOT_OWED_ROW",
    "CALLBACK_ATTEMPT_ROW",
    "CALLBACK_ROW",
    "CALLS",
    "CALL_ROW",
    "CHATS",
    "CHAT_ROW",
    "CONTACTS",
    "CONTACT_CHANNELS",
    "FAMILIES",
    "FIRST_LEG_ROW",
    "INCIDENTS",
    "INCIDENT_ROW",
    "LEG_ROW",
    "REPORTS",
    "REPORT_ROW",
    "STANDARD_QUEUES",
    "Count",
    "FamilySpec",
    "MetricSpec",
    "Now",
    "Quiet",
    "Row",
    "gauge",
]
