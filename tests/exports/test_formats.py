"""CSV, XLSX and SPSS files, re-read with pandas, openpyxl and pyreadstat."""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

from consult.models import AnonymityMode
from consult.services.codebook import MAX_LABEL_BYTES, MAX_VALUE_LABEL_BYTES, truncate_bytes
from consult.services.exports import (
    codebook_frame,
    render,
    response_table,
    write_csv,
)
from tests.exports.conftest import ARABIC, FORMULA, TURKISH, submit_invited, with_mode

pytestmark = pytest.mark.db

SPSS_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def sav_text(text: str, limit: int) -> str:
    """A label as SPSS keeps it: cut to ``limit`` bytes, trailing blanks dropped."""
    return truncate_bytes(text, limit).rstrip()


def read_csv(data: bytes) -> pd.DataFrame:
    assert data.startswith(b"\xef\xbb\xbf")
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False, dtype=str)


def as_text(value) -> str:
    """How a cell of the frame is written in a CSV file."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@pytest.mark.parametrize("shape", ["wide", "long"])
def test_csv_gives_back_the_values(session, question_types, shape) -> None:
    table = response_table(session, question_types.consultation, shape)
    data = render(table, "csv")
    assert b"\r\n" in data
    read = read_csv(data)
    assert list(read.columns) == table.codebook.names
    assert len(read) == len(table.frame)
    kinds = {v.name: v.kind for v in table.codebook.variables}
    for name in read.columns:
        expected = [as_text(v) for v in table.frame[name]]
        if kinds[name] == "string":  # neutralised text keeps its apostrophe on re-reading
            expected = [
                ("'" + t) if t[:1] in ("=", "+", "-", "@", "\t", "\r") else t for t in expected
            ]
        assert list(read[name]) == expected, name


def test_csv_keeps_arabic_and_turkish_and_neutralises_formulas(session, question_types) -> None:
    table = response_table(session, question_types.consultation, "wide")
    text = render(table, "csv").decode("utf-8-sig")
    read = read_csv(render(table, "csv")).set_index("response_id")
    first, turkish, arabic, _ = question_types.submitted
    assert read.loc[str(first.id), "short_text"] == "'" + FORMULA
    assert read.loc[str(first.id), "long_text"] == "'-2 and @SUM(A1)\tfine"
    assert read.loc[str(turkish.id), "short_text"] == TURKISH
    assert read.loc[str(arabic.id), "short_text"] == ARABIC
    assert TURKISH in text
    assert ARABIC in text
    assert "\n=" not in text
    assert ",=" not in text


def test_csv_neutralises_text_but_never_numbers() -> None:
    frame = pd.DataFrame(
        {"n": pd.array([-3, 2], dtype="Int64"), "x": [-0.5, 1.5], "t": ["-3", "+cmd|' /C calc'!A0"]}
    )
    data = write_csv(frame, {"n": "numeric", "x": "numeric", "t": "string"})
    assert data.decode("utf-8-sig").splitlines() == [
        "n,x,t",
        "-3,-0.5,'-3",
        "2,1.5,'+cmd|' /C calc'!A0",
    ]


@pytest.mark.parametrize("shape", ["wide", "long"])
def test_xlsx_data_and_codebook(session, question_types, shape) -> None:
    table = response_table(session, question_types.consultation, shape)
    data = render(table, "xlsx")
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["data", "codebook", "value_labels", "questions"]
    header = [c.value for c in workbook["data"][1]]
    assert header == table.codebook.names
    listed = [row[0] for row in workbook["codebook"].iter_rows(min_row=2, values_only=True)]
    assert listed == header  # the codebook lists every variable of the data sheet
    read = pd.read_excel(io.BytesIO(data), sheet_name="data")
    assert len(read) == len(table.frame)
    for name, v in ((v.name, v) for v in table.codebook.variables):
        got, want = read[name].tolist(), table.frame[name].tolist()
        if v.kind == "numeric":  # openpyxl writes 16 significant digits (Excel shows 15)
            assert [None if pd.isna(x) else float(x) for x in got] == [
                None if pd.isna(x) else pytest.approx(float(x), rel=1e-15) for x in want
            ], name
        elif v.kind == "date":
            assert [x.date() for x in got] == want, name
        else:
            assert [None if pd.isna(x) else x for x in got] == want, name
    questions = pd.read_excel(io.BytesIO(data), sheet_name="questions")
    assert set(questions.question) == {
        q.code for q in question_types.consultation.rounds[0].questions
    }
    assert {"text_tr", "text_en", "text_ar"} <= set(questions.columns)


def test_xlsx_stores_formula_like_text_as_text(session, question_types) -> None:
    table = response_table(session, question_types.consultation, "wide")
    data = render(table, "xlsx")
    sheet = load_workbook(io.BytesIO(data))["data"]
    column = [c.value for c in sheet[1]].index("short_text") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    formula = next(c for c in cells if c.value == FORMULA)
    assert formula.data_type == "s"
    long_text = [c.value for c in sheet[1]].index("long_text") + 1
    assert sheet.cell(row=formula.row, column=long_text).data_type == "s"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # no formula anywhere
    assert "<f " not in xml
    assert f"<t>{FORMULA}</t>" in xml


def test_codebook_sheet_has_labels_value_labels_and_texts_per_language(
    session, question_types
) -> None:
    table = response_table(session, question_types.consultation, "wide")
    book = pd.read_excel(io.BytesIO(render(table, "xlsx")), sheet_name=None)
    codebook = book["codebook"].set_index("variable")
    for lang in ("tr", "en", "ar"):
        assert {f"label_{lang}", f"question_text_{lang}", f"value_labels_{lang}"} <= set(
            codebook.columns
        )
    rating = codebook.loc["rating"]
    assert rating.missing == 99
    assert rating.value_labels_en.startswith("1 = ")
    assert "99 = " in rating.value_labels_ar
    values = book["value_labels"]
    single = values[values.variable == "single_choice"]
    options = next(
        q for q in question_types.consultation.rounds[0].questions if q.code == "single_choice"
    ).options
    assert list(single.code) == [o.code for o in options]
    assert list(single.label_ar) == [o.label["ar"] for o in options]
    assert list(single.value) == list(range(1, len(options) + 1))
    csv_codebook = read_csv(
        render(response_table(session, question_types.consultation, "codebook"), "csv")
    )
    assert list(csv_codebook.variable) == table.codebook.names
    assert list(codebook_frame(table.codebook).variable) == table.codebook.names


@pytest.mark.parametrize("language", ["tr", "ar"])
def test_sav_gives_back_values_and_labels(session, question_types, tmp_path, language) -> None:
    table = response_table(session, question_types.consultation, "wide", language=language)
    path = tmp_path / "wide.sav"
    path.write_bytes(render(table, "sav"))
    data, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert list(data.columns) == table.codebook.names
    assert all(SPSS_NAME.match(n) and len(n.encode()) <= 64 for n in data.columns)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    for v in table.codebook.variables:
        assert labels[v.name] == sav_text(v.labels[language], MAX_LABEL_BYTES), v.name
        want = table.frame[v.name].tolist()
        got = data[v.name].tolist()
        if v.kind == "numeric":
            assert [None if pd.isna(x) else float(x) for x in got] == [
                None if pd.isna(x) else float(x) for x in want
            ], v.name
            if v.value_labels:
                assert meta.variable_value_labels[v.name] == {
                    float(vl.value): sav_text(vl.labels[language], MAX_VALUE_LABEL_BYTES)
                    for vl in v.value_labels
                }
        elif v.kind == "string":
            assert got == ["" if x is None else x for x in want], v.name
        else:
            assert got == want, v.name
    assert meta.missing_ranges["rating"] == [{"lo": 99.0, "hi": 99.0}]
    assert meta.variable_measure["ranking_district_data"] == "ordinal"
    assert meta.variable_measure["number"] == "scale"
    _first, turkish, arabic, _ = question_types.submitted
    by_id = data.set_index("response_id")
    assert by_id.loc[float(arabic.id), "short_text"] == ARABIC
    assert by_id.loc[float(turkish.id), "short_text"] == TURKISH
    assert by_id.loc[float(turkish.id), "rating"] == 99


def test_sav_long_carries_text_answers(session, question_types, tmp_path) -> None:
    table = response_table(session, question_types.consultation, "long")
    path = tmp_path / "long.sav"
    path.write_bytes(render(table, "sav"))
    data, meta = pyreadstat.read_sav(str(path))
    assert len(data) == len(table.frame)
    assert set(data.question_type) == set(table.frame.question_type)
    assert ARABIC in set(data.text)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["question"] == table.codebook.variables[6].labels["tr"]


def test_labels_longer_than_spss_allows_are_cut_on_a_character(
    session, question_types, tmp_path
) -> None:
    q = next(q for q in question_types.consultation.rounds[0].questions if q.code == "number")
    q.text = {**q.text, "ar": "ع" * 300}
    session.flush()
    table = response_table(session, question_types.consultation, "wide", language="ar")
    path = tmp_path / "long-labels.sav"
    path.write_bytes(render(table, "sav"))
    _data, meta = pyreadstat.read_sav(str(path))
    label = meta.column_labels[meta.column_names.index("number")]
    assert label == "ع" * 128  # 256 bytes, never half a character


@pytest.mark.parametrize("mode", [AnonymityMode.ANONYMOUS, AnonymityMode.CONFIDENTIAL])
def test_anonymous_and_confidential_exports_hold_no_invitation_data(session, plan, mode) -> None:
    with_mode(session, plan, mode)
    submit_invited(
        session,
        plan,
        ["district_data"],
        organisation="Göç Derneği",
        name="Ayşe Yılmaz",
        email="ayse@example.org",
    )
    for shape in ("wide", "long"):
        table = response_table(session, plan, shape)
        assert not [n for n in table.frame.columns if n.startswith("invitation")]
        for fmt in ("csv", "xlsx", "sav"):
            data = render(table, fmt)
            for secret in ("Göç Derneği", "Ayşe Yılmaz", "ayse@example.org"):
                assert secret.encode() not in data, (shape, fmt, secret)
            if fmt == "xlsx":
                text = "".join(
                    zipfile.ZipFile(io.BytesIO(data)).read(n).decode()
                    for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
                )
                assert "Ayşe" not in text
                assert "example.org" not in text


def test_named_exports_hold_organisation_and_contact_but_never_email(session, plan) -> None:
    with_mode(session, plan, AnonymityMode.NAMED)
    response = submit_invited(
        session,
        plan,
        ["district_data"],
        organisation="=HYPERLINK(1)",
        name="نور الهدى",
        email="nour@example.org",
    )
    table = response_table(session, plan, "wide")
    row = table.frame.set_index("response_id").loc[response.id]
    assert row.invitation_id == response.invitation_id
    assert row.invitation_organisation == "=HYPERLINK(1)"
    assert row.invitation_contact == "نور الهدى"
    others = table.frame[table.frame.response_id != response.id]
    assert others.invitation_id.isna().all()  # the synthetic responses have no invitation
    for fmt in ("csv", "xlsx", "sav"):
        assert b"nour@example.org" not in render(table, fmt)
    read = read_csv(render(table, "csv")).set_index("response_id")
    assert read.loc[str(response.id), "invitation_organisation"] == "'=HYPERLINK(1)"
