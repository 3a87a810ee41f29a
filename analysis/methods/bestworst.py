"""Best-worst scaling (MaxDiff) methods: counts and the paired multinomial-logit model.

Plain-language guide (for analysts; reused in ``analysis/README.md``)
--------------------------------------------------------------------
In a best-worst question each respondent sees a small set of items (a *task*, usually 3 to 5
items) and picks the most important and the least important.  Each respondent's answers count
with that respondent's weight.

``count``
    For each item: (weighted number of times picked best - weighted number of times picked
    worst) / (weighted number of times shown).  The score runs from -1 (always picked worst
    when shown) to +1 (always best); 0 is neutral.  It is a ratio of weighted totals over all
    respondents, not an average of per-respondent ratios, so a respondent who saw an item more
    often contributes more to that item's score.  An item nobody (with positive weight) was
    shown scores 0.
``mnl``
    The "paired" MaxDiff model of Marley & Louviere (2005, "Some probabilistic models of
    best, worst, and best-worst choices", J. Math. Psychol. 49: 464-480): every item has a
    utility *u*, and the chance that a respondent shown the set *S* picks *i* as best and *j* as
    worst is proportional to ``exp(u_i - u_j)``, over all ordered pairs of different items in
    *S*.  The utilities that make the observed choices most likely are the scores (maximum
    likelihood).  They are on a log scale centred on zero (0 = average item); when two items
    whose utilities differ by 1 are shown together, "first best, second worst" is exp(2), about
    7.4 times as likely as the reverse.  As for Bradley-Terry, a tiny ridge
    penalty (``alpha`` times the mean squared utility, counted once per weighted task,
    ``alpha = 0.001`` by default) keeps an item that was always picked best (or always worst)
    finite, and does not depend on how many respondents there are (duplicating every respondent
    changes nothing).

Per-respondent values (``Profile.matrix``, used for agreement and group-difference tests):
(times best - times worst) / times shown for that respondent, NaN for items the respondent was
never shown.

Options
-------
``alpha`` : float > 0, default 0.001
    Ridge strength per task for ``mnl``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize

from analysis.methods.pairwise import factorize_sorted, respondent_codes
from analysis.registry import Options, Profile, register

__all__ = ["prepare_bestworst"]

DEFAULT_ALPHA = 1e-3


def prepare_bestworst(frame: pd.DataFrame, options: Options) -> Profile:
    """Aggregate best-worst tasks into per-respondent counts and a task-by-item incidence matrix.

    ``profile.data`` holds ``shown``, ``best`` and ``worst`` (dense ``(n_respondents, n_items)``
    counts), ``incidence`` (sparse ``(n_tasks, n_items)``: 1 where the item was in the task) and
    ``task_respondent`` (the respondent code of each task).

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": "r1", "group": "all", "task": ["t1"] * 3,
    ...                       "item": ["a", "b", "c"], "choice": ["best", "", "worst"]})
    >>> prepare_bestworst(frame, {}).matrix
    array([[ 1.,  0., -1.]])
    """
    resp_codes, respondents, groups = respondent_codes(frame)
    n_resp = len(respondents)
    item_codes, labels = factorize_sorted(frame["item"])
    items = labels.tolist()
    n = len(items)
    task_codes_raw, task_uniques = pd.factorize(frame["task"].to_numpy(dtype=object))
    task, _ = pd.factorize(resp_codes.astype(np.int64) * len(task_uniques) + task_codes_raw)
    n_tasks = int(task.max()) + 1 if len(task) else 0
    task_respondent = np.zeros(n_tasks, dtype=np.int64)
    task_respondent[task] = resp_codes
    choice = frame["choice"].to_numpy(dtype=object)
    is_best = choice == "best"
    is_worst = choice == "worst"
    cell = resp_codes.astype(np.int64) * n + item_codes
    shown = np.bincount(cell, minlength=n_resp * n).reshape(n_resp, n).astype(float)
    best = np.bincount(cell[is_best], minlength=n_resp * n).reshape(n_resp, n).astype(float)
    worst = np.bincount(cell[is_worst], minlength=n_resp * n).reshape(n_resp, n).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = np.where(shown > 0, (best - worst) / shown, np.nan)
    incidence = sp.csr_matrix(
        (np.ones(len(task)), (task, item_codes)), shape=(n_tasks, n), dtype=float
    )
    return Profile(
        kind="bestworst",
        items=items,
        respondents=respondents,
        groups=groups,
        matrix=matrix,
        matrix_higher_is_better=True,
        data={
            "shown": shown,
            "best": best,
            "worst": worst,
            "incidence": incidence,
            "task_respondent": task_respondent,
        },
    )


def count_batch(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Best-minus-worst per appearance for each row of a ``(B, n_respondents)`` weight matrix."""
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    net = w @ (profile.data["best"] - profile.data["worst"])
    shown = w @ profile.data["shown"]
    return np.where(shown > 0, net / np.where(shown > 0, shown, 1.0), 0.0)


