"""Open answers for analysts: list and filter them, select some as quotes for the report.

An *open answer* is a stored answer with text (``Answer.text``): the short-text and long-text
questions, and any text another type stores (no built-in type does today; every answer row
with text is listed, so an "other, please specify" text would appear without a change here).
Only submitted responses count: in-progress and withdrawn responses never appear.

Nothing here shows who answered, whatever the consultation's anonymity mode: no invitation,
organisation, district, receipt code or time, only the question, the response's language and
its stakeholder group (the group only when it has at least ``k`` submitted responses in the
round, ``k`` being the consultation's ``min_group_size``). Filtering by a stakeholder group with
fewer than ``k`` submitted responses in the round is refused (:class:`SmallGroup`): a filter
must not single out a small group.

A *quote* (``consult.models.Quote``) is an open answer the analyst selected for the report, with
the analyst's edited text (identifying details removed); the stored answer never changes.
Selecting, editing and removing a quote are recorded in the audit log (without the texts).

For the PDF report: :func:`selected_quotes` gives the selected quotes as plain data; callers
check ``Action.ANALYSE`` first (the analyst views do, through ``load(slug)``).

Matching for the "contains" filter is tolerant: case, the Turkish dotted/dotless i (İ I ı i),
combining marks (accents, Arabic short vowels) and the Arabic tatweel are ignored on both sides.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from babel import Locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import (
    Answer,
    Consultation,
    Question,
    Quote,
    Response,
    ResponseState,
    Round,
    Section,
    StakeholderGroup,
    User,
)
from consult.questions.base import MAX_TEXT
from consult.questions.text import clean_text
from consult.services import audit
from consult.services.consultations import localized
from consult.services.errors import Conflict, InvalidState, NotFound
from consult.services.permissions import Action, require

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_CONTAINS",
    "MAX_PER_PAGE",
    "MAX_QUOTE",
    "OPEN_TEXT_TYPES",
    "UNKNOWN_GROUP",
    "InvalidFilter",
    "InvalidQuote",
    "OpenAnswer",
    "OpenAnswerPage",
    "QuoteView",
    "SmallGroup",
    "TextQuestion",
    "direction",
    "edit_quote",
    "filterable_groups",
    "fold",
    "list_open_answers",
    "open_text_questions",
    "select_quote",
    "selected_quotes",
    "unselect_quote",
]

#: Question types whose answers are open text (other questions are listed only if they stored text).
OPEN_TEXT_TYPES = ("short_text", "long_text")
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_CONTAINS = 200
#: The longest quote (characters), as long as the longest answer.
MAX_QUOTE = MAX_TEXT
#: The ``group`` filter value of responses that stated no stakeholder group.
UNKNOWN_GROUP = "unknown"


class InvalidFilter(InvalidState):
    """A filter names something that does not exist (``field``: round, question, language, ...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class SmallGroup(InvalidState):
    """The group filter names a group with fewer than ``k`` submitted responses: refused."""

    def __init__(self, message: str, k: int) -> None:
        super().__init__(message)
        self.k = k


class InvalidQuote(InvalidState):
    """The quote text is empty or too long (``reason``: ``empty`` or ``too_long``)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


# --------------------------------------------------------------------------------------------
# Plain data


@dataclass(frozen=True)
class TextQuestion:
    """A question with open answers in a round."""

    id: int
    code: str
    type: str
    text: str  # in the label language


@dataclass(frozen=True)
class QuoteView:
    """A selected quote as plain data (what the report prints).

    ``text`` is the analyst's edited text, in ``language`` (the response's language), written
    in ``direction`` (``rtl``/``ltr``). ``question_text`` is in the label language;
    ``question_texts`` holds every translation.
    """

    id: int
    answer_id: int
    round_number: int
    question_code: str
    question_text: str
    question_texts: dict[str, str]
    text: str
    language: str
    direction: str
    selected_at: datetime


@dataclass(frozen=True)
class OpenAnswer:
    """One open answer, without anything that identifies who gave it.

    ``group`` is the stakeholder group's code and ``group_name`` its name, both None when the
    group is hidden (``group_hidden``: fewer than ``k`` submitted responses in the round).
    ``quote`` is the quote made of this answer, if any.
    """

    answer_id: int
    question_code: str
    question_text: str
    text: str
    language: str
    direction: str
    group: str | None
    group_name: str | None
    group_hidden: bool
    quote: QuoteView | None


@dataclass(frozen=True)
class OpenAnswerPage:
    """One page of open answers and what the filters offered."""

    round_number: int | None
    rounds: list[int]
    questions: list[TextQuestion]
    answers: list[OpenAnswer]
    total: int  # answers matching the filters, on every page
    page: int
    pages: int
    per_page: int
    min_group_size: int
    filters: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """Plain data (lists and dicts)."""
        return asdict(self)


# --------------------------------------------------------------------------------------------
# Helpers


def direction(language: str) -> str:
    """``rtl`` for right-to-left languages (Arabic, Persian), else ``ltr``."""
    try:
        return Locale.parse(language).text_direction
    except (ValueError, TypeError):
        return "ltr"


_FOLD_I = str.maketrans({"İ": "i", "I": "i", "ı": "i"})
_TATWEEL = "\u0640"


def fold(text: str) -> str:
    """``text`` for tolerant matching: the Turkish i forms merged, case and marks ignored.

    Never used to change what is shown or stored; only both sides of a "contains" match pass
    through it.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_I))
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ch != _TATWEEL)
    return kept.casefold().translate(_FOLD_I)


