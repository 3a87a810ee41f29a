"""Staff accounts around two consultations, and requests that never share Flask's ``g``.

The ``app`` fixture keeps one application context open for the whole test, and Flask-Login
caches the signed-in user on ``g``: every request here runs in a fresh application context so
that one request's user can never leak into the next.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from consult.extensions import db, security
from consult.models import Consultation, Membership, MembershipRole, User
from consult.security import user_datastore
from consult.services.demo import load_demo
from consult.services.demo_question_types import load_question_types_demo
from consult.services.users import create_user
from tests.conftest import make_test_app
from tests.web.catalogs import require_compiled_catalogs

# Flask-Security 5.9 builds its two-factor forms with tuple choices, which WTForms 3.3 deprecates
# (its own forms, not ours): tolerate exactly that warning in these tests.
FS_TUPLE_CHOICES = "ignore:Passing SelectField choices as tuples is deprecated:DeprecationWarning"
PASSWORD = "correct horse battery"
ROLES = ("anonymous", "admin", "facilitator", "other_facilitator", "analyst", "outside_analyst")


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    require_compiled_catalogs()


@pytest.fixture
def app(migrated_url: str) -> Iterator[Flask]:
    """The shared ``app`` fixture with cheap argon2 (tests create many accounts)."""
    application = make_test_app(
        migrated_url,
        SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS={"argon2__rounds": 1, "argon2__memory_cost": 64},
        JOBS_INLINE=True,  # background jobs run at once (tests/jobs tests the worker threads)
    )
    with application.app_context():
        yield application
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@dataclass
class Staff:
    """One account of each kind around consultation A (the action plan) and B."""

    admin: User
    facilitator: User  # facilitator member of A
    other_facilitator: User  # facilitator member of B only
    analyst: User  # analyst member of A
    outside_analyst: User  # site analyst, member of nothing
    a: Consultation
    b: Consultation

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


def by_slug(slug: str) -> Consultation:
    return db.session.scalars(select(Consultation).where(Consultation.slug == slug)).one()


def add_user(email: str, role: str, two_factor: bool = False) -> User:
    user = create_user(db.session, user_datastore, email, role, PASSWORD)
    if two_factor:
        user.tf_totp_secret = security._totp_factory.generate_totp_secret()
        user.tf_primary_method = "authenticator"
    return user


def join(user: User, consultation: Consultation, role: MembershipRole) -> None:
    db.session.add(Membership(user=user, consultation=consultation, role=role))


@pytest.fixture
def demo_responses() -> int:
    return 0


def make_staff(responses: int = 0) -> Staff:
    """Both demo consultations and one account of each kind around them (not committed)."""
    load_demo(db.session, responses=responses)
    load_question_types_demo(db.session)
    a, b = by_slug("migration-action-plan"), by_slug("question-types")
    s = Staff(
        admin=add_user("admin@example.org", "admin", two_factor=True),
        facilitator=add_user("fac-a@example.org", "facilitator"),
        other_facilitator=add_user("fac-b@example.org", "facilitator"),
        analyst=add_user("analyst-a@example.org", "analyst"),
        outside_analyst=add_user("analyst@example.org", "analyst"),
        a=a,
        b=b,
    )
    join(s.facilitator, a, MembershipRole.FACILITATOR)
    join(s.other_facilitator, b, MembershipRole.FACILITATOR)
    join(s.analyst, a, MembershipRole.ANALYST)
    return s


@pytest.fixture
def staff(app: Flask, demo_responses: int) -> Staff:
    s = make_staff(demo_responses)
    db.session.commit()
    return s


def sign_in_as(client: FlaskClient, user: User | None) -> None:
    """Put ``user`` in the client's session as a completed sign-in (no form, no second factor)."""
    if user is None:
        return
    with client.session_transaction() as session:
        session["_user_id"] = user.fs_uniquifier
        session["_fresh"] = True
        session["fs_paa"] = time.time()
        session["fs_cc"] = "set"


def fetch(app: Flask, client: FlaskClient, method: str, url: str, **kwargs: Any) -> TestResponse:
    """One request in its own application context (a fresh ``g``).

    The test's own session ends its transaction first: on SQLite it would hold the write lock.
    """
    db.session.commit()
    with app.app_context():
        return client.open(url, method=method, **kwargs)
