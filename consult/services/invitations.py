"""Invitations: create them from a CSV, revoke them, e-mail them, remind those yet to answer.

Tokens are never stored, only their SHA-256 hashes. A token exists once, in the action that
created it: ``create_invitations`` returns each invitation with its token, and whatever needs
the personal link — the links CSV (``invitation_links_csv``) and the invitation e-mail
(``send_invitations``) — must be produced in that same action; the links cannot be rebuilt
later. A reminder therefore issues a NEW token (``send_reminders``): the e-mail carries the
new link, the stored hash is replaced, and the earlier link stops working. The hash is replaced
only when the server accepted the message, so a refused or failed reminder leaves the earlier
link valid. A response in progress belongs to the invitation, not to a token: the new link
resumes it.

Every function takes explicit arguments, flushes and never commits; each action is recorded in
the audit log (``invitation.create``, ``.revoke``, ``.send``, ``.remind``) with counts, never
tokens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from consult.models import (
    AnonymityMode,
    Consultation,
    ConsultationState,
    Invitation,
    InvitationStatus,
    Participation,
    User,
)
from consult.services.audit import record
from consult.services.consultations import localized
from consult.services.errors import Conflict, InvalidState, NotFound, ServiceError
from consult.services.invitation_csv import (
    CsvPreview,
    email_key,
    invitation_links_csv,
    parse_invitation_csv,
    personal_link,
)
from consult.services.mail import Mail, Mailer, Outcome, render_mail
from consult.services.participation import current_round, ensure_accepting
from consult.services.permissions import Action, require
from consult.services.tokens import hash_token, new_token

__all__ = [
    "CsvPreview",
    "InvalidInvitationList",
    "InvitationList",
    "InvitationView",
    "SendReport",
    "create_invitations",
    "find_invitation",
    "invitation_links_csv",
    "list_invitations",
    "parse_invitation_csv",
    "pending_reminders",
    "revoke_invitation",
    "send_invitations",
    "send_reminders",
]

Issued = tuple[Invitation, str]  # an invitation and its token, known only in this action
REMINDABLE = (InvitationStatus.PENDING, InvitationStatus.SENT, InvitationStatus.OPENED)


class InvalidInvitationList(ServiceError):
    """The CSV has errors: nothing was imported. ``preview`` holds them, line by line."""

    def __init__(self, preview: CsvPreview) -> None:
        count = len(preview.errors)
        super().__init__(f"{count} error(s) in the invitation list: nothing was imported")
        self.preview = preview


@dataclass
class SendReport:
    """What a batch of e-mails did; ``issued`` holds the links that went out (reminders)."""

    sent: int = 0
    bounced: int = 0
    failed: int = 0
    skipped: int = 0  # invitations without an e-mail address
    problems: list[tuple[str, str]] = field(default_factory=list)  # (address, reason)
    issued: list[Issued] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "bounced": self.bounced,
            "failed": self.failed,
            "skipped": self.skipped,
        }


# --- listing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationView:
    """One invitation as a staff page shows it: who, where, and how far it got (no answers)."""

    id: int
    organisation: str | None
    name: str | None
    email: str | None
    group_code: str | None
    group_name: dict[str, str]
    language: str
    district: str | None
    status: str
    sent_at: datetime | None
    reminded_at: datetime | None


@dataclass(frozen=True)
class InvitationList:
    """A page of a consultation's invitations and the number in each status (all pages)."""

    rows: list[InvitationView]
    counts: dict[str, int]  # every InvitationStatus value, zero included
    total: int
    offset: int
    limit: int
    anonymous: bool


