"""Fixtures of the report tests: the demo consultation (123 responses) rendered once per module
in Turkish, English and Arabic, next to the priorities service's own output; and the staff
accounts of the facilitator tests for the download pages."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from consult.extensions import db
from consult.models import Answer, Consultation, Question, Quote, Response, ResponseState
from consult.reports.pdf import report_pdf
from consult.services import priorities
from consult.services.demo import load_demo
from tests.conftest import make_test_app
from tests.facilitator.conftest import (  # noqa: F401  (fixtures)
    _compiled_catalogs,
    app,
    demo_responses,
    staff,
)

LANGUAGES = ("tr", "en", "ar")
SLUG = "migration-action-plan"
#: Quotes an analyst selected, edited to remove an identifying detail (by answer language).
QUOTES = {
    "ar": "يجب إشراك منظمتنا في المجلس الاستشاري.",
    "tr": "[İlçe adı çıkarıldı] hizmet noktalarında tercüman eksikliği en büyük sorun.",
}


@dataclass
class Rendered:
    """One language's PDF, its text as pypdf reads it, and the service's results."""

    language: str
    pdf: bytes
    seconds: float
    report: dict[str, Any]
    reader: PdfReader
    pages: list[str]
    priorities: dict[str, Any]  # question_results("action_priority") as the results page has it
    challenges: dict[str, Any]  # question_results("challenge_severity")

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    @property
    def flat(self) -> str:
        """The text on one line: line breaks (also inside hyphenated words) become spaces."""
        return flatten(self.text)


@dataclass
class Demo:
    app: Flask
    rendered: dict[str, Rendered]


def flatten(text: str) -> str:
    text = re.sub(r"(?<=\w-)\n(?=\w)", "", text)
    return re.sub(r"\s+", " ", text)


def select_quotes(consultation: Consultation) -> None:
    """Select the first Arabic and the first Turkish comment as quotes, edited (``QUOTES``)."""
    rows = db.session.execute(
        select(Answer.id, Response.language)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .where(
            Question.code == "comments",
            Response.state == ResponseState.SUBMITTED,
            Answer.text.is_not(None),
        )
        .order_by(Answer.id)
    ).all()
    first = {}
    for answer_id, language in rows:
        first.setdefault(language, answer_id)
    for language, text in QUOTES.items():
        db.session.add(
            Quote(
                consultation_id=consultation.id,
                answer_id=first[language],
                text=text,
                language=language,
            )
        )
    db.session.commit()


def empty_database() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    db.engine.dispose()


@pytest.fixture(scope="module")
def demo(migrated_url: str) -> Iterator[Demo]:
    """The demo with 123 responses; its report rendered once in each language."""
    application = make_test_app(migrated_url)
    rendered = {}
    with application.app_context():
        load_demo(db.session, responses=123)
        db.session.commit()
        consultation = db.session.scalars(
            select(Consultation).where(Consultation.slug == SLUG)
        ).one()
        select_quotes(consultation)
        for language in LANGUAGES:
            start = time.perf_counter()
            pdf, report = report_pdf(db.session, consultation, language=language)
            seconds = time.perf_counter() - start
            reader = PdfReader(io.BytesIO(pdf))
            rendered[language] = Rendered(
                language=language,
                pdf=pdf,
                seconds=seconds,
                report=report,
                reader=reader,
                pages=[page.extract_text() for page in reader.pages],
                priorities=priorities.question_results(
                    db.session, consultation, "action_priority", language=language
                ).as_dict(),
                challenges=priorities.question_results(
                    db.session, consultation, "challenge_severity", language=language
                ).as_dict(),
            )
        db.session.remove()
    try:
        yield Demo(application, rendered)
    finally:
        with application.app_context():
            empty_database()
