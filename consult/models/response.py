"""Responses and their answers, stored long: one row per (response, question, item/option)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.models.base import Base, str_enum, utcnow

if TYPE_CHECKING:
    from consult.models.questionnaire import Round


class ResponseState(enum.StrEnum):
    """A response is saved page by page, submitted once, and may be withdrawn (erasure)."""

    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class ResponseSource(enum.StrEnum):
    """Where the answers were given."""

    ONLINE = "online"
    WORKSHOP = "workshop"


SUBMITTED_ONLY = text("state = 'submitted' AND invitation_id IS NOT NULL")


class Response(Base):
    """One participant's answers in one round."""

    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("id", "round_id"),  # target of the answers' composite foreign key
        # at most one submitted response per invitation per round
        Index(
            "uq_responses_submitted_invitation_round",
            "invitation_id",
            "round_id",
            unique=True,
            sqlite_where=SUBMITTED_ONLY,
            postgresql_where=SUBMITTED_ONLY,
        ),
        CheckConstraint(
            "(state = 'in_progress') = (submitted_at IS NULL)", name="submitted_has_time"
        ),
        CheckConstraint(
            "(state = 'withdrawn') = (withdrawn_at IS NOT NULL)", name="withdrawn_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL")
    )
    stakeholder_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("stakeholder_groups.id", ondelete="SET NULL"), index=True
    )
    district: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    source: Mapped[ResponseSource] = mapped_column(
        str_enum(ResponseSource), default=ResponseSource.ONLINE
    )
    state: Mapped[ResponseState] = mapped_column(
        str_enum(ResponseState), default=ResponseState.IN_PROGRESS
    )
    receipt_code: Mapped[str] = mapped_column(String(32), unique=True)
    resume_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    live_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="SET NULL")
    )
    is_demo: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    last_page: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(Base):
    """One value in a response, with typed value columns.

    Which columns a row uses depends on the question type (see ``consult.questions``): a choice
    sets ``option_id``; a rating or matrix row sets ``item_id`` and ``number``; a ranking sets
    ``item_id`` and ``number`` (the rank); a pairwise comparison sets ``item_id`` (the winner),
    ``other_item_id`` (the loser) and ``task``; a best-worst task sets ``item_id``, ``task`` and
    ``flag`` (``best``/``worst``/empty); texts set ``text``; "don't know" sets ``flag``.
    """

    __tablename__ = "answers"
    __table_args__ = (
        # answers belong to questions of the response's round
        ForeignKeyConstraint(
            ["response_id", "round_id"], ["responses.id", "responses.round_id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["question_id", "round_id"], ["questions.id", "questions.round_id"], ondelete="CASCADE"
        ),
        Index("ix_answers_response_question", "response_id", "question_id"),
        Index("ix_answers_question", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int]
    round_id: Mapped[int]
    question_id: Mapped[int]
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    other_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    option_id: Mapped[int | None] = mapped_column(ForeignKey("options.id", ondelete="CASCADE"))
    task: Mapped[int | None]
    number: Mapped[float | None]
    text: Mapped[str | None] = mapped_column(Text)
    flag: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)  # Delphi: why an answer was revised

    response: Mapped[Response] = relationship(back_populates="answers")


# An answer's typed value columns in ``consult.questions.AnswerRow`` order: queries that read
# answers as plain rows (not ORM objects) select these.
ANSWER_VALUES = (
    Answer.item_id,
    Answer.other_item_id,
    Answer.option_id,
    Answer.task,
    Answer.number,
    Answer.text,
    Answer.flag,
)
