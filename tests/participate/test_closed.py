"""A consultation that closes while someone is answering: saved answers are kept, no form is
shown, and sending is refused with a clear message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.models import Answer, ConsultationState, Response, ResponseState, utcnow
from tests.participate.helpers import fill, location, start_open_link, token_of, walk_to_review

pytestmark = pytest.mark.db

CLOSED = "The answers you saved are kept, but they can no longer be sent."


@pytest.mark.parametrize("how", ["state", "schedule"])
def test_closed_mid_survey(client, demo, consultation, session, how: str) -> None:
    first = start_open_link(client, demo)
    token = token_of(first)
    review = walk_to_review(client, first)
    page4 = client.get(f"/r/{token}/page/4").text
    session.expire_all()
    saved = session.scalar(select(func.count(Answer.id)))

    row = consultation(demo)
    if how == "state":
        row.state = ConsultationState.CLOSED
    else:
        row.opens_at = utcnow() - timedelta(days=5)
        row.closes_at = utcnow() - timedelta(minutes=1)
    session.commit()

    # the pages and the review show a clear page, not the form
    for path in ("/page/1", "/page/3", "/review"):
        response = client.get(f"/r/{token}{path}?lang=en")
        assert response.status_code == 403, path
        assert "<h1>This consultation is not taking answers</h1>" in response.text
        assert CLOSED in response.text
        assert "<form" not in response.text

    # sending is refused; nothing is lost
    refused = client.post(review + "?lang=en")
    assert refused.status_code == 403
    assert CLOSED in refused.text
    # a page typed before the closing is still saved
    data = {**fill(page4), "q-comments": "typed just before closing", "action": "continue"}
    assert client.post(f"/r/{token}/page/4", data=data).status_code == 403

    session.expire_all()
    response_row = session.scalar(select(Response))
    assert response_row.state == ResponseState.IN_PROGRESS
    assert session.scalar(select(func.count(Answer.id))) == saved
    assert session.scalar(select(Answer.text).where(Answer.text.is_not(None))) == (
        "typed just before closing"
    )

    # reopened: the same answers can be sent
    row = consultation(demo)
    row.state, row.opens_at, row.closes_at = ConsultationState.OPEN, None, None
    session.commit()
    assert location(client.post(review)).endswith("/done")
