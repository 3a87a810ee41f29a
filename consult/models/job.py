"""Background jobs: long work (large PDFs, exports, many bootstrap replicates) runs outside the
request, and any app server can show its progress because the state lives in the database."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consult.models.base import Base, str_enum, utcnow


class JobState(enum.StrEnum):
    """queued → running → done or failed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """One piece of long work and, when done, the file it made."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # random: used in URLs
    kind: Mapped[str] = mapped_column(String(32))
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(str_enum(JobState), default=JobState.QUEUED)
    progress: Mapped[float] = mapped_column(default=0.0)  # 0 to 1
    message: Mapped[str] = mapped_column(String(200), default="")
    result: Mapped[bytes | None] = mapped_column(LargeBinary)
    result_name: Mapped[str | None] = mapped_column(String(200))
    result_type: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]  # the last progress report of a running job
