"""Delphi: median and type-7 IQR, share agreeing, consensus, stability with Wilcoxon."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.data import InputError
from analysis.delphi import delphi


def panel(rounds: dict[int, dict[str, list[float]]]) -> pd.DataFrame:
    """{round: {item: [value of respondent 0, 1, ...]}} -> long frame (NaN = no answer)."""
    rows = [
        {"respondent": f"p{i}", "round": r, "item": item, "value": v}
        for r, items in rounds.items()
        for item, values in items.items()
        for i, v in enumerate(values)
        if not np.isnan(v)
    ]
    return pd.DataFrame(rows)


def test_median_and_iqr_are_type_7():
    values = [1, 2, 2, 3, 4, 5, 5]
    result = delphi(panel({1: {"A": values}}))
    row = result.items.iloc[0]
    # R: quantile(c(1,2,2,3,4,5,5), type = 7) -> Q1 = 2, median = 3, Q3 = 4.5
    assert row["median"] == 3.0
    assert row["iqr"] == pytest.approx(2.5)
    assert row["n"] == 7
    assert row["share_agree"] == pytest.approx(3 / 7)  # 4, 5, 5
    assert not row["consensus"]


def test_consensus_needs_both_thresholds():
    result = delphi(
        panel(
            {
                1: {
                    "both": [4, 4, 5, 4, 4],  # IQR 0, 100 % agree
                    "narrow but neutral": [3, 3, 3, 3, 4],  # IQR 0, 20 % agree
                    "agree but wide": [4, 5, 5, 1, 4, 5, 4, 5],  # 87.5 % agree, IQR 1.0
                }
            }
        )
    )
    flags = dict(zip(result.items["item"], result.items["consensus"], strict=True))
    assert flags == {"agree but wide": True, "both": True, "narrow but neutral": False}
    stricter = delphi(panel({1: {"x": [4, 5, 5, 1, 4, 5, 4, 5]}}), iqr_max=0.5)
    assert not stricter.items.loc[0, "consensus"]
    looser = delphi(panel({1: {"x": [3, 3, 3, 3, 4]}}), agree_min=3)
    assert looser.items.loc[0, "consensus"]


def test_items_sorted_by_item_then_round_and_json_shape():
    frame = panel({2: {"B": [4, 4], "A": [1, 2]}, 1: {"B": [3, 4], "A": [2, 2]}})
    payload = delphi(frame).to_dict()
    assert [(r["item"], r["round"]) for r in payload["items"]] == [
        ("A", 1),
        ("A", 2),
        ("B", 1),
        ("B", 2),
    ]
    assert set(payload["items"][0]) == {
        "item",
        "round",
        "n",
        "median",
        "iqr",
        "share_agree",
        "consensus",
    }
    assert set(payload["stability"][0]) == {"item", "share_changed", "wilcoxon_p"}
    assert isinstance(payload["items"][0]["consensus"], bool)


def test_stability_uses_the_last_two_rounds_and_paired_respondents():
    before = [1, 2, 3, 4, 5, 2, 3, 1, 2, 3]
    after = [2, 3, 3, 5, 5, 4, 4, 3, 2, 5]
    first = [5] * 10  # round 1 is ignored
    frame = panel({1: {"A": first}, 2: {"A": before}, 3: {"A": [*after, np.nan]}})
    frame = pd.concat(  # a respondent only in round 3 is not paired
        [frame, pd.DataFrame([{"respondent": "late", "round": 3, "item": "A", "value": 1}])]
    )
    row = delphi(frame).stability.iloc[0]
    d = np.array(after) - np.array(before)
    assert row["share_changed"] == pytest.approx(np.mean(d != 0))
    assert row["wilcoxon_p"] == pytest.approx(stats.wilcoxon(d, zero_method="wilcox").pvalue)
    assert row["n_paired"] == 10


def test_nobody_changed_gives_p_one():
    frame = panel({1: {"A": [3, 4, 5]}, 2: {"A": [3, 4, 5]}})
    stability = delphi(frame).to_dict()["stability"]
    assert stability == [{"item": "A", "share_changed": 0.0, "wilcoxon_p": 1.0}]


def test_single_round_and_unpaired_items():
    assert delphi(panel({1: {"A": [3, 4]}})).to_dict()["stability"] is None
    frame = pd.DataFrame(
        {
            "respondent": ["a", "b", "a"],
            "round": [1, 1, 2],
            "item": ["Old", "Old", "New"],
            "value": [3, 4, 5],
        }
    )
    stability = {s["item"]: s for s in delphi(frame).to_dict()["stability"]}
    assert stability["New"]["share_changed"] is None
    assert stability["New"]["wilcoxon_p"] is None


def test_bad_input_and_parameters():
    with pytest.raises(InputError, match="missing required column 'round'"):
        delphi(pd.DataFrame({"respondent": ["a"], "item": ["x"], "value": [1]}))
    with pytest.raises(ValueError, match="agree_share"):
        delphi(panel({1: {"A": [3]}}), agree_share=70)
    with pytest.raises(ValueError, match="iqr_max"):
        delphi(panel({1: {"A": [3]}}), iqr_max=-1)
