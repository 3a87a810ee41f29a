"""Single and multiple choice: only the options shown, once each, within min/max."""

from __future__ import annotations

import pytest

from consult.questions import get_type
from tests.questions.examples import SEED, form, options, spec

SINGLE = get_type("single_choice")
MULTIPLE = get_type("multiple_choice")


def single():
    return spec("single_choice", options=options("yes", "partly", "no"))


def multiple(**settings):
    return spec(
        "multiple_choice",
        options=options("arabic", "persian", "pashto", "english", "french"),
        settings={"min_select": 1, "max_select": 3, **settings},
    )


@pytest.mark.parametrize(
    "raw",
    [
        ["maybe"],  # unknown option code
        ["YES"],  # codes are exact
        ["1"],  # an option's position or id is not its code
        ["201"],
        ["yes", "no"],  # two values for a single field
        ["yes", "yes"],
        ["<script>"],
        ["yes\x00"],
    ],
)
def test_single_choice_refuses_anything_but_one_option_code(raw):
    q = single()
    parsed = SINGLE.parse(q, form(*(("q-single_choice", v) for v in raw)), SEED)
    assert parsed.value is None
    assert [e.field for e in parsed.errors] == ["q-single_choice-yes"]
    assert parsed.errors[0].message == "Choose one of the options."
    assert parsed.raw == {"q-single_choice": raw}  # what was sent comes back


def test_single_choice_rows_describe_and_no_analysis():
    q = single()
    rows = SINGLE.to_rows(q, "no", SEED)
    assert [r.option_id for r in rows] == [203]
    assert SINGLE.from_rows(q, rows) == "no"
    assert SINGLE.from_rows(q, []) is None
    assert SINGLE.describe(q, "no") == ["No"]
    assert SINGLE.describe(q, "gone") == []  # an option removed since
    assert SINGLE.analysis_kind is None


def test_multiple_choice_keeps_option_order_and_ignores_blanks():
    q = multiple()
    f = form(
        ("q-multiple_choice", "french"), ("q-multiple_choice", ""), ("q-multiple_choice", "arabic")
    )
    parsed = MULTIPLE.parse(q, f, SEED)
    assert parsed.errors == []
    assert parsed.value == ["arabic", "french"]
    assert MULTIPLE.describe(q, parsed.value) == ["Arabic", "French"]
    rows = MULTIPLE.to_rows(q, parsed.value)
    assert [r.option_id for r in rows] == [201, 205]
    assert MULTIPLE.from_rows(q, rows) == ["arabic", "french"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (["arabic", "klingon"], "Choose among the options shown."),
        (["arabic", "arabic"], "Choose among the options shown."),  # the same option twice
        (["arabic", "persian", "pashto", "english"], "Choose at most 3 options."),
    ],
)
def test_multiple_choice_refusals(raw, message):
    q = multiple()
    parsed = MULTIPLE.parse(q, form(*(("q-multiple_choice", v) for v in raw)), SEED)
    assert parsed.value is None
    assert [(e.field, e.message) for e in parsed.errors] == [("q-multiple_choice-arabic", message)]
    assert parsed.raw == {"q-multiple_choice": raw}


def test_multiple_choice_minimum():
    q = multiple(min_select=2)
    parsed = MULTIPLE.parse(q, form(("q-multiple_choice", "persian")), SEED)
    assert parsed.value is None
    assert parsed.errors[0].message == "Choose at least 2 options."


def test_malformed_min_max_settings_fall_back_to_defaults():
    q = multiple(min_select="many", max_select=None)
    every = form(*(("q-multiple_choice", o.code) for o in q.options))
    assert MULTIPLE.parse(q, every, SEED).value == [o.code for o in q.options]