def _round(session: Session, consultation: Consultation, number: int | None) -> Round | None:
    rounds = list(consultation.rounds)
    if number is None:
        return _default_round(session, rounds)
    found = next((r for r in rounds if r.number == number), None)
    if found is None:
        raise InvalidFilter("round", f"no round {number} in this consultation")
    return found


def _default_round(session: Session, rounds: list[Round]) -> Round | None:
    """The latest round with open-text questions, else the latest round."""
    for round_ in reversed(rounds):
        if _text_questions(session, round_):
            return round_
    return rounds[-1] if rounds else None


def _text_questions(session: Session, round_: Round) -> list[Question]:
    """The round's open-text questions, and any other question that stored text answers."""
    with_text = set(
        session.scalars(
            select(Answer.question_id)
            .where(Answer.round_id == round_.id, Answer.text.is_not(None), Answer.text != "")
            .distinct()
        )
    )
    rows = session.scalars(
        select(Question)
        .join(Section, Section.id == Question.section_id)
        .where(Question.round_id == round_.id)
        .order_by(Section.position, Question.position, Question.id)
    ).all()
    return [q for q in rows if q.type in OPEN_TEXT_TYPES or q.id in with_text]


def _group_sizes(session: Session, round_: Round) -> dict[str, int]:
    """Submitted responses per stakeholder group code in the round (``unknown``: none stated)."""
    rows = session.execute(
        select(StakeholderGroup.code, func.count(Response.id))
        .select_from(Response)
        .outerjoin(StakeholderGroup, StakeholderGroup.id == Response.stakeholder_group_id)
        .where(Response.round_id == round_.id, Response.state == ResponseState.SUBMITTED)
        .group_by(StakeholderGroup.code)
    ).all()
    return {(code or UNKNOWN_GROUP): int(n) for code, n in rows}


def _k(consultation: Consultation) -> int:
    return max(1, int(consultation.min_group_size or 1))


def _quote_view(quote: Quote, question: Question, round_number: int, label: str) -> QuoteView:
    consultation_default = question.round.consultation.default_language
    return QuoteView(
        id=quote.id,
        answer_id=quote.answer_id,
        round_number=round_number,
        question_code=question.code,
        question_text=localized(question.text or {}, label, consultation_default),
        question_texts=dict(question.text or {}),
        text=quote.text,
        language=quote.language,
        direction=direction(quote.language),
        selected_at=quote.selected_at,
    )


