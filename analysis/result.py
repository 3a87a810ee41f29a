"""The one-call analysis: :func:`rank` turns long-format data into a defensible priority ranking.

``rank`` validates the data (:mod:`analysis.data`), prepares it for the chosen method, weights
respondents (:mod:`analysis.weights`), scores and ranks the items, and adds what the analyst needs
to defend the list: bootstrap intervals (:mod:`analysis.uncertainty`), agreement
(:mod:`analysis.agreement`), AHP consistency, group differences (:mod:`analysis.groups`) and
per-group rankings with small groups suppressed (:mod:`analysis.privacy`).

Conventions
-----------
* Items are sorted by rank, then by label (Python's string order).
* ``top_k`` defaults to ``min(3, n_items)``: ``p_top_k`` is then the probability of being among
  the top three priorities.  A larger ``top_k`` is capped at the number of items.
* Without a bootstrap, ``ci_low``/``ci_high`` come from the method's analytic interval when it
  has one (e.g. Wilson intervals for ``top-box``) and are ``None`` otherwise; rank intervals and
  ``p_top_k`` need a bootstrap.  With a bootstrap, every interval is a bootstrap percentile one.
* Per-group rankings (``by_group``) score the same item list on one group's respondents, each of
  them counting once (every weighting scheme weighs the members of one group equally).  Group
  ``i`` (groups in sorted order) is bootstrapped with the ``i``-th child of
  ``numpy.random.SeedSequence(seed)``; the overall bootstrap uses ``default_rng(seed)`` itself.
* ``progress(done, total)`` counts the replicates of every bootstrap of the call together: the
  overall one, then each shown group's (``by_group``), so ``total`` is ``bootstrap`` times the
  number of bootstraps.  It does not change the result.
* ``group_differences`` appear when there are at least two groups and the kind has a value
  matrix (not for pairwise and AHP data); ``agreement`` likewise needs the matrix.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.agreement import Agreement, kendall_w
from analysis.data import InputError, load
from analysis.groups import group_differences, group_rank_correlations
from analysis.privacy import split_by_size
from analysis.ranks import competition_rank
from analysis.registry import KINDS, Method, Profile, get_method
from analysis.uncertainty import Progress
from analysis.uncertainty import bootstrap as run_bootstrap
from analysis.weights import compute_weights, kish_effective_n

__all__ = ["ITEM_COLUMNS", "RankResult", "rank"]

#: Columns of ``RankResult.items`` (and of each item object in the JSON output).
ITEM_COLUMNS = [
    "item",
    "score",
    "rank",
    "ci_low",
    "ci_high",
    "rank_ci_low",
    "rank_ci_high",
    "p_top_k",
]
DEFAULT_TOP_K = 3


def _json_value(value: Any) -> Any:
    """Plain Python value for JSON: numpy scalars unwrapped, NaN and NA as None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value


def _records(frame: pd.DataFrame | None, columns: list[str]) -> list[dict[str, Any]] | None:
    if frame is None:
        return None
    return [
        {c: _json_value(v) for c, v in zip(columns, row, strict=True)}
        for row in frame[columns].itertuples(index=False, name=None)
    ]


@dataclass
class GroupResult:
    """One stakeholder group's own ranking (``by_group``), or a suppressed group."""

    n: int | None
    suppressed: bool
    items: pd.DataFrame | None = None
    agreement: Agreement | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "suppressed": self.suppressed,
            "items": _records(self.items, ITEM_COLUMNS),
            "agreement": None if self.agreement is None else self.agreement.to_dict(),
        }


