"""The monthly pack in the panel's layout, as an XLSX workbook (openpyxl).

Months run across as columns (headed ``Sep-21``: real dates with an ``mmm-yy``
format), then a ``Total`` column over the whole range. Each table is a block: a
heading row, then ``Met`` / ``Not Met`` / ``% Met`` (or the call-handling
measures). Every figure is a number with a number format (counts ``#,##0``,
percentages ``0.0%`` holding the fraction, seconds ``0.0``), never text; a
percentage with nothing to divide by is an empty cell. Percentages are the
exact ones of the CSV files (rounded half up to one decimal), so the two
layouts always agree.
"""

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from streams.core.bands import HOME_OFFICE_999_BANDS, in_bands
from streams.core.kpis import RESOLVING_OUTCOMES, callback_channels
from streams.core.monthly import (
    CATEGORY_GROUPS,
    CallbackRow,
    CallRow,
    ChatRow,
    IncidentRow,
    MonthlyPack,
    ReportRow,
    ShareRow,
)
from streams.core.months import percent
from streams.export.sheet import (
    BOLD,
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    COUNT,
    FORMULA_LABELS,
    INCIDENT_MEASURES,
    PERCENT,
    QUEUE_LABELS,
    SECONDS,
    Measure,
    Sheet,
    summed,
    words,
)
from streams.export.xlsx_incidents import grade_sheet, incident_measures_sheet


def _incident_sheets(wb: Workbook, pack: MonthlyPack) -> None:
    policies = list(dict.fromkeys(r.policy for r in pack.incidents))
    for policy in policies:
        rows = [r for r in pack.incidents if r.policy == policy]
        name = pack.policy_names.get(policy, policy)
        sheet = Sheet(
            wb.create_sheet(f"Incidents ({policy})"[:31]),
            pack.months,
            f"Incident attendance against target: {name}",
            "Incidents by the month they were created; % Met = Met / (Met + Not Met). "
            "Blank: not in force that month, or nothing to score.",
        )
        responses = list(dict.fromkeys(r.response for r in rows))
        for group in CATEGORY_GROUPS:
            for response in responses:
                chosen: list[IncidentRow] = [
                    r for r in rows if r.category == group and r.response == response
                ]
                if not chosen:
                    continue
                sheet.block(
                    f"{CATEGORY_LABELS.get(group, words(group))}: {words(response)}",
                    {r.month: r for r in chosen},
                    summed(chosen, month="Total"),
                    INCIDENT_MEASURES,
                )
        grade_sheet(wb, pack, policy)


def _call_measures(channel: str) -> list[Measure]:
    measures: list[Measure] = [
        ("Offered", lambda r: r.offered, COUNT),
        ("Answered", lambda r: r.answered, COUNT),
        ("Answered within target", lambda r: r.answered_within_target, COUNT),
    ]
    if channel == "999":
        measures.append(
            ("Answered under 10 s (Home Office)", lambda r: r.answered_under_10s, COUNT)
        )
    return [
        *measures,
        ("Abandoned", lambda r: r.abandoned, COUNT),
        ("Service level", lambda r: r.service_level_pct, PERCENT),
        ("Abandonment rate", lambda r: r.abandonment_pct, PERCENT),
        ("Average speed of answer (s)", lambda r: r.asa_seconds, SECONDS),
    ]


def _band(i: int):  # -> the band's count of a row
    return lambda r: in_bands(r.answered, r.answered_under_10s, r.answered_under_60s)[i]


def _band_pct(i: int):  # -> its percentage of the answered
    return lambda r: percent(_band(i)(r), r.answered)


HOME_OFFICE_MEASURES: list[Measure] = [
    ("Answered", lambda r: r.answered, COUNT),
    *((band.title, _band(i), COUNT) for i, band in enumerate(HOME_OFFICE_999_BANDS)),
    *(
        (f"% {band.title[0].lower()}{band.title[1:]}", _band_pct(i), PERCENT)
        for i, band in enumerate(HOME_OFFICE_999_BANDS)
    ),
    ("Average answer time (s)", lambda r: r.asa_seconds, SECONDS),
]
"""The Home Office's published 999 measure: answered calls only, by answer time."""


