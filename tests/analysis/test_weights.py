"""Respondent weights: the three schemes, target shares and Kish's effective sample size."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.data import InputError
from analysis.weights import compute_weights, kish_effective_n, read_shares, weights_frame

from .conftest import DATA

GROUPS = np.array(["NGO"] * 6 + ["Academic"] * 3 + ["Donor"], dtype=object)


def group_totals(weights):
    return {g: weights[g == GROUPS].sum() for g in sorted(set(GROUPS))}


def test_respondent_weights_are_ones():
    assert compute_weights(GROUPS).tolist() == [1.0] * 10


def test_equal_groups_give_every_group_the_same_total():
    w = compute_weights(GROUPS, "equal-groups")
    assert w.sum() == pytest.approx(10)
    totals = group_totals(w)
    assert all(t == pytest.approx(10 / 3) for t in totals.values())
    # hand-worked: n / (G * n_g)
    assert w[0] == pytest.approx(10 / (3 * 6))
    assert w[-1] == pytest.approx(10 / 3)


def test_equal_groups_with_equal_sizes_is_exactly_respondent_weighting():
    groups = np.array(["a", "b", "c"] * 7, dtype=object)
    assert np.array_equal(compute_weights(groups, "equal-groups"), np.ones(21))


def test_post_stratified_hits_the_target_shares():
    shares = {"NGO": 0.2, "Academic": 0.5, "Donor": 0.3}
    w = compute_weights(GROUPS, "post-stratified", shares)
    assert w.sum() == pytest.approx(10)
    totals = group_totals(w)
    for group, share in shares.items():
        assert totals[group] / 10 == pytest.approx(share)


def test_shares_within_tolerance_are_normalised():
    w = compute_weights(GROUPS, "post-stratified", {"NGO": 0.33, "Academic": 0.33, "Donor": 0.33})
    assert group_totals(w)["Donor"] == pytest.approx(10 / 3)


def test_shares_from_csv_and_percentages():
    assert read_shares(DATA / "shares.csv") == {"NGO": 0.6, "Academic": 0.4}
    assert read_shares(b"group,share\na,25%\nb,75 %\n") == {"a": 0.25, "b": 0.75}


@pytest.mark.parametrize(
    ("shares", "words"),
    [
        ({"NGO": 0.5, "Academic": 0.5}, "no share given for group 'Donor'"),
        ({"NGO": 0.4, "Academic": 0.3, "Donor": 0.2, "Press": 0.1}, "'Press', which has no"),
        ({"NGO": 0.5, "Academic": 0.3, "Donor": 0.1}, "add up to 0.9"),
        ({"NGO": 50, "Academic": 30, "Donor": 20}, "fractions, not percentages"),
        ({"NGO": -0.5, "Academic": 1.0, "Donor": 0.5}, "non-negative"),
        ({"NGO": "lots", "Academic": 1.0, "Donor": 0.5}, "not a number"),
    ],
)
def test_bad_shares_are_refused(shares, words):
    with pytest.raises(InputError, match=words):
        compute_weights(GROUPS, "post-stratified", shares)


@pytest.mark.parametrize(
    ("raw", "line", "column", "words"),
    [
        (b"group,share\nNGO,0.5\nAcademic,half\n", 3, "share", "not a number"),
        (b"group,share\nNGO,0.5\nNGO,0.5\n", 3, "group", "two shares"),
        (b"group,share\n,1\n", 2, "group", "empty group"),
        (b"group,weight\nNGO,1\n", 1, "share", "missing 'share'"),
        (b"group,share\nNGO,-1\n", 2, "share", "negative"),
    ],
)
def test_bad_share_files_name_line_and_column(raw, line, column, words):
    with pytest.raises(InputError, match=words) as info:
        read_shares(raw)
    assert (info.value.line, info.value.column) == (line, column)


def test_scheme_errors():
    with pytest.raises(InputError, match="unknown weights"):
        compute_weights(GROUPS, "by-size")
    with pytest.raises(InputError, match="need group shares"):
        compute_weights(GROUPS, "post-stratified")
    with pytest.raises(InputError, match="only used with"):
        compute_weights(GROUPS, "equal-groups", {"NGO": 1})


def test_kish_effective_n():
    assert kish_effective_n(np.ones(7)) == 7.0
    assert kish_effective_n(np.zeros(3)) == 0.0
    # hand-worked: weights 3, 1 -> 16 / 10
    assert kish_effective_n(np.array([3.0, 1.0])) == pytest.approx(1.6)
    # scale free
    w = compute_weights(GROUPS, "equal-groups")
    assert kish_effective_n(w) == pytest.approx(kish_effective_n(5 * w))
    # equal-groups here: weights 5/9 (x6), 10/9 (x3), 10/3 (x1)
    expected = 100 / (6 * (5 / 9) ** 2 + 3 * (10 / 9) ** 2 + (10 / 3) ** 2)
    assert kish_effective_n(w) == pytest.approx(expected)


def test_weights_frame_summarises_groups():
    frame = weights_frame(GROUPS, compute_weights(GROUPS, "equal-groups"))
    assert frame["group"].tolist() == ["Academic", "Donor", "NGO"]
    assert frame["n"].tolist() == [3, 1, 6]
    assert frame["share"].tolist() == pytest.approx([1 / 3] * 3)
