"""``consult consultation import|export``: files in and out; bad input is one line, exit 2."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consult.models import AuditEvent, Consultation, ConsultationState
from consult.services.demo_question_types import load_question_types_demo
from consult.services.xlsform import MAX_UNCOMPRESSED_BYTES
from tests.transfer.conftest import by_slug, kobo_form

pytestmark = pytest.mark.db


@pytest.fixture
def demo(session):
    load_question_types_demo(session)
    session.commit()


def _count(session, model) -> int:
    session.rollback()  # see what the command committed, nothing else
    return session.scalar(select(func.count(model.id)))


def test_import_xlsform_prints_the_slug_and_the_report(runner, session, tmp_path):
    path = tmp_path / "needs.xlsx"
    path.write_bytes(kobo_form())
    result = runner.invoke(args=["consultation", "import", str(path), "--slug", "needs"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "Created draft consultation needs (3 sections, 11 questions; languages en, tr, ar)."
    )
    assert lines[1].startswith("Import report: ")
    assert "  - location: geopoint question not imported — Consult has no such type" in lines
    assert any("choice_filter" in line and "warning" in line for line in lines)
    consultation = by_slug(session, "needs")
    assert consultation.state == ConsultationState.DRAFT
    assert session.scalar(select(AuditEvent.action)) == "consultation.import"


def test_export_json_then_import_it_elsewhere(runner, session, tmp_path, demo):
    out = tmp_path / "qt.json"
    result = runner.invoke(args=["consultation", "export", "question-types", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"Exported question-types as json to {out}.\n"
    document = json.loads(out.read_text("utf-8"))
    assert document["format"] == "consult.consultation"
    assert not list(tmp_path.glob(".*.part"))
    result = runner.invoke(args=["consultation", "import", str(out), "--slug", "qt-copy"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Created draft consultation qt-copy (5 sections, 12 questions; languages tr, en, ar).",
        "Import report: everything was imported.",
    ]
    again = tmp_path / "again.json"
    assert (
        runner.invoke(args=["consultation", "export", "qt-copy", "-o", str(again)]).exit_code == 0
    )
    copy = json.loads(again.read_text("utf-8"))
    copy["consultation"]["slug"] = "question-types"
    assert copy == document
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["consultation.export", "consultation.import", "consultation.export"]


def test_export_xlsform_lists_what_is_left_out(runner, session, tmp_path, demo):
    out = tmp_path / "qt.xlsx"
    result = runner.invoke(
        args=["consultation", "export", "question-types", "--format", "xlsform", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "  - not exported: pairwise: pairwise question not exported" in result.output
    assert out.read_bytes().startswith(b"PK")
    result = runner.invoke(args=["consultation", "import", str(out), "--slug", "from-xlsform"])
    assert result.exit_code == 0, result.output
    assert by_slug(session, "from-xlsform").rounds[0].questions[0].code == "single_choice"


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as handle:
            for _ in range(MAX_UNCOMPRESSED_BYTES // 2**20 + 1):
                handle.write(b"\0" * 2**20)
    return out.getvalue()


BAD_FILES = {
    "missing.json": None,
    "bad.json": b'{"format": "consult.consultation", ',
    "list.json": b"[]",
    "old.json": b'{"format": "consult.consultation", "version": 9}',
    "bomb.xlsx": _bomb,
    "form.csv": b"type,name,label\ntext,a,A\n",
    "fake.xlsx": b"type,name,label\ntext,a,A\n",
    "empty.json": b"",
}


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.json", "no such file:"),
        ("bad.json", "not valid JSON: Expecting property name"),
        ("list.json", "$: the document must be a JSON object"),
        ("old.json", "$: missing key 'consultation'"),
        ("bomb.xlsx", "refused: the .xlsx unpacks to more than 100 MB"),
        ("form.csv", "give an XLSForm (.xlsx) or a consultation export (.json)"),
        ("fake.xlsx", "not an .xlsx workbook"),
        ("empty.json", "is empty"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(runner, session, tmp_path, name, message):
    path = tmp_path / name
    content = BAD_FILES[name]
    if content is not None:
        path.write_bytes(content() if callable(content) else content)
    result = runner.invoke(args=["consultation", "import", str(path)])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert message in result.output
    assert _count(session, Consultation) == 0
    assert _count(session, AuditEvent) == 0


def test_a_taken_slug_is_one_line_and_nothing_changes(runner, session, tmp_path, demo):
    path = tmp_path / "form.xlsx"
    path.write_bytes(kobo_form())
    result = runner.invoke(args=["consultation", "import", str(path), "--slug", "question-types"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: the slug 'question-types' is already taken; choose another one with --slug"
    )
    assert _count(session, Consultation) == 1
    assert _count(session, AuditEvent) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "-o", "x.json"], "no consultation with the slug 'nope'"),
        (["question-types", "--format", "csv", "-o", "x.csv"], "unknown format 'csv'"),
        (["question-types"], "give the output file with -o FILE"),
        (["question-types", "-o", "missing-dir/x.json"], "cannot write"),
        (["question-types", "--format", "xlsform", "--round", "3", "-o", "x.xlsx"], "no round 3"),
    ],
)
def test_bad_export_is_one_line_and_writes_nothing(
    runner, session, tmp_path, demo, monkeypatch, args, message
):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(args=["consultation", "export", *args])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert message in result.output
    assert _count(session, AuditEvent) == 0
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == []
