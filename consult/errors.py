"""Error pages (placeholder: completed by the pages work)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register error handlers."""
