"""Kendall's W: hand-worked cases, tie correction, and the Friedman test from scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.agreement import kendall_w


def test_hand_worked_without_ties():
    # rank sums 4, 6, 9, 11; S = 29; W = 12 * 29 / (9 * 60)
    m = np.array([[1, 2, 3, 4], [1, 3, 2, 4], [2, 1, 4, 3]], dtype=float)
    w = kendall_w(m)
    assert w.kendall_w == pytest.approx(348 / 540)
    assert w.chi2 == pytest.approx(5.8)
    assert w.df == 3
    assert w.p_value == pytest.approx(stats.chi2.sf(5.8, 3))
    assert (w.n_judges, w.n_items) == (3, 4)
    assert w.to_dict() == {
        "kendall_w": w.kendall_w,
        "chi2": w.chi2,
        "df": 3,
        "p_value": w.p_value,
    }


def test_hand_worked_with_ties():
    # judge 2 ties items 1 and 2 (ranks 1.5, 1.5): T = 2^3 - 2 = 6
    # rank sums 3.5, 5.5, 9 (mean 6): S = 6.25 + 0.25 + 9 = 15.5
    # W = 12 * 15.5 / (3^2 * (27 - 3) - 3 * 6) = 186 / 198
    m = np.array([[1, 2, 3], [1, 1, 3], [1, 2, 3]], dtype=float)
    assert kendall_w(m).kendall_w == pytest.approx(186 / 198)


def test_direction_does_not_matter():
    rng = np.random.default_rng(0)
    m = rng.integers(1, 6, size=(20, 5)).astype(float)
    assert kendall_w(m).kendall_w == pytest.approx(kendall_w(-m).kendall_w)


def test_unanimous_is_one_and_reversed_pairs_are_zero():
    assert kendall_w(np.tile([1.0, 2.0, 3.0, 4.0], (5, 1))).kendall_w == pytest.approx(1.0)
    m = np.array([[1, 2, 3], [3, 2, 1]], dtype=float)
    assert kendall_w(m).kendall_w == pytest.approx(0.0)


@pytest.mark.parametrize("seed", range(5))
def test_chi2_is_the_friedman_statistic(seed):
    rng = np.random.default_rng(seed)
    # untied complete rankings
    m = np.argsort(rng.random((15, 6)), axis=1).astype(float) + 1
    w = kendall_w(m)
    friedman = stats.friedmanchisquare(*m.T)
    assert w.chi2 == pytest.approx(friedman.statistic)
    assert w.p_value == pytest.approx(friedman.pvalue)
    # ratings with many ties: scipy's tie-corrected Friedman statistic is m (n - 1) W too
    r = rng.integers(1, 4, size=(12, 5)).astype(float)
    w = kendall_w(r)
    friedman = stats.friedmanchisquare(*r.T)
    assert w.chi2 == pytest.approx(friedman.statistic)
    assert w.p_value == pytest.approx(friedman.pvalue)


def test_incomplete_rows_are_left_out():
    m = np.array([[1, 2, 3], [1, 2, np.nan], [1, 3, 2], [2, 1, 3]], dtype=float)
    w = kendall_w(m)
    assert w.n_judges == 3
    assert w.kendall_w == pytest.approx(kendall_w(m[[0, 2, 3]]).kendall_w)


def test_undefined_cases_give_none():
    assert kendall_w(np.array([[1.0, 2.0, 3.0]])) is None  # one judge
    assert kendall_w(np.array([[1.0], [1.0]])) is None  # one item
    assert kendall_w(np.ones((4, 3))) is None  # everything tied
    assert kendall_w(np.array([[1.0, np.nan], [np.nan, 2.0]])) is None  # no complete row
    with pytest.raises(ValueError, match="2-dimensional"):
        kendall_w(np.ones(3))
