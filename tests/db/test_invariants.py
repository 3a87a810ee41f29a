"""Invariants enforced by the database itself, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from consult.models import (
    Answer,
    Consultation,
    Invitation,
    Participation,
    Question,
    Response,
    ResponseState,
    Round,
    Section,
)

pytestmark = pytest.mark.db
NOW = datetime(2026, 1, 5, 10, tzinfo=UTC)


def _consultation(session, slug="c1", rounds=1):
    consultation = Consultation(
        slug=slug, languages=["tr", "en"], default_language="tr", title={"tr": "T", "en": "T"}
    )
    for number in range(1, rounds + 1):
        round_ = Round(number=number)
        section = Section(code="s", title={"en": "S"})
        round_.sections = [section]
        round_.questions = [Question(code="q", type="rating", text={"en": "Q"}, section=section)]
        consultation.rounds.append(round_)
    session.add(consultation)
    session.flush()
    return consultation


def _response(round_, invitation=None, state=ResponseState.IN_PROGRESS, code="R1"):
    return Response(
        round_id=round_.id,
        invitation_id=invitation.id if invitation else None,
        language="tr",
        state=state,
        receipt_code=code,
        submitted_at=NOW if state == ResponseState.SUBMITTED else None,
    )


def _fails(session, fn) -> None:
    """``fn`` followed by a flush violates a constraint; the session stays usable."""

    def attempt() -> None:
        with session.begin_nested():
            fn()
            session.flush()

    with pytest.raises(IntegrityError):
        attempt()


def test_slugs_are_unique(session):
    _consultation(session, "same")
    _fails(session, lambda: _consultation(session, "same"))


def test_one_submitted_response_per_invitation_per_round(session):
    consultation = _consultation(session, rounds=2)
    r1, r2 = consultation.rounds
    invitation = Invitation(consultation_id=consultation.id, token_hash="h" * 64, language="tr")
    session.add(invitation)
    session.flush()
    session.add(_response(r1, invitation, ResponseState.SUBMITTED, "A"))
    session.add(_response(r1, invitation, ResponseState.IN_PROGRESS, "B"))  # drafts may coexist
    session.add(_response(r2, invitation, ResponseState.SUBMITTED, "C"))  # another round is fine
    session.add(_response(r1, None, ResponseState.SUBMITTED, "D"))  # open-link responses too
    session.add(_response(r1, None, ResponseState.SUBMITTED, "E"))
    session.flush()
    _fails(session, lambda: session.add(_response(r1, invitation, ResponseState.SUBMITTED, "F")))
    session.add(Participation(invitation_id=invitation.id, round_id=r1.id, submitted_on=NOW.date()))
    session.flush()
    _fails(
        session,
        lambda: session.add(
            Participation(invitation_id=invitation.id, round_id=r1.id, submitted_on=NOW.date())
        ),
    )


def test_submitted_state_and_time_go_together(session):
    round_ = _consultation(session).rounds[0]
    bad = _response(round_, code="X")
    bad.state = ResponseState.SUBMITTED
    _fails(session, lambda: session.add(bad))


def test_answers_must_belong_to_questions_of_the_responses_round(session):
    r1, r2 = _consultation(session, rounds=2).rounds
    response = _response(r1)
    session.add(response)
    session.flush()
    q1 = session.scalar(select(Question).where(Question.round_id == r1.id))
    q2 = session.scalar(select(Question).where(Question.round_id == r2.id))
    session.execute(
        insert(Answer).values(response_id=response.id, round_id=r1.id, question_id=q1.id, number=3)
    )
    _fails(
        session,
        lambda: session.execute(
            insert(Answer).values(
                response_id=response.id, round_id=r1.id, question_id=q2.id, number=3
            )
        ),
    )
    _fails(
        session,
        lambda: session.execute(
            insert(Answer).values(
                response_id=response.id, round_id=r2.id, question_id=q2.id, number=3
            )
        ),
    )


def test_foreign_keys_are_enforced(session):
    _fails(
        session,
        lambda: session.execute(
            insert(Round).values(
                consultation_id=999_999,
                number=1,
                title={},
                feedback={},
                state="draft",
                created_at=NOW,
            )
        ),
    )


def test_enum_columns_refuse_unknown_states(session):
    consultation = _consultation(session)
    from sqlalchemy import text

    _fails(
        session,
        lambda: session.execute(
            text("UPDATE consultations SET state = 'deleted' WHERE id = :id"),
            {"id": consultation.id},
        ),
    )


def test_receipt_codes_are_unique(session):
    round_ = _consultation(session).rounds[0]
    session.add(_response(round_, code="SAME"))
    session.flush()
    _fails(session, lambda: session.add(_response(round_, code="SAME")))


def test_optimistic_locking_detects_a_concurrent_edit(app, session):
    from sqlalchemy.orm import Session
    from sqlalchemy.orm.exc import StaleDataError

    from consult.extensions import db

    consultation_id = _consultation(session).id
    session.commit()
    # two editors load version 1; the first saves; the second must not overwrite silently
    mine = Session(db.engine, expire_on_commit=False)
    stale = mine.get(Consultation, consultation_id)
    mine.commit()  # keep the loaded state, end the transaction
    theirs = Session(db.engine)
    theirs.get(Consultation, consultation_id).min_group_size = 9
    theirs.commit()
    theirs.close()
    stale.min_group_size = 3
    with pytest.raises(StaleDataError):
        mine.flush()
    mine.rollback()
    mine.close()
    assert session.get(Consultation, consultation_id).min_group_size == 9
