"""500 participants complete the demo survey at the same moment against gunicorn with several
workers, on the configured database (SQLite by default, PostgreSQL under
``make test-postgres``): no request fails and every response is in the database, complete.

SQLite copes because every transaction takes the write lock at ``BEGIN IMMEDIATE`` and waits for
it instead of failing; WAL lets the readers go on. Waiters poll for the lock rather than queue,
so in such a burst one can wait for seconds: with the default ``SQLITE_BUSY_TIMEOUT`` of 5 s, 3
of the 500 got a 503; the servers here run with 20 s, as docs/deployment.md advises for several
workers on SQLite.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from consult.extensions import db
from tests.conftest import make_test_app
from tests.scale.participants import crowd
from tests.scale.stored import stored_responses
from tests.servers import gunicorn_server

pytestmark = pytest.mark.db

PARTICIPANTS = 500
WORKERS = 4
SERVER_ENV = {"CONSULT_SQLITE_BUSY_TIMEOUT": "20"}  # seconds; only SQLite uses it


def test_500_participants_at_once(migrated_url, demo, session) -> None:
    with gunicorn_server(migrated_url, workers=WORKERS, env=SERVER_ENV) as base:
        result = crowd([base], PARTICIPANTS)

    assert result.errors == []
    assert len(result.receipts) == PARTICIPANTS
    assert result.requests == 13 * PARTICIPANTS  # 4 pages: 13 requests each, all answered
    stored = stored_responses(session, demo)
    assert stored.submitted == sorted(result.receipts)  # every response, none lost or doubled
    assert stored.other_states == 0
    assert len(stored.answers_per_response) == 1  # every response complete: the same answers
    assert min(stored.answers_per_response) > 0


def test_sqlite_busy_timeout_is_configurable(tmp_path) -> None:
    app = make_test_app(f"sqlite:///{tmp_path}/busy.sqlite3", SQLITE_BUSY_TIMEOUT=20)
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA busy_timeout")).scalar() == 20_000
