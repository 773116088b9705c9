"""The export files: the panel-layout workbook, the public dataset and its suppression,
and the command's errors."""

import csv
import itertools
import json
import threading
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from openpyxl import load_workbook

from streams.cli import main
from streams.core.monthly import AnswerBandRow, AttendanceBandRow, MonthlyPack, monthly_pack
from streams.core.pack import LATER_TABLES
from streams.core.public import PublicRow, answer_times, attendance_times, suppress
from streams.export.csv import write_monthly_csv
from streams.export.from_log import run_lines
from streams.export.public import write_public_csv
from streams.export.xlsx import write_monthly_xlsx
from tests import monthly_data as data

MONTH_HEADERS = [datetime(2026, m, 1) for m in range(3, 12)]  # noqa: DTZ001 (what openpyxl reads)


@pytest.fixture(scope="module")
def workbook(pack: MonthlyPack, tmp_path_factory: pytest.TempPathFactory):
    path = write_monthly_xlsx(pack, tmp_path_factory.mktemp("xlsx") / "pack.xlsx")
    return load_workbook(path)


def blocks(ws) -> dict[str, dict[str, list]]:
    """Heading -> row label -> the row's cells from column B (months, then Total)."""
    found: dict[str, dict[str, list]] = {}
    current = None
    for row in ws.iter_rows(min_row=4):
        label = row[0].value
        if label is None:
            current = None
        elif current is None:
            current = found[label] = {"__header__": list(row[1:])}
        else:
            current[label] = list(row[1:])
    return found


# --- workbook ----------------------------------------------------------------------------


def test_workbook_sheets(workbook) -> None:
    assert workbook.sheetnames == [
        "Incidents (essex)",
        "Grades (essex)",
        "Incidents (npcc)",
        "Grades (npcc)",
        "Incident measures",
        "Calls 999 FCR",
        "Calls 101 Switchboard",
        "Calls 101 FCR",
        "Calls 101 Resolution Centre",
        "Call-backs",
        "Live Chat and online",
        "Notes",
    ]


def test_the_call_back_block_holds_the_packs_counts_and_rates(workbook, pack) -> None:
    block = blocks(workbook["Call-backs"])["999 call-backs"]
    rows = {r.month: r for r in pack.callbacks if r.channel == "999"}
    months = [m for m in pack.months]
    owed = block["Abandoned calls owed a call-back"]
    assert [c.value for c in owed[: len(months)]] == [rows[m].owed for m in months]
    assert owed[len(months)].value == sum(r.owed for r in rows.values()) > 0
    within = block["% first attempt within target"]
    for i, month in enumerate(months):
        r = rows[month]
        expected = None if not r.owed else round(r.first_attempt_within_target / r.owed, 3)
        assert (within[i].value if within[i].value is None else round(within[i].value, 3)) == (
            expected
        )
    reached = block["Resolved: reached"]
    by_month = {
        (o.month, o.outcome): o.resolved for o in pack.callback_outcomes if o.channel == "999"
    }
    assert [c.value for c in reached[: len(months)]] == [by_month[(m, "reached")] for m in months]


def test_incident_blocks_have_the_panel_layout(workbook, pack: MonthlyPack) -> None:
    essex = blocks(workbook["Incidents (essex)"])
    groups = ["Residential burglary", "Robbery", "Rape", "Sexual offences"]
    groups += ["Violence with injury", "Other incidents", "All high harm", "All incidents"]
    assert list(essex) == [
        f"{g}: {r}" for g in groups for r in ("Emergency", "Priority", "Routine")
    ]
    for heading, block in essex.items():
        header = block.pop("__header__")
        assert [c.value for c in header] == [*MONTH_HEADERS, "Total"], heading
        assert {c.number_format for c in header[:-1]} == {"mmm-yy"}
        assert list(block) == ["Met", "Not Met", "% Met"], heading


