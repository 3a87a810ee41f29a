"""The open-text page: who may use it, filters, quotes, languages and directions."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from consult.extensions import db
from consult.models import AuditEvent, Quote
from tests.analyst_text.conftest import add_text_answer, group_sizes
from tests.facilitator.conftest import Staff, fetch, sign_in_as

pytestmark = pytest.mark.db

URL = "/manage/consultations/migration-action-plan/open-text"


def client_for(app: Flask, staff: Staff, role: str = "analyst"):
    client = app.test_client()
    sign_in_as(client, staff.user(role))
    return client


@pytest.mark.parametrize(
    ("role", "get_status", "post_status"),
    [
        ("analyst", 200, 302),
        ("admin", 200, 302),
        ("facilitator", 200, 302),
        ("outside_analyst", 403, 403),
        ("other_facilitator", 403, 403),
        ("anonymous", 302, 302),
    ],
)
def test_who_may_use_the_page(
    app: Flask, staff: Staff, role: str, get_status: int, post_status: int
) -> None:
    answer = add_text_answer(staff.a, "a view to quote")
    client = client_for(app, staff, role)
    got = fetch(app, client, "GET", URL)
    assert got.status_code == get_status
    sent = fetch(
        app, client, "POST", URL, data={"action": "select", "answer_id": answer.id, "text": "q"}
    )
    assert sent.status_code == post_status
    if role == "anonymous":
        assert got.location.startswith("/account/login")
        assert sent.location.startswith("/account/login")
    selected = db.session.scalar(select(Quote).where(Quote.answer_id == answer.id))
    assert (selected is not None) == (post_status == 302 and role != "anonymous")


def test_answers_carry_their_language_and_direction(app: Flask, staff: Staff) -> None:
    arabic = add_text_answer(staff.a, "نحتاج إلى مترجمين", language="ar")
    turkish = add_text_answer(staff.a, "Tercüman gerekli\nher gün", language="tr")
    client = client_for(app, staff)

    english = fetch(app, client, "GET", URL + "?lang=en").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english
    assert re.search(
        rf'<li id="answer-{arabic.id}">.*?<blockquote class="open-answer" lang="ar" dir="rtl">'
        r"\s*<p>نحتاج إلى مترجمين</p>",
        english,
        re.S,
    )
    page = fetch(app, client, "GET", URL + "?lang=ar&q=tercüman").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert re.search(
        rf'<li id="answer-{turkish.id}">.*?<blockquote class="open-answer" lang="tr" dir="ltr">'
        r"\s*<p>Tercüman gerekli<br>her gün</p>",
        page,
        re.S,
    )


def test_filters_and_small_groups_on_the_page(app: Flask, staff: Staff) -> None:
    k = staff.a.min_group_size
    sizes = group_sizes(staff.a)
    small = next(code for code, n in sizes.items() if n < k)
    big = next(code for code, n in sizes.items() if n >= k)
    add_text_answer(staff.a, "from a big group", group_code=big)
    client = client_for(app, staff)

    html = fetch(app, client, "GET", URL + f"?lang=en&group={big}").get_data(as_text=True)
    assert "from a big group" in html
    assert f'<option value="{small}" disabled>' in html

    refused = fetch(app, client, "GET", URL + f"?lang=en&group={small}")
    assert refused.status_code == 200
    text = refused.get_data(as_text=True)
    assert "cannot be filtered on their own (small groups are protected)" in text
    assert 'class="open-answer"' not in text

    bad = fetch(app, client, "GET", URL + "?lang=en&question=action_priority")
    assert bad.status_code == 400
    assert "Choose one of the questions listed." in bad.get_data(as_text=True)

    nothing = fetch(app, client, "GET", URL + "?lang=en&q=zzzz-nothing").get_data(as_text=True)
    assert "No answers match these filters." in nothing
    assert "0 answers match." in nothing


def test_no_identity_on_the_page(app: Flask, staff: Staff) -> None:
    add_text_answer(staff.a, "our clinic needs staff", organisation="Kardeşlik Derneği")
    client = client_for(app, staff)
    html = fetch(app, client, "GET", URL + "?lang=en&q=clinic").get_data(as_text=True)
    assert "our clinic needs staff" in html
    for secret in ("Kardeşlik", "Ayşe Yılmaz", "ayse@example.org", "TEST-"):
        assert secret not in html


def test_select_edit_and_remove_a_quote_through_the_page(app: Flask, staff: Staff) -> None:
    answer = add_text_answer(staff.a, "Ben Ayşe, Fatih'te tercüman yok.", language="tr")
    client = client_for(app, staff)
    query = "?lang=en&q=tercüman"

    selected = fetch(
        app,
        client,
        "POST",
        URL + query,
        data={"action": "select", "answer_id": answer.id, "text": "Tercüman yok."},
    )
    assert selected.status_code == 302
    assert selected.location == f"{URL}?q=tercüman&page=1#answer-{answer.id}".replace(
        "tercüman", "terc%C3%BCman"
    )
    html = fetch(app, client, "GET", URL + query).get_data(as_text=True)
    assert "The answer is selected for the report." in html
    assert f'<li id="quote-{answer.id}">' in html
    assert re.search(r'<blockquote class="quote" lang="tr" dir="ltr">\s*<p>Tercüman yok.</p>', html)
    assert "Ben Ayşe, Fatih&#39;te tercüman yok." in html  # the answer itself is unchanged

    refused = fetch(
        app,
        client,
        "POST",
        URL + query,
        data={"action": "edit", "answer_id": answer.id, "text": " "},
    )
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Enter the text of the quote." in text
    assert f'href="#quote-edit-{answer.id}"' in text
    assert re.search(rf'id="quote-edit-{answer.id}"[^>]*aria-invalid="true"', text, re.S)

    edited = fetch(
        app,
        client,
        "POST",
        URL + query,
        data={"action": "edit", "answer_id": answer.id, "text": "Yok."},
    )
    assert edited.status_code == 302
    assert edited.location.endswith(f"#quote-{answer.id}")
    assert db.session.scalar(select(Quote.text).where(Quote.answer_id == answer.id)) == "Yok."

    removed = fetch(
        app, client, "POST", URL + query, data={"action": "unselect", "answer_id": answer.id}
    )
    assert removed.status_code == 302
    assert removed.location.endswith("#quotes")
    assert db.session.scalar(select(Quote.id).where(Quote.answer_id == answer.id)) is None
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("quote.%")).order_by(AuditEvent.id)
    ).all()
    assert actions == ["quote.select", "quote.edit", "quote.unselect"]


def test_bad_posts(app: Flask, staff: Staff) -> None:
    client = client_for(app, staff)
    assert fetch(app, client, "POST", URL, data={}).status_code == 400
    assert (
        fetch(app, client, "POST", URL, data={"action": "delete", "answer_id": "1"}).status_code
        == 400
    )
    missing = fetch(app, client, "POST", URL, data={"action": "unselect", "answer_id": "999999"})
    assert missing.status_code == 404
