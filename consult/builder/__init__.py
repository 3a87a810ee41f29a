"""The questionnaire builder under ``/manage/consultations/<slug>``: sections, questions,
translations side by side and a participant preview (works without JavaScript)."""

from __future__ import annotations

from flask import Flask

from consult.builder.routes import bp


def init_app(app: Flask) -> None:
    """Register the builder blueprint and its route modules."""
    from consult.builder import lists  # noqa: F401  (registers routes)

    app.register_blueprint(bp)
