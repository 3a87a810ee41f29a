"""Staff around the demo consultation with 60 synthetic responses, and helpers to add answers."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

import pytest
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import (
    Answer,
    Consultation,
    Invitation,
    Question,
    Response,
    ResponseState,
    StakeholderGroup,
)
from tests.facilitator.conftest import (  # noqa: F401  (fixtures)
    app,
    staff,
)

_receipts = count(1)


@pytest.fixture
def demo_responses() -> int:
    """60 responses: some stakeholder groups are below the small-group threshold (5)."""
    return 60


def question(consultation: Consultation, code: str) -> Question:
    round_ = consultation.rounds[0]
    return db.session.scalars(
        select(Question).where(Question.round_id == round_.id, Question.code == code)
    ).one()


def group(consultation: Consultation, code: str) -> StakeholderGroup:
    return next(g for g in consultation.stakeholder_groups if g.code == code)


def add_text_answer(
    consultation: Consultation,
    text: str,
    *,
    state: ResponseState = ResponseState.SUBMITTED,
    language: str = "tr",
    group_code: str | None = "district_municipality",
    organisation: str | None = None,
    code: str = "comments",
) -> Answer:
    """A response in ``state`` whose only answer is ``text`` to question ``code``."""
    now = datetime.now(UTC)
    invitation = None
    if organisation is not None:
        invitation = Invitation(
            consultation_id=consultation.id,
            token_hash=f"{next(_receipts):064d}",
            organisation=organisation,
            name="Ayşe Yılmaz",
            email="ayse@example.org",
            language=language,
        )
        db.session.add(invitation)
        db.session.flush()
    response = Response(
        round_id=consultation.rounds[0].id,
        invitation_id=invitation.id if invitation else None,
        stakeholder_group_id=group(consultation, group_code).id if group_code else None,
        language=language,
        state=state,
        receipt_code=f"TEST-{next(_receipts)}",
        submitted_at=None if state == ResponseState.IN_PROGRESS else now,
        withdrawn_at=now if state == ResponseState.WITHDRAWN else None,
    )
    db.session.add(response)
    db.session.flush()
    answer = Answer(
        response_id=response.id,
        round_id=response.round_id,
        question_id=question(consultation, code).id,
        text=text,
    )
    db.session.add(answer)
    db.session.flush()
    return answer


def group_sizes(consultation: Consultation) -> dict[str, int]:
    """Submitted responses per stakeholder group code."""
    rows = db.session.execute(
        select(StakeholderGroup.code, func.count(Response.id))
        .join(Response, Response.stakeholder_group_id == StakeholderGroup.id)
        .where(
            Response.round_id == consultation.rounds[0].id,
            Response.state == ResponseState.SUBMITTED,
        )
        .group_by(StakeholderGroup.code)
    ).all()
    return dict(rows)
