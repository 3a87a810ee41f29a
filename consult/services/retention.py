"""Retention: delete invitation data and contact details N days after a consultation closed.

A consultation with ``retention_days`` set is *due* once it has been closed (or archived) for
that many days; ``purge_due`` (run by ``consult purge`` from cron) then removes what links its
answers to people, and leaves the answers anonymous:

- invitations keep only what the participation numbers count (stakeholder group, district,
  language, status); their organisation, contact name, e-mail address and sending times are
  cleared, and their token is replaced by a value no token hashes to (the link stops working);
- the invitation-to-round records (``participations``) are deleted;
- responses lose their invitation and their resume token;
- finished background jobs of the consultation are deleted with their stored files (an
  export of a named consultation holds organisations and contact names).

Responses, answers and the profile stored on each response (stakeholder group, district,
language, source) stay, so results are the same before and after. Receipt codes stay too:
they are held only by the participants, and let one still ask for erasure. A consultation
is closed since its last ``consultation.close`` audit event (else its scheduled closing time);
one that is open again is never purged. Purging is idempotent and audited
(``consultation.purge``, counts only). Functions flush, never commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from consult.models import (
    AuditEvent,
    Consultation,
    ConsultationState,
    Invitation,
    Job,
    JobState,
    Participation,
    Response,
    Round,
)
from consult.services.audit import record

# not a hex digit: no token's SHA-256 hex digest starts with it, so no link matches any more
PURGED_TOKEN_PREFIX = "x"  # noqa: S105  (a marker, not a secret)
CLOSE_ACTION = "consultation.close"
PURGE_ACTION = "consultation.purge"
FINISHED = (ConsultationState.CLOSED, ConsultationState.ARCHIVED)


@dataclass(frozen=True)
class Retention:
    """Where a consultation stands with its retention period (plain data for pages)."""

    retention_days: int | None
    closed_at: datetime | None  # None: not closed, or closing time unknown
    due_at: datetime | None  # when ``consult purge`` deletes the invitation data
    purged_at: datetime | None  # the last purge (None: never)
    purged_since_closing: bool  # the last purge came after the last closing


@dataclass(frozen=True)
class PurgeResult:
    """What purging one consultation deleted (or would delete, in a dry run)."""

    slug: str
    invitations: int  # invitations whose contact details and token were removed
    participations: int  # invitation-to-round records deleted
    responses_unlinked: int  # responses that lost their invitation
    resume_tokens: int  # resume tokens removed from responses
    downloads: int  # finished background jobs deleted with their stored files
    dry_run: bool

    @property
    def changed(self) -> int:
        return (
            self.invitations
            + self.participations
            + self.responses_unlinked
            + self.resume_tokens
            + self.downloads
        )


def retention_status(session: Session, consultation: Consultation) -> Retention:
    """The consultation's retention period, closing time, due time and last purge.

    A closed or archived consultation closed at its last ``consultation.close`` event (else at
    its scheduled ``closes_at``); any other state has not closed.
    """
    last = {
        action: (event_id, when)
        for action, event_id, when in session.execute(
            select(AuditEvent.action, func.max(AuditEvent.id), func.max(AuditEvent.occurred_at))
            .where(
                AuditEvent.consultation_id == consultation.id,
                AuditEvent.action.in_((CLOSE_ACTION, PURGE_ACTION)),
            )
            .group_by(AuditEvent.action)
        )
    }
    purge_id, purged = last.get(PURGE_ACTION, (None, None))
    close_id, last_close = last.get(CLOSE_ACTION, (None, None))
    closed = None
    if ConsultationState(consultation.state) in FINISHED:
        closed = last_close if last_close is not None else consultation.closes_at
    days = consultation.retention_days
    due = closed + timedelta(days=days) if closed is not None and days is not None else None
    since = purge_id is not None and closed is not None and (close_id or 0) < purge_id
    return Retention(
        retention_days=days,
        closed_at=closed,
        due_at=due,
        purged_at=purged,
        purged_since_closing=since,
    )


def _rounds(consultation: Consultation) -> ColumnElement[bool]:
    rounds = select(Round.id).where(Round.consultation_id == consultation.id)
    return Response.round_id.in_(rounds.scalar_subquery())


def _not_purged(consultation: Consultation) -> ColumnElement[bool]:
    return (Invitation.consultation_id == consultation.id) & or_(
        Invitation.email.is_not(None),
        Invitation.name.is_not(None),
        Invitation.organisation.is_not(None),
        Invitation.sent_at.is_not(None),
        Invitation.opened_at.is_not(None),
        Invitation.reminded_at.is_not(None),
        ~Invitation.token_hash.startswith(PURGED_TOKEN_PREFIX),
    )


def purge_consultation(
    session: Session, consultation: Consultation, *, dry_run: bool = False
) -> PurgeResult:
    """Delete the consultation's invitation data and contact details; keep anonymous answers.

    Does not check the retention period (``purge_due`` does). With ``dry_run`` nothing
    changes and the counts say what would. Audited when something changed, and the first time
    after each closing even when there was nothing to delete (the settings page says so).
    """
    invited = select(Invitation.id).where(Invitation.consultation_id == consultation.id)
    in_rounds = _rounds(consultation)
    to_scrub = list(session.scalars(select(Invitation.id).where(_not_purged(consultation))))
    participations = session.scalar(
        select(func.count())
        .select_from(Participation)
        .where(Participation.invitation_id.in_(invited.scalar_subquery()))
    )
    linked = session.scalar(
        select(func.count(Response.id)).where(in_rounds, Response.invitation_id.is_not(None))
    )
    resumable = session.scalar(
        select(func.count(Response.id)).where(in_rounds, Response.resume_token_hash.is_not(None))
    )
    finished_jobs = (Job.consultation_id == consultation.id) & Job.state.in_(
        (JobState.DONE, JobState.FAILED)
    )
    downloads = session.scalar(select(func.count(Job.id)).where(finished_jobs))
    result = PurgeResult(
        slug=consultation.slug,
        invitations=len(to_scrub),
        participations=int(participations or 0),
        responses_unlinked=int(linked or 0),
        resume_tokens=int(resumable or 0),
        downloads=int(downloads or 0),
        dry_run=dry_run,
    )
    if dry_run:
        return result
    if not result.changed and retention_status(session, consultation).purged_since_closing:
        return result  # purged since it closed, and nothing new: idempotent

    session.execute(
        update(Response)
        .where(
            in_rounds,
            or_(Response.invitation_id.is_not(None), Response.resume_token_hash.is_not(None)),
        )
        .values(invitation_id=None, resume_token_hash=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Participation)
        .where(Participation.invitation_id.in_(invited.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(Job).where(finished_jobs).execution_options(synchronize_session=False))
    if to_scrub:  # one UPDATE by primary key for all of them (executemany)
        session.execute(
            update(Invitation).execution_options(synchronize_session=False),
            [
                {
                    "id": invitation_id,
                    "email": None,
                    "name": None,
                    "organisation": None,
                    "sent_at": None,
                    "opened_at": None,
                    "reminded_at": None,
                    "token_hash": PURGED_TOKEN_PREFIX + secrets.token_hex(31),
                }
                for invitation_id in to_scrub
            ],
        )
    session.expire_all()
    record(
        session,
        None,
        PURGE_ACTION,
        consultation,
        retention_days=consultation.retention_days,
        invitations=result.invitations,
        participations=result.participations,
        responses_unlinked=result.responses_unlinked,
        resume_tokens=result.resume_tokens,
        downloads=result.downloads,
    )
    return result


def due_consultations(session: Session, now: datetime) -> list[Consultation]:
    """Closed or archived consultations whose retention period has passed, by slug."""
    candidates = session.scalars(
        select(Consultation)
        .where(Consultation.retention_days.is_not(None), Consultation.state.in_(FINISHED))
        .order_by(Consultation.slug)
    ).all()
    due = []
    for consultation in candidates:
        status = retention_status(session, consultation)
        if status.due_at is not None and status.due_at <= now:
            due.append(consultation)
    return due


def purge_due(session: Session, now: datetime, *, dry_run: bool = False) -> list[PurgeResult]:
    """Purge every consultation whose retention period has passed at ``now``."""
    return [
        purge_consultation(session, consultation, dry_run=dry_run)
        for consultation in due_consultations(session, now)
    ]
