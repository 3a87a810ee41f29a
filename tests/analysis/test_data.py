"""Reading and validating input: the typed contract, and errors at the right line and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.data import InputError, load, load_delphi, read_table

from .conftest import DATA


def error_of(source, kind: str) -> InputError:
    with pytest.raises(InputError) as info:
        load(source, kind)
    return info.value


# ---------------------------------------------------------------------------- valid input


def test_ranking_file_keeps_labels_and_groups():
    frame = load(DATA / "ranking_groups.csv", "ranking")
    assert list(frame.columns) == ["respondent", "group", "item", "rank"]
    # İstanbul and istanbul are different items: labels are never case-folded
    assert sorted(set(frame["item"])) == sorted(["Kütüphane", "İstanbul", "istanbul", "مكتبة"])
    assert frame["rank"].dtype == np.float64
    assert frame.loc[frame["respondent"] == "r3", "group"].unique().tolist() == ["Academic"]


def test_bom_and_header_case_are_tolerated():
    frame = load(DATA / "bom_rating.csv", "rating")
    assert frame["respondent"].tolist() == ["r1", "r1"]
    assert frame["value"].tolist() == [4.0, 5.0]
    frame = load(b"Respondent , ITEM,Value\n r1 , A ,4\n", "rating")
    assert frame.loc[0, "respondent"] == "r1"
    assert frame.loc[0, "item"] == "A"


def test_group_defaults_to_all_and_columns_are_strings():
    frame = load(
        pd.DataFrame({"respondent": [1, 2], "item": ["a", "b"], "points": [3, 0]}), "points"
    )
    assert frame["group"].tolist() == ["all", "all"]
    assert frame["respondent"].tolist() == ["1", "2"]
    assert pd.api.types.is_string_dtype(frame["respondent"])
    assert frame["points"].tolist() == [3.0, 0.0]


def test_every_kind_has_its_typed_columns():
    cases = {
        "rating": (b"respondent,item,value\nr,A,2.5\n", ["item", "value"]),
        "ranking": (b"respondent,item,rank\nr,A,1\n", ["item", "rank"]),
        "pairwise": (b"respondent,winner,loser\nr,A,B\n", ["winner", "loser"]),
        "bestworst": (
            b"respondent,task,item,choice\nr,1,A,Best\nr,1,B,\nr,1,C,WORST\n",
            ["task", "item", "choice"],
        ),
        "ahp": (b"respondent,item_a,item_b,value\nr,A,B,1/3\n", ["item_a", "item_b", "value"]),
        "points": (b"respondent,item,points\nr,A,10\n", ["item", "points"]),
    }
    for kind, (raw, columns) in cases.items():
        frame = load(raw, kind)
        assert list(frame.columns) == ["respondent", "group", *columns], kind
    assert load(cases["bestworst"][0], "bestworst")["choice"].tolist() == ["best", "", "worst"]
    assert load(cases["ahp"][0], "ahp")["value"].tolist() == [pytest.approx(1 / 3)]


def test_ahp_values_near_the_scale_ends_are_clipped():
    frame = load(b"respondent,item_a,item_b,value\nr,A,B,0.11\nr,B,C,9\nr,A,C,1/9\n", "ahp")
    assert frame["value"].tolist() == [1 / 9, 9.0, 1 / 9]


def test_blank_lines_and_trailing_empty_fields_are_skipped():
    frame = load(b"respondent,item,rank\n\nr1,A,1,,\n\nr1,B,2\n", "ranking")
    assert frame["item"].tolist() == ["A", "B"]


def test_delphi_rounds_are_whole_numbers():
    frame = load_delphi(b"respondent,round,item,value\nr1,1,A,4\nr1,2.0,A,5\n")
    assert frame["round"].tolist() == [1, 2]
    with pytest.raises(InputError) as error:
        load_delphi(b"respondent,round,item,value\nr1,1.5,A,4\n")
    assert (error.value.line, error.value.column) == (2, "round")


def test_read_table_does_not_validate():
    table = read_table(b"a,b\n1,2\n")
    assert table.frame.to_dict("list") == {"a": ["1"], "b": ["2"]}


# ---------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("raw", "kind", "line", "column", "words"),
    [
        (b"respondent,item,rank\nr1,A,1\nr1,B,x\n", "ranking", 3, "rank", "not a number"),
        (b"respondent,item,rank\nr1,A,1\nr1,A,2\n", "ranking", 3, "item", "twice"),
        (b"respondent,item,rank\nr1,A,0\n", "ranking", 2, "rank", "1 or more"),
        (b"respondent,item,rank\nr1,A,\n", "ranking", 2, "rank", "empty rank"),
        (b"respondent,item,value\nr1,A,1\nr1,A,2\n", "rating", 3, "item", "twice"),
        (b"respondent,item,value\n,A,1\n", "rating", 2, "respondent", "empty respondent"),
        (b"respondent,item,value\nr1,A,inf\n", "rating", 2, "value", "not a number"),
        (b"respondent,item,points\nr1,A,-1\n", "points", 2, "points", "negative"),
        (b"respondent,winner,loser\nr1,A,A\n", "pairwise", 2, "loser", "same item"),
        (b"respondent,item_a,item_b,value\nr1,A,B,10\n", "ahp", 2, "value", "1/9 and 9"),
        (b"respondent,item_a,item_b,value\nr1,A,B,0.1\n", "ahp", 2, "value", "1/9 and 9"),
        (b"respondent,item_a,item_b,value\nr1,A,B,2\nr1,B,A,3\n", "ahp", 3, "item_b", "twice"),
        (
            b"respondent,task,item,choice\nr1,t1,A,best\nr1,t1,B,\nr1,t1,C,\n",
            "bestworst",
            4,
            "choice",
            "no worst",
        ),
        (
            b"respondent,task,item,choice\nr1,t1,A,worst\nr1,t1,B,worst\nr1,t1,C,best\n",
            "bestworst",
            3,
            "choice",
            "two worst",
        ),
        (
            b"respondent,task,item,choice\nr1,t1,A,best\nr1,t1,B,worst\nr1,t2,A,best\n",
            "bestworst",
            4,
            "choice",
            "fewer than 2",
        ),
        (
            b"respondent,task,item,choice\nr1,t1,A,top\nr1,t1,B,worst\n",
            "bestworst",
            2,
            "choice",
            "best, worst or empty",
        ),
        (
            b"respondent,group,item,rank\nr1,NGO,A,1\nr1,Academic,B,2\n",
            "ranking",
            3,
            "group",
            "in group",
        ),
        (b"respondent,group,item,rank\nr1,,A,1\n", "ranking", 2, "group", "empty group"),
        (b"respondent,item,rank\nr1,A,1\nr1,B\n", "ranking", 3, "rank", "fields"),
        (b"respondent,item,rank\nr1,A,1,9\n", "ranking", 2, 4, "fields"),
        (b"respondent,item\nr1,A\n", "ranking", 1, "rank", "missing required column 'rank'"),
        (b"respondent,item,item,rank\n", "ranking", 1, "item", "twice in the header"),
    ],
)
def test_first_problem_is_located(raw, kind, line, column, words):
    error = error_of(raw, kind)
    assert error.line == line
    assert error.column == column
    assert words in str(error)
    assert f"line {line}" in str(error)
    assert "\n" not in str(error)


def test_column_number_is_in_the_message():
    error = error_of(b"respondent,group,item,rank\nr1,g,A,one\n", "ranking")
    assert str(error) == "line 2, column 4 (rank): rank is not a number: 'one'"


def test_earliest_problem_wins_across_checks():
    # line 3 has a bad rank, line 4 a duplicate, line 2 an empty item: line 2 is reported
    raw = b"respondent,item,rank\nr1,,1\nr2,A,x\nr2,A,2\n"
    error = error_of(raw, "ranking")
    assert (error.line, error.column) == (2, "item")
    # same line: the leftmost column first
    error = error_of(b"respondent,item,rank\n,A,x\n", "ranking")
    assert error.column == "respondent"


def test_duplicate_names_the_first_occurrence():
    error = error_of(b"respondent,item,rank\nr1,A,1\nr1,B,2\nr1,A,3\n", "ranking")
    assert error.line == 4
    assert "first on line 2" in str(error)


def test_physical_lines_count_quoted_line_breaks():
    error = error_of(DATA / "multiline_bad.csv", "ranking")
    assert (error.line, error.column) == (6, "rank")
    # a problem in a field *before* the line break stays on the record's first line
    raw = b'respondent,item,rank\nr1,"A\nB",1\n,"C\nD",2\n'
    error = error_of(raw, "ranking")
    assert (error.line, error.column) == (4, "respondent")


def test_dataframe_problems_are_at_position_plus_two():
    frame = pd.DataFrame(
        {"respondent": ["a", "b", "c"], "item": ["x", "y", "z"], "rank": [1, None, 2]}
    )
    error = error_of(frame, "ranking")
    assert (error.line, error.column) == (3, "rank")
    assert "empty rank" in str(error)


@pytest.mark.parametrize(
    ("raw", "line", "words"),
    [
        (b"", 1, "empty"),
        (b"\xef\xbb\xbf\n\n", 1, "empty"),
        (b"respondent,item,rank\n", 2, "no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 3, "binary"),
        (b"respondent,item,rank\nr1,Caf\xe9,1\n", 2, "UTF-8"),
        (b"Dear analyst,\nplease find the data attached\n", 1, None),
        (b"just one column\nvalue\n", 1, "not a comma-separated file"),
        (b"respondent;item;rank\nr1;A;1\n", 1, "not a comma-separated file"),
        (b'respondent,item,rank\n"r1,A,1\n', 2, "not a valid CSV"),
    ],
)
def test_files_that_are_not_csv(raw, line, words):
    error = error_of(raw, "ranking")
    assert error.line == line
    if words:
        assert words in str(error)


def test_not_utf8_names_the_column():
    error = error_of(b"respondent,item,rank\nr1,Caf\xe9,1\n", "ranking")
    assert error.column == 2


def test_unknown_kind_and_missing_file():
    assert "unknown kind 'votes'" in str(error_of(b"a\n", "votes"))
    assert "no such file" in str(error_of("/nonexistent/file.csv", "ranking"))
