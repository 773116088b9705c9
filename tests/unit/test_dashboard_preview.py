"""The previews' numbers read as Grafana shows them, coloured by the panel's thresholds."""

import math

import pytest

from dashboards.preview import colour, formatted, legend


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.9234, "percentunit", "92.3%"),
        (7.25, "s", "7.2 s"),
        (57.4, "s", "57 s"),
        (90, "s", "1.5 min"),
        (7200, "s", "2.0 hour"),
        (3 * 2**20, "bytes", "3 MiB"),
        (12.34, "eps", "12.3 /s"),
        (1.5, "suffix:\N{MULTIPLICATION SIGN}", "1.50\N{MULTIPLICATION SIGN}"),
        (1764625500000, "dateTimeAsIso", "21:45:00"),
        (6, "short", "6"),
        (math.nan, "percentunit", "No data"),
    ],
)
def test_formatted(value: float, unit: str, text: str) -> None:
    assert formatted(value, unit) == text


PANEL = {
    "fieldConfig": {
        "defaults": {
            "thresholds": {
                "steps": [
                    {"value": None, "color": "red"},
                    {"value": 0.85, "color": "orange"},
                    {"value": 0.9, "color": "green"},
                ]
            }
        }
    }
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, "#F2495C"),
        (0.85, "#FF9830"),
        (0.8999, "#FF9830"),
        (0.9, "#73BF69"),
        (math.nan, "#F2495C"),
    ],
)
def test_colour_follows_the_thresholds(value: float, expected: str) -> None:
    assert colour(value, PANEL) == expected


def test_legend() -> None:
    assert legend("grade {{grade}} {{ response }}", {"grade": "1", "response": "emergency"}) == (
        "grade 1 emergency"
    )
