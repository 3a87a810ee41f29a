"""Real concurrent requests against the live server: the same invitation sent from two browsers
at the same moment gives exactly one submitted response; a double submission of an open-link
response gives the same receipt twice."""

from __future__ import annotations

import sqlite3
import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from consult.models import Answer, Participation, Response, ResponseState
from tests.participate.helpers import csrf_token, fill, location, receipt_of, start_open_link

pytestmark = pytest.mark.db


class Browser:
    """A client with its own cookies (its own session), following redirects like a browser."""

    def __init__(self, base: str) -> None:
        self.base = base
        # the session cookie is Secure; like a browser, send it to 127.0.0.1 over plain http
        jar = CookieJar(DefaultCookiePolicy(secure_protocols=("https", "wss", "http")))
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        url = path if path.startswith("http") else self.base + path
        try:
            with self.opener.open(url, data=body, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.geturl(), error.read().decode()

    def post_form(self, path: str, data: dict) -> tuple[int, str, str]:
        _status, _url, html = self.request(path)
        return self.request(path, {**data, "csrf_token": csrf_token(html)})


def fill_survey(browser: Browser, first_url: str) -> str:
    """Answer every page; the review page's URL."""
    status, url, html = browser.request(first_url)
    while "/page/" in url:
        assert status == 200, (status, url)
        data = {**fill(html), "action": "continue", "csrf_token": csrf_token(html)}
        status, url, html = browser.request(url, data)
    assert url.endswith("/review"), url
    return url


def race(*calls) -> list[tuple[int, str, str]]:
    """Run the calls at the same moment, each in its own thread."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int, call) -> None:
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def scalar(session, query):
    session.expire_all()
    value = session.scalar(query)
    session.rollback()
    return value


@pytest.mark.parametrize("attempt", range(3))
def test_one_invitation_sent_from_two_browsers_at_once(
    csrf_live_server, demo, invite, session, attempt
) -> None:
    token = invite(demo, group="academic", district="fatih")
    first, second = Browser(csrf_live_server), Browser(csrf_live_server)
    status, url, _html = first.post_form(f"/i/{token}/?lang=en", {"consent": "y"})
    assert status == 200
    assert "/page/" in url
    review = fill_survey(first, url)
    # the second browser opens the same invitation link: it lands on the review page too
    status, url, second_html = second.request(f"/i/{token}/?lang=en")
    assert url == review
    _status, _url, first_html = first.request(review)

    results = race(
        lambda: first.request(review, {"csrf_token": csrf_token(first_html)}),
        lambda: second.request(review, {"csrf_token": csrf_token(second_html)}),
    )

    # Either the second request finds the invitation used (409), or — when it had already
    # loaded the same in-progress response and waited on its row lock — it finds that response
    # submitted and shows the same receipt (200). Never a second submission.
    statuses = sorted(status for status, _url, _html in results)
    assert statuses in ([200, 409], [200, 200]), [(s, u) for s, u, _h in results]
    winner = next(r for r in results if r[0] == 200)
    assert winner[1].endswith(f"/i/{token}/done")
    for other in results:
        if other[0] == 409:
            assert "This invitation has already been used" in other[2]
        else:
            assert other[1].endswith(f"/i/{token}/done")
            assert receipt_of(other[2]) == receipt_of(winner[2])
    submitted = scalar(
        session,
        select(func.count(Response.id)).where(Response.state == ResponseState.SUBMITTED),
    )
    assert submitted == 1
    assert scalar(session, select(func.count(Participation.id))) == 1
    assert receipt_of(winner[2]) == scalar(session, select(Response.receipt_code))


def test_double_submission_of_an_open_link_response(csrf_live_server, demo, session) -> None:
    browser = Browser(csrf_live_server)
    status, url, _html = browser.post_form(f"/c/{demo}?lang=en", {"consent": "y"})
    assert status == 200
    review = fill_survey(browser, url)
    _status, _url, html = browser.request(review)
    token = csrf_token(html)

    results = race(*(lambda: browser.request(review, {"csrf_token": token}) for _ in range(3)))

    assert [status for status, _u, _h in results] == [200, 200, 200]
    receipts = {receipt_of(html) for _s, _u, html in results}
    assert len(receipts) == 1
    assert scalar(session, select(func.count(Response.id))) == 1
    assert scalar(session, select(Response.state)) == ResponseState.SUBMITTED


def test_a_page_sent_while_another_tab_submits_waits_and_shows_the_receipt(
    client, demo, session, migrated_url
) -> None:
    """A page POST reaches a response whose row another transaction holds (a submission in
    another tab): the request waits for it, then finds the response submitted and shows the
    receipt, saving nothing. The lock is taken by the request's first query (PostgreSQL
    ``FOR UPDATE``; SQLite ``BEGIN IMMEDIATE``)."""
    first = start_open_link(client, demo)
    html = client.get(first).text
    second = location(client.post(first, data={**fill(html), "action": "continue"}))
    html = client.get(second).text
    data = {**fill(html), "action": "continue"}
    response_id = scalar(session, select(Response.id))
    answers_before = scalar(session, select(func.count(Answer.id)))

    sent: list = []
    with holding_response(migrated_url, response_id) as submit:
        thread = threading.Thread(target=lambda: sent.append(client.post(second, data=data)))
        thread.start()
        thread.join(timeout=0.8)
        assert thread.is_alive(), "the page was saved without waiting for the row lock"
        submit()
    thread.join(timeout=30)

    (answer,) = sent
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/done")
    assert scalar(session, select(func.count(Answer.id))) == answers_before
    assert scalar(session, select(Response.state)) == ResponseState.SUBMITTED


@contextmanager
def holding_response(url: str, response_id: int):
    """Another connection holds the response's row (PostgreSQL) or the write lock (SQLite);
    calling the yielded function submits the response there and commits."""
    update = (
        "UPDATE responses SET state = 'submitted', submitted_at = updated_at "
        f"WHERE id = {int(response_id)}"
    )
    if url.startswith("sqlite"):
        holder = sqlite3.connect(url.split("sqlite:///", 1)[1], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield lambda: (holder.execute(update), holder.execute("COMMIT"))
        finally:
            holder.close()
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(
                sa.text(f"SELECT id FROM responses WHERE id = {int(response_id)} FOR UPDATE")
            )
            yield lambda: (connection.execute(sa.text(update)), connection.commit())
    finally:
        engine.dispose()
