"""Secrets and what leaks: enough randomness in every token, no stack trace shown to anyone,
and no password (nor its hash) in a log record or the audit log."""

from __future__ import annotations

import html
import logging
import math
import re
import secrets
import string
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale

from consult.errors import TEXTS
from consult.extensions import db, security
from consult.models import AuditEvent, Invitation, Job, MembershipRole, User, utcnow
from consult.security import user_datastore
from consult.services import api_tokens, jobs, participation, tokens, users
from consult.services.demo import load_demo
from consult.services.invitation_csv import parse_invitation_csv
from consult.services.invitations import create_invitations
from tests.conftest import make_test_app
from tests.facilitator.conftest import FS_TUPLE_CHOICES, by_slug, fetch, join, sign_in_as
from tests.security.world import HARFBUZZ_SUBSET
from tests.web.catalogs import require_compiled_catalogs

pytestmark = [
    pytest.mark.filterwarnings(FS_TUPLE_CHOICES),
    pytest.mark.filterwarnings(HARFBUZZ_SUBSET),
]

URLSAFE = set(string.ascii_letters + string.digits + "-_")
MIN_BITS = 128
MANY = 10_000
SLUG = "migration-action-plan"


@pytest.fixture
def app(migrated_url: str) -> Iterator[Flask]:
    """The app with cheap argon2, exceptions handled as in production (the 500 page), and
    every table emptied afterwards."""
    require_compiled_catalogs()
    application = make_test_app(
        migrated_url,
        SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS={"argon2__rounds": 1, "argon2__memory_cost": 64},
        PROPAGATE_EXCEPTIONS=False,
        DEBUG=False,
        RATELIMIT_ENABLED=False,
    )
    with application.app_context():
        yield application
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


# --- randomness ----------------------------------------------------------------------------------


