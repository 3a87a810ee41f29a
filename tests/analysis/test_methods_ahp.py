"""AHP: priorities, group aggregation, incomplete matrices and consistency (against ahpy)."""

from __future__ import annotations

import itertools

import ahpy
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.methods import ahp
from analysis.ranks import competition_rank
from analysis.registry import get_method, methods_for

METHODS = ("eigenvector", "geometric-mean")

# Saaty, T. L. (2008). Decision making with the analytic hierarchy process. Int. J. Services
# Sciences 1(1): 83-98, Table 2 ("Which drink is consumed more in the U.S.?").  Published
# derived priorities: coffee .177, wine .019, tea .042, beer .116, sodas .190, milk .129,
# water .327.
DRINKS = {
    ("coffee", "wine"): 9, ("coffee", "tea"): 5, ("coffee", "beer"): 2, ("coffee", "soda"): 1,
    ("coffee", "milk"): 1, ("coffee", "water"): 1 / 2,
    ("wine", "tea"): 1 / 3, ("wine", "beer"): 1 / 9, ("wine", "soda"): 1 / 9,
    ("wine", "milk"): 1 / 9, ("wine", "water"): 1 / 9,
    ("tea", "beer"): 1 / 3, ("tea", "soda"): 1 / 4, ("tea", "milk"): 1 / 3, ("tea", "water"): 1 / 9,
    ("beer", "soda"): 1 / 2, ("beer", "milk"): 1, ("beer", "water"): 1 / 3,
    ("soda", "milk"): 2, ("soda", "water"): 1 / 2,
    ("milk", "water"): 1 / 3,
}  # fmt: skip
DRINKS_PUBLISHED = {
    "coffee": 0.177, "wine": 0.019, "tea": 0.042, "beer": 0.116,
    "soda": 0.190, "milk": 0.129, "water": 0.327,
}  # fmt: skip

# Saaty, T. L. (1990). How to make a decision: the analytic hierarchy process. European Journal
# of Operational Research 48: 9-26, Table 2 (criteria for buying a house: size, transportation,
# neighbourhood, age, yard, modern facilities, general condition, financing).  Published:
# lambda_max = 9.669, C.I. = 0.238, C.R. = 0.169.
HOUSE = [
    "1 5 3 7 6 6 1/3 1/4",
    "1/5 1 1/3 5 3 3 1/5 1/7",
    "1/3 3 1 6 3 4 6 1/5",
    "1/7 1/5 1/6 1 1/3 1/4 1/7 1/8",
    "1/6 1/3 1/3 3 1 1/2 1/5 1/6",
    "1/6 1/3 1/4 4 2 1 1/5 1/6",
    "3 5 1/6 7 5 5 1 1/2",
    "4 7 5 8 6 6 2 1",
]

SAATY_1980_RI = {3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}
AHPY_SAATY_RI = {3: 0.52, 4: 0.89, 5: 1.11, 6: 1.25, 7: 1.35, 8: 1.40, 9: 1.45, 10: 1.49}


def make_frame(judgements, respondent="r1"):
    """judgements: {(a, b): value} or (respondent, a, b, value) tuples."""
    if isinstance(judgements, dict):
        judgements = [(respondent, a, b, v) for (a, b), v in judgements.items()]
    frame = pd.DataFrame(judgements, columns=["respondent", "item_a", "item_b", "value"])
    frame.insert(1, "group", "all")
    return frame


def matrix_judgements(rows, labels):
    def parse(x):
        num, _, den = x.partition("/")
        return float(num) / float(den or 1)

    values = [[parse(x) for x in row.split()] for row in rows]
    return {
        (labels[i], labels[j]): values[i][j]
        for i, j in itertools.combinations(range(len(labels)), 2)
    }


def scores(method, frame, weights=None, options=None):
    m = get_method("ahp", method)
    profile = m.prepare(frame, options or {})
    w = np.ones(profile.n_respondents) if weights is None else np.asarray(weights, float)
    return profile, m.scores(profile, w, options or {})


def test_registered_with_summaries():
    assert set(METHODS) <= set(methods_for("ahp"))
    for name in METHODS:
        assert get_method("ahp", name).summary.endswith(".")


def test_random_index_is_saaty_1980():
    for n, ri in SAATY_1980_RI.items():
        assert ahp.random_index(n) == ri
    assert ahp.random_index(1) == ahp.random_index(2) == 0.0
    assert ahp.random_index(25) == 1.49


# --- published examples and ahpy -------------------------------------------------------------


