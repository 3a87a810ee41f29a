"""The open-link flow on the demo consultation: landing, consent, pages, review, submit, thanks."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from consult.models import Answer, Response, ResponseState, utcnow
from tests.participate.helpers import (
    csrf_token,
    current_values,
    error_links,
    fill,
    location,
    parse,
    receipt_of,
    start_open_link,
    token_of,
    walk_to_review,
)

pytestmark = pytest.mark.db


def responses(session, state=None) -> int:
    query = select(func.count(Response.id))
    if state is not None:
        query = query.where(Response.state == state)
    session.expire_all()
    return session.scalar(query)


def test_landing_tells_who_why_how_long_and_how_answers_are_used(client, demo, session) -> None:
    response = client.get(f"/c/{demo}?lang=en")

    assert response.status_code == 200
    html = response.text
    assert "<h1>Migration and Social Cohesion Action Plan 2020–2024</h1>" in html
    assert "Istanbul Metropolitan Municipality, Migration Unit" in html  # organiser
    assert "Together we are setting the priorities" in html  # purpose
    assert "<dt>Time needed</dt>" in html
    assert "About 10 minutes" in html
    assert "Published results never show groups smaller than 5 people" in html  # privacy
    assert "Your answers are confidential" in html  # anonymity mode explained
    assert 'type="checkbox" id="consent" name="consent"' in html
    assert '<label class="choice__label" for="consent">' in html
    assert response.headers["Cache-Control"] == "no-store"
    assert "/static/js/survey.js?v=" in html
    assert responses(session) == 0  # looking starts nothing


def test_landing_in_arabic_and_turkish(client, demo) -> None:
    html = client.get(f"/c/{demo}?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in html
    assert "<h1>خطة عمل الهجرة والتماسك الاجتماعي 2020–2024</h1>" in html
    assert "الوقت اللازم" in html

    html = client.get(f"/c/{demo}?lang=tr").text
    assert '<html lang="tr" dir="ltr">' in html
    assert "Göç ve Sosyal Uyum Eylem Planı" in html


def test_landing_dates_are_localised(client, demo, consultation, session) -> None:
    closes = utcnow() + timedelta(days=20)
    row = consultation(demo)
    row.closes_at = closes
    session.commit()
    local = closes.astimezone(ZoneInfo("Europe/Istanbul"))
    for language in ("tr", "en", "ar"):
        html = client.get(f"/c/{demo}?lang={language}").text
        assert format_date(local, "long", locale=language) in html
        assert f'datetime="{closes.isoformat(timespec="seconds")}"' in html


def test_consent_is_required(client, demo, session) -> None:
    response = client.post(f"/c/{demo}?lang=en", data={})

    assert response.status_code == 200
    assert error_links(response.text) == ["#consent"]
    assert "Tick the box to say that you agree to take part." in response.text
    assert 'aria-invalid="true"' in response.text
    assert "<title>Error: " in response.text
    assert responses(session) == 0


def test_whole_demo_flow(client, demo, session) -> None:
    first = start_open_link(client, demo)
    assert re.fullmatch(r"/r/[\w-]{40,}/page/1", first)
    token = token_of(first)
    assert responses(session, ResponseState.IN_PROGRESS) == 1

    # page 1: Continue without answers shows the required errors, linked to the controls
    html = client.get(first).text
    assert "Step 1 of 5" in html
    assert "Save this link to continue later" in html
    assert f"http://localhost/r/{token}/" in html
    assert 'name="action" value="back"' not in html  # nothing before the first page
    page = client.post(first, data={"action": "continue"})
    assert page.status_code == 200
    links = error_links(page.text)
    assert links == ["#q-stakeholder_group-district_municipality", "#q-district-esenyurt"]
    ids = parse(page.text).ids
    assert all(link[1:] in ids for link in links)
    assert 'role="alert"' in page.text
    assert "There is a problem" in page.text

    # every page in turn, with the progress and the resume link
    url = first
    for step in range(1, 5):
        html = client.get(url).text
        assert f"Step {step} of 5" in html
        assert f"/r/{token}/" in html
        if step > 1:
            assert 'name="action" value="back"' in html
        url = location(client.post(url, data={**fill(html), "action": "continue"}))
    assert url == f"/r/{token}/review"

    review = client.get(url).text
    assert "Step 5 of 5" in review
    assert "Check your answers before sending them" in review
    assert review.count(">Change<") == 6
    assert f'href="/r/{token}/page/3?return_to=review#question-top5_actions"' in review
    assert "1. A standing migration advisory board" in review
    assert "Answer to q-comments" in review

    sent = client.post(url, data={})
    assert location(sent) == f"/r/{token}/done"
    done = client.get(f"/r/{token}/done").text
    receipt = receipt_of(done)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", receipt)
    assert f"http://localhost/r/{token}/" in done  # the resume link now shows this page
    assert f'href="/c/{demo}/withdraw"' in done

    # a double click, a re-POST, a reload: still one response, same receipt
    for _ in range(3):
        assert location(client.post(url, data={})) == f"/r/{token}/done"
    assert responses(session, ResponseState.SUBMITTED) == 1
    assert responses(session) == 1
    assert location(client.get(f"/r/{token}/")) == f"/r/{token}/done"
    assert location(client.get(f"/r/{token}/page/2")) == f"/r/{token}/done"
    assert receipt in client.get(f"/r/{token}/done").text
    assert session.scalar(select(func.count(Answer.id))) == 2 + 6 + 16 + 5 + 1


def test_back_saves_without_enforcing_required(client, demo, session) -> None:
    first = start_open_link(client, demo)
    token = token_of(first)
    second = location(
        client.post(first, data={"q-stakeholder_group": "academic", "q-district": "fatih"})
    )
    assert second == f"/r/{token}/page/2"

    # one row of the matrix answered, Back: saved, and back on page 1 without errors
    back = client.post(second, data={"q-challenge_severity-hate_speech": "4", "action": "back"})
    assert location(back) == first
    html = client.get(second).text
    assert current_values(html) == {"q-challenge_severity-hate_speech": ["4"]}


def test_back_with_an_invalid_answer_stays_and_keeps_everything(client, demo) -> None:
    first = start_open_link(client, demo)
    token = token_of(first)
    client.post(first, data={"q-stakeholder_group": "academic", "q-district": "fatih"})
    page3 = f"/r/{token}/page/3"
    data = {
        "q-action_priority-advisory_board": "5",
        "q-top5_actions-advisory_board": "1",
        "q-top5_actions-interpretation": "1",
        "action": "back",
    }
    response = client.post(page3, data=data)

    assert response.status_code == 200
    assert "Rank 1 is given to more than one item: each rank can be used once." in response.text
    assert error_links(response.text) == ["#q-top5_actions-advisory_board"]
    assert current_values(response.text) == {
        "q-action_priority-advisory_board": ["5"],
        "q-top5_actions-advisory_board": ["1"],
        "q-top5_actions-interpretation": ["1"],
    }
    # the valid matrix answer was saved even though the ranking was not
    assert current_values(client.get(page3).text) == {"q-action_priority-advisory_board": ["5"]}


def test_change_link_returns_to_the_review(client, demo) -> None:
    first = start_open_link(client, demo)
    token = token_of(first)
    review = walk_to_review(client, first)
    html = client.get(f"/r/{token}/page/1?return_to=review").text
    assert '<input type="hidden" name="return_to" value="review">' in html
    assert "Save and go back to the review" in html
    data = {**fill(html), "q-district": "esenler", "return_to": "review", "action": "continue"}
    assert location(client.post(f"/r/{token}/page/1", data=data)) == review
    assert "Esenler" in client.get(review).text


def test_resume_link_continues_where_the_participant_stopped(client, app, demo) -> None:
    first = start_open_link(client, demo)
    token = token_of(first)
    client.post(first, data={"q-stakeholder_group": "academic", "q-district": "fatih"})

    other_browser = app.test_client()
    assert location(other_browser.get(f"/r/{token}/")) == f"/r/{token}/page/2"
    html = other_browser.get(f"/r/{token}/page/1").text
    assert current_values(html) == {"q-stakeholder_group": ["academic"], "q-district": ["fatih"]}


def test_language_switch_mid_survey(client, demo) -> None:
    first = start_open_link(client, demo)
    html = client.get(first + "?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in html
    assert "أي مجموعة من أصحاب المصلحة تمثّلون؟" in html
    assert "الخطوة 1 من 5" in html
    # remembered for the next pages
    assert '<html lang="ar" dir="rtl">' in client.get(first).text


def test_texts_fall_back_to_the_consultation_default_language(client, demo, consultation, session):
    row = consultation(demo)
    row.languages = ["tr"]
    session.commit()

    html = client.get(f"/c/{demo}?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in html
    assert '<h1 lang="tr" dir="ltr">Göç ve Sosyal Uyum Eylem Planı 2020–2024</h1>' in html
    first = location(
        client.post(f"/c/{demo}", data={"consent": "y", "csrf_token": csrf_token(html)})
    )
    page = client.get(first).text
    assert '<span lang="tr" dir="ltr">Hangi paydaş grubunu temsil ediyorsunuz?</span>' in page
    assert "الخطوة 1 من 5" in page  # the interface stays Arabic
