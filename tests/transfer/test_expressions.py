"""The XLSForm expression subset: what it parses, what it refuses (with a reason), and back."""

from __future__ import annotations

import pytest

from consult.services.expressions import (
    UnsupportedExpression,
    bounds_to_constraint,
    condition_to_relevant,
    constraint_to_bounds,
    format_number,
    relevant_to_condition,
)


@pytest.mark.parametrize(
    ("relevant", "condition"),
    [
        ("${org} = 'ngo'", {"question": "org", "equals": "ngo"}),
        ('${org}="ngo"', {"question": "org", "equals": "ngo"}),
        ("'ngo' = ${org}", {"question": "org", "equals": "ngo"}),
        ("selected(${topics}, 'health')", {"question": "topics", "equals": "health"}),
        ("selected( ${topics} ,'a b')", {"question": "topics", "equals": "a b"}),
        ("${age} >= 18", {"question": "age", "gte": 18}),
        ("${age} <= 2.5", {"question": "age", "lte": 2.5}),
        ("18 <= ${age}", {"question": "age", "gte": 18}),
        ("${age} >= -3", {"question": "age", "gte": -3}),
        ("${age} >= 1 and ${age} <= 5", {"question": "age", "gte": 1, "lte": 5}),
        ("${n} = 3", {"question": "n", "gte": 3, "lte": 3}),
        ("${name} != ''", {"question": "name", "answered": True}),
        ("${name} = ''", {"question": "name", "answered": False}),
        (
            "${org} = 'ngo' or ${org} = 'muni'",
            {"question": "org", "in": ["ngo", "muni"]},
        ),
        (
            "selected(${t}, 'a') or selected(${t}, 'b') or selected(${t}, 'a')",
            {"question": "t", "in": ["a", "b"]},
        ),
        ("((${org} = 'ngo'))", {"question": "org", "equals": "ngo"}),
        ("${grp.q-1} = 'x'", {"question": "grp.q-1", "equals": "x"}),
        ("${org} = 'İstanbul'", {"question": "org", "equals": "İstanbul"}),
    ],
)
def test_supported_relevant_becomes_a_display_condition(relevant, condition):
    assert relevant_to_condition(relevant) == condition


@pytest.mark.parametrize(
    ("relevant", "reason"),
    [
        ("${a} = 'x' and ${b} = 'y'", "one question"),
        ("${a} = 'x' or ${b} = 'y'", "one question"),
        ("${a} > 3", "strict"),
        ("${a} < 3", "strict"),
        ("${a} != 'x'", "not equal"),
        ("not(selected(${a}, 'x'))", "not()"),
        ("count-selected(${a}) >= 2", "compare a ${question}"),
        ("${a} + 1 >= 3", "unexpected"),
        ("${a} = 'x' and ${a} >= 3", "'and' can only join"),
        ("${a} >= 1 and ${a} >= 2", "'and' can only join"),
        ("selected(${a})", "selected() needs"),
        ("selected(${a}, ${b})", "quoted choice"),
        ("${a} >= 'x'", "needs a number"),
        ("${a} = ${b}", "compare a ${question} with a value"),
        ("../a = 'x'", "unexpected"),
        ("__import__('os').system('true')", "unexpected"),
        ("${a} = 'x", "unexpected"),
        ("(${a} = 'x'", "expected"),
        ("", "empty"),
        ("(" * 30 + "${a} = 'x'" + ")" * 30, "nested"),
        ("${a} = 'x' " * 200, "longer than"),
    ],
)
def test_anything_else_is_refused_with_a_reason(relevant, reason):
    with pytest.raises(UnsupportedExpression) as caught:
        relevant_to_condition(relevant)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("constraint", "bounds"),
    [
        (". >= 0 and . <= 100", {"min": 0, "max": 100}),
        (".>=0", {"min": 0}),
        ("100 >= .", {"max": 100}),
        (". <= 99.5", {"max": 99.5}),
        ("(. >= -1) and (. <= 1)", {"min": -1, "max": 1}),
        ("count-selected(.) >= 1 and count-selected(.) <= 3", {"min_select": 1, "max_select": 3}),
        ("string-length(.) <= 150", {"max_length": 150}),
    ],
)
def test_supported_constraints_become_bounds(constraint, bounds):
    assert constraint_to_bounds(constraint) == bounds


@pytest.mark.parametrize(
    ("constraint", "reason"),
    [
        (". > 0", "'. > n' is not supported"),
        (". >= 0 or . <= 100", "compare . with a number"),
        (". >= ${other}", "compare . with a number"),
        ("regex(., '^[0-9]+$')", "compare . with a number"),
        ("string-length(.) >= 3", "'string-length(.) >= n'"),
        (". >= 0 and . >= 1", "two bounds"),
        ("${q} >= 1", "own value"),
    ],
)
def test_other_constraints_are_refused(constraint, reason):
    with pytest.raises(UnsupportedExpression) as caught:
        constraint_to_bounds(constraint)
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("condition", "multiple"),
    [
        ({"question": "org", "equals": "ngo"}, False),
        ({"question": "org", "equals": "it's"}, False),
        ({"question": "topics", "equals": "a"}, True),
        ({"question": "org", "in": ["a", "b", "c"]}, False),
        ({"question": "topics", "in": ["a", "b"]}, True),
        ({"question": "n", "gte": 3}, False),
        ({"question": "n", "lte": 2.5}, False),
        ({"question": "n", "gte": 1, "lte": 5}, False),
        ({"question": "n", "gte": 0.000001}, False),
        ({"question": "t", "answered": True}, False),
        ({"question": "t", "answered": False}, False),
    ],
)
def test_conditions_written_as_relevant_read_back_the_same(condition, multiple):
    text = condition_to_relevant(condition, multiple=multiple)
    if multiple:
        assert "selected(" in text
    assert relevant_to_condition(text) == condition


def test_a_value_with_both_quotes_cannot_be_written():
    with pytest.raises(UnsupportedExpression):
        condition_to_relevant({"question": "q", "equals": 'it\'s "x"'})


@pytest.mark.parametrize(
    "bounds",
    [
        {"min": 0, "max": 100_000},
        {"min": -2.5},
        {"max": 1e-7},
        {"min_select": 1, "max_select": 3},
        {"max_length": 150},
    ],
)
def test_bounds_written_as_constraint_read_back_the_same(bounds):
    assert constraint_to_bounds(bounds_to_constraint(bounds)) == bounds


def test_numbers_are_written_without_exponents():
    assert format_number(100_000) == "100000"
    assert format_number(5.0) == "5.0"
    assert format_number(1e-7) == "0.0000001"
    assert format_number(1e16) == "10000000000000000.0"
