"""Staff accounts for admins: list, create (generated or typed password), deactivate."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consult.extensions import db
from consult.models import AuditEvent, User
from consult.security import user_datastore
from consult.services import users
from consult.services.errors import Forbidden, InvalidState
from tests.facilitator.conftest import (
    FS_TUPLE_CHOICES,
    PASSWORD,
    Staff,
    add_user,
    fetch,
    sign_in_as,
)

pytestmark = [pytest.mark.db, pytest.mark.filterwarnings(FS_TUPLE_CHOICES)]

NEW = "/manage/accounts/new"
GENERIC = "The e-mail address or the password is not right, or the account cannot sign in."


def client_for(app: Flask, user: User | None) -> FlaskClient:
    client = app.test_client()
    sign_in_as(client, user)
    return client


def sign_in(app: Flask, email: str, password: str) -> tuple[FlaskClient, int]:
    """A new browser signing in with a password: the client and the answer's status."""
    client = app.test_client()
    data = {"email": email, "password": password}
    response = fetch(app, client, "POST", "/account/login?lang=en", data=data)
    return client, response.status_code


def events(action: str) -> list[tuple[int | None, str | None, int | None]]:
    query = (
        select(AuditEvent.actor_id, AuditEvent.object_type, AuditEvent.object_id)
        .where(AuditEvent.action == action)
        .order_by(AuditEvent.id)
    )
    return [tuple(row) for row in db.session.execute(query).all()]  # type: ignore[misc]


def account(email: str) -> User:
    db.session.expire_all()
    return db.session.scalars(select(User).where(User.email == email)).one()


def test_admin_lists_the_accounts(app: Flask, staff: Staff) -> None:
    response = fetch(app, client_for(app, staff.admin), "GET", "/manage/accounts?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    table = html.split('id="accounts"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>\s*(.*?)</tr>", table, re.S)[1:]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[:4] for row in rows]
    by_email = {c[0]: [re.sub(r"\s+", " ", x).strip() for x in c[1:]] for c in cells}
    assert by_email["admin@example.org"] == ["Administrator", "Yes", "On"]
    assert by_email["fac-a@example.org"] == ["Facilitator", "Yes", "Off"]
    assert by_email["analyst@example.org"] == ["Analyst", "Yes", "Off"]
    assert len(by_email) == 5
    # no deactivate button for oneself
    assert f"/manage/accounts/{staff.admin.id}/deactivate" not in html
    assert f"/manage/accounts/{staff.facilitator.id}/deactivate" in html


def test_non_admins_get_403(app: Flask, staff: Staff) -> None:
    target = staff.analyst.id
    for user in (staff.facilitator, staff.analyst, staff.outside_analyst):
        client = client_for(app, user)
        assert fetch(app, client, "GET", "/manage/accounts").status_code == 403
        assert fetch(app, client, "GET", NEW).status_code == 403
        data = {"email": "sneaky@example.org", "role": "admin"}
        assert fetch(app, client, "POST", NEW, data=data).status_code == 403
        url = f"/manage/accounts/{target}/deactivate"
        assert fetch(app, client, "POST", url).status_code == 403
    assert db.session.scalar(select(User.id).where(User.email == "sneaky@example.org")) is None
    assert account("analyst-a@example.org").active
    with pytest.raises(Forbidden):
        users.create_account(
            db.session, user_datastore, staff.facilitator, "x@example.org", "admin", PASSWORD
        )


def test_admin_creates_an_account_with_a_generated_password_that_signs_in(
    app: Flask, staff: Staff
) -> None:
    admin = client_for(app, staff.admin)
    form = fetch(app, admin, "GET", f"{NEW}?lang=en").get_data(as_text=True)
    assert 'name="password"' in form
    data = {"email": "New.Person@Example.org", "role": "facilitator", "password": ""}
    response = fetch(app, admin, "POST", f"{NEW}?lang=en", data=data)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    match = re.search(r'<code dir="ltr" id="generated-password">([^<]+)</code>', html)
    assert match is not None
    password = match.group(1)
    assert len(password) >= users.MIN_PASSWORD_LENGTH
    assert '<dd dir="ltr" id="account-email">new.person@example.org</dd>' in html

    created = account("new.person@example.org")
    assert [r.name for r in created.roles] == ["facilitator"]
    assert created.password != password  # hashed
    assert events("user.create")[-1] == (staff.admin.id, "user", created.id)
    assert len([e for e in events("user.create") if e[2] == created.id]) == 1

    client, status = sign_in(app, "new.person@example.org", password)
    assert status == 302
    assert fetch(app, client, "GET", "/manage/").status_code == 200
    # the list shows the new account; the password is never shown again
    listing = fetch(app, admin, "GET", "/manage/accounts?lang=en").get_data(as_text=True)
    assert "new.person@example.org" in listing
    assert password not in listing


