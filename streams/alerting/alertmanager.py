"""The Alertmanager configuration: pages to the pager at any hour, tickets to the team's
chat in Europe/London office hours only, grouped by the KPI's dimensions, with pages
silencing the ticket for the same thing and a dead or stale pipeline silencing the
KPI alerts it would otherwise cause.

Secrets never appear here: the PagerDuty routing key and the chat webhook URL are
files Alertmanager reads at each notification (``routing_key_file``, ``api_url_file``),
put there by the deployment (Compose secrets from the environment, ``deploy/run-local``
from ``CCM_*`` variables).
"""

from dataclasses import dataclass, field

GROUP_BY = (
    "alertname",
    "severity",
    "channel",
    "queue",
    "policy",
    "response",
    "grade",
    "category",
    "family",
    "reason",
)
"""Every dimension an alert may carry: one notification per queue, grade or family."""

WORKER_GONE = ("CcmWorkerDown", "CcmWorkersAbsent")
FAMILY_BROKEN = ("CcmEventsStale", "CcmConsumerStalled")
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"


@dataclass(frozen=True)
class OfficeHours:
    """When tickets may be sent; pages ignore it."""

    weekdays: tuple[str, ...] = ("monday:friday",)
    start: str = "08:00"
    end: str = "18:00"
    location: str = "Europe/London"


@dataclass(frozen=True)
class Delivery:
    """Where notifications go and how soon. The defaults are production's; the
    end-to-end test builds a copy from the same code with its own receiver and
    seconds instead of minutes."""

    secrets_dir: str = "/run/secrets"
    pagerduty_url: str = PAGERDUTY_URL
    page_group_wait: str = "10s"
    ticket_group_wait: str = "1m"
    group_interval: str = "5m"
    page_repeat: str = "1h"
    ticket_repeat: str = "24h"
    office_hours: OfficeHours = field(default_factory=OfficeHours)


def _first(annotation: str) -> str:
    return f"{{{{ (index .Alerts 0).Annotations.{annotation} }}}}"


def alertmanager_config(delivery: Delivery) -> dict:
    hours = delivery.office_hours
    page = {
        "routing_key_file": f"{delivery.secrets_dir}/pagerduty_routing_key",
        "url": delivery.pagerduty_url,
        "send_resolved": True,
        "severity": "critical",
        "description": _first("summary"),
        "details": {
            "alertname": "{{ .CommonLabels.alertname }}",
            "grade": "{{ .CommonLabels.grade }}",
            "response": "{{ .CommonLabels.response }}",
            "channel": "{{ .CommonLabels.channel }}",
            "queue": "{{ .CommonLabels.queue }}",
            "family": "{{ .CommonLabels.family }}",
            "description": _first("description"),
            "runbook_url": _first("runbook_url"),
            "firing": '{{ template "pagerduty.default.instances" .Alerts.Firing }}',
        },
        "links": [{"href": _first("runbook_url"), "text": "Runbook"}],
    }
    ticket = {
        "api_url_file": f"{delivery.secrets_dir}/ticket_webhook_url",
        "send_resolved": True,
        "title": "{{ .Status | toUpper }}: {{ .CommonLabels.alertname }}",
        "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n"
        "{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}",
    }
    equal_dimensions = [d for d in GROUP_BY if d != "severity"]
    return {
        "route": {
            "receiver": "ticket",
            "group_by": list(GROUP_BY),
            "group_wait": delivery.ticket_group_wait,
            "group_interval": delivery.group_interval,
            "repeat_interval": delivery.ticket_repeat,
            "routes": [
                {
                    "matchers": ['severity="page"'],
                    "receiver": "pager",
                    "group_wait": delivery.page_group_wait,
                    "repeat_interval": delivery.page_repeat,
                },
                {
                    "matchers": ['severity="ticket"'],
                    "receiver": "ticket",
                    "active_time_intervals": ["office-hours"],
                },
            ],
        },
        "inhibit_rules": [
            {
                # A page says it all: no ticket for the same queue, grade or family.
                "source_matchers": ['severity="page"'],
                "target_matchers": ['severity="ticket"'],
                "equal": equal_dimensions,
            },
            {
                # With no worker, figures vanish or freeze: never page "service level 0 %".
                "source_matchers": [f'alertname=~"{"|".join(WORKER_GONE)}"'],
                "target_matchers": ['kind="kpi"'],
            },
            {
                "source_matchers": [f'alertname=~"{"|".join(FAMILY_BROKEN)}"'],
                "target_matchers": ['kind="kpi"'],
                "equal": ["family"],
            },
        ],
        "receivers": [
            {"name": "pager", "pagerduty_configs": [page]},
            {"name": "ticket", "slack_configs": [ticket]},
        ],
        "time_intervals": [
            {
                "name": "office-hours",
                "time_intervals": [
                    {
                        "weekdays": list(hours.weekdays),
                        "times": [{"start_time": hours.start, "end_time": hours.end}],
                        "location": hours.location,
                    }
                ],
            }
        ],
    }
