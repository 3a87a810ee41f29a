"""Bootstrap: stratified resampling, reproducibility, percentile and rank intervals, top-k."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.ranks import competition_rank
from analysis.uncertainty import (
    CHUNK_BYTES,
    _chunk_size,
    bootstrap,
    percentile_interval,
    replicate_weights,
)

from .conftest import TOY_MEAN, rating_frame, toy_prepare

GROUPS = np.array(["b", "a", "b", "a", "b", "c"], dtype=object)


def reference_weights(groups, weights, replicates, seed):
    """The pinned algorithm, one replicate and one slot at a time."""
    rng = np.random.default_rng(seed)
    labels = sorted(set(groups.tolist()))
    members = {g: [i for i in range(len(groups)) if groups[i] == g] for g in labels}
    active = [g for g in labels if any(weights[i] > 0 for i in members[g])]
    out = np.zeros((replicates, len(groups)))
    for b in range(replicates):
        u = rng.random(sum(len(members[g]) for g in active))
        j = 0
        for g in active:
            for _ in members[g]:
                out[b, members[g][int(u[j] * len(members[g]))]] += 1
                j += 1
    return out * weights


def stacked(groups, weights, replicates, seed, chunk=None):
    rng = np.random.default_rng(seed)
    return np.vstack(list(replicate_weights(groups, weights, replicates, rng, chunk)))


def test_replicate_weights_follow_the_pinned_algorithm():
    weights = np.array([1.0, 2.0, 1.0, 2.0, 1.0, 0.5])
    expected = reference_weights(GROUPS, weights, 25, seed=11)
    assert np.array_equal(stacked(GROUPS, weights, 25, 11), expected)


@pytest.mark.parametrize("chunk", [1, 3, 7, 100])
def test_chunk_size_does_not_change_the_draws(chunk):
    weights = np.ones(6)
    assert np.array_equal(stacked(GROUPS, weights, 20, 5, chunk), stacked(GROUPS, weights, 20, 5))


def test_group_sizes_are_fixed_in_every_replicate():
    w = stacked(GROUPS, np.ones(6), 200, 3)
    for g, size in (("a", 2), ("b", 3), ("c", 1)):
        assert np.all(w[:, g == GROUPS].sum(axis=1) == size)
    # the single member of group c is always drawn once
    assert np.all(w[:, 5] == 1)
    # each respondent is drawn once on average
    assert w.mean(axis=0) == pytest.approx(np.ones(6), abs=0.15)


def test_groups_with_zero_weight_are_not_resampled():
    weights = np.where(GROUPS == "b", 1.0, 0.0)
    w = stacked(GROUPS, weights, 10, 2)
    assert np.all(w[:, GROUPS != "b"] == 0)
    assert np.all(w.sum(axis=1) == 3)


def test_chunks_stay_within_the_memory_bound():
    n = 10_000
    assert _chunk_size(n) * n * 8 <= CHUNK_BYTES
    assert _chunk_size(10) >= 1


def test_percentile_interval_is_numpy_linear():
    values = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    low, high = percentile_interval(values, 0.9)
    # R: quantile(x, c(0.05, 0.95), type = 7) -> 1.00, 7.95
    assert (low, high) == pytest.approx((1.0, 7.95))
    assert (low, high) == pytest.approx(tuple(np.quantile(values, [0.05, 0.95])))


@pytest.fixture
def profile():
    values = {
        f"r{i}": {"A": 5 - (i % 3 == 0), "B": 3 + (i % 4 == 0), "C": 1 + (i % 2)} for i in range(12)
    }
    groups = {f"r{i}": "g1" if i < 8 else "g2" for i in range(12)}
    return toy_prepare(rating_frame(values, groups), {})


def test_bootstrap_summaries_match_a_direct_computation(profile):
    base = np.ones(profile.n_respondents)
    result = bootstrap(TOY_MEAN, profile, base, replicates=300, seed=42, top_k=1, chunk=64)
    w = reference_weights(profile.groups, base, 300, 42)
    scores = np.vstack([TOY_MEAN.scores(profile, row, {}) for row in w])
    np.testing.assert_allclose(result.scores, scores, rtol=0, atol=1e-12)
    ranks = competition_rank(scores)
    assert np.array_equal(result.ranks, ranks)
    np.testing.assert_allclose(result.ci_low, np.quantile(scores, 0.025, axis=0))
    np.testing.assert_allclose(result.ci_high, np.quantile(scores, 0.975, axis=0))
    assert np.array_equal(result.rank_ci_low, np.floor(np.quantile(ranks, 0.025, axis=0)))
    assert np.array_equal(result.rank_ci_high, np.ceil(np.quantile(ranks, 0.975, axis=0)))
    assert np.array_equal(result.p_top_k, (ranks <= 1).mean(axis=0))
    assert result.replicates == 300


def test_same_seed_same_result_different_seed_different(profile):
    base = np.ones(profile.n_respondents)
    one = bootstrap(TOY_MEAN, profile, base, replicates=100, seed=1)
    again = bootstrap(TOY_MEAN, profile, base, replicates=100, seed=1, chunk=7)
    other = bootstrap(TOY_MEAN, profile, base, replicates=100, seed=2)
    assert np.array_equal(one.scores, again.scores)
    assert np.array_equal(one.ci_low, again.ci_low)
    assert not np.array_equal(one.scores, other.scores)


def test_rank_intervals_are_whole_and_contain_the_point_rank(profile):
    base = np.ones(profile.n_respondents)
    result = bootstrap(TOY_MEAN, profile, base, replicates=200, seed=9, top_k=2)
    point = competition_rank(TOY_MEAN.scores(profile, base, {}))
    assert result.rank_ci_low.dtype.kind == "i"
    assert np.all(result.rank_ci_low <= point)
    assert np.all(point <= result.rank_ci_high)
    assert np.all((result.p_top_k >= 0) & (result.p_top_k <= 1))
    # item A (mean near 4.7) is always first; C (mean 1.5) never in the top 2
    assert result.p_top_k.tolist()[0] == 1.0
    assert result.p_top_k.tolist()[2] == 0.0


def test_bootstrap_parameters_are_checked(profile):
    base = np.ones(profile.n_respondents)
    with pytest.raises(ValueError, match="replicates"):
        bootstrap(TOY_MEAN, profile, base, replicates=0)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap(TOY_MEAN, profile, base, replicates=5, confidence=1.5)
