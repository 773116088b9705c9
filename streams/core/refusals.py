"""What a ledger raises to refuse an event.

A module of its own, left interpreted: the compiled ledgers (setup.py) raise these, and
mypyc would give an exception class it compiled a weak-reference slot that it frees
wrongly."""


class Duplicate(Exception):
    """The event's id was already applied to its lifecycle; it changes nothing."""


class Conflict(Exception):
    """A different event for a step the lifecycle already has."""
