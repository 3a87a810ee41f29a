"""Staff accounts: create, list, find, deactivate and reactivate (admins manage them).

``create_user`` is the bare operation (the command line and tests use it, ``actor`` may be
None); ``create_account``, ``list_accounts`` and ``set_account_active`` are what the admin
pages call and refuse anyone but an active administrator. Every change is recorded in the
audit log (``user.create``, ``user.deactivate``, ``user.reactivate``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import cast

from flask_security import SQLAlchemyUserDatastore, hash_password
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import RoleName, User
from consult.services.audit import record
from consult.services.errors import Conflict, InvalidState, NotFound, ServiceError
from consult.services.permissions import require_admin

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 12


def generate_password() -> str:
    """A random password for a new account (about 120 bits)."""
    return secrets.token_urlsafe(15)


def create_user(
    session: Session,
    datastore: SQLAlchemyUserDatastore,
    email: str,
    role: str,
    password: str,
    actor: User | None = None,
) -> User:
    """Create an active staff account with one site role; the password is hashed (argon2id).

    Raises ``ServiceError`` for a malformed e-mail, unknown role or short password and
    ``Conflict`` when the e-mail is taken (compared case-insensitively on ASCII only).
    """
    email = email.strip()
    if not EMAIL_RE.match(email):
        raise ServiceError(f"not an e-mail address: {email!r}")
    try:
        role_name = RoleName(role)
    except ValueError:
        choices = ", ".join(r.value for r in RoleName)
        raise ServiceError(f"unknown role {role!r} (choose from {choices})") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    taken = session.scalar(select(User.id).where(func.lower(User.email) == _ascii_lower(email)))
    if taken is not None:
        raise Conflict(f"an account for {email} already exists")
    role_obj = datastore.find_or_create_role(name=role_name.value)
    user = cast(
        User,
        datastore.create_user(
            email=_ascii_lower(email), password=hash_password(password), roles=[role_obj]
        ),
    )
    session.flush()
    record(session, actor, "user.create", user, role=role_name.value)
    return user


def _ascii_lower(email: str) -> str:
    # never case-fold non-ASCII (Turkish dotted/dotless i): only A-Z are lowered
    return email.translate(
        str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
    )


# --- what the admin pages call -------------------------------------------------------------------


@dataclass(frozen=True)
class AccountView:
    """A staff account as the admin pages show it."""

    id: int
    email: str
    roles: tuple[str, ...]
    active: bool
    two_factor: bool


def list_accounts(session: Session, actor: User | None) -> list[AccountView]:
    """Every staff account by e-mail, for admins only (``Forbidden`` otherwise)."""
    require_admin(actor)
    users = session.scalars(select(User).order_by(User.email, User.id)).all()
    return [
        AccountView(
            id=u.id,
            email=u.email,
            roles=tuple(sorted(r.name for r in u.roles)),
            active=bool(u.active),
            two_factor=bool(u.tf_primary_method),
        )
        for u in users
    ]


def create_account(
    session: Session,
    datastore: SQLAlchemyUserDatastore,
    actor: User | None,
    email: str,
    role: str,
    password: str,
) -> User:
    """``create_user`` by an administrator (``Forbidden`` for anyone else); recorded once."""
    require_admin(actor)
    return create_user(session, datastore, email, role, password, actor=actor)


def find_user(session: Session, email: str) -> User | None:
    """The account with this e-mail address (ASCII case ignored), or None."""
    return session.scalar(select(User).where(func.lower(User.email) == _ascii_lower(email.strip())))


def get_user(session: Session, user_id: int) -> User:
    """The account with this id (``NotFound`` when there is none)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such account")
    return user


def set_account_active(
    session: Session,
    datastore: SQLAlchemyUserDatastore,
    actor: User | None,
    user: User,
    active: bool,
) -> bool:
    """Deactivate or reactivate ``user``; returns whether anything changed.

    A deactivated account cannot sign in, and its sessions end at once (its
    ``fs_uniquifier`` changes, so a reactivated account starts without the old sessions).
    Raises ``Forbidden`` unless ``actor`` is an administrator and ``InvalidState`` when an
    administrator tries to deactivate their own account. Records ``user.deactivate`` or
    ``user.reactivate`` (nothing when the account already was in that state).
    """
    require_admin(actor)
    if not active and actor is not None and user.id == actor.id:
        raise InvalidState("you cannot deactivate your own account")
    if bool(user.active) == active:
        return False
    user.active = active
    if not active:
        datastore.set_uniquifier(user)
    session.flush()
    record(session, actor, "user.reactivate" if active else "user.deactivate", user)
    return True
