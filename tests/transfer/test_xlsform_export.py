"""XLSForm export: what XLSForm can express, and the export → import round trip."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from consult.models import AuditEvent, Consultation
from consult.services.errors import NotFound
from consult.services.xlsform import import_xlsform
from consult.services.xlsform_export import EXPRESSIBLE, export_xlsform, language_column
from tests.transfer.conftest import kobo_form

pytestmark = pytest.mark.db


SMART_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})


def straight(texts: dict[str, str]) -> dict[str, str]:
    """pyxform reads typographic quotes as straight ones, whatever the form."""
    return {k: v.translate(SMART_QUOTES) for k, v in (texts or {}).items()}


def questionnaire(consultation: Consultation, exportable_only: bool = False) -> list[dict]:
    """The questionnaire of round 1 as plain data (what an XLSForm round trip must keep)."""
    sections = []
    for section in sorted(consultation.rounds[0].sections, key=lambda s: s.position):
        questions = []
        for q in sorted(section.questions, key=lambda q: q.position):
            if exportable_only and q.type not in EXPRESSIBLE:
                continue
            settings = dict(q.settings)
            if exportable_only:
                settings = {k: v for k, v in settings.items() if k in EXPRESSIBLE[q.type]}
            questions.append(
                {
                    "code": q.code,
                    "type": q.type,
                    "required": q.required,
                    "text": straight(q.text),
                    "help": straight(q.help),
                    "settings": settings,
                    "display_condition": q.display_condition,
                    "options": [(o.code, o.value, straight(o.label)) for o in q.options],
                    "items": [
                        (qi.item.code, straight(qi.item.label))
                        for qi in q.question_items
                        if not (exportable_only and q.type == "rating")
                    ],
                }
            )
        if exportable_only and not questions:
            continue
        sections.append(
            {
                "code": section.code,
                "title": straight(section.title),
                "description": straight(section.description),
                "display_condition": section.display_condition,
                "questions": questions,
            }
        )
    return sections


@pytest.mark.parametrize("demo", ["question_types", "action_plan"])
def test_export_then_import_gives_the_same_questionnaire(request, session, demo):
    original = request.getfixturevalue(demo)
    data, _report = export_xlsform(session, original)
    imported, import_report = import_xlsform(session, data, slug="round-trip")
    got, want = questionnaire(imported), questionnaire(original, exportable_only=True)
    assert got == want
    assert imported.languages == original.languages
    assert imported.default_language == original.default_language
    assert imported.title == {original.default_language: original.title[original.default_language]}
    assert import_report.entries == []


def test_what_xlsform_cannot_express_is_reported(session, question_types, action_plan):
    _data, report = export_xlsform(session, question_types)
    entries = [(e.where, e.what) for e in report.entries]
    for code in ("pairwise", "best_worst", "ahp", "points"):
        assert (code, f"{code} question not exported") in entries
    assert ("rating", "rated item not exported") in entries
    assert ("weights", "section not exported") in entries
    assert report.counts == {"questions": 8, "left_out": 4}
    _data, report = export_xlsform(session, action_plan)
    assert [(e.where, e.what) for e in report.entries] == [
        ("stakeholder_group", "setting profile_field not exported"),
        ("district", "setting profile_field not exported"),
    ]


def test_the_workbook_is_a_kobo_style_xlsform(session, question_types):
    data, _report = export_xlsform(session, question_types)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["survey", "choices", "settings"]
    header = [c.value for c in book["survey"][1]]
    assert header[:5] == [
        "type",
        "name",
        "label::Turkish (tr)",
        "label::English (en)",
        "label::Arabic (ar)",
    ]
    assert "relevant" in header
    assert "constraint" in header
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in book["survey"]]
    by_name = {r["name"]: r for r in rows[1:] if r["name"]}
    assert by_name["multiple_choice"]["type"] == "select_multiple multiple_choice"
    assert by_name["multiple_choice"]["constraint"] == (
        "count-selected(.) >= 1 and count-selected(.) <= 3"
    )
    assert by_name["number"]["type"] == "integer"
    assert by_name["number"]["constraint"] == ". >= 0 and . <= 100000"
    assert by_name["long_text"]["relevant"] == "${single_choice} = 'yes'"
    assert by_name["long_text"]["appearance"] == "multiline"
    assert by_name["matrix"]["type"] == "begin_group"
    assert by_name["matrix"]["appearance"] == "table-list"
    assert by_name["hate_speech"]["type"] == "select_one matrix"
    assert by_name["ranking"]["top_k"] == 3
    settings = [c.value for c in book["settings"][2]]
    assert settings[1:] == ["question_types", "Turkish (tr)", "no"]


def test_text_that_looks_like_a_formula_stays_text(session, question_types):
    question = next(q for q in question_types.rounds[0].questions if q.code == "short_text")
    question.text = {**question.text, "en": '=HYPERLINK("http://evil.example","x")'}
    session.flush()
    data, _report = export_xlsform(session, question_types)
    book = load_workbook(io.BytesIO(data))
    cells = [c for row in book["survey"].iter_rows() for c in row if c.value]
    formula = next(c for c in cells if str(c.value).startswith("=HYPERLINK"))
    assert formula.data_type == "s"
    imported, _ = import_xlsform(session, data, slug="formula")
    text = next(q for q in imported.rounds[0].questions if q.code == "short_text").text
    assert text["en"] == '=HYPERLINK("http://evil.example","x")'


def test_a_kobo_form_survives_import_export_import(session):
    first, _ = import_xlsform(session, kobo_form(), slug="first")
    data, report = export_xlsform(session, first)
    assert report.entries == []
    second, _ = import_xlsform(session, data, slug="second")
    assert questionnaire(second) == questionnaire(first)


def test_a_condition_on_a_question_left_out_is_reported(session, question_types):
    points = next(q for q in question_types.rounds[0].questions if q.code == "long_text")
    points.display_condition = {"question": "points", "gte": 10}
    session.flush()
    _data, report = export_xlsform(session, question_types)
    assert ("long_text", "display condition not exported") in [
        (e.where, e.what) for e in report.entries
    ]


def test_export_is_audited_and_checks_the_round(session, question_types):
    export_xlsform(session, question_types)
    event = session.scalar(select(AuditEvent))
    assert event.action == "consultation.export"
    assert event.details["format"] == "xlsform"
    assert event.details["round"] == 1
    with pytest.raises(NotFound, match="no round 2"):
        export_xlsform(session, question_types, round_number=2)


@pytest.mark.parametrize(
    ("code", "column"), [("tr", "Turkish (tr)"), ("ar", "Arabic (ar)"), ("xx", "xx (xx)")]
)
def test_language_columns(code, column):
    assert language_column(code) == column
