"""Staff accounts."""

from __future__ import annotations

import re
import secrets
from typing import cast

from flask_security import SQLAlchemyUserDatastore, hash_password
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import RoleName, User
from consult.services.audit import record
from consult.services.errors import Conflict, ServiceError

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