def _call_sheets(wb: Workbook, pack: MonthlyPack) -> None:
    queues = list(dict.fromkeys((r.channel, r.queue) for r in pack.calls))
    for channel, queue in queues:
        rows = [r for r in pack.calls if (r.channel, r.queue) == (channel, queue)]
        where = f"{channel} {QUEUE_LABELS.get(queue, words(queue))}"
        sheet = Sheet(
            wb.create_sheet(f"Calls {where}"[:31]),
            pack.months,
            f"{channel} calls at the {QUEUE_LABELS.get(queue, words(queue))}",
            "Call legs by the month they were offered (queued). Service level formula "
            "and answer target per month: see Notes.",
        )
        for formula in dict.fromkeys(r.formula for r in rows):
            chosen: list[CallRow] = [r for r in rows if r.formula == formula]
            sheet.block(
                f"Service level ({formula}): {FORMULA_LABELS.get(formula, formula)}",
                {r.month: r for r in chosen},
                summed(chosen, month="Total"),
                _call_measures(channel),
            )
        if channel == "999":
            # Whatever the formula: the Home Office counts answered calls only.
            by_month = {
                m: summed([r for r in rows if r.month == m])
                for m in dict.fromkeys(r.month for r in rows)
            }
            sheet.block(
                "Home Office 999 measure: answered calls by answer time",
                by_month,
                summed(rows, month="Total"),
                HOME_OFFICE_MEASURES,
            )


CALLBACK_MEASURES: list[Measure] = [
    ("Abandoned calls owed a call-back", lambda r: r.owed, COUNT),
    ("First attempt within target", lambda r: r.first_attempt_within_target, COUNT),
    ("% first attempt within target", lambda r: r.first_attempt_within_pct, PERCENT),
    ("Resolved within target", lambda r: r.resolved_within_target, COUNT),
    ("% resolved within target", lambda r: r.resolved_within_pct, PERCENT),
    ("Average time to first attempt (s)", lambda r: r.mean_first_attempt_seconds, SECONDS),
    ("Attempts", lambda r: r.attempts, COUNT),
    ("Unresolved", lambda r: r.unresolved, COUNT),
]


def _callback_sheet(wb: Workbook, pack: MonthlyPack) -> None:
    channels = callback_channels(pack.callbacks)
    if not channels:
        return
    sheet = Sheet(
        wb.create_sheet("Call-backs"),
        pack.months,
        "Call-backs owed on abandoned calls",
        "Abandoned calls by the month the abandoned leg was offered; targets: see the "
        "targets file. Resolved: reached, recontacted or referred.",
    )
    for channel in channels:
        rows: list[CallbackRow] = [r for r in pack.callbacks if r.channel == channel]
        by_outcome = {
            (o.month, o.outcome): o.resolved for o in pack.callback_outcomes if o.channel == channel
        }
        measures = [
            *CALLBACK_MEASURES,
            *(
                (f"Resolved: {outcome}",
                 lambda r, o=outcome, resolved=by_outcome: sum(
                     v for (m, oc), v in resolved.items() if oc == o and r.month in (m, "Total")),
                 COUNT)
                for outcome in RESOLVING_OUTCOMES
            ),
        ]  # fmt: skip
        sheet.block(
            f"{channel} call-backs",
            {r.month: r for r in rows},
            summed(rows, month="Total"),
            measures,
        )


CHAT_MEASURES: list[Measure] = [
    ("Requested", lambda r: r.requested, COUNT),
    ("Accepted", lambda r: r.accepted, COUNT),
    ("Accepted within target", lambda r: r.accepted_within_target, COUNT),
    ("Abandoned", lambda r: r.abandoned, COUNT),
    ("Service level", lambda r: r.service_level_pct, PERCENT),
    ("Abandonment rate", lambda r: r.abandonment_pct, PERCENT),
    ("Average wait to accept (s)", lambda r: r.average_wait_seconds, SECONDS),
    ("Requested outside opening hours", lambda r: r.outside_hours, COUNT),
]
REPORT_MEASURES: list[Measure] = [
    ("Submitted", lambda r: r.submitted, COUNT),
    ("Triaged", lambda r: r.triaged, COUNT),
    ("Average time to triage (s)", lambda r: r.average_triage_seconds, SECONDS),
]


