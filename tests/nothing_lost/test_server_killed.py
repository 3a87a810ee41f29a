"""The server process is killed (SIGKILL: a crash, a pulled plug) between two pages: a new
server on the same database and port takes over, the participant carries on with the same
cookies, finds pages 1-2 as they left them, and sending gives exactly one submitted response."""

from __future__ import annotations

import pytest

from consult.models import ResponseState
from tests.nothing_lost.conftest import PAGE1, answer_counts, responses
from tests.participate.helpers import csrf_token, current_values, fill
from tests.participate.test_concurrency import Browser, fill_survey
from tests.servers import gunicorn_server, kill_server

pytestmark = pytest.mark.db


def test_killed_between_pages(migrated_url, demo, session) -> None:
    with gunicorn_server(migrated_url, workers=1) as base:
        browser = Browser(base)
        status, _url, html = browser.request(f"/c/{demo}?lang=en")
        assert status == 200
        status, page1, html = browser.request(
            f"/c/{demo}", {"consent": "y", "csrf_token": csrf_token(html)}
        )
        assert page1.endswith("/page/1"), page1
        status, page2, html = browser.request(page1, {**PAGE1, "csrf_token": csrf_token(html)})
        assert page2.endswith("/page/2"), page2
        typed = fill(html)
        status, page3, html = browser.request(page2, {**typed, "csrf_token": csrf_token(html)})
        assert page3.endswith("/page/3"), (status, page3)
        kill_server(base)
    port = int(base.rsplit(":", 1)[1])

    with gunicorn_server(migrated_url, workers=1, port=port) as again:
        assert again == base
        status, _url, html = browser.request(page1)
        assert status == 200
        assert current_values(html) == {k: [v] for k, v in PAGE1.items()}
        status, _url, html = browser.request(page2)
        assert current_values(html) == {k: [v] for k, v in typed.items()}
        review = fill_survey(browser, page3)
        status, _url, html = browser.request(review)
        status, done, html = browser.request(review, {"csrf_token": csrf_token(html)})
        assert status == 200
        assert done.endswith("/done"), done

    assert [state for state, _ in responses(session)] == [ResponseState.SUBMITTED]
    counts = answer_counts(session)
    assert counts["stakeholder_group"] == counts["district"] == 1
    assert counts["challenge_severity"] == len(typed)