def test_incident_cells_are_numbers_with_formats_and_match_the_pack(
    workbook, pack: MonthlyPack
) -> None:
    block = blocks(workbook["Incidents (essex)"])["All incidents: Emergency"]
    rows = {r.month: r for r in pack.incidents if (r.policy, r.category, r.response) == (
        "essex", "all", "emergency")}  # fmt: skip
    months = [f"2026-{m:02d}" for m in range(3, 12)]
    for i, month in enumerate(months):
        met, not_met, share = block["Met"][i], block["Not Met"][i], block["% Met"][i]
        if month == "2026-11":  # NPCC in force all month: nothing on the Essex sheet
            assert (met.value, not_met.value, share.value) == (None, None, None)
            continue
        assert (met.value, not_met.value) == (rows[month].met, rows[month].not_met)
        assert isinstance(met.value, int) and met.number_format == "#,##0"
        assert share.number_format == "0.0%"
        if rows[month].total == 0:
            assert share.value is None  # empty months: blank, not 0 %
        else:
            assert isinstance(share.value, float)
            # The nearest double to the CSV's rounded percentage, as a fraction.
            assert share.value == float(rows[month].pct_met / 100)
            assert f"{share.value * 100:.1f}" == f"{rows[month].pct_met:.1f}"
    # Total column: the sum of the months, and % Met from the summed counts.
    met_total = sum(c.value or 0 for c in block["Met"][:-1])
    not_met_total = sum(c.value or 0 for c in block["Not Met"][:-1])
    assert block["Met"][-1].value == met_total > 0
    assert block["Not Met"][-1].value == not_met_total > 0
    expected = round(1000 * met_total / (met_total + not_met_total) + 1e-9) / 1000
    assert block["% Met"][-1].value == pytest.approx(expected, abs=1e-12)


def test_no_cell_holds_a_number_as_text(workbook) -> None:
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert not cell.value.replace(".", "").replace("%", "").isdigit(), (
                        ws.title,
                        cell.coordinate,
                        cell.value,
                    )


def test_every_number_has_a_number_format(workbook) -> None:
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, int | float):
                    assert cell.number_format != "General", (ws.title, cell.coordinate)


def test_npcc_sheet_blocks_use_the_npcc_responses(workbook) -> None:
    npcc = blocks(workbook["Incidents (npcc)"])
    responses = ("Emergency", "Urgent", "Priority", "Scheduled")
    assert list(npcc)[:4] == [f"Residential burglary: {r}" for r in responses]
    assert list(npcc)[-4:] == [f"All incidents: {r}" for r in responses]


def test_chat_online_and_channel_share_cells_match_the_pack(workbook, pack: MonthlyPack) -> None:
    sheet = blocks(workbook["Live Chat and online"])
    chat = {name: [c.value for c in cells] for name, cells in sheet["Live Chat"].items()}
    for i, month in enumerate(f"2026-{m:02d}" for m in range(3, 12)):
        row = next(r for r in pack.chats if r.month == month)
        settled = row.accepted + row.abandoned
        assert chat["Requested"][i] == row.requested
        assert chat["Accepted within target"][i] == row.accepted_within_target
        assert chat["Requested outside opening hours"][i] == row.outside_hours
        if settled:
            assert chat["Service level"][i] == round(row.accepted_within_target / settled, 3)
        if row.accepted:
            wait = round(row.accept_us_sum / row.accepted / 1e6, 1)
            assert chat["Average wait to accept (s)"][i] == pytest.approx(wait, abs=1e-9)
        else:
            assert chat["Average wait to accept (s)"][i] is None
    asb = {name: [c.value for c in cells] for name, cells in sheet["Online reports: ASB"].items()}
    march = next(r for r in pack.reports if (r.month, r.report_type) == ("2026-03", "asb"))
    assert (asb["Submitted"][0], asb["Triaged"][0]) == (march.submitted, march.triaged)
    share = {name: [c.value for c in cells] for name, cells in sheet["Contact by channel"].items()}
    march_999 = next(r for r in pack.shares if (r.month, r.channel) == ("2026-03", "999"))
    assert share["999 calls"][0] == march_999.contacts
    assert share["999 calls share"][0] == round(march_999.contacts / march_999.month_contacts, 3)


