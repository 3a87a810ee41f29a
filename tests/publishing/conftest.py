"""Staff around the demo consultation with 60 synthetic responses, and a way to add one more."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select

from consult.extensions import db
from consult.models import Answer, Consultation, Response, ResponseState
from tests.facilitator.conftest import (  # noqa: F401  (fixtures)
    app,
    staff,
)


@pytest.fixture
def demo_responses() -> int:
    return 60


def submitted(consultation: Consultation) -> list[Response]:
    return list(
        db.session.scalars(
            select(Response)
            .where(
                Response.round_id == consultation.rounds[0].id,
                Response.state == ResponseState.SUBMITTED,
            )
            .order_by(Response.id)
        )
    )


def copy_response(consultation: Consultation, source: Response | None = None) -> Response:
    """A new submitted response with the same group, district, language and answers."""
    source = source or submitted(consultation)[0]
    response = Response(
        round_id=source.round_id,
        stakeholder_group_id=source.stakeholder_group_id,
        district=source.district,
        language=source.language,
        state=ResponseState.SUBMITTED,
        receipt_code=f"COPY-{source.id}-{datetime.now(UTC).timestamp()}",
        submitted_at=datetime.now(UTC),
    )
    db.session.add(response)
    db.session.flush()
    for a in source.answers:
        db.session.add(
            Answer(
                response_id=response.id,
                round_id=a.round_id,
                question_id=a.question_id,
                item_id=a.item_id,
                other_item_id=a.other_item_id,
                option_id=a.option_id,
                task=a.task,
                number=a.number,
                text=a.text,
                flag=a.flag,
            )
        )
    db.session.flush()
    return response


def withdraw(response: Response) -> None:
    """What withdrawing does: the answers are erased, the response stays as a shell."""
    db.session.execute(delete(Answer).where(Answer.response_id == response.id))
    response.state = ResponseState.WITHDRAWN
    response.withdrawn_at = datetime.now(UTC)
    response.stakeholder_group_id = None
    response.district = None
    db.session.flush()
