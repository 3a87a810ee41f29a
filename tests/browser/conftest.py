"""Browser tests: the app served by a real HTTP server in a thread, driven by Debian's chromium
through Playwright (one browser for the whole session, one context per test)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from consult.extensions import db
from consult.models import Consultation, ConsultationState, utcnow
from tests.conftest import make_test_app
from tests.web.catalogs import require_compiled_catalogs

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    require_compiled_catalogs()


@pytest.fixture(scope="session")
def live_server(migrated_url: str) -> Iterator[str]:
    """The app on the migrated test database, served on 127.0.0.1 (a free port)."""
    app = make_test_app(migrated_url)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless. Missing chromium is a failure, never a skip."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium package "
            "(or run: sudo apt-get install chromium)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Any, live_server: str) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh context (own cookies); ``new_page(width=375)`` for a phone.

    The test fails if any page broke the Content-Security-Policy (inline code or styles, or
    something fetched from elsewhere): the browser reports each violation on the console.
    """
    contexts = []
    violations: list[str] = []

    def watch(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    def open_page(*, width: int = 1280, height: int = 800, locale: str = "en-US") -> Any:
        context = browser.new_context(
            base_url=live_server,
            viewport={"width": width, "height": height},
            locale=locale,
            reduced_motion="reduce",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", watch)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def demo_consultation(session: Any) -> Consultation:
    """An open demo consultation in three languages (removed after the test by ``app``)."""
    consultation = Consultation(
        slug="migration-action-plan",
        state=ConsultationState.OPEN,
        languages=["tr", "en", "ar"],
        default_language="tr",
        is_demo=True,
        title={
            "tr": "Göç ve Sosyal Uyum Eylem Planı 2020–2024",
            "en": "Migration and Social Cohesion Action Plan 2020–2024",
            "ar": "خطة عمل الهجرة والتماسك الاجتماعي 2020–2024",
        },
        description={
            "tr": "Eylem planının önceliklerini paydaşlarla birlikte belirliyoruz.",
            "en": "We are setting the action plan's priorities together with stakeholders.",
            "ar": "نحدد أولويات خطة العمل بالتعاون مع الجهات المعنية.",
        },
        organiser={
            "tr": "İstanbul Büyükşehir Belediyesi",
            "en": "Istanbul Metropolitan Municipality",
            "ar": "بلدية إسطنبول الكبرى",
        },
        closes_at=utcnow() + timedelta(days=30),
    )
    session.add(consultation)
    session.commit()
    return consultation


def _serve(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def csrf_live_server(migrated_url: str) -> Iterator[str]:
    """Like ``live_server``, with CSRF protection on as in production (participant pages)."""
    yield from _serve(make_test_app(migrated_url, WTF_CSRF_ENABLED=True))


@pytest.fixture
def participant_page(browser: Any, csrf_live_server: str) -> Iterator[Callable[..., Any]]:
    """Open a page on the CSRF-checking server in a fresh context.

    ``participant_page(locale="ar", javascript=False, width=360)``. Fails the test on any
    Content-Security-Policy violation, like ``new_page``.
    """
    contexts = []
    violations: list[str] = []

    def watch(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    def open_page(
        *, width: int = 1280, height: int = 900, locale: str = "en-US", javascript: bool = True
    ) -> Any:
        context = browser.new_context(
            base_url=csrf_live_server,
            viewport={"width": width, "height": height},
            locale=locale,
            reduced_motion="reduce",
            java_script_enabled=javascript,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", watch)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"
