"""Property tests (hypothesis, small budgets) for the ranking methods.

* relabelling items permutes the result;
* duplicating every respondent leaves the scores unchanged;
* adding a respondent who ranks X first never lowers X under Borda (any convention).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.ranks import competition_rank
from analysis.registry import get_method

METHODS = ["borda", "mean-rank", "schulze", "copeland", "plackett-luce"]
POOL = ["Koordinasyon", "İstanbul", "istanbul", "بيانات", "تعزيز", "Işık", "ışık", "Data"]
SETTINGS = settings(max_examples=25, deadline=None)


@st.composite
def ballots(draw, min_items=2, max_items=5):
    """(item labels, ballots as tie levels); every item appears in some ballot."""
    m = draw(st.integers(min_items, max_items))
    labels = POOL[:m]
    n = draw(st.integers(1, 7))
    out = []
    for _ in range(n):
        order = draw(st.permutations(labels))
        depth = draw(st.integers(1, m))
        tie_with_previous = draw(st.lists(st.booleans(), min_size=depth, max_size=depth))
        levels: list[list[str]] = []
        for item, tie in zip(order[:depth], tie_with_previous, strict=True):
            if tie and levels:
                levels[-1].append(item)
            else:
                levels.append([item])
        out.append(levels)
    out.append([[x] for x in labels])
    return labels, out


def frame_of(ballot_list, rename=None) -> pd.DataFrame:
    rename = rename or {}
    rows = [
        {"respondent": f"r{r:03d}", "group": "all", "item": rename.get(x, x), "rank": k + 1.0}
        for r, levels in enumerate(ballot_list)
        for k, level in enumerate(levels)
        for x in level
    ]
    return pd.DataFrame(rows)


def scored(name, frame, options=None) -> dict[str, float]:
    method = get_method("ranking", name)
    profile = method.prepare(frame, options or {})
    values = method.scores(profile, np.ones(profile.n_respondents), options or {})
    return dict(zip(profile.items, values.tolist(), strict=True))


def ranked(name, frame) -> dict[str, int]:
    method = get_method("ranking", name)
    s = scored(name, frame)
    r = competition_rank(np.array(list(s.values())), method.higher_is_better)
    return dict(zip(s, r.tolist(), strict=True))


TOL = {"plackett-luce": 1e-6}


@pytest.mark.parametrize("name", METHODS)
@SETTINGS
@given(data=ballots(), perm_seed=st.integers(0, 2**16))
def test_relabelling_items_permutes_the_result(name, data, perm_seed):
    labels, ballot_list = data
    targets = list(np.random.default_rng(perm_seed).permutation(POOL)[: len(labels)])
    rename = dict(zip(labels, targets, strict=True))
    before = scored(name, frame_of(ballot_list))
    after = scored(name, frame_of(ballot_list, rename))
    for x in labels:
        assert after[rename[x]] == pytest.approx(before[x], abs=TOL.get(name, 1e-12))
    if name != "plackett-luce":
        before_r, after_r = (
            ranked(name, frame_of(ballot_list)),
            ranked(name, frame_of(ballot_list, rename)),
        )
        assert all(after_r[rename[x]] == before_r[x] for x in labels)


@pytest.mark.parametrize("name", METHODS)
@SETTINGS
@given(data=ballots())
def test_duplicating_every_respondent_leaves_scores_unchanged(name, data):
    _, ballot_list = data
    once = scored(name, frame_of(ballot_list))
    twice = scored(name, frame_of(ballot_list + ballot_list))
    for x in once:
        assert twice[x] == pytest.approx(once[x], abs=TOL.get(name, 1e-12))
    if name != "plackett-luce":
        assert ranked(name, frame_of(ballot_list)) == ranked(
            name, frame_of(ballot_list + ballot_list)
        )


@pytest.mark.parametrize("convention", ["averaged", "zero", "dowdall"])
@SETTINGS
@given(data=ballots(), extra=ballots(), pick=st.integers(0, 100))
def test_ranking_x_first_never_lowers_x_under_borda(convention, data, extra, pick):
    labels, ballot_list = data
    x = labels[pick % len(labels)]
    # the new respondent puts x first, then some other ballot's order of the rest
    rest = [[y for y in level if y != x and y in labels] for level in extra[1][0]]
    new_ballot = [[x]] + [level for level in rest if level]
    options = {"borda_partial": convention}
    method = get_method("ranking", "borda")

    def score_and_rank(bl):
        profile = method.prepare(frame_of(bl), options)
        s = method.scores(profile, np.ones(profile.n_respondents), options)
        i = profile.items.index(x)
        return s[i], competition_rank(s)[i]

    s0, r0 = score_and_rank(ballot_list)
    s1, r1 = score_and_rank([*ballot_list, new_ballot])
    assert s1 >= s0 - 1e-12
    assert r1 <= r0
