"""Fixtures of the analyst workspace: the staff accounts of the facilitator tests around both
demo consultations, with the action plan's 123 synthetic responses and a few answers to every
priority question of the question-types demo."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from flask import Flask

from consult.extensions import db
from consult.models import Consultation, Response
from consult.services import participation as p
from consult.services.priorities import clear_frame_cache
from tests.facilitator.conftest import (  # noqa: F401  (fixtures)
    _compiled_catalogs,
    app,
    staff,
)
from tests.services.helpers import NOW, complete

# everyone in the question-types demo puts district data first; the rest varies
PREFERENCES = [
    ["district_data", "interpretation", "advisory_board", "anti_discrimination"],
    ["district_data", "advisory_board", "interpretation", "rights_information"],
    ["district_data", "anti_discrimination", "selforg_grants", "interpretation"],
    ["district_data", "interpretation", "rights_information", "advisory_board"],
    ["district_data", "selforg_grants", "anti_discrimination", "advisory_board"],
    ["district_data", "rights_information", "interpretation", "selforg_grants"],
]
LANGUAGES = ["en", "tr", "ar", "en", "tr", "ar"]


@pytest.fixture(autouse=True)
def _forget_answer_frames() -> Iterator[None]:
    """Each test reads its answers afresh (the service keeps frames between requests)."""
    clear_frame_cache()
    yield
    clear_frame_cache()


@pytest.fixture
def demo_responses() -> int:
    """The demo consultation with its 123 synthetic responses."""
    return 123


def submit_open(consultation: Consultation, prefs: Sequence[str], language: str = "en") -> Response:
    """Answer every page of ``consultation`` through its open link and submit."""
    access = p.start_open_response(db.session, consultation, language, NOW)
    survey = p.build_survey(db.session, access.round, language)
    complete(db.session, access, survey, prefs)
    p.submit_response(db.session, access, survey, NOW)
    return access.response


@pytest.fixture
def answered_question_types(app: Flask, staff) -> Consultation:  # noqa: F811
    """The question-types demo with six submitted responses (tr, en and ar)."""
    for prefs, language in zip(PREFERENCES, LANGUAGES, strict=True):
        submit_open(staff.b, prefs, language)
    db.session.commit()
    return staff.b
