"""Each family's declaration agrees with its ledger and with the monthly pack."""

from dataclasses import fields

import pytest

from schemas import Family
from streams.core.families import FAMILIES, FamilySpec
from streams.core.pack import (
    CallbackNotOwedRow,
    CallbackOutcomeRow,
    CallbackRow,
    CallRow,
    ChatRow,
    CombinedWaitRow,
    FirstLegRow,
    IncidentGradeRow,
    ReportRow,
)
from streams.core.partition import make_ledger
from streams.core.timebase import TimeRules
from streams.settings import Settings
from tests.scenario import TARGETS

PACK_DIMENSIONS = {"grade"}
"""Integer fields of a pack row that say where, not how many."""
PACK_ROWS = {
    "legs": CallRow,
    "calls": CombinedWaitRow,
    "first_legs": FirstLegRow,
    "callbacks": CallbackRow,
    "callback_attempts": CallbackOutcomeRow,
    "callbacks_not_owed": CallbackNotOwedRow,
    "chats": ChatRow,
    "reports": ReportRow,
    "incidents": IncidentGradeRow,
}


def test_every_family_consumed_is_declared_once() -> None:
    assert list(FAMILIES) == list(Family)


@pytest.mark.parametrize("spec", FAMILIES.values(), ids=lambda s: s.family.value)
def test_rows_are_the_ledgers_tallies(spec: FamilySpec) -> None:
    ledger = make_ledger(spec.family, TARGETS, TimeRules())
    assert isinstance(ledger, spec.ledger)
    assert [row.width for row in spec.rows] == list(ledger.tally_widths)


@pytest.mark.parametrize("spec", FAMILIES.values(), ids=lambda s: s.family.value)
def test_a_row_declares_every_count_of_its_enum_once(spec: FamilySpec) -> None:
    for row in spec.rows:
        declared = [c.count for c in row.counts]
        assert sorted(declared) == list(type(declared[0]))


@pytest.mark.parametrize("spec", FAMILIES.values(), ids=lambda s: s.family.value)
def test_pack_fields_are_the_pack_rows(spec: FamilySpec) -> None:
    """Every count field of a pack row is filled by a declared count, and every declared
    count fills one: a field nobody fills would be exported as 0 for ever."""
    for row in spec.rows:
        counted = {
            f.name
            for f in fields(PACK_ROWS[row.name])
            if f.type in (int, "int") and f.name not in PACK_DIMENSIONS
        }
        assert set(row.pack([0] * row.width)) == counted, row.name


def test_the_stale_rule_each_ledger_takes() -> None:
    rules = TimeRules(stale_us=1, report_stale_us=2, incident_stale_us=3)
    stale = {family: spec.stale(rules) for family, spec in FAMILIES.items()}
    assert stale == {Family.CALLS: 1, Family.CHATS: 1, Family.REPORTS: 2, Family.INCIDENTS: 3}


def test_the_topic_of_each_family_is_its_setting() -> None:
    settings = Settings(topic_calls="c", topic_chats="h", topic_reports="r", topic_incidents="i")
    topics = {family: settings.topic_for(family) for family in Family}
    assert topics == {
        Family.CALLS: "c",
        Family.CHATS: "h",
        Family.REPORTS: "r",
        Family.INCIDENTS: "i",
    }
