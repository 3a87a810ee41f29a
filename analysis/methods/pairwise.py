"""Pairwise-comparison methods: Bradley-Terry, Copeland and the wiki-survey score.

Plain-language guide (for analysts; reused in ``analysis/README.md``)
--------------------------------------------------------------------
In a pairwise question each respondent is shown two items at a time and picks the one that
matters more.  Every answer is one *comparison*: a winner and a loser.  Each respondent's
comparisons count with that respondent's weight (1 for everybody under ``respondent``
weighting; more or less under group weighting), so "wins" below are always *weighted* wins.

``bradley-terry``
    Assumes every item has a hidden strength and that item *i* beats item *j* with probability
    ``exp(s_i) / (exp(s_i) + exp(s_j))``.  The strengths that make the observed wins most likely
    are the scores (maximum likelihood).  Scores are on a log scale centred on zero: 0 is an
    average item, and a difference of 1 between two items means the first is expected to win
    about 73 % of their duels (a difference of 2: 88 %).
    *Items that never lose or never win.*  Pure maximum likelihood would push such an item to
    plus or minus infinity.  We add a very small pull of every strength towards zero (a "ridge"
    penalty, the same as ``choix``'s ``alpha``): the penalty is ``alpha`` times the mean squared
    strength, counted once per (weighted) comparison, with ``alpha = 0.001`` by default.  Because
    it grows with the amount of data it hardly affects well-observed items (strengths shrink
    towards zero by about 1 %), yet an item that won every duel gets a large but finite
    strength (typically around +5).  Since the penalty is proportional to the data,
    duplicating every respondent or multiplying all weights by a constant changes nothing.
    *Items that were never compared with each other, even indirectly* (a disconnected comparison
    graph) still get finite scores: the penalty centres each separate cluster of items on zero,
    so items in different clusters are only "comparable" in the sense that each cluster's average
    is set to 0.  Treat rankings across such clusters with caution.
``copeland``
    A round-robin tournament.  For every pair of items, the one that won more (weighted) duels
    against the other "beats" it.  The score is the number of other items an item beats.  A pair
    whose duels are split exactly evenly, and a pair never shown together, is a tie, and a tie
    counts 0 for both items by default (option ``tie_value``: 0.5 gives Copeland's original
    half point).  Weighted win totals that differ by less than one part in 10^12 are ties.
``wiki-survey``
    The score shown by All Our Ideas (Salganik & Levy 2015, "Wiki surveys: Open and quantifiable
    social data collection", PLOS ONE 10(5): e0123483): the estimated chance, in percent (0-100),
    that the item would beat another item picked at random.  For each other item *j* we estimate
    the chance that *i* beats *j* as ``(wins of i over j + 1) / (duels between i and j + 2)``
    (one imaginary win and one imaginary loss, as in the All Our Ideas application's own score,
    ``(wins + 1) / (wins + losses + 2)``, ``compute_score`` in allourideas/pairwise-api), and
    average over all other items *j*, each counted once.  A pair never compared therefore
    contributes 50 %.  Averaging per opponent, rather than pooling all duels as the application
    does, keeps the score fair when some pairs were shown more often than others.  The imaginary
    duels are in weight units (one unit = one unweighted respondent's comparison), so their
    influence fades as data accumulate: unlike the other methods here, duplicating every
    respondent weakens the smoothing and so changes the wiki-survey scores slightly (option
    ``prior``, default 1, sets the number of imaginary wins and of imaginary losses per pair;
    0 gives plain win shares, with 50 % for pairs never compared).

Options
-------
``alpha`` : float > 0, default 0.001
    Bradley-Terry ridge strength per comparison (see above).
``tie_value`` : float, default 0.0
    Copeland credit for a tied or unobserved pair.
``prior`` : float >= 0, default 1.0
    Wiki-survey imaginary wins (and losses) added to every pair.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit

from analysis.registry import Options, Profile, register

__all__ = ["factorize_sorted", "fit_bradley_terry", "prepare_pairwise", "respondent_codes"]

DEFAULT_ALPHA = 1e-3
_BATCH_CELLS = 2_000_000  # (replicates x items x items) floats per block in batched fits


def factorize_sorted(values: object) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and the distinct labels in Python's default string order.

    Hashes an object array (much faster than pandas' ``str`` dtype), then sorts only the
    distinct labels.  Shared by the pairwise, best-worst, AHP and points modules.

    Examples
    --------
    >>> factorize_sorted(pd.Series(["b", "İ", "a", "b"]))
    (array([1, 2, 0, 1]), array(['a', 'b', 'İ'], dtype=object))
    """
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    labels = np.asarray(uniques, dtype=object)
    order = np.array(sorted(range(len(labels)), key=labels.__getitem__), dtype=np.int64)
    remap = np.empty(len(labels), dtype=np.int64)
    remap[order] = np.arange(len(labels))
    return remap[codes], labels[order]


