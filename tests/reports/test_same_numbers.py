"""The report, the results page and the command line show the same numbers (demo, 123
responses): every row of the results page's ranking table is a row of the PDF, and the command
line prints the PDF's first-ranked action per objective with the same score."""

from __future__ import annotations

import html as html_lib
import io
import json
import re
from pathlib import Path

import pytest
from babel.numbers import format_decimal
from flask import Flask
from pypdf import PdfReader

from consult.services import priorities
from tests.facilitator.conftest import FS_TUPLE_CHOICES, Staff, fetch, sign_in_as

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

P = "/manage/consultations/migration-action-plan"
ROW = re.compile(
    r"<tr>\s*<td>(\d+)</td>\s*<th scope=\"row\">(.*?)</th>\s*(?:<td>[^<]*</td>\s*)?"
    r"<td>([^<]+)</td>\s*<td><bdi>([^<]+)</bdi> – <bdi>([^<]+)</bdi></td>\s*"
    r"<td>(?:<bdi>(\d+)</bdi> – <bdi>(\d+)</bdi>|(\d+))</td>",
    re.S,
)


@pytest.fixture
def demo_responses() -> int:
    return 123


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def results_page_rows(html: str) -> list[str]:
    table = html.split('id="ranking"', 1)[1].split("</table>", 1)[0]
    rows = []
    for m in ROW.finditer(table):
        rank, label, score, low, high = m.group(1, 2, 3, 4, 5)
        ranks = m.group(8) or f"{m.group(6)} – {m.group(7)}"
        rows.append(f"{rank} {html_lib.unescape(label)} {score} {low} – {high} {ranks}")
    return rows


@pytest.mark.parametrize("language", ["tr"])
def test_pdf_results_page_and_command_line_agree(
    app: Flask, staff: Staff, tmp_path: Path, language: str
) -> None:
    client = app.test_client()
    sign_in_as(client, staff.analyst)
    page = fetch(app, client, "GET", f"{P}/results?question=action_priority&lang={language}")
    assert page.status_code == 200
    rows = results_page_rows(page.get_data(as_text=True))
    assert len(rows) == 16

    pdf = fetch(app, client, "GET", f"{P}/report.pdf?lang={language}")
    assert pdf.status_code == 200
    text = compact("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages))
    for row in rows:
        assert compact(row) in text, row

    output = tmp_path / "report.pdf"
    result = app.test_cli_runner().invoke(
        args=["report", "migration-action-plan", "--lang", language, "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert output.read_bytes()[:5] == b"%PDF-"
    firsts = [line.strip() for line in result.stdout.splitlines()[1:]]
    assert len(firsts) == 4
    for line in firsts:  # "Objective: label (score)"
        objective, rest = line.split(": ", 1)
        label, score = rest.rsplit(" (", 1)
        assert any(compact(f"{label}{score[:-1]}") in compact(row) for row in rows), line
        assert compact(f"{objective}{label}{score[:-1]}") in text

    # the analysis command line (``consult results``) with the results page's defaults
    result = app.test_cli_runner().invoke(
        args=[
            "results",
            "migration-action-plan",
            "--question",
            "action_priority",
            "--bootstrap",
            str(priorities.DEFAULT_BOOTSTRAP),
            "--seed",
            str(priorities.DEFAULT_SEED),
        ]
    )
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)["items"]
    assert len(items) == 16

    def fmt(value: float) -> str:
        return format_decimal(value, format="#,##0.000", locale=language)

    for item in items:
        cells = f"{fmt(item['score'])}{fmt(item['ci_low'])}–{fmt(item['ci_high'])}"
        assert cells in text, item
