"""Pairwise, best–worst and AHP: answers only about the tasks this response was shown."""

from __future__ import annotations

from collections import Counter

import pytest

from consult.questions import get_type
from consult.questions.ahp import choice_of, judgement
from tests.questions.examples import ACTIONS, FOUR, SEED, form, spec, tasks

PAIRWISE = get_type("pairwise")
BEST_WORST = get_type("best_worst")
AHP = get_type("ahp")


def pairwise(**settings):
    return spec("pairwise", items=ACTIONS, settings={"pairs": 6, **settings})


def best_worst(**settings):
    return spec("best_worst", items=ACTIONS, settings={"set_size": 4, **settings})


def ahp(**settings):
    return spec("ahp", items=FOUR, settings={"pairs": 6, **settings})


# --- pairwise -----------------------------------------------------------------------------------


def test_pairwise_tasks_are_a_balanced_draw_per_response():
    q = pairwise()
    shown = tasks(q)
    assert len(shown) == 6
    assert len({frozenset(i.code for i in pair) for pair in shown}) == 6
    assert set(Counter(i.code for pair in shown for i in pair).values()) == {2}
    assert tasks(q, SEED) == shown  # stable across page loads
    assert tasks(q, SEED + 1) != shown  # another response, another draw
    assert len(tasks(pairwise(pairs=99))) == 15  # at most every pair


def test_pairwise_refuses_items_outside_the_pair():
    q = pairwise()
    shown = tasks(q)
    outsider = next(i for i in ACTIONS if i not in shown[0])
    f = form(
        ("q-pairwise-t0", outsider.code),  # a real item, but not in this pair
        ("q-pairwise-t1", "nobody"),
        ("q-pairwise-t2", "tie"),
        ("q-pairwise-t3", shown[3][1].code),
    )
    parsed = PAIRWISE.parse(q, f, SEED)
    assert [e.field for e in parsed.errors] == ["q-pairwise-t0-a", "q-pairwise-t1-a"]
    assert all(e.message == "Choose one of the two items." for e in parsed.errors)
    assert parsed.value == [None, None, "tie", shown[3][1].code, None, None]
    assert parsed.raw["q-pairwise-t0"] == [outsider.code]


def test_pairwise_refuses_two_answers_to_one_pair_and_ties_when_not_allowed():
    q = pairwise(allow_tie=False)
    a, b = tasks(q)[0]
    parsed = PAIRWISE.parse(q, form(("q-pairwise-t0", a.code), ("q-pairwise-t0", b.code)), SEED)
    assert parsed.errors
    assert parsed.value is None
    assert PAIRWISE.parse(q, form(("q-pairwise-t0", "tie")), SEED).errors


def test_pairwise_fields_for_tasks_not_shown_are_ignored():
    q = pairwise()
    a, _b = tasks(q)[0]
    parsed = PAIRWISE.parse(q, form(("q-pairwise-t0", a.code), ("q-pairwise-t6", "x")), SEED)
    assert parsed.errors == []
    assert parsed.value == [a.code, None, None, None, None, None]


def test_pairwise_required_points_at_the_first_unanswered_pair():
    q = pairwise()
    value = [tasks(q)[0][0].code, None, "tie", None, None, None]
    assert [e.field for e in PAIRWISE.required_errors(q, value)] == ["q-pairwise-t1-a"]


def test_pairwise_rows_describe_and_analysis():
    q = pairwise()
    shown = tasks(q)
    value = [shown[0][1].code, "tie", shown[2][0].code, None, None, None]
    rows = PAIRWISE.to_rows(q, value, SEED)
    assert [(r.task, r.item_id, r.other_item_id, r.flag) for r in rows] == [
        (0, shown[0][1].id, shown[0][0].id, None),
        (1, shown[1][0].id, shown[1][1].id, "tie"),
        (2, shown[2][0].id, shown[2][1].id, None),
    ]
    assert PAIRWISE.from_rows(q, rows, SEED) == value
    lines = PAIRWISE.describe(q, value, SEED)
    assert lines == [
        f"{shown[0][1].label} over {shown[0][0].label}",
        f"{shown[1][0].label} or {shown[1][1].label}: can't decide",
        f"{shown[2][0].label} over {shown[2][1].label}",
    ]
    assert PAIRWISE.analysis_rows(q, rows) == [  # a tie says nothing about who wins
        {"winner": shown[0][1].code, "loser": shown[0][0].code},
        {"winner": shown[2][0].code, "loser": shown[2][1].code},
    ]


# --- best-worst ---------------------------------------------------------------------------------


def test_best_worst_sets_are_balanced_and_distinct():
    q = best_worst()
    sets = tasks(q)
    assert len(sets) == 3  # enough for every item to be shown twice
    assert all(len({i.code for i in s}) == 4 for s in sets)
    assert set(Counter(i.code for s in sets for i in s).values()) == {2}
    assert tasks(q, SEED + 1) != sets
    assert all(len(s) == 5 for s in tasks(best_worst(set_size=9)))  # at most 5
    assert all(len(s) == 3 for s in tasks(best_worst(set_size=1)))  # at least 3


def _bw(q, t, best=None, worst=None):
    pairs = []
    if best is not None:
        pairs.append((f"q-best_worst-t{t}-best", best))
    if worst is not None:
        pairs.append((f"q-best_worst-t{t}-worst", worst))
    return pairs


def test_best_equal_to_worst_is_refused():
    q = best_worst()
    first = tasks(q)[0][0].code
    parsed = BEST_WORST.parse(q, form(*_bw(q, 0, first, first)), SEED)
    assert parsed.value is None
    assert [(e.field, e.message) for e in parsed.errors] == [
        ("q-best_worst-t0-worst-0", "The most and the least important item must differ.")
    ]


