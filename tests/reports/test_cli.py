"""``consult report SLUG --lang tr|en|ar -o FILE.pdf``: a PDF and a summary, or one line and
exit status 2 (never a traceback, no file written)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader

from consult.extensions import db
from consult.services.demo import load_demo
from tests.conftest import make_test_app
from tests.reports.conftest import empty_database

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def demo_app(migrated_url: str) -> Iterator[Flask]:
    application = make_test_app(migrated_url)
    with application.app_context():
        load_demo(db.session, responses=40)
        db.session.commit()
        db.session.remove()
    try:
        yield application
    finally:
        with application.app_context():
            empty_database()


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["report", *args])


def test_writes_the_pdf_and_prints_the_first_actions(demo_app: Flask, tmp_path: Path) -> None:
    output = tmp_path / "rapor.pdf"

    result = run(demo_app, "migration-action-plan", "--lang", "en", "-o", str(output))

    assert result.exit_code == 0, result.output
    reader = PdfReader(io.BytesIO(output.read_bytes()))
    assert reader.trailer["/Root"]["/Lang"] == "en"
    lines = result.stdout.splitlines()
    size = output.stat().st_size // 1024
    assert lines[0] == f"Wrote {output}: {len(reader.pages)} pages, {size} kB, en."
    assert [line.split(": ")[0].strip() for line in lines[1:]] == [
        "Coordination",
        "Capacity building",
        "Research and data collection",
        "Social cohesion",
    ]
    assert "Report migration-action-plan (en)" in result.stderr  # the progress bar


def test_the_default_language_is_the_consultations(demo_app: Flask, tmp_path: Path) -> None:
    output = tmp_path / "rapor.pdf"

    result = run(demo_app, "migration-action-plan", "--question", "top5_actions", "-o", str(output))

    assert result.exit_code == 0, result.output
    assert PdfReader(io.BytesIO(output.read_bytes())).trailer["/Root"]["/Lang"] == "tr"
    assert "Koordinasyon: " in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["migration-action-plan", "--lang", "xx"], "Error: unknown language 'xx': use tr, en, ar"),
        (["no-such-consultation", "--lang", "en"], "Error: no consultation with the slug"),
        (
            ["migration-action-plan", "--question", "nope"],
            "Error: no priority question 'nope' in this consultation",
        ),
        (
            ["migration-action-plan", "--question", "comments"],
            "Error: no priority question 'comments' in this consultation",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    demo_app: Flask, tmp_path: Path, args: list[str], message: str
) -> None:
    output = tmp_path / "out.pdf"

    result = run(demo_app, *args, "-o", str(output))

    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1
    assert errors[0].startswith(message)
    assert "Traceback" not in result.output
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []


def test_an_output_file_is_required(demo_app: Flask, tmp_path: Path) -> None:
    result = run(demo_app, "migration-action-plan")
    assert result.exit_code == 2
    assert "Error: give the output file with -o FILE.pdf" in result.stderr

    result = run(demo_app, "migration-action-plan", "-o", str(tmp_path / "missing" / "r.pdf"))
    assert result.exit_code == 2
    assert "no such folder" in result.stderr