@dataclass
class RankResult:
    """The outcome of :func:`rank`.

    Attributes
    ----------
    kind, method, weights : str
        What was run (``weights`` is the scheme name).
    n_respondents : int
    n_effective : float
        Kish's effective sample size of the weights.
    n_groups : int
    items : DataFrame
        ``ITEM_COLUMNS``, sorted by rank then label; NaN where a field does not apply.
    agreement : Agreement or None
        Kendall's W overall.
    consistency : dict or None
        AHP only: ``lambda_max``, ``ci``, ``cr``.
    groups : dict of str to GroupResult, or None
        With ``by_group``: every group, suppressed ones flagged.
    group_differences : DataFrame or None
        ``item, statistic, p_value, q_value, spread, polarising, consensus``.
    group_correlations : DataFrame or None
        With ``by_group``: Kendall's tau between shown groups' scores.
    top_k, confidence, bootstrap, seed
        The settings used.
    """

    kind: str
    method: str
    weights: str
    n_respondents: int
    n_effective: float
    n_groups: int
    items: pd.DataFrame
    agreement: Agreement | None = None
    consistency: dict[str, float] | None = None
    groups: dict[str, GroupResult] | None = None
    group_differences: pd.DataFrame | None = None
    group_correlations: pd.DataFrame | None = None
    top_k: int = DEFAULT_TOP_K
    confidence: float = 0.95
    bootstrap: int = 0
    seed: int | None = None
    profile: Profile | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``python -m analysis rank`` (plain Python values, None for null).

        Keys of the issue's contract first (``kind`` ... ``group_differences``), then the settings
        (``top_k``, ``confidence``, ``bootstrap``, ``seed``) and ``group_correlations``.
        """
        differences = _records(self.group_differences, ["item", "statistic", "p_value", "q_value"])
        if differences is not None and self.group_differences is not None:
            flags = self.group_differences[["consensus", "polarising"]].to_numpy()
            for entry, (consensus, polarising) in zip(differences, flags, strict=True):
                entry["consensus"] = bool(consensus)
                entry["polarising"] = bool(polarising)
        return {
            "kind": self.kind,
            "method": self.method,
            "weights": self.weights,
            "n_respondents": int(self.n_respondents),
            "n_effective": float(self.n_effective),
            "n_groups": int(self.n_groups),
            "items": _records(self.items, ITEM_COLUMNS),
            "agreement": None if self.agreement is None else self.agreement.to_dict(),
            "consistency": None
            if self.consistency is None
            else {k: _json_value(v) for k, v in self.consistency.items()},
            "groups": None
            if self.groups is None
            else {g: r.to_dict() for g, r in self.groups.items()},
            "group_differences": differences,
            "top_k": int(self.top_k),
            "confidence": float(self.confidence),
            "bootstrap": int(self.bootstrap),
            "seed": self.seed,
            "group_correlations": _records(
                self.group_correlations, ["group_a", "group_b", "tau", "p_value"]
            ),
        }


def _item_table(
    method: Method,
    profile: Profile,
    weights: np.ndarray,
    options: Mapping[str, Any],
    *,
    replicates: int,
    seed: Any,
    confidence: float,
    top_k: int,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    scores = method.scores(profile, weights, options)
    ranks = competition_rank(scores, method.higher_is_better)
    n = profile.n_items
    nan = np.full(n, np.nan)
    ci_low, ci_high, rank_low, rank_high, p_top = nan, nan, nan, nan, nan
    if replicates > 0:
        boot = run_bootstrap(
            method,
            profile,
            weights,
            options,
            replicates=replicates,
            seed=seed,
            confidence=confidence,
            top_k=top_k,
            progress=progress,
        )
        ci_low, ci_high = boot.ci_low, boot.ci_high
        rank_low, rank_high, p_top = boot.rank_ci_low, boot.rank_ci_high, boot.p_top_k
    elif method.interval is not None:
        low, high = method.interval(profile, weights, options, confidence)
        ci_low, ci_high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    table = pd.DataFrame(
        {
            "item": pd.Series(profile.items, dtype="str"),
            "score": scores,
            "rank": ranks.astype(np.int64),
            "ci_low": ci_low,
            "ci_high": ci_high,
            "rank_ci_low": pd.array(rank_low, dtype="Int64")
            if replicates > 0
            else pd.array([pd.NA] * n, dtype="Int64"),
            "rank_ci_high": pd.array(rank_high, dtype="Int64")
            if replicates > 0
            else pd.array([pd.NA] * n, dtype="Int64"),
            "p_top_k": p_top,
        }
    )
    order = sorted(range(n), key=lambda i: (int(ranks[i]), profile.items[i]))
    return table.iloc[order].reset_index(drop=True), scores


def _stage(progress: Progress | None, index: int, runs: int, replicates: int) -> Progress | None:
    """Bootstrap ``index`` of ``runs`` (``replicates`` each) reported as part of the whole."""
    if progress is None or replicates == 0:
        return None
    offset, total = index * replicates, runs * replicates

    def report(done: int, _replicates: int) -> None:
        if done or not index:  # the start of a later bootstrap is the end of the one before
            progress(offset + done, total)

    return report


def _check_number(name: str, value: Any, *, low: float, integer: bool = False) -> None:
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if ok and not math.isfinite(float(value)):
        ok = False
    if ok and integer and float(value) != int(value):
        ok = False
    if not ok or float(value) < low:
        kind = "a whole number" if integer else "a number"
        raise InputError(f"{name} must be {kind} of at least {low:g}, not {value!r}")


def rank(
    data: Any,
    kind: str,
    method: str | Method,
    *,
    weights: str = "respondent",
    group_shares: Any = None,
    scale_max: float | None = None,
    bootstrap: int = 0,
    seed: int | None = None,
    confidence: float = 0.95,
    top_k: int | None = None,
    by_group: bool = False,
    min_group_size: int = 5,
    options: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RankResult:
    """Rank items from long-format data, with uncertainty, agreement and group breakdowns.

    Parameters
    ----------
    data : DataFrame or CSV source
        Long-format data of ``kind`` (see :func:`analysis.data.load`).
    kind : {"rating", "ranking", "pairwise", "bestworst", "ahp", "points"}
    method : str or Method
        A registered method name (``analysis.methods_for(kind)``) or a :class:`Method`.
    weights : {"respondent", "equal-groups", "post-stratified"}
        Weighting scheme (:mod:`analysis.weights`).
    group_shares : mapping or CSV source, optional
        Target shares per group, for ``post-stratified``.
    scale_max : float, optional
        Top of the rating scale (rating data; e.g. for ``top-box``).  Default: largest value.
    bootstrap : int
        Bootstrap replicates; 0 for none.
    seed : int, optional
        Seed of the bootstrap.
    confidence : float
        Interval coverage, between 0 and 1.
    top_k : int, optional
        ``p_top_k`` counts ranks ``<= top_k``; default ``min(3, n_items)``.
    by_group : bool
        Also rank within each group (groups below ``min_group_size`` suppressed).
    min_group_size : int
        Smallest group shown in a breakdown (default 5).
    options : mapping, optional
        Method options (see each method module's docstring).
    progress : callable, optional
        ``progress(done, total)``: bootstrap replicates done so far and in all (every bootstrap
        of the call together), called after every chunk of replicates (see
        :func:`analysis.uncertainty.bootstrap`) with increasing counts ending at ``total``;
        not called without a bootstrap.  A plain callable: the result is the same.

    Returns
    -------
    RankResult

    Raises
    ------
    InputError
        Bad data (with line and column), unknown kind or method, bad parameters.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.registry import Method
    >>> frame = pd.DataFrame({
    ...     "respondent": ["a", "a", "b", "b", "c", "c"],
    ...     "item": ["Park", "Library"] * 3,
    ...     "value": [5, 3, 4, 4, 5, 2],
    ... })
    >>> toy = Method("rating", "toy-mean",
    ...     lambda f, o: Profile("rating", ["Library", "Park"], np.array(["a", "b", "c"]),
    ...                          np.array(["all"] * 3),
    ...                          matrix=np.array([[3.0, 5.0], [4.0, 4.0], [2.0, 5.0]])),
    ...     lambda p, w, o: w @ p.matrix / w.sum(), "weighted mean")
    >>> result = rank(frame, "rating", toy)
    >>> result.items[["item", "score", "rank"]]
          item     score  rank
    0     Park  4.666667     1
    1  Library  3.000000     2
    >>> round(result.to_dict()["agreement"]["kendall_w"], 4)
    0.6667
    """
    if kind not in KINDS:
        raise InputError(f"unknown kind {kind!r} (choose from {', '.join(KINDS)})")
    if isinstance(method, Method):
        chosen = method
    else:
        try:
            chosen = get_method(kind, method)
        except KeyError as exc:
            raise InputError(str(exc.args[0])) from None
    _check_number("bootstrap", bootstrap, low=0, integer=True)
    _check_number("min_group_size", min_group_size, low=1, integer=True)
    _check_number("confidence", confidence, low=0)
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, not {confidence!r}")
    if top_k is not None:
        _check_number("top_k", top_k, low=1, integer=True)
    if seed is not None:
        _check_number("seed", seed, low=0, integer=True)
        seed = int(seed)
    opts = dict(options or {})
    if scale_max is not None:
        if kind != "rating":
            raise InputError("scale_max applies to rating data only")
        _check_number("scale_max", scale_max, low=0)
        opts["scale_max"] = float(scale_max)

    frame = load(data, kind)
    profile = chosen.prepare(frame, opts)
    groups = np.asarray(profile.groups, dtype=object)
    w = compute_weights(groups, weights, group_shares)
    n_items = profile.n_items
    k = min(int(top_k) if top_k is not None else DEFAULT_TOP_K, n_items)
    replicates = int(bootstrap)
    seed_sequence = np.random.SeedSequence(seed)
    labels_found, sizes = np.unique(groups, return_counts=True)
    labels = labels_found.tolist()
    shown, suppressed = split_by_size(
        dict(zip(labels, sizes.tolist(), strict=True)), int(min_group_size)
    )
    runs = 1 + (len(shown) if by_group else 0)

    items, _ = _item_table(
        chosen,
        profile,
        w,
        opts,
        replicates=replicates,
        seed=np.random.default_rng(seed_sequence),
        confidence=confidence,
        top_k=k,
        progress=_stage(progress, 0, runs, replicates),
    )

    matrix = profile.matrix if kind not in ("pairwise", "ahp") else None
    agreement = kendall_w(matrix) if matrix is not None else None

    consistency = None
    if kind == "ahp":
        from analysis.methods.ahp import consistency as ahp_consistency

        consistency = dict(ahp_consistency(profile, w, opts))

    differences = None
    if matrix is not None and len(labels) >= 2:
        high = opts.get("scale_max") if kind == "rating" else None
        differences = group_differences(
            matrix,
            groups,
            profile.items,
            higher_is_better=profile.matrix_higher_is_better,
            high=high,
        )

    group_results = None
    correlations = None
    if by_group:
        children = seed_sequence.spawn(len(labels))
        group_results = {}
        group_scores = {}
        for index, label in enumerate(labels):
            if label in suppressed:
                group_results[label] = GroupResult(n=None, suppressed=True)
                continue
            member = groups == label
            table, scores = _item_table(
                chosen,
                profile,
                member.astype(float),
                opts,
                replicates=replicates,
                seed=np.random.default_rng(children[index]),
                confidence=confidence,
                top_k=k,
                progress=_stage(progress, 1 + shown.index(label), runs, replicates),
            )
            group_scores[label] = scores if chosen.higher_is_better else -scores
            group_agreement = kendall_w(matrix[member]) if matrix is not None else None
            group_results[label] = GroupResult(
                n=int(member.sum()), suppressed=False, items=table, agreement=group_agreement
            )
        if len(shown) >= 2:
            correlations = group_rank_correlations(group_scores)

    return RankResult(
        kind=kind,
        method=chosen.name,
        weights=weights,
        n_respondents=profile.n_respondents,
        n_effective=kish_effective_n(w),
        n_groups=len(labels),
        items=items,
        agreement=agreement,
        consistency=consistency,
        groups=group_results,
        group_differences=differences,
        group_correlations=correlations,
        top_k=k,
        confidence=float(confidence),
        bootstrap=replicates,
        seed=seed,
        profile=profile,
    )
