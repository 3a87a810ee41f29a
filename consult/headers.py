"""Security headers on every response, and the reverse-proxy fix when configured.

- ``Content-Security-Policy``: scripts, styles, fonts and images from this site only (``data:``
  images for the two-factor QR code), no inline scripts or styles, no plugins, no framing,
  forms post only here.
- ``Referrer-Policy: no-referrer``: invitation and resume links carry tokens in their path;
  no other site may learn them from a Referer header.
- ``X-Content-Type-Options``, ``X-Frame-Options``, ``Cross-Origin-Opener-Policy``,
  ``Permissions-Policy`` (no camera, microphone, geolocation).
- ``Strict-Transport-Security`` only when ``HSTS_SECONDS`` > 0 (set it once the site is served
  over HTTPS only).
- ``PROXY_FIX`` (e.g. ``{"x_for": 1, "x_proto": 1}``): trust that many proxies' X-Forwarded-*
  headers (werkzeug's ProxyFix), so client addresses (rate limits) and https URLs are right
  behind a reverse proxy. Off by default: without a proxy those headers are forgeable.
"""

from __future__ import annotations

from flask import Flask, Response, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
PROXY_KEYS = frozenset({"x_for", "x_proto", "x_host", "x_port", "x_prefix"})


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    hsts = int(current_app.config.get("HSTS_SECONDS") or 0)
    if hsts > 0:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={hsts}; includeSubDomains"
        )
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response; wrap the app in ProxyFix when ``PROXY_FIX`` is set."""
    app.after_request(_add_headers)
    proxies = app.config.get("PROXY_FIX")
    if proxies:
        unknown = set(proxies) - PROXY_KEYS
        if unknown:
            from consult import ConfigurationError

            raise ConfigurationError(
                f"PROXY_FIX has unknown keys {sorted(unknown)}: use {sorted(PROXY_KEYS)}"
            )
        app.wsgi_app = ProxyFix(app.wsgi_app, **{k: int(v) for k, v in proxies.items()})  # type: ignore[method-assign]
