"""The contract every registered question type keeps, checked for each of them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from consult.questions import AnswerRow, QuestionType, get_type, type_names
from consult.services.results import KIND_COLUMNS
from tests.questions.examples import EXAMPLES, SEED, field_names

TYPES = type_names()


def test_every_registered_type_has_an_example_here():
    assert set(TYPES) == set(EXAMPLES)
    assert len(TYPES) == 12


def test_registry_lookup_and_uniqueness():
    from consult.questions import register

    for name in TYPES:
        assert get_type(name).name == name
    with pytest.raises(KeyError):
        get_type("no_such_type")
    with pytest.raises(ValueError, match="registered twice"):
        register(get_type("ranking"))


@pytest.mark.parametrize("name", TYPES)
def test_a_valid_answer_parses_to_its_value(name):
    q, form, expected = EXAMPLES[name]()
    parsed = get_type(name).parse(q, form, SEED)
    assert parsed.errors == []
    assert parsed.value == expected


@pytest.mark.parametrize("name", TYPES)
def test_value_to_rows_and_back_is_the_same_value(name):
    q, _form, value = EXAMPLES[name]()
    qtype = get_type(name)
    rows = qtype.to_rows(q, value, SEED)
    assert rows
    assert all(isinstance(r, AnswerRow) for r in rows)
    assert qtype.from_rows(q, rows, SEED) == value
    # stored ids only: every referenced item/option belongs to the question
    item_ids = {i.id for i in q.items}
    option_ids = {o.id for o in q.options}
    for r in rows:
        assert r.item_id is None or r.item_id in item_ids
        assert r.other_item_id is None or r.other_item_id in item_ids
        assert r.option_id is None or r.option_id in option_ids


@pytest.mark.parametrize("name", TYPES)
def test_describe_gives_lines_of_text(name):
    q, _form, value = EXAMPLES[name]()
    qtype = get_type(name)
    lines = qtype.describe(q, value, SEED)
    assert lines
    assert all(isinstance(line, str) and line for line in lines)
    assert qtype.describe(q, None, SEED) == []


@pytest.mark.parametrize("name", TYPES)
def test_an_empty_form_is_no_answer_and_no_error(name):
    q, _form, _value = EXAMPLES[name]()
    qtype = get_type(name)
    for empty in (MultiDict(), MultiDict([(f, "") for f in field_names(q)])):
        parsed = qtype.parse(q, empty, SEED)
        assert parsed.errors == []
        assert parsed.value is None
        assert not qtype.is_answered(q, parsed.value)


@pytest.mark.parametrize("name", TYPES)
def test_required_errors_point_at_a_control_of_the_question(name):
    q, _form, value = EXAMPLES[name]()
    qtype = get_type(name)
    errors = qtype.required_errors(q, None)
    assert len(errors) == 1
    assert errors[0].field.startswith(q.field)
    assert errors[0].message
    assert qtype.field_id(q).startswith(q.field)
    assert qtype.is_answered(q, value)
    assert qtype.required_errors(q, value) == []


@pytest.mark.parametrize("name", TYPES)
def test_priority_types_give_rows_in_their_analysis_kind(name):
    q, _form, value = EXAMPLES[name]()
    qtype = get_type(name)
    rows = qtype.to_rows(q, value, SEED)
    observations = qtype.analysis_rows(q, rows)
    if qtype.analysis_kind is None:
        assert name in {"single_choice", "multiple_choice", "number", "short_text", "long_text"}
        assert observations == []
        return
    assert observations
    columns = KIND_COLUMNS[qtype.analysis_kind]
    assert all(list(obs) == columns for obs in observations)
    codes = {i.code for i in q.items}
    for obs in observations:
        for column in ("item", "winner", "loser", "item_a", "item_b"):
            if column in obs:
                assert obs[column] in codes


def test_analysis_kinds_match_the_analysis_package():
    import analysis

    assert {get_type(n).analysis_kind for n in TYPES} - {None} == set(KIND_COLUMNS)
    for kind, columns in KIND_COLUMNS.items():
        assert ["respondent", *columns] == list(analysis.REQUIRED_COLUMNS[kind])


HOSTILE = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "1",
            "3",
            "0",
            "-1",
            "100",
            "1e400",
            "-1e400",
            "nan",
            "inf",
            "-Infinity",
            "٣",
            "١٠٠",
            "1.5",
            "1,5",
            "9" * 5000,
            "tie",
            "dont_know",
            "a3",
            "b9",
            "a10",
            "a1",
            "b0",
            "yes",
            "arabic",
            "interpretation",
            "advisory_board",
            "<script>alert(1)</script>",
            "\x00\x1b[31m",
            "x" * 20_000,
        ]
    ),
    st.text(max_size=40),
)


@pytest.mark.parametrize("name", TYPES)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_hostile_forms_never_crash_and_accepted_values_survive_storage(name, data):
    q, _form, _value = EXAMPLES[name]()
    qtype: QuestionType = get_type(name)
    fields = field_names(q)
    pairs = []
    for field in fields:
        for value in data.draw(st.lists(HOSTILE, max_size=3), label=field):
            pairs.append((field, value))
    parsed = qtype.parse(q, MultiDict(pairs), SEED)
    for error in parsed.errors:
        assert error.field.startswith(q.field)
        assert error.message
    if parsed.value is not None and not parsed.errors:
        rows = qtype.to_rows(q, parsed.value, SEED)
        assert qtype.from_rows(q, rows, SEED) == parsed.value
        assert all(isinstance(line, str) for line in qtype.describe(q, parsed.value, SEED))
        qtype.analysis_rows(q, rows)
