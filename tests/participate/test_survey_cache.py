"""The per-process survey cache: used on every page, and never stale.

The participant's app (``app``, the ``client`` fixture) keeps its cache warm while a second app
on the same database (another worker, or a staff member's process) edits the questionnaire;
the next page load shows the edit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from consult.extensions import db
from consult.models import (
    Consultation,
    Item,
    Option,
    Question,
    QuestionItem,
    Round,
    Section,
    StakeholderGroup,
)
from consult.services import survey_cache
from consult.services.participation import build_survey
from tests.conftest import make_test_app
from tests.participate.helpers import start_open_link

pytestmark = pytest.mark.db


@pytest.fixture
def other(app: Flask, migrated_url: str) -> Iterator[Flask]:
    """A second app on the same database: another worker process."""
    second = make_test_app(migrated_url)
    yield second
    with second.app_context():
        db.session.remove()


def edit(other: Flask, change: Any) -> None:
    """Apply ``change(session)`` in the other app and commit."""
    with other.app_context():
        change(db.session)
        db.session.commit()
        db.session.remove()


def cache_of(app: Flask) -> survey_cache.SurveyCache:
    cache = app.extensions.get(survey_cache.EXTENSION)
    assert cache is not None
    return cache


def page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def one(session: Any, model: Any, **by: Any) -> Any:
    return session.scalars(select(model).filter_by(**by)).one()


def test_pages_use_the_cache(app: Flask, client: Any, demo: str) -> None:
    first = start_open_link(client, demo)
    page(client, first)
    cache = cache_of(app)
    hits, misses = cache.hits, cache.misses
    for _ in range(3):
        page(client, first)
        page(client, first.replace("/page/1", "/page/2"))
    assert cache.misses == misses  # nothing rebuilt: the questionnaire did not change
    assert cache.hits == hits + 6


def test_edits_from_another_worker_show_on_the_next_page_load(
    app: Flask, client: Any, other: Flask, demo: str
) -> None:
    first = start_open_link(client, demo)
    second = first.replace("/page/1", "/page/2")
    page(client, first)
    page(client, second)  # both pages cached
    cache = cache_of(app)

    def set_text(model: Any, field: str, value: str, **by: Any) -> Any:
        def change(session: Any) -> None:
            row = one(session, model, **by)
            setattr(row, field, {**getattr(row, field), "en": value})

        return change

    misses = cache.misses
    edit(other, set_text(Section, "title", "Who you are", code="profile"))
    assert "<h1>Who you are</h1>" in page(client, first)
    assert cache.misses == misses + 1

    edit(other, set_text(Question, "text", "Your group, please", code="stakeholder_group"))
    assert "Your group, please" in page(client, first)

    edit(other, set_text(Option, "label", "Town hall of a district", code="district_municipality"))
    assert "Town hall of a district" in page(client, first)

    edit(other, set_text(Item, "label", "Money sent between budgets", code="hate_speech"))
    html = page(client, second)
    assert "Money sent between budgets" in html

    edit(other, set_text(Consultation, "title", "A renamed plan", slug=demo))
    assert "A renamed plan" in page(client, second)

    def add_question(session: Any) -> None:
        section = one(session, Section, code="profile")
        session.add(
            Question(
                round_id=section.round_id,
                section=section,
                code="years",
                type="number",
                position=9,
                text={"en": "How many years have you worked here?"},
            )
        )

    edit(other, add_question)
    assert "How many years have you worked here?" in page(client, first)

    edit(other, lambda session: session.delete(one(session, Question, code="years")))
    assert "How many years have you worked here?" not in page(client, first)

    def drop_item(session: Any) -> None:
        row = one(session, QuestionItem, item_id=one(session, Item, code="hate_speech").id)
        session.delete(row)

    edit(other, drop_item)
    assert "Money sent between budgets" not in page(client, second)


def test_each_kind_of_change_bumps_the_round_revision(session: Any, demo: str) -> None:
    round_ = session.scalars(select(Round)).one()

    def bumped(change: Any) -> bool:
        before = session.scalar(select(Round.revision).where(Round.id == round_.id))
        change()
        session.commit()
        return session.scalar(select(Round.revision).where(Round.id == round_.id)) > before

    question = one(session, Question, code="district")
    assert bumped(lambda: setattr(question, "required", False))
    assert bumped(lambda: setattr(one(session, Option, code="esenyurt"), "value", 7.0))
    assert bumped(lambda: setattr(round_, "feedback", {"questions": ["district"]}))
    assert bumped(lambda: setattr(one(session, StakeholderGroup, code="donor"), "position", 42))
    assert bumped(
        lambda: question.options.append(Option(code="other", label={"en": "Other"}, position=99))
    )
    assert bumped(lambda: session.delete(one(session, Option, code="other")))
    consultation = one(session, Consultation, slug=demo)
    assert bumped(lambda: setattr(consultation, "description", {"en": "New"}))
    # a participant's answers change nothing of the questionnaire
    assert not bumped(lambda: None)


def test_pending_edits_in_the_same_session_are_seen(app: Flask, session: Any, demo: str) -> None:
    round_ = session.scalars(select(Round)).one()
    build_survey(session, round_, "en")
    build_survey(session, round_, "en")
    assert cache_of(app).hits >= 1
    section = one(session, Section, code="profile")
    section.title = {**section.title, "en": "Not flushed yet"}
    assert build_survey(session, round_, "en").pages[0].title == "Not flushed yet"
    session.rollback()
    assert build_survey(session, round_, "en").pages[0].title == "About you"


def test_languages_are_cached_apart(app: Flask, session: Any, demo: str) -> None:
    round_ = session.scalars(select(Round)).one()
    english = build_survey(session, round_, "en")
    turkish = build_survey(session, round_, "tr")
    assert english.pages[0].title != turkish.pages[0].title
    assert build_survey(session, round_, "en") is english
    assert build_survey(session, round_, "tr") is turkish


def test_the_cache_is_bounded() -> None:
    cache = survey_cache.SurveyCache(size=2)
    for key in range(5):
        cache.get_or_build(key, lambda key=key: key * 10)
    assert len(cache) == 2
    assert cache.get_or_build(4, lambda: -1) == 40
    assert cache.get_or_build(0, lambda: -1) == -1  # evicted long ago
