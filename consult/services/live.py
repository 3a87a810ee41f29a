"""Live workshop sessions: a facilitator leads a room through one round, question by question.

A facilitator starts a session on the consultation's current round in one of its languages; the
session gets a short join code (6 characters of Crockford's alphabet). Participants join with
the code on their phones; each phone gets one response of the round (``source=workshop``,
``live_session_id`` set), created in progress when the phone joins (so the facilitator sees how
many phones joined) and *submitted at its first answer*: an answer given in the room is sent, so
the results pages and exports count it at once and nothing is lost if nobody ends the session.
While the session runs, a phone may answer the current question again: its earlier answer is
replaced (under a row lock on the response, as in ``participation``), never duplicated. Ending
the session drops the responses of phones that joined but never answered.

Only single choice, multiple choice, rating, ranking and points questions are asked live; the
others are skipped when the facilitator moves on. The projector's aggregate is computed by
``analysis.live`` from the answers of this session's phones: counts, never individual answers.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from analysis.live import live_summary
from consult.models import (
    Answer,
    Consultation,
    LiveSession,
    LiveState,
    Question,
    Response,
    ResponseSource,
    ResponseState,
    Round,
    User,
)
from consult.questions import FieldError, QuestionSpec, get_type
from consult.questions.base import AnswerRow
from consult.questions.ranking import top_k
from consult.questions.scale import row_point, scale_points
from consult.services import audit, permissions
from consult.services.errors import InvalidState, NotFound
from consult.services.participation import (
    Survey,
    apply_profile,
    build_survey,
    ensure_accepting,
    is_accepting,
    replace_answers,
    response_language,
    stamp,
)
from consult.services.tokens import READ_AS_DIGITS, RECEIPT_ALPHABET, new_receipt_code

CODE_LENGTH = 6
#: question type → how the projector aggregates it (``analysis.live`` kinds)
LIVE_KINDS = {
    "single_choice": "choice",
    "multiple_choice": "choice",
    "rating": "rating",
    "ranking": "ranking",
    "points": "points",
}


# --- join codes ---------------------------------------------------------------------------------


def normalize_code(raw: str | None) -> str:
    """A join code as typed (spaces, dashes, lower case, O for 0, I/L for 1) in stored form."""
    text = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    return text.translate(READ_AS_DIGITS)[:32]


def new_join_code(session: Session) -> str:
    """A join code that no session has (6 characters: 30 bits)."""
    while True:
        code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(LiveSession.id).where(LiveSession.join_code == code)) is None:
            return code


# --- plain data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionView:
    """A live session as the pages show it."""

    id: int
    join_code: str
    language: str
    running: bool
    round_number: int


@dataclass(frozen=True)
class Status:
    """Where a session is: the current question (its position among the live ones) and counts."""

    running: bool
    question: QuestionSpec | None
    position: int  # 1-based among the live questions; 0 before the first
    total: int
    joined: int
    answered: int  # phones that answered the current question


@dataclass(frozen=True)
class Bar:
    """One category on the projector: its label, count and bar length, and a note."""

    code: str
    label: str
    count: int
    percent: int  # the bar length, 0..100
    note: str = ""


@dataclass(frozen=True)
class Results:
    """The projector's aggregate of the current question (counts only)."""

    kind: str
    respondents: int
    bars: tuple[Bar, ...]
    summary: str = ""


def view(live: LiveSession, round_: Round) -> SessionView:
    return SessionView(
        id=live.id,
        join_code=live.join_code,
        language=live.language,
        running=live.state == LiveState.RUNNING,
        round_number=round_.number,
    )


def position(question_ids: Sequence[int], current_id: int | None) -> int:
    """The current question's place among the live questions: 1-based, 0 for none."""
    return question_ids.index(current_id) + 1 if current_id in question_ids else 0


def live_questions(survey: Survey) -> list[QuestionSpec]:
    """The round's questions asked live, in questionnaire order."""
    return [q for p in survey.pages for q in p.questions if q.type in LIVE_KINDS]


