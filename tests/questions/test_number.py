"""Number: one finite number within min/max, typed the way people type numbers."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from consult.questions import get_type
from consult.questions.base import parse_number
from tests.questions.examples import SEED, form, spec

NUMBER = get_type("number")


def number(**settings):
    return spec("number", settings=settings)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("12", 12.0),
        (" 3.5 ", 3.5),
        ("3,5", 3.5),
        ("-7", -7.0),
        ("٣", 3.0),
        ("١٢٫٥", 12.5),  # Arabic-Indic digits with the Arabic decimal separator
        ("۴۲", 42.0),  # Persian digits
        ("1e3", 1000.0),
        ("1e12", 1e12),
    ],
)
def test_numbers_people_type(raw, value):
    parsed = NUMBER.parse(number(), form(("q-number", raw)), SEED)
    assert parsed.errors == []
    assert parsed.value == value


@pytest.mark.parametrize(
    "raw",
    ["1e400", "-1e400", "inf", "-Infinity", "nan", "NaN", "abc", "12abc", "0x10", "1" * 33, "--1"],
)
def test_not_a_finite_number(raw):
    parsed = NUMBER.parse(number(), form(("q-number", raw)), SEED)
    assert parsed.value is None
    assert [(e.field, e.message) for e in parsed.errors] == [
        ("q-number", "Enter a number, like 12 or 3.5.")
    ]
    assert parsed.raw == {"q-number": [raw]}


def test_multiple_values_are_refused():
    parsed = NUMBER.parse(number(), form(("q-number", "1"), ("q-number", "2")), SEED)
    assert parsed.value is None
    assert parsed.errors[0].message == "Enter a number, like 12 or 3.5."


@pytest.mark.parametrize("raw", ["-1", "100001", "1e6"])
def test_out_of_range(raw):
    q = number(min=0, max=100_000)
    parsed = NUMBER.parse(q, form(("q-number", raw)), SEED)
    assert parsed.value is None
    assert parsed.errors[0].message == "Enter a number from 0 to 100,000."


def test_beyond_the_hard_limit_without_settings():
    parsed = NUMBER.parse(number(), form(("q-number", "2e12")), SEED)
    assert parsed.value is None
    assert parsed.errors[0].message.startswith("Enter a number from")


def test_whole_numbers_only_when_asked():
    q = number(integer=True)
    assert NUMBER.parse(q, form(("q-number", "2.5")), SEED).errors[0].message == (
        "Enter a whole number."
    )
    assert NUMBER.parse(q, form(("q-number", "2,0")), SEED).value == 2.0


def test_parse_number_is_total():
    for raw in ["", " ", "٫", ",", ".", "e", "1e", "\x00", "٣" * 40]:
        assert parse_number(raw) is None


def test_rows_and_describe_in_the_participants_language():
    q = number()
    rows = NUMBER.to_rows(q, 1234.5)
    assert [r.number for r in rows] == [1234.5]
    assert NUMBER.from_rows(q, rows) == 1234.5
    assert NUMBER.from_rows(q, []) is None
    assert NUMBER.describe(q, 1234.5) == ["1,234.5"]
    with force_locale("tr"):
        assert NUMBER.describe(q, 1234.5) == ["1.234,5"]
    assert NUMBER.describe(q, 0.0) == ["0"]
    assert NUMBER.analysis_rows(q, rows) == []
