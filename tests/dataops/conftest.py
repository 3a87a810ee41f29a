"""A closed consultation with invitations linked to its responses, and helpers to read it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import (
    Answer,
    AuditEvent,
    Consultation,
    Invitation,
    InvitationStatus,
    Job,
    JobState,
    Participation,
    Response,
    ResponseState,
)
from consult.services.demo import load_demo
from consult.services.tokens import hash_token, new_token
from tests.facilitator.conftest import (  # noqa: F401  (fixtures: staff accounts, cheap argon2)
    _compiled_catalogs,
    app,
    demo_responses,
    staff,
)

SLUG = "migration-action-plan"
CLOSED = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


@dataclass
class Setup:
    """The demo consultation, closed, with one invitation per submitted response."""

    consultation_id: int
    tokens: list[str]
    receipts: list[str]


def by_slug(slug: str = SLUG) -> Consultation:
    return db.session.scalars(select(Consultation).where(Consultation.slug == slug)).one()


def table_counts() -> dict[str, int]:
    """Rows per table of the whole database."""
    return {
        t.name: int(db.session.scalar(select(func.count()).select_from(t)) or 0)
        for t in db.metadata.sorted_tables
    }


def answers_checksum() -> str:
    """A SHA-256 over every response and answer row (ids, states, profile and values)."""
    digest = hashlib.sha256()
    for row in db.session.execute(
        select(
            Response.id,
            Response.state,
            Response.stakeholder_group_id,
            Response.district,
            Response.language,
            Response.receipt_code,
        ).order_by(Response.id)
    ):
        digest.update(repr(tuple(row)).encode())
    for row in db.session.execute(
        select(
            Answer.id,
            Answer.response_id,
            Answer.question_id,
            Answer.item_id,
            Answer.option_id,
            Answer.number,
            Answer.text,
            Answer.flag,
        ).order_by(Answer.id)
    ):
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def erase(runner: FlaskCliRunner, receipt: str, reason: str, *more: str) -> Result:
    """``consult erase`` of one response of the demo consultation (``more``: ``--as`` ...)."""
    return runner.invoke(
        args=["erase", "--consultation", SLUG, "--receipt", receipt, "--reason", reason, *more]
    )


def results(runner: FlaskCliRunner, question: str = "action_priority") -> dict:
    """``consult results`` of the demo consultation as parsed JSON."""
    done = runner.invoke(args=["results", SLUG, "--question", question, "--by-group"])
    assert done.exit_code == 0, done.output
    return json.loads(done.output)


@pytest.fixture
def closed(app: Flask) -> Setup:  # noqa: F811  (the imported fixture)
    """The demo consultation (30 responses), each response linked to a named invitation,
    with a resume token on a third of them, and one invitation never answered; closed on
    ``CLOSED`` (its ``consultation.close`` audit event carries that time)."""
    load_demo(db.session, responses=30, seed=7)
    consultation = by_slug()
    responses = db.session.scalars(
        select(Response).where(Response.state == ResponseState.SUBMITTED).order_by(Response.id)
    ).all()
    tokens = []
    for n, response in enumerate(responses):
        token = new_token()
        invitation = Invitation(
            consultation_id=consultation.id,
            token_hash=hash_token(token),
            stakeholder_group_id=response.stakeholder_group_id,
            organisation=f"Organisation {n}",
            name=f"Contact {n}",
            email=f"person{n}@example.org",
            language=response.language,
            district=response.district,
            status=InvitationStatus.SUBMITTED,
            sent_at=CLOSED.replace(month=1, day=1),
            opened_at=CLOSED.replace(month=1, day=2),
        )
        db.session.add(invitation)
        db.session.flush()
        response.invitation_id = invitation.id
        if n % 3 == 0:
            response.resume_token_hash = hash_token(new_token())
        db.session.add(
            Participation(
                invitation_id=invitation.id,
                round_id=response.round_id,
                submitted_on=CLOSED.date(),
            )
        )
        tokens.append(token)
    db.session.add(
        Invitation(
            consultation_id=consultation.id,
            token_hash=hash_token(new_token()),
            email="never-answered@example.org",
            language="tr",
            status=InvitationStatus.SENT,
        )
    )
    db.session.add_all(  # a finished export (a named consultation's holds contact names)
        [
            Job(
                public_id=f"job{n}",
                kind="export",
                consultation_id=consultation.id,
                state=state,
                result=b"organisation,contact\nOrganisation 1,Contact 1\n" if n == 0 else None,
            )
            for n, state in enumerate((JobState.DONE, JobState.FAILED, JobState.RUNNING))
        ]
    )
    _close(consultation)
    receipts = [r.receipt_code for r in responses]
    setup = Setup(consultation.id, tokens, receipts)
    db.session.commit()
    return setup


def _close(consultation: Consultation) -> None:
    """Close like ``lifecycle.close_consultation`` and date its audit event ``CLOSED``."""
    from consult.models import ConsultationState, RoundState

    for round_ in consultation.rounds:
        if round_.state == RoundState.OPEN:
            round_.state = RoundState.CLOSED
    consultation.state = ConsultationState.CLOSED
    db.session.add(
        AuditEvent(consultation_id=consultation.id, action="consultation.close", occurred_at=CLOSED)
    )
    db.session.flush()
