"""CSRF on every participant form, without losing a page: a form whose session expired comes
back with what was typed and a fresh token; a request without any token is refused (400)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult.models import Answer, Response, ResponseState
from tests.participate.helpers import (
    csrf_token,
    current_values,
    fill,
    location,
    token_of,
)

pytestmark = pytest.mark.db

EXPIRED = "Your session had expired, so this page was not saved yet."


def scalar(session, query):
    """Read, then end the transaction (SQLite: the other app's requests must be able to write)."""
    session.expire_all()
    value = session.scalar(query)
    session.rollback()
    return value


def answers(session) -> int:
    return scalar(session, select(func.count(Answer.id)))


def start(client, slug: str) -> str:
    html = client.get(f"/c/{slug}?lang=en").text
    token = csrf_token(html)
    assert token
    return location(client.post(f"/c/{slug}", data={"consent": "y", "csrf_token": token}))


def test_every_participant_form_carries_a_token(csrf_client, demo, invite) -> None:
    first = start(csrf_client, demo)
    for url in (f"/c/{demo}", first, f"/r/{token_of(first)}/review", f"/c/{demo}/withdraw"):
        assert csrf_token(csrf_client.get(url).text), url
    token = invite(demo)
    assert csrf_token(csrf_client.get(f"/i/{token}/").text)


def test_expired_session_on_a_page_keeps_what_was_typed(csrf_app, csrf_client, demo, session):
    first = start(csrf_client, demo)
    html = csrf_client.get(first).text
    old_token = csrf_token(html)
    typed = {"q-stakeholder_group": "academic", "q-district": "esenler"}

    # the browser lost its session (cookie expired, browser restarted): same page, same token
    later = csrf_app.test_client()
    response = later.post(
        first + "?lang=en", data={**typed, "action": "continue", "csrf_token": old_token}
    )

    assert response.status_code == 400
    assert EXPIRED in response.text
    assert 'role="alert"' in response.text
    assert current_values(response.text) == {k: [v] for k, v in typed.items()}
    new_token = csrf_token(response.text)
    assert new_token
    assert new_token != old_token
    assert answers(session) == 0  # nothing saved without a valid token

    # pressing Continue again works
    again = later.post(first, data={**typed, "action": "continue", "csrf_token": new_token})
    assert location(again).endswith("/page/2")
    assert answers(session) == 2


def test_missing_token_is_a_400_page_and_saves_nothing(csrf_client, demo, session) -> None:
    first = start(csrf_client, demo)
    response = csrf_client.post(
        first + "?lang=en", data={"q-stakeholder_group": "academic", "action": "continue"}
    )
    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.text
    assert "The form has expired or was sent twice." in response.text
    assert answers(session) == 0

    wrong = csrf_client.post(
        first, data={"q-stakeholder_group": "academic", "csrf_token": "forged"}
    )
    assert wrong.status_code == 400
    assert answers(session) == 0


def test_expired_session_on_the_landing_page_keeps_the_consent(csrf_app, demo, session) -> None:
    browser = csrf_app.test_client()
    old_token = csrf_token(browser.get(f"/c/{demo}?lang=en").text)
    later = csrf_app.test_client()

    response = later.post(f"/c/{demo}?lang=en", data={"consent": "y", "csrf_token": old_token})

    assert response.status_code == 400
    assert EXPIRED in response.text
    assert 'id="consent" name="consent" value="y" checked' in response.text
    assert scalar(session, select(func.count(Response.id))) == 0
    data = {"consent": "y", "csrf_token": csrf_token(response.text)}
    assert "/page/1" in location(later.post(f"/c/{demo}", data=data))


def test_expired_session_on_the_review_page_sends_nothing(csrf_app, csrf_client, demo, session):
    url = start(csrf_client, demo)
    while "/page/" in url:
        html = csrf_client.get(url).text
        data = {**fill(html), "action": "continue", "csrf_token": csrf_token(html)}
        url = location(csrf_client.post(url, data=data))
    old_token = csrf_token(csrf_client.get(url).text)

    later = csrf_app.test_client()
    response = later.post(url + "?lang=en", data={"csrf_token": old_token})

    assert response.status_code == 400
    assert EXPIRED in response.text
    assert "Check your answers before sending them" in response.text
    assert scalar(session, select(Response.state)) == ResponseState.IN_PROGRESS
    sent = later.post(url, data={"csrf_token": csrf_token(response.text)})
    assert location(sent).endswith("/done")
    assert scalar(session, select(Response.state)) == ResponseState.SUBMITTED


def test_expired_session_on_the_withdrawal_keeps_the_code(csrf_app, demo) -> None:
    old_token = csrf_token(csrf_app.test_client().get(f"/c/{demo}/withdraw").text)
    later = csrf_app.test_client()
    response = later.post(
        f"/c/{demo}/withdraw?lang=en", data={"receipt": "7K2M-Q9XD-4TPA", "csrf_token": old_token}
    )
    assert response.status_code == 400
    assert EXPIRED in response.text
    assert 'value="7K2M-Q9XD-4TPA"' in response.text


def test_expired_session_on_an_invitation_page(csrf_app, demo, invite, session) -> None:
    token = invite(demo)
    browser = csrf_app.test_client()
    landing = browser.get(f"/i/{token}/?lang=en").text
    consent = {"consent": "y", "csrf_token": csrf_token(landing)}
    first = location(browser.post(f"/i/{token}/", data=consent))
    old_token = csrf_token(browser.get(first).text)

    # a new session without the consent remembered: the typed page still comes back
    later = csrf_app.test_client()
    typed = {"q-stakeholder_group": "donor", "q-district": "fatih", "csrf_token": old_token}
    response = later.post(first + "?lang=en", data=typed)
    assert response.status_code == 400
    assert current_values(response.text) == {
        "q-stakeholder_group": ["donor"],
        "q-district": ["fatih"],
    }
    typed["csrf_token"] = csrf_token(response.text)
    assert location(later.post(first, data=typed)).endswith("/page/2")