def respondent_codes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Respondent code per row, sorted respondent ids and each respondent's group label."""
    codes, respondents = factorize_sorted(frame["respondent"])
    groups = np.empty(len(respondents), dtype=object)
    groups[codes] = frame["group"].to_numpy(dtype=object)
    return codes, respondents, groups


def prepare_pairwise(frame: pd.DataFrame, options: Options) -> Profile:
    """Aggregate pairwise comparisons into a per-respondent sparse win-count matrix.

    ``profile.data["counts"]`` is a ``(n_respondents, n_items**2)`` CSR matrix whose entry
    ``(r, i * n_items + j)`` is how often respondent ``r`` preferred item ``i`` to item ``j``.

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": ["r1", "r1", "r2"], "group": "all",
    ...                       "winner": ["a", "b", "a"], "loser": ["b", "c", "c"]})
    >>> profile = prepare_pairwise(frame, {})
    >>> profile.items
    ['a', 'b', 'c']
    >>> profile.data["counts"].toarray().astype(int)
    array([[0, 1, 0, 0, 0, 1, 0, 0, 0],
           [0, 0, 1, 0, 0, 0, 0, 0, 0]])
    """
    resp, respondents, groups = respondent_codes(frame)
    m = len(frame)
    both = np.concatenate(
        [frame["winner"].to_numpy(dtype=object), frame["loser"].to_numpy(dtype=object)]
    )
    codes, labels = factorize_sorted(both)
    items = labels.tolist()
    n = len(items)
    pair = codes[:m] * n + codes[m:]
    counts = sp.csr_matrix(
        (np.ones(len(pair)), (resp, pair)), shape=(len(respondents), n * n), dtype=float
    )
    counts.sum_duplicates()
    return Profile(
        kind="pairwise",
        items=items,
        respondents=respondents,
        groups=groups,
        data={"counts": counts},
    )


def _count_matrices(profile: Profile, weights: np.ndarray) -> np.ndarray:
    """Weighted win-count matrices ``C[b, i, j]`` for a ``(B, n_respondents)`` weight matrix."""
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    n = profile.n_items
    flat = np.asarray(profile.data["counts"].T @ w.T).T  # one sparse x dense product
    return flat.reshape(w.shape[0], n, n)


def _bt_objective(theta: np.ndarray, c: np.ndarray, lam: float) -> np.ndarray:
    diff = theta[:, :, None] - theta[:, None, :]
    return (c * np.logaddexp(0.0, -diff)).sum(axis=(1, 2)) + lam * (theta**2).sum(axis=1)


