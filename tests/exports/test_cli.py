"""``consult export SLUG --format csv|xlsx|sav [--shape ...] -o FILE``.

Bad input prints one line and exits with status 2, writing nothing.
"""

from __future__ import annotations

import io

import pandas as pd
import pyreadstat
import pytest
from sqlalchemy import select

from consult.cli import _ProgressBars
from consult.models import AuditEvent
from tests.exports.conftest import PLAN, TYPES

pytestmark = pytest.mark.db


@pytest.fixture
def committed(session, plan, question_types):
    session.commit()
    return plan


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--format", "csv"], "no consultation with the slug 'nope'"),
        ([PLAN, "--format", "pdf"], "unknown format 'pdf': use csv, xlsx, sav"),
        ([PLAN, "--format", "csv", "--shape", "tall"], "unknown shape 'tall'"),
        ([PLAN, "--format", "csv", "--round", "4"], "has no round 4 (rounds: 1)"),
        ([PLAN, "--format", "sav", "--lang", "fr"], "is not offered in 'fr'"),
        ([PLAN, "--format", "sav", "--shape", "codebook"], "the codebook is exported as csv"),
        ([PLAN, "--format", "csv", "--shape", "results"], "--shape results needs --question"),
        ([PLAN, "--format", "sav", "--shape", "results", "--question", "top5_actions"], "format"),
        ([PLAN, "--format", "csv", "--question", "top5_actions"], "go with --shape results"),
        ([PLAN, "--format", "csv", "--shape", "results", "--question", "x"], "no question 'x'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runner, committed, tmp_path, args, message) -> None:
    out = tmp_path / "out.file"
    result = runner.invoke(args=["export", *args, "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    assert message in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_missing_output_is_one_line(runner, committed) -> None:
    result = runner.invoke(args=["export", PLAN, "--format", "csv"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["Error: give the output file with -o FILE"]


def test_exports_re_read_and_are_audited(runner, session, committed, tmp_path) -> None:
    wide = tmp_path / "wide.csv"
    result = runner.invoke(args=["export", PLAN, "--format", "csv", "-o", str(wide)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Exported 40 row(s) of {PLAN} (wide, csv) to {wide}."
    frame = pd.read_csv(wide, encoding="utf-8-sig")
    assert len(frame) == 40
    assert frame.response_id.is_unique

    sav = tmp_path / "types.sav"
    result = runner.invoke(
        args=["export", TYPES, "--format", "sav", "--shape", "long", "--lang", "ar", "-o", str(sav)]
    )
    assert result.exit_code == 0, result.output
    data, meta = pyreadstat.read_sav(str(sav))
    assert set(data.response_id) == {float(r) for r in data.response_id}
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["question"]  # labelled (in Arabic once the catalogs are compiled)

    results = tmp_path / "results.xlsx"
    result = runner.invoke(
        args=[
            "export",
            PLAN,
            "--format",
            "xlsx",
            "--shape",
            "results",
            "--question",
            "top5_actions",
            "--method",
            "borda",
            "-o",
            str(results),
        ]
    )
    assert result.exit_code == 0, result.output
    assert list(pd.read_excel(results, sheet_name=None)) == ["results", "respondents", "about"]

    session.rollback()
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    exported = [e for e in events if e.action.startswith("export.")]
    assert [(e.action, e.actor_id, e.details.get("format")) for e in exported] == [
        ("export.responses", None, "csv"),
        ("export.responses", None, "sav"),
        ("export.results", None, "xlsx"),
    ]
    assert exported[0].details["responses"] == 40
    assert exported[1].details["language"] == "ar"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bars_render_on_a_terminal() -> None:
    stream = Terminal()
    bars = _ProgressBars(stream)
    for done in (0, 500, 1000, 1200):
        bars("responses", done, 1200)
    bars("rows", 0, 10)
    bars("rows", 4, 10)
    bars.close()  # an unfinished bar is closed too
    text = stream.getvalue()
    assert "Reading responses" in text
    assert "100%" in text
    assert "Writing rows" in text
    assert text.count("\n") == 2  # each bar ends its line
