"""Every page a participant gets instead of the form: unknown links, closed consultations, used
invitations, withdrawn answers. Clear, translated, in the layout, never the form."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consult.models import ConsultationState, InvitationStatus, utcnow
from tests.participate.helpers import (
    location,
    receipt_of,
    start_open_link,
    token_of,
    walk_to_review,
)

pytestmark = pytest.mark.db

NOT_FOUND_TITLE = {"en": "Page not found", "ar": "الصفحة غير موجودة", "tr": "Sayfa bulunamadı"}
CLOSED_TITLE = {
    "en": "This consultation is not taking answers",
    "ar": "هذه المشاورة لا تستقبل إجابات",
    "tr": "Bu istişare yanıt kabul etmiyor",
}


def assert_no_form(html: str) -> None:
    assert "<form" not in html
    assert 'name="q-' not in html


@pytest.mark.parametrize("language", ["en", "ar", "tr"])
def test_unknown_consultation_is_a_clear_404(client, language: str) -> None:
    response = client.get(f"/c/no-such-consultation?lang={language}")

    assert response.status_code == 404
    assert f"<h1>{NOT_FOUND_TITLE[language]}</h1>" in response.text
    assert_no_form(response.text)


def test_draft_and_invitation_only_consultations_have_no_open_link(
    client, demo, consultation, session
) -> None:
    row = consultation(demo)
    row.open_link = False
    session.commit()
    response = client.get(f"/c/{demo}?lang=en")
    assert response.status_code == 404
    assert "use the personal link from your invitation" in response.text

    row = consultation(demo)
    row.open_link, row.state = True, ConsultationState.DRAFT
    session.commit()
    assert client.get(f"/c/{demo}").status_code == 404
    assert client.post(f"/c/{demo}", data={"consent": "y"}).status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"state": ConsultationState.CLOSED},
        {"state": ConsultationState.ARCHIVED},
        {"opens_at": "tomorrow"},
        {"closes_at": "yesterday"},
    ],
    ids=["closed", "archived", "not-yet-open", "past-its-closing-date"],
)
@pytest.mark.parametrize("language", ["en", "ar", "tr"])
def test_a_consultation_not_taking_answers_shows_a_clear_page(
    client, demo, consultation, session, change, language
) -> None:
    row = consultation(demo)
    now = utcnow()
    for key, value in change.items():
        if value == "tomorrow":
            value = now + timedelta(days=1)
        elif value == "yesterday":
            row.opens_at = now - timedelta(days=10)
            value = now - timedelta(days=1)
        setattr(row, key, value)
    session.commit()

    response = client.get(f"/c/{demo}?lang={language}")

    assert response.status_code == 403
    assert f"<h1>{CLOSED_TITLE[language]}</h1>" in response.text
    assert_no_form(response.text)
    # starting anyway does not create a response
    assert client.post(f"/c/{demo}", data={"consent": "y"}).status_code == 403


@pytest.mark.parametrize(
    "path", ["/r/not-a-token/", "/r/not-a-token/page/1", "/r/not-a-token/review", "/r/x/done"]
)
def test_invalid_resume_token_is_a_clear_404(client, demo, path: str) -> None:
    for method in ("get", "post"):
        if path.endswith("/done") and method == "post":
            continue
        response = getattr(client, method)(path + "?lang=en")
        assert response.status_code == 404
        assert "<h1>Page not found</h1>" in response.text
        assert "This link is not valid." in response.text
        assert_no_form(response.text)


@pytest.mark.parametrize("path", ["/i/not-a-token/", "/i/nope/page/2", "/i/nope/review"])
def test_invalid_invitation_token_is_a_clear_404(client, demo, path: str) -> None:
    response = client.get(path + "?lang=ar")
    assert response.status_code == 404
    assert "<h1>الصفحة غير موجودة</h1>" in response.text
    assert "هذا الرابط غير صالح." in response.text


def test_revoked_invitation_is_a_404(client, demo, invite) -> None:
    token = invite(demo, status=InvitationStatus.REVOKED)
    assert client.get(f"/i/{token}/").status_code == 404


def test_page_number_out_of_range_is_a_404(client, demo) -> None:
    first = start_open_link(client, demo)
    token = token_of(first)
    for number in (0, 5, 999):
        assert client.get(f"/r/{token}/page/{number}").status_code == 404
    assert client.get(f"/r/{token}/page/-1").status_code == 404
    assert client.get(f"/r/{token}/page/x").status_code == 404


def test_used_invitation_shows_a_clear_page(client, app, demo, invite) -> None:
    token = invite(demo)
    first = location(client.post(f"/i/{token}/", data={"consent": "y"}))
    review = walk_to_review(client, first)
    assert location(client.post(review)) == f"/i/{token}/done"

    other_browser = app.test_client()
    for path in ("/", "/page/1", "/review", "/done"):
        response = other_browser.get(f"/i/{token}{path}?lang=en")
        assert response.status_code == 409, path
        assert "<h1>This invitation has already been used</h1>" in response.text
        assert_no_form(response.text)
    response = other_browser.post(f"/i/{token}/review?lang=ar")
    assert response.status_code == 409
    assert "<h1>سبق استخدام هذه الدعوة</h1>" in response.text


def test_withdrawn_response_shows_a_clear_page(client, demo) -> None:
    first = start_open_link(client, demo)
    token = token_of(first)
    review = walk_to_review(client, first)
    client.post(review)
    receipt = receipt_of(client.get(f"/r/{token}/done").text)
    assert location(client.post(f"/c/{demo}/withdraw", data={"receipt": receipt}))

    for path in ("/", "/page/1", "/review", "/done"):
        response = client.get(f"/r/{token}{path}?lang=en")
        assert response.status_code == 410, path
        assert "<h1>These answers were withdrawn</h1>" in response.text
        assert_no_form(response.text)
