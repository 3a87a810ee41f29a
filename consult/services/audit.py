"""The audit log: one helper to record a staff action, a reader for admins, append-only rows.

Every facilitator or admin action (create, edit, open, close, invite, import, export, delete)
is recorded with ``record``. Rows are append-only through the ORM: a ``before_flush`` listener
refuses to flush a changed or deleted ``AuditEvent``, and a ``do_orm_execute`` listener refuses
ORM-enabled bulk ``UPDATE``/``DELETE`` statements on the table. Both are installed on the
``Session`` class when this module is imported (every service that records events imports it).
Raw SQL can still change the table; a database trigger (PostgreSQL) would need a migration.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, aliased

from consult.models import AuditEvent, Consultation, User
from consult.services.permissions import require_admin

MAX_LIMIT = 500


class AppendOnlyViolation(RuntimeError):
    """Code tried to change or delete an audit event (a bug, never a user error)."""


@dataclass(frozen=True)
class EventView:
    """One audit event as plain data for an admin page."""

    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_email: str | None
    consultation_id: int | None
    consultation_slug: str | None
    action: str
    object_type: str | None
    object_id: int | None
    details: dict[str, Any]


def record(
    session: Session,
    actor: User | None,
    action: str,
    obj: Any = None,
    consultation: Consultation | None = None,
    **details: Any,
) -> AuditEvent:
    """Add one audit event and flush.

    Parameters: ``actor`` the staff user (None for the system or the command line); ``action``
    a dotted name such as ``consultation.open``; ``obj`` the ORM object acted on (its table's
    singular name and id are stored); ``consultation`` the consultation it belongs to (taken
    from ``obj`` when it is a consultation or has ``consultation_id``); ``details`` plain
    JSON-able values (datetimes, dates, enums, tuples and sets are converted).
    """
    object_type = object_id = None
    if obj is not None:
        object_type = _object_type(obj)
        object_id = getattr(obj, "id", None)
    consultation_id = consultation.id if consultation is not None else None
    if consultation_id is None:
        if isinstance(obj, Consultation):
            consultation_id = obj.id
        else:
            consultation_id = getattr(obj, "consultation_id", None)
    audit_event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        consultation_id=consultation_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=_plain(details),
    )
    session.add(audit_event)
    session.flush()
    return audit_event


def list_events(
    session: Session,
    actor: User | None,
    consultation: Consultation | None = None,
    limit: int = 50,
    before: int | None = None,
    *,
    actor_email: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    consultation_slug: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[EventView]:
    """The newest audit events first, for admins only (``Forbidden`` otherwise).

    Parameters: ``consultation`` only its events; ``limit`` at most this many (1-500);
    ``before`` only events whose id is below it (the next page: pass the last id shown).
    Filters (None or empty: no filter; all given filters must match): ``actor_email`` the
    actor's e-mail address (ASCII case ignored); ``action`` the action itself or, for a prefix
    such as ``consultation``, every ``consultation.*`` action; ``object_type`` e.g. ``user``;
    ``consultation_slug`` the consultation's address name; ``since``/``until`` timezone-aware
    times, ``since`` included and ``until`` excluded.
    """
    require_admin(actor)
    limit = max(1, min(int(limit), MAX_LIMIT))
    actor_user = aliased(User)
    query = (
        select(AuditEvent, actor_user.email, Consultation.slug)
        .outerjoin(actor_user, actor_user.id == AuditEvent.actor_id)
        .outerjoin(Consultation, Consultation.id == AuditEvent.consultation_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if consultation is not None:
        query = query.where(AuditEvent.consultation_id == consultation.id)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    if actor_email:
        query = query.where(func.lower(actor_user.email) == _ascii_lower(actor_email.strip()))
    if action:
        escaped = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            or_(AuditEvent.action == action, AuditEvent.action.like(escaped + ".%", escape="\\"))
        )
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if consultation_slug:
        query = query.where(Consultation.slug == consultation_slug)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    return [
        EventView(
            id=e.id,
            occurred_at=e.occurred_at,
            actor_id=e.actor_id,
            actor_email=email,
            consultation_id=e.consultation_id,
            consultation_slug=slug,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            details=dict(e.details or {}),
        )
        for e, email, slug in session.execute(query).all()
    ]


def _ascii_lower(text: str) -> str:
    # e-mail addresses are stored with A-Z lowered only (never case-fold Turkish dotted i)
    return text.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))


def _object_type(obj: Any) -> str:
    """``Consultation`` → ``consultation``, ``StakeholderGroup`` → ``stakeholder_group``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(obj).__name__).lower()


def _plain(value: Any) -> Any:
    """``value`` with datetimes, dates, enums, tuples and sets made JSON-able."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --- append-only ---------------------------------------------------------------------------------


@event.listens_for(Session, "before_flush")
def _refuse_changed_events(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditEvent):
            raise AppendOnlyViolation("audit events are append-only: one cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditEvent) and session.is_modified(obj):
            raise AppendOnlyViolation("audit events are append-only: one cannot be changed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ is AuditEvent:
        raise AppendOnlyViolation("audit events are append-only: no bulk UPDATE or DELETE")
