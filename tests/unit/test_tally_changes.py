"""A tally's checkpoint of changes (`Tally.changes_to_json`): read back onto the tally
as the last checkpoint held it, it gives the tally as it is now, wherever prunes fell;
and a minute bucket made and pruned between two checkpoints is no change at all."""

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.core.tally import Contribution, Tally
from streams.core.timebase import MINUTE_US, RETAINED_MINUTES

DIM = ("999", "fcr")
BASE_MINUTE = 29_500_020  # 2026-02-02T03:00Z in minutes since the epoch (a whole hour)
WIDTH = 2


def _contribution(minute: int, vector: tuple[int, ...], wait_s: int) -> Contribution:
    at_us = (BASE_MINUTE + minute) * MINUTE_US + 7_000_000
    return Contribution(((DIM, at_us, vector),), ((DIM, at_us, wait_s * 10**6),))


def _normalised(tally: Tally) -> dict:
    """The tally's checkpoint with order left out (changes read back in another order)."""
    body = tally.to_json()
    return {
        name: {
            str(dim): {
                b: sorted(v) if name == "waits" else v for b, v in rows if v or name != "waits"
            }
            for dim, rows in body[name]
        }
        for name in ("minutes", "days", "live_days", "waits")
    } | {
        "day_waits": {
            str(dim): dict((d, sorted(s)) for d, s in rows) for dim, rows in body["day_waits"]
        }
    }


def test_a_minute_made_and_pruned_between_checkpoints_is_no_change() -> None:
    tally = Tally(WIDTH)
    for minute in (0, 10):
        tally.replace_minutes(Contribution(), _contribution(minute, (1, 0), 5))
    tally.track_changes()  # the checkpoint holds minutes 0 and 10
    tally.replace_minutes(Contribution(), _contribution(100, (1, 1), 7))
    tally.replace_minutes(Contribution(), _contribution(3000, (0, 1), 9))
    # Stream time at minute 3000: everything before 3000 - RETAINED_MINUTES, on the hour,
    # is pruned, minutes 0, 10 and 100 among them.
    tally.prune((BASE_MINUTE + 3000) * MINUTE_US)
    assert BASE_MINUTE + 100 < BASE_MINUTE + 3000 - RETAINED_MINUTES - 60
    rows = {
        (name, bucket - BASE_MINUTE): value
        for name, dim, bucket, value in tally.changes_to_json()
        if name in ("minutes", "waits")
    }
    assert rows == {
        ("minutes", 0): None,
        ("minutes", 10): None,
        ("waits", 0): None,
        ("waits", 10): None,
        ("minutes", 3000): [0, 1],
        ("waits", 3000): [9_000_000],
    }


def test_the_next_checkpoint_holds_only_what_changed_after_the_last() -> None:
    tally = Tally(WIDTH)
    tally.track_changes()
    tally.replace_minutes(Contribution(), _contribution(0, (1, 0), 5))
    assert len([r for r in tally.changes_to_json() if r[0] in ("minutes", "waits")]) == 2
    # Minute 0 is now in the last checkpoint: pruned, it is a change.
    tally.replace_minutes(Contribution(), _contribution(3000, (0, 1), 9))
    tally.prune((BASE_MINUTE + 3000) * MINUTE_US)
    rows = {
        (r[0], r[2] - BASE_MINUTE): r[3] for r in tally.changes_to_json() if r[0] != "live_days"
    }
    assert rows == {
        ("minutes", 0): None,
        ("waits", 0): None,
        ("minutes", 3000): [0, 1],
        ("waits", 3000): [9_000_000],
    }


step = st.one_of(
    st.tuples(
        st.just("add"),
        # Minutes on from the last prune: many land beyond what the next prune keeps.
        st.integers(0, 4 * RETAINED_MINUTES),
        st.tuples(st.integers(0, 3), st.integers(0, 3)),
        st.integers(1, 600),
        st.booleans(),  # days too, or only the live windows
    ),
    st.tuples(st.just("take"), st.integers(0, 10**6)),
    st.tuples(st.just("prune"), st.integers(0, 3 * RETAINED_MINUTES)),
    st.tuples(st.just("checkpoint")),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(step, min_size=1, max_size=120))
def test_changes_read_back_give_the_tally_wherever_prunes_fell(steps) -> None:
    tally = Tally(WIDTH)
    tally.track_changes()
    restored = Tally(WIDTH)
    restored.load_json(tally.to_json())
    added: list[tuple[Contribution, bool]] = []
    pruned_at = 0
    for kind, *args in [*steps, ("checkpoint",)]:
        if kind == "add":
            minute, vector, wait_s, days = args
            contribution = _contribution(pruned_at + minute, vector, wait_s)
            tally.replace(Contribution(), contribution, days=days)
            added.append((contribution, days))
        elif kind == "take" and added:
            contribution, days = added.pop(args[0] % len(added))
            tally.replace(contribution, Contribution(), days=days)
        elif kind == "prune":
            pruned_at += args[0]
            tally.prune((BASE_MINUTE + pruned_at) * MINUTE_US)
        elif kind == "checkpoint":
            restored.apply_changes(tally.changes_to_json())
            assert _normalised(restored) == _normalised(tally)
