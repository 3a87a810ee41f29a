"""Stored answers → the long-format input of ``analysis`` (one SELECT, then the type's mapping)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from consult.models import (
    ANSWER_VALUES,
    Answer,
    Question,
    Response,
    ResponseState,
    StakeholderGroup,
)
from consult.questions import AnswerRow, get_type
from consult.services.errors import InvalidState, NotFound
from consult.services.participation import build_survey

RESPONDENT_COLUMNS = ["respondent", "group", "district", "language", "source"]
# the observation columns of each analysis kind (``analysis.REQUIRED_COLUMNS`` without respondent)
KIND_COLUMNS = {
    "rating": ["item", "value"],
    "ranking": ["item", "rank"],
    "pairwise": ["winner", "loser"],
    "bestworst": ["task", "item", "choice"],
    "ahp": ["item_a", "item_b", "value"],
    "points": ["item", "points"],
}


@dataclass(frozen=True)
class AnalysisInput:
    """A priority question's submitted answers in ``analysis`` long format."""

    question_code: str
    kind: str
    frame: pd.DataFrame


def analysis_input(session: Session, question_id: int) -> AnalysisInput:
    """The submitted answers to a priority question, one row per observation.

    Columns: ``respondent`` (response id as text), ``group`` (stakeholder group code, or
    ``"unknown"``), ``district``, ``language``, ``source`` (online/workshop), then the columns
    of the question's analysis kind (see ``analysis``). Item labels are the items' codes.
    Raises ``NotFound`` for an unknown question and ``InvalidState`` for a question type that is
    not analysed as a priority (text, number, choices).
    """
    question = session.get(Question, question_id)
    if question is None:
        raise NotFound("no such question")
    qtype = get_type(question.type)
    if qtype.analysis_kind is None:
        raise InvalidState(f"questions of type {question.type} are not priority questions")
    survey = build_survey(session, question.round, question.round.consultation.default_language)
    spec = survey.question(question.code)
    if spec is None:  # a question outside every section cannot be answered
        raise NotFound("this question is not part of the questionnaire")
    rows = session.execute(
        select(
            Response.id,
            StakeholderGroup.code,
            Response.district,
            Response.language,
            type_coerce(Response.source, String),  # plain text: no enum per row (2x faster)
            *ANSWER_VALUES,
        )
        .join(Answer, Answer.response_id == Response.id)
        .outerjoin(StakeholderGroup, StakeholderGroup.id == Response.stakeholder_group_id)
        .where(Answer.question_id == question.id, Response.state == ResponseState.SUBMITTED)
        .order_by(Response.id, Answer.id)
    ).all()
    by_response: dict[tuple, list[AnswerRow]] = defaultdict(list)
    for r in rows:
        key = (str(r[0]), r[1] or "unknown", r[2], r[3], r[4])
        by_response[key].append(AnswerRow(*r[5:]))
    records = [
        {**dict(zip(RESPONDENT_COLUMNS, key, strict=True)), **obs}
        for key, answer_rows in by_response.items()
        for obs in qtype.analysis_rows(spec, answer_rows)
    ]
    columns = RESPONDENT_COLUMNS + KIND_COLUMNS[qtype.analysis_kind]
    frame = pd.DataFrame.from_records(records, columns=columns)
    return AnalysisInput(question.code, qtype.analysis_kind, frame)


def submitted_count(session: Session, consultation_id: int, round_number: int) -> int:
    """How many submitted responses a round has (to judge how long an analysis will take)."""
    from sqlalchemy import func

    from consult.models import Round

    return int(
        session.scalar(
            select(func.count(Response.id))
            .join(Round, Round.id == Response.round_id)
            .where(
                Round.consultation_id == consultation_id,
                Round.number == round_number,
                Response.state == ResponseState.SUBMITTED,
            )
        )
        or 0
    )
