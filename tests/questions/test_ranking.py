"""Ranking: ranks 1..k, each used once, without gaps; top-k; hostile ranks refused clearly."""

from __future__ import annotations

import pytest

from consult.questions import get_type
from tests.questions.examples import ACTIONS, SEED, form, spec

RANKING = get_type("ranking")


def ranking(top_k=3):
    return spec("ranking", items=ACTIONS, settings={} if top_k is None else {"top_k": top_k})


def ranks(**by_item: str):
    return form(*((f"q-ranking-{code}", v) for code, v in by_item.items()))


def test_top_k_ranks_are_accepted_with_whitespace_and_arabic_indic_digits():
    parsed = RANKING.parse(
        ranking(), ranks(interpretation=" 1 ", district_data="٢", advisory_board="۳"), SEED
    )
    assert parsed.errors == []
    assert parsed.value == {"interpretation": 1, "district_data": 2, "advisory_board": 3}


def test_a_full_ranking_when_top_k_is_not_set():
    q = ranking(top_k=None)
    parsed = RANKING.parse(q, ranks(**{i.code: str(n) for n, i in enumerate(ACTIONS, 1)}), SEED)
    assert parsed.value == {i.code: n for n, i in enumerate(ACTIONS, 1)}


def test_duplicated_ranks_are_refused_with_a_clear_message():
    parsed = RANKING.parse(
        ranking(), ranks(interpretation="1", district_data="2", advisory_board="1"), SEED
    )
    assert parsed.value is None
    assert [(e.field, e.message) for e in parsed.errors] == [
        (
            "q-ranking-advisory_board",
            "Rank 1 is given to more than one item: each rank can be used once.",
        )
    ]
    assert parsed.raw["q-ranking-advisory_board"] == ["1"]
    assert parsed.raw["q-ranking-interpretation"] == ["1"]


@pytest.mark.parametrize(
    ("given", "missing"),
    [({"interpretation": "2"}, 1), ({"interpretation": "1", "district_data": "3"}, 2)],
)
def test_gaps_in_ranks_are_refused(given, missing):
    parsed = RANKING.parse(ranking(), ranks(**given), SEED)
    assert parsed.value is None
    assert [(e.field, e.message) for e in parsed.errors] == [
        (
            "q-ranking-advisory_board",
            f"Ranks must follow on from 1 without gaps: rank {missing} is missing.",
        )
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "0",
        "4",  # beyond top k = 3
        "-1",
        "+1",
        "1.0",
        "1.5",
        "1e0",
        "²",  # a digit, but not a decimal one
        "one",
        "nan",
        "inf",
        "1e400",
        "99999999999999999999",
        "9" * 5000,  # int() would refuse beyond 4300 digits: must be a message, not a crash
        "1\x00",
    ],
)
def test_ranks_out_of_range_or_not_whole_numbers_are_refused(bad):
    parsed = RANKING.parse(ranking(), ranks(interpretation="1", district_data=bad), SEED)
    assert parsed.value is None
    assert [(e.field, e.message) for e in parsed.errors] == [
        ("q-ranking-district_data", "Choose a rank from 1 to 3 for “District data”.")
    ]


def test_two_ranks_for_one_item_are_refused():
    parsed = RANKING.parse(
        ranking(), form(("q-ranking-interpretation", "1"), ("q-ranking-interpretation", "2")), SEED
    )
    assert parsed.value is None
    assert [e.field for e in parsed.errors] == ["q-ranking-interpretation"]


def test_unknown_items_are_ignored():
    parsed = RANKING.parse(ranking(), ranks(interpretation="1", not_an_item="2"), SEED)
    assert parsed.value == {"interpretation": 1}


def test_a_partial_ranking_is_stored_but_does_not_answer_a_required_question():
    q = ranking()
    value = RANKING.parse(q, ranks(interpretation="1", district_data="2"), SEED).value
    assert value == {"interpretation": 1, "district_data": 2}
    assert not RANKING.is_answered(q, value)
    assert [(e.field, e.message) for e in RANKING.required_errors(q, value)] == [
        ("q-ranking-advisory_board", "Rank 3 items.")
    ]
    assert RANKING.required_errors(q, {**value, "selforg_grants": 3}) == []


def test_top_k_is_clamped_to_the_number_of_items():
    assert RANKING.parse(ranking(top_k=99), ranks(interpretation="6"), SEED).errors
    assert RANKING.parse(ranking(top_k=0), ranks(interpretation="2"), SEED).errors


def test_rows_describe_and_analysis():
    q = ranking()
    value = {"district_data": 1, "advisory_board": 2, "rights_information": 3}
    rows = RANKING.to_rows(q, value)
    assert sorted((r.item_id, r.number) for r in rows) == [(101, 2.0), (104, 1.0), (106, 3.0)]
    assert RANKING.from_rows(q, rows) == value
    assert RANKING.describe(q, value) == [
        "1. District data",
        "2. Advisory board",
        "3. Rights information",
    ]
    assert sorted(RANKING.analysis_rows(q, rows), key=lambda r: r["rank"]) == [
        {"item": "district_data", "rank": 1},
        {"item": "advisory_board", "rank": 2},
        {"item": "rights_information", "rank": 3},
    ]