# --------------------------------------------------------------------------------------------
# Listing


def open_text_questions(
    session: Session,
    consultation: Consultation,
    *,
    round_number: int | None = None,
    language: str | None = None,
) -> list[TextQuestion]:
    """The questions with open answers in a round (default: the latest round that has some).

    ``language`` is the language of the question texts (default: the consultation's default).
    Raises ``InvalidFilter`` for an unknown round.
    """
    label = language or consultation.default_language
    round_ = _round(session, consultation, round_number)
    if round_ is None:
        return []
    return [
        TextQuestion(
            q.id, q.code, q.type, localized(q.text or {}, label, consultation.default_language)
        )
        for q in _text_questions(session, round_)
    ]


def list_open_answers(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    *,
    round_number: int | None = None,
    question_code: str | None = None,
    language: str | None = None,
    group: str | None = None,
    contains: str | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    label_language: str | None = None,
    group_names: dict[str, str] | None = None,
) -> OpenAnswerPage:
    """One page of a round's open answers, filtered, oldest first.

    Parameters
    ----------
    round_number
        The round (default: the latest round with open-text questions).
    question_code, language, group
        Keep one question, one response language, one stakeholder group code (``unknown``:
        no group stated). None or "" keeps all.
    contains
        Keep answers containing this text (tolerant matching, see the module docstring).
    page, per_page
        1-based page (clamped to the last page), answers per page (1 to ``MAX_PER_PAGE``).
    label_language
        Language of question texts and group names (default: the consultation's default).
    group_names
        Names of groups not in the consultation (``unknown``), in ``label_language``.

    Raises ``Forbidden`` unless ``actor`` may analyse the consultation, ``InvalidFilter`` for an
    unknown round, question, language or group, and ``SmallGroup`` when ``group`` has fewer
    than ``k`` submitted responses in the round.
    """
    require(actor, Action.ANALYSE, consultation)
    label = label_language or consultation.default_language
    k = _k(consultation)
    round_ = _round(session, consultation, round_number)
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    filters = {
        "question": question_code or None,
        "language": language or None,
        "group": group or None,
        "contains": (contains or "").strip()[:MAX_CONTAINS] or None,
    }
    if round_ is None:
        return OpenAnswerPage(
            round_number=None,
            rounds=[],
            questions=[],
            answers=[],
            total=0,
            page=1,
            pages=1,
            per_page=per_page,
            min_group_size=k,
            filters=filters,
        )
    rounds = [r.number for r in consultation.rounds]
    questions = _text_questions(session, round_)
    by_id = {q.id: q for q in questions}
    choices = [
        TextQuestion(
            q.id, q.code, q.type, localized(q.text or {}, label, consultation.default_language)
        )
        for q in questions
    ]

    chosen = [q for q in questions if q.code == filters["question"]] if question_code else None
    if question_code and not chosen:
        raise InvalidFilter("question", f"no open-text question {question_code!r} in this round")
    if language and language not in consultation.languages:
        raise InvalidFilter("language", f"{language!r} is not a language of this consultation")
    names = {
        g.code: localized(g.name or {}, label, consultation.default_language)
        for g in consultation.stakeholder_groups
    }
    names.update({c: n for c, n in (group_names or {}).items() if c not in names})
    sizes = _group_sizes(session, round_)
    if group:
        if group != UNKNOWN_GROUP and group not in names:
            raise InvalidFilter("group", f"no stakeholder group {group!r} in this consultation")
        if sizes.get(group, 0) < k:
            raise SmallGroup(
                f"fewer than {k} submitted responses come from this group: it cannot be filtered",
                k,
            )

    query = (
        select(
            Answer.id,
            Answer.question_id,
            Answer.text,
            Response.language,
            StakeholderGroup.code,
        )
        .join(Response, Response.id == Answer.response_id)
        .outerjoin(StakeholderGroup, StakeholderGroup.id == Response.stakeholder_group_id)
        .where(
            Answer.round_id == round_.id,
            Response.state == ResponseState.SUBMITTED,
            Answer.text.is_not(None),
            Answer.text != "",
            Answer.question_id.in_([q.id for q in (chosen or questions)]),
        )
        .order_by(Response.submitted_at, Response.id, Answer.id)
    )
    if language:
        query = query.where(Response.language == language)
    if group == UNKNOWN_GROUP:
        query = query.where(Response.stakeholder_group_id.is_(None))
    elif group:
        query = query.where(StakeholderGroup.code == group)
    rows = session.execute(query).all()
    if filters["contains"]:
        needle = fold(filters["contains"])
        rows = [r for r in rows if needle in fold(r[2] or "")]

    total = len(rows)
    pages = max(1, math.ceil(total / per_page))
    page = max(1, min(int(page), pages))
    shown = rows[(page - 1) * per_page : page * per_page]
    quotes = {
        q.answer_id: q
        for q in session.scalars(
            select(Quote).where(Quote.answer_id.in_([r[0] for r in shown]))
        ).all()
    }
    round_no = round_.number
    answers = []
    for answer_id, question_id, text, response_language, group_code in shown:
        question = by_id[question_id]
        code = group_code or UNKNOWN_GROUP
        hidden = sizes.get(code, 0) < k
        quote = quotes.get(answer_id)
        answers.append(
            OpenAnswer(
                answer_id=answer_id,
                question_code=question.code,
                question_text=localized(question.text or {}, label, consultation.default_language),
                text=text or "",
                language=response_language,
                direction=direction(response_language),
                group=None if hidden else code,
                group_name=None if hidden else names.get(code, code),
                group_hidden=hidden,
                quote=_quote_view(quote, question, round_no, label) if quote else None,
            )
        )
    return OpenAnswerPage(
        round_number=round_no,
        rounds=rounds,
        questions=choices,
        answers=answers,
        total=total,
        page=page,
        pages=pages,
        per_page=per_page,
        min_group_size=k,
        filters=filters,
    )


