"""Staff sign-in: passwords, one generic message, throttling, a real logout, admin two-factor."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from passlib.totp import TOTP

from consult.extensions import db, security
from tests.conftest import make_test_app
from tests.facilitator.conftest import FS_TUPLE_CHOICES, PASSWORD, add_user, fetch

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

GENERIC = "The e-mail address or the password is not right, or the account cannot sign in."


def sign_in(app: Flask, client: FlaskClient, email: str, password: str = PASSWORD):
    return fetch(
        app, client, "POST", "/account/login?lang=en", data={"email": email, "password": password}
    )


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie is not None else None


@pytest.fixture
def facilitator(app: Flask):
    user = add_user("fac@example.org", "facilitator")
    db.session.commit()
    return user


def test_sign_in_page_uses_our_layout_and_catalogs(app: Flask, client: FlaskClient) -> None:
    for lang, heading in [("en", "Staff sign-in"), ("tr", "Personel girişi")]:
        html = fetch(app, client, "GET", f"/account/login?lang={lang}").get_data(as_text=True)
        assert f"<h1>{heading}</h1>" in html
        assert 'class="skip-link"' in html  # our base.html
        assert "<style" not in html
        assert "style=" not in html
        assert "<script" not in html
    html = fetch(app, client, "GET", "/account/login?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in html


def test_good_password_signs_in(app: Flask, client: FlaskClient, facilitator) -> None:
    response = sign_in(app, client, "fac@example.org")
    assert response.status_code == 302
    page = fetch(app, client, "GET", "/manage/?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/manage/"' in html
    assert "Sign out" in html


def test_bad_password_and_unknown_account_get_the_same_answer(
    app: Flask, client: FlaskClient, facilitator
) -> None:
    wrong = sign_in(app, client, "fac@example.org", "not the password")
    unknown = sign_in(app, client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert GENERIC in wrong.get_data(as_text=True)
    same = unknown.get_data(as_text=True).replace("nobody@example.org", "fac@example.org")
    assert wrong.get_data(as_text=True) == same
    assert fetch(app, client, "GET", "/manage/").status_code == 302


def test_sign_in_is_throttled_per_address(migrated_url: str) -> None:
    app = make_test_app(migrated_url, LOGIN_RATE_LIMIT="3/minute")
    client = app.test_client()
    with app.app_context():
        for _ in range(3):
            assert sign_in(app, client, "x@example.org", "wrong password").status_code == 200
        blocked = sign_in(app, client, "x@example.org", "wrong password")
        assert blocked.status_code == 429
        assert "Retry-After" in blocked.headers
        assert "Too many requests" in blocked.get_data(as_text=True)
        assert fetch(app, client, "GET", "/account/login").status_code == 200  # only POST
        other = app.test_client()
        response = fetch(
            app, other, "POST", "/account/login", data={}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
        )
        assert response.status_code == 200  # another address still may try


def test_login_gives_a_new_session_and_logout_ends_it(
    app: Flask, client: FlaskClient, facilitator
) -> None:
    fetch(app, client, "GET", "/account/login?lang=en")
    before = session_cookie(client)
    assert sign_in(app, client, "fac@example.org").status_code == 302
    signed_in = session_cookie(client)
    assert signed_in
    assert signed_in != before
    assert before is not None  # the visitor's session (it holds the language)
    client.set_cookie("session", before)  # grants nothing after the sign-in
    assert fetch(app, client, "GET", "/manage/").status_code == 302
    client.set_cookie("session", signed_in)
    assert fetch(app, client, "GET", "/manage/").status_code == 200

    assert fetch(app, client, "POST", "/account/logout").status_code == 302
    assert fetch(app, client, "GET", "/manage/").status_code == 302
    client.set_cookie("session", signed_in)  # a copy of the old cookie, replayed
    replay = fetch(app, client, "GET", "/manage/")
    assert replay.status_code == 302
    assert replay.location.startswith("/account/login")


def test_admin_without_two_factor_is_sent_to_set_it_up(app: Flask, client: FlaskClient) -> None:
    add_user("admin@example.org", "admin")
    db.session.commit()
    assert sign_in(app, client, "admin@example.org").status_code == 302
    for path in ("/manage/", "/manage/audit"):
        response = fetch(app, client, "GET", path)
        assert response.status_code == 302
        assert response.location == "/account/tf-setup"
    html = fetch(app, client, "GET", "/account/tf-setup?lang=en").get_data(as_text=True)
    assert "<h1>Set up two-factor sign-in</h1>" in html
    assert "Administrators must set up two-factor sign-in first." in html


def test_facilitator_is_not_forced_into_two_factor(
    app: Flask, client: FlaskClient, facilitator
) -> None:
    sign_in(app, client, "fac@example.org")
    assert fetch(app, client, "GET", "/manage/").status_code == 200


def test_admin_with_two_factor_signs_in_with_a_code(app: Flask, client: FlaskClient) -> None:
    admin = add_user("admin@example.org", "admin", two_factor=True)
    secret = admin.tf_totp_secret
    db.session.commit()
    response = sign_in(app, client, "admin@example.org")
    assert response.status_code == 302
    assert response.location.startswith("/account/tf-validate")
    assert fetch(app, client, "GET", "/manage/").status_code == 302  # not signed in yet
    page = fetch(app, client, "GET", "/account/tf-validate?lang=en").get_data(as_text=True)
    assert "<h1>Two-factor sign-in</h1>" in page
    code = security._totp_factory.generate_totp_password(secret)
    done = fetch(app, client, "POST", "/account/tf-validate", data={"code": code})
    assert done.status_code == 302
    assert fetch(app, client, "GET", "/manage/audit").status_code == 200


def test_admin_sets_up_two_factor_through_the_pages(app: Flask, client: FlaskClient) -> None:
    add_user("admin@example.org", "admin")
    db.session.commit()
    sign_in(app, client, "admin@example.org")
    page = fetch(app, client, "POST", "/account/tf-setup?lang=en", data={"setup": "authenticator"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Scan the code" in html
    assert 'src="data:image/svg+xml;base64,' in html  # the QR code, drawn here, nothing fetched
    key = html.split('<p class="input--code" dir="ltr">')[1].split("<")[0].strip()
    assert len(key) >= 16
    wrong = fetch(app, client, "POST", "/account/tf-validate?lang=en", data={"code": "000000"})
    assert wrong.status_code == 200  # the form again, not signed in with two factors yet
    assert fetch(app, client, "GET", "/manage/").status_code == 302
    code = TOTP(key=key, format="base32").generate().token  # what the phone app shows
    done = fetch(app, client, "POST", "/account/tf-validate", data={"code": code})
    assert done.status_code == 302
    assert fetch(app, client, "GET", "/manage/audit").status_code == 200
    db.session.expire_all()
    from consult.models import User

    admin = db.session.scalar(db.select(User).where(User.email == "admin@example.org"))
    assert admin.tf_primary_method == "authenticator"


def test_staff_change_their_own_password(app: Flask, client: FlaskClient, facilitator) -> None:
    sign_in(app, client, "fac@example.org")
    new = "a much longer passphrase 2026"
    bad = fetch(
        app,
        client,
        "POST",
        "/account/change?lang=en",
        data={"password": "wrong one", "new_password": new, "new_password_confirm": new},
    )
    assert bad.status_code == 200  # the form again with the error
    done = fetch(
        app,
        client,
        "POST",
        "/account/change?lang=en",
        data={"password": PASSWORD, "new_password": new, "new_password_confirm": new},
    )
    assert done.status_code == 302
    other = app.test_client()
    assert sign_in(app, other, "fac@example.org", PASSWORD).status_code == 200  # old one refused
    assert sign_in(app, other, "fac@example.org", new).status_code == 302


def test_session_cookie_is_secure_httponly_and_lax(
    app: Flask, client: FlaskClient, facilitator
) -> None:
    response = sign_in(app, client, "fac@example.org")
    cookies = [
        v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session=")
    ]
    assert cookies, response.headers
    flags = {part.strip().lower() for part in cookies[-1].split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= flags
