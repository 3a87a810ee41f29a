"""Progress of long bootstraps: a plain ``progress(done, total)`` callable, results unchanged."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

import analysis
from analysis.uncertainty import MAX_CHUNK, bootstrap

from .conftest import DATA, TOY_MEAN, rating_frame, toy_prepare


def rating_groups():
    """Nine respondents: NGO (4), Academic (4) and Donor (1) rating three items."""
    rng = np.random.default_rng(5)
    values, groups = {}, {}
    for index, group in enumerate(["NGO"] * 4 + ["Academic"] * 4 + ["Donor"]):
        respondent = f"r{index}"
        values[respondent] = {item: int(rng.integers(1, 6)) for item in ("Park", "Library", "Bus")}
        groups[respondent] = group
    return rating_frame(values, groups)


def record():
    calls: list[tuple[int, int]] = []
    return calls, lambda done, total: calls.append((done, total))


@pytest.mark.parametrize(
    ("replicates", "chunk", "expected"),
    [
        (1, None, [0, 1]),
        (7, 3, [0, 3, 6, 7]),
        (1000, None, [0, 250, 500, 750, 1000]),  # chunks of MAX_CHUNK
        (300, 20, list(range(0, 301, 20))),
    ],
)
def test_bootstrap_reports_after_every_chunk_and_keeps_its_result(replicates, chunk, expected):
    frame = rating_groups()
    profile = toy_prepare(frame, {})
    weights = np.ones(profile.n_respondents)
    calls, progress = record()

    quiet = bootstrap(TOY_MEAN, profile, weights, replicates=replicates, seed=3, chunk=chunk)
    loud = bootstrap(
        TOY_MEAN, profile, weights, replicates=replicates, seed=3, chunk=chunk, progress=progress
    )

    assert MAX_CHUNK == 250
    assert calls == [(d, replicates) for d in expected]  # increasing, ending at the total
    for name in ("scores", "ranks", "ci_low", "ci_high", "rank_ci_low", "rank_ci_high", "p_top_k"):
        assert np.array_equal(getattr(quiet, name), getattr(loud, name)), name


def test_rank_counts_every_bootstrap_of_the_call_together():
    frame = rating_groups()
    calls, progress = record()
    options = {"bootstrap": 200, "seed": 4, "by_group": True, "min_group_size": 3}

    quiet = analysis.rank(frame, "rating", "mean", **options)
    loud = analysis.rank(frame, "rating", "mean", progress=progress, **options)

    # the overall bootstrap and those of the two shown groups (Donor is suppressed)
    assert loud.to_dict()["groups"]["Donor"]["suppressed"]
    total = 3 * 200
    assert {t for _, t in calls} == {total}
    done = [d for d, _ in calls]
    assert done[0] == 0
    assert done[-1] == total
    assert all(b > a for a, b in itertools.pairwise(done))
    assert done == [0, 200, 400, 600]  # one chunk each; a bootstrap starts where one ended
    assert json.dumps(quiet.to_dict(), sort_keys=True) == json.dumps(loud.to_dict(), sort_keys=True)


def test_rank_without_a_bootstrap_reports_nothing():
    calls, progress = record()
    result = analysis.rank(rating_groups(), "rating", "mean", progress=progress, by_group=True)
    assert result.bootstrap == 0
    assert calls == []


def test_a_model_fitted_per_chunk_gives_the_same_digits_with_progress():
    """Plackett-Luce warm-starts each chunk: progress must not change the chunks."""
    calls, progress = record()
    options = {"bootstrap": 300, "seed": 8}
    ranking = DATA / "ranking_groups.csv"
    quiet = analysis.rank(ranking, "ranking", "plackett-luce", **options)
    loud = analysis.rank(ranking, "ranking", "plackett-luce", progress=progress, **options)
    assert [d for d, _ in calls] == [0, 250, 300]
    assert json.dumps(quiet.to_dict()) == json.dumps(loud.to_dict())
