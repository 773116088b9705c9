"""A new count and a measure over it, declared in the family's declaration and the
measure registry and nowhere else, reach everything made from them: the live metric,
the recording rule (checked by promtool), a dashboard's query, the monthly pack's field,
the kpis.csv row and the checkpoint, read by name.

The count is "legs transferred to another force", added to the calls family's legs
row as the enum's next member would add it; the measure is the share of answered legs
transferred. Every expected value below is worked out by hand from the counts given.
"""

import copy
import csv
import io
import shutil
import subprocess
from dataclasses import asdict, replace
from decimal import Decimal
from enum import IntEnum
from pathlib import Path

import orjson
import promql_parser
import pytest

from dashboards.promql import sel
from streams.alerting.build import dump
from streams.alerting.recording import recording_groups
from streams.checkpoints import Chain, write
from streams.core.calls import LegCount
from streams.core.families import CALLS, LEG_ROW, Count
from streams.core.figures import Figures, put_windows
from streams.core.kpis import kpi_rows
from streams.core.layout import FORMAT_4, LayoutMismatch, layouts, move_ledger
from streams.core.measures import MEASURES, Ratio
from streams.core.pack import CallRow, MonthlyPack, with_row
from streams.core.tally import Tally
from streams.core.timebase import Window
from streams.export.csv import KPI_TABLE, write_table
from tests.events import event, raw
from tests.monthly_data import targets
from tests.unit.test_checkpoint_formats import KEY, applied, body, calls
from tests.unit.test_generated_names import selected

# --- the declarations: one count, one measure ----------------------------------------

Leg = IntEnum("Leg", [(c.name, c.value) for c in LegCount] + [("TRANSFERRED_OUT", len(LegCount))])
"""`LegCount` with one member more, as the core's enum would have it."""

TRANSFERRED = Count(
    Leg.TRANSFERRED_OUT,
    "ccm_call_legs_transferred_out",
    "Answered legs transferred to another force.",
    ("channel", "queue", "window"),
    pack="transferred_out",
)
LEGS = replace(
    LEG_ROW,
    counts=(*(replace(c, count=Leg[c.count.name]) for c in LEG_ROW.counts), TRANSFERRED),
)
TRANSFER_RATE = Ratio(
    "call_transferred_out", LEGS, (Leg.TRANSFERRED_OUT,), (Leg.ANSWERED,), "percent",
    "ccm_call_transferred_out", "Answered legs transferred to another force.",
    by=("channel", "queue", "window"),
)  # fmt: skip
REGISTRY = (*MEASURES, TRANSFER_RATE)

# 40 legs offered at the 999 queue, 36 answered, 3 of them transferred out.
COUNTS = {Leg.OFFERED: 40, Leg.ANSWERED: 36, Leg.ABANDONED: 4, Leg.TRANSFERRED_OUT: 3}


def vector() -> list[int]:
    v = [0] * LEGS.width
    for count, n in COUNTS.items():
        v[count] = n
    return v


# --- what is made from them ---------------------------------------------------------


def test_the_count_is_a_live_metric_of_every_window() -> None:
    spec = next(s for s in LEGS.specs() if s.name == "ccm_call_legs_transferred_out")
    assert (spec.kind, spec.labels) == ("gauge", ("channel", "queue", "window"))
    figures = Figures()
    dim = ("999", "fcr")
    put_windows(figures, {(id(LEGS), dim): (CALLS, LEGS, {Window.TODAY: vector()})}, targets())
    assert figures.values["ccm_call_legs_transferred_out"] == {("999", "fcr", "today"): 3}
    assert figures.values["ccm_call_legs_answered"] == {("999", "fcr", "today"): 36}


def recorded() -> dict[str, str]:
    return {
        r.record: r.expr for g in recording_groups(REGISTRY) if g.name == "ccm-calls"
        for r in g.rules
    }  # fmt: skip


