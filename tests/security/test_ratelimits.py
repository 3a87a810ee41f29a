"""Rate limits of the participant pages (``consult/ratelimits.py``).

Token guesses are counted per IP address and only when they fail; submissions per response, with
a generous ceiling per address; withdrawals per address. A refusal is the translated 429 page
with ``Retry-After``. With Redis storage, two servers share the counts; with ``memory://`` each
process counts alone; and an unreachable Redis does not take the site down.

The limiter is one object for every app in a process and its ``memory://`` storage is replaced
by each new app, so every test here makes its own app last (``limited``) and uses only it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from consult.extensions import db
from consult.models import Consultation, utcnow
from consult.security import user_datastore
from consult.services import live
from consult.services.demo import load_demo
from consult.services.tokens import new_token
from consult.services.users import create_user
from tests.conftest import make_test_app
from tests.scale.participants import DEMO, Participant
from tests.servers import gunicorn_server
from tests.web.catalogs import require_compiled_catalogs

pytestmark = pytest.mark.db

REDIS = "redis://127.0.0.1:6379"
OTHER = {"REMOTE_ADDR": "10.0.0.2"}  # a second client address


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogs() -> None:
    require_compiled_catalogs()


@pytest.fixture
def limited(app: Flask, migrated_url: str) -> Callable[..., FlaskClient]:
    """``limited(**config)``: a client of a fresh app with these settings, the demo loaded
    (``app`` empties the tables afterwards)."""
    load_demo(db.session, responses=0)
    db.session.commit()

    def make(**config: object) -> FlaskClient:
        return make_test_app(migrated_url, RATELIMIT_ENABLED=True, **config).test_client()

    return make


def start(client: FlaskClient, **kw: object) -> str:
    """Agree on the open link: the new response's first page."""
    response = client.post(f"/c/{DEMO}", data={"consent": "y"}, **kw)
    assert response.status_code == 303, response.status_code
    return response.headers["Location"]


def assert_refused(response, text: str = "Too many requests") -> None:
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert text in response.get_data(as_text=True)


def test_failed_token_guesses_are_limited_per_address(limited) -> None:
    client = limited()  # the default: 20 a minute
    for _ in range(20):
        assert client.get(f"/i/{new_token()}/").status_code == 404
    assert_refused(client.get(f"/i/{new_token()}/?lang=en"))
    assert_refused(client.get(f"/r/{new_token()}/page/1?lang=en"))  # resume links too
    page = client.get(f"/i/{new_token()}/?lang=ar")
    assert_refused(page, "طلبات كثيرة جدًا")
    assert 'dir="rtl"' in page.get_data(as_text=True)
    assert_refused(client.get(f"/i/{new_token()}/?lang=tr"), "Çok fazla istek")
    assert client.get(f"/i/{new_token()}/", environ_base=OTHER).status_code == 404


def test_valid_links_are_never_counted_as_guesses(limited) -> None:
    client = limited(INVITATION_GUESS_RATE_LIMIT="5/minute")
    first_page = start(client)
    for _ in range(30):
        assert client.get(first_page).status_code == 200
    for _ in range(5):
        assert client.get(f"/r/{new_token()}/page/1").status_code == 404
    assert_refused(client.get(f"/r/{new_token()}/page/1?lang=en"))


def test_submissions_are_limited_per_response_not_per_address(limited) -> None:
    client = limited(SUBMISSION_RATE_LIMIT="5/minute")
    first_page = start(client)
    for _ in range(5):
        assert client.post(first_page, data={"action": "back"}).status_code == 303
    assert_refused(client.post(f"{first_page}?lang=en", data={"action": "back"}))
    assert client.get(first_page).status_code == 200  # reading is not submitting
    other = start(client)  # another response from the same address is not affected
    assert client.post(other, data={"action": "back"}).status_code == 303


def test_a_workshop_behind_one_address_is_not_refused(limited) -> None:
    """150 phones behind one NAT address each agree and answer a page (default limits)."""
    client = limited()
    for _ in range(150):
        first_page = start(client)
        assert client.post(first_page, data={"action": "back"}).status_code == 303


