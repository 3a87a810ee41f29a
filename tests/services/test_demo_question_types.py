"""The second demo consultation: one question of every registered type, in three languages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult.models import (
    Consultation,
    ConsultationState,
    Item,
    Question,
    RoundState,
)
from consult.questions import get_type, type_names
from consult.services import participation as p
from consult.services.demo import load_demo
from consult.services.demo_question_types import load_question_types_demo
from tests.services.helpers import NOW

pytestmark = pytest.mark.db


def _texts(consultation: Consultation) -> list[dict[str, str]]:
    texts = [
        consultation.title,
        consultation.description,
        consultation.organiser,
        consultation.privacy_notice,
    ]
    texts += [o.title for o in consultation.objectives]
    texts += [i.label for i in consultation.items]
    for round_ in consultation.rounds:
        texts.append(round_.title)
        texts += [s.title for s in round_.sections]
        texts += [s.description for s in round_.sections]
        for q in round_.questions:
            texts.append(q.text)
            if q.help:
                texts.append(q.help)
            texts += [o.label for o in q.options]
    return texts


def test_one_question_of_every_type_coded_by_its_type(question_types):
    c = question_types
    assert c.slug == "question-types"
    assert c.state == ConsultationState.OPEN
    assert c.open_link
    assert c.is_demo
    assert c.languages == ["tr", "en", "ar"]
    assert [r.state for r in c.rounds] == [RoundState.OPEN]
    questions = c.rounds[0].questions
    assert [q.code for q in questions] == type_names()
    assert all(q.type == q.code for q in questions)


def test_every_text_is_in_turkish_english_and_arabic(question_types):
    texts = _texts(question_types)
    assert len(texts) > 60
    for text in texts:
        assert {k for k, v in text.items() if v.strip()} == {"tr", "en", "ar"}, text
        assert len(set(text.values())) > 1 or text["en"].isdigit(), text  # really translated


def test_settings_of_each_question(session, question_types):
    survey = p.build_survey(session, question_types.rounds[0], "en")
    q = {spec.code: spec for page in survey.pages for spec in page.questions}
    assert q["multiple_choice"].settings == {"min_select": 1, "max_select": 3}
    assert [o.code for o in q["rating"].options] == ["1", "2", "3", "4", "5", "dont_know"]
    assert all(o.label for o in q["rating"].options)
    assert len(q["rating"].items) == 1
    assert len(q["matrix"].items) == 3
    assert q["ranking"].settings["top_k"] == 3
    assert len(q["ranking"].items) == 6
    seed = 123
    assert len(get_type("pairwise").tasks(q["pairwise"], seed)) == 6
    assert [len(s) for s in get_type("best_worst").tasks(q["best_worst"], seed)] == [4, 4, 4]
    assert len(q["ahp"].items) == 4
    assert len(get_type("ahp").tasks(q["ahp"], seed)) == 6
    assert q["points"].settings["budget"] == 100
    assert q["number"].settings == {"min": 0, "max": 100_000, "integer": True}
    assert q["long_text"].display_condition == {"question": "single_choice", "equals": "yes"}
    assert q["single_choice"].option("yes") is not None
    required = {code for code, spec in q.items() if spec.required}
    assert required == {"single_choice", "multiple_choice", "rating", "matrix", "ranking", "points"}


def test_the_condition_refers_to_an_earlier_page(session, question_types):
    survey = p.build_survey(session, question_types.rounds[0], "ar")
    where = {q.code: page.index for page in survey.pages for q in page.questions}
    assert where["single_choice"] < where["long_text"]
    assert survey.title.startswith("جميع")
    assert p.open_consultation_for_link(session, "question-types", NOW) is question_types


def test_loading_twice_changes_nothing_and_nothing_is_committed(session):
    first = load_question_types_demo(session)
    assert (first.created, first.slug, first.responses) == (True, "question-types", 0)
    counts = (
        session.scalar(select(func.count(Question.id))),
        session.scalar(select(func.count(Item.id))),
    )
    again = load_question_types_demo(session)
    assert (again.created, again.slug) == (False, "question-types")
    assert (
        session.scalar(select(func.count(Question.id))),
        session.scalar(select(func.count(Item.id))),
    ) == counts
    assert session.scalar(select(func.count(Consultation.id))) == 1
    session.rollback()  # flushed only: the caller's transaction decides
    assert session.scalar(select(func.count(Consultation.id))) == 0


def test_both_demos_live_side_by_side(session):
    load_demo(session, responses=3)
    load_question_types_demo(session)
    slugs = set(session.scalars(select(Consultation.slug)))
    assert slugs == {"migration-action-plan", "question-types"}
    assert load_demo(session).created is False
