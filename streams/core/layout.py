"""What each position of a tally's count vectors holds, by name, so that checkpoints
are read by name and not by position.

A tally's vectors are its row's counts (by their enum's values) and then its bucket
counts (``le_<seconds>``). Format 5 checkpoints record each tally's layout; format 4
and earlier hold `FORMAT_4` by position, as 0.1.0 wrote and reads them. On restore a
layout other than this release's is moved into it by name: a count this release added
starts at zero where the checkpoint did not keep it, and a count this release does not
know is refused (`LayoutMismatch`), never misread into another's position.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence

from streams.core.families.declare import Row

Layout = tuple[str, ...]
"""The names of a tally's vector positions."""
Layouts = tuple[tuple[str, Layout], ...]
"""(row name, layout) of each tally of a family, in the ledger's order."""


class LayoutMismatch(ValueError):
    """A checkpoint holds counts this release cannot place."""


def row_layout(row: Row) -> Layout:
    names = [""] * row.first_bucket
    for count in row.counts:
        names[count.count] = count.count.name.lower()
    if "" in names:
        raise ValueError(f"row {row.name} declares no count for position {names.index('')}")
    return (*names, *(f"le_{bound}" for bound in row.buckets))


def layouts(rows: Iterable[Row]) -> Layouts:
    return tuple((row.name, row_layout(row)) for row in rows)


def digest(of: Layouts) -> str:
    """A short name for a family's layouts: what a record of changes carries, the
    snapshot it follows holding them whole."""
    return hashlib.sha256(json.dumps(to_json(of)).encode()).hexdigest()[:16]


def to_json(of: Layouts) -> list:
    return [[name, list(layout)] for name, layout in of]


def from_json(data: list) -> Layouts:
    return tuple((str(name), tuple(layout)) for name, layout in data)


_LEG_BUCKETS = (1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 600, 900, 1800, 3600)
_CALLBACK_BUCKETS = (60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 7200, 14400, 43200, 86400)
_INCIDENT_BUCKETS = (
    300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 14400, 28800, 43200, 86400, 172800, 345600
)  # fmt: skip


def _le(bounds: Sequence[int]) -> Layout:
    return tuple(f"le_{bound}" for bound in bounds)


FORMAT_4: dict[str, Layouts] = {
    "calls": (
        ("legs", ("offered", "answered", "answered_within_target", "answered_under_10s",
                  "abandoned", "abandoned_within_target", "short_abandoned", "answer_us_sum",
                  "handled", "handle_us_sum", "answered_under_60s", *_le(_LEG_BUCKETS))),
        ("calls", ("contacts", "settled", "combined_wait_us_sum")),
        ("first_legs", ("answered", "answer_us_sum")),
        ("callbacks", ("owed", "first_attempted", "first_attempt_within_target",
                       "first_attempt_us_sum", "resolved", "resolved_within_target", "attempts",
                       *_le(_CALLBACK_BUCKETS))),
        ("callback_attempts", ("attempts", "resolved")),
        ("callbacks_not_owed", ("callbacks",)),
    ),
    "chats": (
        ("chats", ("requested", "accepted", "accepted_within_target", "abandoned",
                   "abandoned_within_target", "outside_hours", "accept_us_sum")),
    ),
    "reports": (("reports", ("submitted", "triaged", "triage_us_sum")),),
    "incidents": (
        ("incidents", ("created", "met", "missed", "attended", "closed_unattended",
                       "downgraded_after_breach", "category_met", "category_missed",
                       "attendance_us_sum", "attendance_timed", *_le(_INCIDENT_BUCKETS))),
    ),
}  # fmt: skip
"""Every family's tallies as format 4 holds them by position: what 0.1.0 wrote for the
tallies it kept (the first ones), and this release for the later ones. Fixed for good:
a release that changes a count still reads and writes format 4 this way."""


def moves(held: Layouts, wanted: Layouts, *, dropping: bool = False) -> list[list[int] | None]:
    """For each tally ``held`` keeps: where each of its positions goes in ``wanted``'s
    (-1: dropped), or None when there is nothing to move (the same layout, or a tally
    beyond ``wanted``'s, which is passed over). A tally in another order, or (unless
    ``dropping``: writing an older format) a count ``wanted`` has no place for, raises
    `LayoutMismatch`."""
    found = []
    for i, (name, layout) in enumerate(held):
        if i >= len(wanted):
            # A later release's tally, which this one passes over as 0.1.0 passes over
            # the later ones: left as it is.
            found.append(None)
            continue
        wanted_name, wanted_layout = wanted[i]
        if name != wanted_name:
            raise LayoutMismatch(
                f"tally {i} of the checkpoint is {name!r} where this release keeps "
                f"{wanted_name!r}: run the release that wrote it"
            )
        if layout == wanted_layout:
            found.append(None)
            continue
        where = {n: j for j, n in enumerate(wanted_layout)}
        unknown = [n for n in layout if n not in where]
        if unknown and not dropping:
            raise LayoutMismatch(
                f"the checkpoint's {name} tally holds {', '.join(unknown)}, which this "
                "release does not count: run the release that wrote it or a later one"
            )
        found.append([where.get(n, -1) for n in layout])
    return found


def move_vector(vector: Sequence[int], to: list[int], width: int) -> list[int]:
    moved = [0] * width
    for value, j in zip(vector, to, strict=True):
        if j >= 0:
            moved[j] = value
    return moved


def move_ledger(data: dict, held: Layouts, wanted: Layouts, *, dropping: bool = False) -> None:
    """Move a ledger's JSON (`Ledger.to_json_parts`, or its `changes_parts`) in place from
    the ``held`` layouts to the ``wanted`` ones: tallies, changed buckets and the
    lifecycles' contributions."""
    plan = moves(held, wanted, dropping=dropping)
    if all(to is None for to in plan):
        return
    shared = len(data["tallies"])
    # Only tallies both keep are moved (`moves`): a position in ``wanted`` for each.
    widths = [len(layout) for _, layout in wanted]
    tallies = [*data["tallies"], *data.get("later", [])]
    for i, tally in enumerate(tallies[: len(plan)]):
        to = plan[i]
        if to is None:
            continue
        if isinstance(tally, dict):  # a whole tally
            for table in ("minutes", "days", "live_days"):
                for _dim, by_bucket in tally[table]:
                    for entry in by_bucket:
                        entry[1] = move_vector(entry[1], to, widths[i])
        else:  # changed buckets: [table, dim, bucket, vector or None]
            for change in tally:
                if change[0] in ("minutes", "days", "live_days") and change[3] is not None:
                    change[3] = move_vector(change[3], to, widths[i])
    for record in data["lifecycles"].values():
        if record is None:
            continue
        for key, first in (("min", 0), ("min_later", shared)):
            for i, (counts, _waits) in enumerate(record.get(key, ()), start=first):
                to = plan[i] if i < len(plan) else None
                if to is not None:
                    for entry in counts:
                        entry[2] = move_vector(entry[2], to, widths[i])
