"""Online reports (Single Online Home): submitted -> triaged, by report type.

A report still untriaged after the longest credible wait (``stale_us``, 30 days by
default) stops awaiting triage: it stays in the volume it was counted in (it was
submitted), is never timed, and is forgotten with its month, so state stays bounded.
"""

from dataclasses import dataclass
from enum import IntEnum

from schemas import Envelope, RejectReason, ReportSubmitted, ReportTriaged, ReportType
from streams.core.ledger import Conflict, DeadLetter, Ledger, Lifecycle, pack, unpack
from streams.core.tally import Contribution


class ReportCount(IntEnum):
    SUBMITTED = 0
    TRIAGED = 1
    TRIAGE_US_SUM = 2


@dataclass(slots=True)
class Report(Lifecycle):
    submitted_us: int | None = None
    report_type: ReportType | None = None
    triaged_us: int | None = None
    unmatched_raw: bytes | None = None
    expired: bool = False
    """Untriaged past the stale limit: no longer awaiting triage."""

    def __init__(
        self,
        submitted_us: int | None = None,
        report_type: ReportType | None = None,
        triaged_us: int | None = None,
        unmatched_raw: bytes | None = None,
        expired: bool = False,
    ) -> None:
        Lifecycle.__init__(self)
        self.submitted_us = submitted_us
        self.report_type = report_type
        self.triaged_us = triaged_us
        self.unmatched_raw = unmatched_raw
        self.expired = expired


class ReportLedger(Ledger):
    tally_widths: tuple[int, ...] = (len(ReportCount),)

    def new(self) -> Report:
        return Report()

    def update(self, report: Report, event: Envelope, event_us: int, raw: bytes) -> None:
        if isinstance(event, ReportSubmitted):
            if report.submitted_us is not None:
                raise Conflict("the report was already submitted")
            report.submitted_us, report.report_type = event_us, ReportType(event.report_type)
            report.unmatched_raw = None
        elif isinstance(event, ReportTriaged):
            if report.triaged_us is not None:
                raise Conflict("the report was already triaged")
            report.triaged_us = event_us
            report.unmatched_raw = None if report.submitted_us is not None else raw

    def contributions(self, report: Report) -> tuple[Contribution, ...]:
        if report.submitted_us is None or report.report_type is None:
            return (Contribution(),)
        dim = (report.report_type,)
        if report.triaged_us is None:
            vector = (1, 0, 0)
            waits: tuple = ()
        else:
            wait = max(0, report.triaged_us - report.submitted_us)
            vector = (1, 1, wait)
            waits = ((dim, report.submitted_us, wait),)
        return (Contribution(((dim, report.submitted_us, vector),), waits),)

    def overdue_after(self, report: Report) -> int | None:
        if report.submitted_us is None:
            if report.unmatched_raw is not None and report.triaged_us is not None:
                return report.triaged_us + self.grace_us
            return None
        return self._stale_after(report)

    def _stale_after(self, report: Report) -> int | None:
        """Until when a submitted report awaits triage."""
        if report.submitted_us is None or report.triaged_us is not None or report.expired:
            return None
        return report.submitted_us + self.stale_us

    def _stale(self, report: Report, stream_us: int) -> bool:
        after = self._stale_after(report)
        return after is not None and after < stream_us

    def expire(self, report: Report, stream_us: int) -> list[DeadLetter]:
        if self._stale(report, stream_us):
            report.expired = True
            return []
        if report.unmatched_raw is not None and report.triaged_us is not None:
            if report.triaged_us + self.grace_us < stream_us:
                raw, report.unmatched_raw = report.unmatched_raw, None
                report.triaged_us = None
                return [
                    DeadLetter(
                        RejectReason.ORPHAN,
                        "report.triaged with no report.submitted within the grace period",
                        raw,
                    )
                ]
        return []

    def is_settled(self, report: Report) -> bool:
        return report.unmatched_raw is None and (
            report.submitted_us is None or report.triaged_us is not None or report.expired
        )

    def awaiting_triage(self) -> list[tuple[ReportType, int]]:
        """Reports awaiting triage now, as the live view knows them."""
        return [
            (r.report_type, r.submitted_us)
            for r in self.unsettled_live()
            if r.submitted_us is not None
            and r.report_type is not None
            and r.triaged_us is None
            and not r.expired
        ]

    def lifecycle_to_json(self, report: Report) -> dict:
        return {
            "r": [report.submitted_us, report.report_type, report.triaged_us],
            "raw": pack(report.unmatched_raw),
            **({"x": True} if report.expired else {}),
        }

    def lifecycle_from_json(self, data: dict) -> Report:
        submitted, report_type, triaged = data["r"]
        return Report(
            submitted_us=submitted,
            report_type=ReportType(report_type) if report_type else None,
            triaged_us=triaged,
            unmatched_raw=unpack(data["raw"]),
            expired=data.get("x", False),
        )
