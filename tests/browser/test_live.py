"""A live workshop session in a real browser (CSRF on): the facilitator starts a session and
opens the projector; two phones join (one typing the code, one following the QR address); the
facilitator shows the first question; the phones see it without reloading by hand, answer, and
the projector's counts follow within seconds without a reload. An Arabic session's projector is
right-to-left, whatever the facilitator's interface language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from consult.models import Answer, Response, ResponseSource, ResponseState
from tests.live.conftest import PASSWORD, make_workshop

pytestmark = [pytest.mark.browser, pytest.mark.db]

BASE = "/manage/consultations/istanbul-workshop/live"


@pytest.fixture
def workshop(session: Any) -> None:
    make_workshop()
    session.rollback()  # end the test's transaction: the server must be able to write


def click_and_wait(page: Any, locator: Any) -> None:
    with page.expect_navigation():
        locator.click()


def sign_in(page: Any) -> None:
    page.goto("/account/login?lang=en")
    page.get_by_label("E-mail address").fill("fac@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    click_and_wait(page, page.get_by_role("button", name="Sign in"))


def start_session(facilitator: Any, language: str) -> str:
    facilitator.goto(f"{BASE}?lang=en")
    facilitator.get_by_label("Language of the session").select_option(language)
    click_and_wait(facilitator, facilitator.get_by_role("button", name="Start a live session"))
    heading = facilitator.locator("h1").inner_text()
    match = re.fullmatch(r"Live session ([0-9A-Z]{6})", heading)
    assert match, heading
    return match[1]


def count(page: Any, selector: str) -> str:
    return page.locator(selector).get_attribute("data-count")


def test_live_session_in_the_room(participant_page, workshop: None, session: Any) -> None:
    facilitator = participant_page()
    sign_in(facilitator)
    code = start_session(facilitator, "en")
    projector = facilitator.context.new_page()
    projector.goto(
        facilitator.get_by_role("link", name="Open the projector page").get_attribute("href")
    )
    assert projector.locator("html").get_attribute("dir") == "ltr"
    assert projector.locator("#join-code").inner_text() == code
    assert projector.locator(".live-qr svg").count() == 1
    assert "Waiting for the first question." in projector.locator("#live-results").inner_text()

    # one phone types the code (in lower case), the other opens the QR code's address
    first = participant_page(width=375, height=740)
    first.goto("/live?lang=en")
    first.get_by_label("Code shown on the screen").fill(code.lower())
    click_and_wait(first, first.get_by_role("button", name="Join"))
    assert first.locator("h1").inner_text() == "You have joined the session"
    second = participant_page(width=375, height=740)
    second.goto(f"/live/{code}?lang=en")
    assert second.locator("h1").inner_text() == "You have joined the session"
    projector.wait_for_function(
        "() => document.querySelector('#live-joined').dataset.count === '2'", timeout=5000
    )

    click_and_wait(facilitator, facilitator.get_by_role("button", name="Show the first question"))
    # the phones move on by themselves (live.js asks every 2 seconds)
    for phone in (first, second):
        phone.wait_for_selector("#q-group-ngo", timeout=5000)
        assert "Question 1 of 5" in phone.locator("main").inner_text()
    projector.wait_for_function(
        "() => document.querySelector('.live-results__question')?.textContent === 'Who are you?'",
        timeout=5000,
    )
    assert count(projector, "#live-answered") == "0"

    first.get_by_label("National NGO").check()
    click_and_wait(first, first.get_by_role("button", name="Send my answer"))
    assert "Answer received. Wait for the next question." in first.locator("main").inner_text()
    projector.wait_for_function(
        "() => document.querySelector('[data-code=\"ngo\"]').dataset.count === '1'", timeout=5000
    )
    second.get_by_label("Academic").check()
    click_and_wait(second, second.get_by_role("button", name="Send my answer"))
    projector.wait_for_function(
        "() => document.querySelector('#live-answered').dataset.count === '2'", timeout=5000
    )
    assert count(projector, '[data-code="ngo"]') == "1"
    assert count(projector, '[data-code="academic"]') == "1"
    assert count(projector, '[data-code="district"]') == "0"
    # no individual answer on the projector, only counts
    assert "style=" not in projector.content()

    # the first phone changes its mind: replaced, not added
    click_and_wait(first, first.get_by_role("link", name="Change my answer"))
    first.get_by_label("District municipality").check()
    click_and_wait(first, first.get_by_role("button", name="Send my answer"))
    projector.wait_for_function(
        "() => document.querySelector('[data-code=\"district\"]').dataset.count === '1'",
        timeout=5000,
    )
    assert count(projector, '[data-code="ngo"]') == "0"
    assert count(projector, "#live-answered") == "2"

    click_and_wait(facilitator, facilitator.get_by_role("button", name="Next question"))
    first.wait_for_selector("#q-topics-housing", timeout=5000)
    click_and_wait(facilitator, facilitator.get_by_role("button", name="End the session"))
    first.wait_for_selector("#receipt", timeout=5000)
    projector.wait_for_function(
        "() => document.querySelector('#live-results').hasAttribute('data-ended')", timeout=5000
    )

    session.expire_all()
    stored = session.execute(
        select(Response.source, Response.state, Answer.option_id).join(Answer)
    ).all()
    session.rollback()
    assert len(stored) == 2
    assert {(s, st) for s, st, _o in stored} == {(ResponseSource.WORKSHOP, ResponseState.SUBMITTED)}

    # --- an Arabic session: the projector is right-to-left, whatever the facilitator reads ----
    start_session(facilitator, "ar")
    projector.goto(
        facilitator.get_by_role("link", name="Open the projector page").get_attribute("href")
        + "?lang=en"
    )
    assert projector.locator("html").get_attribute("dir") == "rtl"
    assert projector.locator("html").get_attribute("lang") == "ar"
    assert projector.locator("#join-title").inner_text() == "أجب من هاتفك"
    click_and_wait(facilitator, facilitator.get_by_role("button", name="Show the first question"))
    projector.wait_for_function(
        "() => document.querySelector('.live-results__question')?.textContent === 'من أنتم؟'",
        timeout=5000,
    )
