"""Points-allocation methods: mean share of the budget.

Plain-language guide (for analysts; reused in ``analysis/README.md``)
--------------------------------------------------------------------
In a points question each respondent spreads a budget (say 100 points) over the items.

``mean-share``
    Each respondent's points are first turned into shares of what that respondent handed out
    (points on the item / the respondent's total points), so that everybody has the same say
    whether they spent the whole budget or not.  An item's score is the weighted average of
    these shares over respondents; the scores of all items add up to 1 (multiply by 100 for
    percentages).  An item a respondent gave no row for counts as 0 points from that
    respondent.  A respondent who handed out no points at all (total 0) has no shares and is
    left out of the average (as if absent).  If nobody with a positive weight is left, every
    item scores ``1 / n_items``.

Per-respondent values (``Profile.matrix``, used for agreement and group-difference tests): the
respondent's share per item; a row of NaN for a respondent whose total is 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.methods.pairwise import factorize_sorted, respondent_codes
from analysis.registry import Options, Profile, register

__all__ = ["prepare_points"]


def prepare_points(frame: pd.DataFrame, options: Options) -> Profile:
    """Per-respondent shares of the points each respondent allocated.

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": ["r1", "r1", "r2"], "group": "all",
    ...                       "item": ["a", "b", "a"], "points": [30.0, 10.0, 0.0]})
    >>> prepare_points(frame, {}).matrix
    array([[0.75, 0.25],
           [ nan,  nan]])
    """
    resp, respondents, groups = respondent_codes(frame)
    n_resp = len(respondents)
    item, labels = factorize_sorted(frame["item"])
    items = labels.tolist()
    n = len(items)
    points = np.bincount(
        resp.astype(np.int64) * n + item,
        weights=frame["points"].to_numpy(dtype=float),
        minlength=n_resp * n,
    ).reshape(n_resp, n)
    total = points.sum(axis=1)
    valid = total > 0
    shares = np.zeros_like(points)
    shares[valid] = points[valid] / total[valid, None]
    matrix = np.where(valid[:, None], shares, np.nan)
    return Profile(
        kind="points",
        items=items,
        respondents=respondents,
        groups=groups,
        matrix=matrix,
        matrix_higher_is_better=True,
        data={"shares": shares, "valid": valid.astype(float)},
    )


def mean_share_batch(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Weighted mean shares for each row of a ``(B, n_respondents)`` weight matrix."""
    w = np.atleast_2d(np.asarray(weights, dtype=float)) * profile.data["valid"]
    total = w.sum(axis=1, keepdims=True)
    mean = (w @ profile.data["shares"]) / np.where(total > 0, total, 1.0)
    return np.where(total > 0, mean, 1.0 / max(profile.n_items, 1))


@register(
    "points",
    "mean-share",
    prepare=prepare_points,
    summary="Weighted mean share of each respondent's points (shares add up to 1; respondents "
    "who gave no points are left out).",
    score_batch=mean_share_batch,
)
def mean_share(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Weighted mean of per-respondent point shares.

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": ["r1", "r1", "r2", "r2"], "group": "all",
    ...                       "item": ["a", "b", "a", "b"], "points": [30.0, 10.0, 5.0, 5.0]})
    >>> profile = prepare_points(frame, {})
    >>> mean_share(profile, np.ones(2), {})  # (0.75 + 0.5) / 2, (0.25 + 0.5) / 2
    array([0.625, 0.375])
    """
    return mean_share_batch(profile, np.asarray(weights, dtype=float)[None], options)[0]