def filterable_groups(
    session: Session, consultation: Consultation, *, round_number: int | None = None
) -> dict[str, bool]:
    """Each stakeholder group code (and ``unknown``) → whether the group filter may use it
    (at least ``k`` submitted responses in the round)."""
    k = _k(consultation)
    round_ = _round(session, consultation, round_number)
    sizes = _group_sizes(session, round_) if round_ is not None else {}
    codes = [g.code for g in consultation.stakeholder_groups] + [UNKNOWN_GROUP]
    return {code: sizes.get(code, 0) >= k for code in codes}


# --------------------------------------------------------------------------------------------
# Quotes


def _clean_quote(text: str) -> str:
    cleaned = clean_text(text or "", multiline=True)
    if not cleaned:
        raise InvalidQuote("empty", "the quote is empty")
    if len(cleaned) > MAX_QUOTE:
        raise InvalidQuote("too_long", f"the quote is longer than {MAX_QUOTE} characters")
    return cleaned


def _open_answer(session: Session, consultation: Consultation, answer_id: int) -> Answer:
    """A submitted open answer of ``consultation`` (``NotFound`` otherwise)."""
    answer = session.scalar(
        select(Answer)
        .join(Response, Response.id == Answer.response_id)
        .join(Round, Round.id == Answer.round_id)
        .where(
            Answer.id == answer_id,
            Round.consultation_id == consultation.id,
            Response.state == ResponseState.SUBMITTED,
            Answer.text.is_not(None),
            Answer.text != "",
        )
    )
    if answer is None:
        raise NotFound("no such open answer in this consultation")
    return answer


def _quote_of(session: Session, consultation: Consultation, answer_id: int) -> Quote:
    quote = session.scalar(
        select(Quote).where(Quote.answer_id == answer_id, Quote.consultation_id == consultation.id)
    )
    if quote is None:
        raise NotFound("this answer is not selected as a quote")
    return quote


