"""The public page's figures, from the generated log's lifecycles alone: the 999 mean
answer time, emergencies attended within the national standard by area, and 101 calls;
and the blanks of a table whose rows add up. The page itself, in a real browser, is
tested in tests/integration/test_public_page.py."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.core.monthly import MonthlyPack
from streams.core.pack import AreaAttendanceRow
from streams.core.public import answers_999, attendance_by_area, calls_101, hidden_cells
from streams.core.targets import parse_targets
from streams.export.standards import standard_text
from tests import monthly_data as data

MONTHS = ["2026-03", "2026-04", "2026-05", "2026-10", "2026-11"]
STANDARD_MIN = {"urban": 15, "rural": 20}
"""The national standard, written here from the white paper, not read from the code."""


def tenths(numerator: int, denominator: int) -> Decimal:
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def expected_mean_999(log: data.Log, month: str) -> Decimal | None:
    waits = [
        leg.wait_us
        for call in log.calls
        for leg in call.legs
        if (leg.channel, leg.queue) == ("999", "fcr") and leg.answered
        and data.month_of(leg.queued) == month
    ]  # fmt: skip
    return tenths(sum(waits), len(waits) * 1_000_000) if waits else None


def expected_area(log: data.Log, month: str) -> dict[str, tuple[int, int]]:
    """Emergencies created in the month by area, and those attended (with an attendance
    time) no later than the national standard for their area."""
    found = {"urban": [0, 0], "rural": [0, 0], "all": [0, 0]}
    for incident in log.incidents:
        if data.month_of(incident.created) != month:
            continue
        if incident.response_and_target_us()[0] != "emergency":
            continue
        within = (
            incident.outcome == "attended"
            and incident.after_us <= STANDARD_MIN[incident.area] * 60_000_000
        )
        for area in (incident.area, "all"):
            found[area][0] += 1
            found[area][1] += within
    return {area: (e, w) for area, (e, w) in found.items()}


def expected_calls_101(log: data.Log, month: str) -> int:
    return sum(
        1
        for c in log.calls
        if c.legs[0].channel == "101" and data.month_of(c.legs[0].queued) == month
    )


def expected_mean_101(log: data.Log, month: str) -> Decimal | None:
    """The mean of 101 calls' first waits, over those whose first leg was answered."""
    waits = [
        c.legs[0].wait_us
        for c in log.calls
        if c.legs[0].channel == "101" and c.legs[0].answered
        and data.month_of(c.legs[0].queued) == month
    ]  # fmt: skip
    return tenths(sum(waits), len(waits) * 1_000_000) if waits else None


def test_999_mean_answer_time_matches_the_lifecycles(pack: MonthlyPack, log: data.Log) -> None:
    rows = {r.bands.month: r for r in answers_999(pack, threshold=1)}
    for month in MONTHS:
        assert rows[month].mean_seconds == expected_mean_999(log, month), month
    assert rows["2026-10"].mean_seconds is not None
    assert rows["2026-05"].mean_seconds is None  # a month with no calls has no mean


def test_attendance_by_area_matches_the_lifecycles(pack: MonthlyPack, log: data.Log) -> None:
    rows = {(r.month, r.area): r for r in attendance_by_area(pack, threshold=1)}
    for month in MONTHS:
        for area, (emergencies, within) in expected_area(log, month).items():
            row = rows[(month, area)]
            assert (row.emergencies, row.within, row.not_within) == (
                emergencies,
                within,
                emergencies - within,
            ), (month, area)
    # October holds both policies (NPCC from the 20th: its urban emergencies are due in
    # 20 minutes, the standard's 15 still applies) and the clock change.
    october = expected_area(log, "2026-10")
    assert october["urban"][0] > october["urban"][1] > 0
    assert october["rural"][0] > october["rural"][1] > 0


def test_101_calls_are_counted_once_by_their_first_leg(pack: MonthlyPack, log: data.Log) -> None:
    rows = {r.month: (r.calls, r.mean_seconds) for r in calls_101(pack, threshold=1)}
    assert rows == {m: (expected_calls_101(log, m), expected_mean_101(log, m)) for m in pack.months}
    transferred = [c for c in log.calls if c.legs[0].channel == "101" and len(c.legs) > 1]
    assert transferred  # so a count of legs would differ


def test_the_standard_follows_its_dates() -> None:
    targets_data = data.targets_data()
    later = {"effective_from": date(2026, 10, 15), "answer_999_within_seconds": 10,
             "emergency_attend_within_minutes": {"urban": 20, "rural": 30}}  # fmt: skip
    targets_data["national_standards"].append(later)
    targets = parse_targets(targets_data)
    assert standard_text(targets, "2026-09", "urban") == "15 minutes"
    assert standard_text(targets, "2026-10", "urban") == "15 minutes, then 20 minutes"
    assert standard_text(targets, "2026-11", "rural") == "30 minutes"
    assert standard_text(targets, "2026-10", "all") == (
        "urban 15 minutes, then 20 minutes; rural 20 minutes, then 30 minutes"
    )


