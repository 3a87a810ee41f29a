"""One invitation submitted from two clients at the same moment: exactly one response counts.

Each client is a thread with its own application context, so its own database session and
connection; a barrier releases both submissions together. On SQLite, transactions begin
IMMEDIATE (``consult.models.base``), so every thread ends its transaction before waiting at the
barrier; on PostgreSQL (``CONSULT_TEST_DATABASE_URL``) the unique constraint of participations
decides.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import (
    AnonymityMode,
    Answer,
    Consultation,
    Invitation,
    InvitationStatus,
    Participation,
    Response,
    ResponseState,
    Round,
)
from consult.services import participation as p
from consult.services.demo_question_types import load_question_types_demo
from consult.services.errors import Conflict
from tests.services.helpers import NOW, complete, consultation, invite

pytestmark = pytest.mark.db

PREFS = ["interpretation", "district_data", "advisory_board", "anti_discrimination"]


def run_clients(app: Flask, clients: list[Callable[[Any], Any]]) -> list[Any]:
    """Run each client in its own thread and app context; their outcomes (or exceptions)."""
    barrier = threading.Barrier(len(clients), timeout=20)
    outcomes: list[Any] = [None] * len(clients)

    def run(index: int) -> None:
        with app.app_context():
            try:
                outcomes[index] = clients[index](barrier)
            except Exception as exc:  # reported to the test
                outcomes[index] = exc
                db.session.rollback()
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def submitter(response_id: int, invitation_id: int) -> Callable[[threading.Barrier], str]:
    """A client submitting ``response_id`` through its invitation, after the barrier."""

    def client(barrier: threading.Barrier) -> str:
        session = db.session
        response = session.get(Response, response_id)
        round_ = session.get(Round, response.round_id)
        access = p.Access(
            response, round_.consultation, round_, session.get(Invitation, invitation_id)
        )
        survey = p.build_survey(session, round_, "en")
        session.commit()  # end the reading transaction: SQLite would hold its lock
        barrier.wait()
        try:
            receipt = p.submit_response(session, access, survey, NOW)
            session.commit()
        except Conflict:
            session.rollback()
            return "conflict"
        return receipt

    return client


def prepare(session, anonymity: AnonymityMode) -> tuple[Consultation, Invitation, str]:
    load_question_types_demo(session)
    c = consultation(session, "question-types")
    c.anonymity = anonymity
    invitation, token = invite(session, c)
    return c, invitation, token


def started_response(session, token: str) -> int:
    """A response of the invitation with every page answered (committed)."""
    access = p.access_by_invitation(session, token, "en", NOW)
    survey = p.build_survey(session, access.round, "en")
    complete(session, access, survey, PREFS)
    return access.response.id


def counts(session, response_ids: list[int], invitation_id: int) -> tuple[int, int]:
    """Submitted responses among ``response_ids``, and participations of the invitation."""
    session.expire_all()
    submitted = session.scalar(
        select(func.count(Response.id)).where(
            Response.id.in_(response_ids), Response.state == ResponseState.SUBMITTED
        )
    )
    participations = session.scalar(
        select(func.count(Participation.id)).where(Participation.invitation_id == invitation_id)
    )
    return submitted, participations


@pytest.mark.parametrize("anonymity", [AnonymityMode.CONFIDENTIAL, AnonymityMode.ANONYMOUS])
def test_two_browsers_with_their_own_responses_submit_at_once(app, session, anonymity):
    """Two first visits at the same moment can each start a response; one submission wins."""
    _c, invitation, token = prepare(session, anonymity)
    first = started_response(session, token)
    # the second browser's response, as a simultaneous first visit creates it
    original = session.get(Response, first)
    second = Response(
        round_id=original.round_id,
        invitation_id=invitation.id,
        language="tr",
        state=ResponseState.IN_PROGRESS,
        receipt_code="TWIN-BROW-SER2",
        started_at=original.started_at,
        updated_at=original.updated_at,
    )
    session.add(second)
    session.flush()
    session.add_all(
        Answer(
            response_id=second.id,
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
        for a in session.scalars(select(Answer).where(Answer.response_id == first))
    )
    second_id, invitation_id = second.id, invitation.id
    session.commit()

    outcomes = run_clients(
        app, [submitter(first, invitation_id), submitter(second_id, invitation_id)]
    )

    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert sorted(o == "conflict" for o in outcomes) == [False, True], outcomes
    assert counts(session, [first, second_id], invitation_id) == (1, 1)
    winner = session.scalar(select(Response).where(Response.state == ResponseState.SUBMITTED))
    assert winner.receipt_code in outcomes
    loser = session.scalar(select(Response).where(Response.state == ResponseState.IN_PROGRESS))
    assert session.scalar(select(func.count(Answer.id)).where(Answer.response_id == loser.id))
    assert session.get(Invitation, invitation_id).status == InvitationStatus.SUBMITTED
    if anonymity == AnonymityMode.ANONYMOUS:
        assert winner.invitation_id is None
    else:
        assert winner.invitation_id == invitation_id


def test_one_response_submitted_from_two_tabs_at_once(app, session):
    """Both tabs hold the same response: one submits; the other gets the same receipt or a
    conflict, never a second submission."""
    c, _invitation, _token = prepare(session, AnonymityMode.CONFIDENTIAL)
    for _attempt in range(3):
        invitation, token = invite(session, c)
        response_id = started_response(session, token)
        invitation_id = invitation.id
        session.commit()

        outcomes = run_clients(
            app, [submitter(response_id, invitation_id), submitter(response_id, invitation_id)]
        )

        assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
        receipts = {o for o in outcomes if o != "conflict"}
        assert len(receipts) == 1, outcomes
        assert counts(session, [response_id], invitation_id) == (1, 1)
        response = session.get(Response, response_id)
        assert response.state == ResponseState.SUBMITTED
        assert response.receipt_code in receipts
        session.rollback()
