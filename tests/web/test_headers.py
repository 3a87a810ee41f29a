"""Security headers on every response and templates that a strict CSP does not break."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from consult import ConfigurationError
from tests.conftest import make_test_app

pytestmark = pytest.mark.db

TEMPLATES = Path(__file__).resolve().parents[2] / "consult" / "templates"


@pytest.mark.parametrize("path", ["/", "/healthz", "/no-such-page", "/account/login", "/manage/"])
def test_every_response_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"  # tokens live in URL paths
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # off until configured


def test_hsts_when_configured(migrated_url: str) -> None:
    app = make_test_app(migrated_url, HSTS_SECONDS=31536000)
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_proxy_fix_trusts_the_configured_proxy_only(migrated_url: str) -> None:
    plain = make_test_app(migrated_url)
    behind = make_test_app(migrated_url, PROXY_FIX={"x_for": 1, "x_proto": 1})
    for app, scheme in ((plain, "http"), (behind, "https")):

        @app.get("/_scheme")
        def _scheme() -> str:
            from flask import request

            return f"{request.scheme} {request.remote_addr}"

        got = app.test_client().get(
            "/_scheme", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
        )
        assert got.get_data(as_text=True).split()[0] == scheme
    with pytest.raises(ConfigurationError, match="unknown keys"):
        make_test_app(migrated_url, PROXY_FIX={"x_forwarded": 1})


INLINE = [
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style[\s>]", re.I), "a <style> element"),
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I), "an inline event handler"),
    (re.compile(r"[\"']\s*javascript:", re.I), "a javascript: URL"),
]


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))
)
def test_templates_need_no_inline_script_or_style(template: str) -> None:
    """The CSP forbids inline code: a template using it would break in the browser."""
    if template.startswith("reports/"):  # rendered to PDF by WeasyPrint, never served as a page
        return
    text = re.sub(r"\{#.*?#\}", "", (TEMPLATES / template).read_text(encoding="utf-8"), flags=re.S)
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert not found, f"{template} has {', '.join(found)}"
