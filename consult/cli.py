"""Command line: ``consult <command>`` is ``flask --app consult <command>``."""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup


def init_app(app: Flask) -> None:
    """Register the app's commands."""


def main() -> None:
    """Entry point of the ``consult`` console script."""
    from consult import create_app

    FlaskGroup(create_app=create_app).main()