def fit_bradley_terry(counts: np.ndarray, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """Penalised maximum-likelihood Bradley-Terry log-strengths, centred on zero.

    Minimises ``-sum_ij C_ij log sigmoid(t_i - t_j) / N + (alpha / n) * sum_i t_i**2`` where
    ``N`` is the total (weighted) number of comparisons: the same optimum as
    ``choix.opt_pairwise(..., alpha=alpha * N / n)``.  Damped Newton iterations, vectorised over
    a stack of count matrices.

    Parameters
    ----------
    counts : ndarray
        ``(n, n)`` or ``(B, n, n)`` weighted win counts, ``counts[..., i, j]`` = wins of ``i``
        over ``j``.
    alpha : float
        Ridge strength per comparison (> 0).

    Returns
    -------
    ndarray
        Log-strengths, shape ``(n,)`` or ``(B, n)``, each row summing to zero.

    Examples
    --------
    >>> fit_bradley_terry(np.array([[0.0, 3.0], [1.0, 0.0]]), alpha=1e-9).round(4)
    array([ 0.5493, -0.5493])
    """
    if not alpha > 0:
        raise ValueError(f"alpha must be positive, got {alpha!r}")
    c = np.asarray(counts, dtype=float)
    single = c.ndim == 2
    if single:
        c = c[None]
    b, n, _ = c.shape
    total = c.sum(axis=(1, 2))
    c = c / np.where(total > 0, total, 1.0)[:, None, None]
    lam = alpha / n
    both = c + c.transpose(0, 2, 1)
    wins = c.sum(axis=2)
    theta = np.zeros((b, n))
    active = np.ones(b, dtype=bool)
    diag = np.arange(n)
    for _ in range(200):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        t = theta[idx]
        p = expit(t[:, :, None] - t[:, None, :])
        grad = (both[idx] * p).sum(axis=2) - wins[idx] + 2 * lam * t
        curv = both[idx] * p * (1.0 - p)
        hess = -curv
        hess[:, diag, diag] += curv.sum(axis=2) + 2 * lam
        step = np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
        decrement = (grad * step).sum(axis=1)
        # Backtracking (Armijo) only while far from the optimum; near it, full Newton steps.
        size = np.ones(idx.size)
        far = decrement > 1e-10
        if far.any():
            f0 = _bt_objective(t[far], c[idx[far]], lam)
            sub = size[far]
            for _halving in range(60):
                f1 = _bt_objective(t[far] - sub[:, None] * step[far], c[idx[far]], lam)
                bad = f1 > f0 - 1e-4 * sub * decrement[far]
                if not bad.any():
                    break
                sub[bad] *= 0.5
            size[far] = sub
        theta[idx] = t - size[:, None] * step
        active[idx] = decrement > 1e-26
    theta -= theta.mean(axis=1, keepdims=True)
    return theta[0] if single else theta


def _alpha(options: Options) -> float:
    alpha = float(options.get("alpha", DEFAULT_ALPHA))
    if not alpha > 0 or not np.isfinite(alpha):
        raise ValueError(f"option alpha must be a positive number, got {alpha!r}")
    return alpha


def _blocks(b: int, n: int) -> list[slice]:
    size = max(1, _BATCH_CELLS // max(1, n * n))
    return [slice(start, min(b, start + size)) for start in range(0, b, size)]


def bradley_terry_batch(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Bradley-Terry scores for each row of a ``(B, n_respondents)`` weight matrix."""
    alpha = _alpha(options)
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    out = np.empty((w.shape[0], profile.n_items))
    for block in _blocks(w.shape[0], profile.n_items):
        out[block] = fit_bradley_terry(_count_matrices(profile, w[block]), alpha)
    return out


@register(
    "pairwise",
    "bradley-terry",
    prepare=prepare_pairwise,
    summary="Bradley-Terry strengths (log scale, centred on 0) fitted by maximum likelihood "
    "with a tiny ridge so that unbeaten or winless items stay finite.",
    score_batch=bradley_terry_batch,
)
def bradley_terry(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Bradley-Terry log-strengths for one weight vector.

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": ["r1", "r2", "r3"], "group": "all",
    ...                       "winner": ["a", "a", "b"], "loser": ["b", "b", "a"]})
    >>> profile = prepare_pairwise(frame, {})
    >>> bradley_terry(profile, np.ones(3), {"alpha": 1e-9}).round(4)  # log(2) / 2 each way
    array([ 0.3466, -0.3466])
    """
    return bradley_terry_batch(profile, np.asarray(weights, dtype=float)[None], options)[0]


def _copeland_from_counts(c: np.ndarray, tie_value: float) -> np.ndarray:
    margin = c - c.transpose(0, 2, 1)
    tol = 1e-12 * (c + c.transpose(0, 2, 1))
    beats = margin > tol
    ties = ~beats & ~(-margin > tol)
    n = c.shape[-1]
    ties[:, np.arange(n), np.arange(n)] = False
    return beats.sum(axis=2) + tie_value * ties.sum(axis=2)


def copeland_batch(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Copeland scores for each row of a ``(B, n_respondents)`` weight matrix."""
    tie_value = float(options.get("tie_value", 0.0))
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    out = np.empty((w.shape[0], profile.n_items))
    for block in _blocks(w.shape[0], profile.n_items):
        out[block] = _copeland_from_counts(_count_matrices(profile, w[block]), tie_value)
    return out


@register(
    "pairwise",
    "copeland",
    prepare=prepare_pairwise,
    summary="Number of other items an item beats in weighted head-to-head majority "
    "(ties and never-compared pairs count 0).",
    score_batch=copeland_batch,
)
def copeland(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Copeland score: how many other items each item beats by weighted pairwise majority.

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": ["r1", "r1", "r2", "r2"], "group": "all",
    ...                       "winner": ["a", "b", "b", "a"], "loser": ["b", "c", "a", "c"]})
    >>> profile = prepare_pairwise(frame, {})
    >>> copeland(profile, np.ones(2), {})  # a-b tied 1:1; a and b both beat c
    array([1., 1., 0.])
    >>> copeland(profile, np.ones(2), {"tie_value": 0.5})
    array([1.5, 1.5, 0. ])
    """
    return copeland_batch(profile, np.asarray(weights, dtype=float)[None], options)[0]


def _wiki_from_counts(c: np.ndarray, prior: float) -> np.ndarray:
    both = c + c.transpose(0, 2, 1)
    denom = both + 2 * prior
    safe = np.where(denom > 0, denom, 1.0)
    p = np.where(denom > 0, (c + prior) / safe, 0.5)
    n = c.shape[-1]
    p[:, np.arange(n), np.arange(n)] = 0.0
    if n == 1:
        return np.full((c.shape[0], 1), 50.0)
    return 100.0 * p.sum(axis=2) / (n - 1)


def wiki_survey_batch(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Wiki-survey scores for each row of a ``(B, n_respondents)`` weight matrix."""
    prior = float(options.get("prior", 1.0))
    if not prior >= 0 or not np.isfinite(prior):
        raise ValueError(f"option prior must be a non-negative number, got {prior!r}")
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    out = np.empty((w.shape[0], profile.n_items))
    for block in _blocks(w.shape[0], profile.n_items):
        out[block] = _wiki_from_counts(_count_matrices(profile, w[block]), prior)
    return out


@register(
    "pairwise",
    "wiki-survey",
    prepare=prepare_pairwise,
    summary="All Our Ideas score: estimated chance (0-100) that the item beats a randomly "
    "chosen other item, smoothed with one imaginary win and loss per pair.",
    score_batch=wiki_survey_batch,
)
def wiki_survey(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """All Our Ideas score (0-100): mean over other items of ``(w_ij + 1) / (n_ij + 2)``.

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": ["r1", "r2"], "group": "all",
    ...                       "winner": ["a", "a"], "loser": ["b", "b"]})
    >>> profile = prepare_pairwise(frame, {})
    >>> wiki_survey(profile, np.ones(2), {})  # (2 + 1) / (2 + 2) = 75 %
    array([75., 25.])
    """
    return wiki_survey_batch(profile, np.asarray(weights, dtype=float)[None], options)[0]
