"""A panelist's round-2 pages: the panel's round-1 result next to each item, their own answer
chosen, an optional reason; review and sending; right-to-left; anonymity."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from consult.extensions import db
from consult.models import Answer, Response, ResponseState, utcnow
from consult.security import user_datastore
from consult.services import delphi
from consult.services.users import create_user
from tests.delphi.conftest import ROUND_1, Board, StaffUsers, answer
from tests.participate.helpers import current_values, error_links, location

pytestmark = pytest.mark.db


def open_round_two(board: Board, staff: StaffUsers, codes=("priority", "overall")) -> None:
    consultation = board.consultation()
    delphi.create_next_round(db.session, staff.facilitator, consultation, list(codes))
    delphi.open_next_round(db.session, staff.facilitator, consultation, utcnow())
    db.session.commit()


def start(client, token: str, language: str = "en") -> str:
    landing = client.get(f"/i/{token}/?lang={language}")
    assert landing.status_code == 200
    return location(client.post(f"/i/{token}/", data={"consent": "y"}))


def feedback_block(html: str, element_id: str) -> str:
    match = re.search(
        rf'<div class="notice notice--warning delphi-feedback" id="{element_id}">(.*?)</div>',
        html,
        re.S,
    )
    assert match is not None, element_id
    return match.group(1)


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def histogram(fragment: str) -> list[tuple[str, str]]:
    rows = re.findall(r'<tr[^>]*>\s*<th scope="row">(.*?)</th>\s*<td>([^<]*)</td>', fragment, re.S)
    return [(text_of(label), count) for label, count in rows]


def test_round_one_pages_show_no_feedback(client, board) -> None:
    first = start(client, board.tokens[0])
    html = client.get(first + "?lang=en").text
    assert "delphi-feedback" not in html
    assert "-reason" not in html
    assert "This is round" not in client.get(f"/i/{board.tokens[0]}/?lang=en").text


def test_round_two_shows_the_panel_result_and_the_own_answer(client, answered, staff) -> None:
    open_round_two(answered, staff)
    landing = client.get(f"/i/{answered.tokens[0]}/?lang=en").text
    assert "This is round 2. You will see how the panel answered in round 1" in landing

    html = client.get(start(client, answered.tokens[0]) + "?lang=en").text
    assert "Round 2: next to each item you see how the panel answered in round 1." in html
    board = feedback_block(html, "q-priority-board-feedback")
    assert "The panel in round 1" in board
    assert "5 answers on the scale." in board
    assert (
        "Median: 4. The middle half of the answers lie between 3 and 4 (interquartile range 1)."
        in text_of(board)
    )
    assert histogram(board) == [
        ("Not important", "0"),
        ("Slightly important", "1"),
        ("Moderately important", "1"),
        ("Important (your answer)", "2"),
        ("Vital", "1"),
    ]
    assert "Your answer in round 1: Important" in text_of(board)
    # bars are decorative: 40 % of the width for two of five answers
    assert '<rect x="0" width="40" height="12"' in board
    grants = feedback_block(html, "q-priority-grants-feedback")
    assert "Median: 4.5." in text_of(grants)
    assert "4 answers on the scale." in grants
    assert "1 panelist answered “Don't know”." in text_of(grants)
    overall = feedback_block(html, "q-overall-feedback")
    assert "between 3.5 and 4.25 (interquartile range 0.75)" in text_of(overall)

    # the own round-1 answers are chosen; a reason field per item, closed and empty
    assert current_values(html) == {
        "q-priority-board": ["4"],
        "q-priority-data": ["2"],
        "q-priority-grants": ["5"],
        "q-overall": ["5"],
    }
    for name in ("q-priority-board-reason", "q-priority-grants-reason", "q-overall-reason"):
        assert f'<textarea class="textarea" id="{name}" name="{name}"' in html
    assert '<details class="delphi-reason">' in html
    # nobody else's answers or identity
    for other in ("Panelist 1", "p1@example.org", "Panelist 0"):
        assert other not in html


def test_a_panelist_who_skipped_round_one_sees_the_panel_only(client, answered, staff) -> None:
    open_round_two(answered, staff)
    html = client.get(start(client, answered.tokens[5]) + "?lang=en").text
    board = text_of(feedback_block(html, "q-priority-board-feedback"))
    assert "You did not answer this in round 1." in board
    assert "(your answer)" not in html
    assert current_values(html) == {}


def test_revising_with_a_reason_through_the_pages(client, answered, staff) -> None:
    open_round_two(answered, staff)
    token = answered.tokens[0]
    page = start(client, token)
    data = {
        "q-priority-board": "4",
        "q-priority-data": "4",
        "q-priority-grants": "5",
        "q-overall": "5",
        "q-priority-data-reason": "Without data we cannot plan anything else.",
        "action": "continue",
    }
    review = location(client.post(page, data=data))
    assert review == f"/i/{token}/review"
    text = text_of(client.get(review + "?lang=en").text)
    assert (
        "Your reason for “Publish an annual migration data report”: Without data we cannot "
        "plan anything else." in text
    )
    # back on the page, the reason is shown in an open field
    html = client.get(page + "?lang=en").text
    assert '<details class="delphi-reason" open>' in html
    assert ">Without data we cannot plan anything else.</textarea>" in html

    done = location(client.post(review, data={}))
    assert done == f"/i/{token}/done"
    response = db.session.scalars(
        select(Response).where(
            Response.round_id == answered.round(2).id, Response.state == ResponseState.SUBMITTED
        )
    ).one()
    rows = db.session.execute(
        select(Answer.item_id, Answer.number, Answer.reason)
        .where(Answer.response_id == response.id)
        .order_by(Answer.id)
    ).all()
    items = {i.id: i.code for i in answered.consultation().items}
    assert [(items.get(i), n, r) for i, n, r in rows] == [
        ("board", 4.0, None),
        ("data", 4.0, "Without data we cannot plan anything else."),
        ("grants", 5.0, None),
        (None, 5.0, None),
    ]


def test_a_refused_reason_comes_back_with_what_was_typed(client, answered, staff) -> None:
    open_round_two(answered, staff)
    page = start(client, answered.tokens[1])
    long = "x" * 2001
    response = client.post(
        page + "?lang=en",
        data={
            "q-priority-board": "5",
            "q-priority-data": "3",
            "q-priority-grants": "5",
            "q-priority-board-reason": long,
            "action": "continue",
        },
    )
    assert response.status_code == 200
    html = response.text
    assert error_links(html) == ["#q-priority-board-reason"]
    assert "Keep your reason for “Set up a standing advisory board” to 2,000 characters." in html
    assert f">{long}</textarea>" in html
    assert 'aria-invalid="true">' + long in html.replace("\n", "")
    assert '<details class="delphi-reason" open>' in html


def test_round_two_in_arabic_is_right_to_left(client, answered, staff) -> None:
    open_round_two(answered, staff)
    html = client.get(start(client, answered.tokens[0], "ar") + "?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in html
    board = feedback_block(html, "q-priority-board-feedback")
    # the bar of "مهم" (2 of 5) starts at the right end
    assert '<rect x="60" width="40" height="12"' in board
    assert "مهم" in board


def test_anonymous_round_two_says_why_the_own_answer_is_missing(client, anonymous_board) -> None:
    for i, values in enumerate(ROUND_1):
        answer(anonymous_board, i, values)
    fac = create_user(db.session, user_datastore, "f@example.org", "admin", "correct horse battery")
    consultation = anonymous_board.consultation()
    delphi.create_next_round(db.session, fac, consultation, ["priority"])
    delphi.open_next_round(db.session, fac, consultation, utcnow())
    db.session.commit()

    html = client.get(start(client, anonymous_board.tokens[0]) + "?lang=en").text
    assert (
        "This consultation is anonymous: nothing connects your answers in round 1 to you, so "
        "they cannot be shown here." in html
    )
    assert "Median: 4." in text_of(feedback_block(html, "q-priority-board-feedback"))
    assert "(your answer)" not in html
    assert "Your answer in round 1" not in html
    assert "You did not answer this" not in html
    assert current_values(html) == {}
