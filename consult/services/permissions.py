"""Who may do what with a consultation.

Admins may do everything. Otherwise rights come from membership of one consultation:
a facilitator member views and edits it and reads its results; an analyst member views it and
reads its results. Nobody else sees it at all (a facilitator of A can neither see nor change B),
and an inactive account, an anonymous visitor or anything that is not a ``User`` may do nothing.
Creating consultations needs the site role facilitator (or admin).
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from consult.models import Consultation, Membership, MembershipRole, RoleName, User
from consult.services.errors import Forbidden, NotFound


class Action(enum.StrEnum):
    """What someone wants to do with a consultation."""

    VIEW = "view"  # see its settings, questionnaire and participation numbers
    EDIT = "edit"  # change it, its questionnaire, members and invitations; open or close it
    ANALYSE = "analyse"  # read its results


_MEMBER_RIGHTS: dict[MembershipRole, frozenset[Action]] = {
    MembershipRole.FACILITATOR: frozenset(Action),
    MembershipRole.ANALYST: frozenset({Action.VIEW, Action.ANALYSE}),
}


def _active(user: Any) -> bool:
    return isinstance(user, User) and bool(user.active)


def has_role(user: Any, role: RoleName) -> bool:
    """Whether ``user`` is an active account with the site role ``role``."""
    return _active(user) and any(r.name == role.value for r in user.roles)


def is_admin(user: Any) -> bool:
    """Whether ``user`` is an active administrator."""
    return has_role(user, RoleName.ADMIN)


def membership_role(user: Any, consultation: Consultation) -> MembershipRole | None:
    """The user's role in ``consultation``, or None when not a member."""
    if not isinstance(user, User):
        return None
    for membership in user.memberships:
        if membership.consultation_id == consultation.id:
            return MembershipRole(membership.role)
    return None


def can(user: Any, action: Action, consultation: Consultation) -> bool:
    """Whether ``user`` may do ``action`` with ``consultation``."""
    if not _active(user):
        return False
    if is_admin(user):
        return True
    role = membership_role(user, consultation)
    return role is not None and Action(action) in _MEMBER_RIGHTS[role]


def can_view(user: Any, consultation: Consultation) -> bool:
    """Whether ``user`` may see ``consultation`` (admins and members)."""
    return can(user, Action.VIEW, consultation)


def can_edit(user: Any, consultation: Consultation) -> bool:
    """Whether ``user`` may change ``consultation`` (admins and facilitator members)."""
    return can(user, Action.EDIT, consultation)


def can_analyse(user: Any, consultation: Consultation) -> bool:
    """Whether ``user`` may read the results of ``consultation`` (admins and members)."""
    return can(user, Action.ANALYSE, consultation)


def can_create_consultation(user: Any) -> bool:
    """Whether ``user`` may create consultations (admins and site facilitators)."""
    return is_admin(user) or has_role(user, RoleName.FACILITATOR)


_MESSAGES = {
    Action.VIEW: "you do not have access to this consultation",
    Action.EDIT: "you may not change this consultation",
    Action.ANALYSE: "you may not read the results of this consultation",
}


def require(user: Any, action: Action, consultation: Consultation) -> None:
    """Raise ``Forbidden`` unless ``user`` may do ``action`` with ``consultation``."""
    if not can(user, action, consultation):
        raise Forbidden(_MESSAGES[Action(action)])


def consultation_for(session: Session, user: Any, slug: str, action: Action) -> Consultation:
    """The consultation ``slug`` if ``user`` may do ``action`` with it.

    Raises ``NotFound`` when there is no such consultation and ``Forbidden`` otherwise.
    """
    if not (0 < len(slug) <= 80 and slug.isprintable()):  # e.g. a NUL, which PostgreSQL refuses
        raise NotFound("no such consultation")
    consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        raise NotFound("no such consultation")
    require(user, action, consultation)
    return consultation


def require_admin(user: Any) -> None:
    """Raise ``Forbidden`` unless ``user`` is an active administrator."""
    if not is_admin(user):
        raise Forbidden("only administrators may do this")


def visible_consultations(user: Any) -> Select[Any]:
    """A query of the consultations ``user`` may view (none for inactive or anonymous users)."""
    query = select(Consultation).order_by(Consultation.created_at.desc(), Consultation.id.desc())
    if is_admin(user):
        return query
    if not _active(user):
        return query.where(Consultation.id.is_(None))
    member_of = select(Membership.consultation_id).where(Membership.user_id == user.id)
    return query.where(Consultation.id.in_(member_of))
