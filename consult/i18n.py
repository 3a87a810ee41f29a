"""Locale selection and text direction (placeholder: completed by the pages work)."""

from __future__ import annotations

from flask import Flask

from consult.extensions import babel


def init_app(app: Flask) -> None:
    """Wire Flask-Babel."""
    babel.init_app(app)
