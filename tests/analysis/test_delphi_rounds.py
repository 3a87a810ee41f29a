"""Delphi extensions: quartiles and counts for feedback, consensus against an item,
stability between every pair of rounds, the first round of consensus and when to stop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

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


def test_quartiles_and_counts_for_the_panel_feedback():
    # R: quantile(c(1, 2, 2, 4, 5), type = 7) -> 1, 2, 2, 4, 5
    result = delphi(panel({1: {"A": [5, 2, 1, 4, 2]}}))
    row = result.items.iloc[0]
    assert (row["q1"], row["median"], row["q3"], row["iqr"]) == (2.0, 2.0, 4.0, 2.0)
    assert result.counts.to_dict("records") == [
        {"item": "A", "round": 1, "value": 1.0, "count": 1},
        {"item": "A", "round": 1, "value": 2.0, "count": 2},
        {"item": "A", "round": 1, "value": 4.0, "count": 1},
        {"item": "A", "round": 1, "value": 5.0, "count": 1},
    ]


def test_consensus_against_an_item_needs_disagree_max():
    frame = panel({1: {"unwanted": [1, 2, 1, 2, 1, 3, 2, 1], "wanted": [5, 4, 4, 5, 4]}})
    plain = delphi(frame)
    assert dict(zip(plain.items["item"], plain.items["consensus"], strict=True)) == {
        "unwanted": False,
        "wanted": True,
    }
    assert "share_disagree" not in plain.to_dict()["items"][0]

    both = delphi(frame, disagree_max=2)
    rows = {r["item"]: r for r in both.to_dict()["items"]}
    assert rows["unwanted"]["share_disagree"] == pytest.approx(7 / 8)
    assert rows["unwanted"]["consensus"] is True
    assert rows["unwanted"]["direction"] == "disagree"
    assert rows["wanted"]["direction"] == "agree"
    assert rows["wanted"]["share_disagree"] == 0.0
    with pytest.raises(ValueError, match="disagree_max"):
        delphi(frame, disagree_max=4)


def test_transitions_cover_every_pair_of_consecutive_rounds():
    r1 = [1, 2, 3, 4, 5, 2, 3, 1]
    r2 = [2, 2, 3, 4, 5, 3, 3, 2]
    r3 = [2, 2, 3, 4, 5, 3, 3, 2]
    result = delphi(panel({1: {"A": r1}, 2: {"A": r2}, 3: {"A": r3}}))
    records = result.transitions.to_dict("records")
    assert [(r["from_round"], r["to_round"]) for r in records] == [(1, 2), (2, 3)]
    first, second = records
    d = np.array(r2) - np.array(r1)
    assert first["share_changed"] == pytest.approx(3 / 8)
    assert first["wilcoxon_p"] == pytest.approx(stats.wilcoxon(d, zero_method="wilcox").pvalue)
    assert first["stable"] is False  # 37.5 % changed
    assert second["share_changed"] == 0.0
    assert second["wilcoxon_p"] == 1.0
    assert second["stable"] is True
    # stability is the last transition
    assert result.stability.to_dict("records") == [
        {"item": "A", "share_changed": 0.0, "wilcoxon_p": 1.0, "n_paired": 8, "stable": True}
    ]


def test_stable_needs_few_changes_and_no_systematic_shift():
    # 20 respondents, 3 move up by one point: 15 % changed, p well above 0.05
    before = [3] * 20
    after = [4, 4, 4] + [3] * 17
    frame = panel({1: {"A": before}, 2: {"A": after}})
    assert delphi(frame).stability.loc[0, "stable"]
    assert not delphi(frame, stable_share=0.1).stability.loc[0, "stable"]
    # 40 respondents, 6 (15 %) all moving up by 2: within 15 %, but a systematic shift
    frame = panel({1: {"B": [2] * 40}, 2: {"B": [4] * 6 + [2] * 34}})
    row = delphi(frame).stability.iloc[0]
    assert row["share_changed"] == pytest.approx(0.15)
    assert row["wilcoxon_p"] < 0.05
    assert not row["stable"]
    assert delphi(frame, significance=0.01).stability.loc[0, "stable"]


def test_first_consensus_and_status():
    frame = panel(
        {
            1: {"early": [4, 4, 5, 4], "late": [1, 5, 3, 4], "never": [1, 5, 1, 5]},
            2: {"early": [4, 4, 5, 4], "late": [4, 5, 4, 4], "never": [1, 5, 5, 1]},
        }
    )
    result = delphi(frame)
    assert result.first_consensus() == {"early": 1, "late": 2, "never": None}
    status = result.status().set_index("item")
    assert status.loc["early", "consensus"]
    assert status.loc["late", "settled"]
    # "never": two of four changed (50 %): neither consensus nor stable
    assert status.loc["never", "stable"] is False
    assert not status.loc["never", "settled"]
    assert status["round"].tolist() == [2, 2, 2]


def test_status_with_a_single_round_judges_consensus_only():
    status = delphi(panel({1: {"A": [4, 4, 5], "B": [1, 5, 3]}})).status()
    assert status.to_dict("records") == [
        {
            "item": "A",
            "round": 1,
            "consensus": True,
            "direction": "agree",
            "stable": None,
            "settled": True,
        },
        {
            "item": "B",
            "round": 1,
            "consensus": False,
            "direction": None,
            "stable": None,
            "settled": False,
        },
    ]


def test_unpaired_rounds_have_no_stability_judgement():
    frame = pd.DataFrame(
        {
            "respondent": ["a", "b", "c", "d"],
            "round": [1, 1, 2, 2],
            "item": "A",
            "value": [1, 5, 2, 4],
        }
    )
    result = delphi(frame)
    row = result.stability.iloc[0]
    assert row["n_paired"] == 0
    assert pd.isna(row["share_changed"])
    assert row["stable"] is None
    assert result.to_dict()["stability"][0]["share_changed"] is None
    assert result.status().loc[0, "stable"] is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stable_share": 1.5}, "stable_share"),
        ({"stable_share": -0.1}, "stable_share"),
        ({"significance": 2}, "significance"),
        ({"disagree_max": float("nan")}, "disagree_max"),
    ],
)
def test_bad_stability_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        delphi(panel({1: {"A": [3]}}), **kwargs)
