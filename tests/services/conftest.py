"""Both demo consultations, loaded (without commit) into the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask_babel import force_locale

from consult.models import Consultation
from consult.services.demo import load_demo
from consult.services.demo_question_types import load_question_types_demo
from tests.services.helpers import consultation


@pytest.fixture(autouse=True)
def _english(app) -> Iterator[None]:
    """Messages in English, whatever the default locale and the compiled catalogs."""
    with force_locale("en"):
        yield


@pytest.fixture
def question_types(session) -> Consultation:
    """The ``question-types`` demo consultation."""
    load_question_types_demo(session)
    return consultation(session, "question-types")


@pytest.fixture
def action_plan(session) -> Consultation:
    """The ``migration-action-plan`` demo consultation, without synthetic responses."""
    load_demo(session, responses=0)
    return consultation(session, "migration-action-plan")