def list_invitations(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    offset: int = 0,
    limit: int = 200,
) -> InvitationList:
    """The invitations of ``consultation`` in creation order, ``limit`` from ``offset``.

    Only what the invitation itself records: contact, group, language, status, when it was
    e-mailed or reminded. Nothing about a response — in anonymous mode nothing could link an
    invitation to answers, and this list never tries in any mode. When an invitation was
    opened or answered is not shown either (in anonymous mode it is stored to the day only).
    Raises ``Forbidden`` unless ``actor`` may edit the consultation (invitations hold personal
    data: analysts do not see them).
    """
    require(actor, Action.EDIT, consultation)
    offset, limit = max(0, offset), max(1, limit)
    counts = {s.value: 0 for s in InvitationStatus}
    for status, n in session.execute(
        select(Invitation.status, func.count(Invitation.id))
        .where(Invitation.consultation_id == consultation.id)
        .group_by(Invitation.status)
    ):
        counts[InvitationStatus(status).value] = int(n)
    invitations = session.scalars(
        select(Invitation)
        .where(Invitation.consultation_id == consultation.id)
        .options(selectinload(Invitation.stakeholder_group))
        .order_by(Invitation.id)
        .offset(offset)
        .limit(limit)
    )
    rows = [
        InvitationView(
            id=i.id,
            organisation=i.organisation,
            name=i.name,
            email=i.email,
            group_code=i.stakeholder_group.code if i.stakeholder_group else None,
            group_name=dict(i.stakeholder_group.name or {}) if i.stakeholder_group else {},
            language=i.language,
            district=i.district,
            status=InvitationStatus(i.status).value,
            sent_at=i.sent_at,
            reminded_at=i.reminded_at,
        )
        for i in invitations
    ]
    return InvitationList(
        rows=rows,
        counts=counts,
        total=sum(counts.values()),
        offset=offset,
        limit=limit,
        anonymous=AnonymityMode(consultation.anonymity) == AnonymityMode.ANONYMOUS,
    )


def find_invitation(session: Session, consultation: Consultation, invitation_id: int) -> Invitation:
    """The invitation ``invitation_id`` of ``consultation``; ``NotFound`` otherwise."""
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.id == invitation_id, Invitation.consultation_id == consultation.id
        )
    )
    if invitation is None:
        raise NotFound("no such invitation in this consultation")
    return invitation


# --- creating and revoking ----------------------------------------------------------------------


def create_invitations(
    session: Session, consultation: Consultation, preview: CsvPreview, actor: User | None
) -> list[Issued]:
    """Create one invitation per row of an error-free ``preview``; return them with their tokens.

    All or nothing: raises ``InvalidInvitationList`` when the preview has any error,
    ``Conflict`` when an address was invited meanwhile, and ``InvalidState`` when the
    consultation is closed or archived. The tokens (256 bits) are returned once and stored only
    hashed: produce the links CSV and any e-mail in the same action.
    """
    if preview.consultation_id != consultation.id:
        raise InvalidState("this invitation list was checked for another consultation")
    if preview.errors:
        raise InvalidInvitationList(preview)
    _ensure_inviting(consultation)
    existing = {
        email_key(e)
        for e in session.scalars(
            select(Invitation.email).where(
                Invitation.consultation_id == consultation.id,
                Invitation.status != InvitationStatus.REVOKED,
                Invitation.email.is_not(None),
            )
        )
        if e
    }
    taken = [row.email for row in preview.rows if email_key(row.email) in existing]
    if taken:
        raise Conflict(f"already invited meanwhile: {', '.join(taken[:5])}; check the list again")
    issued: list[Issued] = []
    for row in preview.rows:
        token = new_token()
        invitation = Invitation(
            consultation=consultation,
            token_hash=hash_token(token),
            stakeholder_group_id=row.group_id,
            organisation=row.organisation,
            name=row.name,
            email=row.email,
            language=row.language,
            district=row.district,
            status=InvitationStatus.PENDING,
        )
        session.add(invitation)
        issued.append((invitation, token))
    session.flush()
    groups = Counter(row.group_code for row in preview.rows)
    _audit(
        session,
        consultation,
        "invitation.create",
        actor,
        {"count": len(issued), "groups": dict(sorted(groups.items())), "source": "csv"},
    )
    return issued


def revoke_invitation(session: Session, invitation: Invitation, actor: User | None) -> None:
    """Revoke ``invitation``: its link stops working; answers already given are kept.

    Raises ``InvalidState`` when it is revoked already.
    """
    if invitation.status == InvitationStatus.REVOKED:
        raise InvalidState("this invitation is revoked already")
    previous = invitation.status
    invitation.status = InvitationStatus.REVOKED
    session.flush()
    _audit(
        session,
        invitation.consultation,
        "invitation.revoke",
        actor,
        {"previous_status": previous.value},
        invitation=invitation,
    )


def _ensure_inviting(consultation: Consultation) -> None:
    if consultation.state in (ConsultationState.CLOSED, ConsultationState.ARCHIVED):
        raise InvalidState(f"the consultation {consultation.slug} is {consultation.state.value}")


# --- reminders ----------------------------------------------------------------------------------


