"""Turning scores into ranks, with ties explicit."""

from __future__ import annotations

import numpy as np


def competition_rank(scores: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """Standard competition ranks: equal scores share the smallest rank (1, 2, 2, 4).

    Works on the last axis, so a ``(B, n_items)`` array of bootstrap scores gives ranks per row.
    Scores are compared exactly after rounding to 12 significant decimals, so that floating-point
    noise does not break a genuine tie.

    Examples
    --------
    >>> competition_rank(np.array([3.0, 5.0, 5.0, 1.0]))
    array([3, 1, 1, 4])
    >>> competition_rank(np.array([1.5, 2.0, 1.5]), higher_is_better=False)
    array([1, 3, 1])
    """
    s = np.round(np.asarray(scores, dtype=float), 12)
    if higher_is_better:
        s = -s
    # rank = 1 + number of strictly better entries
    return 1 + (s[..., None, :] < s[..., :, None]).sum(axis=-1)
