"""Ranking methods: ``borda``, ``mean-rank``, ``schulze``, ``copeland`` and ``plackett-luce``.

What the methods do, in plain language
--------------------------------------
Each respondent puts items in order of importance (1 = most important). A respondent may rank
only their top few items (a *partial* ballot) and may put several items on the same level (a
*tie*). Two conventions hold for every method below:

* **Only the order matters.** Ranks 1, 2, 2, 4 and ranks 1, 2, 2, 3 mean the same thing: one
  item first, two items tied second, one item after them.
* **Unranked items are tied below every ranked item.** If a respondent ranks 3 of 10 items, the
  other 7 share the bottom positions 4 to 10, each getting the average position 7.

*Positions with ties.* When items tie, each gets the average of the positions they occupy
together: two items tied after the first occupy positions 2 and 3 and both get 2.5. This is
also the per-respondent table the agreement and group-comparison statistics use (lower is
better).

``borda``
    Points by position, averaged over respondents. With m items, the item in position r gets
    m - r points (first place m - 1 points, last place 0). The score is the (weighted) average
    number of points per respondent, so it lies between 0 and m - 1 and does not grow with the
    number of respondents. Partial ballots follow the option ``borda_partial``:

    - ``"averaged"`` (default): tied items share the points of the positions they occupy, and
      the unranked items share the remaining points equally. A respondent who ranks 3 of 10
      items gives 9, 8 and 7 points to their top three and (6 + 5 + ... + 0) / 7 = 3 points to
      each of the other seven. Every ballot hands out the same total number of points, so a
      respondent who ranks few items has the same say as one who ranks them all.
    - ``"zero"``: ranked items get their points as above, unranked items get nothing. Ranking
      few items then gives a respondent less total influence.
    - ``"dowdall"``: the item in position r gets 1/r points (1, 1/2, 1/3, ...), tied items the
      average of 1/r over their positions, unranked items nothing (the rule used in Nauru's
      parliament). It rewards first places much more than Borda does.
``mean-rank``
    The (weighted) average position of the item, with the conventions above for ties and
    unranked items. **Lower is better.** It orders items exactly as ``borda`` with
    ``"averaged"`` does (score = m - Borda points).
``schulze``
    A Condorcet method: items are compared two at a time. For each pair (A, B) we count the
    (weighted) number of respondents who put A above B; a respondent who tied them, or ranked
    neither, counts for neither. A *defeats* B directly if more respondents prefer A to B than
    B to A, and the strength of that defeat is the number of respondents preferring A (the
    "winning votes" convention). A *path* from A to B is a chain of direct defeats
    A > X > Y > B; its strength is its weakest link. A beats B in the Schulze relation if the
    strongest path from A to B is stronger than the strongest path from B to A. The score of an
    item is **the number of items it beats in the Schulze relation** (most items beaten = rank 1).
    If one item beats every other item head-to-head (a Condorcet winner), it comes first. When
    the strongest paths between two items are equally strong, neither beats the other.
``copeland``
    Also compares items two at a time. The score of an item is **the number of other items
    that a strict majority of (weighted) respondents prefer it to**. A pair that is exactly
    tied counts 0 for both items by default (option ``copeland_tie``, a number between 0 and 1:
    0.5 gives the classic "wins plus half the ties" score, which orders items like "wins minus
    losses").
``plackett-luce``
    A statistical model of how people rank: each item has a *strength*, and a respondent is
    imagined to pick their first item with probability proportional to its strength, then
    their second among the items left, and so on. The reported score is the natural logarithm
    of the strength, shifted so that the scores average to zero: an item with score 0 is
    "average"; if item A scores 1 more than item B, then when only the two are compared, A is
    e = 2.72 times as likely as B to be preferred. Strengths are chosen to make the observed
    rankings as likely as possible (maximum likelihood), computed with Hunter's (2004) MM
    algorithm, sped up by SQUAREM extrapolation (Varadhan and Roland 2008) and finished with
    Newton steps; the computation stops when the scores are provably within ``pl_tol``
    (default 10^-7) of the best values. Conventions:

    - a partial ballot says only that the ranked items were picked in that order, one after the
      other, from everything not yet picked; nothing is assumed about the unranked items;
    - tied items: each of the tied items counts as picked from the same set of items (the tied
      group plus everything ranked below it); this is Breslow's convention, the one used for
      ties in survival analysis. A tie of *all* the remaining items (including "the unranked
      items") says nothing and is skipped;
    - a small penalty pulls every score towards 0 ("all items equal") so that an item that
      nobody ever picked, or that everybody put first, still gets a finite score (very low,
      or very high) rather than minus or plus infinity. Its strength is the option
      ``pl_alpha`` (default 1e-6) per unit of respondent weight: we maximise the average
      log-likelihood per respondent minus ``pl_alpha`` times the sum of squared scores. With
      unit weights this is exactly choix's ``alpha = pl_alpha * n_respondents``. With many
      respondents the penalty's effect on the scores is negligible.

Weights and bootstrap replicates
--------------------------------
Every method honours respondent weights: a respondent of weight 2 counts as two identical
respondents, weight 0 as none, and only the ratios of the weights matter (for
``plackett-luce`` too: its penalty is counted per unit of weight). Pairwise counts for
``schulze`` and ``copeland`` are weighted sums; two counts that differ by less than one part in
10^9 of the total weight are treated as equal (rounding error, not a difference). If every
weight is zero (possible only in a degenerate bootstrap replicate) all items tie.

Options
-------
``borda_partial`` : {"averaged", "zero", "dowdall"}
    Partial-ballot convention of ``borda`` (default "averaged").
``copeland_tie`` : float
    Points for an exactly tied pair in ``copeland`` (default 0).
``pl_alpha`` : float
    Penalty per unit respondent weight of ``plackett-luce`` (default 1e-6, must be > 0).
``pl_tol`` : float
    ``plackett-luce`` stops once its scores are certainly within ``pl_tol`` of the optimum
    (default 1e-7; the penalty makes that distance computable from the gradient).
``pl_max_iter`` : int
    Maximum number of iterations of ``plackett-luce`` (default 1000).

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> from analysis.registry import get_method
>>> frame = pd.DataFrame({
...     "respondent": ["r1", "r1", "r2", "r2", "r3"],
...     "group": "all",
...     "item": ["a", "b", "b", "c", "a"],
...     "rank": [1.0, 2.0, 1.0, 2.0, 1.0],
... })
>>> method = get_method("ranking", "borda")
>>> profile = method.prepare(frame, {})
>>> method.scores(profile, np.ones(3), {}).tolist()
[1.3333333333333333, 1.1666666666666667, 0.5]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.registry import Options, Profile, register

__all__ = [
    "borda",
    "copeland",
    "mean_rank",
    "plackett_luce",
    "prepare_ranking",
    "schulze",
]

BORDA_CONVENTIONS = ("averaged", "zero", "dowdall")

# Pairwise counts closer than this fraction of the total weight count as equal.
_PAIR_TOL = 1e-9
# Largest per-respondent pairwise indicator (n_respondents * n_items**2 floats) built at once.
_INDICATOR_MAX = 25_000_000


def prepare_ranking(frame: pd.DataFrame, options: Options) -> Profile:
    """Aggregate a validated long ranking frame into a :class:`~analysis.registry.Profile`.

    Items and respondents are sorted in Python's default string order. ``matrix`` holds each
    respondent's position of each item: tied items get the average of the positions they
    span and unranked items the average of the remaining positions (lower is better).

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``respondent``, ``group``, ``item``, ``rank`` (each item at most once per
        respondent; only the order of the ranks matters).
    options : Mapping
        Unused here (options are read when scoring).

    Returns
    -------
    Profile

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"respondent": "r1", "group": "all",
    ...                       "item": ["a", "b", "c"], "rank": [1.0, 3.0, 3.0]})
    >>> prepare_ranking(frame, {}).matrix
    array([[1. , 2.5, 2.5]])

    A partial ballot: r2 ranks only c, so a and b share positions 2 and 3:

    >>> frame = pd.DataFrame({"respondent": ["r1", "r1", "r2"], "group": "all",
    ...                       "item": ["b", "a", "c"], "rank": [1.0, 2.0, 1.0]})
    >>> prepare_ranking(frame, {}).matrix
    array([[2. , 1. , 3. ],
           [2.5, 2.5, 1. ]])
    """
    items, item_code = _sorted_codes(frame["item"])
    respondents, resp_code = _sorted_codes(frame["respondent"])
    n, m = len(respondents), len(items)
    groups = _respondent_groups(frame["group"], resp_code, n)

    key = np.full((n, m), np.inf)  # unranked = +inf: sorts after every rank
    key[resp_code, item_code] = frame["rank"].to_numpy(dtype=float)
    ranked = np.isfinite(key)
    n_ranked = ranked.sum(axis=1)
    first, last = _tie_spans(key)
    rest = (n_ranked + 1 + m) / 2.0
    position = np.where(ranked, (first + last) / 2.0, rest[:, None])
    first = np.where(ranked, first, (n_ranked + 1)[:, None])
    last = np.where(ranked, last, m)
    return Profile(
        kind="ranking",
        items=items,
        respondents=np.array(respondents, dtype=object),
        groups=groups,
        matrix=position,
        matrix_higher_is_better=False,
        data={"position": position, "first": first, "last": last, "ranked": ranked},
    )


def _sorted_codes(column: pd.Series) -> tuple[list[str], np.ndarray]:
    """Distinct labels in Python's string order, and each entry's index among them."""
    codes, uniques = pd.factorize(column.astype(str))
    labels = [str(x) for x in uniques]
    order = sorted(range(len(labels)), key=labels.__getitem__)
    remap = np.empty(len(labels), dtype=np.intp)
    remap[order] = np.arange(len(labels))
    return [labels[i] for i in order], remap[codes]


def _respondent_groups(column: pd.Series, resp_code: np.ndarray, n: int) -> np.ndarray:
    """Group label per respondent (object array)."""
    codes, uniques = pd.factorize(column.astype(str))
    per_respondent = np.zeros(n, dtype=np.intp)
    per_respondent[resp_code] = codes
    return np.array([str(x) for x in uniques], dtype=object)[per_respondent]


def _tie_spans(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last 1-based position spanned by each entry's tie group, row by row.

    Equal keys tie; ``key`` is ``(n, m)`` (one argsort per call, no loop over rows).
    """
    n, m = key.shape
    first = np.empty((n, m), dtype=np.intp)
    last = np.empty((n, m), dtype=np.intp)
    if m == 0:
        return first, last
    order = np.argsort(key, axis=1, kind="stable")
    srt = np.take_along_axis(key, order, axis=1)
    col = np.broadcast_to(np.arange(m), (n, m))
    starts = np.ones((n, m), dtype=bool)
    starts[:, 1:] = srt[:, 1:] != srt[:, :-1]
    ends = np.ones((n, m), dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    lo = np.maximum.accumulate(np.where(starts, col, 0), axis=1) + 1
    hi = np.minimum.accumulate(np.where(ends, col, m - 1)[:, ::-1], axis=1)[:, ::-1] + 1
    np.put_along_axis(first, order, lo, axis=1)
    np.put_along_axis(last, order, hi, axis=1)
    return first, last


def _as_matrix(weights: np.ndarray) -> np.ndarray:
    return np.atleast_2d(np.asarray(weights, dtype=float))


# --------------------------------------------------------------------------------------------
# Positional methods: borda, mean-rank


def _borda_points(profile: Profile, convention: str) -> np.ndarray:
    """Per-respondent Borda points, ``(n_respondents, n_items)``, cached on the profile."""
    key = f"_borda_points_{convention}"
    if key in profile.data:
        return profile.data[key]
    m = profile.n_items
    pos, ranked = profile.data["position"], profile.data["ranked"]
    if convention == "averaged":
        points = m - pos
    elif convention == "zero":
        points = np.where(ranked, m - pos, 0.0)
    elif convention == "dowdall":
        harmonic = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, m + 1))])
        first, last = profile.data["first"], profile.data["last"]
        span = np.where(
            first == last, 1.0 / first, (harmonic[last] - harmonic[first - 1]) / (last - first + 1)
        )
        points = np.where(ranked, span, 0.0)
    else:
        choices = ", ".join(BORDA_CONVENTIONS)
        raise ValueError(f"unknown borda_partial {convention!r} (choose from {choices})")
    profile.data[key] = points
    return points