def pending_reminders(session: Session, consultation: Consultation) -> list[Invitation]:
    """Invitations to remind: with an address, not revoked or bounced, and not yet submitted.

    "Submitted" means: in the current round when one is open (a Delphi panelist who answered
    round 1 is reminded of round 2), otherwise at all.
    """
    query = (
        select(Invitation)
        .where(
            Invitation.consultation_id == consultation.id,
            Invitation.email.is_not(None),
            Invitation.status.in_([*REMINDABLE, InvitationStatus.SUBMITTED]),
        )
        .order_by(Invitation.id)
    )
    round_ = current_round(consultation)
    if round_ is None:
        query = query.where(Invitation.status != InvitationStatus.SUBMITTED)
    else:
        answered = select(Participation.invitation_id).where(Participation.round_id == round_.id)
        query = query.where(Invitation.id.not_in(answered))
    return list(session.scalars(query))


# --- sending ------------------------------------------------------------------------------------


def send_invitations(
    session: Session,
    consultation: Consultation,
    issued: Sequence[Issued],
    mailer: Mailer,
    base_url: str,
    actor: User | None,
    now: datetime,
) -> SendReport:
    """E-mail each invitation its personal link (the tokens from ``create_invitations``).

    In each invitee's language. A sent invitation gets ``sent_at`` and status ``sent``; one
    whose recipient the server refused is ``bounced``; other failures are counted and leave
    the invitation as it was (its link, in the links CSV, still works).
    """
    report = SendReport()
    for invitation, token in issued:
        if invitation.status == InvitationStatus.REVOKED:
            continue
        if not invitation.email:
            report.skipped += 1
            continue
        mail = _render(consultation, invitation, "invitation", personal_link(base_url, token))
        result = mailer.send(mail)
        if result.outcome == Outcome.SENT:
            report.sent += 1
            invitation.sent_at = now
            if invitation.status in (InvitationStatus.PENDING, InvitationStatus.BOUNCED):
                invitation.status = InvitationStatus.SENT
        else:
            _failure(report, invitation, result.outcome, result.reason)
    session.flush()
    _audit(session, consultation, "invitation.send", actor, report.as_dict())
    return report


def send_reminders(
    session: Session,
    consultation: Consultation,
    mailer: Mailer,
    base_url: str,
    actor: User | None,
    now: datetime,
) -> SendReport:
    """Remind everyone in ``pending_reminders``, each with a NEW personal link.

    The token is rotated only when the server accepted the message: the earlier link then
    stops working, the response in progress stays. ``report.issued`` holds the new links (for
    a fresh links CSV). Raises ``InvalidState`` when the consultation takes no answers now.
    """
    ensure_accepting(consultation, now)
    report = SendReport()
    for invitation in pending_reminders(session, consultation):
        token = new_token()
        mail = _render(consultation, invitation, "reminder", personal_link(base_url, token))
        result = mailer.send(mail)
        if result.outcome == Outcome.SENT:
            report.sent += 1
            invitation.token_hash = hash_token(token)
            invitation.reminded_at = now
            if invitation.sent_at is None:
                invitation.sent_at = now
            if invitation.status == InvitationStatus.PENDING:
                invitation.status = InvitationStatus.SENT
            report.issued.append((invitation, token))
        else:
            _failure(report, invitation, result.outcome, result.reason)
    session.flush()
    _audit(
        session,
        consultation,
        "invitation.remind",
        actor,
        {**report.as_dict(), "rotated": len(report.issued)},
    )
    return report


def _failure(report: SendReport, invitation: Invitation, outcome: Outcome, reason: str) -> None:
    if outcome == Outcome.REFUSED:
        report.bounced += 1
        invitation.status = InvitationStatus.BOUNCED
    else:
        report.failed += 1
    report.problems.append((invitation.email or "", reason))


def _render(consultation: Consultation, invitation: Invitation, template: str, link: str) -> Mail:
    language = invitation.language
    fallback = consultation.default_language
    return render_mail(
        template,
        language,
        to=invitation.email or "",
        name=invitation.name,
        organisation=invitation.organisation,
        title=localized(consultation.title or {}, language, fallback),
        organiser=localized(consultation.organiser or {}, language, fallback),
        closes_at=consultation.closes_at,
        link=link,
    )


# --- audit --------------------------------------------------------------------------------------


def _audit(
    session: Session,
    consultation: Consultation,
    action: str,
    actor: User | None,
    details: dict[str, Any],
    invitation: Invitation | None = None,
) -> None:
    obj = invitation if invitation is not None else consultation
    record(session, actor, action, obj, consultation, **details)