def skipped_questions(survey: Survey) -> list[QuestionSpec]:
    """The round's questions of types that are not asked live (open text, matrix ...)."""
    return [q for p in survey.pages for q in p.questions if q.type not in LIVE_KINDS]


# --- the facilitator's side ------------------------------------------------------------------


def start_session(
    session: Session, actor: User, consultation: Consultation, language: str, now: datetime
) -> LiveSession:
    """Start a live session on the current round in ``language``.

    Raises ``Forbidden`` without edit rights, ``InvalidState`` when the consultation is not
    taking answers, the language is not one of its languages, the round has no question that
    can be asked live, or a session of this consultation is already running.
    """
    permissions.require(actor, permissions.Action.EDIT, consultation)
    round_ = ensure_accepting(consultation, now)
    if language not in consultation.languages:
        raise InvalidState("this language is not one of the consultation's languages")
    if running_session(session, consultation) is not None:
        raise InvalidState("a live session of this consultation is already running")
    if not live_questions(build_survey(session, round_, language)):
        raise InvalidState("the current round has no question that can be asked live")
    live = LiveSession(
        round_id=round_.id,
        join_code=new_join_code(session),
        language=language,
        state=LiveState.RUNNING,
        started_by=actor.id,
        started_at=now,
    )
    session.add(live)
    session.flush()
    audit.record(
        session,
        actor,
        "live.start",
        live,
        consultation,
        round=round_.number,
        language=language,
        join_code=live.join_code,
    )
    return live


def running_session(session: Session, consultation: Consultation) -> LiveSession | None:
    """The consultation's running live session, if any."""
    return session.scalar(
        select(LiveSession)
        .join(Round, Round.id == LiveSession.round_id)
        .where(Round.consultation_id == consultation.id, LiveSession.state == LiveState.RUNNING)
        .order_by(LiveSession.id.desc())
        .limit(1)
    )


def sessions_of(session: Session, consultation: Consultation) -> list[SessionView]:
    """Every live session of the consultation, newest first."""
    rows = session.execute(
        select(LiveSession, Round)
        .join(Round, Round.id == LiveSession.round_id)
        .where(Round.consultation_id == consultation.id)
        .order_by(LiveSession.id.desc())
    ).all()
    return [view(live, round_) for live, round_ in rows]


def session_of(session: Session, consultation: Consultation, session_id: int) -> LiveSession:
    """The consultation's live session ``session_id`` (``NotFound`` otherwise)."""
    live = session.get(LiveSession, session_id)
    round_ = session.get(Round, live.round_id) if live is not None else None
    if live is None or round_ is None or round_.consultation_id != consultation.id:
        raise NotFound("no such live session")
    return live


def _lock_session(session: Session, live: LiveSession) -> None:
    session.refresh(live, with_for_update=True)


def move(
    session: Session,
    actor: User,
    consultation: Consultation,
    live: LiveSession,
    step: int,
    expected_question_id: int | None,
) -> QuestionSpec | None:
    """Show the next (``step=1``) or previous (``-1``) live question; return it.

    ``expected_question_id`` is the question the facilitator's page showed: when another
    facilitator moved meanwhile, nothing moves (the current question is returned). Moving
    back from the first question shows no question (the waiting screen).
    """
    permissions.require(actor, permissions.Action.EDIT, consultation)
    _lock_session(session, live)
    if live.state != LiveState.RUNNING:
        raise InvalidState("this live session has ended")
    questions = live_questions(build_survey(session, live_round(session, live), live.language))
    ids = [q.id for q in questions]
    place = position(ids, live.current_question_id)
    if live.current_question_id == expected_question_id:
        place = max(0, min(len(ids), place + (1 if step > 0 else -1)))
        live.current_question_id = ids[place - 1] if place else None
        session.flush()
    return questions[place - 1] if place else None


