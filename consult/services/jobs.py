"""Background jobs: the rules. (``consult.jobs`` runs them in worker threads.)

A job kind is registered with two functions: ``load(session, parameters, progress)`` reads what
the work needs, and ``make(loaded, progress)`` does the slow part that needs no database
(rendering, writing files) and returns ``(bytes, file name, media type)``. The runner ends the
transaction between them, so the database is free while the slow part runs (on SQLite every
transaction holds the write lock). ``progress(fraction, message)`` reports how far it got.

Jobs are visible to their creator and to admins; their state lives in the database, so any app
server can show the progress of a job another one runs. A running job whose last progress
report is older than ``STALE_AFTER`` is shown as failed (its server stopped while working).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import Consultation, Job, JobState, User
from consult.services.audit import record
from consult.services.errors import InvalidState, NotFound
from consult.services.permissions import is_admin

STALE_AFTER = timedelta(minutes=5)
Progress = Callable[[float, str], None]
Made = tuple[bytes, str, str]  # content, file name, media type


@dataclass(frozen=True)
class JobKind:
    """How to do one kind of job."""

    load: Callable[[Session, dict[str, Any], Progress], Any]
    make: Callable[[Any, Progress], Made]
    read_only: bool = False  # ``load`` only reads: the runner need not take the write lock


KINDS: dict[str, JobKind] = {}


def register(
    name: str,
    load: Callable[[Session, dict[str, Any], Progress], Any],
    make: Callable[[Any, Progress], Made],
    *,
    read_only: bool = False,
) -> None:
    """Register the job kind ``name`` (a second registration replaces the first).

    ``read_only``: ``load`` writes nothing (and reports no progress), so on SQLite it reads in a
    deferred transaction that leaves the write lock to participants while it computes.
    """
    KINDS[name] = JobKind(load, make, read_only)


@dataclass(frozen=True)
class JobView:
    """A job as its progress page shows it."""

    public_id: str
    kind: str
    state: str
    progress: float
    message: str
    error: str | None
    result_name: str | None
    created_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE.value, JobState.FAILED.value)


def create_job(
    session: Session,
    actor: User | None,
    consultation: Consultation | None,
    kind: str,
    parameters: dict[str, Any],
) -> Job:
    """A queued job of a registered ``kind`` (the caller commits, then starts it)."""
    if kind not in KINDS:
        raise InvalidState(f"unknown job kind {kind!r}")
    job = Job(
        public_id=secrets.token_urlsafe(16),
        kind=kind,
        consultation_id=consultation.id if consultation is not None else None,
        created_by=actor.id if actor is not None else None,
        parameters=dict(parameters),
    )
    session.add(job)
    session.flush()
    record(session, actor, "job.create", job, consultation=consultation, kind=kind)
    return job


def find_job(session: Session, actor: Any, public_id: str, consultation: Consultation) -> Job:
    """The job ``public_id`` of ``consultation`` if ``actor`` created it or is an admin.

    Anyone else gets ``NotFound``: a job's address does not reveal that it exists.
    """
    job = session.scalar(select(Job).where(Job.public_id == public_id))
    if (
        job is None
        or job.consultation_id != consultation.id
        or not (is_admin(actor) or (isinstance(actor, User) and job.created_by == actor.id))
    ):
        raise NotFound("no such job")
    return job


def view(job: Job, now: datetime) -> JobView:
    """What the progress page shows; a running job without news for a while has failed."""
    state, error = job.state.value, job.error
    last = job.heartbeat_at or job.started_at or job.created_at
    if job.state in (JobState.QUEUED, JobState.RUNNING) and now - last > STALE_AFTER:
        state, error = JobState.FAILED.value, "the server stopped while working on this"
    return JobView(
        public_id=job.public_id,
        kind=job.kind,
        state=state,
        progress=max(0.0, min(1.0, job.progress)),
        message=job.message,
        error=error,
        result_name=job.result_name,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def claim(session: Session, public_id: str, now: datetime) -> Job | None:
    """Mark a queued job running (None when it is gone or already taken)."""
    job = session.scalar(
        select(Job).where(Job.public_id == public_id, Job.state == JobState.QUEUED)
    )
    if job is None:
        return None
    job.state = JobState.RUNNING
    job.started_at = job.heartbeat_at = now
    session.flush()
    return job


def report_progress(
    session: Session, public_id: str, fraction: float, message: str, now: datetime
) -> None:
    """Store how far a running job got."""
    job = session.scalar(select(Job).where(Job.public_id == public_id))
    if job is None or job.state != JobState.RUNNING:
        return
    job.progress = max(0.0, min(1.0, float(fraction)))
    job.message = message[:200]
    job.heartbeat_at = now
    session.flush()


def finish(session: Session, public_id: str, made: Made, now: datetime) -> None:
    """Store a job's file and mark it done."""
    content, name, media_type = made
    job = session.scalar(select(Job).where(Job.public_id == public_id))
    if job is None:
        return
    job.result, job.result_name, job.result_type = content, name, media_type
    job.state, job.progress, job.finished_at = JobState.DONE, 1.0, now
    session.flush()


def fail(session: Session, public_id: str, error: str, now: datetime) -> None:
    """Mark a job failed with a message that is safe to show."""
    job = session.scalar(select(Job).where(Job.public_id == public_id))
    if job is None:
        return
    job.state, job.error, job.finished_at = JobState.FAILED, error[:2000], now
    session.flush()


def result(job: Job) -> Made:
    """The file a done job made (``InvalidState`` while it is not done)."""
    if job.state != JobState.DONE or job.result is None:
        raise InvalidState("this job has not finished")
    return job.result, job.result_name or "result", job.result_type or "application/octet-stream"
