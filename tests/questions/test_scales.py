"""Rating scale and matrix: one labelled point per row, "don't know" kept out of the analysis."""

from __future__ import annotations

import pytest

from consult.questions import get_type
from consult.questions.scale import scale_points
from tests.questions.examples import FOUR, SEED, form, items, scale_options, spec

RATING = get_type("rating")
MATRIX = get_type("matrix")


def rating(**fields):
    return spec("rating", options=scale_options(), items=items("interpretation"), **fields)


def matrix(**fields):
    return spec("matrix", options=scale_options(), items=FOUR[:3], **fields)


@pytest.mark.parametrize("code", ["1", "5", "dont_know"])
def test_rating_accepts_every_point(code):
    parsed = RATING.parse(rating(), form(("q-rating", code)), SEED)
    assert (parsed.value, parsed.errors) == (code, [])


@pytest.mark.parametrize(
    "raw",
    [
        ["0"],
        ["6"],
        ["3.0"],
        [" 3"],
        ["٣"],
        ["-1"],
        ["1e400"],
        ["nan"],
        ["Very important"],
        ["3", "4"],
    ],
)
def test_rating_refuses_what_is_not_a_point(raw):
    q = rating()
    parsed = RATING.parse(q, form(*(("q-rating", v) for v in raw)), SEED)
    assert parsed.value is None
    assert [(e.field, e.message) for e in parsed.errors] == [
        ("q-rating-1", "Choose a point on the scale.")
    ]
    assert parsed.raw == {"q-rating": raw}


def test_dont_know_can_be_switched_off():
    q = rating(settings={"dont_know": False})
    assert [p.code for p in scale_points(q)] == ["1", "2", "3", "4", "5"]
    assert RATING.parse(q, form(("q-rating", "dont_know")), SEED).errors


def test_a_scale_without_labelled_options_comes_from_the_settings():
    q = spec("rating", settings={"scale_min": 0, "scale_max": 10, "dont_know": True})
    codes = [p.code for p in scale_points(q)]
    assert codes == [*(str(v) for v in range(11)), "dont_know"]
    parsed = RATING.parse(q, form(("q-rating", "10")), SEED)
    assert parsed.value == "10"
    rows = RATING.to_rows(q, "10")
    assert RATING.from_rows(q, rows) == "10"
    # without an item, the question's own code names the analysed item
    assert RATING.analysis_rows(q, rows) == [{"item": "rating", "value": 10.0}]


def test_rating_rows_and_analysis():
    q = rating()
    rows = RATING.to_rows(q, "4")
    assert [(r.item_id, r.option_id, r.number, r.flag) for r in rows] == [(101, 304, 4.0, None)]
    assert RATING.analysis_rows(q, rows) == [{"item": "interpretation", "value": 4.0}]
    assert RATING.describe(q, "4") == ["Very important"]
    unsure = RATING.to_rows(q, "dont_know")
    assert [(r.number, r.flag) for r in unsure] == [(None, "dont_know")]
    assert RATING.from_rows(q, unsure) == "dont_know"
    assert RATING.describe(q, "dont_know") == ["Don't know"]
    assert RATING.analysis_rows(q, unsure) == []  # "don't know" is left out, never a number


def test_matrix_keeps_valid_rows_and_flags_each_bad_row():
    q = matrix()
    f = form(
        ("q-matrix-advisory_board", "4"),
        ("q-matrix-interpretation", "9"),
        ("q-matrix-selforg_grants", "2"),
        ("q-matrix-selforg_grants", "3"),  # two values for one row
        ("q-matrix-no_such_item", "5"),  # ignored
    )
    parsed = MATRIX.parse(q, f, SEED)
    assert [e.field for e in parsed.errors] == [
        "q-matrix-interpretation-1",
        "q-matrix-selforg_grants-1",
    ]
    assert "Interpretation" not in parsed.errors[0].message
    assert "الترجمة الفورية" in parsed.errors[0].message  # names the row
    assert parsed.value == {"advisory_board": "4"}
    assert parsed.raw["q-matrix-selforg_grants"] == ["2", "3"]
    assert "q-matrix-no_such_item" not in parsed.raw


def test_matrix_required_needs_every_row():
    q = matrix()
    partial = {"advisory_board": "4", "selforg_grants": "dont_know"}
    assert not MATRIX.is_answered(q, partial)
    errors = MATRIX.required_errors(q, partial)
    assert [e.field for e in errors] == ["q-matrix-interpretation-1"]
    assert MATRIX.required_errors(q, {**partial, "interpretation": "1"}) == []


def test_matrix_rows_describe_and_analysis():
    q = matrix()
    value = {"advisory_board": "5", "interpretation": "dont_know", "selforg_grants": "1"}
    rows = MATRIX.to_rows(q, value, SEED)
    assert MATRIX.from_rows(q, rows) == value
    assert MATRIX.describe(q, value) == [
        "Advisory board: Top",
        "الترجمة الفورية: Don't know",
        "Selforg grants: Not important",
    ]
    assert MATRIX.analysis_rows(q, rows) == [
        {"item": "advisory_board", "value": 5.0},
        {"item": "selforg_grants", "value": 1.0},
    ]
    assert MATRIX.from_rows(q, []) is None