def test_call_sheet_blocks_per_formula(workbook, pack: MonthlyPack) -> None:
    sheet = blocks(workbook["Calls 999 FCR"])
    assert [h.split(":")[0] for h in sheet] == [
        "Service level (strict)",
        "Service level (ignore_abandons)",
        "Home Office 999 measure",
    ]
    strict = sheet[next(iter(sheet))]
    assert list(strict)[1:] == [
        "Offered",
        "Answered",
        "Answered within target",
        "Answered under 10 s (Home Office)",
        "Abandoned",
        "Service level",
        "Abandonment rate",
        "Average speed of answer (s)",
    ]
    march = next(
        r for r in pack.calls if (r.month, r.channel, r.queue) == ("2026-03", "999", "fcr")
    )
    assert strict["Offered"][0].value == march.offered
    assert strict["Service level"][0].value == float(march.service_level_pct / 100)
    assert strict["Service level"][0].number_format == "0.0%"
    assert strict["Average speed of answer (s)"][0].value == float(march.asa_seconds)
    assert strict["Average speed of answer (s)"][0].number_format == "0.0"
    offered = [c.value or 0 for c in strict["Offered"][:-1]]
    assert strict["Offered"][-1].value == sum(offered)


# --- the blocks beside the panel's table, against figures from the lifecycles ------------

MONTHS = [f"2026-{m:02d}" for m in range(3, 12)]


@pytest.fixture(scope="module")
def independent(log: data.Log) -> dict[tuple, dict]:
    """kpis.csv as worked out from the lifecycles, by (month, measure, dimensions)."""
    from tests.unit.test_kpis import expected_kpis

    keys = ("policy", "channel", "queue", "formula", "grade", "response", "category")
    return {(r["month"], r["measure"], *(r[k] for k in keys)): r for r in expected_kpis(log)}


def values(block: dict, label: str) -> list:
    return [c.value for c in block[label]]


def as_cell(row: dict, field: str = "numerator"):
    """A kpis.csv figure as the workbook holds it: a count, or a percentage as a fraction."""
    text = row[field]
    if text == "":
        return None
    if field == "value" and row["unit"] == "percent":
        return float(Decimal(text) / 100)
    if field == "value" and row["unit"] == "seconds":
        return float(Decimal(text))
    return int(text)


def test_home_office_block_matches_the_lifecycles(workbook, independent) -> None:
    block = blocks(workbook["Calls 999 FCR"])[
        "Home Office 999 measure: answered calls by answer time"
    ]
    bands = [("Under 10 s", "under_10s"), ("10 s to under 60 s", "10s_to_60s")]
    bands.append(("60 s or longer", "60s_or_more"))
    pct_labels = ["% under 10 s", "% 10 s to under 60 s", "% 60 s or longer"]
    for i, month in enumerate(MONTHS):
        for (label, band), pct_label in zip(bands, pct_labels, strict=True):
            row = independent[(month, f"home_office_999_{band}", "", "999", "fcr", "", "", "", "")]
            assert values(block, label)[i] == as_cell(row), (month, label)
            assert values(block, pct_label)[i] == as_cell(row, "value"), (month, pct_label)
            assert values(block, "Answered")[i] == as_cell(row, "denominator")
        average = independent[
            (month, "home_office_999_average_answer_seconds", "", "999", "fcr", "", "", "", "")
        ]
        assert values(block, "Average answer time (s)")[i] == as_cell(average, "value")
    assert values(block, "Answered")[-1] == sum(values(block, "Answered")[:-1])