def test_saaty_2008_drinks_priorities_as_published():
    profile, p = scores("eigenvector", make_frame(DRINKS))
    for item, published in DRINKS_PUBLISHED.items():
        assert round(p[profile.items.index(item)], 3) == published


def test_drinks_priorities_and_consistency_match_ahpy():
    profile, p = scores("eigenvector", make_frame(DRINKS))
    ref = ahpy.Compare("drinks", DRINKS, precision=12, random_index="saaty")
    np.testing.assert_allclose(p, [ref.target_weights[x] for x in profile.items], atol=1e-9)
    cons = ahp.consistency(profile, np.ones(1), {})
    # ahpy uses Saaty's 2005 RI table; compare consistency indices
    assert cons["ci"] == pytest.approx(ref.consistency_ratio * AHPY_SAATY_RI[7], abs=1e-9)
    assert cons["cr"] == pytest.approx(cons["ci"] / 1.32)


def test_saaty_1990_house_consistency_as_published_and_priorities_match_ahpy():
    labels = [f"c{k}" for k in range(1, 9)]
    judgements = matrix_judgements(HOUSE, labels)
    profile, p = scores("eigenvector", make_frame(judgements))
    cons = ahp.consistency(profile, np.ones(1), {})
    assert round(cons["lambda_max"], 3) == 9.669
    assert round(cons["ci"], 3) == 0.238
    assert round(cons["cr"], 3) == 0.169
    ref = ahpy.Compare("house", judgements, precision=12, random_index="saaty")
    np.testing.assert_allclose(p, [ref.target_weights[x] for x in profile.items], atol=1e-9)
    assert ahp.respondent_consistency(profile)[0] == pytest.approx(cons["cr"])


def test_geometric_mean_is_the_row_geometric_mean_on_complete_matrices():
    labels = [f"c{k}" for k in range(1, 9)]
    profile, p = scores("geometric-mean", make_frame(matrix_judgements(HOUSE, labels)))
    mat = ahp.aggregate_matrix(profile, np.ones(1))
    rgm = np.exp(np.log(mat).mean(axis=1))
    np.testing.assert_allclose(p, rgm / rgm.sum(), rtol=1e-12)


# --- group aggregation -----------------------------------------------------------------------


def test_weighted_geometric_mean_of_judgements_over_those_who_judged():
    frame = make_frame(
        [
            ("r1", "a", "b", 9.0),
            ("r2", "b", "a", 3.0),  # reversed order: a/b = 1/3
            ("r1", "b", "c", 2.0),
            ("r3", "a", "c", 4.0),  # r3 did not judge a-b or b-c
        ]
    )
    profile = ahp.prepare_ahp(frame, {})
    mat = ahp.aggregate_matrix(profile, np.array([3.0, 1.0, 1.0]))
    assert mat[0, 1] == pytest.approx(np.exp((3 * np.log(9) + np.log(1 / 3)) / 4))
    assert mat[1, 2] == pytest.approx(2.0)
    assert mat[0, 2] == pytest.approx(4.0)
    np.testing.assert_allclose(mat * mat.T, 1.0)


# --- incomplete matrices ---------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_consistent_chain_is_completed_exactly(method):
    _, p = scores(method, make_frame({("a", "b"): 2, ("b", "c"): 3}))
    np.testing.assert_allclose(p, [0.6, 0.3, 0.1], rtol=1e-12)


def harker_reference(judgements, items):
    """Independent Harker (1987) implementation: dense matrix, numpy eigen-decomposition."""
    n = len(items)
    mat = np.zeros((n, n))
    for (a, b), v in judgements.items():
        i, j = items.index(a), items.index(b)
        mat[i, j], mat[j, i] = v, 1 / v
    missing = (mat == 0).sum(axis=1) - 1
    mat[np.diag_indices(n)] = 1 + missing
    values, vectors = np.linalg.eig(mat)
    vec = np.abs(vectors[:, np.argmax(values.real)].real)
    return vec / vec.sum(), values.real.max()


def test_incomplete_eigenvector_is_harkers_method():
    judgements = {("a", "b"): 1, ("a", "c"): 5, ("a", "d"): 2, ("b", "c"): 3, ("b", "d"): 4}
    profile, p = scores("eigenvector", make_frame(judgements))
    ref, lam = harker_reference(judgements, profile.items)
    np.testing.assert_allclose(p, ref, atol=1e-12)
    # the completed matrix has the Harker eigenvalue
    assert ahp.consistency(profile, np.ones(1), {})["lambda_max"] == pytest.approx(lam)
    mat = ahp.aggregate_matrix(profile, np.ones(1))
    assert mat[2, 3] == pytest.approx(p[2] / p[3])
    # ahpy completes with Bozoki et al.'s lambda_max-optimal values instead: close, not equal
    other = ahpy.Compare("partial", judgements, precision=12, tolerance=1e-10)
    np.testing.assert_allclose(p, [other.target_weights[x] for x in profile.items], atol=1e-3)


