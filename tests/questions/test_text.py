"""Short and long text: cleaned, bounded, one value per field."""

from __future__ import annotations

import pytest

from consult.questions import get_type
from consult.questions.base import MAX_TEXT
from tests.questions.examples import SEED, form, spec

SHORT = get_type("short_text")
LONG = get_type("long_text")


def short(**settings):
    return spec("short_text", settings=settings)


def long_(**settings):
    return spec("long_text", settings=settings)


def test_text_is_trimmed_and_normalised():
    parsed = SHORT.parse(short(), form(("q-short_text", "  Cafe\u0301 in Fatih\t ")), SEED)
    assert parsed.value == "Café in Fatih"  # NFC: one code point for é


def test_control_characters_are_removed():
    raw = "a\x00b\x1b[31mc\x07d\x7f"
    assert SHORT.parse(short(), form(("q-short_text", raw)), SEED).value == "ab[31mcd"
    assert LONG.parse(long_(), form(("q-long_text", raw)), SEED).value == "ab[31mcd"


def test_long_text_keeps_lines_and_normalises_line_ends():
    parsed = LONG.parse(long_(), form(("q-long_text", "one\r\ntwo\rthree\n\tfour")), SEED)
    assert parsed.value == "one\ntwo\nthree\n\tfour"


def test_short_text_is_one_line():
    assert "\n" not in SHORT.parse(short(), form(("q-short_text", "one\ntwo")), SEED).value


@pytest.mark.parametrize("raw", ["", "   ", "\x00\x01", "\r\n\r\n"])
def test_blank_is_no_answer(raw):
    parsed = LONG.parse(long_(), form(("q-long_text", raw)), SEED)
    assert (parsed.value, parsed.errors) == (None, [])


def test_overlong_text_is_refused_and_kept_for_the_participant():
    raw = "ب" * 151
    parsed = SHORT.parse(short(max_length=150), form(("q-short_text", raw)), SEED)
    assert parsed.value is None
    assert [(e.field, e.message) for e in parsed.errors] == [
        ("q-short_text", "Shorten your answer to 150 characters; it has 151.")
    ]
    assert parsed.raw == {"q-short_text": [raw]}
    exact = SHORT.parse(short(max_length=150), form(("q-short_text", "ب" * 150)), SEED)
    assert exact.value == "ب" * 150


def test_defaults_and_the_hard_ceiling():
    assert SHORT.parse(short(), form(("q-short_text", "x" * 201)), SEED).errors
    assert SHORT.parse(short(), form(("q-short_text", "x" * 200)), SEED).errors == []
    assert LONG.parse(long_(), form(("q-long_text", "x" * 2001)), SEED).errors
    huge = long_(max_length=10**9)  # a setting cannot lift the ceiling
    assert LONG.parse(huge, form(("q-long_text", "x" * (MAX_TEXT + 1))), SEED).errors
    assert LONG.parse(huge, form(("q-long_text", "x" * MAX_TEXT)), SEED).errors == []
    assert (
        SHORT.parse(short(max_length="long"), form(("q-short_text", "x" * 200)), SEED).errors == []
    )


def test_a_megabyte_of_text_is_refused_quickly():
    parsed = LONG.parse(long_(), form(("q-long_text", "x" * 1_000_000)), SEED)
    assert parsed.value is None
    assert "it has 1000000" in parsed.errors[0].message


def test_multiple_values_for_one_field_are_refused():
    parsed = SHORT.parse(short(), form(("q-short_text", "one"), ("q-short_text", "two")), SEED)
    assert parsed.value is None
    assert parsed.errors[0].message == "Enter one answer."
    assert parsed.raw == {"q-short_text": ["one"]}


def test_markup_is_stored_as_typed_text():
    raw = "<script>alert('x')</script>"
    parsed = SHORT.parse(short(), form(("q-short_text", raw)), SEED)
    assert parsed.value == raw  # escaping is the templates' job
    assert SHORT.describe(short(), raw) == [raw]


def test_rows_and_describe():
    q = long_()
    rows = LONG.to_rows(q, "line 1\nline 2")
    assert [r.text for r in rows] == ["line 1\nline 2"]
    assert LONG.from_rows(q, rows) == "line 1\nline 2"
    assert LONG.from_rows(q, []) is None
    assert LONG.describe(q, "line 1\nline 2") == ["line 1\nline 2"]
    assert LONG.analysis_rows(q, rows) == []
