"""Question types are pure: plain specs and a form in, values and rows out.

They need an application context only for gettext; no database is touched. Messages come out
in English (the default locale of this app).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from consult import create_app


@pytest.fixture(scope="session")
def pure_app() -> Flask:
    """An app without a database, its messages in English."""
    return create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "BABEL_DEFAULT_LOCALE": "en"}
    )


@pytest.fixture(autouse=True)
def _app_context(pure_app: Flask) -> Iterator[None]:
    with pure_app.app_context():
        yield
