"""Error pages: right status, translated, in the layout, never a stack trace; 503 when the
database is down."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask, abort, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import TooManyRequests
from werkzeug.test import TestResponse

from consult.extensions import db
from tests.conftest import make_test_app

TITLES = {
    400: {"tr": "Geçersiz istek", "en": "Bad request", "ar": "طلب غير صالح"},
    403: {"tr": "Erişim reddedildi", "en": "Access denied", "ar": "الوصول مرفوض"},
    404: {"tr": "Sayfa bulunamadı", "en": "Page not found", "ar": "الصفحة غير موجودة"},
    405: {
        "tr": "Bu işleme burada izin verilmiyor",
        "en": "This action is not allowed here",
        "ar": "هذا الإجراء غير مسموح به هنا",
    },
    413: {
        "tr": "Gönderdiğiniz veri çok büyük",
        "en": "What you sent is too large",
        "ar": "ما أرسلته كبير جدًا",
    },
    429: {"tr": "Çok fazla istek", "en": "Too many requests", "ar": "طلبات كثيرة جدًا"},
    500: {"tr": "Bir sorun oluştu", "en": "Something went wrong", "ar": "حدث خطأ ما"},
    503: {
        "tr": "Hizmet geçici olarak kullanılamıyor",
        "en": "The service is temporarily unavailable",
        "ar": "الخدمة غير متاحة مؤقتًا",
    },
}
DIRECTION = {"tr": "ltr", "en": "ltr", "ar": "rtl"}
UNREACHABLE = [
    "postgresql+psycopg://nobody@127.0.0.1:1/none",
    "sqlite:////nonexistent-directory/consult.sqlite3",
]


def down_app(url: str, **overrides: object) -> Flask:
    """An app whose database cannot be reached; PostgreSQL gives up connecting after 3 s."""
    options: dict[str, object] = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["connect_args"] = {"connect_timeout": 3}
    return make_test_app(url, SQLALCHEMY_ENGINE_OPTIONS=options, **overrides)


def add_error_routes(app: Flask) -> Flask:
    """Routes that fail on purpose (added before the first request)."""

    @app.get("/_test/abort/<int:code>")
    def abort_with(code: int) -> str:
        if code == 429:
            raise TooManyRequests(retry_after=7)
        abort(code)

    @app.post("/_test/upload")
    def upload() -> str:
        return str(len(request.get_data()))

    @app.get("/_test/crash")
    def crash() -> str:
        raise RuntimeError("secret internal detail")

    @app.get("/_test/integrity")
    def integrity() -> str:
        raise IntegrityError("INSERT ...", {}, Exception("duplicate key: secret internal detail"))

    return app


@pytest.fixture
def error_app(migrated_url: str) -> Iterator[Flask]:
    """An app like production: exceptions are not propagated to the test."""
    app = add_error_routes(
        make_test_app(migrated_url, PROPAGATE_EXCEPTIONS=False, MAX_CONTENT_LENGTH=1024)
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def request_error(app: Flask, code: int, language: str) -> TestResponse:
    client = app.test_client()
    query = {"lang": language}
    if code == 404:
        return client.get("/no/such/page", query_string=query)
    if code == 405:
        return client.post("/", query_string=query)
    if code == 413:
        return client.post("/_test/upload", query_string=query, data=b"x" * 4096)
    if code == 500:
        return client.get("/_test/crash", query_string=query)
    return client.get(f"/_test/abort/{code}", query_string=query)


@pytest.mark.db
@pytest.mark.parametrize("language", ["tr", "en", "ar"])
@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500])
def test_error_page(error_app: Flask, code: int, language: str) -> None:
    response = request_error(error_app, code, language)

    assert response.status_code == code
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert f'<html lang="{language}" dir="{DIRECTION[language]}">' in html
    assert f"<h1>{TITLES[code][language]}</h1>" in html
    assert f"{code}</p>" in html
    assert 'class="skip-link"' in html
    assert 'class="language-switcher"' in html
    assert "Traceback" not in html
    assert "secret internal detail" not in html


@pytest.mark.db
def test_error_headers_are_kept(error_app: Flask) -> None:
    client = error_app.test_client()

    assert set(client.post("/").headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.get("/_test/abort/429").headers["Retry-After"] == "7"


@pytest.mark.db
def test_other_database_errors_are_500_not_503(error_app: Flask) -> None:
    response = error_app.test_client().get("/_test/integrity?lang=en")

    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "<h1>Something went wrong</h1>" in html
    assert "secret internal detail" not in html


@pytest.mark.db
def test_expired_form_explains_itself(migrated_url: str) -> None:
    app = add_error_routes(make_test_app(migrated_url, WTF_CSRF_ENABLED=True))
    response = app.test_client().post("/_test/upload?lang=en", data={"a": "b"})

    assert response.status_code == 400
    assert "The form has expired or was sent twice." in response.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


@pytest.mark.db
def test_json_clients_get_json_errors(error_app: Flask) -> None:
    response = error_app.test_client().get(
        "/no/such/page?lang=en", headers={"Accept": "application/json"}
    )

    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == 404
    assert body["title"] == "Page not found"
    assert body["message"].startswith("The page you are looking for does not exist")


@pytest.mark.parametrize("url", UNREACHABLE)
@pytest.mark.parametrize("language", ["tr", "en", "ar"])
def test_database_down_gives_503(url: str, language: str) -> None:
    app = down_app(url, PROPAGATE_EXCEPTIONS=False)
    client = app.test_client()

    started = time.monotonic()
    response = client.get("/", query_string={"lang": language})

    assert time.monotonic() - started < 10
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    assert f'<html lang="{language}" dir="{DIRECTION[language]}">' in html
    assert f"<h1>{TITLES[503][language]}</h1>" in html
    assert "Traceback" not in html
    assert "127.0.0.1" not in html
    assert "nonexistent-directory" not in html


@pytest.mark.parametrize("url", UNREACHABLE)
def test_database_down_with_a_signed_in_session(url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Rendering the 503 page must not try to load the signed-in user from the database."""
    app = down_app(url)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "some-user"
        session["_fresh"] = True

    response = client.get("/?lang=en")

    assert response.status_code == 503
    assert "<h1>The service is temporarily unavailable</h1>" in response.get_data(as_text=True)
    assert "render failed" not in caplog.text


@pytest.mark.parametrize("url", UNREACHABLE)
def test_healthz_is_503_json_when_the_database_is_down(url: str) -> None:
    app = down_app(url)

    started = time.monotonic()
    response = app.test_client().get("/healthz")

    assert time.monotonic() - started < 10
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
    assert response.headers["Retry-After"]