def test_incident_measures_sheet_matches_the_lifecycles(workbook, independent) -> None:
    sheet = blocks(workbook["Incident measures"])
    burglary = sheet["Residential burglary attended within 60 minutes"]
    rate = sheet["Attendance rate: All high harm"]
    for i, month in enumerate(MONTHS):
        within = independent[
            (month, "residential_burglary_attended_within_60m", *[""] * 6, "residential_burglary")
        ]
        assert values(burglary, "Met")[i] == as_cell(within)
        assert values(burglary, "Not Met")[i] == as_cell(within, "denominator") - as_cell(within)
        assert values(burglary, "% Met")[i] == as_cell(within, "value")
        attended = independent[(month, "incident_attendance_rate", *[""] * 6, "high_harm")]
        assert values(rate, "Attended")[i] == as_cell(attended)
        assert values(rate, "Created")[i] == as_cell(attended, "denominator")
        assert values(rate, "% Attended")[i] == as_cell(attended, "value")
    essex = sheet["Counted, not scored (no attendance target): Essex Command and Control of "
                  "Incidents Policy"]  # fmt: skip
    for i, month in enumerate(MONTHS[:-1]):  # November: NPCC all month
        for grade, label in (
            (5, "Grade 5 (Resolution without deployment)"),
            (6, "Grade 6 (Appointment)"),
        ):
            row = independent[
                (month, "incidents_not_scored", "essex", "", "", "", str(grade), "", "")
            ]
            assert values(essex, label)[i] == as_cell(row), (month, grade)
    assert values(essex, "Grade 5 (Resolution without deployment)")[-2] is None
    assert list(sheet[
        "Downgraded after the deadline had passed: NPCC National Contact Management Grades"
    ])[1:] == [f"{r}: downgraded after breach" for r in ("Emergency", "Urgent", "Priority",
                                                      "Scheduled", "All")]  # fmt: skip


def test_grade_sheets_match_the_lifecycles(workbook, independent) -> None:
    labels = {"Residential burglary": "residential_burglary", "All high harm": "high_harm"}
    labels["All incidents"] = "all"
    grades = {
        "essex": ["emergency", "emergency", "priority", "routine"],
        "npcc": ["emergency", "urgent", "priority", "scheduled"],
    }
    for policy, responses in grades.items():
        sheet = blocks(workbook[f"Grades ({policy})"])
        assert len(sheet) == 8 * 4
        for label, group in labels.items():
            for grade, response in enumerate(responses, 1):
                block = sheet[f"{label}: grade {grade} ({response.capitalize()})"]
                for i, month in enumerate(MONTHS):
                    key = (month, "incident_target_met", policy, "", "", "", str(grade), "", group)
                    row = independent.get(key)
                    if row is None:  # the policy is not in force that month
                        assert values(block, "Met")[i] is None
                        continue
                    met, total = as_cell(row), as_cell(row, "denominator")
                    assert (values(block, "Met")[i], values(block, "Not Met")[i]) == (
                        met,
                        total - met,
                    ), (policy, label, grade, month)
                    assert values(block, "% Met")[i] == as_cell(row, "value")


def test_notes_sheet_names_policies_and_formulas_per_month(workbook) -> None:
    text = [
        [c for c in row if c is not None] for row in workbook["Notes"].iter_rows(values_only=True)
    ]
    assert ["2026-10", "essex", "Essex Command and Control of Incidents Policy", "2026-10-01",
            "2026-10-19"] in [r[:5] for r in text]  # fmt: skip
    assert ["2026-10", "npcc", "NPCC National Contact Management Grades", "2026-10-20",
            "2026-10-31"] in [r[:5] for r in text]  # fmt: skip
    assert ["2026-10", "999 fcr", "ignore_abandons", 10, "2026-10-15 to 2026-10-31"] in text
    assert any(r and r[0] == "Service level" for r in text)