def test_best_worst_needs_both_ends_of_a_set():
    q = best_worst()
    first = tasks(q)[0][0].code
    parsed = BEST_WORST.parse(q, form(*_bw(q, 0, best=first)), SEED)
    assert [(e.field, e.message) for e in parsed.errors] == [
        ("q-best_worst-t0-worst-0", "Choose both the most and the least important item.")
    ]


@pytest.mark.parametrize("bad", ["nobody", "", "OUTSIDER", "0"])
def test_best_worst_refuses_items_outside_the_set_with_one_message(bad):
    q = best_worst()
    shown = tasks(q)[0]
    outsider = next(i.code for i in ACTIONS if i not in shown)
    pick = outsider if bad == "OUTSIDER" else bad
    parsed = BEST_WORST.parse(q, form(*_bw(q, 0, pick, shown[1].code)), SEED)
    assert parsed.value is None
    if pick == "":  # an empty best is "missing", not "invalid"
        assert [e.message for e in parsed.errors] == [
            "Choose both the most and the least important item."
        ]
    else:
        assert [(e.field, e.message) for e in parsed.errors] == [
            ("q-best_worst-t0-best-0", "Choose among the items of this set.")
        ]


def test_best_worst_refuses_two_values_for_one_end():
    q = best_worst()
    shown = tasks(q)[0]
    f = form(*_bw(q, 0, shown[0].code, shown[1].code), ("q-best_worst-t0-best", shown[2].code))
    assert BEST_WORST.parse(q, f, SEED).errors


def test_best_worst_rows_describe_and_analysis():
    q = best_worst()
    sets = tasks(q)
    value = [(sets[0][0].code, sets[0][3].code), None, (sets[2][2].code, sets[2][1].code)]
    rows = BEST_WORST.to_rows(q, value, SEED)
    assert len(rows) == 8  # every item shown in an answered set
    assert BEST_WORST.from_rows(q, rows, SEED) == value
    assert BEST_WORST.describe(q, value) == [
        f"Most important: {sets[0][0].label}; least important: {sets[0][3].label}",
        f"Most important: {sets[2][2].label}; least important: {sets[2][1].label}",
    ]
    observations = BEST_WORST.analysis_rows(q, rows)
    assert observations[:4] == [
        {"task": "0", "item": sets[0][0].code, "choice": "best"},
        {"task": "0", "item": sets[0][1].code, "choice": ""},
        {"task": "0", "item": sets[0][2].code, "choice": ""},
        {"task": "0", "item": sets[0][3].code, "choice": "worst"},
    ]
    assert Counter(o["choice"] for o in observations) == {"best": 2, "worst": 2, "": 4}
    assert BEST_WORST.required_errors(q, value)[0].field == "q-best_worst-t1-best-0"


# --- AHP ----------------------------------------------------------------------------------------


def test_ahp_asks_every_pair_of_four_items():
    q = ahp()
    pairs = tasks(q)
    assert len(pairs) == 6
    assert {frozenset(i.code for i in p) for p in pairs} == {
        frozenset((a.code, b.code)) for n, a in enumerate(FOUR) for b in FOUR[n + 1 :]
    }


@pytest.mark.parametrize(("choice", "value"), [("a9", 9.0), ("a2", 2.0), ("1", 1.0), ("b3", 1 / 3)])
def test_ahp_judgements_on_saatys_scale(choice, value):
    assert judgement(choice) == pytest.approx(value)
    assert choice_of(judgement(choice)) == choice


@pytest.mark.parametrize(
    "bad",
    ["a10", "b10", "a1", "b1", "a0", "a-3", "a3.5", "c3", "3", "9", "0", "1/3", "A3", "a٣", "nan"],
)
def test_ahp_refuses_values_outside_the_scale(bad):
    q = ahp()
    parsed = AHP.parse(q, form(("q-ahp-t0", bad), ("q-ahp-t1", "a3")), SEED)
    assert [(e.field, e.message) for e in parsed.errors] == [
        ("q-ahp-t0-a9", "Choose how much more important one item is.")
    ]
    assert parsed.value == [None, "a3", None, None, None, None]


def test_ahp_refuses_two_values_for_one_pair():
    parsed = AHP.parse(ahp(), form(("q-ahp-t0", "a3"), ("q-ahp-t0", "b3")), SEED)
    assert parsed.errors
    assert parsed.value is None


def test_ahp_rows_describe_and_analysis():
    q = ahp()
    pairs = tasks(q)
    value = ["a3", "1", "b9", None, None, "a2"]
    rows = AHP.to_rows(q, value, SEED)
    assert [(r.task, r.item_id, r.other_item_id) for r in rows] == [
        (t, pairs[t][0].id, pairs[t][1].id) for t in (0, 1, 2, 5)
    ]
    assert [r.number for r in rows] == pytest.approx([3.0, 1.0, 1 / 9, 2.0])
    assert AHP.from_rows(q, rows, SEED) == value
    assert AHP.describe(q, value, SEED) == [
        f"{pairs[0][0].label} is 3 times as important as {pairs[0][1].label}",
        f"{pairs[1][0].label} and {pairs[1][1].label}: equally important",
        f"{pairs[2][1].label} is 9 times as important as {pairs[2][0].label}",
        f"{pairs[5][0].label} is 2 times as important as {pairs[5][1].label}",
    ]
    observations = AHP.analysis_rows(q, rows)
    assert [(o["item_a"], o["item_b"]) for o in observations] == [
        (pairs[t][0].code, pairs[t][1].code) for t in (0, 1, 2, 5)
    ]
    assert all(1 / 9 <= o["value"] <= 9 for o in observations)
    assert AHP.required_errors(q, value)[0].field == "q-ahp-t3-a9"
