"""Erasure by receipt code: staff erase a participant's answers on request, in any state.

A participant may withdraw their own answers with the receipt code while the consultation is
open (``participation.withdraw_response``). After closing they ask the organiser instead (by
e-mail, say), and a facilitator or an administrator erases them here: the answers are deleted
and the response stays as a withdrawn shell, exactly as a withdrawal leaves it. The audit log
records who did it, why, and the receipt code only as a hash and a masked form. Published
report versions are records and are not changed; regenerating one shows the difference.
Functions flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import Consultation, Response, ResponseState, Round, User
from consult.services.audit import record
from consult.services.errors import InvalidState, NotFound, ServiceError
from consult.services.participation import erase_answers
from consult.services.permissions import Action, require
from consult.services.tokens import hash_token, mask_receipt, normalise_receipt

MAX_REASON = 500  # characters of the reason recorded in the audit log


class InvalidRequest(ServiceError):
    """The request is malformed (no reason, a receipt code that cannot be one)."""


@dataclass(frozen=True)
class Erased:
    """What an erasure did: the masked receipt code, the round and how many answers went."""

    masked_code: str
    round_number: int
    answers: int


def erase_response_by_receipt(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    receipt_code: str,
    reason: str,
    now: datetime,
) -> Erased:
    """Erase the answers of the submitted response with ``receipt_code`` in ``consultation``.

    Works whatever the consultation's state. ``actor`` None is the command line (an operator
    with the database's keys). Raises ``Forbidden`` unless ``actor`` may edit the
    consultation, ``InvalidRequest`` without a reason (or one over 500 characters) or for a
    code that cannot be a receipt code, ``NotFound`` when no response of this consultation
    has the code, ``InvalidState`` when its answers were already withdrawn or erased.
    """
    if actor is not None:
        require(actor, Action.EDIT, consultation)
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidRequest("give the reason for the erasure (for the audit log)")
    if len(reason) > MAX_REASON:
        raise InvalidRequest(f"keep the reason to {MAX_REASON} characters")
    code = normalise_receipt(receipt_code or "")
    if not code:
        raise InvalidRequest("a receipt code has 12 letters and digits, like 7K2M-Q9XD-4TPA")
    response = session.scalar(
        select(Response)
        .join(Round)
        .where(
            Round.consultation_id == consultation.id,
            Response.receipt_code == code,
            Response.state != ResponseState.IN_PROGRESS,
        )
        .with_for_update(of=Response)
    )
    if response is None:
        raise NotFound("no submitted response of this consultation has this receipt code")
    if response.state == ResponseState.WITHDRAWN:
        raise InvalidState("the answers with this receipt code were already withdrawn or erased")
    round_number = response.round.number
    answers = erase_answers(session, consultation, response, now)
    masked = mask_receipt(code)
    record(
        session,
        actor,
        "response.erase",
        response,
        consultation,
        receipt_sha256=hash_token(code),
        receipt=masked,
        reason=reason,
        round=round_number,
        answers=answers,
        state=consultation.state,
    )
    return Erased(masked_code=masked, round_number=round_number, answers=answers)