# --- public dataset ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "bands", "published"),
    [
        # nothing small: all shown
        (100, (80, 15, 5 + 0), (100, (80, None, None))),
        (100, (80, 20, 0), (100, (80, 20, 0))),
        # one small band: it and the next smallest go blank, the zero stays
        (100, (95, 5, 0), (100, (None, None, 0))),
        # two small bands adding up under the threshold: one more goes
        (100, (95, 3, 2), (100, (None, None, None))),
        # two small bands adding up to the threshold or more: enough
        (30, (16, 7, 7), (30, (16, None, None))),
        # a small total: the whole row
        (7, (5, 2, 0), (None, (None, None, None))),
        # zero total: zeros shown, nothing to protect
        (0, (0, 0, 0), (0, (0, 0, 0))),
        # the threshold itself is not small
        (40, (10, 10, 20), (40, (10, 10, 20))),
    ],
)
def test_suppression_table(total: int, bands: tuple, published: tuple) -> None:
    row = suppress(total, bands, "2026-03", threshold=10)
    assert (row.total, row.bands) == published
    hidden = [b for b, p in zip(bands, row.bands, strict=True) if p is None]
    if row.total is not None and hidden:
        # No blank can be worked out: at least two, and together not small.
        assert len(hidden) >= 2 and sum(hidden) >= 10
        assert row.note


def test_suppression_threshold_is_configurable() -> None:
    assert suppress(100, (95, 5, 0), "m", threshold=5).bands == (95, 5, 0)
    assert suppress(100, (97, 3, 0), "m", threshold=5).bands == (None, None, 0)


def test_percentages_of_suppressed_counts_are_blank() -> None:
    row = PublicRow("2026-03", 100, (None, None, 0), "note")
    assert [None if p is None else f"{p:.1f}" for p in row.band_pct()] == [None, None, "0.0"]


def expected_answer_bands(log: data.Log, month: str) -> tuple[int, int, int]:
    waits = [
        leg.wait_us
        for call in log.calls
        for leg in call.legs
        if (leg.channel, leg.queue) == ("999", "fcr") and leg.answered
        and data.month_of(leg.queued) == month
    ]  # fmt: skip
    return (
        sum(w < 10_000_000 for w in waits),
        sum(10_000_000 <= w < 60_000_000 for w in waits),
        sum(w >= 60_000_000 for w in waits),
    )


def test_public_999_bands_match_the_lifecycles(pack: MonthlyPack, log: data.Log) -> None:
    rows = {r.month: r for r in answer_times(pack, threshold=1)}
    for month in ("2026-03", "2026-04", "2026-10", "2026-11"):
        assert rows[month].bands == expected_answer_bands(log, month)
        assert rows[month].total == sum(expected_answer_bands(log, month))
    assert rows["2026-06"].bands == (0, 0, 0)


def test_public_attendance_bands_match_the_lifecycles(pack: MonthlyPack, log: data.Log) -> None:
    rows = {r.month: r for r in attendance_times(pack, threshold=1)}
    for month in ("2026-03", "2026-10"):
        times = [
            i.after_us
            for i in log.incidents
            if i.outcome == "attended" and i.response_and_target_us()[0] == "emergency"
            and data.month_of(i.created) == month
        ]  # fmt: skip
        minutes = [15, 20, 30, 60]
        bounds = [sum(t <= m * 60_000_000 for t in times) for m in minutes] + [len(times)]
        assert rows[month].bands == (bounds[0], *(b - a for a, b in itertools.pairwise(bounds)))
        assert rows[month].total == len(times) > 0


def test_a_small_month_is_blank_throughout_with_the_note(tmp_path: Path) -> None:
    small = MonthlyPack(
        "2026-05",
        "2026-05",
        ("2026-05",),
        answer_bands=(AnswerBandRow("2026-05", answered=6, under_10s=4, under_60s=6),),
        attendance_bands=(AttendanceBandRow("2026-05", 12, 2, 3, 12, 12),),
    )
    answers, attendance, *_ = write_public_csv(small, data.targets(), tmp_path)
    assert answers.read_text().splitlines()[1] == (
        "2026-05,,,,,,,,"
        '"counts under 10 suppressed, with the next smallest so they cannot be recovered"'
    )
    # 12 timed: within 15 min 2, 15-20 min 1, 20-30 min 9: the two small ones and 9 go.
    assert attendance.read_text().splitlines()[1].startswith("2026-05,12,,,,0,0,,,,0.0,0.0,")


