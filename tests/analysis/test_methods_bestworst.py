"""Best-worst methods: counts and the paired MaxDiff model (against a brute-force likelihood)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from analysis.methods import bestworst
from analysis.ranks import competition_rank
from analysis.registry import get_method, methods_for

METHODS = ("count", "mnl")


def make_frame(tasks):
    """tasks: (respondent, task, shown items, best, worst)."""
    rows = [
        (r, t, item, "best" if item == b else "worst" if item == w else "")
        for r, t, shown, b, w in tasks
        for item in shown
    ]
    frame = pd.DataFrame(rows, columns=["respondent", "task", "item", "choice"], dtype=object)
    frame.insert(1, "group", "all")
    return frame


def scores(method, frame, weights=None, options=None):
    m = get_method("bestworst", method)
    profile = m.prepare(frame, options or {})
    w = np.ones(profile.n_respondents) if weights is None else np.asarray(weights, float)
    return profile, m.scores(profile, w, options or {})


def test_registered_with_summaries():
    assert set(METHODS) <= set(methods_for("bestworst"))
    for name in METHODS:
        assert get_method("bestworst", name).summary.endswith(".")


def test_count_and_matrix_hand_worked():
    frame = make_frame(
        [
            ("r1", "t1", "abc", "a", "c"),
            ("r1", "t2", "abd", "b", "a"),
            ("r2", "t1", "bcd", "b", "d"),
        ]
    )
    profile, s = scores("count", frame, weights=[1.0, 1.0])
    # a: shown 2, best 1, worst 1 -> 0; b: shown 3, best 2 -> 2/3; c: shown 2, worst 1 -> -1/2;
    # d: shown 2, worst 1 -> -1/2
    np.testing.assert_allclose(s, [0, 2 / 3, -0.5, -0.5])
    expected = np.array([[0.0, 0.5, -1.0, 0.0], [np.nan, 1.0, 0.0, -1.0]])
    np.testing.assert_array_equal(profile.matrix, expected)
    assert profile.matrix_higher_is_better
    # weights: r2 counts 3 times -> b: (1 + 3) / (2 + 3)
    _, w = scores("count", frame, weights=[1.0, 3.0])
    np.testing.assert_allclose(w, [0, 4 / 5, -1 / 4, -3 / 4])


def test_count_item_with_no_weighted_appearance_scores_zero():
    frame = make_frame([("r1", "t1", "ab", "a", "b"), ("r2", "t1", "bc", "b", "c")])
    _, s = scores("count", frame, weights=[1.0, 0.0])
    np.testing.assert_array_equal(s, [1.0, -1.0, 0.0])


def test_unicode_labels_are_kept_exactly():
    labels = ["Göç", "göç", "İzmir", "الهجرة"]
    frame = make_frame([("r1", "t1", labels, labels[3], labels[0])])
    profile, s = scores("count", frame)
    assert profile.items == sorted(labels)
    assert s[profile.items.index("الهجرة")] == 1.0
    assert s[profile.items.index("Göç")] == -1.0


def test_mnl_two_items_hand_worked():
    # with two items, P(a best, b worst) = sigmoid(2 (u_a - u_b)) = 3/4
    tasks = [("r1", "t1", "ab", "a", "b"), ("r1", "t2", "ab", "a", "b")]
    tasks += [("r2", "t1", "ab", "a", "b"), ("r2", "t2", "ab", "b", "a")]
    _, u = scores("mnl", make_frame(tasks), options={"alpha": 1e-10})
    np.testing.assert_allclose(u, [np.log(3) / 4, -np.log(3) / 4], atol=1e-7)


def simulate(rng, n_items, n_resp, n_tasks, size_choices):
    truth = rng.normal(0, 1, n_items)
    labels = [f"i{k:02d}" for k in range(n_items)]
    tasks = []
    for r in range(n_resp):
        for t in range(n_tasks):
            shown = rng.choice(n_items, rng.choice(size_choices), replace=False)
            pairs = list(itertools.permutations(shown, 2))
            logit = np.array([truth[a] - truth[b] for a, b in pairs])
            p = np.exp(logit - logit.max())
            best, worst = pairs[rng.choice(len(pairs), p=p / p.sum())]
            shown_labels = [labels[k] for k in shown]
            tasks.append((f"r{r}", f"t{t}", shown_labels, labels[best], labels[worst]))
    return tasks, truth


def brute_force_maxdiff(tasks, items, weights, alpha):
    """Independent implementation: enumerate every ordered pair of every task."""
    index = {x: k for k, x in enumerate(items)}
    n = len(items)
    total = sum(weights[r] for r, *_ in tasks)

    def nll(u):
        value = 0.0
        for r, _, shown, best, worst in tasks:
            logits = [u[index[a]] - u[index[b]] for a, b in itertools.permutations(shown, 2)]
            value += weights[r] * (np.logaddexp.reduce(logits) - (u[index[best]] - u[index[worst]]))
        return value / total + alpha / n * float(u @ u)

    result = minimize(nll, np.zeros(n), method="BFGS", options={"gtol": 1e-10})
    return result.x - result.x.mean()


def test_mnl_matches_brute_force_likelihood_with_mixed_set_sizes_and_weights():
    rng = np.random.default_rng(2)
    tasks, _ = simulate(rng, n_items=5, n_resp=12, n_tasks=4, size_choices=[2, 3, 4])
    frame = make_frame(tasks)
    profile = bestworst.prepare_bestworst(frame, {})
    w = rng.choice([0.0, 0.5, 1.0, 2.0], size=profile.n_respondents)
    ours = get_method("bestworst", "mnl").scores(profile, w, {"alpha": 0.01})
    ref = brute_force_maxdiff(
        tasks, profile.items, dict(zip(profile.respondents, w, strict=True)), 0.01
    )
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    assert abs(ours.sum()) < 1e-12


def test_mnl_recovers_simulated_utilities():
    rng = np.random.default_rng(4)
    tasks, truth = simulate(rng, n_items=6, n_resp=200, n_tasks=6, size_choices=[4])
    _, u = scores("mnl", make_frame(tasks))
    np.testing.assert_allclose(u, truth - truth.mean(), atol=0.25)
    assert list(np.argsort(u)) == list(np.argsort(truth))


def test_mnl_items_always_best_or_always_worst_stay_finite():
    tasks = [("r1", "t1", "abc", "a", "c"), ("r2", "t1", "abc", "a", "c")]
    tasks += [("r3", "t1", "abc", "a", "c"), ("r3", "t2", "abd", "a", "d")]
    _, u = scores("mnl", make_frame(tasks))
    assert np.all(np.isfinite(u))
    assert u[0] == max(u)
    assert 2 < u[0] < 12


def test_mnl_all_weights_zero_gives_zeros():
    frame = make_frame([("r1", "t1", "ab", "a", "b")])
    _, u = scores("mnl", frame, weights=[0.0])
    np.testing.assert_array_equal(u, [0.0, 0.0])


def test_mnl_rejects_non_positive_alpha():
    frame = make_frame([("r1", "t1", "ab", "a", "b")])
    with pytest.raises(ValueError, match="alpha"):
        scores("mnl", frame, options={"alpha": -1})


def tie_frame():
    # a always best, d always worst, b and c mirror images of each other
    return make_frame(
        [
            ("r1", "t1", "abd", "a", "d"),
            ("r1", "t2", "acd", "a", "d"),
            ("r2", "t1", "bcd", "b", "d"),
            ("r3", "t1", "bcd", "c", "d"),
            ("r4", "t1", "abc", "a", "b"),
            ("r5", "t1", "abc", "a", "c"),
        ]
    )


@pytest.mark.parametrize("method", METHODS)
def test_equal_scores_share_the_rank(method):
    _, s = scores(method, tie_frame())
    np.testing.assert_array_equal(competition_rank(s), [1, 2, 2, 4])


@pytest.mark.parametrize("method", METHODS)
def test_fractional_weight_equals_duplicating_a_respondent(method):
    frame = tie_frame()
    copy = frame[frame.respondent == "r2"].assign(respondent="r2-copy")
    _, copied = scores(method, pd.concat([frame, copy]))
    _, weighted = scores(method, frame, weights=[1, 2, 1, 1, 1])
    _, halved = scores(method, frame, weights=[0.5, 1, 0.5, 0.5, 0.5])
    np.testing.assert_allclose(weighted, copied, atol=1e-7)
    np.testing.assert_allclose(halved, copied, atol=1e-7)


@pytest.mark.parametrize("method", METHODS)
def test_zero_weight_equals_dropping_the_respondent(method):
    frame = tie_frame()
    _, zeroed = scores(method, frame, weights=[1, 1, 0, 1, 1])
    _, dropped = scores(method, frame[frame.respondent != "r3"])
    np.testing.assert_allclose(zeroed, dropped, atol=1e-7)


def test_count_batch_matches_score():
    m = get_method("bestworst", "count")
    profile = m.prepare(tie_frame(), {})
    weights = np.array([[1, 2, 0, 1, 1], [0.5, 0, 0, 3, 1]], dtype=float)
    batch = m.scores_batch(profile, weights, {})
    for row, w in zip(batch, weights, strict=True):
        np.testing.assert_array_equal(row, m.scores(profile, w, {}))


# --- properties ------------------------------------------------------------------------------

task_lists = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.lists(st.integers(0, 4), min_size=2, max_size=4, unique=True),
        st.integers(0, 3),
        st.integers(1, 3),
    ),
    min_size=1,
    max_size=10,
)


def frame_from(drawn, labels):
    tasks = []
    for k, (r, shown, b, d) in enumerate(drawn):
        best = shown[b % len(shown)]
        worst = shown[(b + d) % len(shown)]
        if worst == best:
            worst = shown[(b + 1) % len(shown)]
        tasks.append((f"r{r}", f"t{k}", [labels[s] for s in shown], labels[best], labels[worst]))
    return make_frame(tasks)


@settings(max_examples=30, deadline=None)
@given(drawn=task_lists, perm=st.permutations(range(5)), method=st.sampled_from(METHODS))
def test_relabelling_items_permutes_the_scores(drawn, perm, method):
    labels = ["a", "b", "c", "d", "e"]
    relabelled = [labels[p] for p in perm]
    profile, s = scores(method, frame_from(drawn, labels))
    profile2, s2 = scores(method, frame_from(drawn, relabelled))
    by_label = dict(zip(profile2.items, s2, strict=True))
    mapping = dict(zip(labels, relabelled, strict=True))
    np.testing.assert_allclose(s, [by_label[mapping[x]] for x in profile.items], atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(drawn=task_lists, method=st.sampled_from(METHODS))
def test_duplicating_every_respondent_leaves_scores_unchanged(drawn, method):
    frame = frame_from(drawn, ["a", "b", "c", "d", "e"])
    doubled = pd.concat([frame, frame.assign(respondent=frame.respondent + "-copy")])
    _, s = scores(method, frame)
    _, s2 = scores(method, doubled)
    np.testing.assert_allclose(s, s2, atol=1e-6)
    assert np.all(np.isfinite(s))
