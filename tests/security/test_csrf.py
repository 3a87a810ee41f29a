"""CSRF protection on every state-changing route, with CSRF enabled as in production.

The routes come from ``app.url_map`` (every POST, PUT, PATCH and DELETE), so a new form is
covered without a line here. Each is sent by someone who may use it (an admin under /manage
and /account, A's participant elsewhere), with the data the authorization matrix sends (a
valid lifecycle change included) but without a valid CSRF token: the answer is 400 with the
translated explanation, never 500, and no table changes — compared row by row. The JSON API
changes nothing and reads no cookies, so it needs no CSRF token: it has no such route.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from consult.errors import CSRF_MESSAGE
from consult.extensions import db
from consult.participate.live import SESSION_EXPIRED as LIVE_EXPIRED
from consult.participate.routes import SESSION_EXPIRED
from tests.facilitator.conftest import FS_TUPLE_CHOICES, fetch
from tests.participate.helpers import csrf_token
from tests.security import world as w
from tests.security.test_authorization_matrix import fill, payload, routes
from tests.security.world import World

pytestmark = [
    pytest.mark.db,
    pytest.mark.filterwarnings(FS_TUPLE_CHOICES),
    pytest.mark.filterwarnings(w.HARFBUZZ_SUBSET),
]

CHANGING = ("POST", "PUT", "PATCH", "DELETE")
# A participant's form with a stale token is shown again as a GET shows it, and a GET may
# record what it records: opening a live workshop's page joins it (one empty response, no
# answer). Any other change, or any change without a token at all, fails the test.
AS_A_GET_DOES = {("POST", "/live/<code>"): {"responses"}}
STAFF_PREFIXES = ("/manage", "/account")


@pytest.fixture(scope="module")
def world(migrated_url: str) -> Iterator[World]:
    built = w.build_world(migrated_url, responses=0, WTF_CSRF_ENABLED=True)
    yield built
    w.destroy_world(built)


def changing_routes(world: World) -> list[tuple[str, str]]:
    return [(m, r) for m, r in routes(world.app) if m in CHANGING]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (as text, sorted), read in a transaction of its own."""
    db.session.rollback()
    rows = {}
    for table in db.metadata.sorted_tables:
        found = db.session.execute(sa.select(table)).all()
        rows[table.name] = sorted(tuple(map(repr, row)) for row in found)
    db.session.rollback()
    return rows


def translated(world: World, message: Any, *, check: bool = True) -> str:
    """``message`` in Turkish (``check``: and differing from English, so really translated;
    tests/web/test_i18n.py checks every catalog entry anyway)."""
    with world.app.test_request_context():
        with force_locale("tr"):
            turkish = str(message)
        with force_locale("en"):
            english = str(message)
    assert turkish != english or not check
    return turkish


def sender(rule: str) -> str:
    return "admin" if rule.startswith(STAFF_PREFIXES) else "participant"


def test_the_app_has_state_changing_routes(world: World) -> None:
    found = changing_routes(world)
    assert len(found) >= 50
    assert {r for _m, r in found} >= {"/c/<slug>", "/i/<token>/review", "/account/logout"}


def test_the_api_changes_nothing(world: World) -> None:
    """No API route takes a state-changing method (and cookies never authenticate it:
    ``test_authorization_matrix.test_api_ignores_session_cookies``)."""
    for rule in world.app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            assert set(rule.methods or ()) <= {"GET", "HEAD", "OPTIONS"}, rule.rule


@pytest.mark.parametrize("token", ["none", "forged"])
def test_every_change_needs_a_valid_token(world: World, token: str) -> None:
    message = html.unescape(translated(world, CSRF_MESSAGE))
    expired = [
        html.unescape(translated(world, SESSION_EXPIRED)),
        html.unescape(translated(world, LIVE_EXPIRED, check=False)),
    ]
    refused = []
    for method, rule in changing_routes(world):
        role = sender(rule)
        with ExitStack() as stack:
            url = fill(world, stack, rule, role) + "?lang=tr"
            data = payload(world, rule)
            if token == "forged":
                data["csrf_token"] = "IjEyMzQ1Njc4OTAi.forged.token"
            before = snapshot()
            response = world.request(role, method, url, data=data)
            after = snapshot()
            again = world.request(role, "GET", url) if response.status_code != 400 else None
        changed = {name for name in before if before[name] != after[name]}
        if token == "forged":
            changed -= AS_A_GET_DOES.get((method, rule), set())
        assert not changed, (method, rule, changed)
        # a participant's form with a token of a lost session comes back to be sent again,
        # nothing saved (a page that only redirects, /r/<token>/, redirects as its GET does);
        # anything else is the site's translated 400 page
        recover = token == "forged" and not rule.startswith(STAFF_PREFIXES)
        if recover and again is not None:
            assert response.status_code in (302, 303), (method, rule)
            assert (response.status_code, response.location) == (again.status_code, again.location)
        else:
            page = html.unescape(response.get_data(as_text=True))
            assert response.status_code == 400, (method, rule, response.status_code)
            assert "Traceback" not in page
            assert any(m in page for m in (expired if recover else [message])), (method, rule)
        refused.append(rule)
    assert len(refused) == len(changing_routes(world))


def test_a_valid_token_is_accepted(world: World) -> None:
    """The control: the same lifecycle change with the session's token goes through (and the
    comparison of tables sees it)."""
    client = world.client("facilitator")
    overview = f"/manage/consultations/{world.staff.a.slug}"
    page = fetch(world.app, client, "GET", overview)
    token = csrf_token(page.get_data(as_text=True))
    assert page.status_code == 200
    assert token
    for _close_then_reopen in range(2):
        before = snapshot()
        data = {**payload(world, "/transition"), "csrf_token": token}
        assert (
            fetch(world.app, client, "POST", f"{overview}/transition", data=data).status_code == 302
        )
        assert snapshot()["consultations"] != before["consultations"]