def end_session(
    session: Session, actor: User, consultation: Consultation, live: LiveSession, now: datetime
) -> int:
    """End a live session; drop the responses of phones that never answered.

    Returns the number of workshop responses kept. Ending an ended session changes nothing.
    """
    permissions.require(actor, permissions.Action.EDIT, consultation)
    _lock_session(session, live)
    kept = session.scalar(
        select(func.count(Response.id)).where(
            Response.live_session_id == live.id, Response.state == ResponseState.SUBMITTED
        )
    )
    if live.state == LiveState.ENDED:
        return int(kept or 0)
    silent = select(Response.id).where(
        Response.live_session_id == live.id,
        Response.state == ResponseState.IN_PROGRESS,
        ~exists().where(Answer.response_id == Response.id),
    )
    result = session.execute(
        delete(Response).where(Response.id.in_(silent)).execution_options(synchronize_session=False)
    )
    dropped = int(getattr(result, "rowcount", 0) or 0)
    live.state = LiveState.ENDED
    live.ended_at = now
    live.current_question_id = None
    session.flush()
    audit.record(
        session, actor, "live.end", live, consultation, responses=int(kept or 0), dropped=dropped
    )
    return int(kept or 0)


def live_round(session: Session, live: LiveSession) -> Round:
    round_ = session.get(Round, live.round_id)
    if round_ is None:  # a session is deleted with its round (cascade): never here
        raise NotFound("no such round")
    return round_


def status(session: Session, live: LiveSession, survey: Survey) -> Status:
    """The session's current question and how many phones joined and answered."""
    questions = live_questions(survey)
    current = next((q for q in questions if q.id == live.current_question_id), None)
    counts = dict(
        session.execute(
            select(Response.state, func.count(Response.id))
            .where(Response.live_session_id == live.id)
            .group_by(Response.state)
        ).all()
    )
    answered = 0
    if current is not None:
        answered = (
            session.scalar(
                select(func.count(func.distinct(Answer.response_id)))
                .join(Response, Response.id == Answer.response_id)
                .where(
                    Response.live_session_id == live.id,
                    Response.state == ResponseState.SUBMITTED,
                    Answer.question_id == current.id,
                )
            )
            or 0
        )
    submitted = int(counts.get(ResponseState.SUBMITTED, 0))
    return Status(
        running=live.state == LiveState.RUNNING,
        question=current,
        position=position([q.id for q in questions], current.id if current else None),
        total=len(questions),
        joined=submitted + int(counts.get(ResponseState.IN_PROGRESS, 0)),
        answered=int(answered),
    )


# --- the projector's aggregate ---------------------------------------------------------------


def results(session: Session, live: LiveSession, q: QuestionSpec) -> Results:
    """The aggregate of question ``q`` over this session's phones (counts, never answers)."""
    kind = LIVE_KINDS[q.type]
    rows = session.execute(
        select(
            Answer.response_id,
            Answer.item_id,
            Answer.option_id,
            Answer.number,
            Answer.flag,
        )
        .join(Response, Response.id == Answer.response_id)
        .where(
            Response.live_session_id == live.id,
            Response.state == ResponseState.SUBMITTED,
            Answer.question_id == q.id,
        )
    ).all()
    records: list[dict[str, Any]] = []
    if kind == "choice":
        labels = [(o.code, o.label) for o in q.options]
        records = [
            {"respondent": r.response_id, "category": o.code}
            for r in rows
            if (o := q.option_by_id(r.option_id)) is not None
        ]
    elif kind == "rating":
        labels = [(p.code, p.label) for p in scale_points(q)]
        for r in rows:
            point = row_point(
                q, AnswerRow(r.item_id, None, r.option_id, None, r.number, None, r.flag)
            )
            if point is not None:
                records.append(
                    {"respondent": r.response_id, "category": point.code, "value": point.value}
                )
    else:
        labels = [(i.code, i.label) for i in q.items]
        column = "rank" if kind == "ranking" else "points"
        records = [
            {"respondent": r.response_id, "category": item.code, column: r.number}
            for r in rows
            if (item := q.item_by_id(r.item_id)) is not None
        ]
    frame = pd.DataFrame(records, columns=["respondent", "category", "value", "rank", "points"])
    summary = live_summary(
        frame,
        kind,
        [code for code, _label in labels],
        ranked=top_k(q) if kind == "ranking" else None,
    )
    table = summary.table
    bars = []
    for code, label in labels:
        row = table.loc[code]
        note = ""
        if kind == "ranking" and row["count"]:
            note = _("mean rank %(rank)s", rank=format_decimal(round(row["mean_rank"], 1)))
        elif kind == "points":
            note = _("%(points)s points on average", points=format_decimal(round(row["mean"], 1)))
        bars.append(Bar(code, label, int(row["count"]), round(100 * float(row["share"])), note))
    if kind == "ranking" or kind == "points":
        bars.sort(key=lambda b: int(table.loc[b.code, "position"]))
    text = ""
    if kind == "rating" and summary.mean is not None:
        text = _("Mean: %(mean)s", mean=format_decimal(round(summary.mean, 1)))
    return Results(kind, summary.respondents, tuple(bars), text)


