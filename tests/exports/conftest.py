"""Fixtures for exports: both demo consultations with submitted, withdrawn and unfinished
responses, filled in through the participation service as a participant's browser would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from consult.models import AnonymityMode, Consultation, Response
from consult.services import participation as p
from consult.services.demo import load_demo
from consult.services.demo_question_types import load_question_types_demo
from tests.services.helpers import NOW, complete, consultation, invite

PLAN, TYPES = "migration-action-plan", "question-types"
FORMULA = "=1+1"
TURKISH = "Şişli'de ığdır İĞÜŞÇÖ çözüm"
ARABIC = "ترجمة فورية في كل مركز خدمة"

# everyone puts district data first; the rest of their order varies (as in tests/services)
PREFERENCES = [
    ["district_data", "interpretation", "advisory_board", "anti_discrimination"],
    ["district_data", "advisory_board", "interpretation", "rights_information"],
    ["district_data", "anti_discrimination", "selforg_grants", "interpretation"],
    ["district_data", "interpretation", "rights_information", "advisory_board"],
]


@pytest.fixture(autouse=True)
def _english(app) -> Iterator[None]:
    """Messages in English, whatever the default locale and the compiled catalogs."""
    with force_locale("en"):
        yield


def submit_open(session, c: Consultation, prefs, language="en", choices=None) -> Response:
    access = p.start_open_response(session, c, language, NOW)
    survey = p.build_survey(session, access.round, language)
    complete(session, access, survey, prefs, choices)
    p.submit_response(session, access, survey, NOW)
    return access.response


def submit_invited(session, c: Consultation, prefs, language="en", **invitation) -> Response:
    """A response through a personal invitation with organisation, contact and e-mail."""
    inv, token = invite(session, c)
    inv.organisation = invitation.get("organisation", "Göç Derneği")
    inv.name = invitation.get("name", "Ayşe Yılmaz")
    inv.email = invitation.get("email", "ayse@example.org")
    session.flush()
    access = p.access_by_invitation(session, token, language, NOW)
    survey = p.build_survey(session, access.round, language)
    complete(session, access, survey, prefs)
    p.submit_response(session, access, survey, NOW)
    return access.response


@dataclass
class Answered:
    """The question-types demo with four submitted responses, one withdrawn, one unfinished."""

    consultation: Consultation
    submitted: list[Response]
    withdrawn: Response
    unfinished: Response


@pytest.fixture
def question_types(session) -> Answered:
    load_question_types_demo(session)
    c = consultation(session, TYPES)
    texts = [
        {"short_text": FORMULA, "long_text": "-2 and @SUM(A1)\tfine"},
        {"short_text": TURKISH, "rating": "dont_know"},
        {"short_text": ARABIC, "single_choice": c.rounds[0].questions[0].options[-1].code},
        {},
    ]
    submitted = [
        submit_open(session, c, prefs, language, choices)
        for prefs, language, choices in zip(
            PREFERENCES, ["en", "tr", "ar", "en"], texts, strict=True
        )
    ]
    withdrawn = submit_open(session, c, PREFERENCES[0], "tr")
    p.withdraw_response(session, TYPES, withdrawn.receipt_code, NOW)
    draft = p.start_open_response(session, c, "en", NOW)
    complete(session, draft, p.build_survey(session, draft.round, "en"), PREFERENCES[1])
    return Answered(c, submitted, withdrawn, draft.response)


@pytest.fixture
def plan(session) -> Consultation:
    """The action-plan demo with 40 synthetic responses (seed 11)."""
    load_demo(session, responses=40, seed=11)
    return consultation(session, PLAN)


def with_mode(session, c: Consultation, mode: AnonymityMode) -> Consultation:
    c.anonymity = mode
    session.flush()
    return c


def response_ids(session, c: Consultation, state) -> set[int]:
    return set(
        session.scalars(
            select(Response.id).where(Response.round_id == c.rounds[0].id, Response.state == state)
        )
    )
