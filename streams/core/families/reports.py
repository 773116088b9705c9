"""Online reports: submitted and triaged, by report type (`streams.core.reports`)."""

from schemas import Family, ReportType
from streams.core.families.declare import (
    Contacts,
    Count,
    FamilySpec,
    Now,
    Quiet,
    Row,
    first_label,
    gauge,
)
from streams.core.reports import ReportCount, ReportLedger
from streams.core.timebase import US

_REPORT = ("report_type", "window")
AWAITING_TRIAGE = gauge(
    "ccm_reports_awaiting_triage", ("report_type",), "Reports submitted and not yet triaged."
)
OLDEST_AWAITING_TRIAGE = gauge(
    "ccm_report_oldest_awaiting_triage_seconds",
    ("report_type",),
    "Age of the oldest report awaiting triage.",
    "max",
)
REPORT_ROW = Row(
    "reports",
    counts=(
        Count(
            ReportCount.SUBMITTED,
            "ccm_reports_submitted",
            "Online reports submitted in the window.",
            _REPORT,
            pack="submitted",
        ),
        Count(
            ReportCount.TRIAGED,
            "ccm_reports_triaged",
            "Reports submitted in the window and triaged.",
            _REPORT,
            pack="triaged",
        ),
        Count(
            ReportCount.TRIAGE_US_SUM,
            "ccm_reports_triage_seconds",
            "Sum of times to triage: average = this / ccm_reports_triaged.",
            _REPORT,
            pack="triage_us_sum",
            scale=US,
        ),
    ),
    labels=first_label,
    key=lambda dim: str(dim[0]),
    standard=lambda _targets, _day: ((report_type,) for report_type in ReportType),
    gauges=(
        AWAITING_TRIAGE,
        OLDEST_AWAITING_TRIAGE,
    ),
)


def _reports_now(ledger: ReportLedger, ref_us: int, _live: bool) -> Now:
    now = Now()
    for report_type, submitted_us in ledger.awaiting_triage():
        now.gauges += [
            (AWAITING_TRIAGE, (report_type.value,), 1),
            (OLDEST_AWAITING_TRIAGE, (report_type.value,), max(0, ref_us - submitted_us) / US),
        ]
    return now


REPORTS = FamilySpec(
    Family.REPORTS,
    ledger=ReportLedger,
    stale=lambda rules: rules.report_stale_us,
    topic_setting="topic_reports",
    rows=(REPORT_ROW,),
    metrics=(*REPORT_ROW.specs(), AWAITING_TRIAGE, OLDEST_AWAITING_TRIAGE),
    now=_reports_now,
    targets=lambda _targets, _day: (),
    contacts=Contacts("reports", ReportCount.SUBMITTED, lambda _dim: "online", ("online",)),
    # Online reports come in bursts; a quiet couple of hours is normal at night.
    quiet=Quiet(180, "ticket", "online reports arrive at least every few hours"),
)
