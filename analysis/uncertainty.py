"""Bootstrap uncertainty: how sure are we of each score and each rank?

The respondents are resampled with replacement *within each stakeholder group* (group sizes stay
fixed), the method is re-run on every replicate, and the spread of the replicate results gives
the intervals.  Nothing is assumed about the shape of the distribution.

Conventions (pinned, and tested)
--------------------------------
* **Random numbers.**  ``numpy.random.default_rng(seed)``; the same data, method, weights and
  seed give the same intervals to the last digit, whatever the chunk size.  Replicate ``b`` draws
  ``n`` uniform numbers ``u`` (``rng.random``; replicates one after the other); respondent slot
  ``j`` of a group with ``n_g`` members takes member ``floor(u_j * n_g)`` (members in profile order,
  groups in sorted order).  Groups whose respondents all weigh 0 are not resampled.
* **Replicate weights.**  A replicate is a weight vector: the respondent's base weight times the
  number of times they were drawn.  Methods score it like any other weight vector, in chunks
  through ``Method.scores_batch`` so memory stays bounded.
* **Score intervals.**  Percentile intervals: the ``(1 - confidence) / 2`` and
  ``(1 + confidence) / 2`` quantiles of the replicate scores, with numpy's default ``linear``
  quantile (interpolation between order statistics; R's type 7).  The levels are rounded to 12
  decimals, so ``confidence=0.9`` means exactly the 5 % and 95 % quantiles.
* **Rank intervals.**  Ranks are computed in every replicate with
  :func:`analysis.ranks.competition_rank` (ties share the smallest rank); the interval is the
  same percentile interval rounded *outward* to whole ranks (numpy ``method="lower"`` for the low
  end, ``"higher"`` for the high end), so it never claims more precision than the replicates have.
* **Top-k probability.**  The share of replicates in which the item's rank is ``<= k``.
* The point estimate is always the method on the original data, never the bootstrap mean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.ranks import competition_rank
from analysis.registry import Method, Profile

__all__ = ["BootstrapResult", "Progress", "bootstrap", "percentile_interval", "replicate_weights"]

#: Upper bound on the bytes of one chunk of replicate weights (float64).
CHUNK_BYTES = 32 * 2**20
#: Upper bound on the replicates in one chunk.
MAX_CHUNK = 250
#: ``progress(done, total)``: replicates done so far, and in all.
Progress = Callable[[int, int], None]


@dataclass
class BootstrapResult:
    """Replicate scores and ranks with their summaries (arrays in ``profile.items`` order).

    Attributes
    ----------
    scores, ranks : ndarray
        ``(replicates, n_items)`` replicate scores and competition ranks.
    ci_low, ci_high : ndarray
        Percentile interval of the scores.
    rank_ci_low, rank_ci_high : ndarray
        Percentile interval of the ranks, rounded outward to whole ranks.
    p_top_k : ndarray
        Share of replicates with rank ``<= top_k``.
    confidence : float
    top_k : int
    """

    scores: np.ndarray
    ranks: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    rank_ci_low: np.ndarray
    rank_ci_high: np.ndarray
    p_top_k: np.ndarray
    confidence: float
    top_k: int

    @property
    def replicates(self) -> int:
        return int(self.scores.shape[0])


def _levels(confidence: float) -> list[float]:
    """Quantile levels, rounded to 12 decimals so that 0.9 means exactly 0.05 and 0.95."""
    return [round((1 - confidence) / 2, 12), round((1 + confidence) / 2, 12)]


def percentile_interval(
    values: np.ndarray, confidence: float = 0.95, axis: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed percentile interval with numpy's default (linear, R type 7) quantile.

    Examples
    --------
    >>> percentile_interval(np.arange(1.0, 102.0), 0.9)
    (np.float64(6.0), np.float64(96.0))
    """
    low, high = np.quantile(values, _levels(confidence), axis=axis)
    return low, high


