"""Group differences: Kruskal-Wallis and BH against scipy, tau, consensus and polarising items."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.groups import (
    benjamini_hochberg,
    group_differences,
    group_rank_correlations,
    kruskal_by_item,
    positions,
)


def test_kruskal_matches_scipy_item_by_item():
    rng = np.random.default_rng(4)
    m = rng.integers(1, 6, size=(40, 4)).astype(float)
    m[rng.random(m.shape) < 0.1] = np.nan
    groups = np.array(["a", "b", "c", "d"] * 10, dtype=object)
    out = kruskal_by_item(m, groups, ["w", "x", "y", "z"])
    for j in range(4):
        samples = [m[(groups == g) & ~np.isnan(m[:, j]), j] for g in "abcd"]
        expected = stats.kruskal(*samples)
        assert out.loc[j, "statistic"] == pytest.approx(expected.statistic)
        assert out.loc[j, "p_value"] == pytest.approx(expected.pvalue)


def test_bh_matches_scipy():
    rng = np.random.default_rng(1)
    p = rng.random(30) ** 3
    np.testing.assert_allclose(benjamini_hochberg(p), stats.false_discovery_control(p, method="bh"))
    # hand-worked: p = 0.01, 0.02, 0.03, 0.5 -> 0.04, 0.04, 0.04, 0.5
    assert benjamini_hochberg([0.03, 0.5, 0.01, 0.02]).tolist() == pytest.approx(
        [0.04, 0.5, 0.04, 0.04]
    )
    assert np.isnan(benjamini_hochberg([np.nan, np.nan])).all()


def test_identical_values_and_single_groups():
    m = np.array([[3, 1], [3, np.nan], [3, 2], [3, np.nan]], dtype=float)
    groups = np.array(["a", "b", "a", "b"], dtype=object)
    out = kruskal_by_item(m, groups, ["same", "one group"])
    assert (out.loc[0, "statistic"], out.loc[0, "p_value"]) == (0.0, 1.0)
    assert np.isnan(out.loc[1, "p_value"])
    assert np.isnan(out.loc[1, "q_value"])


def test_positions_use_the_scale_and_direction():
    m = np.array([[1.0, 5.0], [3.0, np.nan]])
    np.testing.assert_allclose(positions(m, low=1, high=5), [[0.0, 1.0], [0.5, np.nan]])
    ranks = np.array([[1.0, 2.0, 3.0, 4.0]])
    np.testing.assert_allclose(positions(ranks, higher_is_better=False), [[1, 2 / 3, 1 / 3, 0]])
    assert positions(np.full((2, 2), 4.0)).tolist() == [[0.5, 0.5], [0.5, 0.5]]


def test_polarising_and_consensus_items():
    # 1-5 ratings, 10 respondents in two groups
    split = [5, 5, 5, 4, 3, 1, 1, 2, 1, 3]  # 40 % at 4-5 and 40 % at 1-2 -> polarising
    agreed = [4, 4, 4, 4, 4, 4, 4, 4, 4, 4]  # everyone the same -> consensus
    spread = [5, 4, 4, 4, 5, 3, 2, 3, 3, 2]  # groups differ by 1.6 points -> no consensus
    uniform = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]  # 40 % at 4-5, 40 % at 1-2: high dispersion
    m = np.array([split, agreed, spread, uniform], dtype=float).T
    groups = np.array(["a"] * 5 + ["b"] * 5, dtype=object)
    out = group_differences(m, groups, ["split", "agreed", "spread", "uniform"], low=1, high=5)
    assert out["polarising"].tolist() == [True, False, False, True]
    assert out["consensus"].tolist() == [False, True, False, False]
    assert out.loc[2, "spread"] == pytest.approx((4.4 - 2.6) / 4)
    assert out.loc[1, "spread"] == 0.0
    # a clear majority at one end is not polarising
    leaning = np.array([[5, 5, 4, 4, 4, 4, 3, 3, 2, 1]], dtype=float).T
    assert not group_differences(leaning, groups, ["x"], low=1, high=5)["polarising"][0]


def test_consensus_needs_two_groups_with_data():
    m = np.array([[4.0], [4.0], [np.nan]])
    out = group_differences(m, np.array(["a", "a", "b"], dtype=object), ["x"])
    assert np.isnan(out.loc[0, "spread"])
    assert not out.loc[0, "consensus"]


def test_rank_correlations_are_scipy_tau_b():
    scores = {
        "b": np.array([4.0, 3.0, 2.0, 1.0, 1.0]),
        "a": np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
        "c": np.array([2.0, 2.0, 2.0, 2.0, 2.0]),
    }
    out = group_rank_correlations(scores)
    assert out[["group_a", "group_b"]].values.tolist() == [["a", "b"], ["a", "c"], ["b", "c"]]
    expected = stats.kendalltau(scores["a"], scores["b"])
    assert out.loc[0, "tau"] == pytest.approx(expected.statistic)
    assert out.loc[0, "p_value"] == pytest.approx(expected.pvalue)
    assert np.isnan(out.loc[1, "tau"])  # a constant group has no ranking