def test_incomplete_geometric_mean_is_log_least_squares():
    judgements = {("a", "b"): 3, ("a", "c"): 1 / 2, ("b", "c"): 1 / 5, ("c", "d"): 7}
    profile, p = scores("geometric-mean", make_frame(judgements))
    design, target = [], []
    for (a, b), v in judgements.items():
        row = np.zeros(4)
        row[profile.items.index(a)], row[profile.items.index(b)] = 1, -1
        design.append(row)
        target.append(np.log(v))
    design.append(np.ones(4))  # pins the free constant
    target.append(0.0)
    x = np.linalg.lstsq(np.array(design), np.array(target), rcond=None)[0]
    np.testing.assert_allclose(p, np.exp(x) / np.exp(x).sum(), rtol=1e-10)


def test_disconnected_judgements_raise_a_clear_error():
    frame = make_frame({("a", "b"): 3, ("c", "d"): 2})
    with pytest.raises(ValueError, match=r"do not connect.*\{a, b\}; \{c, d\}"):
        ahp.prepare_ahp(frame, {})
    with pytest.raises(ValueError, match="disconnected"):
        ahp.prepare_ahp(frame, {"disconnected": "maybe"})


@pytest.mark.parametrize("method", METHODS)
def test_disconnected_split_fallback_gives_clusters_equal_geometric_means(method):
    frame = make_frame({("a", "b"): 4, ("c", "d"): 9, ("d", "e"): 1})
    _, p = scores(method, frame, options={"disconnected": "split"})
    assert p.sum() == pytest.approx(1.0)
    assert p[0] / p[1] == pytest.approx(4.0)
    assert np.sqrt(p[0] * p[1]) == pytest.approx(np.cbrt(p[2] * p[3] * p[4]))


@pytest.mark.parametrize("method", METHODS)
def test_zero_weights_that_disconnect_the_graph_use_the_fallback(method):
    frame = make_frame([("r1", "a", "b", 2.0), ("r2", "b", "c", 3.0), ("r3", "a", "c", 5.0)])
    _, p = scores(method, frame, weights=[1.0, 0.0, 0.0])
    np.testing.assert_allclose(p, [2, 1, np.sqrt(2)] / (3 + np.sqrt(2)), rtol=1e-12)
    _, p = scores(method, frame, weights=[0.0, 0.0, 0.0])
    np.testing.assert_allclose(p, [1 / 3] * 3)


# --- consistency -----------------------------------------------------------------------------


def test_consistency_small_and_consistent_cases():
    profile = ahp.prepare_ahp(make_frame({("a", "b"): 7}), {})
    assert ahp.consistency(profile, np.ones(1), {}) == {"lambda_max": 2.0, "ci": 0.0, "cr": 0.0}
    consistent = {("a", "b"): 2, ("a", "c"): 6, ("b", "c"): 3, ("a", "d"): 1 / 2}
    profile = ahp.prepare_ahp(make_frame(consistent), {})
    assert ahp.consistency(profile, np.ones(1), {})["cr"] == 0.0


def test_respondent_consistency_matches_ahpy_and_is_nan_when_incomplete():
    rng = np.random.default_rng(8)
    items = ["a", "b", "c", "d", "e"]
    scale = [1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9]
    rows, expected = [], []
    for r in range(4):
        judgements = {pair: rng.choice(scale) for pair in itertools.combinations(items, 2)}
        if r == 2:
            del judgements[("a", "b")]
            expected.append(np.nan)
        else:
            ref = ahpy.Compare(f"r{r}", judgements, precision=12, random_index="saaty")
            expected.append(ref.consistency_ratio * AHPY_SAATY_RI[5] / SAATY_1980_RI[5])
        rows += [(f"r{r}", a, b, v) for (a, b), v in judgements.items()]
    profile = ahp.prepare_ahp(make_frame(rows), {})
    np.testing.assert_allclose(ahp.respondent_consistency(profile), expected, atol=1e-9)


def test_respondent_consistency_two_items():
    frame = make_frame([("r1", "a", "b", 3.0), ("r2", "a", "b", 1 / 5)])
    profile = ahp.prepare_ahp(frame, {})
    np.testing.assert_array_equal(ahp.respondent_consistency(profile), [0.0, 0.0])


# --- shared conventions ----------------------------------------------------------------------


