"""Two app servers (separate gunicorn instances on different ports, as on two machines) serve
one database: participants send each request to the other server in turn — a page is read from
one and its answers are posted to the other — so nothing may live in a server's memory. The
session is a signed cookie (same ``SECRET_KEY``), the CSRF token lives in it, and the rate-limit
counts are in the shared Redis. Every response is counted in the database afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from tests.scale.participants import crowd
from tests.scale.stored import stored_responses
from tests.servers import gunicorn_server

pytestmark = pytest.mark.db

REDIS = "redis://127.0.0.1:6379"
PARTICIPANTS = 40
CONCURRENCY = 8


@pytest.fixture
def shared_env() -> Iterator[dict[str, str]]:
    """Production-like settings shared by both servers: Redis rate-limit storage."""
    prefix = f"consult-test-{uuid.uuid4().hex}"
    yield {"CONSULT_RATELIMIT_STORAGE_URI": REDIS, "CONSULT_RATELIMIT_KEY_PREFIX": prefix}
    connection = redis.Redis.from_url(REDIS)
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)
    connection.close()


def test_participants_alternate_between_two_servers(migrated_url, demo, session, shared_env):
    with (
        gunicorn_server(migrated_url, workers=2, env=shared_env) as first,
        gunicorn_server(migrated_url, workers=2, env=shared_env) as second,
    ):
        assert first != second
        result = crowd([first, second], PARTICIPANTS, concurrency=CONCURRENCY)

    assert result.errors == []
    assert len(result.receipts) == PARTICIPANTS
    assert result.requests == 13 * PARTICIPANTS
    # each participant sent 6 or 7 of its 13 requests to each server
    assert min(result.served[first], result.served[second]) >= 6 * PARTICIPANTS
    stored = stored_responses(session, demo)
    assert stored.submitted == sorted(result.receipts)
    assert stored.other_states == 0
    assert len(stored.answers_per_response) == 1
    assert min(stored.answers_per_response) > 0
