"""``analysis.live.live_summary``: the projector's aggregate of one question, by kind."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.live import live_summary


def frame(rows: list[tuple], column: str | None = None) -> pd.DataFrame:
    columns = ["respondent", "category"] + ([column] if column else [])
    return pd.DataFrame(rows, columns=columns)


def test_choice_counts_respondents_and_shares() -> None:
    answers = frame([(1, "a"), (1, "b"), (2, "a"), (3, "c"), (3, "zz")])
    result = live_summary(answers, "choice", ["a", "b", "c", "d"])
    assert result.respondents == 3
    assert result.table["count"].tolist() == [2, 1, 1, 0]
    assert result.table["share"].round(3).tolist() == [0.667, 0.333, 0.333, 0.0]
    assert result.mean is None


def test_rating_mean_leaves_dont_know_out() -> None:
    answers = frame([(1, "2", 2.0), (2, "5", 5.0), (3, "dont_know", None)], "value")
    result = live_summary(answers, "rating", ["1", "2", "3", "4", "5", "dont_know"])
    assert result.respondents == 3
    assert result.mean == 3.5
    assert result.table.loc["dont_know", "count"] == 1
    only_dont_know = live_summary(frame([(1, "dont_know", None)], "value"), "rating", ["1"])
    assert only_dont_know.mean is None


def test_ranking_borda_with_top_k_and_ties() -> None:
    # top 2 of 3: first place 2 points, second place 1, unranked 0
    answers = frame([(1, "a", 1), (1, "b", 2), (2, "b", 1), (2, "a", 2), (3, "c", 1)], "rank")
    result = live_summary(answers, "ranking", ["a", "b", "c"], ranked=2)
    table = result.table
    assert table["borda"].tolist() == [3.0, 3.0, 2.0]
    assert table["position"].tolist() == [1, 1, 3]
    assert table["mean_rank"].tolist() == [1.5, 1.5, 1.0]
    assert table["share"].round(3).tolist() == [0.5, 0.5, 0.333]  # of 2 points x 3 respondents


def test_points_mean_and_share() -> None:
    answers = frame([(1, "a", 7), (1, "b", 3), (2, "a", 4), (2, "c", 6)], "points")
    result = live_summary(answers, "points", ["a", "b", "c"])
    assert result.table["mean"].tolist() == [5.5, 1.5, 3.0]
    assert result.table["share"].tolist() == [0.55, 0.15, 0.3]
    assert result.table["position"].tolist() == [1, 3, 2]


def test_no_answers_yet() -> None:
    for kind, column in (("choice", None), ("rating", "value"), ("ranking", "rank")):
        result = live_summary(frame([], column), kind, ["a", "b"])
        assert result.respondents == 0
        assert result.table["count"].tolist() == [0, 0]
        assert result.table["share"].tolist() == [0.0, 0.0]
    points = live_summary(frame([], "points"), "points", ["a"])
    assert points.table["share"].tolist() == [0.0]
    assert not math.isnan(points.table["mean"].iloc[0])


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        live_summary(frame([]), "matrix", ["a"])
