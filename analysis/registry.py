"""Registry of priority-ranking methods: one signature for every method, looked up by name.

A method is two functions:

``prepare(frame, options) -> Profile``
    Validate nothing (``analysis.data`` already did), aggregate a long-format frame of one
    *kind* into per-respondent numpy arrays (count matrices, value matrices, ...).
``score(profile, weights, options) -> ndarray``
    One score per item (``profile.items`` order) for respondent weights of shape
    ``(n_respondents,)``.  Weights are non-negative; a bootstrap replicate is simply another
    weight vector (original weight x multinomial resampling count), so ``score`` must honour
    fractional weights and zero weights.

``score_batch(profile, weights_matrix, options) -> ndarray`` of shape ``(B, n_items)`` is
optional; the default loops over rows of ``weights_matrix``.  Methods used with many bootstrap
replicates (Schulze, Borda, Bradley-Terry) provide a vectorised one.

``interval(profile, weights, options, confidence) -> (low, high)`` is optional: an analytic
interval for the scores (e.g. Wilson intervals for ``top-box``), used when no bootstrap is asked.

Scores are finite floats.  ``higher_is_better`` says how scores order items (``mean-rank`` is
the one method where a lower score is better); ``analysis.ranks.competition_rank`` turns scores
into ranks with ties explicit (1, 2, 2, 4).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

KINDS = ("rating", "ranking", "pairwise", "bestworst", "ahp", "points")


@dataclass
class Profile:
    """Per-respondent aggregate of one kind of data, the input of every method.

    Attributes
    ----------
    kind : str
        One of ``KINDS``.
    items : list of str
        Item labels, in the order of every score array.
    respondents : ndarray
        Respondent ids (object array), one per row of the respondent arrays.
    groups : ndarray
        Stakeholder group label per respondent (object array); ``"all"`` when the input had no
        ``group`` column.
    matrix : ndarray or None
        ``(n_respondents, n_items)`` float matrix of per-respondent item values where the kind
        has one (rating: value; ranking: rank with unranked items tied below the ranked ones;
        points: points; bestworst: best-minus-worst count per appearance), NaN where missing.
        Higher is better for rating, points and bestworst; lower is better for ranking.
        Used by agreement (Kendall's W) and group-difference tests. None for pairwise and ahp.
    data : dict
        Method-specific arrays (e.g. per-respondent pairwise win counts).
    """

    kind: str
    items: list[str]
    respondents: np.ndarray
    groups: np.ndarray
    matrix: np.ndarray | None = None
    matrix_higher_is_better: bool = True
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_respondents(self) -> int:
        return len(self.respondents)


Options = Mapping[str, Any]
PrepareFn = Callable[[Any, Options], Profile]
ScoreFn = Callable[[Profile, np.ndarray, Options], np.ndarray]
BatchFn = Callable[[Profile, np.ndarray, Options], np.ndarray]
IntervalFn = Callable[[Profile, np.ndarray, Options, float], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Method:
    """A registered ranking method."""

    kind: str
    name: str
    prepare: PrepareFn
    score: ScoreFn
    summary: str
    higher_is_better: bool = True
    score_batch: BatchFn | None = None
    interval: IntervalFn | None = None

    def scores(self, profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
        """Scores for one weight vector, checked finite."""
        out = np.asarray(self.score(profile, weights, options), dtype=float)
        if out.shape != (profile.n_items,) or not np.all(np.isfinite(out)):
            raise ArithmeticError(f"{self.kind}/{self.name} produced non-finite scores")
        return out

    def scores_batch(self, profile: Profile, weights: np.ndarray, options: Options) -> np.ndarray:
        """Scores for each row of a ``(B, n_respondents)`` weight matrix."""
        if self.score_batch is not None:
            return np.asarray(self.score_batch(profile, weights, options), dtype=float)
        return np.vstack([self.score(profile, w, options) for w in weights])


_REGISTRY: dict[tuple[str, str], Method] = {}


def register(
    kind: str,
    name: str,
    *,
    prepare: PrepareFn,
    summary: str,
    higher_is_better: bool = True,
    score_batch: BatchFn | None = None,
    interval: IntervalFn | None = None,
) -> Callable[[ScoreFn], ScoreFn]:
    """Decorator registering ``score`` under ``(kind, name)``."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")

    def decorator(score: ScoreFn) -> ScoreFn:
        existing = _REGISTRY.get((kind, name))
        if existing is not None and _origin(existing.score) != _origin(score):
            raise ValueError(f"method {kind}/{name} registered twice")
        _REGISTRY[(kind, name)] = Method(
            kind, name, prepare, score, summary, higher_is_better, score_batch, interval
        )
        return score

    return decorator


def _origin(fn: Callable[..., Any]) -> tuple[str, str]:
    # the same function imported twice (pytest's importlib mode) may register again
    return (getattr(fn, "__module__", ""), getattr(fn, "__qualname__", ""))


def get_method(kind: str, name: str) -> Method:
    """The method registered as ``name`` for ``kind``; ``KeyError`` with the choices if none."""
    _load_builtin_methods()
    try:
        return _REGISTRY[(kind, name)]
    except KeyError:
        choices = ", ".join(methods_for(kind)) or "none"
        message = f"unknown method {name!r} for kind {kind!r} (choose from {choices})"
        raise KeyError(message) from None


def methods_for(kind: str) -> list[str]:
    """Names of the methods registered for ``kind``, in registration order."""
    _load_builtin_methods()
    return [name for (k, name) in _REGISTRY if k == kind]


def _load_builtin_methods() -> None:
    import analysis.methods  # noqa: F401  (registers the built-in methods on import)
