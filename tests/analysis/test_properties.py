"""Properties through ``rank`` (hypothesis, small budgets), for every registered method.

* equal-groups weighting of a profile whose groups all have the same size is respondent weighting;
* a bootstrap with the same seed is identical, with different seeds it differs;
* a unanimous profile ranks the items in that order.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.registry import KINDS, methods_for
from analysis.result import rank
from analysis.uncertainty import bootstrap

from .conftest import TOY_MEAN, rating_frame, toy_prepare

SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ITEMS = ["Koordinasyon", "Tercüman", "بيانات", "Data report", "İstanbul"]


def all_methods(kinds=KINDS):
    return [(kind, name) for kind in kinds for name in methods_for(kind)]


def random_frame(kind: str, rng: np.random.Generator, groups: int, per_group: int):
    """Random long-format data of ``kind``: every group has ``per_group`` respondents."""
    n_items = int(rng.integers(3, len(ITEMS) + 1))
    items = ITEMS[:n_items]
    rows = []
    for g in range(groups):
        for r in range(per_group):
            base = {"respondent": f"g{g}r{r}", "group": f"group {g}"}
            order = list(rng.permutation(items))
            if kind == "rating":
                rows += [dict(base, item=i, value=float(rng.integers(1, 6))) for i in items]
            elif kind == "ranking":
                depth = int(rng.integers(1, n_items + 1))
                rows += [dict(base, item=i, rank=float(k + 1)) for k, i in enumerate(order[:depth])]
            elif kind == "pairwise":
                for a, b in combinations(items, 2):
                    if rng.random() < 0.7:
                        winner, loser = (a, b) if rng.random() < 0.5 else (b, a)
                        rows.append(dict(base, winner=winner, loser=loser))
                if not any(row["respondent"] == base["respondent"] for row in rows):
                    rows.append(dict(base, winner=order[0], loser=order[1]))
            elif kind == "bestworst":
                for t in range(2):
                    shown = list(rng.choice(items, size=3, replace=False))
                    choices = ["best", "worst", ""]
                    rows += [
                        dict(base, task=f"t{t}", item=i, choice=c)
                        for i, c in zip(shown, choices, strict=True)
                    ]
            elif kind == "ahp":
                for a, b in combinations(items, 2):
                    value = float(rng.choice([1 / 5, 1 / 3, 1, 3, 5]))
                    rows.append(dict(base, item_a=a, item_b=b, value=value))
            elif kind == "points":
                points = rng.multinomial(10, np.ones(n_items) / n_items)
                rows += [
                    dict(base, item=i, points=float(p)) for i, p in zip(items, points, strict=True)
                ]
    return pd.DataFrame(rows)


def without(payload: dict, *keys: str) -> dict:
    return {k: v for k, v in payload.items() if k not in keys}


@pytest.mark.parametrize(("kind", "name"), all_methods())
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), groups=st.integers(2, 3), per_group=st.integers(1, 4))
def test_equal_groups_of_equal_size_is_respondent_weighting(kind, name, seed, groups, per_group):
    frame = random_frame(kind, np.random.default_rng(seed), groups, per_group)
    plain = rank(frame, kind, name).to_dict()
    equal = rank(frame, kind, name, weights="equal-groups").to_dict()
    assert without(equal, "weights") == without(plain, "weights")


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), data_seed=st.integers(0, 2**32 - 1))
def test_same_seed_same_bootstrap_different_seed_different(seed, data_seed):
    rng = np.random.default_rng(data_seed)
    values = {f"r{i}": {i_: float(rng.integers(1, 6)) for i_ in ITEMS[:3]} for i in range(8)}
    values["r0"] = {ITEMS[0]: 1.0, ITEMS[1]: 5.0, ITEMS[2]: 3.0}  # respondents differ
    values["r1"] = {ITEMS[0]: 5.0, ITEMS[1]: 1.0, ITEMS[2]: 2.0}
    frame = rating_frame(values)
    one = rank(frame, "rating", TOY_MEAN, bootstrap=30, seed=seed).to_dict()
    assert rank(frame, "rating", TOY_MEAN, bootstrap=30, seed=seed).to_dict() == one
    profile = toy_prepare(frame.assign(group="all"), {})
    w = np.ones(profile.n_respondents)
    a = bootstrap(TOY_MEAN, profile, w, replicates=30, seed=seed)
    b = bootstrap(TOY_MEAN, profile, w, replicates=30, seed=seed + 1)
    assert not np.array_equal(a.scores, b.scores)


@pytest.mark.parametrize(("kind", "name"), all_methods())
def test_every_method_bootstraps_reproducibly(kind, name):
    frame = random_frame(kind, np.random.default_rng(5), 2, 10)
    one = rank(frame, kind, name, bootstrap=40, seed=1).to_dict()
    assert rank(frame, kind, name, bootstrap=40, seed=1).to_dict() == one
    other = rank(frame, kind, name, bootstrap=40, seed=2).to_dict()
    assert other["items"] != one["items"]
    for item in one["items"]:
        assert item["rank_ci_low"] <= item["rank"] <= item["rank_ci_high"]


def unanimous(kind: str, order: list[str], voters: int) -> pd.DataFrame:
    rows = []
    for v in range(voters):
        base = {"respondent": f"v{v}", "group": "all"}
        if kind == "ranking":
            rows += [dict(base, item=i, rank=float(k + 1)) for k, i in enumerate(order)]
        elif kind == "rating":
            rows += [dict(base, item=i, value=float(len(order) - k)) for k, i in enumerate(order)]
        elif kind == "pairwise":
            rows += [dict(base, winner=a, loser=b) for a, b in combinations(order, 2)]
        elif kind == "points":
            rows += [dict(base, item=i, points=float(len(order) - k)) for k, i in enumerate(order)]
        elif kind == "ahp":
            rows += [
                dict(base, item_a=a, item_b=b, value=float(min(9, 1 + j - i)))
                for (i, a), (j, b) in combinations(enumerate(order), 2)
            ]
    return pd.DataFrame(rows)


UNANIMOUS = [
    (kind, name)
    for kind, name in all_methods(("ranking", "rating", "pairwise", "points", "ahp"))
    if (kind, name) != ("rating", "top-box")  # top-box only sees the top two scale points
]


@pytest.mark.parametrize(("kind", "name"), UNANIMOUS)
@SETTINGS
@given(order=st.permutations(ITEMS[:4]), voters=st.integers(1, 6))
def test_a_unanimous_profile_ranks_in_that_order(kind, name, order, voters):
    result = rank(unanimous(kind, list(order), voters), kind, name)
    assert result.items["item"].tolist() == list(order)
    assert result.items["rank"].tolist() == [1, 2, 3, 4]


def test_every_ranking_method_is_covered():
    """The unanimity property runs for each registered ranking-kind method."""
    covered = {name for kind, name in UNANIMOUS if kind == "ranking"}
    assert covered == set(methods_for("ranking"))
