"""Points allocation: mean share of each respondent's budget."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.methods import points
from analysis.ranks import competition_rank
from analysis.registry import get_method, methods_for


def make_frame(rows):
    """rows: (respondent, item, points)."""
    frame = pd.DataFrame(rows, columns=["respondent", "item", "points"])
    frame.insert(1, "group", "all")
    return frame


def scores(frame, weights=None):
    m = get_method("points", "mean-share")
    profile = m.prepare(frame, {})
    w = np.ones(profile.n_respondents) if weights is None else np.asarray(weights, float)
    return profile, m.scores(profile, w, {})


def test_registered_with_summary():
    assert "mean-share" in methods_for("points")
    assert get_method("points", "mean-share").summary.endswith(".")


def test_hand_worked_shares_and_matrix():
    frame = make_frame(
        [
            ("r1", "a", 60.0), ("r1", "b", 40.0),  # spent all 100
            ("r2", "a", 10.0), ("r2", "c", 10.0),  # spent 20; no row for b = 0 points
            ("r3", "a", 0.0), ("r3", "b", 0.0),  # spent nothing: left out
        ]
    )  # fmt: skip
    profile, s = scores(frame)
    np.testing.assert_allclose(s, [(0.6 + 0.5) / 2, 0.4 / 2, 0.5 / 2])
    assert s.sum() == pytest.approx(1.0)
    expected = np.array([[0.6, 0.4, 0.0], [0.5, 0.0, 0.5], [np.nan] * 3])
    np.testing.assert_array_equal(profile.matrix, expected)
    assert profile.matrix_higher_is_better
    # weights: r2 three times r1's
    _, w = scores(frame, weights=[1.0, 3.0, 5.0])
    np.testing.assert_allclose(w, [(0.6 + 1.5) / 4, 0.4 / 4, 1.5 / 4])


def test_nobody_with_points_gives_equal_shares():
    frame = make_frame([("r1", "a", 5.0), ("r1", "b", 5.0), ("r2", "a", 0.0)])
    _, s = scores(frame, weights=[0.0, 1.0])
    np.testing.assert_array_equal(s, [0.5, 0.5])


def test_unicode_labels_are_kept_exactly():
    labels = ["Işık", "ışık", "الترجمة"]
    frame = make_frame([("r1", labels[0], 1.0), ("r1", labels[1], 2.0), ("r1", labels[2], 1.0)])
    profile, s = scores(frame)
    assert profile.items == sorted(labels)
    assert s[profile.items.index("ışık")] == 0.5


def test_equal_scores_share_the_rank():
    frame = make_frame(
        [
            ("r1", "a", 50.0),
            ("r1", "b", 30.0),
            ("r1", "c", 20.0),
            ("r1", "d", 0.0),
            ("r2", "a", 50.0),
            ("r2", "b", 20.0),
            ("r2", "c", 30.0),
            ("r2", "d", 0.0),
        ]
    )
    _, s = scores(frame)
    np.testing.assert_array_equal(competition_rank(s), [1, 2, 2, 4])


def test_fractional_weight_equals_duplicating_and_zero_equals_dropping():
    frame = make_frame([("r1", "a", 3.0), ("r1", "b", 1.0), ("r2", "b", 7.0), ("r3", "a", 2.0)])
    copy = frame[frame.respondent == "r2"].assign(respondent="r2-copy")
    _, copied = scores(pd.concat([frame, copy]))
    _, weighted = scores(frame, weights=[1.0, 2.0, 1.0])
    _, halved = scores(frame, weights=[0.5, 1.0, 0.5])
    np.testing.assert_allclose(weighted, copied, rtol=1e-12)
    np.testing.assert_allclose(halved, copied, rtol=1e-12)
    _, zeroed = scores(frame, weights=[1.0, 0.0, 1.0])
    _, dropped = scores(frame[frame.respondent != "r2"])
    np.testing.assert_allclose(zeroed, dropped, rtol=1e-12)


def test_batch_matches_score():
    frame = make_frame([("r1", "a", 3.0), ("r1", "b", 1.0), ("r2", "b", 7.0), ("r3", "a", 2.0)])
    m = get_method("points", "mean-share")
    profile = points.prepare_points(frame, {})
    weights = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    batch = m.scores_batch(profile, weights, {})
    for row, w in zip(batch, weights, strict=True):
        np.testing.assert_array_equal(row, m.scores(profile, w, {}))


allocations = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 4), st.sampled_from([0.0, 1.0, 2.5, 10.0])),
    min_size=1,
    max_size=20,
)


def frame_from(drawn, labels):
    unique = {(r, i): p for r, i, p in drawn}  # one row per (respondent, item)
    return make_frame([(f"r{r}", labels[i], p) for (r, i), p in unique.items()])


@settings(max_examples=50, deadline=None)
@given(drawn=allocations, perm=st.permutations(range(5)))
def test_relabelling_items_permutes_the_scores(drawn, perm):
    labels = ["a", "b", "c", "d", "e"]
    relabelled = [labels[p] for p in perm]
    profile, s = scores(frame_from(drawn, labels))
    profile2, s2 = scores(frame_from(drawn, relabelled))
    by_label = dict(zip(profile2.items, s2, strict=True))
    mapping = dict(zip(labels, relabelled, strict=True))
    np.testing.assert_allclose(s, [by_label[mapping[x]] for x in profile.items], atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(drawn=allocations)
def test_duplicating_every_respondent_leaves_scores_unchanged(drawn):
    frame = frame_from(drawn, ["a", "b", "c", "d", "e"])
    doubled = pd.concat([frame, frame.assign(respondent=frame.respondent + "-copy")])
    _, s = scores(frame)
    _, s2 = scores(doubled)
    np.testing.assert_allclose(s, s2, atol=1e-12)
    assert np.all(np.isfinite(s))
    assert s.sum() == pytest.approx(1.0)
