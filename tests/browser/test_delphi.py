"""A two-round Delphi in a real browser (CSRF on): a panelist answers round 1, the facilitator
prepares round 2 with feedback and opens it, the panelist sees the panel's round-1 median and
interquartile range next to their own answer (no JavaScript needed), revises one answer with a
reason, and the revision is stored."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from consult.extensions import db
from consult.models import (
    AnonymityMode,
    Answer,
    Item,
    Membership,
    MembershipRole,
    Response,
    ResponseState,
)
from consult.security import user_datastore
from consult.services.users import create_user
from tests.delphi.conftest import ROUND_1, Board, answer, make_board

pytestmark = [pytest.mark.browser, pytest.mark.db]

PASSWORD = "correct horse battery"


@pytest.fixture
def board(session: Any) -> Board:
    """The advisory board (confidential), its facilitator, round 1 open."""
    board = make_board(AnonymityMode.CONFIDENTIAL)
    facilitator = create_user(
        db.session, user_datastore, "fac@example.org", "facilitator", PASSWORD
    )
    db.session.add(
        Membership(
            user=facilitator, consultation=board.consultation(), role=MembershipRole.FACILITATOR
        )
    )
    db.session.commit()
    return board


def click_and_wait(page: Any, locator: Any) -> None:
    with page.expect_navigation():
        locator.click()


def consent(page: Any, token: str) -> None:
    page.goto(f"/i/{token}/?lang=en")
    page.get_by_label("I have read how my answers are used, and I agree to take part.").check()
    click_and_wait(page, page.get_by_role("button", name="Start"))


def rows(session: Any, query: Any) -> list[Any]:
    session.expire_all()
    value = session.execute(query).all()
    session.rollback()
    return value


def test_two_round_delphi(participant_page, board: Board, session: Any) -> None:
    token = board.tokens[0]

    # --- round 1: the panelist answers in the browser; four others through the service ----------
    panelist = participant_page()
    consent(panelist, token)
    for control in ("#q-priority-board-4", "#q-priority-data-2", "#q-priority-grants-5"):
        panelist.locator(control).check()
    panelist.locator("#q-overall-5").check()
    click_and_wait(panelist, panelist.get_by_role("button", name="Save and continue"))
    click_and_wait(panelist, panelist.get_by_role("button", name="Send my answers"))
    assert "Thank you" in panelist.locator("h1").inner_text()
    for i, values in enumerate(ROUND_1[1:], start=1):
        answer(board, i, values)
    session.rollback()  # end the test's transaction: the server must be able to write

    # --- the facilitator prepares round 2 (feedback on the matrix only) and opens it ------------
    facilitator = participant_page()
    facilitator.goto("/account/login?lang=en")
    facilitator.get_by_label("E-mail address").fill("fac@example.org")
    facilitator.get_by_label("Password").fill(PASSWORD)
    click_and_wait(facilitator, facilitator.get_by_role("button", name="Sign in"))
    facilitator.goto("/manage/consultations/advisory-board/rounds/next?lang=en")
    assert facilitator.locator("h1").inner_text() == "Prepare round 2"
    assert facilitator.locator("#feedback-priority").is_checked()
    facilitator.locator("#feedback-overall").uncheck()
    click_and_wait(facilitator, facilitator.get_by_role("button", name="Prepare round 2"))
    assert facilitator.locator("h1").inner_text() == "Delphi rounds"
    click_and_wait(facilitator, facilitator.get_by_role("button", name="Open round 2"))
    assert "Round 2 is open" in facilitator.locator("main").inner_text()
    assert (
        "Recommendation: continue with another round"
        in facilitator.locator("#decision").inner_text()
    )

    # --- round 2: same personal link, another browser without JavaScript -----------------------
    second = participant_page(javascript=False)
    second.goto(f"/i/{token}/?lang=en")
    assert "This is round 2." in second.locator("#delphi-round").inner_text()
    second.get_by_label("I have read how my answers are used, and I agree to take part.").check()
    click_and_wait(second, second.get_by_role("button", name="Start"))

    feedback = second.locator("#q-priority-board-feedback")
    text = " ".join(feedback.inner_text().split())
    # round 1 for "board": 4, 5, 4, 2, 3 -> median 4, Q1 3, Q3 4
    assert "The panel in round 1" in text
    assert "5 answers on the scale." in text
    assert "Median: 4. The middle half of the answers lie between 3 and 4" in text
    assert "(interquartile range 1)" in text
    assert "Your answer in round 1: Important" in text
    histogram = feedback.get_by_role("table")
    assert histogram.get_by_role("row", name="Important (your answer) 2").count() == 1
    data_text = " ".join(second.locator("#q-priority-data-feedback").inner_text().split())
    # "data": 2, 3, 1, 5, 2 -> median 2, Q1 2, Q3 3
    assert "Median: 2. The middle half of the answers lie between 2 and 3" in data_text
    # the own answers are chosen already; the rating without feedback is asked afresh
    assert second.locator("#q-priority-board-4").is_checked()
    assert second.locator("#q-priority-data-2").is_checked()
    assert second.locator("#q-priority-grants-5").is_checked()
    assert second.locator("#q-overall-feedback").count() == 0
    assert second.locator("input[name=q-overall]:checked").count() == 0
    # axe-core needs JavaScript: the same page in a browser with it
    checked = participant_page()
    consent(checked, token)
    violations = [f"{v['id']}: {v['help']}" for v in Axe().run(checked).response["violations"]]
    assert violations == []

    # revise "data" from 2 to 4 and say why (the reason field opens without JavaScript)
    second.locator("#q-priority-data-4").check()
    row = second.locator("fieldset.matrix-row", has=second.locator("#q-priority-data-4"))
    row.locator("summary").click()
    second.locator("#q-priority-data-reason").fill("The panel's comments convinced me.")
    click_and_wait(second, second.get_by_role("button", name="Save and continue"))
    review = " ".join(second.locator("main").inner_text().split())
    assert (
        "Your reason for “Publish an annual migration data report”: The panel's comments "
        "convinced me." in review
    )
    click_and_wait(second, second.get_by_role("button", name="Send my answers"))
    assert "Thank you" in second.locator("h1").inner_text()

    # --- stored: round 2 holds the revision and its reason; round 1 is unchanged ----------------
    items = {i.id: i.code for (i,) in rows(session, select(Item))}
    by_round = {}
    for number in (1, 2):
        stored = rows(
            session,
            select(Answer.item_id, Answer.number, Answer.reason)
            .join(Response, Response.id == Answer.response_id)
            .where(
                Response.round_id == board.round(number).id,
                Response.invitation_id == board.invitation(0).id,
                Response.state == ResponseState.SUBMITTED,
            )
            .order_by(Answer.id),
        )
        by_round[number] = [(items.get(i), n, r) for i, n, r in stored]
    assert by_round[1] == [
        ("board", 4.0, None),
        ("data", 2.0, None),
        ("grants", 5.0, None),
        (None, 5.0, None),
    ]
    assert by_round[2] == [
        ("board", 4.0, None),
        ("data", 4.0, "The panel's comments convinced me."),
        ("grants", 5.0, None),
    ]