def test_participant_posts_have_a_ceiling_per_address(limited) -> None:
    client = limited(SUBMISSION_ADDRESS_RATE_LIMIT="4/minute")
    first_page = start(client)
    for _ in range(3):
        assert client.post(first_page, data={"action": "back"}).status_code == 303
    assert_refused(client.post(f"/c/{DEMO}?lang=en", data={"consent": "y"}))
    assert_refused(client.post(f"{first_page}?lang=en", data={"action": "back"}))
    assert client.get(first_page).status_code == 200
    assert start(client, environ_base=OTHER).startswith("/r/")


def test_withdrawal_attempts_are_limited_per_address(limited) -> None:
    client = limited(WITHDRAWAL_RATE_LIMIT="3/minute")
    for _ in range(3):
        response = client.post(f"/c/{DEMO}/withdraw", data={"receipt": "AAAA-BBBB-CCCC"})
        assert response.status_code == 200
    refused = client.post(f"/c/{DEMO}/withdraw?lang=en", data={"receipt": "AAAA-BBBB-CCCC"})
    assert_refused(refused)
    assert client.get(f"/c/{DEMO}/withdraw").status_code == 200


def running_live_session() -> str:
    """A live workshop running on the demo consultation: its join code."""
    admin = create_user(
        db.session, user_datastore, "admin@example.org", "admin", "a long pass phrase"
    )
    demo = db.session.scalars(sa.select(Consultation).where(Consultation.slug == DEMO)).one()
    code = live.start_session(db.session, admin, demo, "en", utcnow()).join_code
    db.session.commit()  # and no read after it: that would begin a transaction holding the lock
    return code


def test_unknown_live_codes_are_limited_per_address_valid_codes_never(limited) -> None:
    client = limited(LIVE_CODE_GUESS_RATE_LIMIT="5/minute")
    code = running_live_session()
    for _ in range(10):  # the whole room joining from one address is never counted
        assert client.get(f"/live/{code}").status_code == 200
        assert client.get(f"/live/{code}/state").status_code == 200
    for _ in range(5):
        assert client.get("/live/ZZZZZZ").status_code == 404
    assert_refused(client.get("/live/ZZZZZZ?lang=en"))
    assert_refused(client.get("/live?code=ZZZZZZ&lang=en"))
    assert client.get("/live/ZZZZZZ", environ_base=OTHER).status_code == 404


def test_unreachable_rate_limit_storage_does_not_take_the_site_down(limited) -> None:
    client = limited(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1")  # nothing listens there
    first_page = start(client)
    assert client.get(first_page).status_code == 200
    assert client.get(f"/i/{new_token()}/").status_code == 404


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of its own in the real Redis; its keys are deleted afterwards."""
    prefix = f"consult-test-{uuid.uuid4().hex}"
    yield prefix
    connection = redis.Redis.from_url(REDIS)
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)
    connection.close()


def guesses_through(servers: list[str], count: int) -> list[int]:
    """``count`` unknown invitation links, asked of the servers in turn: their statuses."""
    guesser = Participant(servers)
    return [guesser.send("GET", f"/i/{new_token()}/", "guess").status for _ in range(count)]


def test_two_servers_share_the_counts_in_redis(migrated_url, redis_prefix) -> None:
    env = {
        "CONSULT_RATELIMIT_STORAGE_URI": REDIS,
        "CONSULT_RATELIMIT_KEY_PREFIX": redis_prefix,
        "CONSULT_INVITATION_GUESS_RATE_LIMIT": "4/minute",
    }
    with (
        gunicorn_server(migrated_url, workers=2, env=env) as first,
        gunicorn_server(migrated_url, workers=2, env=env) as second,
    ):
        statuses = guesses_through([first, second], 8)
    assert statuses == [404] * 4 + [429] * 4
    connection = redis.Redis.from_url(REDIS)
    assert any(connection.scan_iter(f"*{redis_prefix}*"))  # the counts were in Redis
    connection.close()


def test_in_memory_counts_are_per_process(migrated_url) -> None:
    """Without Redis each server counts alone: why several servers need shared storage."""
    env = {"CONSULT_INVITATION_GUESS_RATE_LIMIT": "4/minute"}
    with (
        gunicorn_server(migrated_url, workers=1, env=env) as first,
        gunicorn_server(migrated_url, workers=1, env=env) as second,
    ):
        statuses = guesses_through([first, second], 10)
    assert statuses == [404] * 8 + [429] * 2
