"""Pairwise methods: Bradley-Terry (against choix), Copeland and the wiki-survey score."""

from __future__ import annotations

import choix
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.methods import pairwise
from analysis.ranks import competition_rank
from analysis.registry import get_method, methods_for

METHODS = ("bradley-terry", "copeland", "wiki-survey")


def make_frame(rows, groups=None):
    """rows: (respondent, winner, loser) triples."""
    frame = pd.DataFrame(rows, columns=["respondent", "winner", "loser"], dtype=object)
    frame.insert(1, "group", "all" if groups is None else groups)
    return frame


def scores(method, frame, weights=None, options=None):
    m = get_method("pairwise", method)
    profile = m.prepare(frame, options or {})
    w = np.ones(profile.n_respondents) if weights is None else np.asarray(weights, float)
    return profile, m.scores(profile, w, options or {})


def test_registered_with_summaries():
    assert set(METHODS) <= set(methods_for("pairwise"))
    for name in METHODS:
        method = get_method("pairwise", name)
        assert method.higher_is_better
        assert method.summary.endswith(".")
        assert method.score_batch is not None


def test_prepare_counts_and_unicode_labels_kept_exactly():
    labels = ["İstanbul", "istanbul", "ısınma", "التنسيق"]
    frame = make_frame(
        [("r1", labels[0], labels[1]), ("r1", labels[0], labels[1]), ("r2", labels[3], labels[2])]
    )
    profile = pairwise.prepare_pairwise(frame, {})
    assert profile.items == sorted(labels)  # Python's default order; no case folding
    assert list(profile.respondents) == ["r1", "r2"]
    counts = profile.data["counts"].toarray().reshape(2, 4, 4)
    i, j = profile.items.index(labels[0]), profile.items.index(labels[1])
    assert counts[0, i, j] == 2
    assert counts.sum() == 3
    assert profile.matrix is None


# --- Bradley-Terry -----------------------------------------------------------------------------


def test_bradley_terry_two_items_hand_worked():
    # a beats b 3 times out of 4: sigmoid(2t) = 3/4, so t = log(3) / 2 (negligible ridge)
    frame = make_frame([("r1", "a", "b"), ("r2", "a", "b"), ("r3", "a", "b"), ("r4", "b", "a")])
    _, s = scores("bradley-terry", frame, options={"alpha": 1e-10})
    np.testing.assert_allclose(s, [np.log(3) / 2, -np.log(3) / 2], atol=1e-8)


def random_comparisons(rng, n_items, n_comp, n_resp):
    strength = rng.normal(0, 1, n_items)
    a = rng.integers(0, n_items, n_comp)
    b = (a + rng.integers(1, n_items, n_comp)) % n_items
    win = rng.random(n_comp) < 1 / (1 + np.exp(strength[b] - strength[a]))
    winner, loser = np.where(win, a, b), np.where(win, b, a)
    resp = rng.integers(0, n_resp, n_comp)
    labels = [f"item{k}" for k in range(n_items)]
    rows = [
        (f"r{r:03d}", labels[w], labels[lo]) for r, w, lo in zip(resp, winner, loser, strict=True)
    ]
    return make_frame(rows), list(zip(winner.tolist(), loser.tolist(), strict=True))


@pytest.mark.parametrize("alpha", [1e-3, 0.05])
def test_bradley_terry_matches_choix_opt_pairwise(alpha):
    rng = np.random.default_rng(7)
    frame, data = random_comparisons(rng, n_items=6, n_comp=300, n_resp=40)
    profile, ours = scores("bradley-terry", frame, options={"alpha": alpha})
    # item labels item0..item5 sort in index order, so choix indices match ours
    assert profile.items == [f"item{k}" for k in range(6)]
    # choix minimises sum log(1 + exp(-(t_w - t_l))) + alpha_c * sum t^2: alpha_c = alpha N / n
    ref = choix.opt_pairwise(6, data, alpha=alpha * len(data) / 6, tol=1e-12)
    np.testing.assert_allclose(ours, ref - ref.mean(), atol=1e-6)


def test_bradley_terry_integer_weights_match_choix_on_replicated_data():
    rng = np.random.default_rng(3)
    frame, data = random_comparisons(rng, n_items=5, n_comp=120, n_resp=10)
    profile = pairwise.prepare_pairwise(frame, {})
    weights = rng.integers(0, 4, profile.n_respondents).astype(float)
    ours = get_method("pairwise", "bradley-terry").scores(profile, weights, {})
    resp_weight = dict(zip(profile.respondents, weights, strict=True))
    replicated = [
        pair
        for pair, r in zip(data, frame["respondent"], strict=True)
        for _ in range(int(resp_weight[r]))
    ]
    ref = choix.opt_pairwise(5, replicated, alpha=1e-3 * len(replicated) / 5, tol=1e-12)
    np.testing.assert_allclose(ours, ref - ref.mean(), atol=1e-6)


