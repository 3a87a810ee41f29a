"""The API token service: create (shown once, stored hashed), list, revoke, authenticate."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from consult.extensions import db
from consult.models import ApiToken, AuditEvent, utcnow
from consult.services import api_tokens
from consult.services.errors import Forbidden, NotFound

pytestmark = [pytest.mark.db]


@pytest.fixture
def demo_responses() -> int:
    """Tokens need accounts, not answers."""
    return 0


def test_a_new_token_is_long_prefixed_and_stored_only_as_its_digest(app: Flask, staff) -> None:
    token, plain = api_tokens.create_token(db.session, staff.analyst, "  R on   my laptop ")
    db.session.commit()
    assert plain.startswith("cst_")
    secret = plain.removeprefix("cst_")
    assert len(secret) >= 43  # token_urlsafe(32): 256 bits, at least the 128 asked for
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert token.name == "R on my laptop"
    assert token.user_id == staff.analyst.id
    assert token.last_used_at is None
    assert token.revoked_at is None
    stored = db.session.execute(select(ApiToken.__table__)).one()
    assert plain not in [str(value) for value in stored]
    _other, second = api_tokens.create_token(db.session, staff.analyst, "R on my laptop")
    assert second != plain


def test_create_and_revoke_are_audited(app: Flask, staff) -> None:
    token, _plain = api_tokens.create_token(db.session, staff.facilitator, "Power BI")
    api_tokens.revoke_token(db.session, staff.facilitator, token.id)
    api_tokens.revoke_token(db.session, staff.facilitator, token.id)  # again: nothing more
    db.session.commit()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "api_token").order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_id, e.object_id, e.details) for e in events] == [
        ("api_token.create", staff.facilitator.id, token.id, {"name": "Power BI"}),
        ("api_token.revoke", staff.facilitator.id, token.id, {"name": "Power BI"}),
    ]


def test_authenticate_finds_active_tokens_only(app: Flask, staff) -> None:
    token, plain = api_tokens.create_token(db.session, staff.analyst, "notebook")
    db.session.commit()
    found = api_tokens.authenticate_token(db.session, plain)
    assert found is not None
    assert (found.id, found.user.id) == (token.id, staff.analyst.id)
    for wrong in (
        None,
        "",
        plain[:-1],
        plain + "x",
        plain.removeprefix("cst_"),
        "cst_" + "A" * 300,
        "cst_ü" + plain[5:],
        12345,
    ):
        assert api_tokens.authenticate_token(db.session, wrong) is None, wrong
    api_tokens.revoke_token(db.session, staff.analyst, token.id)
    db.session.commit()
    assert api_tokens.authenticate_token(db.session, plain) is None


def test_a_deactivated_owner_s_tokens_stop_working(app: Flask, staff) -> None:
    _token, plain = api_tokens.create_token(db.session, staff.analyst, "notebook")
    staff.analyst.active = False
    db.session.commit()
    assert api_tokens.authenticate_token(db.session, plain) is None
    with pytest.raises(Forbidden):
        api_tokens.create_token(db.session, staff.analyst, "another")


def test_last_used_is_written_at_most_once_a_minute(app: Flask, staff) -> None:
    token, plain = api_tokens.create_token(db.session, staff.analyst, "notebook")
    db.session.commit()
    start = utcnow()
    api_tokens.authenticate_token(db.session, plain, now=start)
    assert token.last_used_at == start
    api_tokens.authenticate_token(db.session, plain, now=start + timedelta(seconds=59))
    assert token.last_used_at == start
    assert not db.session.dirty
    later = start + timedelta(seconds=60)
    api_tokens.authenticate_token(db.session, plain, now=later)
    assert token.last_used_at == later
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == later


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "bad\x00name", "tab\u200bhidden"])
def test_names_are_checked(app: Flask, staff, name: str) -> None:
    with pytest.raises(api_tokens.InvalidTokenName):
        api_tokens.create_token(db.session, staff.analyst, name)


def test_at_most_twenty_active_tokens(app: Flask, staff) -> None:
    made = [
        api_tokens.create_token(db.session, staff.analyst, f"t{i}")[0]
        for i in range(api_tokens.MAX_ACTIVE_TOKENS)
    ]
    with pytest.raises(api_tokens.TooManyTokens):
        api_tokens.create_token(db.session, staff.analyst, "one too many")
    api_tokens.revoke_token(db.session, staff.analyst, made[0].id)
    api_tokens.create_token(db.session, staff.analyst, "now it fits")


def test_users_list_and_revoke_only_their_own_tokens(app: Flask, staff) -> None:
    mine, _ = api_tokens.create_token(db.session, staff.analyst, "old")
    newer, _ = api_tokens.create_token(db.session, staff.analyst, "new")
    theirs, _ = api_tokens.create_token(db.session, staff.facilitator, "theirs")
    api_tokens.revoke_token(db.session, staff.analyst, mine.id)
    listed = api_tokens.list_tokens(db.session, staff.analyst)
    assert [(t.id, t.active) for t in listed] == [(newer.id, True), (mine.id, False)]
    with pytest.raises(NotFound):
        api_tokens.revoke_token(db.session, staff.analyst, theirs.id)
    with pytest.raises(NotFound):
        api_tokens.revoke_token(db.session, staff.analyst, 999_999)
    assert theirs.revoked_at is None
    assert [t.name for t in api_tokens.list_tokens(db.session, staff.facilitator)] == ["theirs"]
