"""Fixtures and helpers for the analysis-engine tests (pure: no app, no database)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.registry import Method, Profile, methods_for

DATA = Path(__file__).parent / "data"


def toy_prepare(frame: pd.DataFrame, options) -> Profile:
    """A rating profile: respondents sorted, items sorted, value matrix with NaN if missing."""
    respondents = sorted(set(frame["respondent"]))
    items = sorted(set(frame["item"]))
    r = pd.Index(respondents).get_indexer(frame["respondent"])
    i = pd.Index(items).get_indexer(frame["item"])
    matrix = np.full((len(respondents), len(items)), np.nan)
    matrix[r, i] = frame["value"].to_numpy(dtype=float)
    groups = np.empty(len(respondents), dtype=object)
    groups[r] = frame["group"].to_numpy(dtype=object)
    return Profile("rating", items, np.array(respondents, dtype=object), groups, matrix=matrix)


def toy_score(profile: Profile, weights: np.ndarray, options) -> np.ndarray:
    return toy_batch(profile, np.asarray(weights, float)[None, :], options)[0]


def toy_batch(profile: Profile, weights: np.ndarray, options) -> np.ndarray:
    """Weighted mean per item, ignoring missing values (0 where nobody answered)."""
    present = ~np.isnan(profile.matrix)
    values = np.where(present, profile.matrix, 0.0)
    totals = weights @ present
    sums = weights @ values
    return np.where(totals > 0, sums / np.where(totals > 0, totals, 1), 0.0)


def toy_interval(profile, weights, options, confidence):
    scores = toy_score(profile, weights, options)
    return scores - 1.0, scores + 1.0


TOY_MEAN = Method("rating", "toy-mean", toy_prepare, toy_score, "weighted mean", True, toy_batch)
TOY_MEAN_INTERVAL = Method(
    "rating", "toy-mean-ci", toy_prepare, toy_score, "mean, +-1", True, toy_batch, toy_interval
)


def needs(kind: str, name: str) -> None:
    """Skip the calling test while a method is not registered yet."""
    if name not in methods_for(kind):
        pytest.skip(f"method {kind}/{name} not registered yet")


def rating_frame(values: dict[str, dict[str, float]], groups: dict[str, str] | None = None):
    """Long rating frame from {respondent: {item: value}}."""
    rows = [
        {"respondent": r, "group": (groups or {}).get(r, "all"), "item": i, "value": v}
        for r, answers in values.items()
        for i, v in answers.items()
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def small_rating() -> pd.DataFrame:
    """Six respondents in two groups rating three items on 1-5."""
    values = {
        "n1": {"Park": 5, "Library": 3, "Bus": 1},
        "n2": {"Park": 4, "Library": 4, "Bus": 2},
        "n3": {"Park": 5, "Library": 2, "Bus": 1},
        "a1": {"Park": 2, "Library": 5, "Bus": 3},
        "a2": {"Park": 1, "Library": 5, "Bus": 4},
        "a3": {"Park": 2, "Library": 4, "Bus": 3},
    }
    groups = {r: ("NGO" if r.startswith("n") else "Academic") for r in values}
    return rating_frame(values, groups)
