"""The questionnaire builder service: sections, questions, validation, guards, audit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from consult.models import (
    Answer,
    AuditEvent,
    ConsultationState,
    Question,
    Response,
    ResponseSource,
    ResponseState,
    Section,
)
from consult.services import questionnaire as qs
from consult.services.errors import Forbidden, InvalidState, NotFound
from consult.services.questionnaire import OptionInput, QuestionInput, SectionInput
from tests.builder.conftest import World

pytestmark = pytest.mark.db

T = {"tr": "Soru", "en": "Question", "ar": "سؤال"}


def section(world: World, session, code: str = "intro", **kw: Any) -> Section:
    data = SectionInput(code=code, title={"tr": "Giriş", "en": "Intro", "ar": "مقدمة"}, **kw)
    return qs.add_section(session, world.facilitator, world.a, data)


def choice(code: str = "role", **kw: Any) -> QuestionInput:
    options = kw.pop("options", None) or [
        OptionInput("ngo", {"tr": "STK", "en": "NGO", "ar": "منظمة"}),
        OptionInput("city", {"tr": "Belediye", "en": "City", "ar": "بلدية"}),
    ]
    return QuestionInput(code=code, type="single_choice", text=dict(T), options=options, **kw)


def ranking(code: str = "priorities", **kw: Any) -> QuestionInput:
    settings = kw.pop("settings", {"top_k": 2})
    items = kw.pop("item_codes", ["housing", "jobs", "schools"])
    return QuestionInput(
        code=code, type="ranking", text=dict(T), settings=settings, item_codes=items, **kw
    )


def actions(session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_add_sections_and_questions_in_order(world: World, session) -> None:
    s = section(world, session)
    q1 = qs.add_question(session, world.facilitator, world.a, s.id, choice())
    q2 = qs.add_question(session, world.facilitator, world.a, s.id, ranking())
    view = qs.overview(session, world.facilitator, world.a)
    assert [r.code for r in view.sections] == ["intro"]
    assert [q.code for q in view.sections[0].questions] == ["role", "priorities"]
    assert q2.settings == {"top_k": 2}
    assert [qi.item.code for qi in q2.question_items] == ["housing", "jobs", "schools"]
    assert [o.code for o in q1.options] == ["ngo", "city"]
    assert actions(session)[-3:] == ["section.add", "question.add", "question.add"]


def test_edit_question_changes_texts_options_items(world: World, session) -> None:
    s = section(world, session)
    q = qs.add_question(session, world.facilitator, world.a, s.id, ranking())
    data = qs.question_input(session, world.facilitator, world.a, q.id)
    data.text["en"] = "Rank these"
    data.item_codes = ["schools", "jobs"]
    data.settings = {"top_k": 1}
    data.required = True
    qs.update_question(session, world.facilitator, world.a, q.id, data)
    assert q.text["en"] == "Rank these"
    assert q.required is True
    assert [qi.item.code for qi in q.question_items] == ["schools", "jobs"]
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.object_id, event.details["code"]) == ("question.edit", q.id, q.code)


def test_move_and_delete(world: World, session) -> None:
    s1 = section(world, session, "one")
    s2 = section(world, session, "two")
    a = qs.add_question(session, world.facilitator, world.a, s1.id, choice("a"))
    b = qs.add_question(session, world.facilitator, world.a, s1.id, choice("b"))
    qs.move_question(session, world.facilitator, world.a, b.id, -1)
    assert qs.overview(session, world.facilitator, world.a).question_codes == ("b", "a")
    qs.move_section(session, world.facilitator, world.a, s2.id, -1)
    assert [r.code for r in qs.overview(session, world.facilitator, world.a).sections] == [
        "two",
        "one",
    ]
    b_id = b.id
    qs.delete_question(session, world.facilitator, world.a, a.id)
    qs.delete_section(session, world.facilitator, world.a, s1.id)
    view = qs.overview(session, world.facilitator, world.a)
    assert [r.code for r in view.sections] == ["two"]
    assert session.get(Question, b_id) is None
    assert actions(session)[-4:] == [
        "question.move",
        "section.move",
        "question.delete",
        "section.delete",
    ]


@pytest.mark.parametrize(
    ("type_name", "settings", "options", "items", "field"),
    [
        ("ranking", {"top_k": 0}, 0, 3, "top_k"),
        ("ranking", {"top_k": 4}, 0, 3, "top_k"),
        ("points", {"budget": 0}, 0, 3, "budget"),
        ("best_worst", {"set_size": 2}, 0, 5, "set_size"),
        ("best_worst", {"set_size": 6}, 0, 6, "set_size"),
        ("best_worst", {"set_size": 4}, 0, 3, "set_size"),
        ("number", {"min": 5, "max": 1}, 0, 0, "min"),
        ("rating", {"scale_min": 1, "scale_max": 1}, 0, 0, "scale_max"),
        ("rating", {"scale_min": 0, "scale_max": 11}, 0, 0, "scale_max"),
        ("matrix", {"scale_min": 1, "scale_max": 12}, 0, 2, "scale_max"),
        ("multiple_choice", {"min_select": 3, "max_select": 2}, 4, 0, "min_select"),
        ("multiple_choice", {"max_select": 5}, 4, 0, "max_select"),
        ("pairwise", {"pairs": 0}, 0, 3, "pairs"),
        ("short_text", {"max_length": 0}, 0, 0, "max_length"),
        ("ranking", {"top_k": "2"}, 0, 3, "top_k"),
        ("number", {"integer": "yes"}, 0, 0, "integer"),
        ("ranking", {"budget": 100}, 0, 3, "budget"),
    ],
)
def test_settings_refused(
    type_name: str, settings: dict, options: int, items: int, field: str
) -> None:
    with pytest.raises(qs.InvalidQuestionnaire) as error:
        qs.validate_settings(type_name, settings, options, items)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("type_name", "settings", "options", "items"),
    [
        ("ranking", {"top_k": 3}, 0, 3),
        ("points", {"budget": 100}, 0, 3),
        ("best_worst", {"set_size": 3, "tasks": 4}, 0, 5),
        ("best_worst", {"set_size": 5}, 0, 9),
        ("number", {"min": 0, "max": 10, "integer": True}, 0, 0),
        ("rating", {"scale_min": 0, "scale_max": 10, "dont_know": True}, 0, 0),
        ("multiple_choice", {"min_select": 1, "max_select": 2}, 4, 0),
        ("long_text", {"max_length": 2000}, 0, 0),
    ],
)
def test_settings_accepted(type_name: str, settings: dict, options: int, items: int) -> None:
    assert qs.validate_settings(type_name, settings, options, items) == settings


def test_every_registered_type_has_settings_rules() -> None:
    from consult.questions import type_names

    assert set(type_names()) <= set(qs.SETTINGS)


def test_invalid_question_refused_with_field(world: World, session) -> None:
    s = section(world, session)
    cases = [
        (ranking(code="Bad Code"), "code"),
        (ranking(item_codes=["housing", "nowhere"]), "items"),
        (ranking(item_codes=["housing"]), "items"),
        (QuestionInput(code="x", type="nope", text=dict(T)), "type"),
        (QuestionInput(code="x", type="number", text={}), "text"),
        (QuestionInput(code="x", type="number", text={"fr": "Question"}), "text"),
        (choice(options=[OptionInput("a", {"en": "A"})]), "options"),
    ]
    for data, field in cases:
        with pytest.raises(qs.InvalidQuestionnaire) as error:
            qs.add_question(session, world.facilitator, world.a, s.id, data)
        assert error.value.field == field, data
    qs.add_question(session, world.facilitator, world.a, s.id, choice())
    with pytest.raises(qs.InvalidQuestionnaire, match="already has the code"):
        qs.add_question(session, world.facilitator, world.a, s.id, choice())


def test_display_condition_refers_only_to_earlier_questions(world: World, session) -> None:
    s = section(world, session)
    first = qs.add_question(session, world.facilitator, world.a, s.id, choice("role"))
    cond = {"question": "role", "equals": "ngo"}
    second = qs.add_question(
        session, world.facilitator, world.a, s.id, ranking(display_condition=cond)
    )
    assert second.display_condition == cond
    # a condition on itself or on a later question is refused
    data = qs.question_input(session, world.facilitator, world.a, first.id)
    data.display_condition = {"question": "priorities", "answered": True}
    with pytest.raises(qs.InvalidQuestionnaire, match="earlier question"):
        qs.update_question(session, world.facilitator, world.a, first.id, data)
    # moving the referred question after the condition is refused too
    with pytest.raises(qs.InvalidQuestionnaire, match="earlier question"):
        qs.move_question(session, world.facilitator, world.a, second.id, -1)
    session.rollback()


def test_condition_refused_for_unknown_question_or_bad_test(world: World, session) -> None:
    s = section(world, session)
    qs.add_question(session, world.facilitator, world.a, s.id, choice("role"))
    for i, cond in enumerate(
        (
            {"question": "ghost", "equals": "x"},
            {"question": "role", "matches": "x"},
            {"question": "role", "equals": "a", "in": ["b"]},
            {"question": "role", "in": []},
            {"question": "role", "gte": "high"},
        )
    ):
        with pytest.raises(qs.InvalidQuestionnaire), session.begin_nested():
            qs.add_question(
                session,
                world.facilitator,
                world.a,
                s.id,
                ranking(code=f"bad{i}", display_condition=cond),
            )
    ok = {"question": "role", "in": ["ngo", "city"]}
    qs.add_question(session, world.facilitator, world.a, s.id, ranking(display_condition=ok))


def test_deleting_a_referred_question_is_refused(world: World, session) -> None:
    s = section(world, session)
    first = qs.add_question(session, world.facilitator, world.a, s.id, choice("role"))
    qs.add_question(
        session,
        world.facilitator,
        world.a,
        s.id,
        ranking(display_condition={"question": "role", "answered": True}),
    )
    with pytest.raises(qs.InvalidQuestionnaire, match="does not exist"):
        qs.delete_question(session, world.facilitator, world.a, first.id)
    session.rollback()


def answer(session, question: Question, option_code: str) -> None:
    response = Response(
        round_id=question.round_id,
        language="tr",
        source=ResponseSource.ONLINE,
        state=ResponseState.IN_PROGRESS,
        receipt_code=f"r-{question.id}-{option_code}",
    )
    session.add(response)
    session.flush()
    option = next(o for o in question.options if o.code == option_code)
    session.add(
        Answer(
            response_id=response.id,
            round_id=question.round_id,
            question_id=question.id,
            option_id=option.id,
        )
    )
    session.flush()


def test_answered_question_keeps_type_and_options_when_open(world: World, session) -> None:
    s = section(world, session)
    q = qs.add_question(session, world.facilitator, world.a, s.id, choice("role"))
    world.a.state = ConsultationState.OPEN
    session.flush()
    answer(session, q, "ngo")
    data = qs.question_input(session, world.facilitator, world.a, q.id)
    data.options = [*data.options[:1], OptionInput("ngo2", {"en": "Other"})]
    with pytest.raises(InvalidState, match="options cannot be removed"):
        qs.update_question(session, world.facilitator, world.a, q.id, data)
    data = qs.question_input(session, world.facilitator, world.a, q.id)
    data.type = "multiple_choice"
    with pytest.raises(InvalidState, match="type cannot change"):
        qs.update_question(session, world.facilitator, world.a, q.id, data)
    with pytest.raises(InvalidState, match="cannot be deleted"):
        qs.delete_question(session, world.facilitator, world.a, q.id)
    # texts and new options may still change
    data = qs.question_input(session, world.facilitator, world.a, q.id)
    data.text["en"] = "Who are you?"
    data.options.append(OptionInput("academic", {"en": "Academic"}))
    qs.update_question(session, world.facilitator, world.a, q.id, data)
    assert [o.code for o in q.options] == ["ngo", "city", "academic"]


def test_closed_consultation_cannot_change(world: World, session) -> None:
    s = section(world, session)
    world.a.state = ConsultationState.CLOSED
    session.flush()
    with pytest.raises(InvalidState):
        qs.add_question(session, world.facilitator, world.a, s.id, choice())
    assert qs.overview(session, world.facilitator, world.a).editable is False


def test_other_facilitator_is_forbidden_and_ids_are_scoped(world: World, session) -> None:
    s = section(world, session)
    q = qs.add_question(session, world.facilitator, world.a, s.id, choice())
    with pytest.raises(Forbidden):
        qs.overview(session, world.other, world.a)
    with pytest.raises(Forbidden):
        qs.add_section(session, world.other, world.a, SectionInput("x", {"en": "X"}))
    with pytest.raises(Forbidden):
        qs.delete_question(session, None, world.a, q.id)
    # ids of A's questionnaire are unknown through B
    with pytest.raises(NotFound):
        qs.delete_question(session, world.other, world.b, q.id)
    with pytest.raises(NotFound):
        qs.update_section(session, world.other, world.b, s.id, SectionInput("x", {"en": "X"}))


def test_translation_table_flags_missing_texts(world: World, session) -> None:
    s = section(world, session)
    data = choice()
    data.text = {"tr": "Kimsiniz?", "en": "Who are you?"}
    q = qs.add_question(session, world.facilitator, world.a, s.id, data)
    rows = qs.translation_table(world.a)
    row = next(r for r in rows if r.where == "round 1 / question role" and r.what == "text")
    assert row.missing == ("ar",)
    assert row.question_id == q.id
    assert row.texts == {"tr": "Kimsiniz?", "en": "Who are you?"}
    flagged = {(r.where, r.what, r.missing) for r in rows if r.missing}
    from consult.services.lifecycle import missing_translations

    assert flagged == {(m.where, m.what, m.languages) for m in missing_translations(world.a)}
    data.text["ar"] = "من أنت؟"
    qs.update_question(session, world.facilitator, world.a, q.id, data)
    assert not [r for r in qs.translation_table(world.a) if r.missing]


def test_preview_in_each_language(world: World, session) -> None:
    s = section(world, session)
    qs.add_question(session, world.facilitator, world.a, s.id, choice())
    survey = qs.preview_survey(session, world.facilitator, world.a, "ar")
    assert survey.language == "ar"
    assert survey.pages[0].questions[0].text == "سؤال"
    assert qs.preview_survey(session, world.facilitator, world.a, "xx").language == "tr"