def test_an_unreadable_standard_says_what_to_fix() -> None:
    targets_data = data.targets_data()
    targets_data["national_standards"][0]["emergency_attend_within_minutes"]["urban"] = 16
    with pytest.raises(ValueError, match="urban: 16 minutes is not an attendance-time"):
        parse_targets(targets_data)
    targets_data = data.targets_data()
    targets_data["national_standards"][0]["answer_999_within_seconds"] = 15
    with pytest.raises(ValueError, match="set it to 10"):
        parse_targets(targets_data)


# --- blanks across rows that add up ---------------------------------------------------------


def area_pack(rows: dict[str, tuple[int, int]]) -> MonthlyPack:
    return MonthlyPack(
        "2026-10",
        "2026-10",
        ("2026-10",),
        area_attendance=tuple(
            AreaAttendanceRow("2026-10", area, e, w) for area, (e, w) in rows.items()
        ),
    )


@pytest.mark.parametrize(
    ("urban", "rural", "published"),
    [
        # nothing small: all shown
        ((100, 80), (50, 40), {"urban": (100, 80, 20), "rural": (50, 40, 10),
                               "all": (150, 120, 30)}),
        # 5 urban misses: they and urban's met go, then rural's and all's of both, or the
        # all row would give them away
        ((100, 95), (50, 40), {"urban": (100, None, None), "rural": (50, None, None),
                               "all": (150, 135, 15)}),
        # a small area: its row blank throughout, and the other area's counts with it,
        # since all minus the other would give them
        ((6, 5), (50, 40), {"urban": (None, None, None), "rural": (None, None, None),
                            "all": (56, 45, 11)}),
        # zeros are shown: they disclose nothing
        ((0, 0), (50, 40), {"urban": (0, 0, 0), "rural": (50, 40, 10), "all": (50, 40, 10)}),
    ],
)  # fmt: skip
def test_area_blanks_cannot_be_worked_out(urban, rural, published) -> None:
    total = (urban[0] + rural[0], urban[1] + rural[1])
    rows = attendance_by_area(area_pack({"urban": urban, "rural": rural, "all": total}), 10)
    assert {r.area: (r.emergencies, r.within, r.not_within) for r in rows} == published


@given(
    st.lists(st.integers(0, 40), min_size=4, max_size=4),
    st.integers(2, 12),
)
def test_no_sum_is_left_with_a_single_blank(parts: list[int], threshold: int) -> None:
    """A 2 by 2 table with its row, column and grand totals: whatever the counts, no
    sum has exactly one blank, and every small count is blank."""
    a, b, c, d = parts
    cells = {"a": a, "b": b, "c": c, "d": d, "r1": a + b, "r2": c + d, "c1": a + c,
             "c2": b + d, "t": a + b + c + d}  # fmt: skip
    sums = [["r1", "a", "b"], ["r2", "c", "d"], ["c1", "a", "c"], ["c2", "b", "d"],
            ["t", "r1", "r2"], ["t", "c1", "c2"]]  # fmt: skip
    hidden = hidden_cells(cells, sums, threshold)
    assert {k for k, v in cells.items() if 0 < v < threshold} <= hidden
    for total, *rest in sums:
        blank = [k for k in (total, *rest) if k in hidden]
        assert len(blank) != 1, (cells, hidden, total)


def test_no_blanked_figure_is_read_from_a_sentence_or_a_bar(tmp_path) -> None:
    """1,234 urban emergencies of which 5 were not within the standard: the 5, the 1,229
    and 99.6 % that would give it away, and rural's 240 and 60 that the all row would, are
    blank in the tables, and appear in no sentence, bar or anywhere else on the page; nor
    do 6 999 calls answered, nor their mean."""
    from datetime import UTC, datetime

    from streams.core.pack import AnswerBandRow, CallRow
    from streams.export.public_site import write_public_site

    urban, rural = (1234, 1229), (300, 240)
    rows = {"urban": urban, "rural": rural, "all": (1534, 1469)}
    pack = MonthlyPack(
        "2026-10",
        "2026-10",
        ("2026-10",),
        calls=(CallRow("2026-10", "999", "fcr", "strict", answered=6, answer_us_sum=31_000_000),),
        answer_bands=(AnswerBandRow("2026-10", answered=6, under_10s=5, under_60s=6),),
        area_attendance=tuple(
            AreaAttendanceRow("2026-10", area, e, w) for area, (e, w) in rows.items()
        ),
    )
    write_public_site(pack, data.targets(), tmp_path, datetime(2026, 11, 8, tzinfo=UTC))
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    # The all row stays: with both areas' within and not within blank, it leaves the 5
    # anywhere from 0 to 65.
    for hidden in ("1,229", "1229", "99.6", "240", "80.0", ">5<", ">6<", ">60<", "5.2"):
        assert hidden not in page, hidden
    assert "In October 2026 too few 999 calls were answered to publish their figures." in page
    assert (
        "1,234 emergencies in urban areas (how many were attended within 15 minutes is not "
        "published, to protect small numbers)"
    ) in page
    assert page.count("too few to show") == 3  # the 999 bar, and both areas' bars