def _contact_sheet(wb: Workbook, pack: MonthlyPack) -> None:
    sheet = Sheet(
        wb.create_sheet("Live Chat and online"),
        pack.months,
        "Live Chat, online reporting and channel share",
        "Chats by the month requested; reports by the month submitted; a call counts "
        "once, on the channel it was first offered on.",
    )
    chats: list[ChatRow] = list(pack.chats)
    if chats:
        sheet.block(
            "Live Chat", {r.month: r for r in chats}, summed(chats, month="Total"), CHAT_MEASURES
        )
    reports: list[ReportRow] = list(pack.reports)
    for report_type in dict.fromkeys(r.report_type for r in reports):
        chosen = [r for r in reports if r.report_type == report_type]
        sheet.block(
            f"Online reports: {words(report_type)}",
            {r.month: r for r in chosen},
            summed(chosen, month="Total"),
            REPORT_MEASURES,
        )
    if reports:
        by_month = {
            m: summed([r for r in reports if r.month == m], report_type="all")
            for m in dict.fromkeys(r.month for r in reports)
        }
        sheet.block(
            "Online reports: all types",
            by_month,
            summed(reports, month="Total", report_type="all"),
            REPORT_MEASURES,
        )
    shares: list[ShareRow] = list(pack.shares)
    channels = list(dict.fromkeys(r.channel for r in shares))
    if shares:
        by_month = {m: {r.channel: r for r in shares if r.month == m} for m in pack.months}
        totals = {c: summed([r for r in shares if r.channel == c], month="Total") for c in channels}
        measures: list[Measure] = [
            (CHANNEL_LABELS.get(c, c), lambda g, c=c: g[c].contacts, COUNT) for c in channels
        ]
        measures += [
            (f"{CHANNEL_LABELS.get(c, c)} share", lambda g, c=c: g[c].share_pct, PERCENT)
            for c in channels
        ]
        present = {m: g for m, g in by_month.items() if g}
        sheet.block("Contact by channel", present, totals, measures)


def _notes_sheet(wb: Workbook, pack: MonthlyPack) -> None:
    ws = wb.create_sheet("Notes")
    ws.column_dimensions["A"].width = 30
    for col in "BCDEF":
        ws.column_dimensions[col].width = 22
    lines: list[list[Any]] = [
        [f"Monthly KPI pack, {pack.first} to {pack.last}"],
        [],
        ["Definitions"],
        ["Months", "Calendar months in Europe/London (clock-change days are whole)."],
        [
            "Attribution",
            "A call leg counts in the month it was offered (queued); a chat when "
            "requested; a report when submitted; an incident when created.",
        ],
        [
            "Service level",
            "Per the formula in force at the queue that day (below); answered "
            "within target means at or under the target.",
        ],
        ["Abandonment rate", "abandoned / (answered + abandoned); short abandons excluded."],
        ["Average speed of answer", "sum of answered legs' waits / answered, in seconds."],
        [
            "Met / Not Met",
            "Attended no later than created + the target of its grade; an "
            "incident misses once its deadline passes unattended, even if attended later. "
            "Incidents still open past their deadline count as Not Met.",
        ],
        ["% Met", "Met / (Met + Not Met). Grades without a target are not scored."],
        ["Rounding", "Percentages and averages from exact counts, half up to one decimal."],
        ["Blank", "Nothing to divide by (no data), or not in force that month."],
        [],
        ["Grading policy used", "Month", "Policy", "Name", "From", "To"],
    ]
    lines += [["", p.month, p.policy, p.name, p.first, p.last] for p in pack.policies]
    lines += [
        [],
        [
            "Call-handling targets",
            "Month",
            "Channel / queue",
            "Formula",
            "Answer within (s)",
            "From / to",
        ],
    ]
    lines += [
        [
            "",
            t.month,
            f"{t.channel} {t.queue}",
            t.formula,
            t.answer_within_seconds,
            f"{t.first} to {t.last}",
        ]
        for t in pack.queue_targets
    ]
    lines += [[], ["Formulas"]]
    lines += [[name, text] for name, text in FORMULA_LABELS.items()]
    for line in lines:
        ws.append(line)
    for row in ws.iter_rows():
        if row and isinstance(row[0].value, str) and len(row) > 1 and row[1].value is None:
            row[0].font = BOLD
    for row in ws.iter_rows(min_col=5, max_col=5):
        for cell in row:
            if isinstance(cell.value, int):
                cell.number_format = COUNT


def build_workbook(pack: MonthlyPack) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    _incident_sheets(wb, pack)
    incident_measures_sheet(wb, pack)
    _call_sheets(wb, pack)
    _callback_sheet(wb, pack)
    _contact_sheet(wb, pack)
    _notes_sheet(wb, pack)
    return wb


def write_monthly_xlsx(pack: MonthlyPack, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(pack).save(path)
    return path
