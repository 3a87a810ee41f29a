"""Where do stakeholder groups differ?  Item-by-item tests, rank correlations, consensus and
polarising items.

Conventions (pinned, and tested)
--------------------------------
* **Kruskal–Wallis per item.**  For each item, the respondents' values in ``Profile.matrix``
  (ratings, ranks, points or best-minus-worst counts; missing values left out) are compared
  across groups with ``scipy.stats.kruskal`` (tie-corrected H, chi-square p-value).  Unweighted:
  every respondent counts once.  Groups without a value for the item are left out; with fewer
  than two groups left the test does not apply (``None``).  When every value is identical,
  H = 0 and p = 1.
* **Benjamini–Hochberg q-values** over the items tested (step-up, monotone, capped at 1; the
  same as ``scipy.stats.false_discovery_control(p, method="bh")``).  An item with ``q < 0.05``
  differs between groups with a false-discovery rate of 5 % across the whole list.
* **Kendall's tau between group rankings**: tau-b (ties handled) between two groups' item scores,
  ``scipy.stats.kendalltau``; ``None`` when a group scores every item the same.
* **Positions.**  To compare items on one footing every value is mapped to a position between 0
  (the bottom of the scale) and 1 (the top): ``(v - low) / (high - low)`` for ratings, points and
  best–worst counts, ``(high - v) / (high - low)`` for ranks, where ``low``/``high`` are the
  smallest and largest value in the whole matrix (or the scale's ends when given).
* **Polarising item**: at least ``POLARISING_SHARE`` (30 %) of respondents put it in the top
  quarter of the scale (position >= 0.75) *and* at least 30 % in the bottom quarter
  (position <= 0.25): opinion is split or widely dispersed.  On a 1–5 scale: at least 30 %
  answer 4–5 and at least 30 % answer 1–2 (answers spread evenly over 1–5 put 40 % at each end
  and count as polarising; a 70 % majority at one end does not).
* **Consensus item**: no detectable group difference (``q >= 0.05``), the groups' mean positions
  lie within ``CONSENSUS_SPREAD`` (0.15) of each other — 0.6 points on a 1–5 scale — and the
  item is not polarising.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "ALPHA",
    "CONSENSUS_SPREAD",
    "POLARISING_SHARE",
    "benjamini_hochberg",
    "group_differences",
    "group_rank_correlations",
    "kruskal_by_item",
    "positions",
]

ALPHA = 0.05
CONSENSUS_SPREAD = 0.15
POLARISING_SHARE = 0.30
_TOP, _BOTTOM = 0.75, 0.25


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values (adjusted p-values); NaN stays NaN and is not counted.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, np.nan]).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    if valid.size == 0:
        return q
    order = valid[np.argsort(p[valid], kind="stable")]
    m = order.size
    adjusted = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(adjusted[::-1])[::-1]
    q[order] = np.minimum(adjusted, 1.0)
    return q


def kruskal_by_item(matrix: np.ndarray, groups: np.ndarray, items: Sequence[str]) -> pd.DataFrame:
    """Kruskal–Wallis H and p-value per item across groups, with BH q-values.

    Examples
    --------
    >>> m = np.array([[5, 1], [4, 2], [5, 3], [1, 2], [2, 1], [1, 3]], dtype=float)
    >>> g = np.array(["a", "a", "a", "b", "b", "b"], dtype=object)
    >>> kruskal_by_item(m, g, ["X", "Y"]).round(4)
      item  statistic  p_value  q_value
    0    X     4.0909   0.0431   0.0862
    1    Y     0.0000   1.0000   1.0000
    """
    x = np.asarray(matrix, dtype=float)
    groups = np.asarray(groups, dtype=object)
    labels = sorted(set(groups.tolist()))
    masks = [groups == g for g in labels]
    statistic = np.full(len(items), np.nan)
    p_value = np.full(len(items), np.nan)
    for j in range(len(items)):
        column = x[:, j]
        samples = [column[mask & ~np.isnan(column)] for mask in masks]
        samples = [s for s in samples if s.size]
        if len(samples) < 2:
            continue
        values = np.concatenate(samples)
        if np.all(values == values[0]):
            statistic[j], p_value[j] = 0.0, 1.0
            continue
        result = stats.kruskal(*samples)
        statistic[j], p_value[j] = float(result.statistic), float(result.pvalue)
    return pd.DataFrame(
        {
            "item": list(items),
            "statistic": statistic,
            "p_value": p_value,
            "q_value": benjamini_hochberg(p_value),
        }
    )


def positions(
    matrix: np.ndarray,
    higher_is_better: bool = True,
    low: float | None = None,
    high: float | None = None,
) -> np.ndarray:
    """Map values to positions in [0, 1], 1 = top of the scale (see the module docstring).

    Examples
    --------
    >>> positions(np.array([[1.0, 3.0, 5.0]]), low=1, high=5).tolist()
    [[0.0, 0.5, 1.0]]
    >>> positions(np.array([[1.0, 2.0, 3.0]]), higher_is_better=False).tolist()
    [[1.0, 0.5, 0.0]]
    """
    x = np.asarray(matrix, dtype=float)
    finite = x[~np.isnan(x)]
    if finite.size == 0:
        return np.full(x.shape, np.nan)
    lo = float(finite.min()) if low is None else float(low)
    hi = float(finite.max()) if high is None else float(high)
    if hi <= lo:
        return np.where(np.isnan(x), np.nan, 0.5)
    p = (x - lo) / (hi - lo) if higher_is_better else (hi - x) / (hi - lo)
    return np.clip(p, 0.0, 1.0)


def group_differences(
    matrix: np.ndarray,
    groups: np.ndarray,
    items: Sequence[str],
    *,
    higher_is_better: bool = True,
    low: float | None = None,
    high: float | None = None,
) -> pd.DataFrame:
    """Per item: Kruskal–Wallis across groups, BH q-value, spread, polarising and consensus.

    Parameters
    ----------
    matrix : ndarray
        ``Profile.matrix``: respondents x items, NaN where missing.
    groups : ndarray
        Group label per respondent.
    items : sequence of str
        Item labels (columns of ``matrix``).
    higher_is_better : bool
        ``Profile.matrix_higher_is_better`` (False for ranks).
    low, high : float, optional
        Ends of the scale for positions; default the smallest and largest value observed.

    Returns
    -------
    DataFrame
        Columns ``item, statistic, p_value, q_value, spread, polarising, consensus``, in
        ``items`` order.  ``spread`` is the range of the groups' mean positions.

    Examples
    --------
    Two groups rating two items on 1–5: they disagree on X and agree on Y.

    >>> m = np.array([[5, 3], [5, 3], [4, 3], [1, 3], [2, 3], [1, 3]], dtype=float)
    >>> g = np.array(["a", "a", "a", "b", "b", "b"], dtype=object)
    >>> out = group_differences(m, g, ["X", "Y"], low=1, high=5)
    >>> out[["item", "spread", "polarising", "consensus"]].round(3)
      item  spread  polarising  consensus
    0    X   0.833        True      False
    1    Y   0.000       False       True
    """
    x = np.asarray(matrix, dtype=float)
    groups = np.asarray(groups, dtype=object)
    out = kruskal_by_item(x, groups, items)
    pos = positions(x, higher_is_better, low, high)
    present = ~np.isnan(pos)
    n_present = present.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_top = np.where(present, pos >= _TOP, False).sum(axis=0) / n_present
        share_bottom = np.where(present, pos <= _BOTTOM, False).sum(axis=0) / n_present
    polarising = (
        (n_present > 0) & (share_top >= POLARISING_SHARE) & (share_bottom >= POLARISING_SHARE)
    )
    labels = sorted(set(groups.tolist()))
    means = []
    for g in labels:
        rows = pos[groups == g]
        counts = (~np.isnan(rows)).sum(axis=0)
        sums = np.nansum(rows, axis=0)
        means.append(np.where(counts > 0, sums / np.maximum(counts, 1), np.nan))
    group_means = np.vstack(means) if means else np.empty((0, x.shape[1]))
    has = ~np.isnan(group_means)
    spread = np.full(x.shape[1], np.nan)
    enough = has.sum(axis=0) >= 2
    if enough.any():
        spread[enough] = np.nanmax(group_means[:, enough], axis=0) - np.nanmin(
            group_means[:, enough], axis=0
        )
    q = out["q_value"].to_numpy()
    consensus = (
        ~np.isnan(q)
        & (np.nan_to_num(q, nan=0.0) >= ALPHA)
        & (np.nan_to_num(spread, nan=np.inf) <= CONSENSUS_SPREAD + 1e-12)
        & ~polarising
    )
    out["spread"] = spread
    out["polarising"] = polarising
    out["consensus"] = consensus
    return out


def group_rank_correlations(
    scores: Mapping[str, np.ndarray], items: Sequence[str] | None = None
) -> pd.DataFrame:
    """Kendall's tau-b between every pair of groups' item scores.

    Direction does not matter as long as every group's scores share it.

    Examples
    --------
    >>> s = {"a": np.array([3.0, 2.0, 1.0]), "b": np.array([3.0, 1.0, 2.0])}
    >>> group_rank_correlations(s).round(4)
      group_a group_b     tau  p_value
    0       a       b  0.3333      1.0
    """
    labels = sorted(scores)
    rows = []
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            x, y = np.asarray(scores[a], float), np.asarray(scores[b], float)
            if np.ptp(x) == 0 or np.ptp(y) == 0 or x.size < 2:
                tau, p = np.nan, np.nan
            else:
                result = stats.kendalltau(np.round(x, 12), np.round(y, 12))
                tau, p = float(result.statistic), float(result.pvalue)
            rows.append({"group_a": a, "group_b": b, "tau": tau, "p_value": p})
    return pd.DataFrame(rows, columns=["group_a", "group_b", "tau", "p_value"])