# --- the phones ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Room:
    """What a phone shows: the consultation's title, the live questions' order and the current
    question (read with a few small queries: phones ask often)."""

    title: str
    language: str
    question_ids: tuple[int, ...]
    current: QuestionSpec | None

    @property
    def position(self) -> int:
        """The current question's place among the live questions (1-based; 0 before the first)."""
        return position(self.question_ids, self.current.id if self.current else None)


def room(session: Session, live: LiveSession, language: str) -> Room:
    """The phone's view of a session in ``language`` (fallback: the consultation's default),
    from the survey cache: phones ask often, and all at once when the question moves on."""
    round_ = live_round(session, live)
    consultation = round_.consultation
    survey = build_survey(session, round_, response_language(consultation, language))
    asked = live_questions(survey)
    running = live.state == LiveState.RUNNING
    current = next((q for q in asked if running and q.id == live.current_question_id), None)
    return Room(
        title=survey.title,
        language=survey.language,
        question_ids=tuple(q.id for q in asked),
        current=current,
    )


def session_state(session: Session, code: str) -> tuple[LiveState, str | None]:
    """What the phones poll: the state of the session with join code ``code`` and the code of
    its current question (None before the first, or when ended), in one query.

    Raises ``NotFound`` for an unknown code.
    """
    normalized = normalize_code(code)
    row = (
        session.execute(
            select(LiveSession.state, Question.code)
            .outerjoin(Question, Question.id == LiveSession.current_question_id)
            .where(LiveSession.join_code == normalized)
        ).first()
        if len(normalized) == CODE_LENGTH
        else None
    )
    if row is None:
        raise NotFound("no live session has this code")
    state, question = row
    return state, question if state == LiveState.RUNNING else None


def find_session(session: Session, code: str) -> LiveSession:
    """The live session with join code ``code`` (normalized), running or ended.

    Raises ``NotFound`` for an unknown code.
    """
    normalized = normalize_code(code)
    live = (
        session.scalar(select(LiveSession).where(LiveSession.join_code == normalized))
        if len(normalized) == CODE_LENGTH
        else None
    )
    if live is None:
        raise NotFound("no live session has this code")
    return live


def join(
    session: Session, live: LiveSession, response_id: int | None, language: str, now: datetime
) -> Response:
    """The phone's response in this session: the one it has (``response_id``), else a new one.

    Raises ``InvalidState`` when the session has ended or the consultation no longer takes
    answers.
    """
    if live.state != LiveState.RUNNING:
        raise InvalidState("this live session has ended")
    response = own_response(session, live, response_id)
    if response is not None:
        return response
    round_ = live_round(session, live)
    consultation = round_.consultation
    if not is_accepting(consultation, now):
        raise InvalidState("this consultation is closed")
    response = Response(
        round_id=round_.id,
        language=language if language in consultation.languages else live.language,
        source=ResponseSource.WORKSHOP,
        live_session_id=live.id,
        state=ResponseState.IN_PROGRESS,
        receipt_code=new_receipt_code(),
        started_at=stamp(consultation, now),
        updated_at=stamp(consultation, now),
    )
    session.add(response)
    session.flush()
    return response


