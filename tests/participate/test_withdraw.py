"""Right to erasure: withdraw sent answers with the receipt code while the consultation is open."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult.models import Answer, ConsultationState, Response, ResponseState
from tests.participate.helpers import (
    error_links,
    location,
    receipt_of,
    start_open_link,
    token_of,
    walk_to_review,
)

pytestmark = pytest.mark.db


def send(client, slug: str) -> tuple[str, str]:
    """Answer and send the survey; (resume token, receipt code)."""
    first = start_open_link(client, slug)
    token = token_of(first)
    client.post(walk_to_review(client, first))
    return token, receipt_of(client.get(f"/r/{token}/done").text)


def test_withdraw_with_the_receipt_code(client, demo, session) -> None:
    _token, receipt = send(client, demo)
    page = client.get(f"/c/{demo}/withdraw?lang=en")
    assert page.status_code == 200
    assert "<h1>Withdraw your answers</h1>" in page.text
    assert 'id="receipt" name="receipt"' in page.text
    assert "Migration and Social Cohesion Action Plan" in page.text

    # typed loosely: lower case, spaces instead of dashes
    typed = receipt.lower().replace("-", " ")
    response = client.post(f"/c/{demo}/withdraw", data={"receipt": typed})
    assert location(response) == f"/c/{demo}/withdrawn"
    done = client.get(f"/c/{demo}/withdrawn?lang=en").text
    assert '<h1 class="panel__title">Your answers have been withdrawn</h1>' in done

    session.expire_all()
    response_row = session.scalar(select(Response))
    assert response_row.state == ResponseState.WITHDRAWN
    assert response_row.stakeholder_group_id is None
    assert session.scalar(select(func.count(Answer.id))) == 0
    # the same code again: nothing left to withdraw
    again = client.post(f"/c/{demo}/withdraw?lang=en", data={"receipt": receipt})
    assert again.status_code == 200
    assert "No sent answers have this receipt code." in again.text


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter your receipt code."),
        ("AAAA-BBBB-CCCC", "No sent answers have this receipt code."),
        ("X" * 10_000, "Enter the receipt code as shown, like 7K2M-Q9XD-4TPA."),
        ("' OR 1=1 --", "Enter the receipt code as shown, like 7K2M-Q9XD-4TPA."),
        ("7K2M\x00Q9XD-4TPA", "Enter the receipt code as shown, like 7K2M-Q9XD-4TPA."),
        ("ZZZZ-ZZZZ-ZZZZ-ZZZZ", "No sent answers have this receipt code."),
    ],
)
def test_wrong_codes_are_explained(client, demo, code: str, message: str) -> None:
    response = client.post(f"/c/{demo}/withdraw?lang=en", data={"receipt": code})
    assert response.status_code == 200
    assert message in response.text
    assert error_links(response.text) == ["#receipt"]
    assert 'aria-invalid="true"' in response.text


def test_a_code_of_another_consultation_does_not_work(client, demo, question_types) -> None:
    _token, receipt = send(client, demo)
    response = client.post(f"/c/{question_types}/withdraw?lang=en", data={"receipt": receipt})
    assert "No sent answers have this receipt code." in response.text


def test_no_withdrawal_once_closed(client, demo, consultation, session) -> None:
    _token, receipt = send(client, demo)
    row = consultation(demo)
    row.state = ConsultationState.CLOSED
    session.commit()

    page = client.get(f"/c/{demo}/withdraw?lang=en")
    assert page.status_code == 404
    assert "Answers can be withdrawn only while their consultation is open." in page.text
    assert client.post(f"/c/{demo}/withdraw", data={"receipt": receipt}).status_code == 404
    session.expire_all()
    assert session.scalar(select(Response.state)) == ResponseState.SUBMITTED


def test_unknown_consultation_has_no_withdrawal_page(client) -> None:
    assert client.get("/c/nothing-here/withdraw").status_code == 404
