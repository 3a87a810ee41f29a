"""Analytic Hierarchy Process (AHP): priorities from pairwise judgements, group aggregation,
consistency.

Plain-language guide (for analysts; reused in ``analysis/README.md``)
--------------------------------------------------------------------
In an AHP question a respondent judges pairs of items on Saaty's 1-9 scale: "how much more
important is A than B?" (1 = equally, 3 = moderately, 5 = strongly, 7 = very strongly, 9 =
extremely more important; 1/3, 1/5, ... mean the reverse).  Judging B against A is implied:
it is the reciprocal.  The result is a set of *priority weights*, one per item, that add up
to 1 (think of them as shares of importance).

*Combining respondents (group aggregation).*  For every pair of items, the judgements of all
respondents who judged that pair are combined by a weighted geometric mean (the "aggregation of
individual judgements", AIJ, recommended by Forman & Peniwati 1998 and Aczél & Saaty 1983).  A
geometric mean is used because judgements are ratios: the mean of "A is 9 times B" and "B is
9 times A" must be "equal", which a plain average would not give.  A respondent who did not
judge a pair is simply left out of that pair's mean (the other respondents' weights are used
as they are); a pair nobody judged is *missing*.  The priorities are then computed from the one
combined matrix.

``eigenvector``
    Saaty's original method: the priorities are the principal (Perron) eigenvector of the
    combined judgement matrix, scaled to add up to 1.  Missing pairs are handled by Harker's
    method (Harker 1987, "Alternative modes of questioning in the analytic hierarchy process",
    Math. Modelling 9: 353-360): a missing entry is set to 0 and each diagonal entry becomes 1
    plus the number of missing entries in its row.  This gives the same priorities as filling
    every missing judgement with the ratio of the final priorities, i.e. missing pairs take the
    value most consistent with everything else.
``geometric-mean``
    The row geometric mean (Crawford & Williams 1985): with every pair judged, an item's
    priority is proportional to the geometric mean of its row of judgements.  With missing
    pairs we use the logarithmic least-squares method (LLSM; Kwiesielewicz 1996; Bozóki,
    Fülöp & Rónyai 2010): the priorities whose ratios best match the judged pairs, errors
    measured on the log scale, each judged pair counting once.  On a complete matrix the LLSM
    is exactly the row geometric mean.

*Items that cannot be placed on one scale.*  If the judged pairs split the items into separate
clusters with no judgement linking them (a disconnected judgement graph), there is no way to
compare the clusters.  ``prepare`` then raises a ``ValueError`` naming the clusters (set option
``disconnected="split"`` to accept it).  When zero weights (a bootstrap replicate, a single
group) disconnect an otherwise connected design, or with ``disconnected="split"``, each cluster
is solved on its own and the clusters are put side by side so that the geometric mean of the
priorities is the same in every cluster ("on average the clusters are equally important"),
then all priorities are scaled to add up to 1.  With every weight zero, all priorities are
``1 / n``.

*Consistency.*  Judgements can contradict each other (A = 2B, B = 2C but C = A).  Saaty's
consistency index ``CI = (lambda_max - n) / (n - 1)``, where ``lambda_max`` is the principal
eigenvalue of the (combined, completed) matrix and ``n`` the number of items, is 0 for perfectly
consistent judgements.  The consistency ratio ``CR = CI / RI`` compares it with the average CI
of random judgements: ``RI = 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49`` for 3 to 10 items
(Saaty 1980, *The Analytic Hierarchy Process*, McGraw-Hill).  With 1 or 2 items any judgements
are consistent: CR = 0.  Saaty's 1980 table stops at 10 items; for more items we keep 1.49,
which slightly overstates CR (later tables put RI near 1.5-1.6 for 11-15 items).  Saaty's rule
of thumb calls CR <= 0.10 acceptable.  Missing pairs are filled with the ratio of the Harker
priorities before computing ``lambda_max``.  ``respondent_consistency`` gives each respondent's
own CR when they judged every pair (NaN otherwise).

Options
-------
``disconnected`` : ``"error"`` (default) or ``"split"``
    What ``prepare`` does when the judgement graph of all the data is disconnected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from analysis.methods.pairwise import factorize_sorted, respondent_codes
from analysis.registry import Options, Profile, register

__all__ = [
    "RANDOM_INDEX",
    "aggregate_matrix",
    "consistency",
    "prepare_ahp",
    "priorities",
    "random_index",
    "respondent_consistency",
]

#: Saaty's (1980) random consistency index by number of items; 1.49 is used beyond 10 items.
RANDOM_INDEX = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
}


def random_index(n: int) -> float:
    """Saaty's 1980 random index for ``n`` items (1.49 beyond 10).

    Examples
    --------
    >>> random_index(3), random_index(10), random_index(12)
    (0.58, 1.49, 1.49)
    """
    return RANDOM_INDEX.get(n, 1.49) if n > 0 else 0.0


def prepare_ahp(frame: pd.DataFrame, options: Options) -> Profile:
    """Store every judgement as ``(respondent, pair, log value)`` on the upper triangle.

    ``profile.data`` holds ``respondent`` (code per judgement), ``pair`` (``i * n + j`` with
    ``i < j`` in ``profile.items`` order) and ``log_value`` (``log a_ij``: positive when the
    first item of the pair is the more important).

    Raises
    ------
    ValueError
        If the judged pairs do not connect all items (unless ``disconnected="split"``).

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": ["r1", "r1"], "group": "all",
    ...                       "item_a": ["b", "a"], "item_b": ["a", "c"], "value": [2.0, 4.0]})
    >>> profile = prepare_ahp(frame, {})
    >>> profile.items, profile.data["pair"], np.exp(profile.data["log_value"])
    (['a', 'b', 'c'], array([1, 2]), array([0.5, 4. ]))
    """
    mode = options.get("disconnected", "error")
    if mode not in ("error", "split"):
        raise ValueError(f"option disconnected must be 'error' or 'split', got {mode!r}")
    resp, respondents, groups = respondent_codes(frame)
    m = len(frame)
    both = np.concatenate(
        [frame["item_a"].to_numpy(dtype=object), frame["item_b"].to_numpy(dtype=object)]
    )
    codes, labels = factorize_sorted(both)
    items = labels.tolist()
    n = len(items)
    i, j = codes[:m], codes[m:]
    log_value = np.log(frame["value"].to_numpy(dtype=float))
    log_value = np.where(i < j, log_value, -log_value)
    pair = np.minimum(i, j) * n + np.maximum(i, j)
    profile = Profile(
        kind="ahp",
        items=items,
        respondents=respondents,
        groups=groups,
        data={"respondent": resp, "pair": pair, "log_value": log_value},
    )
    if mode == "error":
        labels = _components(np.bincount(pair, minlength=n * n).reshape(n, n) > 0)
        if labels.max(initial=0) > 0:
            clusters = "; ".join(
                "{" + ", ".join(items[k] for k in np.flatnonzero(labels == c)) + "}"
                for c in range(labels.max() + 1)
            )
            raise ValueError(
                "AHP judgements do not connect all items, so they cannot be put on one scale; "
                f"separate clusters: {clusters}"
            )
    return profile


def _components(observed: np.ndarray) -> np.ndarray:
    """Connected-component label per item of the judgement graph (upper-triangle mask)."""
    _, labels = connected_components(csr_matrix(observed | observed.T), directed=False)
    return labels


def _aggregate_logs(profile: Profile, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean log-judgement per pair (antisymmetric) and the observed-pair mask."""
    n = profile.n_items
    w = np.asarray(weights, dtype=float)[profile.data["respondent"]]
    pair = profile.data["pair"]
    total = np.bincount(pair, weights=w, minlength=n * n).reshape(n, n)
    mass = np.bincount(pair, weights=w * profile.data["log_value"], minlength=n * n)
    observed = total > 0
    upper = np.where(observed, mass.reshape(n, n) / np.where(observed, total, 1.0), 0.0)
    return upper - upper.T, observed | observed.T