def own_response(session: Session, live: LiveSession, response_id: int | None) -> Response | None:
    """The response ``response_id`` if it belongs to this session (a phone's cookie says so)."""
    if response_id is None:
        return None
    response = session.get(Response, response_id)
    if response is None or response.live_session_id != live.id:
        return None
    return response


class QuestionClosed(InvalidState):
    """The answer is for a question that is no longer the current one."""


@dataclass(frozen=True)
class Parsed:
    """A phone's answer parsed by its question type: the value, or errors (and what was typed)."""

    question: QuestionSpec
    value: Any
    errors: list[FieldError]
    raw: dict[str, list[str]]


def parse_answer(
    live: LiveSession,
    current: QuestionSpec | None,
    question_code: str,
    form: MultiDict[str, str],
    seed: int,
) -> Parsed:
    """Parse a phone's answer to the current question with its question type (nothing stored).

    Raises ``QuestionClosed`` when ``question_code`` is not the current question and
    ``InvalidState`` when the session has ended.
    """
    if live.state != LiveState.RUNNING:
        raise InvalidState("this live session has ended")
    q = current
    if q is None or q.code != question_code or q.id != live.current_question_id:
        raise QuestionClosed("this question is closed: the facilitator has moved on")
    qtype = get_type(q.type)
    parsed = qtype.parse(q, form, seed)
    errors = list(parsed.errors)
    if not errors and parsed.value is None:
        errors = [FieldError(qtype.field_id(q), _("Choose an answer before sending it."))]
    if not errors and q.required:
        errors = qtype.required_errors(q, parsed.value)
    return Parsed(q, None if errors else parsed.value, errors, parsed.raw)


def store_answer(
    session: Session, live_id: int, response_id: int, parsed: Parsed, now: datetime
) -> None:
    """Store a parsed answer of a phone, replacing its earlier answer to the question.

    A short write: the session and the response are read under row locks (PostgreSQL
    ``FOR UPDATE``; SQLite's transaction holds the write lock), so one phone sending twice at
    once stores one answer set. Raises ``QuestionClosed`` when the facilitator moved on
    meanwhile and ``InvalidState`` when the session ended or the response was withdrawn.
    """
    q = parsed.question
    current = session.execute(
        select(LiveSession.state, LiveSession.current_question_id)
        .where(LiveSession.id == live_id)
        .with_for_update()
    ).one_or_none()
    if current is None or current.state != LiveState.RUNNING:
        raise InvalidState("this live session has ended")
    if current.current_question_id != q.id:
        raise QuestionClosed("this question is closed: the facilitator has moved on")
    response = session.scalar(
        select(Response)
        .where(Response.id == response_id, Response.live_session_id == live_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if response is None or response.state == ResponseState.WITHDRAWN:
        raise InvalidState("this response has been withdrawn")
    replace_answers(
        session, response, [(q, get_type(q.type).to_rows(q, parsed.value, response.id), None)]
    )
    apply_profile(session, response, q, parsed.value)
    if response.state == ResponseState.IN_PROGRESS:
        response.state = ResponseState.SUBMITTED
        response.submitted_at = now
    response.updated_at = now
    session.flush()


def answer_time(session: Session, live: LiveSession, now: datetime) -> datetime:
    """The time to store on a phone's answer (the day only in an anonymous consultation);
    ``InvalidState`` when the consultation no longer takes answers."""
    consultation = live_round(session, live).consultation
    if not is_accepting(consultation, now):
        raise InvalidState("this consultation is closed")
    return stamp(consultation, now)


def phone_value(session: Session, response: Response | None, q: QuestionSpec) -> Any:
    """The phone's stored answer to ``q`` as the question type's value (None: not answered)."""
    if response is None:
        return None
    rows = [
        AnswerRow(a.item_id, a.other_item_id, a.option_id, a.task, a.number, a.text, a.flag)
        for a in session.scalars(
            select(Answer)
            .where(Answer.response_id == response.id, Answer.question_id == q.id)
            .order_by(Answer.id)
        )
    ]
    return get_type(q.type).from_rows(q, rows, response.id) if rows else None