def test_bradley_terry_close_to_unpenalised_ml_when_it_exists():
    rng = np.random.default_rng(11)
    frame, data = random_comparisons(rng, n_items=5, n_comp=2000, n_resp=100)
    _, ours = scores("bradley-terry", frame, options={"alpha": 1e-9})
    ref = choix.ilsr_pairwise(5, data, alpha=0.0, tol=1e-12)
    np.testing.assert_allclose(ours, ref - ref.mean(), atol=1e-4)


def test_bradley_terry_unbeaten_and_winless_items_stay_finite():
    # a never loses, c never wins
    frame = make_frame(
        [("r1", "a", "b"), ("r1", "b", "c"), ("r2", "a", "c"), ("r2", "b", "c"), ("r3", "a", "b")]
    )
    _, s = scores("bradley-terry", frame)
    assert np.all(np.isfinite(s))
    assert s[0] > s[1] > s[2]
    assert abs(s.sum()) < 1e-12
    assert 3 < s[0] < 10  # large but bounded with the default ridge


def test_bradley_terry_disconnected_graph_centres_each_cluster():
    frame = make_frame([("r1", "a", "b"), ("r1", "a", "b"), ("r2", "c", "d"), ("r2", "d", "c")])
    _, s = scores("bradley-terry", frame)
    assert np.all(np.isfinite(s))
    assert s[0] + s[1] == pytest.approx(0, abs=1e-12)
    np.testing.assert_allclose(s[2:], 0, atol=1e-12)
    assert s[0] > 0


def test_bradley_terry_all_weights_zero_gives_zeros():
    frame = make_frame([("r1", "a", "b")])
    _, s = scores("bradley-terry", frame, weights=[0.0])
    np.testing.assert_array_equal(s, [0.0, 0.0])


def test_bradley_terry_rejects_non_positive_alpha():
    frame = make_frame([("r1", "a", "b")])
    with pytest.raises(ValueError, match="alpha"):
        scores("bradley-terry", frame, options={"alpha": 0})


# --- Copeland --------------------------------------------------------------------------------


def test_copeland_cycle_and_conventions():
    # a>b, b>c, c>a by majority: each beats exactly one; d never compared with anyone but a,
    # where it ties 1:1
    frame = make_frame(
        [
            ("r1", "a", "b"),
            ("r2", "a", "b"),
            ("r3", "b", "a"),
            ("r1", "b", "c"),
            ("r1", "c", "a"),
            ("r2", "a", "d"),
            ("r3", "d", "a"),
        ]
    )
    _, s = scores("copeland", frame)
    np.testing.assert_array_equal(s, [1, 1, 1, 0])
    # ties and unobserved pairs worth a half point each: a has 1 tie (d); b, c each tie/miss d;
    # d ties a and never met b or c
    _, half = scores("copeland", frame, options={"tie_value": 0.5})
    np.testing.assert_array_equal(half, [1.5, 1.5, 1.5, 1.5])


def test_copeland_weights_change_the_majority():
    frame = make_frame([("r1", "a", "b"), ("r2", "b", "a"), ("r3", "b", "a")])
    _, s = scores("copeland", frame, weights=[3.0, 1.0, 1.0])
    np.testing.assert_array_equal(s, [1, 0])
    _, s = scores("copeland", frame, weights=[2.0, 1.0, 1.0])
    np.testing.assert_array_equal(s, [0, 0])


def test_copeland_float_noise_is_a_tie():
    frame = make_frame([("r1", "a", "b"), ("r2", "a", "b"), ("r3", "b", "a")])
    _, s = scores("copeland", frame, weights=[0.1, 0.2, 0.30000000000000004])
    np.testing.assert_array_equal(s, [0, 0])


# --- wiki-survey -----------------------------------------------------------------------------


def test_wiki_survey_hand_worked():
    # a-b: a wins 2 of 3; a-c: a wins 1 of 1; b-c never compared
    frame = make_frame([("r1", "a", "b"), ("r2", "a", "b"), ("r3", "b", "a"), ("r1", "a", "c")])
    _, s = scores("wiki-survey", frame)
    p_ab, p_ac = (2 + 1) / (3 + 2), (1 + 1) / (1 + 2)
    expected = 100 * np.array([(p_ab + p_ac) / 2, (1 - p_ab + 0.5) / 2, (1 - p_ac + 0.5) / 2])
    np.testing.assert_allclose(s, expected, rtol=1e-12)


def test_wiki_survey_without_prior_is_the_plain_win_share():
    frame = make_frame([("r1", "a", "b"), ("r2", "a", "b"), ("r3", "b", "a")])
    _, s = scores("wiki-survey", frame, options={"prior": 0})
    np.testing.assert_allclose(s, [200 / 3, 100 / 3])


def test_wiki_survey_smoothing_is_in_respondent_units():
    # documented exception to duplication invariance: twice the data, less smoothing
    frame = make_frame([("r1", "a", "b")])
    _, once = scores("wiki-survey", frame)
    _, twice = scores("wiki-survey", frame, weights=[2.0])
    np.testing.assert_allclose(once, [200 / 3, 100 / 3])
    np.testing.assert_allclose(twice, [75, 25])


# --- shared conventions ----------------------------------------------------------------------


