"""The database fails while a participant's page is being saved: they get a clear, translated
503 page with Retry-After that says their answers on this page were not saved yet and keeps
what they typed in a "Send again" form; nothing of the page was written (the database is
exactly as before); once the database is back, sending again saves the page once.

How the database fails: see ``outage``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.datastructures import MultiDict

from consult.extensions import db
from tests.conftest import make_test_app
from tests.nothing_lost.conftest import PAGE1, answer_counts, responses, snapshot
from tests.participate.helpers import csrf_token, fill, location, parse, start_open_link

pytestmark = pytest.mark.db

TEXTS = {
    "en": (
        "The service is temporarily unavailable",
        "Your answers on this page were not saved yet",
        "Send again",
    ),
    "tr": (
        "Hizmet geçici olarak kullanılamıyor",
        "Hizmet kısa bir süre için kullanılamadığından bu sayfadaki yanıtlarınız henüz "
        "kaydedilmedi.",
        "Yeniden gönder",
    ),
    "ar": (
        "الخدمة غير متاحة مؤقتًا",
        "لم تُحفَظ إجاباتك في هذه الصفحة بعد",
        "أرسل مرة أخرى",
    ),
}


@pytest.fixture
def fragile_app(app: Flask, migrated_url: str) -> Iterator[Flask]:
    """The production-like app (CSRF on) whose SQLite connections wait only 0.3 s for a lock."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if migrated_url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 0.3}
    fragile = make_test_app(migrated_url, WTF_CSRF_ENABLED=True, SQLALCHEMY_ENGINE_OPTIONS=options)
    yield fragile
    with fragile.app_context():
        db.session.remove()
        db.engine.dispose()


@contextmanager
def outage(app: Flask, url: str, how: str) -> Iterator[Callable[[], int]]:
    """The database fails during the app's next write; yields how many failures happened.

    ``real``: on SQLite another connection holds the write lock (the page's first write waits
    out the busy timeout: "database is locked"); on PostgreSQL the server ends the request's
    connection (pg_terminate_backend) just as it commits, after every row was sent.
    ``mid-write``: the driver fails on the page's second write statement, after the first one
    went through (as a connection lost half-way would).
    """
    failed = [0]
    with app.app_context():
        engine = db.engine
    if how == "mid-write":
        writes = [0]

        def fail_second_write(cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
                writes[0] += 1
                if writes[0] == 2 and not failed[0]:
                    failed[0] += 1
                    raise engine.dialect.loaded_dbapi.OperationalError("connection lost")

        events = [("do_execute", fail_second_write), ("do_executemany", fail_second_write)]
        for name, fn in events:
            sa.event.listen(engine, name, fn)
        try:
            yield lambda: failed[0]
        finally:
            for name, fn in events:
                sa.event.remove(engine, name, fn)
        return
    if url.startswith("sqlite"):
        holder = sqlite3.connect(url.split("sqlite:///", 1)[1], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # the write lock, kept until the outage ends

        def count_failure(context: Any) -> None:
            if "locked" in str(context.original_exception):
                failed[0] += 1

        sa.event.listen(engine, "handle_error", count_failure)
        try:
            yield lambda: failed[0]
        finally:
            sa.event.remove(engine, "handle_error", count_failure)
            holder.execute("ROLLBACK")
            holder.close()
        return
    side = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def terminate(conn: Any) -> None:
        if failed[0]:
            return
        failed[0] += 1
        pid = conn.connection.dbapi_connection.info.backend_pid
        with side.begin() as killer:
            killer.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    sa.event.listen(engine, "commit", terminate)
    try:
        yield lambda: failed[0]
    finally:
        sa.event.remove(engine, "commit", terminate)
        side.dispose()


def resend_form(html: str) -> tuple[str, list[tuple[str, str]]]:
    """The action and the hidden fields of the 503 page's "Send again" form."""
    match = re.search(
        r'<form method="post" action="([^"]+)"[^>]*id="resend">(.*?)</form>', html, re.S
    )
    assert match is not None, html[:2000]
    fields = [(c.name, c.value) for c in parse(match.group(2)).controls if c.type == "hidden"]
    return match.group(1).replace("&amp;", "&"), fields


@pytest.mark.parametrize(
    ("how", "language"), [("real", "en"), ("real", "tr"), ("real", "ar"), ("mid-write", "en")]
)
def test_page_meets_a_database_outage(
    fragile_app, migrated_url, demo, session, how: str, language: str
) -> None:
    participant = fragile_app.test_client()
    first = start_open_link(participant, demo, language)
    html = participant.get(first).text
    page2 = location(participant.post(first, data={**PAGE1, "csrf_token": csrf_token(html)}))
    html = participant.get(page2).text
    typed = fill(html)
    typed["q-challenge_severity-hate_speech"] = "5"
    data = {**typed, "action": "continue", "csrf_token": csrf_token(html)}

    reader = sa.create_engine(migrated_url, poolclass=sa.pool.NullPool)
    before = snapshot(reader)
    with outage(fragile_app, migrated_url, how) as failures:
        unavailable = participant.post(f"{page2}?lang={language}", data=data)
        assert failures() == 1
    after = snapshot(reader)
    reader.dispose()

    # a clear, translated page that says to try again, and when
    assert unavailable.status_code == 503
    assert 0 < int(unavailable.headers["Retry-After"]) <= 30  # the rate limiter may lower it
    assert unavailable.headers["Cache-Control"] == "no-store"
    title, message, button = TEXTS[language]
    assert f'<html lang="{language}"' in unavailable.text
    assert f"<h1>{title}</h1>" in unavailable.text
    assert message in unavailable.text
    assert f">{button}</button>" in unavailable.text
    assert "Traceback" not in unavailable.text
    assert "locked" not in unavailable.text

    # nothing was half-written: the database is exactly as before the request
    assert after == before
    assert responses(session)[0][1] == 1  # still at page 1 done
    assert "challenge_severity" not in answer_counts(session)

    # what they typed is in the page, ready to be sent again (with a fresh CSRF token)
    action, fields = resend_form(unavailable.text)
    assert action == f"{page2}?lang={language}"
    sent = [(k, v) for k, v in fields if k != "csrf_token"]
    assert sorted(sent) == sorted([(k, v) for k, v in typed.items()] + [("action", "continue")])
    assert dict(fields)["csrf_token"]

    # the database is back: "Send again" saves the page, once
    again = participant.post(action, data=MultiDict(fields))
    assert location(again).endswith("/page/3")
    assert answer_counts(session)["challenge_severity"] == len(typed)
    assert responses(session)[0][1] == 2


def test_staff_forms_are_not_echoed(fragile_app, migrated_url, demo) -> None:
    """Only participant forms come back on the 503 page: staff forms may hold passwords."""
    client = fragile_app.test_client()
    html = client.get("/account/login").text
    data = {"email": "a@example.org", "password": "secret-password", "csrf_token": csrf_token(html)}
    with outage(fragile_app, migrated_url, "real"):
        response = client.post("/account/login?lang=en", data=data)
    assert response.status_code in (400, 200, 503)  # no commit happens on a failed login
    assert "secret-password" not in response.text
    assert 'id="resend"' not in response.text
