"""150 phones in one room: a five-question live session against real gunicorn workers (CSRF on,
as in production). Every phone joins with the code, waits for each question through the state
endpoint as live.js does, and answers it; the third answer is sent twice at the same moment.
The database must hold exactly 150 workshop responses, each with its own answers once."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from consult.extensions import db
from consult.models import Answer, Item, Option, Question, Response, ResponseSource, ResponseState
from consult.services import live
from tests.live.conftest import GROUPS, ITEMS, LIVE_CODES, TOPICS, Workshop, advance, start
from tests.servers import gunicorn_server

pytestmark = pytest.mark.db

PHONES = 150
GROUP_CODES, TOPIC_CODES, ITEM_CODES = list(GROUPS), list(TOPICS), list(ITEMS)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report a redirect instead of following it (the answer's 303 is the result to check)."""

    def redirect_request(self, *args: Any) -> None:
        return None


class Phone:
    """A phone's browser: its own cookies (the Secure session cookie sent over http)."""

    def __init__(self, base: str, index: int) -> None:
        self.base, self.index = base, index
        jar = CookieJar(DefaultCookiePolicy(secure_protocols=("https", "wss", "http")))
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), NoRedirect()
        )
        self.token = ""

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read().decode()

    def join(self, code: str) -> None:
        status, html = self.request(f"/live/{code}?lang=en")
        assert status == 200, status
        assert "You have joined the session" in html

    def answer(self, code: str, question: str, twice: bool = False) -> list[bool | str]:
        """Answer ``question`` (sent twice at once when ``twice``): whether each send was
        accepted (303 to the phone's page, which then says "Answer received")."""
        if self.index % 10 == 0:  # what live.js asks every 2 seconds (a sample of the phones)
            status, body = self.request(f"/live/{code}/state")
            assert status == 200
            assert json.loads(body) == {"state": "running", "question": question}
        status, html = self.request(f"/live/{code}?lang=en")  # the page live.js reloads
        assert status == 200
        assert f'name="question" value="{question}"' in html
        self.token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]
        data = {
            "csrf_token": self.token,
            "question": question,
            **expected_form(self.index)[question],
        }
        sends = 2 if twice else 1
        with ThreadPoolExecutor(sends) as pool:
            replies = list(pool.map(lambda _i: self.request(f"/live/{code}", data), range(sends)))
        return [
            True if status == 303 else f"{question} {status} {html[-3000:]}"
            for status, html in replies
        ]


def expected_form(i: int) -> dict[str, dict[str, Any]]:
    """What phone ``i`` answers to each live question (form fields)."""
    order = ITEM_CODES[i % 3 :] + ITEM_CODES[: i % 3]
    points = [(i % 11), 10 - (i % 11), 0]
    return {
        "group": {"q-group": GROUP_CODES[i % 3]},
        "topics": {"q-topics": [TOPIC_CODES[i % 3], TOPIC_CODES[(i + 1) % 3]]},
        "urgency": {"q-urgency": str(i % 5 + 1)},
        "order": {f"q-order-{item}": str(rank) for rank, item in enumerate(order, start=1)},
        "budget": {f"q-budget-{item}": str(p) for item, p in zip(ITEM_CODES, points, strict=True)},
    }


def expected_rows(i: int) -> set[tuple[str, str | None, float | None]]:
    """The answer rows of phone ``i``: (question, option or item code, number)."""
    form = expected_form(i)
    rows: set[tuple[str, str | None, float | None]] = {("group", form["group"]["q-group"], None)}
    rows |= {("topics", code, None) for code in form["topics"]["q-topics"]}
    rows.add(("urgency", None, float(form["urgency"]["q-urgency"])))
    for question in ("order", "budget"):
        for name, value in form[question].items():
            rows.add((question, name.rsplit("-", 1)[1], float(value)))
    return rows


def test_150_phones_answer_a_five_question_session(
    app: Flask, workshop: Workshop, migrated_url: str
) -> None:
    session = start(workshop)
    code = session.join_code
    db.session.commit()
    with gunicorn_server(migrated_url, workers=2) as base:
        phones = [Phone(base, i) for i in range(PHONES)]
        with ThreadPoolExecutor(30) as pool:
            list(pool.map(lambda p: p.join(code), phones))
            for question in LIVE_CODES:
                assert advance(workshop, session) == question
                db.session.rollback()
                twice = question == "urgency"
                statuses = list(
                    pool.map(lambda p, q=question, t=twice: p.answer(code, q, t), phones)
                )
                failed = [ok for sends in statuses for ok in sends if ok is not True]
                assert not failed, (len(failed), failed[:1])
        live.end_session(
            db.session, workshop.facilitator, workshop.consultation(), session, session.started_at
        )
        db.session.commit()
        receipts = []
        for p in phones:
            status, html = p.request(f"/live/{code}?lang=en")
            assert status == 410
            receipts.append(re.search(r'id="receipt">([^<]+)<', html)[1])

    db.session.expire_all()
    responses = db.session.scalars(select(Response)).all()
    assert len(responses) == PHONES
    assert {(r.source, r.state, r.live_session_id) for r in responses} == {
        (ResponseSource.WORKSHOP, ResponseState.SUBMITTED, session.id)
    }
    by_receipt = {r.receipt_code: r.id for r in responses}
    assert len(set(receipts)) == PHONES
    questions = {q.id: q.code for q in db.session.scalars(select(Question))}
    options = {o.id: o.code for o in db.session.scalars(select(Option))}
    items = {i.id: i.code for i in db.session.scalars(select(Item))}
    rows: dict[int, list[tuple[str, str | None, float | None]]] = {}
    for a in db.session.scalars(select(Answer)):
        label = options.get(a.option_id) or items.get(a.item_id)
        number = a.number if questions[a.question_id] != "topics" and a.option_id is None else None
        rows.setdefault(a.response_id, []).append((questions[a.question_id], label, number))
    for i, receipt in enumerate(receipts):
        got = rows[by_receipt[receipt]]
        assert len(got) == 10  # 1 + 2 + 1 + 3 + 3: every answer once
        assert set(got) == expected_rows(i)
    db.session.rollback()