def test_unicode_labels_are_kept_exactly():
    labels = ["İşbirliği", "işbirliği", "التنسيق"]
    frame = make_frame({(labels[0], labels[1]): 3, (labels[1], labels[2]): 1 / 2})
    profile, p = scores("eigenvector", frame)
    assert profile.items == sorted(labels)
    by = dict(zip(profile.items, p, strict=True))
    assert by[labels[0]] / by[labels[1]] == pytest.approx(3.0)


@pytest.mark.parametrize("method", METHODS)
def test_equal_scores_share_the_rank(method):
    judgements = {("a", "b"): 3, ("a", "c"): 3, ("a", "d"): 9, ("b", "c"): 1}
    judgements |= {("b", "d"): 3, ("c", "d"): 3}
    _, p = scores(method, make_frame(judgements))
    np.testing.assert_array_equal(competition_rank(p), [1, 2, 2, 4])


def group_frame():
    return make_frame(
        [
            ("r1", "a", "b", 3.0),
            ("r1", "b", "c", 1 / 2),
            ("r1", "a", "c", 2.0),
            ("r2", "a", "b", 1 / 5),
            ("r2", "c", "d", 7.0),
            ("r3", "b", "d", 4.0),
            ("r3", "a", "c", 1 / 3),
        ]
    )


@pytest.mark.parametrize("method", METHODS)
def test_fractional_weight_equals_duplicating_a_respondent(method):
    frame = group_frame()
    copy = frame[frame.respondent == "r2"].assign(respondent="r2-copy")
    _, copied = scores(method, pd.concat([frame, copy]))
    _, weighted = scores(method, frame, weights=[1.0, 2.0, 1.0])
    _, halved = scores(method, frame, weights=[0.5, 1.0, 0.5])
    np.testing.assert_allclose(weighted, copied, atol=1e-12)
    np.testing.assert_allclose(halved, copied, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_zero_weight_equals_dropping_the_respondent(method):
    frame = pd.concat([group_frame(), make_frame([("r4", "a", "d", 9.0)])])
    _, zeroed = scores(method, frame, weights=[1.0, 1.0, 1.0, 0.0])
    _, dropped = scores(method, group_frame())
    np.testing.assert_allclose(zeroed, dropped, atol=1e-12)


# --- properties ------------------------------------------------------------------------------

SCALE = [1 / 9, 1 / 5, 1 / 2, 1.0, 2.0, 3.0, 7.0, 9.0]
judgement_sets = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 9), st.sampled_from(SCALE)),
    min_size=1,
    max_size=15,
)
PAIRS = list(itertools.combinations(range(5), 2))


def frame_from(drawn, labels):
    seen, rows = set(), []
    for r, k, v in drawn:
        if (r, k) not in seen:  # at most one judgement per pair per respondent
            seen.add((r, k))
            a, b = PAIRS[k]
            rows.append((f"r{r}", labels[a], labels[b], v))
    return make_frame(rows)


@settings(max_examples=40, deadline=None)
@given(drawn=judgement_sets, perm=st.permutations(range(5)), method=st.sampled_from(METHODS))
def test_relabelling_items_permutes_the_scores(drawn, perm, method):
    labels = ["a", "b", "c", "d", "e"]
    relabelled = [labels[p] for p in perm]
    options = {"disconnected": "split"}
    profile, s = scores(method, frame_from(drawn, labels), options=options)
    profile2, s2 = scores(method, frame_from(drawn, relabelled), options=options)
    by_label = dict(zip(profile2.items, s2, strict=True))
    mapping = dict(zip(labels, relabelled, strict=True))
    np.testing.assert_allclose(s, [by_label[mapping[x]] for x in profile.items], atol=1e-10)
    assert s.sum() == pytest.approx(1.0)
    assert np.all(np.isfinite(s))
    assert np.all(s > 0)


@settings(max_examples=40, deadline=None)
@given(drawn=judgement_sets, method=st.sampled_from(METHODS))
def test_duplicating_every_respondent_leaves_scores_unchanged(drawn, method):
    frame = frame_from(drawn, ["a", "b", "c", "d", "e"])
    doubled = pd.concat([frame, frame.assign(respondent=frame.respondent + "-copy")])
    options = {"disconnected": "split"}
    profile, s = scores(method, frame, options=options)
    _, s2 = scores(method, doubled, options=options)
    np.testing.assert_allclose(s, s2, atol=1e-10)
    c1 = ahp.consistency(profile, np.ones(profile.n_respondents), {})
    assert np.isfinite(c1["cr"])
    assert c1["cr"] >= 0