def _rank_interval(ranks: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    lo_level, hi_level = _levels(confidence)
    low = np.quantile(ranks, lo_level, axis=0, method="lower")
    high = np.quantile(ranks, hi_level, axis=0, method="higher")
    return low.astype(int), high.astype(int)


def _chunk_size(n_respondents: int) -> int:
    return int(max(1, min(MAX_CHUNK, CHUNK_BYTES // (8 * 3 * max(1, n_respondents)))))


def replicate_weights(
    groups: np.ndarray,
    weights: np.ndarray,
    replicates: int,
    rng: np.random.Generator,
    chunk: int | None = None,
) -> Iterator[np.ndarray]:
    """Yield ``(b, n_respondents)`` chunks of stratified bootstrap weight vectors.

    Each row is ``weights * counts`` where ``counts`` are how often each respondent was drawn
    when resampling every group with replacement at its own size.

    Examples
    --------
    >>> groups = np.array(["a", "a", "b"], dtype=object)
    >>> chunks = replicate_weights(groups, np.ones(3), 4, np.random.default_rng(1), chunk=3)
    >>> w = np.vstack(list(chunks))
    >>> w.shape, w[:, :2].sum(axis=1).tolist(), w[:, 2].tolist()
    ((4, 3), [2.0, 2.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0])
    """
    groups = np.asarray(groups, dtype=object)
    weights = np.asarray(weights, dtype=float)
    n = len(groups)
    labels, codes = np.unique(groups, return_inverse=True)
    active_group = np.bincount(codes, weights=weights > 0, minlength=len(labels)) > 0
    members = np.flatnonzero(active_group[codes])
    members = members[np.argsort(codes[members], kind="stable")]  # grouped, profile order inside
    member_codes = codes[members]
    sizes = np.bincount(member_codes, minlength=len(labels))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    slot_size = sizes[member_codes]
    slot_start = starts[member_codes]
    identity = members.size == n and bool(np.all(members == np.arange(n)))
    m = len(members)
    chunk = chunk or _chunk_size(n)
    done = 0
    while done < replicates:
        b = min(chunk, replicates - done)
        u = rng.random((b, m))
        u *= slot_size
        drawn = u.astype(np.int64)  # floor, as u >= 0
        np.minimum(drawn, slot_size - 1, out=drawn)  # guard; floor(u * n_g) < n_g anyway
        drawn += slot_start  # position in `members`
        picks = drawn if identity else members[drawn]
        picks += (np.arange(b, dtype=np.int64) * n)[:, None]
        counts = np.bincount(picks.ravel(), minlength=b * n).reshape(b, n)
        yield counts * weights
        done += b


def bootstrap(
    method: Method,
    profile: Profile,
    weights: np.ndarray,
    options: Mapping[str, Any] | None = None,
    *,
    replicates: int = 1000,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    confidence: float = 0.95,
    top_k: int = 3,
    chunk: int | None = None,
    progress: Progress | None = None,
) -> BootstrapResult:
    """Stratified bootstrap of a method's scores and ranks.

    Parameters
    ----------
    method : Method
        From :func:`analysis.registry.get_method`.
    profile : Profile
        The prepared data (``method.prepare``).
    weights : ndarray
        Base weight per respondent (:func:`analysis.weights.compute_weights`).
    options : mapping, optional
        Method options.
    replicates : int
        Number of bootstrap replicates.
    seed : int, SeedSequence or Generator, optional
        Passed to ``numpy.random.default_rng``; fix it for reproducible intervals.
    confidence : float
        Interval coverage, e.g. 0.95.
    top_k : int
        ``p_top_k`` is the share of replicates with rank ``<= top_k``.
    chunk : int, optional
        Replicates scored per call (memory bound); does not change the result.
    progress : callable, optional
        ``progress(done, total)`` is called with ``(0, replicates)`` first, then after every
        chunk with the replicates done so far, ending with ``(replicates, replicates)``.  The
        chunks are the same with or without it (at most ``MAX_CHUNK`` replicates, fewer for
        many respondents), and so is the result: methods that fit a model warm-start each
        chunk from the chunk's mean, so other chunks would change the last digits.

    Returns
    -------
    BootstrapResult

    Examples
    --------
    A toy method whose score is the weighted mean of a value matrix:

    >>> from analysis.registry import Method, Profile
    >>> profile = Profile("rating", ["A", "B"], np.array(["r1", "r2", "r3"], dtype=object),
    ...                   np.array(["all"] * 3, dtype=object),
    ...                   matrix=np.array([[5.0, 1.0], [4.0, 2.0], [5.0, 3.0]]))
    >>> mean = Method("rating", "toy-mean", lambda f, o: profile,
    ...               lambda p, w, o: w @ p.matrix / w.sum(), "weighted mean")
    >>> result = bootstrap(mean, profile, np.ones(3), replicates=200, seed=7, top_k=1)
    >>> result.p_top_k.tolist(), result.rank_ci_low.tolist(), result.rank_ci_high.tolist()
    ([1.0, 0.0], [1, 2], [1, 2])
    """
    if replicates < 1:
        raise ValueError("replicates must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    options = options or {}
    rng = np.random.default_rng(seed)
    if progress is not None:
        progress(0, replicates)
    scores = np.empty((replicates, profile.n_items))
    ranks = np.empty((replicates, profile.n_items), dtype=np.int64)
    done = 0
    for w in replicate_weights(profile.groups, weights, replicates, rng, chunk):
        block = method.scores_batch(profile, w, options)
        if block.shape != (w.shape[0], profile.n_items) or not np.all(np.isfinite(block)):
            raise ArithmeticError(f"{method.kind}/{method.name} produced non-finite scores")
        scores[done : done + w.shape[0]] = block
        ranks[done : done + w.shape[0]] = competition_rank(block, method.higher_is_better)
        done += w.shape[0]
        if progress is not None:
            progress(done, replicates)
    ci_low, ci_high = percentile_interval(scores, confidence)
    rank_low, rank_high = _rank_interval(ranks, confidence)
    p_top = (ranks <= top_k).mean(axis=0)
    return BootstrapResult(
        scores, ranks, ci_low, ci_high, rank_low, rank_high, p_top, confidence, top_k
    )
