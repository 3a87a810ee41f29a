"""The questionnaire builder under ``/manage/consultations/<slug>``: sections, questions,
translations side by side and a participant preview (works without JavaScript)."""

from __future__ import annotations

from flask import Flask

from consult.builder.routes import bp


def init_app(app: Flask) -> None:
    """Register the builder blueprint."""
    app.register_blueprint(bp)
