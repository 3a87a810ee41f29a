"""The questionnaire aggregate: rounds, sections, questions, their items and options."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import JSON, ForeignKey, String, Table, UniqueConstraint, event, or_, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

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
    # bumped (in SQL) by every flush that changes what the round's questionnaire shows; part of
    # the key of the per-process survey cache (``consult.services.survey_cache``)
    revision: Mapped[int] = mapped_column(default=0, server_default="0")

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


# --- the round revision: every change to what a round's questionnaire shows bumps it ------------


def _round_of(session: Session, obj: Any) -> int | None:
    """The id of the (existing) round a questionnaire object belongs to; None for a new round."""
    if isinstance(obj, Option | QuestionItem):
        question = obj.question
        if question is None and obj.question_id is not None:
            question = session.get(Question, obj.question_id)
        return _round_of(session, question) if question is not None else None
    if isinstance(obj, Section | Question):
        if obj.round_id is not None:
            return obj.round_id
        if obj.round is not None:
            return obj.round.id
        if isinstance(obj, Question) and obj.section is not None:
            return _round_of(session, obj.section)
    return None


QUESTIONNAIRE = (Section, Question, Option, QuestionItem)


@event.listens_for(Session, "before_flush")
def _bump_round_revisions(session: Session, _context: Any, _instances: Any) -> None:
    """Bump ``Round.revision`` (in SQL, so concurrent edits never share a number) of every round
    whose questionnaire this flush changes: its sections, questions, options and question items;
    the round itself (state, feedback, number); or, for every round of the consultation, the
    consultation's row or its lists (items, objectives, stakeholder groups)."""
    from consult.models.consultation import Consultation, Item, Objective, StakeholderGroup

    rounds: set[int] = set()
    consultations: set[int] = set()
    watched = (Round, Item, Objective, StakeholderGroup, Consultation, *QUESTIONNAIRE)
    deleted = session.deleted
    changed = [
        *(o for o in session.dirty if isinstance(o, watched) and session.is_modified(o)),
        *(o for o in deleted if isinstance(o, watched)),
        *(o for o in session.new if isinstance(o, watched) and not isinstance(o, Round)),
    ]
    with session.no_autoflush:
        for obj in changed:
            if isinstance(obj, Round | Item | Objective | StakeholderGroup):
                cid = obj.consultation_id
                if cid is None and obj.consultation is not None:
                    cid = obj.consultation.id
                if cid is not None:
                    consultations.add(cid)
            elif isinstance(obj, Consultation):
                if obj.id is not None:
                    consultations.add(obj.id)
            elif isinstance(obj, QUESTIONNAIRE):
                rid = _round_of(session, obj)
                if rid is not None:
                    rounds.add(rid)
    if not rounds and not consultations:
        return
    table = cast("Table", Round.__table__)
    session.connection().execute(
        update(table)
        .where(or_(table.c.id.in_(rounds), table.c.consultation_id.in_(consultations)))
        .values(revision=table.c.revision + 1)
    )
    for loaded in list(session.identity_map.values()):  # read the new numbers when next asked
        if isinstance(loaded, Round) and loaded not in deleted:
            session.expire(loaded, ["revision"])
