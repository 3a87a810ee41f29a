"""Live workshop results: the aggregate of one question, as a projector shows it.

One function, :func:`live_summary`, turns the answers given so far to one question (long format,
one row per respondent and category) into one row per category with counts and a bar length.
It never returns individual answers. Conventions (pinned, and tested):

* ``"choice"`` (single or multiple choice): ``count`` is the number of respondents who chose the
  option; ``share = count / respondents`` (multiple choice shares may add up to more than 1).
* ``"rating"``: categories are the scale points (a "don't know" point has a missing ``value``);
  ``count`` and ``share`` as for a choice; ``mean`` is the mean of the answers on the scale
  ("don't know" left out), or ``None`` when there are none.
* ``"ranking"``: ``count`` is how many respondents ranked the item; ``mean_rank`` is the mean of
  those ranks; ``borda`` gives an item ranked ``r`` among ``k`` ranked places ``k - r + 1``
  points and an unranked item 0, summed over respondents; ``share = borda / (k * respondents)``;
  ``position`` is the competition rank of ``borda`` (1 = first; ties share: 1, 2, 2, 4).
* ``"points"``: ``mean`` is the mean points per respondent (an item a respondent left out counts
  0); ``share`` is the item's part of all points given; ``position`` as for a ranking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.ranks import competition_rank

LIVE_KINDS = ("choice", "rating", "ranking", "points")


@dataclass(frozen=True)
class LiveSummary:
    """The aggregate of one question: how many answered, one row per category, a mean."""

    kind: str
    respondents: int
    table: pd.DataFrame
    mean: float | None = None


def live_summary(
    answers: pd.DataFrame, kind: str, categories: Sequence[str], *, ranked: int | None = None
) -> LiveSummary:
    """Aggregate one question's answers for a live projector.

    Parameters
    ----------
    answers : DataFrame
        One row per answer value: ``respondent`` and ``category`` (the option, scale point or
        item code), plus ``value`` (the scale value: rating), ``rank`` (ranking) or ``points``
        (points). Rows of unknown categories are ignored.
    kind : {"choice", "rating", "ranking", "points"}
        The question's kind (see the module docstring for what each computes).
    categories : sequence of str
        Every category in display order (those nobody chose get a count of 0).
    ranked : int, optional
        Ranking: how many places a respondent fills (``top_k``); default: every category.

    Returns
    -------
    LiveSummary
        ``table`` indexed by category with ``count`` and ``share`` (0..1, the bar length),
        and ``mean_rank``, ``borda`` and ``position`` (ranking) or ``mean`` and ``position``
        (points); ``mean`` is the mean rating (rating only).

    Examples
    --------
    >>> answers = pd.DataFrame(
    ...     {"respondent": [1, 2, 3], "category": ["4", "5", "dont_know"], "value": [4, 5, None]}
    ... )
    >>> result = live_summary(answers, "rating", ["1", "2", "3", "4", "5", "dont_know"])
    >>> result.respondents, result.mean
    (3, 4.5)
    >>> result.table["count"].tolist()
    [0, 0, 0, 1, 1, 1]
    >>> ranks = pd.DataFrame(
    ...     {"respondent": [1, 1, 2, 2], "category": ["a", "b", "b", "a"], "rank": [1, 2, 1, 2]}
    ... )
    >>> table = live_summary(ranks, "ranking", ["a", "b", "c"]).table
    >>> table["borda"].tolist(), table["position"].tolist()
    ([5.0, 5.0, 0.0], [1, 1, 3])
    """
    if kind not in LIVE_KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(LIVE_KINDS)}")
    order = [str(c) for c in categories]
    rows = answers[answers["category"].astype(str).isin(order)].copy()
    rows["category"] = rows["category"].astype(str)
    respondents = int(rows["respondent"].nunique())
    index = pd.Index(order, name="category")
    chose = rows.drop_duplicates(["respondent", "category"])
    count = chose.groupby("category").size().reindex(index, fill_value=0).astype(int)
    table = pd.DataFrame({"count": count})
    mean: float | None = None
    if kind in ("choice", "rating"):
        table["share"] = count / respondents if respondents else 0.0
        if kind == "rating":
            values = pd.to_numeric(rows["value"], errors="coerce").dropna()
            mean = float(values.mean()) if len(values) else None
    elif kind == "ranking":
        k = max(1, min(ranked or len(order), len(order)))
        rank = pd.to_numeric(rows["rank"], errors="coerce")
        rows = rows.assign(rank=rank, borda=np.clip(k - rank + 1, 0, None)).dropna(subset=["rank"])
        grouped = rows.groupby("category")
        table["mean_rank"] = grouped["rank"].mean().reindex(index)
        table["borda"] = grouped["borda"].sum().reindex(index, fill_value=0.0).astype(float)
        table["share"] = table["borda"] / (k * respondents) if respondents else 0.0
        table["position"] = competition_rank(table["borda"].to_numpy())
    else:
        points = pd.to_numeric(rows["points"], errors="coerce").fillna(0.0)
        total = rows.assign(points=points).groupby("category")["points"].sum()
        total = total.reindex(index, fill_value=0.0).astype(float)
        table["mean"] = total / respondents if respondents else 0.0
        given = float(total.sum())
        table["share"] = total / given if given else 0.0
        table["position"] = competition_rank(total.to_numpy())
    table["share"] = table["share"].astype(float)
    return LiveSummary(kind=kind, respondents=respondents, table=table, mean=mean)
