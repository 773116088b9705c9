"""Histogram bounds (inclusive, seconds) of answer and attendance times.

They are part of every partition's state (one count per bound), so they are fixed;
the targets file is checked against them, so that every target is a bound and
"answered (or attended) within target" can be read off a histogram.
"""

ANSWER_BUCKETS_S = (1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 600, 900, 1800, 3600)

ATTENDANCE_BUCKETS_S = (
    300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 14400,
    28800, 43200, 86400, 172800, 345600,
)  # fmt: skip

CALLBACK_BUCKETS_S = (60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 7200, 14400, 43200, 86400)
"""Time from an abandon to its first call-back attempt."""