def _harker_block(logs: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, float]:
    """Harker priorities (summing to 1) and principal eigenvalue of one connected block."""
    n = len(logs)
    if n == 1:
        return np.ones(1), 1.0
    mat = np.where(observed, np.exp(logs), 0.0)
    np.fill_diagonal(mat, 1.0 + (n - 1) - observed.sum(axis=1))
    values, vectors = np.linalg.eig(mat)
    k = int(np.argmax(values.real))
    vec = np.abs(vectors[:, k].real)
    return vec / vec.sum(), float(values[k].real)


def _llsm_block(logs: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Log-least-squares log-priorities (centred) of one connected block."""
    n = len(logs)
    adjacency = observed.astype(float)
    laplacian = np.diag(adjacency.sum(axis=1)) - adjacency
    rhs = (logs * adjacency).sum(axis=1)
    x = np.linalg.solve(laplacian + 1.0 / n, rhs)
    return x - x.mean()


def _log_priorities(logs: np.ndarray, observed: np.ndarray, method: str) -> np.ndarray:
    """Log-priorities centred within each connected cluster of the judgement graph."""
    labels = _components(observed)
    out = np.zeros(len(logs))
    for c in range(labels.max(initial=-1) + 1):
        idx = np.flatnonzero(labels == c)
        sub = np.ix_(idx, idx)
        if len(idx) == 1:
            continue
        if method == "eigenvector":
            x = np.log(_harker_block(logs[sub], observed[sub])[0])
        else:
            x = _llsm_block(logs[sub], observed[sub])
        out[idx] = x - x.mean()
    return out


def priorities(profile: Profile, weights: np.ndarray, method: str = "eigenvector") -> np.ndarray:
    """Group priorities (summing to 1) from the weighted geometric mean of judgements.

    Parameters
    ----------
    profile : Profile
        From ``prepare_ahp``.
    weights : ndarray
        One non-negative weight per respondent.
    method : {"eigenvector", "geometric-mean"}
        Harker eigenvector or logarithmic least squares (row geometric mean when complete).

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": "r1", "group": "all", "item_a": ["a", "b"],
    ...                       "item_b": ["b", "c"], "value": [2.0, 3.0]})
    >>> profile = prepare_ahp(frame, {})
    >>> priorities(profile, np.ones(1)).round(6)  # missing a-c completed consistently: 6:3:1
    array([0.6, 0.3, 0.1])
    >>> priorities(profile, np.ones(1), "geometric-mean").round(6)
    array([0.6, 0.3, 0.1])
    """
    if method not in ("eigenvector", "geometric-mean"):
        raise ValueError(f"unknown AHP priority method {method!r}")
    logs, observed = _aggregate_logs(profile, weights)
    if method == "eigenvector" and observed.sum() == profile.n_items * (profile.n_items - 1):
        # complete, hence connected: the plain principal eigenvector
        return _harker_block(logs, observed)[0]
    x = _log_priorities(logs, observed, method)
    p = np.exp(x - x.max())
    return p / p.sum()


@register(
    "ahp",
    "eigenvector",
    prepare=prepare_ahp,
    summary="Saaty's principal-eigenvector priorities (summing to 1) of the weighted geometric "
    "mean of judgements; missing pairs by Harker's method.",
)
def eigenvector(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """AHP eigenvector priorities of the aggregated judgements.

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": ["r1", "r2"], "group": "all", "item_a": "a",
    ...                       "item_b": "b", "value": [4.0, 1.0]})
    >>> eigenvector(prepare_ahp(frame, {}), np.ones(2), {}).round(6)  # geometric mean 2
    array([0.666667, 0.333333])
    """
    return priorities(profile, weights, "eigenvector")


@register(
    "ahp",
    "geometric-mean",
    prepare=prepare_ahp,
    summary="Row-geometric-mean priorities (summing to 1) of the weighted geometric mean of "
    "judgements; missing pairs by logarithmic least squares.",
)
def geometric_mean(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """AHP row-geometric-mean (LLSM) priorities of the aggregated judgements.

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": "r1", "group": "all", "item_a": ["a", "a", "b"],
    ...                       "item_b": ["b", "c", "c"], "value": [2.0, 8.0, 2.0]})
    >>> p = geometric_mean(prepare_ahp(frame, {}), np.ones(1), {})
    >>> (p / p[1]).round(4)  # row geometric means: 16^(1/3), 1, 16^(-1/3)
    array([2.5198, 1.    , 0.3969])
    """
    return priorities(profile, weights, "geometric-mean")


def aggregate_matrix(profile: Profile, weights: np.ndarray) -> np.ndarray:
    """The combined judgement matrix: weighted geometric mean per pair, missing pairs completed.

    Pairs nobody (with positive weight) judged are filled with ``p_i / p_j`` from the Harker
    eigenvector priorities ``p`` (the completion implied by Harker's method).

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": ["r1", "r2", "r1"], "group": "all",
    ...                       "item_a": ["a", "a", "b"], "item_b": ["b", "b", "c"],
    ...                       "value": [1.0, 4.0, 3.0]})
    >>> aggregate_matrix(prepare_ahp(frame, {}), np.ones(2)).round(4)
    array([[1.    , 2.    , 6.    ],
           [0.5   , 1.    , 3.    ],
           [0.1667, 0.3333, 1.    ]])
    """
    logs, observed = _aggregate_logs(profile, weights)
    p = priorities(profile, weights, "eigenvector")
    filled = np.where(observed, logs, np.log(p)[:, None] - np.log(p)[None, :])
    np.fill_diagonal(filled, 0.0)
    return np.exp(filled)


def _lambda_max(matrices: np.ndarray) -> np.ndarray:
    return np.linalg.eigvals(matrices).real.max(axis=-1)


def consistency(profile: Profile, weights: np.ndarray, options: Options) -> dict[str, float]:
    """Saaty's consistency of the combined (completed) judgement matrix.

    Returns ``{"lambda_max", "ci", "cr"}`` with ``CI = (lambda_max - n) / (n - 1)`` and
    ``CR = CI / RI(n)`` (Saaty's 1980 random index); ``n <= 2`` gives 0 for both.  Tiny negative
    values from rounding are reported as 0.

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": "r1", "group": "all", "item_a": ["a", "a", "b"],
    ...                       "item_b": ["b", "c", "c"], "value": [2.0, 4.0, 2.0]})
    >>> consistency(prepare_ahp(frame, {}), np.ones(1), {})
    {'lambda_max': 3.0, 'ci': 0.0, 'cr': 0.0}
    """
    n = profile.n_items
    if n <= 2:
        return {"lambda_max": float(n), "ci": 0.0, "cr": 0.0}
    lam = float(_lambda_max(aggregate_matrix(profile, weights)))
    ci = max((lam - n) / (n - 1), 0.0)
    if ci < 1e-12:
        ci, lam = 0.0, float(n)
    return {"lambda_max": lam, "ci": ci, "cr": ci / random_index(n)}


def respondent_consistency(profile: Profile) -> np.ndarray:
    """Each respondent's own consistency ratio; NaN unless they judged every pair.

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": ["r1"] * 3 + ["r2"], "group": "all",
    ...                       "item_a": ["a", "a", "b", "a"], "item_b": ["b", "c", "c", "b"],
    ...                       "value": [2.0, 4.0, 2.0, 3.0]})
    >>> respondent_consistency(prepare_ahp(frame, {}))
    array([ 0., nan])
    """
    n = profile.n_items
    resp = profile.data["respondent"]
    per_resp = np.bincount(resp, minlength=profile.n_respondents)
    complete = per_resp == n * (n - 1) // 2
    out = np.full(profile.n_respondents, np.nan)
    if n <= 2:
        out[complete] = 0.0
        return out
    which = np.flatnonzero(complete)
    if which.size == 0:
        return out
    slot = np.full(profile.n_respondents, -1)
    slot[which] = np.arange(which.size)
    keep = complete[resp]
    logs = np.zeros((which.size, n * n))
    logs[slot[resp[keep]], profile.data["pair"][keep]] = profile.data["log_value"][keep]
    upper = logs.reshape(which.size, n, n)
    matrices = np.exp(upper - upper.transpose(0, 2, 1))
    ci = np.maximum((_lambda_max(matrices) - n) / (n - 1), 0.0)
    ci[ci < 1e-12] = 0.0
    out[which] = ci / random_index(n)
    return out