def test_the_measure_has_a_recording_rule_in_its_familys_group() -> None:
    assert recorded()["channel_queue_window:ccm_call_transferred_out:ratio"] == (
        "sum by (channel, queue, window) (ccm_call_legs_transferred_out)\n/\n"
        "sum by (channel, queue, window) (ccm_call_legs_answered)"
    )
    # And nothing else moved: the registry without it gives today's rules.
    without = {r.record for g in recording_groups() for r in g.rules}
    with_it = {r.record for g in recording_groups(REGISTRY) for r in g.rules}
    assert with_it - without == {"channel_queue_window:ccm_call_transferred_out:ratio"}


def test_promtool_evaluates_the_rule_on_series_of_the_metric(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run deploy/install-system-deps"
    rules = tmp_path / "rules.yml"
    rules.write_text(dump({"groups": [g.document("") for g in recording_groups(REGISTRY)]}))
    # Two workers each hold part of the queue: 1 + 2 transferred of 10 + 26 answered.
    (tmp_path / "test.yml").write_text(
        f"rule_files: [{rules}]\nevaluation_interval: 1m\ntests:\n"
        "  - interval: 1m\n    input_series:\n"
        + "".join(
            f'      - series: \'{name}{{channel="999",queue="fcr",window="today",'
            f'instance="w{w}"}}\'\n        values: "{n}x2"\n'
            for name, w, n in (
                ("ccm_call_legs_transferred_out", 1, 1),
                ("ccm_call_legs_transferred_out", 2, 2),
                ("ccm_call_legs_answered", 1, 10),
                ("ccm_call_legs_answered", 2, 26),
            )
        )
        + "    promql_expr_test:\n"
        "      - expr: channel_queue_window:ccm_call_transferred_out:ratio\n"
        "        eval_time: 1m\n        exp_samples:\n"
        "          - labels: 'channel_queue_window:ccm_call_transferred_out:ratio"
        '{channel="999",queue="fcr",window="today"}\'\n'
        "            value: 0.08333333333333333\n"
    )
    run = subprocess.run(
        [promtool, "test", "rules", str(tmp_path / "test.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_dashboard_query_of_the_measure_reads_the_metric() -> None:
    query = TRANSFER_RATE.promql(sel(channel="999", window="today"), "queue")
    assert query == (
        'sum by (queue) (ccm_call_legs_transferred_out{channel="999",window="today"}) / '
        'sum by (queue) (ccm_call_legs_answered{channel="999",window="today"})'
    )
    names = selected(promql_parser.parse(query))
    assert names == {"ccm_call_legs_transferred_out", "ccm_call_legs_answered"}
    assert names <= {spec.name for spec in LEGS.specs()}


def pack_row() -> object:
    row_type = with_row(CallRow, LEGS)
    return row_type("2026-03", "999", "fcr", "strict", **LEGS.pack(vector()))


def test_the_count_is_a_field_of_the_monthly_packs_call_rows() -> None:
    row = pack_row()
    assert asdict(row) == {
        "month": "2026-03", "channel": "999", "queue": "fcr", "formula": "strict",
        "offered": 40, "answered": 36, "answered_within_target": 0, "answered_under_10s": 0,
        "answered_under_60s": 0, "abandoned": 4, "abandoned_within_target": 0,
        "short_abandoned": 0, "answer_us_sum": 0, "transferred_out": 3,
    }  # fmt: skip
    # What the row already derived still holds: 0 of 36 + 4 answered within target.
    assert row.abandonment_pct == Decimal("10.0")


def test_the_measure_is_a_kpis_csv_row_with_its_numerator_and_denominator(
    tmp_path: Path,
) -> None:
    pack = MonthlyPack("2026-03-01", "2026-03-31", ("2026-03",), calls=(pack_row(),))
    path = tmp_path / "kpis.csv"
    write_table(path, KPI_TABLE, kpi_rows(pack, REGISTRY))
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    (transferred,) = [r for r in rows if r["measure"] == "call_transferred_out"]
    assert {k: v for k, v in transferred.items() if v} == {
        "month": "2026-03", "measure": "call_transferred_out", "channel": "999",
        "queue": "fcr", "numerator": "3", "denominator": "36", "value": "8.3",
        "unit": "percent",
    }  # fmt: skip
    # After the queue's other measures, every other row as it is today.
    today = list(csv.DictReader(io.StringIO(_kpis_now(tmp_path, pack))))
    assert [r for r in rows if r is not transferred] == today
    assert rows[rows.index(transferred) - 1]["measure"] == "call_asa_seconds"


def _kpis_now(tmp_path: Path, pack: MonthlyPack) -> str:
    path = tmp_path / "now.csv"
    write_table(path, KPI_TABLE, kpi_rows(pack))
    return path.read_text()


# --- the checkpoint, by name -----------------------------------------------------------

WANTED = layouts((LEGS, *CALLS.rows[1:]))
AT = WANTED[0][1].index("transferred_out")


def legs_vectors(ledger: dict) -> list[list[int]]:
    tally = ledger["tallies"][0]
    return [
        entry[1] for t in ("minutes", "days", "live_days") for _, by in tally[t] for entry in by
    ]


def with_a_late_answer() -> list[bytes]:
    """Two calls, then one answered after the grace period: a call whose contribution to
    the live windows the checkpoint keeps beside it (``min``)."""

    def at(hh_mm_ss: str) -> str:
        return f"2026-03-10T{hh_mm_ss}+00:00"

    return [
        *calls(2),
        raw(event("call.queued", call_id="late", channel="999", queue="fcr",
                  occurred_at=at("09:00:00"), event_id="ql")),
        raw(event("call.queued", call_id="next", channel="999", queue="fcr",
                  occurred_at=at("12:00:00"), event_id="qn")),
        raw(event("call.answered", call_id="late", queue="fcr", occurred_at=at("09:00:30"),
                  event_id="al")),
    ]  # fmt: skip


def test_a_checkpoint_without_the_count_is_read_into_the_new_layout_by_name() -> None:
    held = body(write(applied(with_a_late_answer()), Chain(), KEY)[0][1])["ledger"]
    moved = copy.deepcopy(held)
    move_ledger(moved, FORMAT_4["calls"], WANTED)
    for was, now in zip(legs_vectors(held), legs_vectors(moved), strict=True):
        assert now[AT] == 0 and now[:AT] + now[AT + 1 :] == was
    # Each call's own contribution to the legs tally moved too.
    (before,) = held["lifecycles"]["late"]["min"][0][0]
    (after,) = moved["lifecycles"]["late"]["min"][0][0]
    assert before[2][:3] == [1, 0, 0] and len(before[2]) == LEGS.width - 1
    assert after[2] == [*before[2][:AT], 0, *before[2][AT:]]


def test_the_new_count_round_trips_a_checkpoint_and_format_4_is_written_without_it() -> None:
    held = body(write(applied(with_a_late_answer()), Chain(), KEY)[0][1])["ledger"]
    five = copy.deepcopy(held)
    move_ledger(five, FORMAT_4["calls"], WANTED)
    for v in legs_vectors(five):
        v[AT] = 2
    # Through a tally of the new width and back: every count where it was.
    tally = Tally(LEGS.width)
    tally.load_json(copy.deepcopy(five["tallies"][0]))
    assert orjson.loads(orjson.dumps(tally.to_json())) == five["tallies"][0]
    # Format 4, which the previous release reads by position: exactly what it held.
    four = copy.deepcopy(five)
    move_ledger(four, WANTED, FORMAT_4["calls"], dropping=True)
    assert four == held
    # This release, which does not count it, refuses the new layout rather than misread.
    with pytest.raises(LayoutMismatch, match="transferred_out"):
        move_ledger(copy.deepcopy(five), WANTED, FORMAT_4["calls"])
