"""Points allocation: whole, non-negative points adding up to the budget; the server decides."""

from __future__ import annotations

import pytest

from consult.questions import get_type
from tests.questions.examples import FOUR, SEED, form, spec

POINTS = get_type("points")
MESSAGE = "Enter a whole number of points from 0 to 100 for “الترجمة الفورية”."


def points(budget=100):
    return spec("points", items=FOUR, settings={"budget": budget})


def allot(**by_item: str):
    return form(*((f"q-points-{code}", v) for code, v in by_item.items()))


def test_points_adding_up_to_the_budget_blank_items_count_zero():
    parsed = POINTS.parse(points(), allot(advisory_board="60", interpretation=" 40 "), SEED)
    assert parsed.errors == []
    assert parsed.value == {
        "advisory_board": 60,
        "interpretation": 40,
        "selforg_grants": 0,
        "district_data": 0,
    }


def test_arabic_indic_digits_and_exponents_are_numbers():
    parsed = POINTS.parse(points(), allot(advisory_board="٧٥", interpretation="2.5e1"), SEED)
    assert parsed.value == {
        "advisory_board": 75,
        "interpretation": 25,
        "selforg_grants": 0,
        "district_data": 0,
    }


@pytest.mark.parametrize(
    ("given", "total"),
    [
        ({"advisory_board": "99"}, 99),
        ({"advisory_board": "60", "interpretation": "60"}, 120),
        ({"advisory_board": "0"}, 0),
    ],
)
def test_points_not_adding_up_to_the_budget_are_refused(given, total):
    parsed = POINTS.parse(points(), allot(**given), SEED)
    assert parsed.value is None
    assert [(e.field, e.message) for e in parsed.errors] == [
        (
            "q-points-advisory_board",
            f"The points must add up to 100; they add up to {total}.",
        )
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "-10",
        "12.5",
        "12,5",
        "101",
        "1e400",
        "-1e400",
        "nan",
        "inf",
        "1e12",
        "ten",
        "9" * 40,
        "0x10",
    ],
)
def test_negative_fractional_huge_or_non_numeric_points_are_refused(bad):
    parsed = POINTS.parse(points(), allot(advisory_board="100", interpretation=bad), SEED)
    assert parsed.value is None
    assert [(e.field, e.message) for e in parsed.errors] == [("q-points-interpretation", MESSAGE)]
    assert parsed.raw["q-points-interpretation"] == [bad]


def test_two_values_for_one_item_are_refused():
    f = form(("q-points-advisory_board", "50"), ("q-points-advisory_board", "50"))
    parsed = POINTS.parse(points(), f, SEED)
    assert parsed.value is None
    assert [e.field for e in parsed.errors] == ["q-points-advisory_board"]


def test_a_budget_setting_that_is_not_a_positive_number_falls_back():
    assert POINTS.parse(points(budget="lots"), allot(advisory_board="100"), SEED).errors == []
    assert POINTS.parse(points(budget=-5), allot(advisory_board="1"), SEED).errors == []


def test_rows_describe_and_analysis():
    q = points()
    value = {"advisory_board": 70, "interpretation": 30, "selforg_grants": 0, "district_data": 0}
    rows = POINTS.to_rows(q, value)
    assert [(r.item_id, r.number) for r in rows] == [
        (101, 70.0),
        (102, 30.0),
        (103, 0.0),
        (104, 0.0),
    ]
    assert POINTS.from_rows(q, rows) == value
    assert POINTS.describe(q, value) == [
        "Advisory board: 70 points",
        "الترجمة الفورية: 30 points",
    ]
    assert POINTS.analysis_rows(q, rows) == [
        {"item": "advisory_board", "points": 70.0},
        {"item": "interpretation", "points": 30.0},
        {"item": "selforg_grants", "points": 0.0},
        {"item": "district_data", "points": 0.0},
    ]