class SecretsSpy:
    """Records every ``secrets.token_urlsafe``/``token_bytes``/``token_hex`` call (and its
    result) while still returning real random values."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, int, Any]] = []
        for name in ("token_urlsafe", "token_bytes", "token_hex"):
            original = getattr(secrets, name)
            monkeypatch.setattr(secrets, name, self._spy(name, original))

    def _spy(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def spy(nbytes: int | None = None) -> Any:
            value = original(nbytes)
            self.calls.append((name, nbytes or 32, value))
            return value

        return spy

    def bits_behind(self, secret: str) -> int:
        """The random bits of the ``secrets`` call whose value ``secret`` contains (0: none)."""
        return max((8 * n for _name, n, v in self.calls if str(v) in secret), default=0)


def encoded_bits(random_part: str) -> float:
    """An upper bound of the randomness: length × bits per character of the alphabet."""
    assert set(random_part) <= URLSAFE, random_part
    return len(random_part) * math.log2(len(URLSAFE))


def test_new_token_has_256_random_bits_from_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = SecretsSpy(monkeypatch)
    token = tokens.new_token()
    assert spy.bits_behind(token) >= MIN_BITS
    assert encoded_bits(token) >= MIN_BITS


def test_tokens_never_repeat() -> None:
    made = [tokens.new_token() for _ in range(MANY)]
    assert len(set(made)) == MANY
    assert len({users.generate_password() for _ in range(1000)}) == 1000
    assert len({t[:8] for t in made}) > MANY * 0.99  # even their beginnings are spread out


@pytest.mark.db
def test_invitation_resume_api_and_job_tokens_come_from_secrets(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_demo(db.session, responses=0)
    a = by_slug(SLUG)
    actor = users.create_user(db.session, user_datastore, "admin@example.org", "admin", "x" * 12)
    db.session.commit()
    spy = SecretsSpy(monkeypatch)

    csv_text = (
        "email,name,language,organisation,stakeholder group\n"
        "someone@example.org,Someone,en,Org,national_ngo\n"
    )
    preview = parse_invitation_csv(a, csv_text.encode())
    assert not preview.errors, preview.errors
    [(invitation, invitation_token)] = create_invitations(db.session, a, preview, actor)
    resume_token = participation.start_open_response(db.session, a, "en", utcnow()).resume_token
    _row, api_token = api_tokens.create_token(db.session, actor, "laptop")
    job = jobs.create_job(db.session, actor, a, "export-responses", {})

    assert resume_token
    assert api_token.startswith(api_tokens.PREFIX)
    for secret in (invitation_token, resume_token, api_token[len(api_tokens.PREFIX) :]):
        assert spy.bits_behind(secret) >= 2 * MIN_BITS, secret  # 256 bits
        assert encoded_bits(secret) >= 2 * MIN_BITS
    assert spy.bits_behind(job.public_id) >= MIN_BITS  # a job's address: 128 bits
    assert encoded_bits(job.public_id) >= MIN_BITS
    # and only their digests are stored
    assert invitation.token_hash == tokens.hash_token(invitation_token)
    stored = db.session.scalars(sa.select(Invitation.token_hash)).all()
    assert invitation_token not in stored
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


# --- no stack traces -----------------------------------------------------------------------------

LEAK = "boom-secret-detail in /srv/consult/consult/services/secret.py line 42"
TRACE_SIGNS = ("Traceback", 'File "', ".py", "/srv/", "boom-secret-detail", "RuntimeError")


def _boom(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError(LEAK)


def _turkish_500(app: Flask) -> str:
    title, _message = TEXTS[500]
    with app.test_request_context(), force_locale("tr"):
        turkish = str(title)
    with app.test_request_context(), force_locale("en"):
        assert str(title) != turkish
    return turkish


@pytest.mark.db
@pytest.mark.parametrize(
    ("target", "url"),
    [
        ("consult.web.list_open_consultations", "/?lang=tr"),
        ("consult.participate.routes.open_consultation_for_link", f"/c/{SLUG}?lang=tr"),
        ("consult.facilitator.routes._summary", "/manage/?lang=tr"),
        (None, "/__test_only_boom?lang=tr"),
    ],
)
def test_an_exception_shows_the_translated_500_page(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    target: str | None,
    url: str,
) -> None:
    load_demo(db.session, responses=0)
    staff = users.create_user(db.session, user_datastore, "an@example.org", "analyst", "x" * 12)
    join(staff, by_slug(SLUG), MembershipRole.ANALYST)
    db.session.commit()
    if target is None:
        app.add_url_rule("/__test_only_boom", "test_only_boom", _boom)
    else:
        monkeypatch.setattr(target, _boom)
    client = app.test_client()
    sign_in_as(client, staff)
    with caplog.at_level(logging.ERROR):
        response = fetch(app, client, "GET", url)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 500
    assert _turkish_500(app) in page
    assert 'lang="tr"' in page
    for sign in TRACE_SIGNS:
        assert sign not in page, sign
    # the details went to the log, for the operators
    assert any(LEAK in str(r.exc_info and r.exc_info[1]) for r in caplog.records)


@pytest.mark.db
def test_an_exception_in_the_api_is_a_json_500(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("consult.api.routes.openapi_document", _boom)
    response = fetch(app, app.test_client(), "GET", "/api/v1/openapi.json")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    for sign in TRACE_SIGNS:
        assert sign not in response.get_data(as_text=True), sign


@pytest.mark.db
def test_an_exception_asked_as_json_is_plain_json(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("consult.web.list_open_consultations", _boom)
    response = fetch(app, app.test_client(), "GET", "/", headers={"Accept": "application/json"})
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert response.get_json()["error"] == 500
    for sign in TRACE_SIGNS:
        assert sign not in body, sign


# --- passwords never logged ----------------------------------------------------------------------


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of every logger at DEBUG (SQL echo stays off, as in production)."""
    sql = logging.getLogger("sqlalchemy")
    before = sql.level
    sql.setLevel(logging.WARNING)
    caplog.set_level(logging.DEBUG)
    for name in ("werkzeug", "flask_security", "consult", "passlib", "flask_wtf"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    sql.setLevel(before)


def _logged_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        parts.append(repr(record.__dict__))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def _audit_text() -> str:
    db.session.rollback()
    rows = db.session.execute(sa.select(AuditEvent.action, AuditEvent.details)).all()
    return "\n".join(repr(row) for row in rows)


@pytest.mark.db
def test_passwords_are_never_logged(
    app: Flask, monkeypatch: pytest.MonkeyPatch, every_log: pytest.LogCaptureFixture
) -> None:
    generated: list[str] = []
    original = users.generate_password

    def remember() -> str:
        generated.append(original())
        return generated[-1]

    monkeypatch.setattr(users, "generate_password", remember)
    typed = {
        "admin": "Admin-pass-4417-zebra",
        "staff": "Staff-pass-8093-otter",
        "wrong": "Wrong-pass-5150-heron",
        "changed": "Changed-pass-2261-lynx",
        "typed_new": "Typed-new-pass-7719-ibis",
        "cli": "Cli-pass-3307-crane",
    }
    admin = users.create_user(
        db.session, user_datastore, "admin@example.org", "admin", typed["admin"]
    )
    admin.tf_totp_secret = security._totp_factory.generate_totp_secret()  # admins need 2FA
    admin.tf_primary_method = "authenticator"
    users.create_user(
        db.session, user_datastore, "staff@example.org", "facilitator", typed["staff"]
    )
    db.session.commit()
    first_hashes = [h for h in db.session.scalars(sa.select(User.password)) if h]
    every_log.clear()

    client = app.test_client()
    login = "/account/login?lang=en"
    wrong = {"email": "staff@example.org", "password": typed["wrong"]}
    assert fetch(app, client, "POST", login, data=wrong).status_code == 200  # refused
    right = {"email": "staff@example.org", "password": typed["staff"]}
    assert fetch(app, client, "POST", login, data=right).status_code == 302
    change = {
        "password": typed["staff"],
        "new_password": typed["changed"],
        "new_password_confirm": typed["changed"],
    }
    assert fetch(app, client, "POST", "/account/change", data=change).status_code in (200, 302)
    fetch(app, client, "POST", "/account/logout")
    changed = {"email": "staff@example.org", "password": typed["changed"]}
    assert fetch(app, client, "POST", login, data=changed).status_code == 302  # it did change

    admin_client = app.test_client()
    sign_in_as(admin_client, admin)
    for email, password in (("typed@example.org", typed["typed_new"]), ("gen@example.org", "")):
        form = {"email": email, "role": "analyst", "password": password}
        made = fetch(app, admin_client, "POST", "/manage/accounts/new", data=form)
        assert made.status_code == 200, made.status_code
    assert len(generated) == 1
    assert generated[0] in made.get_data(as_text=True)

    runner = app.test_cli_runner()
    args = ["users", "create", "cli@example.org", "--role", "analyst", "--password-stdin"]
    result = runner.invoke(args=args, input=typed["cli"] + "\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "cli-gen@example.org", "--role", "analyst"])
    assert result.exit_code == 0, result.output
    assert len(generated) == 2

    db.session.rollback()
    hashes = [h for h in db.session.scalars(sa.select(User.password)) if h]
    assert len(hashes) == 6
    assert len(set(hashes + first_hashes)) == 7
    logged, audited = _logged_text(every_log), _audit_text()
    # the capture sees the app's and the libraries' loggers (a canary from each)
    for name in (app.logger.name, "werkzeug", "flask_security", "consult.services"):
        logging.getLogger(name).debug("canary %s", name)
    canaries = {r.getMessage() for r in every_log.records if r.getMessage().startswith("canary")}
    assert len(canaries) == 4, canaries
    for secret in [*typed.values(), *generated, *hashes, *first_hashes]:
        assert secret not in logged, secret
        assert secret not in audited, secret
        # nor a recognisable part of it (a hash's digest without its parameters)
        assert secret[-24:] not in logged
        assert secret[-24:] not in audited
    assert audited.count("user.create") >= 3  # the accounts made were recorded, without secrets


def test_no_secret_in_a_pattern_the_log_formatter_uses() -> None:
    """The password fields' names never appear in a log call of the application code."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "consult"
    calls = re.compile(r"(?:log|logger)\.(?:debug|info|warning|error|exception)\((.*)", re.I)
    for path in root.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            found = calls.search(line)
            if found:
                assert "password" not in found.group(1).lower(), f"{path}: {line.strip()}"
