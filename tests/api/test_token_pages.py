"""The API tokens page under /manage/api-tokens: every staff user manages their own tokens."""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from consult.extensions import db
from consult.models import ApiToken, User
from consult.services import api_tokens
from tests.api.conftest import api_get
from tests.facilitator.conftest import FS_TUPLE_CHOICES, fetch, sign_in_as

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

PAGE = "/manage/api-tokens"
TOKEN_RE = re.compile(r'<code dir="ltr" id="token-value">(cst_[A-Za-z0-9_-]+)</code>')


@pytest.fixture
def demo_responses() -> int:
    return 0


def client_for(app: Flask, user: User | None) -> FlaskClient:
    client = app.test_client()
    sign_in_as(client, user)
    return client


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, staff) -> None:
    response = fetch(app, app.test_client(), "GET", PAGE)
    assert response.status_code == 302
    assert response.location.startswith("/account/login")


def test_a_new_token_is_shown_once_and_works(app: Flask, staff) -> None:
    client = client_for(app, staff.analyst)
    empty = fetch(app, client, "GET", PAGE + "?lang=en").get_data(as_text=True)
    assert "You have no API tokens yet." in empty
    assert "/api/v1/openapi.json" in empty
    response = fetch(app, client, "POST", PAGE + "?lang=en", data={"name": "R on my laptop"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    match = TOKEN_RE.search(html)
    assert match is not None
    plain = match.group(1)
    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert stored.user_id == staff.analyst.id
    assert "This is your new token <bdi>R on my laptop</bdi>." in html
    again = fetch(app, client, "GET", PAGE + "?lang=en").get_data(as_text=True)
    assert plain not in again  # shown once
    assert "R on my laptop" in again
    assert "Never" in again
    assert api_get(app, "/api/v1/consultations/migration-action-plan", plain).status_code == 200


def test_revoking_from_the_page(app: Flask, staff) -> None:
    token, plain = api_tokens.create_token(db.session, staff.facilitator, "Power BI")
    db.session.commit()
    client = client_for(app, staff.facilitator)
    response = fetch(app, client, "POST", f"{PAGE}/{token.id}/revoke?lang=en")
    assert response.status_code == 302
    assert response.location.endswith(PAGE)
    page = fetch(app, client, "GET", PAGE + "?lang=en").get_data(as_text=True)
    assert "The token Power BI is revoked: it no longer works." in page
    assert "Revoked on" in page
    assert f"{PAGE}/{token.id}/revoke" not in page  # no button for a revoked token
    assert api_get(app, "/api/v1/consultations", plain).status_code == 401


def test_nobody_sees_or_revokes_another_user_s_tokens(app: Flask, staff) -> None:
    token, plain = api_tokens.create_token(db.session, staff.facilitator, "fac's secret token")
    db.session.commit()
    for user in (staff.analyst, staff.admin):
        client = client_for(app, user)
        page = fetch(app, client, "GET", PAGE + "?lang=en").get_data(as_text=True)
        assert "fac&#39;s secret token" not in page
        assert fetch(app, client, "POST", f"{PAGE}/{token.id}/revoke").status_code == 404
    assert fetch(app, client, "POST", f"{PAGE}/abc/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None
    assert api_get(app, "/api/v1/consultations", plain).status_code == 200


def test_a_name_is_shown_escaped(app: Flask, staff) -> None:
    client = client_for(app, staff.analyst)
    response = fetch(app, client, "POST", PAGE + "?lang=en", data={"name": "<b>R</b> & co"})
    html = response.get_data(as_text=True)
    assert "<bdi>&lt;b&gt;R&lt;/b&gt; &amp; co</bdi>" in html
    assert "<b>R</b>" not in html


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the token a name."),
        ("x" * 101, "Use at most 100 characters."),
        ("tab\u200bhidden", "Use letters, digits and punctuation."),
    ],
)
def test_a_bad_name_is_refused_on_the_form(app: Flask, staff, name: str, message: str) -> None:
    client = client_for(app, staff.analyst)
    response = fetch(app, client, "POST", PAGE + "?lang=en", data={"name": name})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalars(select(ApiToken)).all() == []


def test_too_many_tokens_are_refused_on_the_form(app: Flask, staff) -> None:
    for i in range(api_tokens.MAX_ACTIVE_TOKENS):
        api_tokens.create_token(db.session, staff.analyst, f"t{i}")
    db.session.commit()
    client = client_for(app, staff.analyst)
    response = fetch(app, client, "POST", PAGE + "?lang=en", data={"name": "one more"})
    assert response.status_code == 422
    assert "You already have 20 API tokens." in response.get_data(as_text=True)


def test_the_forms_carry_the_csrf_token(app: Flask, staff) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    token, _plain = api_tokens.create_token(db.session, staff.analyst, "notebook")
    db.session.commit()
    client = client_for(app, staff.analyst)
    assert fetch(app, client, "POST", PAGE, data={"name": "no csrf"}).status_code == 400
    assert [t.name for t in api_tokens.list_tokens(db.session, staff.analyst)] == ["notebook"]
    assert fetch(app, client, "POST", f"{PAGE}/{token.id}/revoke").status_code == 400
    page = fetch(app, client, "GET", PAGE).get_data(as_text=True)
    revoke = page.split(f'action="{PAGE}/{token.id}/revoke"')[1].split("</form>")[0]
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', revoke)
    assert csrf is not None
    url = f"{PAGE}/{token.id}/revoke"
    assert fetch(app, client, "POST", url, data={"csrf_token": csrf.group(1)}).status_code == 302
    assert db.session.get(ApiToken, token.id).revoked_at is not None


def test_the_page_is_translated_and_right_to_left_in_arabic(app: Flask, staff) -> None:
    client = client_for(app, staff.analyst)
    html = fetch(app, client, "GET", PAGE + "?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in html
    assert "API tokens" not in html.split("<h1>")[1].split("</h1>")[0]
    html = fetch(app, client, "GET", PAGE + "?lang=tr").get_data(as_text=True)
    assert "Create the token" not in html


def test_the_workspace_navigation_links_to_the_page(app: Flask, staff) -> None:
    client = client_for(app, staff.analyst)
    url = f"/manage/consultations/{staff.a.slug}?lang=en"
    html = fetch(app, client, "GET", url).get_data(as_text=True)
    assert f'<a href="{PAGE}">API tokens</a>' in html
