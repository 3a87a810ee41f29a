"""Fixtures for the participant pages: the demo consultations, invitations, a CSRF-checking
client and the live server of the browser tests (for real concurrent requests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from consult.extensions import db
from consult.models import Consultation, Invitation, StakeholderGroup
from consult.services.demo import load_demo
from consult.services.tokens import hash_token, new_token
from tests.browser.conftest import csrf_live_server  # noqa: F401  (a fixture, reused)
from tests.conftest import make_test_app
from tests.web.catalogs import require_compiled_catalogs

DEMO = "migration-action-plan"
QUESTION_TYPES = "question-types"


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    require_compiled_catalogs()


@pytest.fixture
def demo(session: Any) -> str:
    """The demo consultation (no synthetic responses), committed; its slug."""
    load_demo(session, responses=0)
    session.commit()
    return DEMO


@pytest.fixture
def question_types(session: Any) -> str:
    """The demo consultation with one question of every type, committed; its slug."""
    from consult.services.demo_question_types import load_question_types_demo

    load_question_types_demo(session)
    session.commit()
    return QUESTION_TYPES


@pytest.fixture
def consultation(session: Any) -> Callable[[str], Consultation]:
    """The consultation with this slug, fresh from the database."""

    def get(slug: str) -> Consultation:
        session.expire_all()
        return session.query(Consultation).filter_by(slug=slug).one()

    return get


@pytest.fixture
def invite(session: Any) -> Callable[..., str]:
    """Create an invitation to a consultation (optionally with group and district); its token."""

    def make(slug: str, group: str | None = None, district: str | None = None, **kw: Any) -> str:
        consultation = session.query(Consultation).filter_by(slug=slug).one()
        group_row = (
            session.query(StakeholderGroup)
            .filter_by(consultation_id=consultation.id, code=group)
            .one()
            if group
            else None
        )
        token = new_token()
        session.add(
            Invitation(
                consultation_id=consultation.id,
                token_hash=hash_token(token),
                stakeholder_group_id=group_row.id if group_row else None,
                district=district,
                language="en",
                **kw,
            )
        )
        session.commit()
        return token

    return make


@pytest.fixture
def csrf_app(app: Flask, migrated_url: str) -> Iterator[Flask]:
    """The app with CSRF protection on, on the same database as ``app`` (which cleans up)."""
    checked = make_test_app(migrated_url, WTF_CSRF_ENABLED=True)
    yield checked
    with checked.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def csrf_client(csrf_app: Flask) -> FlaskClient:
    return csrf_app.test_client()