def select_quote(
    session: Session, actor: User | None, consultation: Consultation, answer_id: int, text: str
) -> Quote:
    """Select an open answer for the report, with ``text`` (the analyst's edited version).

    The answer itself is not changed. Raises ``Forbidden`` unless ``actor`` may analyse the
    consultation, ``NotFound`` for an answer that is not a submitted open answer of it,
    ``Conflict`` when it is selected already and ``InvalidQuote`` for an empty or too long text.
    """
    require(actor, Action.ANALYSE, consultation)
    answer = _open_answer(session, consultation, answer_id)
    cleaned = _clean_quote(text)
    existing = session.scalar(select(Quote.id).where(Quote.answer_id == answer.id))
    if existing is not None:
        raise Conflict("this answer is already selected as a quote")
    question = session.get(Question, answer.question_id)
    assert question is not None
    quote = Quote(
        consultation_id=consultation.id,
        answer_id=answer.id,
        text=cleaned,
        language=answer.response.language,
        selected_by=actor.id if actor is not None else None,
    )
    session.add(quote)
    session.flush()
    audit.record(
        session,
        actor,
        "quote.select",
        quote,
        consultation,
        answer_id=answer.id,
        question=question.code,
        edited=cleaned != answer.text,
        length=len(cleaned),
    )
    return quote


def edit_quote(
    session: Session, actor: User | None, consultation: Consultation, answer_id: int, text: str
) -> Quote:
    """Replace the text of the quote made of ``answer_id`` (the answer is not changed).

    Raises ``Forbidden``, ``NotFound`` (no such quote) and ``InvalidQuote``.
    """
    require(actor, Action.ANALYSE, consultation)
    quote = _quote_of(session, consultation, answer_id)
    cleaned = _clean_quote(text)
    if cleaned == quote.text:
        return quote
    quote.text = cleaned
    session.flush()
    audit.record(
        session,
        actor,
        "quote.edit",
        quote,
        consultation,
        answer_id=answer_id,
        length=len(cleaned),
    )
    return quote


def unselect_quote(
    session: Session, actor: User | None, consultation: Consultation, answer_id: int
) -> None:
    """Remove the quote made of ``answer_id`` from the report (the answer stays).

    Raises ``Forbidden`` and ``NotFound`` (no such quote).
    """
    require(actor, Action.ANALYSE, consultation)
    quote = _quote_of(session, consultation, answer_id)
    audit.record(session, actor, "quote.unselect", quote, consultation, answer_id=answer_id)
    session.delete(quote)
    session.flush()


def selected_quotes(
    session: Session,
    consultation: Consultation,
    language: str | None = None,
    *,
    label_language: str | None = None,
) -> list[QuoteView]:
    """The quotes selected for the report, as plain data: what the PDF report includes.

    Parameters
    ----------
    language
        Only quotes in this language (the language of the response); None gives every quote.
    label_language
        Language of ``question_text`` (default: the consultation's default language).

    Ordered by round, question (questionnaire order), then the order the answers came in.
    Quotes of responses that are no longer submitted are left out. The caller has checked
    ``Action.ANALYSE``; nothing is written.
    """
    label = label_language or consultation.default_language
    query = (
        select(Quote, Question, Round.number)
        .join(Answer, Answer.id == Quote.answer_id)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .join(Section, Section.id == Question.section_id)
        .join(Round, Round.id == Answer.round_id)
        .where(
            Quote.consultation_id == consultation.id,
            Round.consultation_id == consultation.id,
            Response.state == ResponseState.SUBMITTED,
        )
        .order_by(
            Round.number,
            Section.position,
            Question.position,
            Question.id,
            Response.submitted_at,
            Answer.id,
        )
    )
    if language:
        query = query.where(Quote.language == language)
    return [
        _quote_view(quote, question, number, label)
        for quote, question, number in session.execute(query).all()
    ]
