"""What the database holds after a crowd of participants: counted there, not from replies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from consult.models import Answer, Consultation, Response, ResponseState, Round


@dataclass
class Stored:
    submitted: list[str]  # receipt codes of the submitted responses, sorted
    other_states: int  # responses in progress or withdrawn
    answers_per_response: set[int]  # the distinct numbers of answers of submitted responses


def stored_responses(session: Any, slug: str) -> Stored:
    """The responses to the consultation ``slug`` (a fresh read, outside any open transaction)."""
    session.expire_all()
    session.rollback()
    of_consultation = (
        select(Response.id)
        .join(Round, Round.id == Response.round_id)
        .join(Consultation, Consultation.id == Round.consultation_id)
        .where(Consultation.slug == slug, Response.is_demo.is_(False))
    )
    rows = session.execute(
        select(Response.receipt_code, Response.state, func.count(Answer.id))
        .outerjoin(Answer, Answer.response_id == Response.id)
        .where(Response.id.in_(of_consultation))
        .group_by(Response.id, Response.receipt_code, Response.state)
    ).all()
    session.rollback()
    submitted = [row for row in rows if row.state == ResponseState.SUBMITTED]
    return Stored(
        submitted=sorted(row.receipt_code for row in submitted),
        other_states=len(rows) - len(submitted),
        answers_per_response={row[2] for row in submitted},
    )
