"""Fixtures for the "nothing lost" tests: the demo consultation, invitations, a staff member who
closes it, and a whole-database snapshot to prove that a failed request wrote nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from consult.extensions import db
from consult.models import Answer, Consultation, Invitation, Response
from consult.services.tokens import hash_token, new_token
from tests.participate.conftest import (  # noqa: F401  (fixtures, reused)
    csrf_app,
    csrf_client,
    demo,
)
from tests.web.catalogs import require_compiled_catalogs

DEMO = "migration-action-plan"
PAGE1 = {"q-stakeholder_group": "academic", "q-district": "fatih"}


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    require_compiled_catalogs()


@pytest.fixture
def invite(session: Any) -> Callable[[str], str]:
    """A new invitation to the consultation with this slug; its token."""

    def make(slug: str) -> str:
        consultation = session.scalars(sa.select(Consultation).filter_by(slug=slug)).one()
        token = new_token()
        session.add(
            Invitation(consultation_id=consultation.id, token_hash=hash_token(token), language="en")
        )
        session.commit()
        return token

    return make


def snapshot(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key (what "exactly as before" compares)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
    return rows


def answer_counts(session: Any) -> dict[str, int]:
    """How many answer rows each question has (by question code)."""
    from consult.models import Question

    session.expire_all()
    query = (
        sa.select(Question.code, sa.func.count(Answer.id))
        .join(Answer, Answer.question_id == Question.id)
        .group_by(Question.code)
    )
    counts: dict[str, int] = dict(session.execute(query).all())  # type: ignore[arg-type]
    session.rollback()
    return counts


def responses(session: Any) -> list[tuple[Any, ...]]:
    """(state, last_page) of every response."""
    session.expire_all()
    rows = [
        (r.state, r.last_page) for r in session.scalars(sa.select(Response).order_by(Response.id))
    ]
    session.rollback()
    return rows
