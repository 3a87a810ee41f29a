"""Small-cell protection: groups below k are suppressed in breakdowns, and say so."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.privacy import DEFAULT_MIN_GROUP_SIZE, split_by_size, suppressed_groups
from analysis.result import rank

from .conftest import TOY_MEAN, rating_frame


def test_default_k_is_five():
    assert DEFAULT_MIN_GROUP_SIZE == 5
    assert split_by_size({"big": 5, "small": 4}) == (["big"], ["small"])


def test_split_by_size_orders_and_checks_k():
    assert split_by_size({"c": 1, "a": 9, "b": 2}, 2) == (["a", "b"], ["c"])
    assert split_by_size({"a": 1}, 1) == (["a"], [])
    with pytest.raises(ValueError, match="at least 1"):
        split_by_size({"a": 1}, 0)
    with pytest.raises(ValueError, match="whole number"):
        split_by_size({"a": 1}, 2.5)


def test_suppressed_groups_counts_respondents():
    groups = np.array(["x"] * 6 + ["y"] * 4 + ["z"], dtype=object)
    assert suppressed_groups(groups) == ["y", "z"]
    assert suppressed_groups(groups, 4) == ["z"]


def test_breakdown_withholds_small_groups_but_counts_them_overall():
    values = {f"big{i}": {"A": 5, "B": 1} for i in range(6)}
    values |= {f"small{i}": {"A": 1, "B": 5} for i in range(2)}
    groups = {r: ("Big" if r.startswith("big") else "Small") for r in values}
    frame = rating_frame(values, groups)
    result = rank(frame, "rating", TOY_MEAN, by_group=True)
    payload = result.to_dict()
    assert payload["groups"]["Small"] == {
        "n": None,
        "suppressed": True,
        "items": None,
        "agreement": None,
    }
    assert payload["groups"]["Big"]["n"] == 6
    assert payload["groups"]["Big"]["suppressed"] is False
    # the small group still counts in the overall ranking: mean of A = (30 + 2) / 8
    scores = {row["item"]: row["score"] for row in payload["items"]}
    assert scores["A"] == pytest.approx(32 / 8)
    # no correlations are published with a single group shown
    assert payload["group_correlations"] is None
    shown = rank(frame, "rating", TOY_MEAN, by_group=True, min_group_size=2).to_dict()
    assert shown["groups"]["Small"]["n"] == 2
    assert shown["group_correlations"][0]["tau"] == pytest.approx(-1.0)