def test_public_csv_of_the_generated_log(pack: MonthlyPack, tmp_path: Path) -> None:
    answers, attendance, *_ = write_public_csv(pack, data.targets(), tmp_path)
    with answers.open(newline="") as handle:
        rows = {r["month"]: r for r in csv.DictReader(handle)}
    assert list(rows["2026-03"])[:5] == [
        "month",
        "answered",
        "under_10s",
        "10s_to_under_60s",
        "60s_or_longer",
    ]
    assert rows["2026-06"]["answered"] == "0" and rows["2026-06"]["pct_under_10s"] == ""
    for row in rows.values():
        cells = [row[k] for k in ("under_10s", "10s_to_under_60s", "60s_or_longer")]
        shown = [int(c) for c in cells if c != ""]
        assert all(n == 0 or n >= 10 for n in shown)
        if row["answered"] not in ("", "0") and "" in cells:
            assert cells.count("") >= 2
    with attendance.open(newline="") as handle:
        assert next(csv.reader(handle))[:3] == ["month", "attended_with_time", "within_15m"]


def test_public_999_bands_are_the_home_office_kpis_where_shown(
    pack: MonthlyPack, independent, tmp_path: Path
) -> None:
    answers, *_ = write_public_csv(pack, data.targets(), tmp_path)
    with answers.open(newline="") as handle:
        rows = {r["month"]: r for r in csv.DictReader(handle)}
    bands = {"under_10s": "under_10s", "10s_to_under_60s": "10s_to_60s"}
    bands["60s_or_longer"] = "60s_or_more"
    compared = 0
    for month in MONTHS:
        for public, measure in bands.items():
            kpi = independent[(month, f"home_office_999_{measure}", "", "999", "fcr", *[""] * 4)]
            if rows[month][public] == "":  # suppressed: a small count, or its complement
                assert rows[month][f"pct_{public}"] == ""
                continue
            assert rows[month][public] == kpi["numerator"]
            assert rows[month]["answered"] == kpi["denominator"]
            assert rows[month][f"pct_{public}"] == kpi["value"]
            compared += 1
    assert compared >= 9  # March, April, October, November: most bands shown


# --- the command -------------------------------------------------------------------------


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("month", ["2026-13", "March", "2026-3", "26-03"])
def test_a_bad_month_says_how_to_write_one(capsys, tmp_path: Path, month: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["export", "monthly", "--from", month, "--to", "2026-03", "--out", str(tmp_path)])
    assert exit_.value.code == 2
    assert "write it as YYYY-MM, e.g. 2026-03" in capsys.readouterr().err


def test_from_after_to_says_which_to_change(capsys, tmp_path: Path) -> None:
    code, _, err = run_cli(
        capsys, "export", "monthly", "--from", "2026-05", "--to", "2026-03", "--out", str(tmp_path)
    )
    assert code == 2
    assert "--from 2026-05 is after --to 2026-03: give the earlier month to --from" in err


def test_unreachable_worker_says_start_it_or_use_the_log(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CCM_EXPORT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    code, _, err = run_cli(
        capsys, "export", "monthly", "--from", "2026-03", "--to", "2026-03", "--out", str(tmp_path)
    )
    assert code == 2
    assert "cannot reach the worker at http://127.0.0.1:9" in err
    assert "ccm worker" in err and "--from-log" in err


def test_missing_log_file(capsys, tmp_path) -> None:
    code, _, err = run_cli(
        capsys, "export", "public", "--from", "2026-03", "--to", "2026-03",
        "--from-log", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert code == 2 and "no such file" in err


def test_xlsx_needs_an_xlsx_name(capsys, tmp_path) -> None:
    code, _, err = run_cli(
        capsys, "export", "monthly", "--from", "2026-03", "--to", "2026-03", "--format", "xlsx",
        "--from-log", "examples/events.jsonl", "--out", str(tmp_path / "pack.csv"),
    )  # fmt: skip
    assert code == 2 and "ending in .xlsx" in err


class _PackServer(BaseHTTPRequestHandler):
    body = b""
    seen: list[str] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).body)

    def log_message(self, *args) -> None:
        pass


