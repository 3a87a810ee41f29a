"""Progress of long bootstraps: a plain ``progress(done, total)`` callable, results unchanged."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import analysis
from analysis.uncertainty import PROGRESS_STEP, bootstrap

from .conftest import TOY_MEAN, rating_frame, toy_prepare


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


@pytest.mark.parametrize("replicates", [1, 7, 300, 1000])
def test_bootstrap_reports_every_few_percent_and_keeps_its_result(replicates):
    frame = rating_groups()
    profile = toy_prepare(frame, {})
    weights = np.ones(profile.n_respondents)
    calls, progress = record()

    quiet = bootstrap(TOY_MEAN, profile, weights, replicates=replicates, seed=3)
    loud = bootstrap(TOY_MEAN, profile, weights, replicates=replicates, seed=3, progress=progress)

    done = [d for d, _ in calls]
    assert {t for _, t in calls} == {replicates}
    assert done[0] == 0
    assert done[-1] == replicates
    assert all(b > a for a, b in zip(done, done[1:], strict=False))  # strictly increasing
    step = max(1, math.ceil(replicates * PROGRESS_STEP))
    assert max(b - a for a, b in zip(done, done[1:], strict=False)) <= step
    if replicates >= 300:
        assert len(calls) >= 1 / PROGRESS_STEP  # every ~2 %, not once per default chunk
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
    assert all(b > a for a, b in zip(done, done[1:], strict=False))
    assert {200, 400} <= set(done)  # each bootstrap ends where the next one starts
    assert json.dumps(quiet.to_dict(), sort_keys=True) == json.dumps(
        loud.to_dict(), sort_keys=True
    )


def test_rank_without_a_bootstrap_reports_nothing():
    calls, progress = record()
    result = analysis.rank(rating_groups(), "rating", "mean", progress=progress, by_group=True)
    assert result.bootstrap == 0
    assert calls == []
