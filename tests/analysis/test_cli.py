"""The command-line contract, through a real subprocess: JSON, CSV, exit codes, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DATA, needs

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", *map(str, args)],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


def assert_one_line_error(result, *words: str) -> str:
    assert result.returncode == 2, result.stderr
    assert result.stdout == b""
    err = result.stderr.decode("utf-8")
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err.startswith("error: ")
    for word in words:
        assert word in err, err
    return err


@pytest.fixture
def points_file(tmp_path):
    needs("points", "mean-share")
    rows = ["respondent,group,item,points"]
    for i in range(12):
        group = "NGO" if i < 7 else "Öz-örgüt"
        rows += [f"r{i},{group},Tercüman,{50 + i}", f"r{i},{group},بيانات,{50 - i}"]
    path = tmp_path / "points.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_rank_json(points_file, tmp_path):
    shares = tmp_path / "shares.csv"
    shares.write_text("group,share\nNGO,0.5\nÖz-örgüt,0.5\n", encoding="utf-8")
    result = run(
        "rank",
        points_file,
        "--kind",
        "points",
        "--method",
        "mean-share",
        "--weights",
        "post-stratified",
        "--group-shares",
        shares,
        "--bootstrap",
        "100",
        "--seed",
        "4",
        "--confidence",
        "0.9",
        "--top-k",
        "1",
        "--by-group",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    payload = json.loads(result.stdout.decode("utf-8"))
    assert payload["kind"] == "points"
    assert payload["method"] == "mean-share"
    assert payload["weights"] == "post-stratified"
    assert payload["n_respondents"] == 12
    assert payload["n_groups"] == 2
    assert payload["n_effective"] < 12
    assert [item["item"] for item in payload["items"]] == ["Tercüman", "بيانات"]
    first = payload["items"][0]
    assert first["rank"] == 1
    assert first["ci_low"] <= first["score"] <= first["ci_high"]
    assert first["p_top_k"] == 1.0
    assert payload["groups"]["NGO"]["n"] == 7
    assert payload["groups"]["Öz-örgüt"]["n"] == 5
    assert payload["confidence"] == 0.9
    # the same command gives the same output, to the last digit
    again = run(
        "rank",
        points_file,
        "--kind=points",
        "--method=mean-share",
        "--weights=post-stratified",
        f"--group-shares={shares}",
        "--bootstrap=100",
        "--seed=4",
        "--confidence=0.9",
        "--top-k=1",
        "--by-group",
    )
    assert again.stdout == result.stdout


def test_rank_csv_format_and_stdin(points_file):
    result = run(
        "rank", "-", "--kind", "points", "--method", "mean-share", "--format", "csv",
        stdin=points_file.read_bytes(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode("utf-8"))))
    assert list(rows[0]) == [
        "item",
        "score",
        "rank",
        "ci_low",
        "ci_high",
        "rank_ci_low",
        "rank_ci_high",
        "p_top_k",
    ]
    assert rows[0]["item"] == "Tercüman"
    assert rows[0]["rank"] == "1"
    assert rows[0]["ci_low"] == ""


def test_delphi_json_and_csv(tmp_path):
    path = tmp_path / "delphi.csv"
    path.write_text(
        "respondent,round,item,value\n"
        + "".join(f"p{i},1,A,{v}\n" for i, v in enumerate([2, 4, 5, 4]))
        + "".join(f"p{i},2,A,{v}\n" for i, v in enumerate([4, 4, 5, 4])),
        encoding="utf-8",
    )
    result = run("delphi", path, "--agree-min", "4", "--agree-share", "0.75", "--iqr-max", "1")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["items"][0] == {
        "item": "A",
        "round": 1,
        "n": 4,
        "median": 4.0,
        "iqr": 0.75,
        "share_agree": 0.75,
        "consensus": True,
    }
    assert payload["stability"] == [{"item": "A", "share_changed": 0.25, "wilcoxon_p": 1.0}]
    result = run("delphi", path, "--format", "csv")
    assert result.stdout.decode().splitlines()[0] == "item,round,n,median,iqr,share_agree,consensus"


def test_errors_name_line_and_column(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b'respondent,item,rank\nr1,"two\nlines",1\nr1,B,high\n')
    err = assert_one_line_error(
        run("rank", bad, "--kind", "ranking", "--method", "borda"), "line 4", "column 3 (rank)"
    )
    assert str(bad) in err
    dup = tmp_path / "dup.csv"
    dup.write_bytes(b"respondent,winner,loser\nr1,A,B\nr1,A,A\n")
    assert_one_line_error(
        run("rank", dup, "--kind", "pairwise", "--method", "copeland"), "line 3", "(loser)"
    )
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert_one_line_error(run("delphi", empty), "line 1", "empty")
    binary = tmp_path / "picture.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert_one_line_error(
        run("rank", binary, "--kind", "ranking", "--method", "borda"), "line", "not a CSV"
    )


def test_errors_without_a_line():
    ranking = DATA / "ranking_groups.csv"
    assert_one_line_error(run("rank", ranking, "--kind", "votes", "--method", "x"), "unknown kind")
    assert_one_line_error(
        run("rank", ranking, "--kind", "pairwise", "--method", "nonsense"), "unknown method"
    )
    assert_one_line_error(
        run("rank", "missing.csv", "--kind", "pairwise", "--method", "copeland"), "no such file"
    )
    assert_one_line_error(run("rank", ranking, "--kind", "ranking"), "--method")
    assert_one_line_error(
        run("rank", ranking, "--kind", "pairwise", "--method", "copeland", "--bootstrap", "many"),
        "invalid int value",
    )
    assert_one_line_error(run(), "choose a command")


def test_bad_group_shares_name_their_file(points_file, tmp_path):
    shares = tmp_path / "shares.csv"
    shares.write_text("group,share\nNGO,half\n", encoding="utf-8")
    err = assert_one_line_error(
        run(
            "rank", points_file, "--kind", "points", "--method", "mean-share",
            "--weights", "post-stratified", "--group-shares", shares,
        ),
        "line 2",
        "(share)",
    )  # fmt: skip
    assert str(shares) in err
    shares.write_text("group,share\nNGO,1\n", encoding="utf-8")
    assert_one_line_error(
        run(
            "rank", points_file, "--kind", "points", "--method", "mean-share",
            "--weights", "post-stratified", "--group-shares", shares,
        ),
        "no share given for group 'Öz-örgüt'",
    )  # fmt: skip
    assert_one_line_error(
        run("rank", points_file, "--kind", "points", "--method", "mean-share", "--confidence", "2"),
        "confidence",
    )


def test_methods_and_help():
    result = run("methods", "--kind", "pairwise")
    assert result.returncode == 0
    assert b"pairwise\tbradley-terry" in result.stdout
    result = run("rank", "--help")
    assert result.returncode == 0
    for flag in (b"--weights", b"--group-shares", b"--bootstrap", b"--by-group", b"--option"):
        assert flag in result.stdout


def test_method_options_reach_the_method():
    from analysis.result import rank

    ranking = DATA / "ranking_groups.csv"
    result = run(
        "rank", ranking, "--kind", "ranking", "--method", "borda", "--borda-partial", "zero",
        "--option", "unused-option=3",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    expected = rank(ranking, "ranking", "borda", options={"borda_partial": "zero"}).to_dict()
    assert payload["items"] == expected["items"]
    default = rank(ranking, "ranking", "borda").to_dict()
    assert payload["items"] != default["items"]
    assert_one_line_error(
        run("rank", ranking, "--kind", "ranking", "--method", "borda", "--option", "novalue"),
        "KEY=VALUE",
    )
