"""Small-cell protection: never publish a breakdown for a group small enough to single people out.

A breakdown by stakeholder group shows a group only when it has at least ``k`` respondents
(default ``DEFAULT_MIN_GROUP_SIZE`` = 5, a common minimum cell size in official statistics);
smaller groups are *suppressed* — their results are withheld and the output says which groups
were suppressed, without their size.  Suppressed groups still count in the overall ranking,
in the weights and in the item-level group-difference tests, which publish no per-group figures.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["DEFAULT_MIN_GROUP_SIZE", "split_by_size", "suppressed_groups"]

DEFAULT_MIN_GROUP_SIZE = 5


def _check(min_size: int) -> int:
    if int(min_size) != min_size or min_size < 1:
        raise ValueError("the minimum group size must be a whole number of at least 1")
    return int(min_size)


def split_by_size(
    sizes: Mapping[str, int], min_size: int = DEFAULT_MIN_GROUP_SIZE
) -> tuple[list[str], list[str]]:
    """Groups that may be shown and groups to suppress, each in sorted order.

    Examples
    --------
    >>> split_by_size({"NGO": 12, "Academic": 3, "Donor": 5})
    (['Donor', 'NGO'], ['Academic'])
    """
    k = _check(min_size)
    labels = sorted(sizes)
    return [g for g in labels if sizes[g] >= k], [g for g in labels if sizes[g] < k]


def suppressed_groups(groups: np.ndarray, min_size: int = DEFAULT_MIN_GROUP_SIZE) -> list[str]:
    """Labels of the groups with fewer than ``min_size`` respondents (one entry per respondent).

    Examples
    --------
    >>> suppressed_groups(np.array(["a"] * 5 + ["b"] * 2, dtype=object))
    ['b']
    """
    labels, counts = np.unique(np.asarray(groups, dtype=object), return_counts=True)
    return split_by_size(dict(zip(labels.tolist(), counts.tolist(), strict=True)), min_size)[1]