@register(
    "bestworst",
    "count",
    prepare=prepare_bestworst,
    summary="Weighted (times best - times worst) / times shown, from -1 to +1.",
    score_batch=count_batch,
)
def count(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Best-minus-worst count per appearance (-1 to 1), weighted.

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": ["r1"] * 3 + ["r2"] * 3, "group": "all",
    ...                       "task": "t1", "item": ["a", "b", "c"] * 2,
    ...                       "choice": ["best", "", "worst", "", "best", "worst"]})
    >>> profile = prepare_bestworst(frame, {})
    >>> count(profile, np.ones(2), {})
    array([ 0.5,  0.5, -1. ])
    >>> count(profile, np.array([3.0, 1.0]), {})
    array([ 0.75,  0.25, -1.  ])
    """
    return count_batch(profile, np.asarray(weights, dtype=float)[None], options)[0]


def _mnl_alpha(options: Options) -> float:
    alpha = float(options.get("alpha", DEFAULT_ALPHA))
    if not alpha > 0 or not np.isfinite(alpha):
        raise ValueError(f"option alpha must be a positive number, got {alpha!r}")
    return alpha


def fit_maxdiff(
    incidence: sp.csr_matrix,
    net: np.ndarray,
    task_weights: np.ndarray,
    alpha: float = DEFAULT_ALPHA,
) -> np.ndarray:
    """Penalised maximum-likelihood utilities of the paired MaxDiff model, centred on zero.

    With ``a_k = exp(u_k)`` and ``b_k = exp(-u_k)``, the normaliser of a task showing set ``S``
    is ``sum_{k != l in S} a_k b_l = (sum_S a)(sum_S b) - |S|``, so the log-likelihood and its
    gradient need only two sparse products per evaluation, for any mix of set sizes.
    Minimises ``-(net . u - sum_t w_t log Z_t(u)) / sum_t w_t + (alpha / n) * sum_k u_k**2``
    with L-BFGS-B and the analytic gradient.

    Parameters
    ----------
    incidence : scipy.sparse matrix
        ``(n_tasks, n_items)``, 1 where the item was shown in the task.
    net : ndarray
        ``(n_items,)`` weighted times best minus weighted times worst.
    task_weights : ndarray
        ``(n_tasks,)`` weight of each task (its respondent's weight).
    alpha : float
        Ridge strength per task (> 0).

    Returns
    -------
    ndarray
        ``(n_items,)`` utilities summing to zero.

    Examples
    --------
    Two items, shown together three times, ``a`` best twice: ``P(a best) = sigmoid(2 (u_a -
    u_b)) = 2/3``, so ``u_a - u_b = log(2) / 2``.

    >>> x = sp.csr_matrix(np.ones((3, 2)))
    >>> fit_maxdiff(x, np.array([1.0, -1.0]), np.ones(3), alpha=1e-9).round(4)
    array([ 0.1733, -0.1733])
    """
    if not alpha > 0:
        raise ValueError(f"alpha must be positive, got {alpha!r}")
    n = incidence.shape[1]
    keep = task_weights > 0
    total = float(task_weights[keep].sum())
    if total <= 0:
        return np.zeros(n)
    x = incidence[keep]
    tw = task_weights[keep] / total
    net = np.asarray(net, dtype=float) / total
    size = np.asarray(x.sum(axis=1)).ravel()
    xt = x.T.tocsr()
    lam = alpha / n

    def objective(u: np.ndarray) -> tuple[float, np.ndarray]:
        a = np.exp(u)
        b = np.exp(-u)
        sa = x @ a
        sb = x @ b
        z = sa * sb - size
        # elementwise sums rather than BLAS dot products: no thread start-up in the hot loop
        value = -(net * u).sum() + (tw * np.log(z)).sum() + lam * (u * u).sum()
        grad = -net + a * (xt @ (tw * sb / z)) - b * (xt @ (tw * sa / z)) + 2 * lam * u
        return float(value), grad

    result = minimize(
        objective,
        np.zeros(n),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 5000, "maxcor": 20, "ftol": 1e-16, "gtol": 1e-12},
    )
    u = result.x
    return u - u.mean()


@register(
    "bestworst",
    "mnl",
    prepare=prepare_bestworst,
    summary="Paired MaxDiff (Marley-Louviere) utilities on a log scale centred on 0, by "
    "maximum likelihood with a tiny ridge so items always picked best or worst stay finite.",
)
def mnl(profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
    """Paired MaxDiff multinomial-logit utilities for one weight vector.

    Examples
    --------
    >>> frame = pd.DataFrame({"respondent": ["r1"] * 2 + ["r2"] * 2, "group": "all",
    ...                       "task": "t1", "item": ["a", "b"] * 2,
    ...                       "choice": ["best", "worst", "worst", "best"]})
    >>> profile = prepare_bestworst(frame, {})
    >>> mnl(profile, np.ones(2), {}).round(6) + 0.0  # one win each: equal utilities
    array([0., 0.])
    """
    w = np.asarray(weights, dtype=float)
    net = w @ (profile.data["best"] - profile.data["worst"])
    task_weights = w[profile.data["task_respondent"]]
    return fit_maxdiff(profile.data["incidence"], net, task_weights, _mnl_alpha(options))
