"""Builders of contract events for tests: valid by default, overridable per field."""

import itertools
import json
from typing import Any

_ids = itertools.count(1)

REQUIRED: dict[str, dict[str, Any]] = {
    "call.queued": {"call_id": "c-1", "channel": "999", "queue": "fcr"},
    "call.answered": {"call_id": "c-1", "queue": "fcr"},
    "call.abandoned": {"call_id": "c-1", "queue": "fcr"},
    "call.ended": {"call_id": "c-1"},
    "call.callback": {"call_id": "c-1", "outcome": "reached"},
    "chat.requested": {"chat_id": "ch-1"},
    "chat.accepted": {"chat_id": "ch-1"},
    "chat.abandoned": {"chat_id": "ch-1"},
    "chat.ended": {"chat_id": "ch-1"},
    "report.submitted": {"report_id": "r-1", "report_type": "asb"},
    "report.triaged": {"report_id": "r-1"},
    "incident.created": {
        "incident_id": "i-1",
        "grade": 1,
        "area": "urban",
        "category": "robbery",
    },
    "incident.regraded": {"incident_id": "i-1", "grade": 3},
    "incident.attended": {"incident_id": "i-1"},
    "incident.closed": {"incident_id": "i-1"},
}


def event(event_type: str, occurred_at: str = "2026-03-29T01:30:00+00:00", **fields: Any) -> dict:
    body = {
        "event_id": f"ev-{next(_ids)}",
        "event_type": event_type,
        "occurred_at": occurred_at,
        "schema_version": 1,
        "source": "cti",
        **REQUIRED[event_type],
    }
    body.update(fields)
    return body


def raw(body: dict) -> bytes:
    return json.dumps(body).encode()