def _weighted_average(values: np.ndarray, weights: np.ndarray, empty: float) -> np.ndarray:
    """Row-wise weighted average of ``values`` for each weight row; ``empty`` if no weight."""
    total = weights.sum(axis=1)
    out = weights @ values
    ok = total > 0
    out[ok] /= total[ok, None]
    out[~ok] = empty
    return out


def _borda_batch(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    points = _borda_points(profile, str(options.get("borda_partial", "averaged")))
    return _weighted_average(points, _as_matrix(weights), 0.0)


def _mean_rank_batch(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    empty = (profile.n_items + 1) / 2.0
    return _weighted_average(profile.data["position"], _as_matrix(weights), empty)


@register(
    "ranking",
    "borda",
    prepare=prepare_ranking,
    summary="Average Borda points per respondent (m - position; by default unranked items "
    "share the remaining points equally and ties share the points of their positions).",
    score_batch=_borda_batch,
)
def borda(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Weighted average Borda points per respondent.

    Parameters
    ----------
    profile : Profile
        From :func:`prepare_ranking`.
    weights : ndarray
        Non-negative respondent weights, shape ``(n_respondents,)``.
    options : Mapping
        ``borda_partial``: "averaged" (default), "zero" or "dowdall".

    Returns
    -------
    ndarray
        One score per item (higher is better).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"respondent": "r1", "group": "all",
    ...                       "item": ["a", "b", "c", "d"], "rank": [1.0, 2.0, 2.0, 4.0]})
    >>> profile = prepare_ranking(frame, {})
    >>> borda(profile, np.ones(1), {}).tolist()
    [3.0, 1.5, 1.5, 0.0]
    >>> borda(prepare_ranking(frame.iloc[:1], {}), np.ones(1), {}).tolist()
    [0.0]
    >>> borda(profile, np.ones(1), {"borda_partial": "dowdall"}).tolist()
    [1.0, 0.41666666666666663, 0.41666666666666663, 0.25]
    """
    return _borda_batch(profile, _as_matrix(weights), options)[0]


@register(
    "ranking",
    "mean-rank",
    prepare=prepare_ranking,
    summary="Weighted average position of each item (lower is better; ties get the average of "
    "their positions, unranked items the average of the remaining positions).",
    higher_is_better=False,
    score_batch=_mean_rank_batch,
)
def mean_rank(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Weighted mean position per item (lower is better).

    Parameters
    ----------
    profile : Profile
        From :func:`prepare_ranking`.
    weights : ndarray
        Non-negative respondent weights, shape ``(n_respondents,)``.
    options : Mapping
        Unused.

    Returns
    -------
    ndarray
        One score per item.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"respondent": ["r1", "r2", "r2"], "group": "all",
    ...                       "item": ["a", "b", "c"], "rank": [1.0, 1.0, 2.0]})
    >>> mean_rank(prepare_ranking(frame, {}), np.ones(2), {}).tolist()
    [2.0, 1.75, 2.25]
    """
    return _mean_rank_batch(profile, _as_matrix(weights), options)[0]


# --------------------------------------------------------------------------------------------
# Pairwise (Condorcet) methods: schulze, copeland


def _indicator(profile: Profile, rows: slice | None = None) -> np.ndarray:
    """Per-respondent preference indicators ``X[r, i * m + j] = 1`` if r puts i above j."""
    pos = profile.data["position"] if rows is None else profile.data["position"][rows]
    m = profile.n_items
    return (pos[:, :, None] < pos[:, None, :]).reshape(len(pos), m * m).astype(np.float32)


def _pairwise_counts(profile: Profile, weights: np.ndarray) -> np.ndarray:
    """Weighted pairwise preference counts ``D[b, i, j]``, shape ``(B, m, m)``.

    One matrix product of the weights with the per-respondent indicator matrix. The product
    runs in float32 when every weight is a whole number and every row total is below 2**24
    (then float32 sums are exact); otherwise in float64.
    """
    weights = _as_matrix(weights)
    n, m = profile.n_respondents, profile.n_items
    exact32 = bool(
        np.all(weights == np.floor(weights)) and weights.sum(axis=1).max(initial=0) < 2**24
    )
    dtype = np.float32 if exact32 else np.float64
    w = weights.astype(dtype)
    if n * m * m <= _INDICATOR_MAX:
        if "_indicator" not in profile.data:
            profile.data["_indicator"] = _indicator(profile)
        counts = w @ profile.data["_indicator"].astype(dtype, copy=False)
    else:  # bound memory: accumulate over blocks of respondents
        counts = np.zeros((len(w), m * m), dtype=dtype)
        step = max(1, _INDICATOR_MAX // max(1, m * m))
        for start in range(0, n, step):
            block = slice(start, min(n, start + step))
            counts += w[:, block] @ _indicator(profile, block).astype(dtype, copy=False)
    return counts.astype(np.float64).reshape(len(w), m, m)


def _pair_tolerance(weights: np.ndarray) -> np.ndarray:
    return (_PAIR_TOL * _as_matrix(weights).sum(axis=1))[:, None, None]


def _schulze_from_counts(counts: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """Number of items each item beats in the Schulze (strongest-path) relation.

    ``counts`` is ``(B, m, m)``; winning-votes strengths; widest paths by a vectorised
    Floyd-Warshall over the ``B`` replicates.
    """
    m = counts.shape[-1]
    transposed = counts.transpose(0, 2, 1)
    strength = np.where(counts - transposed > tol, counts, 0.0)
    for k in range(m):
        through_k = np.minimum(strength[:, :, k, None], strength[:, None, k, :])
        np.maximum(strength, through_k, out=strength)
    beats = strength - strength.transpose(0, 2, 1) > tol
    return beats.sum(axis=-1).astype(float)


def _schulze_batch(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    weights = _as_matrix(weights)
    return _schulze_from_counts(_pairwise_counts(profile, weights), _pair_tolerance(weights))


def _copeland_batch(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    tie_value = float(options.get("copeland_tie", 0.0))
    if not 0.0 <= tie_value <= 1.0:
        raise ValueError(f"copeland_tie must be between 0 and 1, not {tie_value!r}")
    weights = _as_matrix(weights)
    counts = _pairwise_counts(profile, weights)
    margin = counts - counts.transpose(0, 2, 1)
    tol = _pair_tolerance(weights)
    wins = (margin > tol).sum(axis=-1)
    ties = (np.abs(margin) <= tol).sum(axis=-1) - 1  # minus the diagonal
    return wins + tie_value * ties


@register(
    "ranking",
    "schulze",
    prepare=prepare_ranking,
    summary="Schulze (beatpath) method with winning votes: score = number of items an item "
    "beats through the strongest chains of head-to-head majorities.",
    score_batch=_schulze_batch,
)
def schulze(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Number of items beaten in the Schulze relation (defeat strength = winning votes).

    Parameters
    ----------
    profile : Profile
        From :func:`prepare_ranking`.
    weights : ndarray
        Non-negative respondent weights, shape ``(n_respondents,)``.
    options : Mapping
        Unused.

    Returns
    -------
    ndarray
        One score per item: how many items it beats (higher is better).

    Examples
    --------
    A majority cycle among 7 respondents: a beats b 5 to 2, b beats c 5 to 2, c beats a 4
    to 3. The weakest defeat (c over a) is overruled by the stronger path a > b > c, so the
    order is a, b, c:

    >>> import pandas as pd
    >>> ballots = {"r1": "abc", "r2": "abc", "r3": "abc", "r4": "bca", "r5": "bca",
    ...            "r6": "cab", "r7": "cab"}
    >>> frame = pd.DataFrame([{"respondent": r, "group": "all", "item": x, "rank": k + 1.0}
    ...                       for r, order in ballots.items() for k, x in enumerate(order)])
    >>> schulze(prepare_ranking(frame, {}), np.ones(7), {}).tolist()
    [2.0, 1.0, 0.0]
    """
    return _schulze_batch(profile, _as_matrix(weights), options)[0]


@register(
    "ranking",
    "copeland",
    prepare=prepare_ranking,
    summary="Copeland's method: score = number of other items a strict majority prefers the "
    "item to (an exactly tied pair counts 0 unless copeland_tie says otherwise).",
    score_batch=_copeland_batch,
)
def copeland(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Number of head-to-head majority wins per item (tied pairs count ``copeland_tie``).

    Parameters
    ----------
    profile : Profile
        From :func:`prepare_ranking`.
    weights : ndarray
        Non-negative respondent weights, shape ``(n_respondents,)``.
    options : Mapping
        ``copeland_tie``: points for an exactly tied pair, between 0 and 1 (default 0).

    Returns
    -------
    ndarray
        One score per item (higher is better).

    Examples
    --------
    >>> import pandas as pd
    >>> ballots = {"r1": "abc", "r2": "bac"}
    >>> frame = pd.DataFrame([{"respondent": r, "group": "all", "item": x, "rank": k + 1.0}
    ...                       for r, order in ballots.items() for k, x in enumerate(order)])
    >>> profile = prepare_ranking(frame, {})
    >>> copeland(profile, np.ones(2), {}).tolist()
    [1.0, 1.0, 0.0]
    >>> copeland(profile, np.ones(2), {"copeland_tie": 0.5}).tolist()
    [1.5, 1.5, 0.0]
    """
    return _copeland_batch(profile, _as_matrix(weights), options)[0]


# --------------------------------------------------------------------------------------------
# Plackett-Luce


def _pl_structure(profile: Profile) -> dict[str, Any]:
    """Choice events of every ballot, in a padded ``(n_respondents, K)`` layout (cached).

    Slot ``s`` of respondent ``r`` holds their ``s``-th ranked item (by position; padding
    points at a dummy item ``m`` of strength 0). Tied items form a group; ``start``/``stop``
    index (in the flattened layout) the slots where the item's group begins and ends. A slot
    is an *active* choice event unless its group is the last one and contains every remaining
    item.
    """
    if "_pl" in profile.data:
        return profile.data["_pl"]
    n, m = profile.n_respondents, profile.n_items
    ranked = profile.data["ranked"]
    first, last = profile.data["first"], profile.data["last"]
    n_ranked = ranked.sum(axis=1)
    k = int(n_ranked.max(initial=0))
    order = np.argsort(np.where(ranked, first, m + 1), axis=1, kind="stable")[:, :k]
    valid = np.arange(k)[None, :] < n_ranked[:, None]
    item = np.where(valid, order, m)
    start = np.where(valid, np.take_along_axis(first, order, axis=1) - 1, 0)
    stop = np.where(valid, np.take_along_axis(last, order, axis=1), 1)
    active = valid & (stop < m)
    row = (np.arange(n) * k)[:, None]
    structure = {
        "k": k,
        "item": item,
        "start": (row + start).astype(np.intp),
        "stop": (row + stop - 1).astype(np.intp),
        "valid": valid,
        "active": active,
        "active_item": item[active],
        "valid_flat": np.flatnonzero(valid),
        "valid_item": item[valid],
        "unranked": (~ranked).astype(float),
        "unranked_t": np.ascontiguousarray((~ranked).T, dtype=float),
    }
    profile.data["_pl"] = structure
    return structure


def _pl_m_step(wins: np.ndarray, d: np.ndarray, lam: float, x0: np.ndarray) -> np.ndarray:
    """Maximise the MM surrogate: solve ``wins - d * exp(x) - lam * x = 0`` per item.

    The left side decreases in ``x``; the root lies between 0 and ``log(wins / d)`` (or, for
    an item never chosen, between ``-max(1, log(d / lam))`` and 0). Newton's method, with
    bisection whenever a step leaves the bracket.
    """
    with np.errstate(divide="ignore"):
        free = np.log(wins) - np.log(d)  # the unpenalised MM update log(wins / d)
        low_w0 = -np.maximum(1.0, np.log(d) - np.log(lam))
    has_wins = wins > 0
    lo = np.where(has_wins, np.minimum(0.0, free), low_w0)
    hi = np.where(has_wins, np.maximum(0.0, free), 0.0)
    no_data = d <= 0  # then wins == 0 too and the root is 0
    lo[no_data] = 0.0
    hi[no_data] = 0.0
    x = np.clip(x0, lo, hi)
    for _ in range(200):
        ex = np.exp(x)
        f = wins - d * ex - lam * x
        lo = np.where(f > 0, x, lo)
        hi = np.where(f < 0, x, hi)
        new = x + f / (d * ex + lam)
        new = np.where((new < lo) | (new > hi), (lo + hi) / 2, new)
        done = np.max(np.abs(new - x), initial=0.0) <= 1e-15 * (1 + np.max(np.abs(x), initial=0))
        x = new
        if done:
            break
    return x


class _PLObjective:
    """Penalised log-likelihood of the Plackett-Luce model for one weight vector."""

    def __init__(self, profile: Profile, weights: np.ndarray, alpha: float):
        self.st = st = _pl_structure(profile)
        self.m = profile.n_items
        self.w_slot = np.where(st["active"], weights[:, None], 0.0)
        self.w_active = self.w_slot[st["active"]]
        self.wins = np.bincount(st["active_item"], weights=self.w_active, minlength=self.m + 1)
        self.wins = self.wins[: self.m]
        self.total = float(weights.sum())
        self.alpha = alpha
        self.lam = 2.0 * alpha * self.total

    def _denominators(self, strength: np.ndarray) -> np.ndarray:
        """Total strength of each slot's choice set: unranked items + ranked suffix."""
        st = self.st
        ranked_strength = np.append(strength, 0.0)[st["item"]]
        suffix = np.cumsum(ranked_strength[:, ::-1], axis=1)[:, ::-1]
        rest = st["unranked"] @ strength
        return rest[:, None] + suffix.ravel()[st["start"]]

    def _membership_sums(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per item, the sum of ``c`` over the choice sets containing it; and the running sums.

        An unranked item is in every choice set of its ballot, a ranked item in those up to and
        including its own group's.
        """
        st, m = self.st, self.m
        through = np.cumsum(c, axis=1)
        per_resp = through[:, -1] if st["k"] else np.zeros(len(c))
        reach = through.ravel()[st["stop"]]
        sums = per_resp @ st["unranked"]
        sums += np.bincount(
            st["valid_item"], weights=reach.ravel()[st["valid_flat"]], minlength=m + 1
        )[:m]
        return sums, reach, per_resp

    def evaluate(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Objective, MM vector ``d`` and gradient at ``theta`` (objective -inf if overflow)."""
        st = self.st
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            strength = np.exp(theta)
            denom = self._denominators(strength)
            c = np.divide(self.w_slot, denom, out=np.zeros_like(self.w_slot), where=st["active"])
            d = self._membership_sums(c)[0]
            loglik = self.wins @ theta - self.w_active @ np.log(denom[st["active"]])
            value = loglik - self.alpha * self.total * (theta @ theta)
            grad = self.wins - strength * d - self.lam * theta
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return -np.inf, d, grad
        return float(value), d, grad

    def mm_step(self, theta: np.ndarray, d: np.ndarray) -> np.ndarray:
        """One MM update followed by the exact optimal shift (centring)."""
        new = _pl_m_step(self.wins, d, self.lam, theta)
        return new - new.mean()

    def neg_hessian(self, theta: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Minus the Hessian of the penalised log-likelihood at ``theta``.

        ``diag(strength * d + lam) - diag(strength) @ M @ diag(strength)``, where ``M[i, j]``
        is the sum of ``w / denom**2`` over the choice sets containing both i and j.
        """
        st, m = self.st, self.m
        strength = np.exp(theta)
        denom = self._denominators(strength)
        c2 = np.divide(
            self.w_slot, denom * denom, out=np.zeros_like(self.w_slot), where=st["active"]
        )
        _, reach, per_resp = self._membership_sums(c2)
        reach = np.where(st["valid"], reach, 0.0)
        n = len(reach)
        ranked_reach = np.zeros((n, m + 1))
        np.put_along_axis(ranked_reach, st["item"], reach, axis=1)
        # Item i is in every choice set of a ballot that leaves it unranked, otherwise in those
        # up to its own group, so the sets containing both i and j are: all (both unranked),
        # the ranked one's (one unranked), or those up to the earlier group (the smaller
        # running sum). Every term is non-negative: no cancellation, even for extreme items.
        unranked, unranked_t = st["unranked"], st["unranked_t"]
        cross = unranked_t @ ranked_reach[:, :m]
        both = unranked_t @ (unranked * per_resp[:, None]) + cross + cross.T
        k = int(st["k"])
        step = max(1, 4_000_000 // max(1, k * k))
        for lo in range(0, n, step):
            block = reach[lo : lo + step]
            it = st["item"][lo : lo + step]
            pairs = (it[:, :, None] * (m + 1) + it[:, None, :]).ravel()
            mins = np.minimum(block[:, :, None], block[:, None, :]).ravel()
            counts = np.bincount(pairs, weights=mins, minlength=(m + 1) ** 2)
            both += counts.reshape(m + 1, m + 1)[:m, :m]
        return np.diag(strength * d + self.lam) - strength[:, None] * both * strength

    def newton_step(self, theta: np.ndarray, d: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Newton direction ``(-Hessian)^-1 @ grad``, kept centred."""
        neg_hess = self.neg_hessian(theta, d)
        # the all-ones direction (a common shift) has eigenvalue lam; lifting it keeps the
        # solve well conditioned without changing the (centred) answer
        neg_hess += np.mean(np.diag(neg_hess)) / self.m
        return np.linalg.solve(neg_hess, grad - grad.mean())


def _pl_fit(
    profile: Profile, weights: np.ndarray, options: Options, theta0: np.ndarray | None = None
) -> np.ndarray:
    """Penalised maximum-likelihood Plackett-Luce log-strengths (centred).

    Hunter's MM iteration, accelerated by SQUAREM (Varadhan and Roland 2008: two MM steps are
    extrapolated; the extrapolation is kept only if it increases the objective). If that
    slows down (the penalty leaves almost flat directions when items always win or never get
    chosen), Newton steps finish the job. Stops when the gradient certifies that every
    score is within ``pl_tol`` of the optimum.
    """
    alpha = float(options.get("pl_alpha", 1e-6))
    if not alpha > 0:
        raise ValueError(f"pl_alpha must be positive, not {alpha!r}")
    tol = float(options.get("pl_tol", 1e-7))
    max_iter = int(options.get("pl_max_iter", 1000))
    m = profile.n_items
    w = np.asarray(weights, dtype=float)
    if w.sum() <= 0 or m == 0:
        return np.zeros(m)
    obj = _PLObjective(profile, w, alpha)
    # The penalty makes the objective lam-strongly concave, so |theta - optimum| <= |grad| / lam:
    # stopping at |grad| <= lam * tol certifies that every score is within tol of the optimum.
    limit = obj.lam * tol
    theta = np.zeros(m) if theta0 is None else np.asarray(theta0, dtype=float) - np.mean(theta0)
    value, d, grad = obj.evaluate(theta)
    if not np.isfinite(value):
        theta = np.zeros(m)
        value, d, grad = obj.evaluate(theta)
    slow = False  # set once an MM cycle fails to shrink the gradient fourfold
    for _ in range(max_iter):
        norm = np.linalg.norm(grad)
        if norm <= limit:
            break
        if slow and norm <= 1e-3 * obj.total:  # Newton, backtracking on the gradient's norm
            direction = obj.newton_step(theta, d, grad)
            size = 1.0
            for _ in range(20):
                trial = theta + size * direction
                trial -= trial.mean()
                v_t, d_t, g_t = obj.evaluate(trial)
                if np.isfinite(v_t) and np.linalg.norm(g_t) < norm:
                    break
                size /= 2
            else:
                trial = None
            if trial is not None:
                theta, value, d, grad = trial, v_t, d_t, g_t
                continue
            if norm <= 1e-9 * obj.total:  # Newton fails this close only on rounding noise
                break
        # far (or Newton made no progress): one SQUAREM cycle of MM steps
        t1 = obj.mm_step(theta, d)
        v1, d1, g1 = obj.evaluate(t1)
        t2 = obj.mm_step(t1, d1)
        best = (t2, *obj.evaluate(t2))
        if v1 > best[1]:
            best = (t1, v1, d1, g1)
        r = t1 - theta
        v = t2 - t1 - r
        norm_v = float(np.sqrt(v @ v))
        if norm_v > 0:
            step = max(1.0, float(np.sqrt(r @ r)) / norm_v)
            t3 = theta + 2 * step * r + step * step * v
            if np.max(np.abs(t3)) < 500:
                t3 -= t3.mean()
                v3, d3, g3 = obj.evaluate(t3)
                if v3 >= best[1]:
                    best = (t3, v3, d3, g3)
        moved = np.max(np.abs(best[0] - theta))
        theta, value, d, grad = best
        slow = slow or np.linalg.norm(grad) > norm / 4
        if moved <= 1e-15 * (1.0 + np.max(np.abs(theta))):  # floating-point resolution
            break
    return theta


def _plackett_luce_batch(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    weights = _as_matrix(weights)
    start = _pl_fit(profile, weights.mean(axis=0), options)
    return np.vstack([_pl_fit(profile, w, options, theta0=start) for w in weights])


@register(
    "ranking",
    "plackett-luce",
    prepare=prepare_ranking,
    summary="Plackett-Luce model by penalised maximum likelihood: centred log-strengths "
    "(a difference of 1 means e = 2.7 times the odds of being preferred).",
    score_batch=_plackett_luce_batch,
)
def plackett_luce(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Centred Plackett-Luce log-strengths (MM algorithm, ridge penalty ``pl_alpha``).

    Parameters
    ----------
    profile : Profile
        From :func:`prepare_ranking`.
    weights : ndarray
        Non-negative respondent weights, shape ``(n_respondents,)``.
    options : Mapping
        ``pl_alpha`` (penalty per unit weight, default 1e-6), ``pl_tol`` (default 1e-7),
        ``pl_max_iter`` (default 1000).

    Returns
    -------
    ndarray
        One log-strength per item, averaging zero (higher is better).

    Examples
    --------
    Two items, a preferred by 2 of 3 respondents: the strengths' ratio is 2, so the
    log-strengths are +-log(2)/2 (up to the tiny shrinkage of the penalty):

    >>> import pandas as pd
    >>> ballots = {"r1": "ab", "r2": "ab", "r3": "ba"}
    >>> frame = pd.DataFrame([{"respondent": r, "group": "all", "item": x, "rank": k + 1.0}
    ...                       for r, order in ballots.items() for k, x in enumerate(order)])
    >>> scores = plackett_luce(prepare_ranking(frame, {}), np.ones(3), {})
    >>> np.round(scores, 4).tolist(), round(float(np.log(2)) / 2, 4)
    ([0.3466, -0.3466], 0.3466)
    """
    return _pl_fit(profile, np.asarray(weights, dtype=float), options)