def test_admin_creates_an_account_with_a_typed_password(app: Flask, staff: Staff) -> None:
    admin = client_for(app, staff.admin)
    data = {"email": "typed@example.org", "role": "analyst", "password": "a typed passphrase"}
    response = fetch(app, admin, "POST", f"{NEW}?lang=en", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "generated-password" not in html
    assert "a typed passphrase" not in html
    assert sign_in(app, "typed@example.org", "a typed passphrase")[1] == 302


def test_account_form_errors_keep_what_was_typed(app: Flask, staff: Staff) -> None:
    admin = client_for(app, staff.admin)
    data = {"email": "not an address", "role": "owner", "password": "short"}
    response = fetch(app, admin, "POST", f"{NEW}?lang=en", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<div class="error-summary" role="alert">' in html
    assert 'value="not an address"' in html
    assert 'aria-describedby="email-error"' in html
    assert "Enter an e-mail address such as name@example.org." in html
    assert "The password must have at least 12 characters." in html
    assert 'id="role-error"' in html

    data = {"email": "FAC-A@example.org", "role": "analyst", "password": ""}
    response = fetch(app, admin, "POST", f"{NEW}?lang=en", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "An account for FAC-A@example.org already exists." in html
    assert 'value="FAC-A@example.org"' in html
    assert db.session.scalar(select(func.count(User.id))) == 5


def test_deactivation_blocks_sign_in_until_reactivated(app: Flask, staff: Staff) -> None:
    user = add_user("leaving@example.org", "facilitator")
    db.session.commit()
    session_of_user, status = sign_in(app, "leaving@example.org", PASSWORD)
    assert status == 302
    assert fetch(app, session_of_user, "GET", "/manage/").status_code == 200

    admin = client_for(app, staff.admin)
    response = fetch(app, admin, "POST", f"/manage/accounts/{user.id}/deactivate?lang=en")
    assert response.status_code == 302
    assert response.location == "/manage/accounts"
    assert not account("leaving@example.org").active
    # the open session ends, and the password no longer signs in
    assert fetch(app, session_of_user, "GET", "/manage/").status_code == 302
    client, status = sign_in(app, "leaving@example.org", PASSWORD)
    assert status == 200
    assert fetch(app, client, "GET", "/manage/").status_code == 302
    listing = fetch(app, admin, "GET", "/manage/accounts?lang=en").get_data(as_text=True)
    assert f"/manage/accounts/{user.id}/reactivate" in listing

    response = fetch(app, admin, "POST", f"/manage/accounts/{user.id}/reactivate?lang=en")
    assert response.status_code == 302
    assert account("leaving@example.org").active
    assert sign_in(app, "leaving@example.org", PASSWORD)[1] == 302
    assert fetch(app, session_of_user, "GET", "/manage/").status_code == 302  # still ended
    assert events("user.deactivate") == [(staff.admin.id, "user", user.id)]
    assert events("user.reactivate") == [(staff.admin.id, "user", user.id)]


def test_an_admin_cannot_deactivate_themself(app: Flask, staff: Staff) -> None:
    admin = client_for(app, staff.admin)
    response = fetch(app, admin, "POST", f"/manage/accounts/{staff.admin.id}/deactivate?lang=en")
    assert response.status_code == 302
    page = fetch(app, admin, "GET", "/manage/accounts?lang=en").get_data(as_text=True)
    assert "You cannot deactivate your own account." in page
    assert account("admin@example.org").active
    assert events("user.deactivate") == []
    with pytest.raises(InvalidState):
        users.set_account_active(db.session, user_datastore, staff.admin, staff.admin, False)


def test_repeating_a_state_changes_and_records_nothing(app: Flask, staff: Staff) -> None:
    changed = users.set_account_active(
        db.session, user_datastore, staff.admin, staff.facilitator, True
    )
    assert changed is False
    assert events("user.reactivate") == []
    admin = client_for(app, staff.admin)
    assert fetch(app, admin, "POST", "/manage/accounts/abc/deactivate").status_code == 404


def test_buttons_carry_the_csrf_token(app: Flask, staff: Staff) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    admin = client_for(app, staff.admin)
    url = f"/manage/accounts/{staff.analyst.id}/deactivate"
    assert fetch(app, admin, "POST", url).status_code == 400
    assert account("analyst-a@example.org").active
    page = fetch(app, admin, "GET", "/manage/accounts?lang=en").get_data(as_text=True)
    form = page.split(f'action="{url}"')[1].split("</form>")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token is not None
    response = fetch(app, admin, "POST", url, data={"csrf_token": token.group(1)})
    assert response.status_code == 302
    assert not account("analyst-a@example.org").active
