"""Erasure by receipt code: staff erase a participant's answers in any state, audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import Answer, AuditEvent, ConsultationState, Response, ResponseState
from consult.services.erasure import InvalidRequest, erase_response_by_receipt
from consult.services.errors import Forbidden, InvalidState, NotFound
from consult.services.participation import withdraw_response
from consult.services.tokens import hash_token, normalise_receipt
from tests.dataops.conftest import answers_checksum, by_slug, erase, table_counts

pytestmark = pytest.mark.db
NOW = datetime(2027, 2, 1, 9, 30, tzinfo=UTC)


def _response(receipt: str) -> Response:
    return db.session.scalars(select(Response).where(Response.receipt_code == receipt)).one()


def _answers(response_id: int) -> int:
    return int(
        db.session.scalar(select(func.count(Answer.id)).where(Answer.response_id == response_id))
        or 0
    )


def test_receipt_codes_are_read_as_typed() -> None:
    assert normalise_receipt(" 7k2m q9xd 4tpa ") == "7K2M-Q9XD-4TPA"
    assert normalise_receipt("7K2MQ9XD4TPA") == "7K2M-Q9XD-4TPA"
    assert normalise_receipt("demo-7k2m-q9xd-4tpa") == "DEMO-7K2M-Q9XD-4TPA"
    assert normalise_receipt("7K2M-Q9XD-4TP") == ""
    assert normalise_receipt("7K2M-Q9XD-4TPU") == ""  # U is not in the alphabet
    assert normalise_receipt("7k2m–q9xd—4tpo") == "7K2M-Q9XD-4TP0"  # dashes; O read as 0


@pytest.mark.parametrize("state", [ConsultationState.CLOSED, ConsultationState.ARCHIVED])
def test_erasure_works_after_closing_and_is_audited(closed, state) -> None:
    consultation = by_slug()
    consultation.state = state
    receipt = closed.receipts[4]
    response = _response(receipt)
    response_id, had = response.id, _answers(response.id)
    assert had > 0
    assert response.stakeholder_group_id is not None
    erased = erase_response_by_receipt(
        db.session, None, consultation, receipt.lower(), "  request by e-mail,\n ref 14 ", NOW
    )
    db.session.commit()
    assert (erased.answers, erased.round_number) == (had, 1)
    assert erased.masked_code == "****-****-" + receipt[-4:]
    response = db.session.get(Response, response_id)
    assert response.state == ResponseState.WITHDRAWN
    assert response.withdrawn_at == NOW
    assert (response.stakeholder_group_id, response.district) == (None, None)
    assert _answers(response_id) == 0
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "response.erase")
    ).one()
    assert (event.object_type, event.object_id) == ("response", response_id)
    assert event.details == {
        "receipt_sha256": hash_token(receipt),
        "receipt": erased.masked_code,
        "reason": "request by e-mail, ref 14",
        "round": 1,
        "answers": had,
        "state": state.value,
    }
    assert receipt not in repr(event.details)


def test_refusals_change_nothing(closed) -> None:
    consultation = by_slug()
    receipt = closed.receipts[0]
    before = (table_counts(), answers_checksum())
    cases = [
        ("ZZZZ-ZZZZ-ZZZZ", "asked", NotFound, "no submitted response of this consultation"),
        ("not a code", "asked", InvalidRequest, "a receipt code has 12 letters and digits"),
        (receipt, "   ", InvalidRequest, "give the reason"),
        (receipt, "x" * 501, InvalidRequest, "keep the reason to 500 characters"),
    ]
    for code, reason, error, message in cases:
        with pytest.raises(error, match=message):
            erase_response_by_receipt(db.session, None, consultation, code, reason, NOW)
        db.session.rollback()
    assert (table_counts(), answers_checksum()) == before
    erase_response_by_receipt(db.session, None, consultation, receipt, "asked", NOW)
    db.session.commit()
    after = (table_counts(), answers_checksum())
    with pytest.raises(InvalidState, match="already withdrawn or erased"):
        erase_response_by_receipt(db.session, None, consultation, receipt, "again", NOW)
    db.session.rollback()
    assert (table_counts(), answers_checksum()) == after


def test_only_editors_may_erase(closed) -> None:
    from consult.models import Membership, MembershipRole
    from consult.security import user_datastore
    from consult.services.users import create_user

    consultation = by_slug()
    analyst = create_user(
        db.session, user_datastore, "an@example.org", "analyst", "long password 1"
    )
    db.session.add(Membership(user=analyst, consultation=consultation, role=MembershipRole.ANALYST))
    db.session.flush()
    with pytest.raises(Forbidden):
        erase_response_by_receipt(
            db.session, analyst, consultation, closed.receipts[0], "asked", NOW
        )


def test_the_participants_withdrawal_still_works_while_open(closed) -> None:
    consultation = by_slug()
    consultation.state = ConsultationState.OPEN
    db.session.commit()
    receipt = closed.receipts[2]
    response_id = _response(receipt).id
    withdraw_response(db.session, consultation.slug, receipt, NOW)
    db.session.commit()
    assert _response(receipt).state == ResponseState.WITHDRAWN
    assert _answers(response_id) == 0


def test_erase_command(closed, runner) -> None:
    receipt = closed.receipts[1]
    response_id = _response(receipt).id
    done = erase(runner, receipt, "e-mail of 3 March")
    assert done.exit_code == 0, done.output
    assert done.output.startswith(
        f"Erased {done.output.split()[1]} answer(s) of the response "
        f"****-****-{receipt[-4:]} in round 1 of migration-action-plan"
    )
    db.session.expire_all()
    assert _answers(response_id) == 0
    before = (table_counts(), answers_checksum())
    for args, message in [
        (
            ["--consultation", "nope", "--receipt", receipt, "--reason", "r"],
            "Error: no consultation with the slug 'nope'",
        ),
        (
            [
                "--consultation",
                "migration-action-plan",
                "--receipt",
                "ZZZZ-ZZZZ-ZZZZ",
                "--reason",
                "r",
            ],
            "Error: no submitted response of this consultation has this receipt code",
        ),
        (
            ["--consultation", "migration-action-plan", "--receipt", receipt, "--reason", "r"],
            "Error: the answers with this receipt code were already withdrawn or erased",
        ),
        (
            [
                "--consultation",
                "migration-action-plan",
                "--receipt",
                receipt,
                "--reason",
                "r",
                "--as",
                "nobody@example.org",
            ],
            "Error: no staff account nobody@example.org",
        ),
    ]:
        failed = runner.invoke(args=["erase", *args])
        assert failed.exit_code == 2
        assert failed.output.strip().splitlines() == [message]
    db.session.expire_all()
    assert (table_counts(), answers_checksum()) == before
