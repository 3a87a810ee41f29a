"""Hostile or broken form input never gives a server error, never stores garbage, and every
error message links to a control that exists on the page."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from consult.models import Answer
from tests.participate.helpers import (
    answer_fields,
    error_links,
    fill,
    location,
    parse,
    start_open_link,
    token_of,
)

pytestmark = pytest.mark.db

NASTY = [
    "",
    " ",
    "0",
    "-1",
    "1e309",
    "NaN",
    "inf",
    "99999999999999999999999999",
    "1.5",
    "٣",
    "dont_know",
    "tie",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "\x00",
    "\u202e\u0000\ufffd",
    "a" * 100_000,
    "ص" * 20_000,
    "../../etc/passwd",
    "%s%s%(x)s{0}",
]


def pages(client, slug: str) -> list[str]:
    first = start_open_link(client, slug)
    token = token_of(first)
    return [f"/r/{token}/page/{n}" for n in range(1, 5)]


def check(response, page_html: str | None = None) -> None:
    assert response.status_code in (200, 303), response.status_code
    if response.status_code == 200:
        html = response.get_data(as_text=True)
        ids = parse(html).ids
        for link in error_links(html):
            assert link.startswith("#")
            assert link[1:] in ids, link
        assert "<script>alert(1)</script>" not in html


@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_every_field_with_a_nasty_value(client, demo, value: str) -> None:
    for url in pages(client, demo):
        html = client.get(url).text
        data = {c.name: value for c in answer_fields(html)}
        check(client.post(url, data={**data, "action": "continue"}))
        check(client.post(url, data={**data, "action": "back"}))


def test_repeated_and_unknown_fields(client, demo, session) -> None:
    for url in pages(client, demo):
        html = client.get(url).text
        valid = fill(html)
        repeated = [(k, v) for k, v in valid.items() for _ in range(2)]
        check(client.post(url, data=MultiDict([*repeated, ("action", "continue")])))
        unknown = [
            ("q-stakeholder_group", "no-such-group"),
            ("q-nonexistent", "1"),
            ("q-top5_actions-no_such_action", "1"),
            ("q-challenge_severity-no_such_challenge", "3"),
            ("q-", "x"),
            ("action", "delete-everything"),
            ("return_to", "https://evil.example/"),
        ]
        response = client.post(url, data=MultiDict(unknown))
        check(response)
        if response.status_code == 303:
            assert response.headers["Location"].startswith("/r/")
    session.expire_all()
    assert session.scalar(select(func.count(Answer.id))) == 0


def test_random_fuzz(client, demo) -> None:
    rng = random.Random(2019)
    urls = pages(client, demo)
    for _ in range(60):
        url = rng.choice(urls)
        html = client.get(url).text
        names = [c.name for c in answer_fields(html)] + ["q-x", "action", "return_to"]
        data = [(rng.choice(names), rng.choice(NASTY)) for _ in range(rng.randint(1, 12))]
        if rng.random() < 0.5:
            data += list(fill(html).items())
        check(client.post(url, data=MultiDict(data)))


def test_oversized_request_is_a_413_page(client, demo) -> None:
    url = pages(client, demo)[3]
    response = client.post(url + "?lang=en", data={"q-comments": "x" * (6 * 1024 * 1024)})
    assert response.status_code == 413
    assert "What you sent is too large" in response.text


def test_odd_urls(client, demo) -> None:
    url = pages(client, demo)[0]
    token = url.split("/")[2]
    for path in (
        f"/r/{token}/page/99999999999999999999",
        f"/r/{token}/page/1.5",
        f"/r/{token}x/page/1",
        "/r/%00/page/1",
        "/c/%00",
        "/c/%00/withdraw",
        "/c/a%01b",
        "/c/" + "a" * 5000,
        "/i/" + "b" * 5000 + "/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.put(url).status_code == 405
    assert client.post(f"/r/{token}/done").status_code == 405


def test_a_sent_survey_cannot_be_changed_by_posting_a_page(client, demo, session) -> None:
    urls = pages(client, demo)
    url = urls[0]
    while "/page/" in url:
        html = client.get(url).text
        url = location(client.post(url, data={**fill(html), "action": "continue"}))
    client.post(url)
    session.expire_all()
    before = session.scalar(select(func.count(Answer.id)))
    response = client.post(urls[0], data={"q-stakeholder_group": "donor", "action": "continue"})
    assert location(response).endswith("/done")
    session.expire_all()
    assert session.scalar(select(func.count(Answer.id))) == before
