"""Live workshop sessions: in-room participants answer on their phones."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from consult.models.base import Base, str_enum, utcnow


class LiveState(enum.StrEnum):
    """A live session is running or has ended."""

    RUNNING = "running"
    ENDED = "ended"


class LiveSession(Base):
    """A facilitator-led session on one round, joined with a short code."""

    __tablename__ = "live_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    state: Mapped[LiveState] = mapped_column(str_enum(LiveState), default=LiveState.RUNNING)
    current_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL")
    )
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