def test_the_pack_as_the_worker_sends_it_writes_the_same_files_as_from_log(
    capsys, monkeypatch, tmp_path, log
) -> None:
    """The command as the worker's client: the pack through its JSON form (served here by a
    stand-in; the real worker is in tests/integration/test_export_live.py) gives the same
    files as --from-log."""
    events = data.write(log, tmp_path / "events.jsonl")
    targets_file = tmp_path / "targets.yaml"
    targets_file.write_text(json.dumps(data.targets().model_dump(mode="json")))
    monkeypatch.setenv("CCM_TARGETS_FILE", str(targets_file))
    span = ["--from", "2026-03", "--to", "2026-11"]
    code, _, _ = run_cli(
        capsys, "export", "monthly", *span, "--from-log", str(events), "--out", str(tmp_path / "a")
    )
    assert code == 0
    run = run_lines(enumerate(log.lines, 1), data.targets())
    served = monthly_pack(run.states.values(), data.targets(), (2026, 3), (2026, 11))
    _PackServer.body = json.dumps(served.to_json()).encode()
    _PackServer.seen = []
    server = HTTPServer(("127.0.0.1", 0), _PackServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("CCM_EXPORT_URL", f"http://127.0.0.1:{server.server_port}")
        code, _, _ = run_cli(capsys, "export", "monthly", *span, "--out", str(tmp_path / "b"))
    finally:
        server.shutdown()
    assert code == 0
    assert _PackServer.seen == ["/export/monthly?from=2026-03&to=2026-11"]
    for name in ("incident_attendance", "call_handling", "chat", "online_reports", "channel_share"):
        a = (tmp_path / "a" / f"{name}.csv").read_bytes()
        assert a == (tmp_path / "b" / f"{name}.csv").read_bytes()


def test_a_pack_from_a_0_1_0_worker_gives_the_monthly_export_and_says_why_not_the_page(
    capsys, monkeypatch, tmp_path, pack
) -> None:
    """A worker of 0.1.0 serves the pack without the tables added since: the monthly
    files are as from a current worker, and the public export refuses, saying what to do,
    rather than publishing zeros for figures it never kept."""
    body = pack.to_json()
    old = {k: v for k, v in body.items() if k not in LATER_TABLES}
    _PackServer.body, _PackServer.seen = json.dumps(old).encode(), []
    server = HTTPServer(("127.0.0.1", 0), _PackServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    span = ["--from", "2026-03", "--to", "2026-11"]
    try:
        monkeypatch.setenv("CCM_EXPORT_URL", f"http://127.0.0.1:{server.server_port}")
        monthly = run_cli(capsys, "export", "monthly", *span, "--out", str(tmp_path / "m"))
        public = run_cli(capsys, "export", "public", *span, "--out", str(tmp_path / "p"))
    finally:
        server.shutdown()
    assert monthly[0] == 0 and (tmp_path / "m" / "kpis.csv").exists()
    assert (
        f"the worker at http://127.0.0.1:{server.server_port} runs an older ccm release, which "
        "does not count call-backs: this export has no call-back figures."
    ) in monthly[2]
    whole = write_monthly_csv(pack, tmp_path / "whole")
    for path in whole:
        lines = path.read_text().splitlines(keepends=True)
        if path.name == "kpis.csv":
            lines = [line for line in lines if ",callback" not in line]
            assert len(lines) < len(path.read_text().splitlines())
        assert (tmp_path / "m" / path.name).read_text() == "".join(lines), path.name
    assert public[0] == 2 and not (tmp_path / "p").exists()
    assert (
        f"the worker at http://127.0.0.1:{server.server_port} runs an older ccm release, whose "
        "monthly pack has no first_legs or area_attendance: upgrade it, or recompute these "
        "months from the event log with --from-log FILE"
    ) in public[2]
    assert MonthlyPack.from_json(body).absent == ()
