"""XLSForm import: Kobo-style forms in several languages, the report, and unsafe files."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from sqlalchemy import func, select

from consult.models import AuditEvent, Consultation, ConsultationState
from consult.services.errors import Conflict, ServiceError
from consult.services.xlsform import (
    MAX_UNCOMPRESSED_BYTES,
    MAX_XLSX_BYTES,
    check_xlsx,
    import_xlsform,
    language_code,
)
from tests.transfer.conftest import kobo_form, make_xlsx

pytestmark = pytest.mark.db

ALLOWED = ["tr", "en", "ar"]


def _questions(consultation: Consultation) -> dict:
    return {q.code: q for q in consultation.rounds[0].questions}


def _report(report) -> list[tuple[str, str]]:
    return [(e.where, e.what) for e in report.entries]


@pytest.fixture
def kobo(session):
    return import_xlsform(session, kobo_form(), allowed_languages=ALLOWED)


def test_kobo_form_becomes_a_draft_in_its_languages(kobo):
    consultation, _report = kobo
    assert consultation.slug == "needs-assessment-2026"
    assert consultation.state == ConsultationState.DRAFT
    assert consultation.languages == ["en", "tr", "ar"]
    assert consultation.default_language == "tr"
    assert consultation.title == {"tr": "Needs assessment"}
    org = _questions(consultation)["org"]
    assert org.text == {"en": "Organisation type", "tr": "Kuruluş türü", "ar": "نوع المنظمة"}
    assert org.help == {"en": "Choose one", "tr": "Birini seçin", "ar": "اختاروا واحدًا"}
    assert [(o.code, o.label["tr"]) for o in org.options] == [("ngo", "STK"), ("muni", "Belediye")]


def test_groups_become_sections_and_loose_questions_a_default_one(kobo):
    consultation, _report = kobo
    sections = consultation.rounds[0].sections
    assert [s.code for s in sections] == ["profile", "priorities", "default"]
    profile, priorities, default = sections
    assert profile.title == {"en": "About you", "tr": "Hakkınızda", "ar": "عنكم"}
    assert profile.description["en"] == "Tell us who you are."  # the opening note
    assert priorities.display_condition == {"question": "org", "answered": True}
    assert default.title == {"tr": "Needs assessment"}
    assert [q.code for q in profile.questions] == ["org", "district", "staff"]
    assert [q.code for q in priorities.questions] == [
        "topics",
        "rank_actions",
        "severity",
        "importance",
    ]
    assert [q.code for q in default.questions] == ["share", "comment", "contact", "why"]
    assert [q.position for q in consultation.rounds[0].questions] == list(range(11))


def test_types_required_relevant_and_constraints_map(kobo):
    consultation, _report = kobo
    q = _questions(consultation)
    assert {code: q[code].type for code in q} == {
        "org": "single_choice",
        "district": "single_choice",
        "staff": "number",
        "topics": "multiple_choice",
        "rank_actions": "ranking",
        "severity": "matrix",
        "importance": "rating",
        "share": "number",
        "comment": "long_text",
        "contact": "short_text",
        "why": "short_text",
    }
    assert q["org"].required
    assert q["staff"].required
    assert not q["district"].required
    assert q["staff"].settings == {"integer": True, "min": 0, "max": 10000}
    assert q["staff"].display_condition == {"question": "org", "equals": "ngo"}
    assert q["share"].settings == {"min": 0, "max": 100}
    assert q["share"].display_condition == {"question": "staff", "gte": 10}
    assert q["topics"].settings == {"max_select": 2}
    assert q["comment"].settings == {"max_length": 500}
    assert q["comment"].display_condition == {"question": "topics", "equals": "health"}
    assert q["contact"].display_condition is None  # strict '>' is reported instead
    assert q["why"].display_condition is None  # depends on a calculation


def test_rank_choices_become_items_and_table_list_a_matrix(kobo):
    consultation, _report = kobo
    q = _questions(consultation)
    ranking = q["rank_actions"]
    assert [qi.item.code for qi in ranking.question_items] == ["board", "training", "data"]
    assert ranking.question_items[0].item.label["ar"] == "مجلس استشاري"
    matrix = q["severity"]
    assert matrix.required
    assert matrix.text["en"] == "How severe is each?"
    assert [qi.item.code for qi in matrix.question_items] == ["hate_speech", "no_data"]
    assert matrix.question_items[1].item.label == {
        "en": "No data",
        "tr": "Veri yok",
        "ar": "لا توجد بيانات",
    }
    assert [(o.code, o.value) for o in matrix.options] == [
        ("1", 1.0),
        ("2", 2.0),
        ("3", 3.0),
        ("4", 4.0),
        ("dont_know", None),
    ]
    assert matrix.settings == {"scale_min": 1, "scale_max": 4, "dont_know": True}
    rating = q["importance"]
    assert rating.settings == {"scale_min": 1, "scale_max": 5, "dont_know": False}
    assert {i.code for i in consultation.items} == {
        "board",
        "training",
        "data",
        "hate_speech",
        "no_data",
    }


def test_what_is_not_imported_is_reported(kobo):
    _consultation, report = kobo
    entries = _report(report)
    assert ("start", "start not imported") in entries
    assert ("end", "end not imported") in entries
    assert ("district", "choice_filter 'org=${org}' ignored") in entries
    assert ("staff", "constraint message not imported") in entries
    assert ("contact", "relevant '${staff} > 5' not imported") in entries
    assert ("why", "relevant '${double_staff} >= 100' not imported") in entries
    assert ("double_staff", "calculate question not imported") in entries
    assert ("location", "geopoint question not imported") in entries
    assert ("thanks", "note not imported") in entries
    by_where = {e.where: e for e in report.entries}
    assert "strict" in by_where["contact"].why
    assert "warning" in by_where["district"].why
    assert "not an imported question" in by_where["why"].why
    assert str(by_where["location"]) == (
        "location: geopoint question not imported — Consult has no such type"
    )


def test_the_import_is_audited_with_its_report(session, kobo):
    consultation, report = kobo
    event = session.scalar(select(AuditEvent))
    assert event.action == "consultation.import"
    assert event.consultation_id == consultation.id
    assert event.details["format"] == "xlsform"
    assert event.details["entries_total"] == len(report.entries)
    assert event.details["counts"]["questions"] == 11


def test_plain_labels_take_the_given_language(session):
    data = make_xlsx(
        [["type", "name", "label", "hint"], ["text", "name", "Your name", "As in your passport"]]
    )
    consultation, report = import_xlsform(session, data, language="en", filename="Şehir Form.xlsx")
    assert consultation.languages == ["en"]
    assert consultation.slug == "sehir-form"
    assert consultation.title == {"en": "Sehir_Form"}
    q = consultation.rounds[0].questions[0]
    assert q.text == {"en": "Your name"}
    assert q.help == {"en": "As in your passport"}
    assert report.entries == []


def test_the_language_option_must_be_a_code(session):
    data = make_xlsx([["type", "name", "label"], ["text", "name", "Your name"]])
    with pytest.raises(ServiceError, match="'English' is not a language code"):
        import_xlsform(session, data, language="English")


def test_language_names_without_codes_are_looked_up(session):
    data = make_xlsx(
        [
            ["type", "name", "label::English", "label::Türkçe", "label::Arabic"],
            ["text", "name", "Name", "Ad", "الاسم"],
        ]
    )
    consultation, _report = import_xlsform(session, data, slug="names")
    assert consultation.languages == ["en", "tr", "ar"]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("English (en)", "en"),
        ("Türkçe (tr)", "tr"),
        ("العربية (ar)", "ar"),
        ("Persian (fa)", "fa"),
        ("Turkish", "tr"),
        ("فارسی", "fa"),
        ("tr", "tr"),
        ("Klingonese", None),
    ],
)
def test_language_code(name, code):
    assert language_code(name) == code


def test_unknown_and_unoffered_languages(session):
    unknown = make_xlsx([["type", "name", "label::Klingonese"], ["text", "a", "A"]])
    with pytest.raises(ServiceError, match="unknown language 'Klingonese'"):
        import_xlsform(session, unknown)
    french = make_xlsx(
        [["type", "name", "label::English (en)", "label::Français (fr)"], ["text", "a", "A", "Á"]]
    )
    consultation, report = import_xlsform(session, french, allowed_languages=ALLOWED)
    assert consultation.languages == ["en"]
    assert consultation.rounds[0].questions[0].text == {"en": "A"}
    assert report.entries[-1].where == "language Français (fr)"
    only_french = make_xlsx([["type", "name", "label::Français (fr)"], ["text", "a", "Á"]])
    with pytest.raises(ServiceError, match="none of the XLSForm's languages is offered"):
        import_xlsform(session, only_french, slug="fr", allowed_languages=ALLOWED)


def test_structures_consult_lacks_are_reported(session):
    survey = [
        ["type", "name", "label", "relevant", "appearance", "default", "parameters"],
        ["begin_group", "outer", "Outer", "", "", "", ""],
        ["text", "a", "A", "", "", "", ""],
        ["begin_group", "inner", "Inner", "${a} != ''", "", "", ""],
        ["text", "b", "B", "", "", "", ""],
        ["text", "c", "C", "${a} = 'x'", "", "", ""],
        ["end_group", "", "", "", "", "", ""],
        ["begin_repeat", "people", "People", "", "", "", ""],
        ["text", "person", "Person", "", "", "", ""],
        ["end_repeat", "", "", "", "", "", ""],
        ["begin_group", "feel", "Feelings", "", "table-list", "", ""],
        ["select_one yn", "happy", "Happy", "", "", "", ""],
        ["end_group", "", "", "", "", "", ""],
        ["select_one yn", "pick", "Pick", "", "minimal", "yes", "randomize=true"],
        ["end_group", "", "", "", "", "", ""],
        ["begin_group", "other", "Other", "", "", "", ""],
        ["text", "b", "B again", "", "", "", ""],
        ["end_group", "", "", "", "", "", ""],
    ]
    choices = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]
    consultation, report = import_xlsform(session, make_xlsx(survey, choices), slug="odd")
    q = _questions(consultation)
    assert list(q) == ["a", "b", "c", "happy", "pick", "other_b"]
    assert q["b"].display_condition == {"question": "a", "answered": True}  # from its group
    assert q["c"].display_condition == {"question": "a", "equals": "x"}  # its own
    assert q["happy"].type == "single_choice"
    entries = _report(report)
    assert ("inner", "nested group flattened into section outer") in entries
    assert ("c", "the group's relevant \"${a} != ''\" not applied") in entries
    assert ("people", "repeat group not imported") in entries
    assert ("feel", "table-list group imported as separate questions") in entries
    assert ("pick", "column 'default' ignored") in entries
    assert ("pick", "parameters 'randomize=true' ignored") in entries
    assert ("pick", "appearance 'minimal' ignored") in entries
    assert ("b", "renamed to other_b") in entries


def test_a_form_without_importable_questions_is_refused(session):
    data = make_xlsx([["type", "name", "label"], ["geopoint", "where", "Where?"]])
    with pytest.raises(ServiceError, match="no question that Consult can import"):
        import_xlsform(session, data)


def test_pyxform_errors_are_one_line(session):
    data = make_xlsx([["type", "name", "label"], ["text", "a", "A"], ["text", "a", "B"]])
    with pytest.raises(ServiceError) as caught:
        import_xlsform(session, data)
    assert caught.value.message.startswith("the XLSForm cannot be read: [row : 3]")
    assert "\n" not in caught.value.message


def test_a_taken_slug_is_a_conflict(session, kobo):
    with pytest.raises(Conflict, match="'needs-assessment-2026' is already taken"):
        import_xlsform(session, kobo_form())
    assert session.scalar(select(func.count(Consultation.id))) == 1


# --- the container --------------------------------------------------------------------------


def _zip(entries: dict[str, bytes], big: tuple[str, int] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if big is not None:
            chunk = b"\0" * 2**20
            with archive.open(big[0], "w", force_zip64=True) as handle:
                for _ in range(big[1] // 2**20):
                    handle.write(chunk)
    return out.getvalue()


WORKBOOK = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}


def test_a_zip_bomb_is_refused_before_parsing(session):
    bomb = _zip(WORKBOOK, big=("xl/worksheets/sheet1.xml", MAX_UNCOMPRESSED_BYTES + 2**20))
    assert len(bomb) < 1_000_000
    started = time.perf_counter()
    with pytest.raises(ServiceError, match="unpacks to more than 100 MB"):
        import_xlsform(session, bomb)
    assert time.perf_counter() - started < 1.0
    assert session.scalar(select(func.count(Consultation.id))) == 0


def test_too_many_entries_are_refused():
    many = _zip({**WORKBOOK, **{f"xl/media/{i}.bin": b"" for i in range(1001)}})
    with pytest.raises(ServiceError, match="more than 1000 files"):
        check_xlsx(many)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"type,name,label\ntext,a,A\n", "not an .xlsx workbook (an .xls, .csv or .ods"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "not an .xlsx workbook (an .xls"),
        (b"PK\x03\x04" + b"garbage" * 10, "the zip archive is damaged"),
        (_zip({"word/document.xml": b"<w/>"}), "a zip archive without a workbook"),
        (b"PK\x03\x04" + b"\0" * MAX_XLSX_BYTES, "larger than 10 MB"),
    ],
)
def test_what_is_not_an_xlsx_is_refused_clearly(data, message):
    with pytest.raises(ServiceError) as caught:
        check_xlsx(data)
    assert message in caught.value.message


def test_a_damaged_workbook_is_one_line(session):
    with pytest.raises(ServiceError, match="the XLSForm cannot be read"):
        import_xlsform(session, _zip(WORKBOOK))
