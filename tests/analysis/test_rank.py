"""The orchestrator ``rank``: the JSON shape, nulls, weighting, bootstrap, groups, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.agreement import kendall_w
from analysis.data import InputError
from analysis.result import ITEM_COLUMNS, rank

from .conftest import DATA, TOY_MEAN, TOY_MEAN_INTERVAL, needs, rating_frame

CONTRACT_KEYS = [
    "kind",
    "method",
    "weights",
    "n_respondents",
    "n_effective",
    "n_groups",
    "items",
    "agreement",
    "consistency",
    "groups",
    "group_differences",
]


def test_json_shape_and_nulls_without_bootstrap(small_rating):
    payload = rank(small_rating, "rating", TOY_MEAN).to_dict()
    assert list(payload)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert set(payload) - set(CONTRACT_KEYS) == {
        "top_k",
        "confidence",
        "bootstrap",
        "seed",
        "group_correlations",
    }
    json.dumps(payload, allow_nan=False)  # plain, finite JSON
    assert (payload["kind"], payload["method"], payload["weights"]) == (
        "rating",
        "toy-mean",
        "respondent",
    )
    assert (payload["n_respondents"], payload["n_effective"], payload["n_groups"]) == (6, 6.0, 2)
    for item in payload["items"]:
        assert list(item) == ITEM_COLUMNS
        for key in ("ci_low", "ci_high", "rank_ci_low", "rank_ci_high", "p_top_k"):
            assert item[key] is None
    assert set(payload["agreement"]) == {"kendall_w", "chi2", "df", "p_value"}
    assert payload["consistency"] is None
    assert payload["groups"] is None
    assert set(payload["group_differences"][0]) == {
        "item",
        "statistic",
        "p_value",
        "q_value",
        "consensus",
        "polarising",
    }


def test_scores_ranks_and_order(small_rating):
    result = rank(small_rating, "rating", TOY_MEAN)
    # means: Library 23/6, Park 19/6, Bus 14/6
    assert result.items["item"].tolist() == ["Library", "Park", "Bus"]
    assert result.items["score"].tolist() == pytest.approx([23 / 6, 19 / 6, 14 / 6])
    assert result.items["rank"].tolist() == [1, 2, 3]


def test_ties_share_the_smallest_rank_and_sort_by_label():
    values = {"r1": {"b": 3, "B": 3, "İ": 3, "a": 1}, "r2": {"b": 3, "B": 3, "İ": 3, "a": 5}}
    result = rank(rating_frame(values), "rating", TOY_MEAN)
    assert result.items["item"].tolist() == ["B", "a", "b", "İ"]
    assert result.items["rank"].tolist() == [1, 1, 1, 1]
    values["r2"]["a"] = 4
    result = rank(rating_frame(values), "rating", TOY_MEAN)
    assert result.items["item"].tolist() == ["B", "b", "İ", "a"]
    assert result.items["rank"].tolist() == [1, 1, 1, 4]


def test_analytic_interval_without_bootstrap(small_rating):
    payload = rank(small_rating, "rating", TOY_MEAN_INTERVAL).to_dict()
    for item in payload["items"]:
        assert item["ci_low"] == pytest.approx(item["score"] - 1)
        assert item["ci_high"] == pytest.approx(item["score"] + 1)
        assert item["rank_ci_low"] is None
        assert item["p_top_k"] is None


def test_bootstrap_fills_every_interval(small_rating):
    payload = rank(
        small_rating, "rating", TOY_MEAN_INTERVAL, bootstrap=200, seed=3, top_k=1
    ).to_dict()
    for item in payload["items"]:
        assert item["ci_low"] <= item["score"] <= item["ci_high"]
        assert item["ci_high"] - item["ci_low"] < 2  # bootstrap, not the +-1 interval
        assert isinstance(item["rank_ci_low"], int)
        assert item["rank_ci_low"] <= item["rank"] <= item["rank_ci_high"]
        assert 0 <= item["p_top_k"] <= 1
    assert sum(item["p_top_k"] for item in payload["items"]) >= 1
    assert (payload["bootstrap"], payload["seed"], payload["top_k"]) == (200, 3, 1)
    again = rank(small_rating, "rating", TOY_MEAN_INTERVAL, bootstrap=200, seed=3, top_k=1)
    assert again.to_dict() == payload


def test_top_k_default_and_cap(small_rating):
    assert rank(small_rating, "rating", TOY_MEAN).top_k == 3
    assert rank(small_rating, "rating", TOY_MEAN, top_k=10).top_k == 3
    two = rating_frame({"r": {"A": 1, "B": 2}})
    assert rank(two, "rating", TOY_MEAN).top_k == 2


def test_agreement_is_kendall_w_of_the_matrix(small_rating):
    result = rank(small_rating, "rating", TOY_MEAN)
    expected = kendall_w(result.profile.matrix)
    assert result.agreement == expected


def test_one_group_has_no_group_differences():
    values = {f"r{i}": {"A": i % 5 + 1, "B": 3} for i in range(6)}
    assert rank(rating_frame(values), "rating", TOY_MEAN).group_differences is None


def test_equal_groups_weighting_and_kish(small_rating):
    unequal = pd.concat(
        [small_rating, rating_frame({"n4": {"Park": 5, "Library": 1, "Bus": 1}}, {"n4": "NGO"})]
    )
    result = rank(unequal, "rating", TOY_MEAN, weights="equal-groups")
    # NGO (4 people) and Academic (3 people) each count half
    ngo = (5 + 4 + 5 + 5) / 4
    academic = (2 + 1 + 2) / 3
    park = result.items.set_index("item").loc["Park", "score"]
    assert park == pytest.approx((ngo + academic) / 2)
    w = np.array([7 / 8] * 4 + [7 / 6] * 3)
    assert result.n_effective == pytest.approx(w.sum() ** 2 / (w**2).sum())


def test_post_stratified_weighting(small_rating):
    result = rank(
        small_rating,
        "rating",
        TOY_MEAN,
        weights="post-stratified",
        group_shares={"NGO": 0.25, "Academic": 0.75},
    )
    park = result.items.set_index("item").loc["Park", "score"]
    assert park == pytest.approx(0.25 * 14 / 3 + 0.75 * 5 / 3)
    shares_file = rank(
        small_rating,
        "rating",
        TOY_MEAN,
        weights="post-stratified",
        group_shares=DATA / "shares.csv",
    )
    park = shares_file.items.set_index("item").loc["Park", "score"]
    assert park == pytest.approx(0.6 * 14 / 3 + 0.4 * 5 / 3)


def test_by_group_scores_equal_the_group_alone(small_rating):
    result = rank(small_rating, "rating", TOY_MEAN, by_group=True, min_group_size=3)
    alone = rank(small_rating[small_rating["group"] == "NGO"], "rating", TOY_MEAN)
    group = result.groups["NGO"]
    pd.testing.assert_frame_equal(group.items, alone.items)
    assert group.n == 3
    assert group.agreement == alone.agreement
    correlations = result.group_correlations
    assert correlations[["group_a", "group_b"]].values.tolist() == [["Academic", "NGO"]]


def test_by_group_bootstrap_is_reproducible(small_rating):
    kwargs = {"by_group": True, "min_group_size": 3, "bootstrap": 50, "seed": 8}
    one = rank(small_rating, "rating", TOY_MEAN, **kwargs).to_dict()
    two = rank(small_rating, "rating", TOY_MEAN, **kwargs).to_dict()
    assert one == two
    assert one["groups"]["NGO"]["items"][0]["rank_ci_low"] is not None


def test_csv_file_input():
    result = rank(DATA / "bom_rating.csv", "rating", TOY_MEAN)
    assert result.items["item"].tolist() == ["B", "A"]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"bootstrap": -1}, "bootstrap must be"),
        ({"bootstrap": 2.5}, "whole number"),
        ({"confidence": 1.5}, "between 0 and 1"),
        ({"confidence": 0}, "between 0 and 1"),
        ({"top_k": 0}, "top_k"),
        ({"min_group_size": 0}, "min_group_size"),
        ({"seed": -3}, "seed"),
        ({"weights": "by-size"}, "unknown weights"),
    ],
)
def test_bad_parameters(small_rating, kwargs, words):
    with pytest.raises(InputError, match=words):
        rank(small_rating, "rating", TOY_MEAN, **kwargs)


def test_unknown_kind_method_and_misplaced_scale_max(small_rating):
    with pytest.raises(InputError, match="unknown kind 'votes'"):
        rank(small_rating, "votes", "mean")
    with pytest.raises(InputError, match="unknown method 'nonsense'"):
        rank(small_rating, "rating", "nonsense")
    needs("points", "mean-share")
    with pytest.raises(InputError, match="rating data only"):
        rank(small_rating, "points", "mean-share", scale_max=5)


def test_bad_data_is_reported_with_its_line():
    with pytest.raises(InputError) as info:
        rank(b"respondent,item,value\nr1,A,1\nr1,A,x\n", "rating", TOY_MEAN)
    assert info.value.line == 3


# ------------------------------------------------------------------ with the real methods


def test_pairwise_has_no_agreement_or_group_differences():
    needs("pairwise", "bradley-terry")
    frame = pd.DataFrame(
        {
            "respondent": ["a", "a", "b", "b", "c"],
            "group": ["x", "x", "y", "y", "y"],
            "winner": ["A", "B", "A", "C", "A"],
            "loser": ["B", "C", "C", "B", "B"],
        }
    )
    payload = rank(frame, "pairwise", "bradley-terry").to_dict()
    assert payload["agreement"] is None
    assert payload["group_differences"] is None
    assert payload["consistency"] is None
    assert payload["items"][0]["item"] == "A"


def test_ahp_reports_consistency():
    needs("ahp", "eigenvector")
    from analysis.methods.ahp import consistency

    frame = pd.DataFrame(
        {
            "respondent": ["a"] * 3 + ["b"] * 3,
            "item_a": ["A", "A", "B"] * 2,
            "item_b": ["B", "C", "C"] * 2,
            "value": [3, 5, 2, 2, 6, 3],
        }
    )
    result = rank(frame, "ahp", "eigenvector")
    payload = result.to_dict()
    assert set(payload["consistency"]) == {"lambda_max", "ci", "cr"}
    expected = consistency(result.profile, np.ones(2), {})
    assert payload["consistency"]["cr"] == pytest.approx(expected["cr"])
    assert payload["agreement"] is None
    assert sum(item["score"] for item in payload["items"]) == pytest.approx(1.0)


def test_points_has_agreement_and_group_differences():
    needs("points", "mean-share")
    rows = []
    for i in range(10):
        group = "NGO" if i < 5 else "Academic"
        a = 60 if group == "NGO" else 10
        rows += [
            {"respondent": f"r{i}", "group": group, "item": "A", "points": a + i},
            {"respondent": f"r{i}", "group": group, "item": "B", "points": 100 - a - i},
        ]
    payload = rank(pd.DataFrame(rows), "points", "mean-share", by_group=True).to_dict()
    assert payload["agreement"]["df"] == 1
    differences = {d["item"]: d for d in payload["group_differences"]}
    assert differences["A"]["p_value"] < 0.05
    assert not differences["A"]["consensus"]
    assert payload["groups"]["NGO"]["items"][0]["item"] == "A"
    assert payload["groups"]["Academic"]["items"][0]["item"] == "B"
