"""The questionnaire aggregate: rounds, sections, questions, their items and options."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.models.base import Base, Translated, str_enum, utcnow

if TYPE_CHECKING:
    from consult.models.consultation import Consultation, Item


class RoundState(enum.StrEnum):
    """A round is prepared, then open for answers, then closed."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Round(Base):
    """One questionnaire pass of a consultation; Delphi uses several."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(default=1)
    state: Mapped[RoundState] = mapped_column(str_enum(RoundState), default=RoundState.DRAFT)
    previous_round_id: Mapped[int | None] = mapped_column(
        ForeignKey("rounds.id", ondelete="SET NULL")
    )
    title: Mapped[dict] = mapped_column(Translated, default=dict)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Delphi: question codes whose previous-round results are shown as feedback
    feedback: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    consultation: Mapped[Consultation] = relationship(back_populates="rounds")
    sections: Mapped[list[Section]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Section.position"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="round",
        cascade="all, delete-orphan",
        order_by="Question.position",
        overlaps="section,questions",
    )


class Section(Base):
    """A page of the questionnaire."""

    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("round_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict] = mapped_column(Translated)
    description: Mapped[dict] = mapped_column(Translated, default=dict)
    # shown only when an earlier answer matches, e.g. {"question": "x", "equals": "y"}
    display_condition: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    round: Mapped[Round] = relationship(back_populates="sections")
    questions: Mapped[list[Question]] = relationship(
        back_populates="section", order_by="Question.position", overlaps="questions,round"
    )


class Question(Base):
    """A question of a registered type (``consult.questions``), with type-specific settings."""

    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("round_id", "code"),
        UniqueConstraint("id", "round_id"),  # target of the answers' composite foreign key
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(
        ForeignKey("sections.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[dict] = mapped_column(Translated)
    help: Mapped[dict] = mapped_column(Translated, default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    display_condition: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    round: Mapped[Round] = relationship(back_populates="questions", overlaps="questions,section")
    section: Mapped[Section] = relationship(back_populates="questions", overlaps="questions,round")
    options: Mapped[list[Option]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by="Option.position"
    )
    question_items: Mapped[list[QuestionItem]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by="QuestionItem.position"
    )


class QuestionItem(Base):
    """An item asked about in a question (matrix rows, things to rank or compare)."""

    __tablename__ = "question_items"
    __table_args__ = (UniqueConstraint("question_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    question: Mapped[Question] = relationship(back_populates="question_items")
    item: Mapped[Item] = relationship()


class Option(Base):
    """A choice of a choice question, or a labelled point of a scale."""

    __tablename__ = "options"
    __table_args__ = (UniqueConstraint("question_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    value: Mapped[float | None]
    label: Mapped[dict] = mapped_column(Translated)

    question: Mapped[Question] = relationship(back_populates="options")
