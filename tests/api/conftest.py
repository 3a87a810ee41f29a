"""Fixtures of the JSON API tests: the staff accounts of the facilitator tests around the two
demo consultations (A: the action plan, with synthetic responses; B: the question types), one
API token for each of them, and requests that never share Flask's ``g`` or database session."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from consult.extensions import db
from consult.services import api_tokens
from tests.conftest import make_test_app
from tests.facilitator.conftest import (  # noqa: F401  (fixtures)
    _compiled_catalogs,
    fetch,
    staff,
)

ROLES_WITH_TOKENS = ("admin", "facilitator", "other_facilitator", "analyst", "outside_analyst")
A = "/api/v1/consultations/migration-action-plan"
B = "/api/v1/consultations/question-types"


@pytest.fixture
def app(migrated_url: str) -> Iterator[Flask]:
    """The facilitator tests' app (cheap argon2) with the API's rate limits out of the way
    (``test_rate_limit`` sets its own)."""
    application = make_test_app(
        migrated_url,
        SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS={"argon2__rounds": 1, "argon2__memory_cost": 64},
        API_RATE_LIMIT="100000/minute",
        API_ADDRESS_RATE_LIMIT="100000/minute",
    )
    with application.app_context():
        yield application
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def demo_responses() -> int:
    """Enough synthetic responses to the action plan for results with every group shown."""
    return 60


@pytest.fixture
def tokens(app: Flask, staff) -> dict[str, str]:  # noqa: F811
    """A plain API token for every staff account of ``staff``, by role."""
    made = {}
    for role in ROLES_WITH_TOKENS:
        _token, plain = api_tokens.create_token(db.session, staff.user(role), f"{role} laptop")
        made[role] = plain
    db.session.commit()
    return made


def api_get(
    application: Flask,
    url: str,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> TestResponse:
    """GET ``url`` with ``Authorization: Bearer <token>`` (when given) from a cookie-less client,
    in a fresh application context."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    client = application.test_client(use_cookies=False)
    return fetch(application, client, "GET", url, headers=sent, **kwargs)


def isolated(application: Flask) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    """``application`` as a WSGI callable whose every request runs in an empty ``contextvars``
    context, so that it gets its own application context (``g``, database session) as in
    production instead of sharing the test's."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        db.session.commit()  # the test's session must not hold SQLite's write lock
        return contextvars.Context().run(application, environ, start_response)

    return wsgi
