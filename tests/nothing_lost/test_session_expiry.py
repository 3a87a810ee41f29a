"""The browser loses its session (cookie expired, browser restarted, another device) after
pages 1-2: the participant comes back through their invitation link or the resume link the
pages show, finds their answers filled in, and finishes: one response, nothing lost."""

from __future__ import annotations

import re

import pytest

from consult.models import ResponseState
from tests.nothing_lost.conftest import PAGE1, answer_counts, responses
from tests.participate.helpers import (
    csrf_token,
    current_values,
    fill,
    location,
    start_open_link,
    walk_to_review,
)

pytestmark = pytest.mark.db


def two_pages(client, first: str) -> dict[str, str]:
    """Answer pages 1 and 2 with CSRF tokens, like a browser; what was sent on page 2."""
    html = client.get(first).text
    page2 = location(client.post(first, data={**PAGE1, "csrf_token": csrf_token(html)}))
    html = client.get(page2).text
    typed = fill(html)
    assert location(client.post(page2, data={**typed, "csrf_token": csrf_token(html)})).endswith(
        "/page/3"
    )
    return typed


def finish(client, page: str) -> None:
    review = walk_to_review(client, page)
    html = client.get(review).text
    assert location(client.post(review, data={"csrf_token": csrf_token(html)})).endswith("/done")


def test_invitation_link_in_a_new_session(csrf_app, demo, invite, session) -> None:
    token = invite(demo)
    before = csrf_app.test_client()
    landing = before.get(f"/i/{token}/?lang=en").text
    first = location(
        before.post(f"/i/{token}/", data={"consent": "y", "csrf_token": csrf_token(landing)})
    )
    page2 = two_pages(before, first)

    after = csrf_app.test_client()  # no cookie: no session, no remembered consent
    resumed = after.get(f"/i/{token}/")
    assert location(resumed) == f"/i/{token}/page/3"  # no second consent, where they stopped
    assert current_values(after.get(f"/i/{token}/page/1").text) == {
        k: [v] for k, v in PAGE1.items()
    }
    assert current_values(after.get(f"/i/{token}/page/2").text) == {
        k: [v] for k, v in page2.items()
    }

    finish(after, f"/i/{token}/page/3")
    assert [state for state, _ in responses(session)] == [ResponseState.SUBMITTED]
    counts = answer_counts(session)
    assert counts["stakeholder_group"] == counts["district"] == 1
    assert counts["challenge_severity"] == len(page2)


def test_resume_link_shown_on_the_page_in_a_new_session(csrf_app, demo, session) -> None:
    before = csrf_app.test_client()
    first = start_open_link(before, demo)
    page2 = two_pages(before, first)

    # the participant noted the resume link every page shows
    html = before.get(first.replace("/page/1", "/page/3") + "?lang=en").text
    match = re.search(r'(https?://[^"<\s]+/r/[A-Za-z0-9_-]+/)', html)
    assert match is not None, "the page shows its resume link"
    resume_link = match.group(1).split("://", 1)[1].split("/", 1)[1]  # the path part
    resume_link = "/" + resume_link

    after = csrf_app.test_client()
    page3 = location(after.get(resume_link))
    assert page3.endswith("/page/3")
    assert current_values(after.get(page3.replace("/page/3", "/page/1")).text) == {
        k: [v] for k, v in PAGE1.items()
    }
    assert current_values(after.get(page3.replace("/page/3", "/page/2")).text) == {
        k: [v] for k, v in page2.items()
    }
    finish(after, page3)
    assert [state for state, _ in responses(session)] == [ResponseState.SUBMITTED]
    assert answer_counts(session)["challenge_severity"] == len(page2)