def tie_frame():
    # a beats everyone; b and c are mirror images; d loses to everyone
    rows = [("r1", "a", "b"), ("r1", "a", "c"), ("r1", "a", "d"), ("r2", "b", "d")]
    rows += [("r2", "c", "d"), ("r3", "b", "c"), ("r4", "c", "b")]
    return make_frame(rows)


@pytest.mark.parametrize("method", METHODS)
def test_equal_scores_share_the_rank(method):
    _, s = scores(method, tie_frame())
    np.testing.assert_array_equal(competition_rank(s), [1, 2, 2, 4])


@pytest.mark.parametrize("method", METHODS)
def test_fractional_weight_equals_duplicating_a_respondent(method):
    frame = make_frame([("r1", "a", "b"), ("r1", "c", "a"), ("r2", "b", "c"), ("r3", "b", "a")])
    duplicated = pd.concat([frame, frame[frame.respondent == "r2"].assign(respondent="r2-copy")])
    _, weighted = scores(method, frame, weights=[1.0, 2.0, 1.0])
    _, copied = scores(method, duplicated)
    np.testing.assert_allclose(weighted, copied, atol=1e-9)
    _, half = scores(method, frame, weights=[0.5, 1.0, 0.5])
    if method != "wiki-survey":  # the wiki-survey prior is in absolute weight units
        np.testing.assert_allclose(half, copied, atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_zero_weight_equals_dropping_the_respondent(method):
    rows = [("r1", "a", "b"), ("r1", "c", "a"), ("r2", "b", "c"), ("r2", "b", "a")]
    frame = make_frame([*rows, ("r3", "b", "a"), ("r3", "a", "c")])
    _, zeroed = scores(method, frame, weights=[1.0, 0.0, 1.0])
    _, dropped = scores(method, frame[frame.respondent != "r2"].reset_index(drop=True))
    np.testing.assert_allclose(zeroed, dropped, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_score_batch_matches_score(method):
    rng = np.random.default_rng(5)
    frame, _ = random_comparisons(rng, n_items=7, n_comp=200, n_resp=30)
    m = get_method("pairwise", method)
    profile = m.prepare(frame, {})
    weights = rng.multinomial(30, np.full(30, 1 / 30), size=4).astype(float)
    batch = m.scores_batch(profile, weights, {})
    for row, w in zip(batch, weights, strict=True):
        np.testing.assert_allclose(row, m.scores(profile, w, {}), atol=1e-10)


def test_batches_are_split_into_blocks(monkeypatch):
    monkeypatch.setattr(pairwise, "_BATCH_CELLS", 20)
    rng = np.random.default_rng(6)
    frame, _ = random_comparisons(rng, n_items=4, n_comp=60, n_resp=10)
    m = get_method("pairwise", "bradley-terry")
    profile = m.prepare(frame, {})
    weights = rng.random((5, 10))
    batch = m.scores_batch(profile, weights, {})
    assert batch.shape == (5, 4)
    np.testing.assert_allclose(batch[4], m.scores(profile, weights[4], {}), atol=1e-10)


# --- properties ------------------------------------------------------------------------------

comparisons = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(1, 4)), min_size=1, max_size=25
)


def frame_from(draw_rows, labels):
    rows = [(f"r{r}", labels[w], labels[(w + d) % 5]) for r, w, d in draw_rows]
    return make_frame(rows)


@settings(max_examples=40, deadline=None)
@given(rows=comparisons, perm=st.permutations(range(5)), method=st.sampled_from(METHODS))
def test_relabelling_items_permutes_the_scores(rows, perm, method):
    labels = ["a", "b", "c", "d", "e"]
    relabelled = [labels[p] for p in perm]
    profile, s = scores(method, frame_from(rows, labels))
    profile2, s2 = scores(method, frame_from(rows, relabelled))
    mapping = dict(zip(labels, relabelled, strict=True))
    by_label = dict(zip(profile2.items, s2, strict=True))
    np.testing.assert_allclose(s, [by_label[mapping[x]] for x in profile.items], atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(rows=comparisons, method=st.sampled_from(METHODS))
def test_duplicating_every_respondent_leaves_scores_unchanged(rows, method):
    options = {"prior": 0.0} if method == "wiki-survey" else {}
    frame = frame_from(rows, ["a", "b", "c", "d", "e"])
    doubled = pd.concat([frame, frame.assign(respondent=frame.respondent + "-copy")])
    _, s = scores(method, frame, options=options)
    _, s2 = scores(method, doubled, options=options)
    np.testing.assert_allclose(s, s2, atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(
    rows=comparisons,
    weights=st.lists(st.sampled_from([0.0, 0.25, 1.0, 3.5]), min_size=4, max_size=4),
    method=st.sampled_from(METHODS),
)
def test_scores_are_always_finite(rows, weights, method):
    frame = frame_from(rows, ["a", "b", "c", "d", "e"])
    m = get_method("pairwise", method)
    profile = m.prepare(frame, {})
    w = np.array(weights[: profile.n_respondents])
    assert np.all(np.isfinite(m.scores(profile, w, {})))
