"""Fixtures of the scale tests: the demo consultation in the test database, committed."""

from __future__ import annotations

from typing import Any

import pytest

from consult.services.demo import load_demo
from tests.scale.participants import DEMO
from tests.web.catalogs import require_compiled_catalogs


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    require_compiled_catalogs()


@pytest.fixture
def demo(session: Any) -> str:
    """The demo consultation (no synthetic responses), committed; its slug."""
    load_demo(session, responses=0)
    session.commit()
    return DEMO
