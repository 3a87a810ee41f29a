"""Personal API tokens for the read-only JSON API (``/api/v1``).

A token acts with its owner's rights: it sees exactly the consultations its owner may analyse
(``consult.services.permissions``), and nothing once the owner is deactivated. The plain token
(``cst_`` followed by 256 random bits, URL-safe) is returned once by :func:`create_token` and
never stored: the database keeps its SHA-256 hex digest (``tokens.hash_token``), so a
presented token is found by an indexed lookup of its digest (no comparison of secrets that
could leak timing), and a leaked database gives no usable token. The ``cst_`` prefix lets
secret scanners recognise a token pasted where it should not be.

``authenticate_token`` records when a token was last used at most once a minute
(``TOUCH_INTERVAL``), so a busy client does not write on every request. Creating and revoking
a token are recorded in the audit log (``api_token.create``, ``api_token.revoke``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.models import ApiToken, User, utcnow
from consult.services.audit import record
from consult.services.errors import Forbidden, InvalidState, NotFound
from consult.services.tokens import hash_token, new_token

PREFIX = "cst_"
MAX_NAME_LENGTH = 100
MAX_ACTIVE_TOKENS = 20  # per user: a leak is easier to clean up when there are few
MAX_PRESENTED_LENGTH = 200  # longer strings are refused before hashing
TOUCH_INTERVAL = timedelta(minutes=1)


class InvalidTokenName(InvalidState):
    """The name is empty, too long or has characters that cannot be shown."""


class TooManyTokens(InvalidState):
    """The user already has ``MAX_ACTIVE_TOKENS`` tokens that are not revoked."""


@dataclass(frozen=True)
class TokenView:
    """One of a user's tokens as plain data (never the token itself)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _require_active_user(actor: object) -> User:
    if not isinstance(actor, User) or not actor.active:
        raise Forbidden("only signed-in staff accounts may manage API tokens")
    return actor


def _clean_name(name: str | None) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise InvalidTokenName("the token needs a name (for example: R on my laptop)")
    if len(text) > MAX_NAME_LENGTH:
        raise InvalidTokenName(f"the token's name must have at most {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text):
        raise InvalidTokenName("the token's name contains characters that cannot be shown")
    return text


def create_token(session: Session, actor: User, name: str) -> tuple[ApiToken, str]:
    """Create a token named ``name`` for ``actor``; returns the row and the plain token.

    The plain token is returned only here: show it once. Raises ``Forbidden`` for anything but
    an active staff account, ``InvalidTokenName`` for an empty, too long or unprintable name
    and ``TooManyTokens`` when ``actor`` already has ``MAX_ACTIVE_TOKENS`` active tokens.
    """
    user = _require_active_user(actor)
    clean = _clean_name(name)
    active = session.scalar(
        select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
        )
    )
    if (active or 0) >= MAX_ACTIVE_TOKENS:
        raise TooManyTokens(
            f"you already have {MAX_ACTIVE_TOKENS} API tokens: revoke one before creating another"
        )
    plain = PREFIX + new_token()
    token = ApiToken(user_id=user.id, name=clean, token_hash=hash_token(plain))
    session.add(token)
    session.flush()
    record(session, user, "api_token.create", token, name=clean)
    return token, plain


def list_tokens(session: Session, actor: User) -> list[TokenView]:
    """``actor``'s own tokens, active ones first, newest first."""
    user = _require_active_user(actor)
    rows = session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()
    return [
        TokenView(
            id=t.id,
            name=t.name,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            revoked_at=t.revoked_at,
        )
        for t in rows
    ]


def revoke_token(session: Session, actor: User, token_id: int) -> ApiToken:
    """Revoke ``actor``'s token ``token_id``: it stops working at once.

    Another user's token is ``NotFound`` (as if it did not exist). Revoking a revoked token
    changes nothing and records nothing.
    """
    user = _require_active_user(actor)
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("no such API token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        record(session, user, "api_token.revoke", token, name=token.name)
    return token


def authenticate_token(
    session: Session, presented: str | None, now: datetime | None = None
) -> ApiToken | None:
    """The active token ``presented`` stands for, or None.

    None for anything that is not a well-formed token, an unknown or revoked token, or a token
    whose owner is deactivated. Updates ``last_used_at`` (and flushes) when it is unset or at
    least ``TOUCH_INTERVAL`` old; the caller commits.
    """
    if (
        not isinstance(presented, str)
        or not presented.startswith(PREFIX)
        or len(presented) > MAX_PRESENTED_LENGTH
        or not presented.isascii()
    ):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(presented)))
    if token is None or token.revoked_at is not None:
        return None
    owner = token.user
    if owner is None or not owner.active:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        token.last_used_at = now
        session.flush()
    return token
