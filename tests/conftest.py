"""Shared fixtures: an app on a migrated database (SQLite, or PostgreSQL when
``CONSULT_TEST_DATABASE_URL`` is set), a client and a CLI runner.

Each xdist worker gets its own database (a SQLite file, or a PostgreSQL schema), migrated once
to head; every table is emptied after each test that used the database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from consult import create_app
from consult.extensions import db

PG_ENV = "CONSULT_TEST_DATABASE_URL"


def postgres_url() -> str | None:
    """The PostgreSQL URL under test, with the psycopg 3 driver, or None."""
    url = os.environ.get(PG_ENV)
    if not url:
        return None
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def with_search_path(url: str, schema: str) -> str:
    """A PostgreSQL URL whose connections use ``schema`` first."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="session")
def worker_name(request: pytest.FixtureRequest) -> str:
    """The xdist worker id ('gw0', ...) or 'main' without xdist."""
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_name: str) -> Iterator[str]:
    """An empty database for this worker (dropped at the end on PostgreSQL)."""
    pg = postgres_url()
    if pg is None:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "consult.sqlite3")
        return
    schema = f"consult_test_{worker_name}_{os.getpid()}"  # concurrent runs never share
    engine = sa.create_engine(pg)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield with_search_path(pg, schema)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


_created_apps: list[Flask] = []


def make_test_app(database_url: str, **overrides: object) -> Flask:
    """An app configured for tests on ``database_url`` (its pooled connections are closed after
    the test, so no connection is left for the garbage collector to find open)."""
    config: dict[str, object] = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "SECURITY_PASSWORD_SALT": "test-salt",
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    app = create_app(config)
    _created_apps.append(app)
    return app


@pytest.fixture(autouse=True)
def _close_pooled_connections() -> Iterator[None]:
    """Dispose the engines of the apps a test created (psycopg warns about open connections
    that are garbage-collected, and warnings are errors)."""
    yield
    while _created_apps:
        application = _created_apps.pop()
        with application.app_context():
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    """``database_url`` upgraded to the newest migration (once per worker)."""
    from flask_migrate import upgrade

    app = make_test_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture
def app(migrated_url: str) -> Iterator[Flask]:
    """The app on the migrated test database; every table is emptied afterwards."""
    application = make_test_app(migrated_url)
    with application.app_context():
        yield application
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for ``flask``/``consult`` commands."""
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask):
    """The app's database session."""
    return db.session


_skipped_in_ci: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember skipped tests: under CI=true a skip hides a gap and fails the run."""
    if report.skipped and os.environ.get("CI") == "true":
        _skipped_in_ci.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail a CI run that skipped anything (a skipped PostgreSQL test most of all)."""
    if _skipped_in_ci and not hasattr(session.config, "workerinput"):
        print(f"\nCI=true: {len(_skipped_in_ci)} skipped test(s) count as failures:")
        for nodeid in _skipped_in_ci:
            print(f"  {nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
