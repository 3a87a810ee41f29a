"""Rating methods: ``mean``, ``median`` and ``top-box`` scores from rating-scale answers.

What the methods do, in plain language
--------------------------------------
Each respondent rates each item on a numeric scale (for example 1 = not important to
5 = very important). Higher numbers mean "more important". A respondent who skipped an item,
or answered "don't know", simply has no answer for it; every score below is computed from the
answers that exist, item by item, so a skipped answer neither helps nor hurts an item.

``mean``
    The average rating of the item. With weights (for example when every stakeholder group is
    given an equal voice) it is the weighted average: each answer counts in proportion to its
    respondent's weight.
``median``
    The middle rating: half of the (weighted) answers are at or below it, half at or above it.
    It is not pulled by a few extreme answers. Convention: the answers are sorted and their
    weights added up from the lowest rating; the median is the first rating at which the running
    total reaches half of the item's total weight. If the running total lands *exactly* on one
    half, the median is the average of that rating and the next higher rating given to the item
    by a respondent with positive weight (with every weight equal to 1 this is the ordinary
    textbook median, e.g. the median of 1, 2, 3, 4 is 2.5). "Exactly" allows for rounding
    error of one part in 10^12 of the total weight.
``top-box``
    The share of the item's answers that fall in the top two points of the scale, e.g. 4 or 5
    on a 1-5 scale (answers of at least N - 1 on a scale whose top is N). The top N is the
    option ``scale_max`` (``--scale-max`` on the command line) or, if not given, the largest
    rating anyone gave to any item of the question. The score is a proportion between 0 and 1.
    Its uncertainty is reported with the Wilson score interval, which, unlike the textbook
    "plus or minus 1.96 standard errors", stays inside 0-1 and behaves well for small
    panels and shares near 0 or 1. With weights, the interval uses the weighted share and the
    *effective* number of respondents who answered the item (Kish's formula
    (sum of weights)^2 / (sum of squared weights)): unequal weights carry less information than
    the same number of equally weighted answers, so the interval widens accordingly.

Weights and bootstrap replicates
--------------------------------
Weights are non-negative and only their ratios matter (multiplying every weight by the same
number changes nothing). A weight of zero is the same as leaving the respondent out; a weight of
2 is the same as counting the respondent twice. Inside a bootstrap replicate it can happen that
every respondent who answered an item has weight zero. The item then has no information, and by
convention it gets the lowest possible score, so that it ranks last in that replicate: the bottom
of the scale for ``mean`` and ``median`` (the option ``scale_min``, default the smallest rating
anyone gave to any item) and 0 for ``top-box``.

Options
-------
``scale_max`` : float, optional
    Top of the rating scale for ``top-box`` (default: the largest value observed).
``scale_min`` : float, optional
    Bottom of the scale, the score of an item whose answers all have zero weight (``mean`` and
    ``median``; default: the smallest value observed).

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> from analysis.registry import get_method
>>> frame = pd.DataFrame({
...     "respondent": ["r1", "r1", "r2", "r2", "r3"],
...     "group": "all",
...     "item": ["a", "b", "a", "b", "a"],
...     "value": [5.0, 2.0, 4.0, 3.0, 1.0],
... })
>>> method = get_method("rating", "mean")
>>> profile = method.prepare(frame, {})
>>> method.scores(profile, np.ones(3), {}).tolist()
[3.3333333333333335, 2.5]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse, stats

from analysis.registry import Options, Profile, register

__all__ = [
    "prepare_rating",
    "rating_mean",
    "rating_median",
    "top_box",
    "top_box_interval",
]

# Relative tolerance (of an item's total weight) under which a running total counts as
# exactly one half in the weighted median.
_HALF_TOL = 1e-12
# Upper bound on the number of floats held at once in a (replicates x pairs) count array.
_CHUNK_FLOATS = 4_000_000


def prepare_rating(frame: pd.DataFrame, options: Options) -> Profile:
    """Aggregate a validated long rating frame into a :class:`~analysis.registry.Profile`.

    Items and respondents are sorted in Python's default string order. The profile's
    ``matrix`` holds each respondent's rating of each item (NaN where there is no answer;
    higher is better). ``data`` holds a sparse respondent x (item, distinct value) indicator
    matrix, so that every score is a function of weighted counts computed by one sparse matrix
    product.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``respondent``, ``group``, ``item``, ``value`` (at most one row per respondent
        and item). Rows whose value is NaN are treated as missing answers.
    options : Mapping
        Unused here (the options are read when scoring).

    Returns
    -------
    Profile

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"respondent": ["r1", "r1", "r2"], "group": "all",
    ...                       "item": ["b", "a", "a"], "value": [2.0, 5.0, 4.0]})
    >>> profile = prepare_rating(frame, {})
    >>> profile.items
    ['a', 'b']
    >>> profile.matrix
    array([[ 5.,  2.],
           [ 4., nan]])
    """
    items, item_code = _sorted_codes(frame["item"])
    respondents, resp_code = _sorted_codes(frame["respondent"])
    values = frame["value"].to_numpy(dtype=float)
    n, m = len(respondents), len(items)

    group_code, group_labels = pd.factorize(frame["group"].astype(str))
    per_respondent = np.zeros(n, dtype=np.intp)
    per_respondent[resp_code] = group_code
    groups = np.array([str(x) for x in group_labels], dtype=object)[per_respondent]

    matrix = np.full((n, m), np.nan)
    matrix[resp_code, item_code] = values

    ok = ~np.isnan(values)
    r_ok, i_ok, v_ok = resp_code[ok], item_code[ok], values[ok]
    # distinct (item, value) pairs, sorted by item then value
    pairs = pd.MultiIndex.from_arrays([i_ok, v_ok])
    pair_code, uniq = pd.factorize(pairs, sort=True)
    pair_item = np.asarray(uniq.get_level_values(0), dtype=np.intp)
    pair_value = np.asarray(uniq.get_level_values(1), dtype=float)
    k = len(pair_value)
    indicator = sparse.csr_array(
        (np.ones(len(r_ok)), (r_ok, np.asarray(pair_code, dtype=np.intp))), shape=(n, k)
    )
    membership = sparse.csr_array((np.ones(k), (np.arange(k), pair_item)), shape=(k, m))
    observed_max = float(v_ok.max()) if len(v_ok) else 0.0
    observed_min = float(v_ok.min()) if len(v_ok) else 0.0
    return Profile(
        kind="rating",
        items=items,
        respondents=np.array(respondents, dtype=object),
        groups=groups,
        matrix=matrix,
        matrix_higher_is_better=True,
        data={
            "indicator_t": indicator.T.tocsr(),  # (pairs x respondents)
            "membership": membership,  # (pairs x items)
            "pair_item": pair_item,
            "pair_value": pair_value,
            "observed_max": observed_max,
            "observed_min": observed_min,
        },
    )


def _sorted_codes(column: pd.Series) -> tuple[list[str], np.ndarray]:
    """Distinct labels in Python's string order, and each entry's index among them."""
    codes, uniques = pd.factorize(column.astype(str))
    labels = [str(x) for x in uniques]
    order = sorted(range(len(labels)), key=labels.__getitem__)
    remap = np.empty(len(labels), dtype=np.intp)
    remap[order] = np.arange(len(labels))
    return [labels[i] for i in order], remap[codes]


def _weighted_counts(profile: Profile, weights: np.ndarray) -> np.ndarray:
    """Weighted number of answers per (item, value) pair: ``(B, n_pairs)`` for ``(B, n)``."""
    ind_t = profile.data["indicator_t"]
    return np.asarray(ind_t @ np.asarray(weights, dtype=float).T).T


def _chunks(profile: Profile, weights: np.ndarray):
    """Yield ``(slice, counts)`` over replicate chunks, bounding memory."""
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    n_pairs = max(1, len(profile.data["pair_value"]))
    step = max(1, _CHUNK_FLOATS // n_pairs)
    for start in range(0, weights.shape[0], step):
        block = weights[start : start + step]
        yield slice(start, start + len(block)), _weighted_counts(profile, block)


def _scale_min(profile: Profile, options: Options) -> float:
    value = options.get("scale_min")
    return profile.data["observed_min"] if value is None else float(value)


def _scale_max(profile: Profile, options: Options) -> float:
    value = options.get("scale_max")
    return profile.data["observed_max"] if value is None else float(value)


def _mean_batch(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    out = np.empty((weights.shape[0], profile.n_items))
    member = profile.data["membership"]
    values = profile.data["pair_value"]
    low = _scale_min(profile, options)
    for rows, counts in _chunks(profile, weights):
        total = np.asarray(counts @ member)
        num = np.asarray((counts * values) @ member)
        safe = np.where(total > 0, total, 1.0)
        out[rows] = np.where(total > 0, num / safe, low)
    return out


def _median_batch(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    out = np.empty((weights.shape[0], profile.n_items))
    pair_item = profile.data["pair_item"]
    values = profile.data["pair_value"]
    low = _scale_min(profile, options)
    starts = np.searchsorted(pair_item, np.arange(profile.n_items), side="left")
    ends = np.searchsorted(pair_item, np.arange(profile.n_items), side="right")
    for rows, counts in _chunks(profile, weights):
        for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
            if s == e:
                out[rows, i] = low
                continue
            cum = np.cumsum(counts[:, s:e], axis=1)
            total = cum[:, -1]
            half = total / 2
            eps = _HALF_TOL * total
            last = e - s - 1
            # lower: first value whose running total reaches half; upper: first value whose
            # running total exceeds half (the next value with positive weight)
            lower = np.minimum((cum < (half - eps)[:, None]).sum(axis=1), last)
            upper = np.minimum((cum <= (half + eps)[:, None]).sum(axis=1), last)
            v = values[s:e]
            at = np.take_along_axis(cum, lower[:, None], axis=1)[:, 0]
            exact = np.abs(at - half) <= eps
            med = np.where(exact, (v[lower] + v[upper]) / 2, v[lower])
            out[rows, i] = np.where(total > 0, med, low)
    return out


def _top_box_parts(profile: Profile, weights: np.ndarray, options: Options):
    """Weighted top-two-box count and weighted answer count per item, ``(B, n_items)`` each."""
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    member = profile.data["membership"]
    top = (profile.data["pair_value"] >= _scale_max(profile, options) - 1).astype(float)
    hits = np.empty((weights.shape[0], profile.n_items))
    total = np.empty_like(hits)
    for rows, counts in _chunks(profile, weights):
        total[rows] = np.asarray(counts @ member)
        hits[rows] = np.asarray((counts * top) @ member)
    return hits, total


def _top_box_batch(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    hits, total = _top_box_parts(profile, weights, options)
    return np.where(total > 0, hits / np.where(total > 0, total, 1.0), 0.0)


def top_box_interval(
    profile: Profile, weights: np.ndarray, options: Options, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for each item's top-box share.

    With weights, the share is the weighted share and the sample size is Kish's effective
    number of the respondents who answered the item, ``(sum w)**2 / sum w**2``. An item whose
    answers all have zero weight gets the uninformative interval (0, 1).

    Parameters
    ----------
    profile : Profile
        From :func:`prepare_rating`.
    weights : ndarray
        Respondent weights, shape ``(n_respondents,)``.
    options : Mapping
        ``scale_max`` as for ``top-box``.
    confidence : float
        Confidence level, e.g. 0.95.

    Returns
    -------
    low, high : ndarray
        Interval bounds per item, within [0, 1].

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"respondent": [f"r{i}" for i in range(10)], "group": "all",
    ...                       "item": "a", "value": [5.0] * 8 + [1.0] * 2})
    >>> low, high = top_box_interval(prepare_rating(frame, {}), np.ones(10), {}, 0.95)
    >>> print(f"{low[0]:.4f} {high[0]:.4f}")
    0.4902 0.9433
    """
    w = np.asarray(weights, dtype=float)
    hits, total = (a[0] for a in _top_box_parts(profile, w, options))
    sum_sq = _top_box_parts(profile, w * w, options)[1][0]
    n_eff = np.where(sum_sq > 0, total**2 / np.where(sum_sq > 0, sum_sq, 1.0), 0.0)
    p = np.where(total > 0, hits / np.where(total > 0, total, 1.0), 0.0)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    safe_n = np.where(n_eff > 0, n_eff, 1.0)
    denom = 1 + z**2 / safe_n
    centre = (p + z**2 / (2 * safe_n)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / safe_n + z**2 / (4 * safe_n**2))
    low = np.where(n_eff > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where(n_eff > 0, np.clip(centre + half, 0.0, 1.0), 1.0)
    return low, high


@register(
    "rating",
    "mean",
    prepare=prepare_rating,
    summary="Average rating of each item over the respondents who rated it (weighted average "
    "when respondents are weighted).",
    score_batch=_mean_batch,
)
def rating_mean(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Weighted mean rating per item, skipping missing answers.

    Parameters
    ----------
    profile : Profile
        From :func:`prepare_rating`.
    weights : ndarray
        Non-negative respondent weights, shape ``(n_respondents,)``.
    options : Mapping
        ``scale_min``: score of an item whose answers all have zero weight.

    Returns
    -------
    ndarray
        One score per item.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"respondent": ["r1", "r2", "r1"], "group": "all",
    ...                       "item": ["a", "a", "b"], "value": [5.0, 2.0, 3.0]})
    >>> rating_mean(prepare_rating(frame, {}), np.array([2.0, 1.0]), {}).tolist()
    [4.0, 3.0]
    """
    return _mean_batch(profile, np.asarray(weights, dtype=float)[None, :], options)[0]


@register(
    "rating",
    "median",
    prepare=prepare_rating,
    summary="Weighted median rating of each item: the rating at which the running total of "
    "weight reaches one half (midpoint of two ratings at an exact half).",
    score_batch=_median_batch,
)
def rating_median(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Weighted median rating per item, skipping missing answers.

    The smallest rating whose cumulative weight reaches half the item's total weight; when the
    cumulative weight equals exactly one half, the average of that rating and the next higher
    one with positive weight. With equal weights this is the usual median.

    Parameters
    ----------
    profile : Profile
        From :func:`prepare_rating`.
    weights : ndarray
        Non-negative respondent weights, shape ``(n_respondents,)``.
    options : Mapping
        ``scale_min``: score of an item whose answers all have zero weight.

    Returns
    -------
    ndarray
        One score per item.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"respondent": ["r1", "r2", "r3", "r4"], "group": "all",
    ...                       "item": "a", "value": [1.0, 2.0, 3.0, 4.0]})
    >>> profile = prepare_rating(frame, {})
    >>> rating_median(profile, np.ones(4), {}).tolist()
    [2.5]
    >>> rating_median(profile, np.array([1.0, 1.0, 3.0, 1.0]), {}).tolist()
    [3.0]
    """
    return _median_batch(profile, np.asarray(weights, dtype=float)[None, :], options)[0]


@register(
    "rating",
    "top-box",
    prepare=prepare_rating,
    summary="Share of each item's answers in the top two points of the 1..N scale (e.g. 4 or 5 "
    "of 5), with Wilson score intervals.",
    score_batch=_top_box_batch,
    interval=top_box_interval,
)
def top_box(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Weighted share of answers of at least ``scale_max - 1`` per item.

    Parameters
    ----------
    profile : Profile
        From :func:`prepare_rating`.
    weights : ndarray
        Non-negative respondent weights, shape ``(n_respondents,)``.
    options : Mapping
        ``scale_max``: top N of the scale (default: the largest value observed).

    Returns
    -------
    ndarray
        One share in [0, 1] per item.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"respondent": ["r1", "r2", "r3", "r1"], "group": "all",
    ...                       "item": ["a", "a", "a", "b"], "value": [5.0, 4.0, 2.0, 3.0]})
    >>> profile = prepare_rating(frame, {})
    >>> top_box(profile, np.ones(3), {}).tolist()
    [0.6666666666666666, 0.0]
    >>> top_box(profile, np.ones(3), {"scale_max": 7}).tolist()
    [0.0, 0.0]
    """
    return _top_box_batch(profile, np.asarray(weights, dtype=float)[None, :], options)[0]
