"""JSON export and import of whole consultations: lossless round trip, validation, audit."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from consult.models import AuditEvent, Consultation, ConsultationState, Round
from consult.services.errors import Conflict, NotFound
from consult.services.transfer import (
    FORMAT,
    InvalidDocument,
    dump_document,
    export_consultation,
    find_consultation,
    import_consultation,
    parse_json_document,
)

pytestmark = pytest.mark.db


def _roundtrip(doc: dict) -> dict:
    """The document as it travels: through JSON text."""
    return parse_json_document(dump_document(doc).encode("utf-8"))


@pytest.mark.parametrize("demo", ["question_types", "action_plan"])
def test_export_import_export_is_identical(request, session, demo):
    original = request.getfixturevalue(demo)
    first = export_consultation(session, original)
    copy_, report = import_consultation(session, _roundtrip(first), slug="copy")
    session.flush()
    second = export_consultation(session, copy_)
    assert second["consultation"].pop("slug") == "copy"
    first["consultation"].pop("slug")
    assert second == first
    assert copy_.state == ConsultationState.DRAFT
    assert not copy_.is_demo
    assert report.entries == []
    assert report.counts["questions"] == len(original.rounds[0].questions)


def test_the_retention_setting_travels_and_may_be_absent(session, action_plan):
    action_plan.retention_days = 180
    doc = export_consultation(session, action_plan)
    assert doc["consultation"]["retention_days"] == 180
    copy_, _report = import_consultation(session, _roundtrip(doc), slug="copy")
    assert copy_.retention_days == 180
    del doc["consultation"]["retention_days"]  # a document exported before the setting existed
    older, _report = import_consultation(session, _roundtrip(doc), slug="older")
    assert older.retention_days is None


def test_import_elsewhere_keeps_the_slug_and_is_identical(session, question_types):
    text = dump_document(export_consultation(session, question_types))
    session.delete(question_types)
    session.flush()
    imported, _report = import_consultation(session, parse_json_document(text.encode()))
    assert imported.slug == "question-types"
    assert dump_document(export_consultation(session, imported)) == text


def test_the_document_holds_everything_by_code(session, question_types):
    doc = export_consultation(session, question_types)
    assert doc["format"] == FORMAT
    assert doc["version"] == 1
    info = doc["consultation"]
    assert info["languages"] == ["tr", "en", "ar"]
    assert info["anonymity"] == "confidential"
    assert set(info["title"]) == {"tr", "en", "ar"}
    questions = {q["code"]: q for s in doc["rounds"][0]["sections"] for q in s["questions"]}
    assert questions["long_text"]["display_condition"] == {
        "question": "single_choice",
        "equals": "yes",
    }
    assert questions["ranking"]["items"][0] == "advisory_board"
    assert questions["matrix"]["options"][-1]["code"] == "dont_know"
    assert questions["matrix"]["options"][-1]["value"] is None
    assert questions["number"]["settings"] == {"min": 0, "max": 100_000, "integer": True}
    items = {i["code"]: i for i in doc["items"]}
    assert items["advisory_board"]["objective"] == "coordination"
    assert items["hate_speech"]["kind"] == "challenge"
    text = dump_document(doc)
    assert '"id":' not in text
    assert "_id" not in text


def test_schedule_groups_and_rounds_survive(session, action_plan):
    action_plan.opens_at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    action_plan.closes_at = datetime(2026, 2, 5, 9, 0, tzinfo=UTC)
    action_plan.stakeholder_groups[0].target_share = 0.25
    second = Round(number=2, title={"en": "Delphi round 2"}, feedback={"questions": ["x"]})
    action_plan.rounds.append(second)
    session.flush()
    second.previous_round_id = action_plan.rounds[0].id
    session.flush()
    doc = export_consultation(session, action_plan)
    assert doc["rounds"][1]["previous_round"] == 1
    imported, _ = import_consultation(session, _roundtrip(doc), slug="delphi")
    assert imported.opens_at == action_plan.opens_at
    assert imported.rounds[1].previous_round_id == imported.rounds[0].id
    again = export_consultation(session, imported)
    again["consultation"]["slug"] = doc["consultation"]["slug"]
    assert again == doc


def test_import_and_export_are_audited(session, question_types):
    doc = export_consultation(session, question_types)
    imported, _ = import_consultation(session, doc, slug="audited")
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.consultation_id) for e in events] == [
        ("consultation.export", question_types.id),
        ("consultation.import", imported.id),
    ]
    assert events[1].details["format"] == "json"
    assert events[1].details["counts"]["questions"] == 12


def test_a_taken_slug_is_a_conflict(session, question_types):
    doc = export_consultation(session, question_types)
    with pytest.raises(Conflict, match="already taken"):
        import_consultation(session, doc)
    with pytest.raises(InvalidDocument, match="slug 'Not A Slug' is not valid"):
        import_consultation(session, doc, slug="Not A Slug")
    assert session.scalar(select(func.count(Consultation.id))) == 1


def test_unknown_slug_is_not_found(session):
    with pytest.raises(NotFound, match="no consultation with the slug 'nope'"):
        find_consultation(session, "nope")


def _set(doc: dict, path: list, value: object) -> None:
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value


Q0 = ["rounds", 0, "sections", 0, "questions", 0]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["format"], "kobo", "$.format: must be 'consult.consultation'"),
        (["version"], 2, "$.version: version 2 is not supported"),
        (["items"], KeyError, "$: missing key 'items'"),
        (["extra"], 1, "$: unknown key 'extra'"),
        (["consultation", "languages"], [], "$.consultation.languages: must name at least one"),
        (
            ["consultation", "languages", 2],
            "fa",
            "$.consultation.languages[2]: 'fa' is not offered",
        ),
        (["consultation", "default_language"], "de", "$.consultation.default_language"),
        (["consultation", "anonymity"], "secret", "$.consultation.anonymity: must be one of"),
        (["consultation", "open_link"], "yes", "$.consultation.open_link: must be true or false"),
        (["consultation", "opens_at"], "tomorrow", "$.consultation.opens_at: must be null or"),
        (["consultation", "min_group_size"], 0, "min_group_size: must be at least 1"),
        (["consultation", "retention_days"], 0, "retention_days: must be at least 1"),
        (["consultation", "retention_days"], 3651, "retention_days: must be at most 3650"),
        (["consultation", "retention_days"], "30", "retention_days: must be a whole number"),
        (["consultation", "title", "de"], "Titel", "$.consultation.title.de: 'de' is not one"),
        (["consultation", "title", "en"], 5, "$.consultation.title.en: must be a string"),
        (["objectives", 1, "code"], "coordination", "$.objectives[1].code: duplicate objective"),
        (["items", 0, "objective"], "nope", "$.items[0].objective: no objective has the code"),
        (["items", 0, "kind"], "wish", "$.items[0].kind: must be one of action, challenge"),
        (["items", 0, "code"], " x", "$.items[0].code: must be at most 64 printable"),
        (["items", 0, "code"], "x" * 65, "$.items[0].code: must be at most 64"),
        (["rounds", 0, "number"], 0, "$.rounds[0].number: must be at least 1"),
        (["rounds", 0, "previous_round"], 1, "$.rounds[0].previous_round: must be null or"),
        ([*Q0, "type"], "slider", "$.rounds[0].sections[0].questions[0].type: unknown question"),
        ([*Q0, "required"], 1, "questions[0].required: must be true or false"),
        ([*Q0, "options", 1, "code"], "yes", "questions[0].options[1].code: duplicate option"),
        ([*Q0, "options", 0, "value"], "1", "questions[0].options[0].value: must be a number or"),
        ([*Q0, "items"], ["ghost"], "questions[0].items[0]: no item has the code 'ghost'"),
        ([*Q0, "settings"], [], "questions[0].settings: must be an object"),
        ([*Q0, "settings", "max_select"], "3", "questions[0].settings.max_select: must be a whole"),
        ([*Q0, "settings", "integer"], 1, "questions[0].settings.integer: must be true or false"),
        ([*Q0, "settings", "min"], True, "questions[0].settings.min: must be a number"),
        ([*Q0, "display_condition"], {"question": "ghost", "equals": "x"}, "no question in this"),
        ([*Q0, "display_condition"], {"question": "number"}, "must test one of"),
        ([*Q0, "display_condition"], {"question": "number", "gte": 1, "equals": 2}, "must test"),
        ([*Q0, "display_condition"], "yes", "must be null or an object"),
        ([*Q0, "code"], "multiple_choice", "questions[1].code: duplicate question"),
        (["rounds", 0, "sections", 1, "code"], "choices", "sections[1].code: duplicate section"),
    ],
)
def test_invalid_documents_name_the_path_of_the_first_problem(
    session, question_types, path, value, message
):
    doc = copy.deepcopy(export_consultation(session, question_types))
    doc["consultation"]["slug"] = "fresh"
    _set(doc, path, value)
    if path[-1] == "code" and value == "multiple_choice":  # make it the first problem there
        doc["rounds"][0]["sections"][0]["questions"][1]["code"] = "multiple_choice"
        doc["rounds"][0]["sections"][0]["questions"][0]["code"] = "multiple_choice"
    with pytest.raises(InvalidDocument) as caught:
        import_consultation(session, doc, allowed_languages=["tr", "en", "ar"])
    assert message in caught.value.message
    assert session.scalar(select(func.count(Consultation.id))) == 1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            b"{ not json",
            "not valid JSON: Expecting property name enclosed in double quotes at line 1,",
        ),
        (b'{"a": NaN}', "JSON value NaN is not allowed"),
        (b"[1, 2]", "$: the document must be a JSON object"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_unreadable_json_is_refused_clearly(raw, message):
    with pytest.raises(InvalidDocument, match=None) as caught:
        parse_json_document(raw)
    assert message in caught.value.message


def test_a_byte_order_mark_is_accepted():
    assert parse_json_document(b"\xef\xbb\xbf{}") == {}


def test_question_types_are_all_known(session, question_types):
    doc = export_consultation(session, question_types)
    types = {q["type"] for s in doc["rounds"][0]["sections"] for q in s["questions"]}
    assert len(types) == 12
