"""Rule documents: recording and alerting rules, as Prometheus reads them."""

from dataclasses import dataclass, field

from streams.alerting.burn import Severity

RUNBOOK = "docs/runbook.md"


@dataclass(frozen=True)
class Record:
    record: str
    expr: str

    def document(self) -> dict:
        return {"record": self.record, "expr": self.expr}


@dataclass(frozen=True)
class Alert:
    """One alerting rule. Several rules may share a name (one per queue, say): the
    runbook has one section per name, and Alertmanager groups and inhibits by it."""

    name: str
    expr: str
    for_: str
    severity: Severity
    summary: str
    """One line with the value, as the duty officer reads it on a pager."""
    description: str
    labels: dict[str, str] = field(default_factory=dict)
    """Static labels besides severity; values from closed sets only."""

    @property
    def anchor(self) -> str:
        """The runbook section: a heading that is the alert's name."""
        return self.name.lower()

    def document(self, runbook_url: str) -> dict:
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.for_,
            "labels": {"severity": self.severity, **dict(sorted(self.labels.items()))},
            "annotations": {
                "summary": self.summary,
                "description": self.description,
                "runbook_url": f"{runbook_url}#{self.anchor}",
            },
        }


@dataclass(frozen=True)
class Group:
    name: str
    rules: tuple[Record | Alert, ...]
    interval: str | None = None

    def document(self, runbook_url: str) -> dict:
        doc: dict = {"name": self.name}
        if self.interval:
            doc["interval"] = self.interval
        doc["rules"] = [
            r.document(runbook_url) if isinstance(r, Alert) else r.document() for r in self.rules
        ]
        return doc
