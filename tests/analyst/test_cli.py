"""``consult results SLUG --question CODE ... --format json`` prints what ``python -m analysis``
prints for the same frame and options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from consult.extensions import db
from consult.services import priorities as pr

pytestmark = pytest.mark.db
ROOT = Path(__file__).resolve().parents[2]


def analysis_cli(frame_csv: Path, *args: str) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "rank", str(frame_csv), *args],
        capture_output=True,
        check=True,
        cwd=ROOT,
    )
    return done.stdout


@pytest.mark.parametrize(
    ("consult_args", "service_kwargs", "analysis_args"),
    [
        (
            [
                "--question",
                "top5_actions",
                "--method",
                "schulze",
                "--bootstrap",
                "50",
                "--seed",
                "3",
            ],
            {"question_code": "top5_actions", "method": "schulze", "bootstrap": 50, "seed": 3},
            ["--kind", "ranking", "--method", "schulze", "--bootstrap", "50", "--seed", "3"],
        ),
        (
            [
                "--question",
                "action_priority",
                "--method",
                "top-box",
                "--weighting",
                "equal-groups",
                "--bootstrap",
                "40",
                "--seed",
                "9",
                "--top-k",
                "5",
                "--group",
                "national_ngo",
                "--group",
                "academic",
                "--group",
                "donor",
                "--language",
                "tr",
                "--language",
                "en",
                "--by-group",
            ],
            {
                "question_code": "action_priority",
                "method": "top-box",
                "weighting": "equal-groups",
                "bootstrap": 40,
                "seed": 9,
                "top_k": 5,
                "filters": pr.Filters(
                    groups=("national_ngo", "academic", "donor"), languages=("tr", "en")
                ),
            },
            [
                "--kind",
                "rating",
                "--method",
                "top-box",
                "--weights",
                "equal-groups",
                "--bootstrap",
                "40",
                "--seed",
                "9",
                "--top-k",
                "5",
                "--scale-max",
                "5",
                "--by-group",
                "--min-group-size",
                "5",
            ],
        ),
    ],
)
def test_the_json_is_the_analysis_command_line_s(
    staff, runner, tmp_path, consult_args, service_kwargs, analysis_args
):
    result = runner.invoke(
        args=["results", "migration-action-plan", *consult_args, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    code = service_kwargs.pop("question_code")
    data = pr.analysis_frame(db.session, staff.a, code, **service_kwargs)
    frame_csv = tmp_path / "frame.csv"
    data.frame.to_csv(frame_csv, index=False)
    expected = analysis_cli(frame_csv, *analysis_args)
    assert result.stdout_bytes == expected
    payload = json.loads(expected)
    assert (payload["groups"] is not None) is ("--by-group" in consult_args)
    assert payload["n_respondents"] == data.frame.respondent.nunique()
    if "--group" in consult_args:
        assert payload["n_respondents"] < 28 + 17 + 6  # some answered in Arabic
        assert set(payload["groups"]) == {"national_ngo", "academic", "donor"}
        assert payload["groups"]["donor"]["suppressed"] is (payload["groups"]["donor"]["n"] is None)


def test_small_cells_follow_the_consultation(staff, runner):
    staff.a.min_group_size = 7
    db.session.commit()
    result = runner.invoke(
        args=["results", "migration-action-plan", "--question", "top5_actions", "--by-group"]
    )
    assert result.exit_code == 0, result.output
    groups = json.loads(result.stdout)["groups"]
    assert groups["donor"] == {"n": None, "suppressed": True, "items": None, "agreement": None}
    assert groups["national_ngo"]["n"] == 28


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--question", "top5_actions"], "no consultation with the slug 'nope'"),
        (["migration-action-plan", "--question", "comments"], "no priority question 'comments'"),
        (
            ["migration-action-plan", "--question", "top5_actions", "--method", "mean"],
            "unknown method",
        ),
        (["migration-action-plan", "--question", "top5_actions", "--bootstrap", "-1"], "bootstrap"),
        (
            ["migration-action-plan", "--question", "top5_actions", "--format", "csv"],
            "unknown format",
        ),
        (
            ["migration-action-plan", "--question", "top5_actions", "--source", "workshop"],
            "no submitted answers to this question match",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(staff, runner, args, message):
    result = runner.invoke(args=["results", *args])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ")
    assert message in lines[0]
