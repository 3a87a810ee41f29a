"""Rating methods: mean, median, top-box (with Wilson intervals).

Hand-worked cases (working in the comments), independent implementations used only here
(numpy's median on duplicated answers, scipy's Wilson interval), and hypothesis properties.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from analysis.methods.rating import top_box_interval
from analysis.ranks import competition_rank
from analysis.registry import get_method, methods_for

METHODS = ["mean", "median", "top-box"]
SETTINGS = settings(max_examples=30, deadline=None)


def frame_of(values: dict[str, dict[str, float]], groups=None) -> pd.DataFrame:
    """Long rating frame from {respondent: {item: value}}."""
    return pd.DataFrame(
        [
            {"respondent": r, "group": (groups or {}).get(r, "all"), "item": i, "value": v}
            for r, answers in values.items()
            for i, v in answers.items()
        ]
    )


def scores(name, frame, weights=None, options=None):
    method = get_method("rating", name)
    profile = method.prepare(frame, options or {})
    w = np.ones(profile.n_respondents) if weights is None else np.asarray(weights, float)
    return method.scores(profile, w, options or {})


# Six respondents, three items, 1-5 scale, some answers missing ("don't know").
SMALL = {
    "r1": {"Bus": 1, "Library": 3, "Park": 5},
    "r2": {"Bus": 2, "Library": 4, "Park": 4},
    "r3": {"Bus": 1, "Park": 5},
    "r4": {"Bus": 3, "Library": 5, "Park": 2},
    "r5": {"Bus": 4, "Library": 5},
    "r6": {"Bus": 3, "Library": 4, "Park": 2},
}


def test_registered_with_summaries():
    assert set(METHODS) <= set(methods_for("rating"))
    for name in METHODS:
        method = get_method("rating", name)
        assert method.higher_is_better
        assert method.summary.strip().endswith(".")
        assert method.score_batch is not None
    assert get_method("rating", "top-box").interval is not None


def test_prepare_matrix_and_labels():
    profile = get_method("rating", "mean").prepare(frame_of(SMALL, {"r5": "NGO"}), {})
    assert profile.items == ["Bus", "Library", "Park"]
    assert profile.respondents.tolist() == ["r1", "r2", "r3", "r4", "r5", "r6"]
    assert profile.groups.tolist() == ["all"] * 4 + ["NGO", "all"]
    assert profile.matrix_higher_is_better is True
    assert np.isnan(profile.matrix[2, 1])
    assert profile.matrix[0].tolist() == [1, 3, 5]


def test_mean_median_top_box_hand_worked():
    # Bus:     1, 2, 1, 3, 4, 3   mean 14/6;  sorted 1 1 2 3 3 4 -> median (2 + 3) / 2 = 2.5;
    #          top two points of 1..5 = {4, 5}: 1 of 6
    # Library: 3, 4, 5, 5, 4      mean 21/5;  sorted 3 4 4 5 5   -> median 4;  top-box 4 of 5
    # Park:    5, 4, 5, 2, 2      mean 18/5;  sorted 2 2 4 5 5   -> median 4;  top-box 3 of 5
    frame = frame_of(SMALL)
    np.testing.assert_allclose(scores("mean", frame), [14 / 6, 21 / 5, 18 / 5])
    assert scores("median", frame).tolist() == [2.5, 4.0, 4.0]
    np.testing.assert_allclose(scores("top-box", frame), [1 / 6, 4 / 5, 3 / 5])
    # Library and Park tie on the median: competition ranks 3, 1, 1
    assert competition_rank(scores("median", frame)).tolist() == [3, 1, 1]


def test_top_box_scale_max_option():
    # on a 1..7 scale the top two points are 6 and 7: nobody reaches them here
    frame = frame_of(SMALL)
    assert scores("top-box", frame, options={"scale_max": 7}).tolist() == [0, 0, 0]
    # on 1..4 (scale_max 4) the top two points are 3 and 4 (a 5 also counts)
    np.testing.assert_allclose(
        scores("top-box", frame, options={"scale_max": 4}), [3 / 6, 5 / 5, 3 / 5]
    )


def test_weighted_median_convention():
    # values 1, 2, 3, 4 with weights 1, 1, 1, 1: running totals 1, 2, 3, 4; half = 2 is
    # reached exactly at 2 -> (2 + 3) / 2 = 2.5.
    # weights 1, 1, 3, 1: totals 1, 2, 5, 6; half = 3 first reached at 3 -> 3.
    # weights 0.5, 1.5, 1, 1: totals .5, 2, 3, 4; half = 2 exactly at 2 -> 2.5.
    # weights 2, 0, 0, 2: totals 2, 2, 2, 4; half = 2 exactly at 1, next value with positive
    # weight 4 -> 2.5 (as if the zero-weight answers were not there).
    # weights 0, 1, 1, 0: totals 0, 1, 2, 2; half = 1 exactly at 2 -> (2 + 3) / 2 = 2.5.
    frame = frame_of({f"r{k}": {"a": float(k)} for k in range(1, 5)})
    cases = [
        ([1, 1, 1, 1], 2.5),
        ([1, 1, 3, 1], 3.0),
        ([0.5, 1.5, 1, 1], 2.5),
        ([2, 0, 0, 2], 2.5),
        ([0, 1, 1, 0], 2.5),
        ([0, 0, 1, 0], 3.0),
    ]
    for weights, expected in cases:
        assert scores("median", frame, weights).tolist() == [expected]


@pytest.mark.parametrize("seed", range(5))
def test_weighted_median_equals_numpy_median_of_duplicated_answers(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 15))
    values = rng.integers(1, 6, size=n).astype(float)
    counts = rng.integers(1, 4, size=n)
    frame = frame_of({f"r{k:02d}": {"a": v} for k, v in enumerate(values)})
    expected = np.median(np.repeat(values, counts))
    assert scores("median", frame, counts.astype(float)).tolist() == [expected]


def test_missing_answers_are_skipped_and_nan_values_are_missing():
    frame = frame_of({"r1": {"a": 5, "b": np.nan}, "r2": {"a": 3, "b": 4}})
    np.testing.assert_allclose(scores("mean", frame), [4, 4])
    np.testing.assert_allclose(scores("median", frame), [4, 4])
    np.testing.assert_allclose(scores("top-box", frame), [0.5, 1])


def test_item_whose_answers_all_have_zero_weight_ranks_last_with_a_finite_score():
    # item b is answered only by r1; with r1's weight 0 it gets the bottom of the scale
    # (the smallest value observed, 1) for mean and median, and 0 for top-box.
    frame = frame_of({"r1": {"a": 3, "b": 5}, "r2": {"a": 1}, "r3": {"a": 5}})
    w = [0.0, 1.0, 1.0]
    assert scores("mean", frame, w).tolist() == [3.0, 1.0]
    assert scores("median", frame, w).tolist() == [3.0, 1.0]
    assert scores("top-box", frame, w).tolist() == [0.5, 0.0]
    assert scores("mean", frame, w, {"scale_min": 0}).tolist() == [3.0, 0.0]
    method = get_method("rating", "top-box")
    profile = method.prepare(frame, {})
    low, high = top_box_interval(profile, np.array(w), {}, 0.95)
    assert (low[1], high[1]) == (0.0, 1.0)


@pytest.mark.parametrize(("hits", "n"), [(8, 10), (0, 7), (7, 7), (3, 25), (1, 2)])
def test_wilson_interval_matches_scipy(hits, n):
    values = {f"r{k:02d}": {"a": 5.0 if k < hits else 1.0} for k in range(n)}
    profile = get_method("rating", "top-box").prepare(frame_of(values), {"scale_max": 5})
    for confidence in (0.9, 0.95):
        low, high = top_box_interval(profile, np.ones(n), {"scale_max": 5}, confidence)
        ci = binomtest(hits, n).proportion_ci(confidence_level=confidence, method="wilson")
        np.testing.assert_allclose([low[0], high[0]], [ci.low, ci.high], atol=1e-12)


def test_wilson_interval_uses_kish_effective_n():
    # 4 respondents answer: weights 3, 1, 1, 1 -> n_eff = 6**2 / 12 = 3; the top-box
    # respondent has weight 3 -> weighted share 3 / 6 = 0.5.  Same interval as 1.5 of 3.
    # Wilson with p = .5, n = 3, z = 1.959964: centre .5, half-width
    #   z / (1 + z^2/3) * sqrt(.25/3 + z^2/36) = 0.3747 -> (0.1253, 0.8747).
    frame = frame_of({"r1": {"a": 5.0}, "r2": {"a": 1.0}, "r3": {"a": 1.0}, "r4": {"a": 2.0}})
    profile = get_method("rating", "top-box").prepare(frame, {})
    low, high = top_box_interval(profile, np.array([3.0, 1.0, 1.0, 1.0]), {}, 0.95)
    z = 1.959963984540054
    half = z / (1 + z**2 / 3) * np.sqrt(0.25 / 3 + z**2 / 36)
    np.testing.assert_allclose([low[0], high[0]], [0.5 - half, 0.5 + half])
    assert round(float(low[0]), 4) == 0.1253
    # equal weights of any size give the unweighted interval
    low2, high2 = top_box_interval(profile, np.full(4, 2.5), {}, 0.95)
    ci = binomtest(1, 4).proportion_ci(confidence_level=0.95, method="wilson")
    np.testing.assert_allclose([low2[0], high2[0]], [ci.low, ci.high])


def test_arabic_and_turkish_labels_are_kept_exactly():
    values = {
        "r1": {"İstanbul": 5, "istanbul": 1, "بيانات": 3, "Işık": 4},
        "r2": {"İstanbul": 4, "istanbul": 2, "بيانات": 3, "Işık": 5},
    }
    profile = get_method("rating", "mean").prepare(frame_of(values), {})
    assert profile.items == sorted(["İstanbul", "istanbul", "بيانات", "Işık"])
    got = dict(zip(profile.items, scores("mean", frame_of(values)).tolist(), strict=True))
    assert got == {"İstanbul": 4.5, "istanbul": 1.5, "بيانات": 3.0, "Işık": 4.5}


@pytest.mark.parametrize("name", METHODS)
def test_fractional_weights_equal_duplicated_respondents_and_zero_equals_dropped(name):
    rng = np.random.default_rng(3)
    values = {
        f"r{k}": {i: float(rng.integers(1, 6)) for i in "abcd" if rng.random() < 0.8}
        for k in range(8)
    }
    values = {r: v for r, v in values.items() if v}
    values["r0"] = dict.fromkeys("abcd", 3.0)
    counts = rng.integers(0, 4, size=len(values)).astype(float)
    counts[0] = 1.0
    duplicated = {
        f"{r}-{c}": answers
        for (r, answers), k in zip(values.items(), counts, strict=True)
        for c in range(int(k))
    }
    expected = scores(name, frame_of(duplicated))
    np.testing.assert_allclose(scores(name, frame_of(values), counts), expected)
    np.testing.assert_allclose(scores(name, frame_of(values), counts * 0.37), expected)


@pytest.mark.parametrize("name", METHODS)
def test_batch_equals_one_replicate_at_a_time(name):
    rng = np.random.default_rng(4)
    values = {
        f"r{k:02d}": {i: float(rng.integers(1, 6)) for i in "abcde" if rng.random() < 0.7}
        for k in range(30)
    }
    values["r00"] = dict.fromkeys("abcde", 1.0)
    method = get_method("rating", name)
    profile = method.prepare(frame_of(values), {})
    n = profile.n_respondents
    weights = np.vstack(
        [
            rng.multinomial(n, np.ones(n) / n, size=5).astype(float),
            rng.uniform(0, 2, size=(3, n)),
            np.zeros((1, n)),
        ]
    )
    batch = method.scores_batch(profile, weights, {})
    assert np.all(np.isfinite(batch))
    one_by_one = np.vstack([method.scores(profile, w, {}) for w in weights])
    np.testing.assert_array_equal(batch, one_by_one)


def test_batch_chunks_give_the_same_answer(monkeypatch):
    import analysis.methods.rating as rating

    rng = np.random.default_rng(5)
    values = {f"r{k}": {i: float(rng.integers(1, 6)) for i in "abc"} for k in range(12)}
    method = get_method("rating", "median")
    profile = method.prepare(frame_of(values), {})
    weights = rng.uniform(0, 2, size=(7, 12))
    whole = method.scores_batch(profile, weights, {})
    monkeypatch.setattr(rating, "_CHUNK_FLOATS", 10)
    np.testing.assert_array_equal(method.scores_batch(profile, weights, {}), whole)


@pytest.mark.parametrize("name", METHODS)
def test_unanimous_ratings_rank_in_that_order(name):
    values = {f"r{k}": {"c": 5.0, "a": 4.0, "d": 2.0, "b": 1.0} for k in range(3)}
    got = competition_rank(scores(name, frame_of(values)))
    # items sorted a, b, c, d; top-box ties a and c (both in the top two points), b and d (0)
    expected = {"mean": [2, 4, 1, 3], "median": [2, 4, 1, 3], "top-box": [1, 3, 1, 3]}[name]
    assert got.tolist() == expected


# ------------------------------------------------------------------------------------------
# properties

answers = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d"]), st.integers(1, 5).map(float), min_size=1
)


@pytest.mark.parametrize("name", METHODS)
@SETTINGS
@given(table=st.lists(answers, min_size=1, max_size=8), perm_seed=st.integers(0, 2**16))
def test_relabelling_items_permutes_the_result(name, table, perm_seed):
    values = {f"r{k}": v for k, v in enumerate(table)}
    pool = ["İstanbul", "istanbul", "بيانات", "Işık", "z"]
    targets = np.random.default_rng(perm_seed).permutation(pool)[:4].tolist()
    rename = dict(zip("abcd", targets, strict=True))
    renamed = {r: {rename[i]: x for i, x in v.items()} for r, v in values.items()}
    m = get_method("rating", name)
    before_p, after_p = m.prepare(frame_of(values), {}), m.prepare(frame_of(renamed), {})
    before = dict(zip(before_p.items, scores(name, frame_of(values)).tolist(), strict=True))
    after = dict(zip(after_p.items, scores(name, frame_of(renamed)).tolist(), strict=True))
    assert {rename[i]: s for i, s in before.items()} == pytest.approx(after, abs=1e-12)


@pytest.mark.parametrize("name", METHODS)
@SETTINGS
@given(table=st.lists(answers, min_size=1, max_size=8))
def test_duplicating_every_respondent_leaves_scores_unchanged(name, table):
    values = {f"r{k}": v for k, v in enumerate(table)}
    doubled = {**values, **{f"s{k}": v for k, v in enumerate(table)}}
    once, twice = scores(name, frame_of(values)), scores(name, frame_of(doubled))
    np.testing.assert_allclose(twice, once, atol=1e-12)
    assert competition_rank(twice).tolist() == competition_rank(once).tolist()
